"""MITRE Heimdall Data Format (HDF: the InSpec exec-json results MITRE's SAF tools and Heimdall read).

One HDF document per target (HDF describes one system per run, and one unreachable target must not
turn every control of the others into an error; a scan with several targets gives a zip archive of
one ``NNN-<target>.json`` per target, as the checklists do). In it one HDF control per govscan control
of the target's kind (or with a result on it), one result per finding:

- pass -> ``passed``; fail -> ``failed``; error -> ``error``;
- waived -> ``failed`` with ``waiver_data`` (run: true, the justification and expiry): a waiver
  accepts the risk, it does not turn a failure into a pass;
- notchecked -> ``skipped`` (Heimdall: Not Reviewed), with the reason;
- notapplicable -> ``skipped``; a control whose every result is notapplicable gets impact 0, which
  Heimdall shows as Not Applicable (InSpec's own convention); a control with no result at all gets
  one skipped result saying so (Not Reviewed, never a pass).

Impact from severity: critical 1.0, high 0.7, medium 0.5, low 0.3, info 0.1 (never 0, which would
read as Not Applicable). Tags carry ``nist`` (SP 800-53 ids as printed: ``AC-6(2)``), ``severity``,
the other framework mappings, and STIG ``gid``/``rid``/``stig_id``/``cci`` when the control has them.
"""

from __future__ import annotations

import hashlib
import json
from typing import IO, Any, Mapping

from reports.base import Renderer
from reports.catalog import evidence_text, nist_display
from reports.cklb import profile_stigs
from scanner.store import ScanView
from scanner.store_view import ControlRecord

IMPACT = {"critical": 1.0, "high": 0.7, "medium": 0.5, "low": 0.3, "info": 0.1}
HDF_STATUS = {"pass": "passed", "fail": "failed", "waived": "failed", "error": "error",
              "notchecked": "skipped", "notapplicable": "skipped"}
MAX_RESULTS_PER_CONTROL = 5000


