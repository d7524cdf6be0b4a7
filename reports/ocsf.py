"""OCSF 1.8 Compliance Finding events (class_uid 2003), one per finding, as a JSON array.

Mapping (DESIGN.md section 6): pass -> compliance.status_id 1 (Pass); fail -> 3 (Fail);
error and notchecked -> 2 (Warning: no result for lack of information); waived -> 3 with the
finding's own ``status_id`` 3 (Suppressed); notapplicable findings are omitted.
"""

from __future__ import annotations

import calendar
import functools
import json
import time as _time
from typing import IO, Any, Iterator, Mapping

from reports.base import Renderer
from reports.catalog import NIST, evidence_text, fingerprint, framework_label, nist_display
from scanner.store import ScanView

OCSF_VERSION = "1.8.0"
CLASS_UID = 2003
CATEGORY_UID = 2
ACTIVITY_CREATE = 1

_COMPLIANCE = {"pass": (1, "Pass"), "fail": (3, "Fail"), "waived": (3, "Fail"),
               "error": (2, "Warning"), "notchecked": (2, "Warning")}
_SEVERITY = {"info": (1, "Informational"), "low": (2, "Low"), "medium": (3, "Medium"),
             "high": (4, "High"), "critical": (5, "Critical")}


@functools.lru_cache(maxsize=1024)  # a batch of findings shares one timestamp
def _epoch_ms(stamp: str | None) -> int:
    """``2026-01-02T03:04:05Z`` -> milliseconds since the epoch (OCSF ``timestamp_t``)."""
    if not stamp:
        return 0
    return calendar.timegm(_time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) * 1000


def _requirements(mappings: Mapping[str, Any]) -> list[str]:
    out = []
    for fw, ids in sorted(mappings.items()):
        for cid in ids:
            out.append(f"{framework_label(fw)} {nist_display(cid) if fw in (NIST, 'fedramp-rev5') else cid}")
    return out


class OcsfRenderer(Renderer):
    """OCSF Compliance Finding events, streamed as one JSON array."""

    name = "ocsf"
    extension = "ocsf.json"
    description = "OCSF 1.8 Compliance Finding events (class 2003)"

    def render(self, view: ScanView, out: IO) -> None:
        out.write("[")
        first = True
        for event in self.events(view):
            out.write(("\n" if first else ",\n") + json.dumps(event, ensure_ascii=False))
            first = False
        out.write("\n]\n")

    def events(self, view: ScanView) -> Iterator[dict[str, Any]]:
        """The events of ``view``, in finding order."""
        import scanner

        evidence: dict[str, tuple[str, str]] = {}
        product = {"name": "govscan", "vendor_name": "govscan", "version": view.scan.get("tool_version") or scanner.__version__}
        for f in view.findings():
            if f["status"] not in _COMPLIANCE:
                continue  # notapplicable: no compliance statement to make
            control = view.control(f["control_id"])
            mappings = control.mappings
            status_id, status = _COMPLIANCE[f["status"]]
            sev_id, sev = _SEVERITY.get(f["severity"], (99, "Other"))
            sha = f.get("evidence_sha256") or ""
            if len(evidence) > 50_000:  # bounded memory on million-finding scans
                evidence.clear()
            if sha not in evidence:
                evidence[sha] = evidence_text(view.evidence(sha))
            expected, found = evidence[sha]
            created = _epoch_ms(f.get("time"))
            details = [d for d in (f"expected: {expected}" if expected else "",
                                   f"found: {found}" if found else "") if d]
            waiver = view.waiver(f.waiver_id)
            suppressed = f["status"] == "waived"
            if waiver is not None:
                details.append(f"waiver {waiver.id} ({waiver.state}, expires {waiver.expires})")
            check = {"uid": f["control_id"], "name": control.title or f["control_id"],
                     "desc": control.description or None, "version": control.version,
                     "severity": f["severity"], "severity_id": sev_id, "status": status, "status_id": status_id,
                     "standards": [framework_label(fw) for fw in sorted(mappings)]}
            event: dict[str, Any] = {
                "activity_id": ACTIVITY_CREATE, "activity_name": "Create",
                "category_uid": CATEGORY_UID, "category_name": "Findings",
                "class_uid": CLASS_UID, "class_name": "Compliance Finding",
                "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE, "type_name": "Compliance Finding: Create",
                "severity_id": sev_id, "severity": sev,
                "time": created, "message": f["message"],
                "status_id": 3 if suppressed else 1, "status": "Suppressed" if suppressed else "New",
                "status_code": f["status"],
                "metadata": {"version": OCSF_VERSION, "product": product, "uid": f["hash"],
                             "correlation_uid": view.id, "log_name": "govscan",
                             "original_time": f.get("time")},
                "finding_info": {
                    "uid": fingerprint(f["control_id"], f["target_id"], f["resource_id"]),
                    "title": control.title or f["control_id"],
                    "desc": f["message"], "created_time": created,
                    "types": [f["resource_type"]],
                    "product": product,
                },
                "compliance": {
                    "control": f["control_id"], "standards": [framework_label(fw) for fw in sorted(mappings)],
                    "requirements": _requirements(mappings), "status_id": status_id, "status": status,
                    "status_code": f["status"], "status_details": details, "checks": [_clean(check)],
                },
                "resources": [_clean({"uid": f["resource_id"], "type": f["resource_type"],
                                      "region": f.get("region"), "group": {"name": f["target_id"]}})],
            }
            remediation = control.remediation.text
            if remediation:
                event["remediation"] = {"desc": remediation}
            if f.get("evidence_sha256"):
                event["compliance"]["status_details"].append(f"evidence sha256: {f['evidence_sha256']}")
            yield event


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v is not None}
