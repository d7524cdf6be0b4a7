"""docs/aws.md's coverage table is the one the shipped controls give, and the AWS mappings are sane.

After new controls land, ``python -m checks.aws.coverage_table --write`` updates the table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from checks.aws import coverage_table as ct


def test_docs_table_is_what_the_script_writes() -> None:
    text = ct.DOC.read_text()
    assert ct.current(text) == ct.render().strip("\n"), (
        "docs/aws.md's coverage table is out of date: run python -m checks.aws.coverage_table --write")


def test_check_option_fails_on_a_stale_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "aws.md"
    doc.write_text(f"# AWS\n\n{ct.START}\n| old | 1 |\n{ct.END}\n\n## After\n")
    monkeypatch.setattr(ct, "DOC", doc)
    assert ct.main(["--check"]) == 1
    assert ct.main(["--write"]) == 0
    assert ct.main(["--check"]) == 0
    text = doc.read_text()
    assert text.startswith(f"# AWS\n\n{ct.START}\n") and text.endswith(f"{ct.END}\n\n## After\n")
    assert "| old |" not in text and "out of date" in capsys.readouterr().out


@dataclass
class _C:
    id: str
    resource: str
    mappings: dict[str, tuple[str, ...]] = field(default_factory=dict)


def test_render_counts_services_cis_fedramp_and_prowler() -> None:
    controls: list[Any] = [
        _C("a", "aws.s3.bucket", {"cis-aws-foundations-7.0": ("2.1.1",), "fedramp-rev5": ("sc-28", "au-10"),
                                  "prowler": ("s3_bucket_default_encryption", "s3_bucket_object_versioning")}),
        _C("b", "aws.s3.bucket", {"cis-aws-foundations-7.0": ("2.4",), "fedramp-rev5": ("sc-28",)}),
        _C("c", "aws.account", {"prowler": ("iam_password_policy_minimum_length_14",)}),
    ]
    text = ct.render(controls)
    assert text.startswith("3 AWS controls over 2 services.")
    assert "| account | 1 | `aws.account` |" in text and "| s3 | 2 | `aws.s3.bucket` |" in text
    cis = json.loads((Path(ct.__file__).parents[2] / "policies/frameworks/cis-aws-foundations-7.0.json").read_text())
    automated = [r for r, v in cis["recommendations"].items() if v["assessment"] == "automated"]
    assert cis["recommendations"]["2.1.1"]["assessment"] == "manual" and "2.4" in automated
    assert f"1 of {len(automated)} automated recommendations covered" in text
    assert "manual recommendations also checked: 2.1.1." in text
    uncovered = re.search(r"Automated recommendations not covered: (.*)\.", text).group(1).split(", ")  # type: ignore[union-attr]
    assert "2.4" not in uncovered and len(uncovered) == len(automated) - 1
    # au-10 is a High control, not Moderate: only sc-28 counts
    assert "**FedRAMP rev5 Moderate**: 1 of the baseline's 323 controls evidenced by at least one AWS control " \
           "(`fedramp-rev5` mapping): sc-28." in text
    checks = json.loads((Path(ct.__file__).parents[2] / "policies/frameworks/prowler-aws-checks.json").read_text())["checks"]
    n_s3 = sum(1 for v in checks.values() if v["service"] == "s3")
    n_iam = sum(1 for v in checks.values() if v["service"] == "iam")
    assert f"3 checks mapped (`prowler` mapping) of the {n_s3 + n_iam} checks in the 2 Prowler services" in text
    assert f"| s3 | 2 | {n_s3} |" in text and f"| iam | 1 | {n_iam} |" in text


# --- mapping sanity of every shipped AWS control ------------------------------------------------


def _baseline(name: str) -> set[str]:
    return set(ct._framework(name)["ids"])


def test_every_aws_fedramp_id_is_in_the_moderate_or_high_baseline() -> None:
    allowed = _baseline("fedramp-rev5-moderate") | _baseline("fedramp-rev5-high")
    wrong = {c.id: sorted(set(c.mappings.get("fedramp-rev5", ())) - allowed) for c in ct.aws_controls()}
    assert {k: v for k, v in wrong.items() if v} == {}


def manual_claims(controls: list[Any]) -> dict[str, list[str]]:
    """Control id -> the manual CIS v7.0 recommendations it claims without saying so in its
    description (the note: the recommendation's number and the word "manual")."""
    cis = ct._framework("cis-aws-foundations-7.0")["recommendations"]
    out: dict[str, list[str]] = {}
    for c in controls:
        text = str(getattr(c, "description", "") or "")
        for rec in c.mappings.get("cis-aws-foundations-7.0", ()):
            noted = "manual" in text.lower() and re.search(rf"(?<![\d.]){re.escape(rec)}(?![\d])", text)
            if cis.get(rec, {}).get("assessment") == "manual" and not noted:
                out.setdefault(c.id, []).append(rec)
    return out


def test_manual_cis_recommendations_are_claimed_only_with_a_note() -> None:
    assert manual_claims(ct.aws_controls()) == {}


def test_manual_claim_check_finds_an_unnoted_claim() -> None:
    @dataclass
    class D(_C):
        description: str = ""

    bare = D("x", "aws.iam.root", {"cis-aws-foundations-7.0": ("2.1.1", "2.4")}, "Root has MFA.")
    noted = D("y", "aws.iam.root", {"cis-aws-foundations-7.0": ("2.1.1",)},
              "CIS 2.1.1 is a manual recommendation; govscan checks the part the API shows.")
    other = D("z", "aws.iam.root", {"cis-aws-foundations-7.0": ("2.1.1",)}, "CIS 2.1.12 is manual.")
    assert manual_claims([bare, noted, other]) == {"x": ["2.1.1"], "z": ["2.1.1"]}