def _tags(control: ControlRecord, prefer: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """HDF tags; the STIG ids are those of the scan profile's STIG (``prefer``) when the control carries several."""
    nist = sorted({nist_display(i) for i in control.nist})
    tags: dict[str, Any] = {"nist": nist, "severity": control.severity or "medium"}
    for fw, ids in sorted(control.mappings.items()):
        if not fw.startswith(("nist-800-53", "fedramp-rev5")):
            tags[fw] = list(ids)
    stig = sorted(control.stig, key=lambda e: e.benchmark not in prefer)  # stable: the preferred STIG first
    if stig:
        tags["gid"] = stig[0].vuln_id
        tags["rid"] = stig[0].rule_id
        tags["stig_id"] = stig[0].stig_id
        tags["cci"] = sorted({c for e in stig for c in e.cci})
    return tags


def _result(view: ScanView, f: Mapping[str, Any], when: str) -> dict[str, Any]:
    status = f["status"]
    out: dict[str, Any] = {
        "status": HDF_STATUS.get(status, "error"),
        "code_desc": f"{f['target_id']}: {f['resource_type']} {f['resource_id']}: {f['message']}",
        "start_time": f.get("time") or when, "run_time": 0.0, "resource": f["resource_type"],
        "resource_id": f["resource_id"],
    }
    expected, found = evidence_text(view.evidence(f.get("evidence_sha256")))
    detail = f"{f['message']}" + (f"\nexpected: {expected}\nfound: {found}" if expected or found else "")
    if status in ("fail", "waived", "error"):
        out["message"] = detail
    elif status == "notchecked":
        out["skip_message"] = f"not checked: {detail}"
    elif status == "notapplicable":
        out["skip_message"] = f"not applicable: {detail}"
    return out


def _waiver_data(view: ScanView, results: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    active = sorted({f["waiver_id"] for f in results if f["status"] == "waived" and f.get("waiver_id")})
    if not active:
        return None
    parts, expiry = [], None
    for wid in active:
        w = view.waiver(wid)
        expiry = expiry or (w.expires if w is not None else None)
        parts.append(f"{wid}: {(w.justification if w is not None else '') or 'no justification recorded'}")
    return {"run": True, "skipped_due_to_waiver": False, "expiration_date": expiry,
            "justification": "; ".join(parts), "message": f"{len(active)} waiver(s) accept these failures"}


def _control(view: ScanView, c: ControlRecord, found: list[Mapping[str, Any]], target: str,
             when: str) -> dict[str, Any]:
    cid = c.id
    hdf_results = [_result(view, f, when) for f in found[:MAX_RESULTS_PER_CONTROL]]
    if len(found) > MAX_RESULTS_PER_CONTROL:
        hdf_results.append({"status": "skipped", "start_time": when, "code_desc": "more results in govscan",
                            "skip_message": f"{len(found) - MAX_RESULTS_PER_CONTROL} more result(s) not listed"})
    if not found:
        hdf_results = [{"status": "skipped", "start_time": when, "code_desc": f"{target}: {cid}: no result",
                        "skip_message": "govscan recorded no result for this control on this target"}]
    statuses = {f["status"] for f in found}
    impact = 0.0 if statuses == {"notapplicable"} else IMPACT.get(c.severity, 0.5)
    source = c.source or ""
    path, _, line = source.rpartition(":")
    control: dict[str, Any] = {
        "id": cid, "title": c.title or cid, "desc": c.description or c.title or cid,
        "descriptions": [{"label": "default", "data": c.description or c.title or cid},
                         {"label": "rationale", "data": c.rationale},
                         {"label": "check", "data": json.dumps(c.check, sort_keys=True)},
                         {"label": "fix", "data": c.remediation.text}],
        "impact": impact, "refs": [], "tags": _tags(c, profile_stigs(view)), "code": None,
        "source_location": {"ref": (path if line.isdigit() else source) or None,
                            "line": int(line) if line.isdigit() else None},
        "results": hdf_results,
    }
    waiver = _waiver_data(view, found)
    if waiver:
        control["waiver_data"] = waiver
    return control


def hdf_documents(view: ScanView) -> list[tuple[str, dict[str, Any]]]:
    """``(target id, HDF document)`` per target: HDF describes one system per run."""
    scan = view.scan
    when = scan.get("started") or "1970-01-01T00:00:00Z"
    results: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for f in view.findings():
        results.setdefault((f["target_id"], f["control_id"]), []).append(f)
    profile = str(scan.get("profile") or "govscan")
    digest = scan.get("profile_sha256") or hashlib.sha256(
        "\n".join(f"{cid} {c.sha256}" for cid, c in sorted(view.controls.items())).encode()).hexdigest()
    targets = [(t["id"], t.get("kind")) for t in view.targets]
    known = {tid for tid, _ in targets}
    targets += [(tid, None) for tid in sorted({tid for tid, _ in results} - known)]
    docs = []
    for tid, kind in targets:
        ids = [cid for cid, c in view.controls.items() if c.provider == kind or (tid, cid) in results]
        ids += sorted({cid for t, cid in results if t == tid} - set(ids))
        controls: list[dict[str, Any]] = []
        groups: dict[str, list[str]] = {}
        for cid in ids:
            c = view.control(cid, "medium")
            controls.append(_control(view, c, results.get((tid, cid), []), tid, when))
            groups.setdefault(c.provider or "govscan", []).append(cid)
        docs.append((tid, _document(view, tid, {
            "name": profile, "title": f"govscan {profile} on {tid} (scan {view.id})",
            "version": str(scan.get("seq") or ""), "sha256": digest, "summary": f"govscan scan {view.id}, target {tid}",
            "supports": [], "attributes": [], "status": "loaded",
            "groups": [{"id": g, "title": f"{g} controls", "controls": v} for g, v in sorted(groups.items())],
            "controls": controls,
        })))
    return docs


def _document(view: ScanView, target_id: str, profile: dict[str, Any]) -> dict[str, Any]:
    scan = view.scan
    return {
        "platform": {"name": "govscan", "release": str(scan.get("tool_version") or "-"), "target_id": target_id},
        "version": str(scan.get("tool_version") or "-"),
        "statistics": {"duration": _seconds(scan.get("started"), scan.get("finished"))},
        "profiles": [profile],
        "passthrough": {"govscan": {"scan_id": view.id, "target": target_id, "scan_hash": scan.get("hash"),
                                    "status": scan.get("status")}},
    }


def _seconds(start: str | None, end: str | None) -> float | None:
    import datetime as dt

    try:
        a = dt.datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        b = dt.datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, (b - a).total_seconds())


class HdfRenderer(Renderer):
    """Heimdall Data Format (InSpec exec-json) for MITRE Heimdall and the SAF CLI."""

    name = "hdf"
    extension = "json"
    binary = True
    description = "MITRE Heimdall Data Format (InSpec exec-json; a zip of one per target for several targets)"

    def render(self, view: ScanView, out: IO) -> None:
        from reports.cklb import file_name, write_per_target

        docs = hdf_documents(view)
        if not docs:
            from scanner.errors import UsageError

            raise UsageError("the scan has no target and no finding: there is nothing to write as HDF")
        write_per_target(out, [(file_name(n, tid, "json"), (json.dumps(doc, ensure_ascii=False) + "\n").encode())
                               for n, (tid, doc) in enumerate(docs, 1)])
