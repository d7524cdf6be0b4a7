"""The CI gate: decide the exit code from a scan's findings.

Exit 0 when the gate passes, 1 when an unwaived finding at or above the gate severity failed (or,
with ``fail_on_error``, a control could not be evaluated; with ``fail_on_notchecked``, a check did
not run). Findings not assessed (``notchecked``) are counted in the reason either way. Waived
findings never fail the gate; findings under an expired waiver are failures (unless
``expired_waivers: ignore``).

The default (no profile, or a profile without a ``gate`` block) is the one every shipped profile
uses: ``high``, with errors failing the gate. A gate severity of ``none`` (``--gate none``) is no
gate at all: it passes whatever the findings, errors included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from scanner.errors import UsageError
from scanner.model import SEVERITIES, Severity

DEFAULTS = {"fail_on_severity": "high", "fail_on_error": True, "expired_waivers": "fail"}
GATE_CHOICES = (*SEVERITIES, "none")


@dataclass(frozen=True)
class GateResult:
    passed: bool
    reason: str
    policy: Mapping[str, Any]

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def as_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reason": self.reason, **dict(self.policy)}


def policy(profile_gate: Mapping[str, Any] | None, cli_severity: str | None,
           profile: str | None = None) -> dict[str, Any]:
    """Gate settings: defaults < the profile's ``gate`` block < ``--gate``; ``source`` says which
    one set the severity (``default``, ``profile NAME`` or ``--gate``)."""
    out = dict(DEFAULTS)
    out.update(profile_gate or {})
    source = "default"
    if (profile_gate or {}).get("fail_on_severity") is not None:
        source = f"profile {profile}" if profile else "profile"
    if cli_severity is not None:
        if cli_severity not in GATE_CHOICES:
            raise UsageError(f"--gate {cli_severity!r}: expected one of {', '.join(GATE_CHOICES)}")
        out["fail_on_severity"] = cli_severity
        source = "--gate"
    out["source"] = source
    return out


def describe(settings: Mapping[str, Any]) -> str:
    """``high (default)``, ``medium (profile linux-baseline)``, ``none (--gate)``: the gate in force."""
    severity = settings.get("fail_on_severity", DEFAULTS["fail_on_severity"])
    source = settings.get("source")
    return f"{severity} ({source})" if source else str(severity)


def decide(rows: Sequence[Mapping[str, Any]], settings: Mapping[str, Any],
           expired_waiver_ids: set[str] | None = None) -> GateResult:
    """Gate over finding summaries (dicts with status, severity, waiver_id, control_id and count ``n``)."""
    threshold = settings.get("fail_on_severity", DEFAULTS["fail_on_severity"])
    if threshold == "none":
        return GateResult(True, "gate disabled (none): findings do not change the exit code", settings)
    rank = Severity(threshold).rank
    failing: dict[str, int] = {}
    errors = notchecked = 0
    for r in rows:
        if r["status"] == "fail":
            if settings.get("expired_waivers") == "ignore" and r.get("waiver_id") in (expired_waiver_ids or set()):
                continue
            if Severity(r["severity"]).rank >= rank:
                failing[r["control_id"]] = failing.get(r["control_id"], 0) + r.get("n", 1)
        elif r["status"] == "error":
            errors += r.get("n", 1)
        elif r["status"] == "notchecked":
            notchecked += r.get("n", 1)
    # a check that did not run is never a pass: the reason always says how many were not assessed
    unassessed = f"{notchecked} finding{'s' if notchecked != 1 else ''} not assessed (notchecked)"
    note = f"; {unassessed}" if notchecked else ""
    if failing:
        n = sum(failing.values())
        return GateResult(False, f"{n} failing finding{'s' if n != 1 else ''} at or above {threshold} "
                                 f"in {len(failing)} control{'s' if len(failing) != 1 else ''}{note}", settings)
    if errors and settings.get("fail_on_error", True):
        return GateResult(False, f"{errors} finding{'s' if errors != 1 else ''} could not be evaluated (error){note}",
                          settings)
    if notchecked and settings.get("fail_on_notchecked", False):
        return GateResult(False, unassessed, settings)
    return GateResult(True, "no unwaived failure at or above " + threshold + note, settings)
