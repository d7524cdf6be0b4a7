"""Controls whose data moto does not serve: on a moto account they are `error` (never pass or fail)
or, where they do not apply, `notapplicable`.

- aws-config-rules-compliant: DescribeComplianceByConfigRule is not implemented.
- aws-guardduty-no-high-findings: ListFindings is not implemented (only where a detector exists).
- aws-inspector2-*: BatchGetAccountStatus answers no status for an account that never enabled
  Inspector (AWS answers DISABLED).
- aws-securityhub-standards: GetEnabledStandards is not implemented (only where the hub is enabled).
End-to-end tests on moto accept `error` from these controls only, and require it to be `error`.
"""

from __future__ import annotations

from typing import Any, Iterable

MOTO_GAP_CONTROLS = frozenset({
    "aws-config-rules-compliant", "aws-guardduty-no-high-findings", "aws-inspector2-ec2", "aws-inspector2-ecr",
    "aws-inspector2-lambda", "aws-securityhub-standards"})
# moto has no Macie backend for GovCloud regions (a KeyError inside moto): an error there
GOVCLOUD_GAP_CONTROLS = frozenset({"aws-macie-enabled"})


def without_moto_gaps(findings: Iterable[Any], also: frozenset[str] = frozenset(), control: str = "control_id",
                      status: str = "status") -> list[Any]:
    """The findings minus the moto-gap controls' ones, which must be `error` (or not apply)."""
    out = []
    for f in findings:
        if f[control] in MOTO_GAP_CONTROLS | also:
            assert f[status] in ("error", "notapplicable"), (f[control], f[status])
        else:
            out.append(f)
    return out
