"""SARIF 2.1.0 report (DESIGN.md section 6) for code-scanning dashboards and CI.

- rules are the scan's controls (help = description + remediation, framework ids as tags and as
  ``relationships`` to a NIST SP 800-53 taxonomy);
- one result per finding with ``kind`` pass / fail / review (error) / notApplicable / open
  (notchecked); a fail carries ``level`` by severity, every other kind ``level: none``;
- results have logical locations (target -> resource), never physical ones (there is no source file);
- ``partialFingerprints`` hash control + target + resource, so the same problem matches across scans;
- a waived finding is a ``fail`` with an accepted external suppression; a finding whose waiver has
  expired carries a *rejected* suppression, so dashboards show it as open;
- error findings also become ``toolExecutionNotifications`` of the invocation.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from typing import IO, Any, Iterator, Mapping

from reports.base import Renderer
from reports.catalog import (
    NIST, control_description, evidence_text, fingerprint, framework_label, nist_catalog, nist_display,
    remediation_text, waivers_by_id,
)
from scanner.store import ScanView

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "govscanFinding/v1"

_KIND = {"pass": "pass", "fail": "fail", "waived": "fail", "error": "review",
         "notapplicable": "notApplicable", "notchecked": "open"}
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning reads this property (0.0-10.0) to rank security results.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _rule(control: Mapping[str, Any], nist_index: dict[str, int]) -> dict[str, Any]:
    mappings = control.get("mappings") or {}
    description = control_description(control) or control["title"]
    remediation = remediation_text(control)
    tags = ["security", "compliance", *(control.get("tags") or [])]
    tags += [f"{fw}/{cid}" for fw, ids in sorted(mappings.items()) for cid in ids]
    help_text = description + (f"\n\nRemediation: {remediation}" if remediation else "")
    rule: dict[str, Any] = {
        "id": control["id"],
        "name": control["id"],
        "shortDescription": {"text": control["title"]},
        "fullDescription": {"text": description},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _LEVEL.get(control["severity"], "warning")},
        "properties": {
            "tags": tags, "precision": "very-high", "problem.severity": _LEVEL.get(control["severity"], "warning"),
            "security-severity": _SECURITY_SEVERITY.get(control["severity"], "5.5"),
            "govscan/version": control.get("version"), "govscan/sha256": control.get("sha256"),
            "govscan/severity": control["severity"],
            "govscan/mappings": {fw: list(ids) for fw, ids in sorted(mappings.items())},
        },
    }
    relationships = [
        {"target": {"id": cid, "index": nist_index[cid], "toolComponent": {"name": framework_label(NIST), "index": 0}},
         "kinds": ["relevant"]}
        for cid in mappings.get(NIST, ()) if cid in nist_index
    ]
    if relationships:
        rule["relationships"] = relationships
    return rule


def _taxonomy(ids: list[str]) -> dict[str, Any]:
    catalog = nist_catalog()["controls"]
    return {
        "name": framework_label(NIST), "organization": "NIST", "version": "5.1.1",
        "informationUri": "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
        "shortDescription": {"text": "Security and Privacy Controls for Information Systems and Organizations"},
        "taxa": [{"id": cid, "name": nist_display(cid),
                  "shortDescription": {"text": catalog.get(cid, {}).get("title", cid)}} for cid in ids],
    }


class SarifRenderer(Renderer):
    """SARIF 2.1.0, validated against the OASIS schema; streamed so a million results fit in memory."""

    name = "sarif"
    extension = "sarif"
    description = "SARIF 2.1.0 for code-scanning dashboards"

    def render(self, view: ScanView, out: IO) -> None:
        nist_ids = sorted({cid for c in view.controls.values() for cid in (c.get("mappings") or {}).get(NIST, ())})
        nist_index = {cid: i for i, cid in enumerate(nist_ids)}
        rule_ids = list(view.controls)
        rule_index = {cid: i for i, cid in enumerate(rule_ids)}
        import scanner

        scan = view.scan
        driver = {
            "name": "govscan", "version": scan.get("tool_version") or scanner.__version__,
            "semanticVersion": scan.get("tool_version") or scanner.__version__,
            "rules": [_rule(view.controls[cid], nist_index) for cid in rule_ids],
        }
        if nist_ids:
            driver["supportedTaxonomies"] = [{"name": framework_label(NIST), "index": 0}]
        head = {
            "tool": {"driver": driver},
            "automationDetails": {"id": f"govscan/{scan.get('profile') or 'scan'}/{view.id}",
                                  "guid": view.id},
            "columnKind": "unicodeCodePoints",
            "properties": {
                "govscan/scanHash": scan.get("hash"), "govscan/prevHash": scan.get("prev_hash"),
                "govscan/profile": scan.get("profile"), "govscan/profileSha256": scan.get("profile_sha256"),
                "govscan/status": scan.get("status"), "govscan/gate": scan.get("gate"),
                "govscan/excluded": [{"control": e["control_id"], "reason": e["reason"]} for e in view.exclusions],
            },
        }
        if nist_ids:
            head["taxonomies"] = [_taxonomy(nist_ids)]
        # error notifications are spooled to a temporary file while the results stream: a scan's
        # errors can number hundreds of thousands, and they are written after the results
        notifications = tempfile.TemporaryFile("w+", encoding="utf-8")
        dump = json.dumps
        out.write('{"$schema": ' + dump(SCHEMA_URI) + ', "version": "2.1.0", "runs": [')
        out.write(dump(head, ensure_ascii=False)[:-1])  # leave the run object open for the results
        out.write(', "results": [')
        first = True
        for result in self._results(view, rule_index, notifications):
            out.write(("" if first else ",\n") + dump(result, ensure_ascii=False))
            first = False
        invocation: dict[str, Any] = {
            "executionSuccessful": scan.get("status") == "complete",
            "startTimeUtc": scan.get("started"), "endTimeUtc": scan.get("finished"),
            "toolExecutionNotifications": [],
            "properties": {"operator": scan.get("operator")},
        }
        invocation = {k: v for k, v in invocation.items() if v is not None}
        head_part, tail_part = dump(invocation, ensure_ascii=False).split('"toolExecutionNotifications": []', 1)
        out.write('], "invocations": [' + head_part + '"toolExecutionNotifications": [')
        with notifications:
            notifications.seek(0)
            shutil.copyfileobj(notifications, out)
        out.write("]" + tail_part + "]}]}\n")

    def _results(self, view: ScanView, rule_index: dict[str, int], notifications: IO[str]) -> Iterator[dict[str, Any]]:
        waivers = waivers_by_id(view.waivers)
        evidence: dict[str, tuple[str, str]] = {}
        for f in view.findings():
            status = f["status"]
            kind = _KIND.get(status, "review")
            sha = f.get("evidence_sha256") or ""
            if len(evidence) > 50_000:  # bounded memory on million-finding scans
                evidence.clear()
            if sha not in evidence:
                evidence[sha] = evidence_text(view.evidence(sha))
            expected, found = evidence[sha]
            text = f["message"]
            if status in ("fail", "waived") and (expected or found):
                text += f" (expected {expected}; found {found})"
            rid, tid = f["resource_id"], f["target_id"]
            # A resource id that already names its target (an error on the target itself) is not repeated.
            fqn = rid if rid.startswith(tid) else f"{tid}/{rid}"
            location = {"logicalLocations": [{"name": rid, "fullyQualifiedName": fqn, "kind": "resource"}]}
            result: dict[str, Any] = {
                "ruleId": f["control_id"], "kind": kind,
                "level": _LEVEL.get(f["severity"], "warning") if kind == "fail" else "none",
                "message": {"text": text}, "locations": [location],
                "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f["control_id"], f["target_id"], f["resource_id"])},
                "properties": {"status": status, "severity": f["severity"], "target": f["target_id"],
                               "resourceType": f["resource_type"], "region": f.get("region"),
                               "expected": expected, "found": found, "evidenceSha256": f.get("evidence_sha256")},
            }
            if f["control_id"] in rule_index:
                result["ruleIndex"] = rule_index[f["control_id"]]
            waiver = waivers.get(f.get("waiver_id") or "")
            if waiver is not None:
                result["suppressions"] = [_suppression(waiver, applied=status == "waived")]
            if status == "error":
                notifications.write(", " if notifications.tell() else "")
                json.dump({
                    "level": "error", "message": {"text": f["message"]},
                    "descriptor": {"id": f["control_id"]}, "locations": [location],
                }, notifications, ensure_ascii=False)
            yield result


def _suppression(waiver: Mapping[str, Any], *, applied: bool) -> dict[str, Any]:
    doc = waiver.get("document") or {}
    approved = doc.get("approved_by") or {}
    justification = str(doc.get("justification") or "")
    if not applied or waiver.get("state") == "expired":
        justification = f"waiver {waiver['id']} expired on {waiver.get('expires')}; no longer applies. " + justification
    return {
        "kind": "external",
        # An expired waiver is shown as a rejected suppression: the result counts as open again.
        "status": "accepted" if applied and waiver.get("state") != "expired" else "rejected",
        "justification": justification.strip(),
        "properties": {"waiver": waiver["id"], "type": doc.get("type"), "expires": waiver.get("expires"),
                       "poam": doc.get("poam_id"), "approvedBy": approved.get("name"),
                       "approverRole": approved.get("role"), "state": waiver.get("state")},
    }
