"""SARIF 2.1.0 report (DESIGN.md section 6) for code-scanning dashboards and CI.

What a code-scanning dashboard shows is what needs attention, so by default one result per finding
that is ``fail`` (including a fail whose waiver expired: a *rejected* suppression), ``error`` (never
a pass: shown as a failing result saying it could not be evaluated) or ``waived`` (an *accepted*
external suppression). Passing, not applicable and not checked results are counted in the run's
properties and a notification; ``-O sarif.passes=true`` emits them too (kind pass / notApplicable /
open, level none).

Locations: every result location has a ``physicalLocation`` (GitHub code scanning rejects a file
whose results carry only logical locations). Where the finding's evidence names the file and line an
attribute was read from (``evidence.locations``: sshd_config, sysctl.d, login.defs, an nmap XML),
that file and line, under the ``TARGETS`` base (``<target>/<path>``), or as given when the path is
relative (a file of the repository, e.g. the nmap XML a pipeline scanned); otherwise a stable
artifact named ``<target>/<resource>`` under ``TARGETS``. Logical locations carry the target and the
resource (ARN, host, port).

GitHub's upload limits (docs/reports.md cites them) are kept: at most ``max-results`` results
(default 5,000: what code scanning displays of a run; hard limit 25,000), chosen deterministically
by severity, then fail before error before waived, then control, target and resource; the run's
notifications say what was left out. At most 10 tags per rule, 100 locations per result.
``partialFingerprints`` hash control + target + resource, so the same problem matches across scans.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import IO, Any, Iterable, Iterator, Mapping
from urllib.parse import quote

from reports.base import Renderer
from reports.catalog import (
    NIST, SEVERITY_RANK, evidence_text, fingerprint, framework_label, nist_catalog, nist_display,
)
from scanner.errors import UsageError
from scanner.store import ScanView
from scanner.store_view import ControlRecord, WaiverRecord, WaiverState

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "govscanFinding/v1"
BASE_ID = "TARGETS"

# GitHub code scanning limits (docs.github.com, "SARIF results exceed limits"): the display limits,
# so that nothing a user is shown was silently dropped by the dashboard.
MAX_RESULTS = 5000
HARD_MAX_RESULTS = 25000
MAX_TAGS = 10
MAX_LOCATIONS = 100

ATTENTION = ("fail", "error", "waived")
OTHER = ("notchecked", "pass", "notapplicable")
_KIND = {"pass": "pass", "fail": "fail", "waived": "fail", "error": "fail",
         "notapplicable": "notApplicable", "notchecked": "open"}
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning reads this property (0.0-10.0) to rank security results.
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
_STATUS_ORDER = {s: i for i, s in enumerate(ATTENTION + OTHER)}


def _rule(control: ControlRecord, nist_index: dict[str, int]) -> dict[str, Any]:
    mappings = control.mappings
    description = control.description or control.title
    remediation = control.remediation.text
    tags: list[str] = []
    for tag in ["security", "compliance", *control.tags,
                *(f"{fw}/{cid}" for fw, ids in sorted(mappings.items()) for cid in ids)]:
        if tag not in tags and len(tags) < MAX_TAGS:
            tags.append(str(tag))
    help_text = description + (f"\n\nRemediation: {remediation}" if remediation else "")
    rule: dict[str, Any] = {
        "id": control.id,
        "name": control.id,
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": description},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": _LEVEL.get(control.severity, "warning")},
        "properties": {
            "tags": tags, "precision": "very-high", "problem.severity": _LEVEL.get(control.severity, "warning"),
            "security-severity": _SECURITY_SEVERITY.get(control.severity, "5.5"),
            "govscan/version": control.version, "govscan/sha256": control.sha256,
            "govscan/severity": control.severity,
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


def _segment(value: str) -> str:
    """One URI path segment naming a target or resource (every reserved character percent-encoded)."""
    return quote(value, safe="") or "-"


def physical_locations(target_id: str, resource_id: str, evidence: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The physical locations of a finding: the files and lines its evidence names, else the resource."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for loc in (evidence or {}).get("locations") or []:
        if not isinstance(loc, Mapping) or not isinstance(loc.get("path"), str) or not loc["path"]:
            continue
        path, line = loc["path"], loc.get("line")
        line = line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else 0
        if (path, line) in seen:
            continue
        seen.add((path, line))
        if path.startswith("/"):  # a file on the scanned target
            artifact = {"uri": _segment(target_id) + quote(path, safe="/"), "uriBaseId": BASE_ID}
        else:  # relative: a file beside the scan (e.g. the nmap XML a pipeline scanned)
            artifact = {"uri": quote(path, safe="/")}
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if line:
            physical["region"] = {"startLine": line}
        entry: dict[str, Any] = {"physicalLocation": physical}
        if loc.get("attribute"):
            entry["message"] = {"text": f"{loc['attribute']} read here"}
        out.append(entry)
    if not out:
        uri = _segment(target_id) if resource_id == target_id else f"{_segment(target_id)}/{_segment(resource_id)}"
        out.append({"physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": BASE_ID}}})
    return out


class SarifRenderer(Renderer):
    """SARIF 2.1.0, validated against the OASIS schema; streamed so a million results fit in memory."""

    name = "sarif"
    extension = "sarif"
    description = "SARIF 2.1.0 for code-scanning dashboards"
    options = {
        "passes": "true: also emit pass, notapplicable and notchecked results (default false)",
        "max-results": f"most results to emit (default {MAX_RESULTS}, GitHub's display limit; at most {HARD_MAX_RESULTS})",
    }

    def check_options(self) -> None:
        self.flag("passes")
        self._max_results()

    def _max_results(self) -> int:
        raw = self.option("max-results", str(MAX_RESULTS)) or ""
        try:
            n = int(raw)
        except ValueError:
            n = -1
        if not 1 <= n <= HARD_MAX_RESULTS:
            raise UsageError(f"report option sarif.max-results={raw!r}: expected 1 to {HARD_MAX_RESULTS}")
        return n

    def render(self, view: ScanView, out: IO) -> None:
        statuses = ATTENTION + (OTHER if self.flag("passes") else ())
        limit = self._max_results()
        counts = view.counts()
        selected = _select(view, statuses, counts, limit)
        nist_ids = sorted({cid for c in view.controls.values() for cid in c.mappings.get(NIST, ())})
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
        totals = {s: sum(counts.get(s, {}).values()) for s in ATTENTION + OTHER}
        head = {
            "tool": {"driver": driver},
            "automationDetails": {"id": f"govscan/{scan.get('profile') or 'scan'}/{view.id}",
                                  "guid": view.id},
            "originalUriBaseIds": {BASE_ID: {"description": {
                "text": "Scanned targets, not files of this repository: <target>/<file path on the target> or "
                        "<target>/<resource>, each target and resource id percent-encoded."}}},
            "columnKind": "unicodeCodePoints",
            "properties": {
                "govscan/scanHash": scan.get("hash"), "govscan/prevHash": scan.get("prev_hash"),
                "govscan/profile": scan.get("profile"), "govscan/profileSha256": scan.get("profile_sha256"),
                "govscan/status": scan.get("status"), "govscan/gate": scan.get("gate"),
                "govscan/findings": totals, "govscan/emitted": sorted(statuses),
                "govscan/excluded": [{"control": e["control_id"], "reason": e["reason"]} for e in view.exclusions],
            },
        }
        if nist_ids:
            head["taxonomies"] = [_taxonomy(nist_ids)]
        notifications = _coverage_notes(totals, statuses, selected, limit)
        dump = json.dumps
        out.write('{"$schema": ' + dump(SCHEMA_URI) + ', "version": "2.1.0", "runs": [')
        out.write(dump(head, ensure_ascii=False)[:-1])  # leave the run object open for the results
        out.write(', "results": [')
        first = True
        for result in self._results(view, statuses, selected, rule_index, notifications):
            out.write(("" if first else ",\n") + dump(result, ensure_ascii=False))
            first = False
        invocation = {
            "executionSuccessful": scan.get("status") == "complete",
            "startTimeUtc": scan.get("started"), "endTimeUtc": scan.get("finished"),
            "toolExecutionNotifications": notifications,
            "properties": {"operator": scan.get("operator")},
        }
        invocation = {k: v for k, v in invocation.items() if v is not None}
        out.write('], "invocations": [' + dump(invocation, ensure_ascii=False) + "]}]}\n")

    def _results(self, view: ScanView, statuses: tuple[str, ...], selected: "_Selection",
                 rule_index: dict[str, int], notifications: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        evidence: dict[str, Any] = {}
        unreachable: set[tuple[str, str]] = set()
        for f in view.findings(status=statuses):
            if not selected.keeps(f):
                continue
            status = f["status"]
            sha = f.get("evidence_sha256") or ""
            if len(evidence) > 50_000:  # bounded memory on million-finding scans
                evidence.clear()
            if sha not in evidence:
                evidence[sha] = view.evidence(sha)
            ev = evidence[sha]
            expected, found = evidence_text(ev)
            text = f["message"]
            if status == "error":
                text = f"Could not be evaluated: {text}"
            elif status in ("fail", "waived") and (expected or found):
                text += f" (expected {expected}; found {found})"
            rid, tid = f["resource_id"], f["target_id"]
            logical = [{"name": tid, "fullyQualifiedName": tid, "kind": "target"}]
            if rid != tid:
                logical.append({"name": rid, "fullyQualifiedName": f"{tid}/{rid}", "kind": "resource"})
            locations = physical_locations(tid, rid, ev)[:MAX_LOCATIONS]
            locations[0]["logicalLocations"] = logical
            kind = _KIND.get(status, "fail")
            result: dict[str, Any] = {
                "ruleId": f["control_id"], "kind": kind,
                "level": _LEVEL.get(f["severity"], "warning") if kind == "fail" else "none",
                "message": {"text": text}, "locations": locations,
                "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f["control_id"], tid, rid)},
                "properties": {"status": status, "severity": f["severity"], "target": tid, "resource": rid,
                               "resourceType": f["resource_type"], "region": f.get("region"),
                               "expected": expected, "found": found, "evidenceSha256": f.get("evidence_sha256")},
            }
            if f["control_id"] in rule_index:
                result["ruleIndex"] = rule_index[f["control_id"]]
            waiver = view.waiver(f.waiver_id)
            if waiver is not None:
                result["suppressions"] = [_suppression(waiver, applied=f.waiver_state is WaiverState.WAIVED)]
            if status == "error" and (tid, f["message"]) not in unreachable and len(unreachable) < 100:
                unreachable.add((tid, f["message"]))  # one notification per distinct cause, not per control
                notifications.append({"level": "error", "message": {"text": _prefixed(tid, f["message"])},
                                      "descriptor": {"id": f["control_id"]}})
            yield result


class _Selection:
    """Which findings a truncated run keeps: whole (severity, status) groups, then the first ``partial``
    ids of the boundary group in (control, target, resource) order."""

    def __init__(self, cut: tuple[str, str] | None, groups: set[tuple[str, str]], partial: set[int]):
        self.cut, self.groups, self.partial = cut, groups, partial
        self.emitted = 0
        self.omitted: Counter = Counter()

    def keeps(self, f: Mapping[str, Any]) -> bool:
        group = (f["severity"], f["status"])
        keep = self.cut is None or group in self.groups or (group == self.cut and f["id"] in self.partial)
        if keep:
            self.emitted += 1
        return keep


def _group_order(severity: str, status: str) -> tuple[int, int]:
    return (-SEVERITY_RANK.get(severity, -1), _STATUS_ORDER.get(status, 99))


def _select(view: ScanView, statuses: Iterable[str], counts: Mapping[str, Mapping[str, int]], limit: int) -> _Selection:
    groups = sorted(((sev, st) for st in statuses for sev, n in (counts.get(st) or {}).items() if n),
                    key=lambda g: _group_order(*g))
    total = sum(counts[st][sev] for sev, st in groups)
    if total <= limit:
        return _Selection(None, set(groups), set())
    kept: set[tuple[str, str]] = set()
    room = limit
    for sev, st in groups:
        n = counts[st][sev]
        if n <= room:
            kept.add((sev, st))
            room -= n
            continue
        rows = sorted((f["control_id"], f["target_id"], f["resource_id"], f["id"])
                      for f in view.findings(status=[st], severity=[sev]))
        sel = _Selection((sev, st), kept, {r[3] for r in rows[:room]})
        for s2, st2 in groups:
            if (s2, st2) not in kept:
                sel.omitted[(s2, st2)] = counts[st2][s2] - (room if (s2, st2) == (sev, st) else 0)
        return sel
    return _Selection(None, set(groups), set())


def _coverage_notes(totals: Mapping[str, int], statuses: tuple[str, ...], selected: _Selection,
                    limit: int) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = []
    if selected.omitted:
        left = sum(selected.omitted.values())
        detail = ", ".join(f"{n} {st} {sev}" for (sev, st), n in sorted(selected.omitted.items(),
                                                                        key=lambda kv: _group_order(*kv[0])))
        notes.append({"level": "warning", "message": {"text": (
            f"Results truncated to {limit} (GitHub code scanning displays at most {MAX_RESULTS} per run): "
            f"{left} lower-severity results not included ({detail}); most severe first, then fail, error, "
            "waived, then control, target and resource. The CSV and HTML reports list every finding.")}})
    hidden = {s: totals.get(s, 0) for s in OTHER if s not in statuses and totals.get(s, 0)}
    if hidden:
        notes.append({"level": "note", "message": {"text": (
            "Not emitted (no attention needed): " + ", ".join(f"{n} {s}" for s, n in hidden.items())
            + ". govscan report -f sarif -O sarif.passes=true includes them.")}})
    if totals.get("notchecked") and "notchecked" not in statuses:
        notes.append({"level": "warning", "message": {"text": (
            f"{totals['notchecked']} results were not checked (not assessed, not a pass).")}})
    return notes


def _suppression(waiver: WaiverRecord, *, applied: bool) -> dict[str, Any]:
    justification = waiver.justification
    if not applied or waiver.state == "expired":
        justification = f"waiver {waiver.id} expired on {waiver.expires}; no longer applies. " + justification
    approved = waiver.approved_by
    return {
        "kind": "external",
        # An expired waiver is shown as a rejected suppression: the result counts as open again.
        "status": "accepted" if applied and waiver.state != "expired" else "rejected",
        "justification": justification.strip(),
        "properties": {"waiver": waiver.id, "type": waiver.type or None, "expires": waiver.expires,
                       "poam": waiver.poam_id or None, "approvedBy": approved.name or None,
                       "approverRole": approved.role or None, "state": waiver.state},
    }


def _prefixed(target_id: str, message: str) -> str:
    return message if message.startswith(target_id) else f"{target_id}: {message}"
