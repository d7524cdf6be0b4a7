"""DISA STIG Viewer 3 checklists (``.cklb``, JSON): one checklist per target of a scan.

Only controls carrying a ``stig`` identity (Vuln ID, Rule ID, STIG ID, CAT) appear; a scan with none
is refused (exit 2). Rules are keyed by benchmark and Vuln ID; several govscan controls may share
one rule (``shared_with``), then the rule takes the worst of their results on that target:

- any ``fail`` or ``waived`` result -> ``open`` (a waiver accepts a risk, it does not remove the
  finding: the waiver is written as the rule's comment);
- else any ``error`` or ``notchecked`` result, a control of the rule without any result on the
  target, or a ``shared_with`` partner not in the scan -> ``not_reviewed`` (never Not a Finding);
- else any ``pass`` -> ``not_a_finding``; else (only ``notapplicable``) -> ``not_applicable``.

A target gets a checklist when some STIG-identified control is of its kind (its provider) or has a
result on it: a host STIG says nothing about an AWS account or a network. A scan run with a STIG profile
(``stig-ubuntu2204``, ``stig-rhel9``: its snapshot holds the never-evaluated controls standing for the STIG's
rules no control implements) gets the checklist of that STIG only, although its controls also carry the rules
of the other STIG they implement. Finding details list every result with its message and evidence (expected / found), capped in
size. A scan with one target gives the checklist itself; with several targets the output is a zip
archive holding one checklist per target (``<n>-<target>.cklb``). UUIDs are uuid5 of the scan, so the
same scan always renders the same file.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterator, Mapping

from reports.base import Renderer
from reports.catalog import evidence_text
from scanner.store import ScanView
from scanner.store_view import ControlRecord, StigRef, WaiverRecord

MAX_DETAILS = 32_000
"""Most characters of finding details per rule (the rest is summarised)."""
MAX_RESULTS = 200
"""Most results listed in one rule's details."""
CAT_SEVERITY = {"CAT I": "high", "CAT II": "medium", "CAT III": "low"}
_BAD_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_IP = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:]+)$")
_FQDN = re.compile(r"^(?=.{4,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


@dataclass
class Rule:
    """One STIG rule on one target, with the govscan results that decide it."""

    benchmark: str
    entry: StigRef
    controls: list[ControlRecord] = field(default_factory=list)
    results: list[Mapping[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    status: str = "not_reviewed"
    details: str = ""
    comments: str = ""


@dataclass
class Checklist:
    """The checklist of one target: ``target`` row and rules grouped by benchmark."""

    target: Mapping[str, Any]
    rules: dict[str, list[Rule]]
    left_out: int


def profile_stigs(view: ScanView) -> set[str]:
    """The STIGs the scan's profile implements: those of its never-evaluated STIG rule controls (empty when none)."""
    return {e.benchmark for c in view.controls.values() if c.not_assessed for e in c.stig}


def stig_controls(view: ScanView) -> dict[tuple[str, str], list[tuple[ControlRecord, StigRef]]]:
    """(benchmark, vuln id) -> [(control, its STIG rule)] for every control of the scan with one; only the
    profile's STIG when the scan ran a STIG profile (controls carry the ids of both STIGs)."""
    out: dict[tuple[str, str], list[tuple[ControlRecord, StigRef]]] = {}
    for cid in sorted(view.controls):
        c = view.controls[cid]
        for e in c.stig:
            out.setdefault((e.benchmark, e.vuln_id), []).append((c, e))
    profiled = profile_stigs(view)
    return {k: v for k, v in out.items() if k[0] in profiled} if profiled else out


def rule_status(statuses: set[str], complete: bool) -> str:
    """The checklist status of a rule from its results' statuses (see the module doc)."""
    if statuses & {"fail", "waived"}:
        return "open"
    if not complete or not statuses or statuses & {"error", "notchecked"} or statuses - {"pass", "notapplicable"}:
        return "not_reviewed"
    return "not_a_finding" if "pass" in statuses else "not_applicable"


def checklists(view: ScanView) -> list[Checklist]:
    """One :class:`Checklist` per target of the scan (refuses a scan without STIG-identified controls)."""
    from scanner.errors import UsageError

    by_rule = stig_controls(view)
    if not by_rule:
        raise UsageError("no control of this scan carries a DISA STIG identity (the `stig` key): "
                         "a checklist would be empty; scan with controls that have one (govscan policy list)")
    if not view.targets:
        raise UsageError("the scan has no target: there is nothing to write a checklist for")
    stig_ids = {c.id for pairs in by_rule.values() for c, _ in pairs}
    left_out = len(set(view.controls) - stig_ids)
    results: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for f in view.findings():
        if f["control_id"] in stig_ids:
            results.setdefault((f["target_id"], f["control_id"]), []).append(f)
    out = []
    for t in view.targets:
        rules: dict[str, list[Rule]] = {}
        for (bench, _vuln), pairs in sorted(by_rule.items(), key=lambda kv: (kv[0][0], _vuln_key(kv[0][1]))):
            if not any(c.provider == t.get("kind") or (t["id"], c.id) in results for c, _ in pairs):
                continue  # a host STIG rule says nothing about an AWS account or a network
            rule = Rule(bench, pairs[0][1], [c for c, _ in pairs])
            for c, e in pairs:
                rule.results += results.get((t["id"], c.id), [])
                rule.missing += [p for p in e.shared_with if p not in view.controls]
                if not results.get((t["id"], c.id)):
                    rule.missing.append(c.id)
            rule.status = rule_status({r["status"] for r in rule.results}, complete=not rule.missing)
            rule.details = _details(view, t, rule)
            rule.comments = _comments(rule, view)
            rules.setdefault(bench, []).append(rule)
        if rules:
            out.append(Checklist(t, rules, left_out))
    if not out:
        raise UsageError("no target of this scan is of a kind the scan's STIG-identified controls check")
    return out


def _vuln_key(vuln: str) -> tuple[int, str]:
    digits = re.sub(r"\D", "", vuln)
    return (int(digits) if digits else 0, vuln)


def _details(view: ScanView, target: Mapping[str, Any], rule: Rule) -> str:
    lines = [f"govscan scan {view.id}, target {target['id']}: {len(rule.results)} result(s) of "
             f"{', '.join(c.id for c in rule.controls)}."]
    if target.get("error"):
        lines.append(f"Target error: {target['error']}")
    for cid in sorted(set(rule.missing)):
        lines.append(f"Not reviewed: control {cid} checks part of this rule and gave no result on this target.")
    for n, f in enumerate(rule.results):
        if n == MAX_RESULTS:
            lines.append(f"... {len(rule.results) - MAX_RESULTS} more result(s) in govscan (govscan findings -c ...).")
            break
        line = f"[{f['status']}] {f['control_id']} on {f['resource_type']} {f['resource_id']}: {f['message']}"
        expected, found = evidence_text(view.evidence(f.get("evidence_sha256")))
        if expected or found:
            line += f"\n    expected: {expected}\n    found: {found}"
        lines.append(line)
    text = "\n".join(lines)
    if len(text) > MAX_DETAILS:
        text = text[:MAX_DETAILS] + f"\n... (truncated at {MAX_DETAILS} characters)"
    return text


def _comments(rule: Rule, view: ScanView) -> str:
    out = []
    for wid in sorted({r["waiver_id"] for r in rule.results if r.get("waiver_id")}):
        w = view.waiver(wid) or WaiverRecord(wid, "", None, None)
        state = w.state or "unknown"
        head = f"Waiver {wid} ({w.type or 'waiver'}, {state}, expires {w.expires})"
        if state != "active":
            head += ": no longer applies, the finding stands"
        out.append(head + (f": {w.justification}" if w.justification else "")
                   + (f" (POA&M {w.poam_id})" if w.poam_id else ""))
    return "\n".join(out)


# -- the STIG Viewer 3 document ----------------------------------------------------------------

def checklist_uid(view: ScanView, *key: Any) -> str:
    ns = uuid.uuid5(uuid.NAMESPACE_URL, f"govscan:scan:{view.id}")
    return str(uuid.uuid5(ns, "\x1f".join(str(k) for k in key)))


def target_fields(t: Mapping[str, Any], left_out: int, view: ScanView) -> dict[str, Any]:
    """Asset fields shared by CKLB ``target_data`` and CKL ``ASSET``."""
    address = str(t.get("address") or "")
    host = str(t.get("name") or address or t["id"])
    comment = f"govscan scan {view.id}, target {t['id']} ({t.get('kind') or '-'})."
    if left_out:
        comment += f" {left_out} control(s) of the scan have no STIG identity and are not in this checklist."
    return {"host_name": host, "ip_address": address if _IP.match(address) else "",
            "fqdn": address if _FQDN.match(address) else "", "comments": comment}


def benchmark_info(bench: str) -> dict[str, str]:
    from scanner.policy.stig import benchmarks

    return benchmarks().get(bench) or {"title": bench, "stig_id": bench, "version": "", "release": ""}


def rule_fields(rule: Rule) -> dict[str, Any]:
    """Rule content shared by CKLB rules and CKL VULNs."""
    e, c = rule.entry, rule.controls[0]
    titles = "; ".join(x.title or x.id for x in rule.controls)
    discussion = "\n\n".join(filter(None, (x.description for x in rule.controls)))
    check = "\n".join(f"govscan control {x.id} {x.version or ''} ({x.resource}): "
                      f"{json.dumps(x.check, sort_keys=True)}" for x in rule.controls)
    fix = "\n".join(filter(None, (x.remediation.text for x in rule.controls)))
    return {"group_id": e.vuln_id, "rule_id_src": e.rule_id, "rule_id": e.rule_id.removesuffix("_rule"),
            "rule_version": e.stig_id, "severity": CAT_SEVERITY.get(e.severity, "medium"),
            "rule_title": titles, "group_title": c.title or c.id, "discussion": discussion,
            "check_content": check, "fix_text": fix, "ccis": list(e.cci)}


def cklb_document(view: ScanView, cl: Checklist) -> dict[str, Any]:
    t = cl.target
    when = view.scan.get("finished") or view.scan.get("started")
    tf = target_fields(t, cl.left_out, view)
    stigs = []
    for bench, rules in cl.rules.items():
        info = benchmark_info(bench)
        suid = checklist_uid(view, "stig", t["id"], bench)
        out_rules = []
        for r in rules:
            rf = rule_fields(r)
            out_rules.append({
                "uuid": checklist_uid(view, "rule", t["id"], bench, rf["group_id"]), "stig_uuid": suid, "target_key": None,
                "stig_ref": None, "group_id": rf["group_id"], "rule_id": rf["rule_id"], "rule_id_src": rf["rule_id_src"],
                "weight": "10.0", "classification": "UNCLASSIFIED", "severity": rf["severity"],
                "rule_version": rf["rule_version"], "group_title": rf["group_title"], "rule_title": rf["rule_title"],
                "fix_text": rf["fix_text"], "false_positives": None, "false_negatives": None,
                "discussion": rf["discussion"], "check_content": rf["check_content"], "documentable": "false",
                "mitigations": None, "potential_impacts": None, "third_party_tools": None,
                "mitigation_control": None, "responsibility": None, "security_override_guidance": None,
                "ia_controls": None, "check_content_ref": {"href": "", "name": "M"}, "legacy_ids": [],
                "group_tree": [{"id": rf["group_id"], "title": rf["group_title"], "description": ""}],
                "createdAt": when, "updatedAt": when, "STIGUuid": suid, "status": r.status, "overrides": {},
                "comments": r.comments or None, "finding_details": r.details, "ccis": rf["ccis"],
            })
        stigs.append({"stig_name": info["title"], "display_name": info["title"], "stig_id": info["stig_id"],
                      "version": info.get("version", ""), "release_info": info.get("release", ""), "uuid": suid,
                      "reference_identifier": "", "size": len(out_rules), "rules": out_rules})
    return {
        "title": f"govscan {t['id']}", "id": checklist_uid(view, "checklist", t["id"]), "active": False, "mode": 1,
        "has_path": True, "cklb_version": "1.0",
        "target_data": {"target_type": "Computing", "host_name": tf["host_name"], "ip_address": tf["ip_address"],
                        "mac_address": "", "fqdn": tf["fqdn"], "comments": tf["comments"], "role": "None",
                        "is_web_database": False, "technology_area": "", "web_db_site": "", "web_db_instance": ""},
        "stigs": stigs,
    }


def file_name(index: int, target_id: str, extension: str) -> str:
    """A safe archive member name for a target's checklist (target ids come from the inventory)."""
    return f"{index:03d}-{_BAD_NAME.sub('_', target_id).strip('._')[:80] or 'target'}.{extension}"


def write_per_target(out: IO[bytes], members: list[tuple[str, bytes]]) -> None:
    """One target's file: its bytes; several: a zip archive of one file per target."""
    if len(members) == 1:
        out.write(members[0][1])
        return
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    out.write(buf.getvalue())


def write_checklists(view: ScanView, out: IO[bytes], extension: str,
                     render: Callable[[ScanView, Checklist], bytes]) -> None:
    """The checklist of each target (:func:`write_per_target`)."""
    write_per_target(out, [(file_name(n, str(cl.target["id"]), extension), render(view, cl))
                           for n, cl in enumerate(checklists(view), 1)])


def iter_rules(cl: Checklist) -> Iterator[Rule]:
    for rules in cl.rules.values():
        yield from rules


class CklbRenderer(Renderer):
    """STIG Viewer 3 checklist per target (a zip of them when the scan has several targets)."""

    name = "cklb"
    extension = "cklb"
    binary = True
    description = "DISA STIG Viewer 3 checklist (JSON; a zip of one per target for several targets)"

    def render(self, view: ScanView, out: IO) -> None:
        write_checklists(view, out, "cklb", lambda v, cl: (json.dumps(cklb_document(v, cl), ensure_ascii=False,
                                                                      indent=2) + "\n").encode("utf-8"))
