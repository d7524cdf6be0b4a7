"""OSCAL 1.1.3 assessment results, the assessment plan they import, and a POA&M.

Mapping (DESIGN.md section 6): every finding row becomes an observation carrying its evidence
(``relevant-evidence`` points at ``evidence/<sha256>.json`` inside an evidence pack); every NIST SP
800-53 control a govscan control maps to gets one finding on its objective (``<id>_obj``):
``satisfied`` when all its results pass, ``not-satisfied`` with reason ``fail`` (a fail or a waived
fail) or ``other`` (an error, nothing failed, or passes beside results not assessed: notchecked);
notapplicable and notchecked results alone are observations only. Unwaived fails of a control form
one ``open`` risk; waived fails one ``deviation-approved`` risk per waiver, with the waiver's expiry
as deadline. The POA&M lists those risks as items.

UUIDs are uuid5 of the scan id and a stable key, so the same scan always renders the same document.
The documents are written as they are produced (:mod:`reports.jsonstream`): one pass over the findings
gathers what the findings, risks and POA&M items say (counts and finding ids, 8 bytes per reference),
and the observations are read again from the store while they are written, so memory does not grow
with the scan.
Resource data is attacker-controlled: markup fields escape Markdown, token-typed fields escape
control characters (the schema's StringDatatype forbids line breaks and edge whitespace).
"""

from __future__ import annotations

import base64
import json
import uuid
import weakref
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Mapping

from reports.jsonstream import Stream, materialise, write
from reports.oscal_text import NS, NIST_FRAMEWORKS, _datetime, md, nist_ids, prop, text
from scanner.store import ScanView
from scanner.store_view import WaiverState, control_sort_key as _control_sort_key

__all__ = ["AP_HREF", "NIST_FRAMEWORKS", "NS", "OSCAL_VERSION", "OscalBuilder", "builder", "documents", "dump",
           "md", "nist_ids", "prop", "render_plan", "text"]

OSCAL_VERSION = "1.1.3"
AP_HREF = "assessment-plan.json"


@dataclass
class _Objective:
    """What the results say about one NIST control."""

    controls: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)
    observations: array = field(default_factory=lambda: array("q"))
    """Ids of the findings whose observations bear on the control."""
    risks: list[str] = field(default_factory=list)


class OscalBuilder:
    """Builds the AP, AR and POA&M of one stored scan from a single pass over its findings."""

    def __init__(self, view: ScanView, *, system_id: str | None = None, system_id_type: str | None = None,
                 ssp_href: str | None = None, in_pack: bool = False):
        self.view = view
        self.scan = view.scan
        self.system_id, self.system_id_type, self.ssp_href = system_id, system_id_type, ssp_href
        self.in_pack = in_pack
        """True when the documents are written into an evidence pack (evidence/<sha256>.json beside them)."""
        self.totals: dict[str, int] = {}
        self._ns = uuid.uuid5(uuid.NAMESPACE_URL, f"govscan:scan:{view.id}")
        self.start = self.scan["started"]
        self.end = self.scan.get("finished") or self.start
        self.tool_uuid = self.uid("component", "govscan")
        self.objectives: dict[str, _Objective] = {}
        # (control_id, waiver_id or None) -> ids of the failing findings it covers
        self.risk_groups: dict[tuple[str, str | None], array] = {}
        self._last_id = 0
        """The last finding id of the first pass: later passes stop there (a scan still being written)."""
        self._evidence: dict[str | None, dict[str, Any]] = {}
        self._targets: dict[str, str] = {}
        self.lapsed: dict[str, set[str]] = {}
        """control id -> ids of expired waivers its open failures carry."""
        self._collect()

    def uid(self, *key: Any) -> str:
        return str(uuid.uuid5(self._ns, "\x1f".join("" if k is None else str(k) for k in key)))

    # -- one pass over the findings ----------------------------------------------------------

    def _collect(self) -> None:
        nist = {cid: c.nist for cid, c in self.view.controls.items()}
        for f in self.view.findings():
            fid = f["id"]
            self._last_id = max(self._last_id, fid)
            status = f["status"]
            self.totals[status] = self.totals.get(status, 0) + 1
            for nid in nist.get(f["control_id"], []):
                o = self.objectives.setdefault(nid, _Objective())
                o.controls.add(f["control_id"])
                o.statuses[status] = o.statuses.get(status, 0) + 1
                o.observations.append(fid)
            if status == "fail" or status == "waived":
                waiver = f["waiver_id"] if f.waiver_state is WaiverState.WAIVED else None
                if f.waiver_state is WaiverState.EXPIRED:
                    self.lapsed.setdefault(f["control_id"], set()).add(f["waiver_id"])
                self.risk_groups.setdefault((f["control_id"], waiver), array("q")).append(fid)
        for (cid, waiver) in self.risk_groups:
            for nid in nist.get(cid, []):
                self.objectives[nid].risks.append(self.uid("risk", cid, waiver))

    def _observations(self, statuses: tuple[str, ...] | None = None) -> Iterator[dict[str, Any]]:
        """The observations of the findings of the first pass (those with ``statuses``), read again."""
        for f in self.view.findings(status=statuses):
            if f["id"] <= self._last_id:
                yield self._observation(f)

    def _related(self, ids: array) -> Stream:
        """``related-observations`` entries of the findings ``ids``, made while written."""
        return Stream(lambda: ({"observation-uuid": self.uid("observation", i)} for i in ids))

    def _observation(self, f: Mapping[str, Any]) -> dict[str, Any]:
        status = f["status"]
        sha = f["evidence_sha256"]
        if sha not in self._evidence:  # findings share evidence blobs: read each once
            self._evidence = self._evidence if len(self._evidence) < 10000 else {}
            ev_all: Mapping[str, Any] = self.view.evidence(sha) or {}
            self._evidence[sha] = {k: ev_all.get(k) for k in ("expected", "found", "error")}
        ev = self._evidence[sha]
        desc = f"{md(f['message'])}"
        if ev.get("expected") or ev.get("found"):
            desc += f"\n\nExpected: {md(ev.get('expected'))}; found: {md(ev.get('found'))}."
        if ev.get("error"):
            desc += f"\n\nError: {md(ev['error'])}"
        props = [prop("control-id", f["control_id"]), prop("result", status), prop("severity", f["severity"]),
                 prop("target", f["target_id"]), prop("resource", f["resource_id"]),
                 prop("resource-type", f["resource_type"])]
        if f.get("region"):
            props.append(prop("region", f["region"]))
        if f.get("waiver_id"):
            w = self.view.waiver(f["waiver_id"])
            state = w.state if w is not None else "unknown"
            props += [prop("waiver", f["waiver_id"]), prop("waiver-state", state)]
        obs: dict[str, Any] = {
            "uuid": self.uid("observation", f["id"]),
            "title": md(f"{f['control_id']} on {f['resource_id']}: {status}"),
            "description": desc,
            "props": props,
            "methods": ["TEST"],
            "types": ["finding" if status in ("fail", "error", "waived") else "control-objective"],
            "origins": [self._origin()],
            "subjects": [{"subject-uuid": self._target_uid(f["target_id"]), "type": "inventory-item",
                          "title": md(f["target_id"])}],
            "collected": f["time"] or self.start,
        }
        if f["evidence_sha256"]:
            evidence: dict[str, Any] = {"props": [prop("sha256", f["evidence_sha256"])]}
            if self.in_pack:
                evidence["href"] = f"evidence/{f['evidence_sha256']}.json"
                evidence["description"] = "Evidence observed by govscan (JSON, named by its sha256)."
            else:  # no file beside a standalone document: say where the evidence is kept
                evidence["description"] = (f"Evidence observed by govscan: JSON with sha256 {f['evidence_sha256']} in "
                                           "the govscan database (govscan findings --json; govscan evidence pack).")
            obs["relevant-evidence"] = [evidence]
        return obs

    def _target_uid(self, target_id: str) -> str:
        if target_id not in self._targets:
            self._targets[target_id] = self.uid("target", target_id)
        return self._targets[target_id]

    def _expires(self, waiver_id: str) -> str | None:
        w = self.view.waiver(waiver_id)
        return w.expires if w is not None else None

    def _origin(self) -> dict[str, Any]:
        return {"actors": [{"type": "tool", "actor-uuid": self.tool_uuid}]}

    # -- shared pieces -----------------------------------------------------------------------

    def metadata(self, title: str) -> dict[str, Any]:
        s = self.scan
        props = [prop("scan-id", self.view.id), prop("scan-hash", s.get("hash") or "unsealed"),
                 prop("scan-status", s["status"]), prop("profile", s.get("profile") or "-"),
                 prop("tool-version", s.get("tool_version") or "-")]
        if self.system_id:
            props.append(prop("system-id", self.system_id))
        return {"title": title, "last-modified": self.end, "version": text(f"scan-{s.get('seq') or 0}"),
                "oscal-version": OSCAL_VERSION, "props": props}

    def system_identifier(self) -> dict[str, str]:
        """The POA&M's system-id: the one the user named, else a uuid derived from the scanned targets."""
        if self.system_id:
            try:
                uuid.UUID(self.system_id)
                default_type = "https://ietf.org/rfc/rfc4122"
            except ValueError:
                default_type = "http://fedramp.gov/ns/oscal"
            return {"identifier-type": self.system_id_type or default_type, "id": text(self.system_id)}
        targets = "\x1f".join(sorted(t["id"] for t in self.view.targets))
        return {"identifier-type": "https://ietf.org/rfc/rfc4122",
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"govscan:system:{targets}"))}

    def reviewed_controls(self) -> dict[str, Any]:
        ids = sorted({n for c in self.view.controls.values() for n in c.nist}, key=_control_sort_key)
        if not ids:  # the schema needs a selection; say plainly that none maps to NIST
            return {"description": "No control of this scan maps to NIST SP 800-53.",
                    "control-selections": [{"description": "none"}]}
        return {"description": "NIST SP 800-53 rev5 controls the scan's govscan controls map to.",
                "control-selections": [{"include-controls": [{"control-id": i} for i in ids]}]}

    def local_definitions(self) -> dict[str, Any]:
        tool = {"uuid": self.tool_uuid, "type": "software", "title": "govscan",
                "description": "govscan security compliance scanner.",
                "props": [{"name": "version", "value": text(self.scan.get("tool_version") or "-")}],
                "status": {"state": "operational"}}
        items = []
        for t in self.view.targets:
            props = [prop("target", t["id"]), prop("kind", t["kind"]), prop("address", t.get("address") or "-")]
            if t.get("error"):
                props.append(prop("error", t["error"]))
            items.append({"uuid": self.uid("target", t["id"]), "description": md(t.get("name") or t["id"]),
                          "props": props})
        out: dict[str, Any] = {"components": [tool]}
        if items:
            out["inventory-items"] = items
        return out

    # -- risks -------------------------------------------------------------------------------

    def risks(self) -> list[dict[str, Any]]:
        out = []
        for (cid, waiver_id), ids in self.risk_groups.items():
            c = self.view.control(cid, "unknown")
            risk: dict[str, Any] = {
                "uuid": self.uid("risk", cid, waiver_id),
                "title": md(f"{cid}: {c.title or cid}"),
                "description": md(c.description or c.title or cid),
                "statement": md(f"{len(ids)} resource(s) fail {cid} ({c.severity} severity)."
                                + (f" Rationale: {c.rationale}" if c.rationale else "")),
                "props": [prop("control-id", cid), prop("severity", c.severity or "unknown")],
                "status": "open",
                "origins": [self._origin()],
            }
            remediation = c.remediation.text
            if remediation:
                risk["remediations"] = [{"uuid": self.uid("response", cid, waiver_id), "lifecycle": "recommendation",
                                         "title": md(f"Remediate {cid}"), "description": md(remediation)}]
            lapsed = sorted(self.lapsed.get(cid, ())) if not waiver_id else []
            if lapsed:
                risk["statement"] += " Expired waivers no longer cover: " + ", ".join(
                    f"{md(w)} (expired {md(self._expires(w))})" for w in lapsed) + "."
            if waiver_id:
                waiver = self.view.waiver(waiver_id)
                risk["status"] = "deviation-approved" if waiver is not None and waiver.active else "open"
                risk["props"].append(prop("waiver", waiver_id))
                if waiver is not None and waiver.type:
                    risk["props"].append(prop("waiver-type", waiver.type))
                risk["deadline"] = _datetime(self._expires(waiver_id), self.end)
                justification = waiver.justification if waiver is not None else None
                risk["statement"] += f" Deviation {md(waiver_id)} approved: {md(justification or None)}"
            risk["related-observations"] = self._related(ids)
            out.append(risk)
        return out

    # -- documents ---------------------------------------------------------------------------

    def assessment_plan(self) -> dict[str, Any]:
        """A minimal assessment plan: the controls and targets the scan was set to assess."""
        ssp = self.uid("resource", "ssp")
        import_ssp = ({"href": self.ssp_href} if self.ssp_href else
                      {"href": f"#{ssp}", "remarks": "No SSP was given to govscan (-O ssp=HREF); the back-matter "
                                                     "resource says so."})
        return {"assessment-plan": {
            "uuid": self.uid("assessment-plan"),
            "metadata": self.metadata(f"govscan assessment plan: profile {text(self.scan.get('profile'))}"),
            "import-ssp": import_ssp,
            "local-definitions": self.local_definitions(),
            "reviewed-controls": self.reviewed_controls(),
            "assessment-subjects": [{"type": "inventory-item", "description": "Every target of the scan.",
                                     "include-all": {}}],
            "back-matter": {"resources": [{
                "uuid": ssp, "title": "System security plan (not supplied)",
                "description": "The system boundary is the govscan inventory and targets of this scan."}]},
        }}

    def assessment_results(self) -> dict[str, Any]:
        findings = []
        for nid, o in sorted(self.objectives.items(), key=lambda kv: _control_sort_key(kv[0])):
            state = _objective_state(o.statuses)
            if state is None:
                continue  # only notapplicable/notchecked: observations only
            counts = ", ".join(f"{n} {s}" for s, n in sorted(o.statuses.items()))
            finding: dict[str, Any] = {
                "uuid": self.uid("finding", nid),
                "title": f"{nid}: {state[0]}",
                "description": md(f"govscan controls {', '.join(sorted(o.controls))}: {counts}."),
                "props": [prop("control-id", c) for c in sorted(o.controls)],
                "origins": [self._origin()],
                "target": {"type": "objective-id", "target-id": f"{nid}_obj",
                           "status": {"state": state[0], "reason": state[1]}},
                "related-observations": self._related(o.observations),
            }
            if o.risks:
                finding["related-risks"] = [{"risk-uuid": u} for u in o.risks]
            findings.append(finding)
        result: dict[str, Any] = {
            "uuid": self.uid("result"),
            "title": f"govscan scan {self.view.id}",
            "description": md(f"Automated assessment by govscan, profile {self.scan.get('profile') or '-'}."),
            "start": self.start, "end": self.end,
            "props": [prop("scan-id", self.view.id)],
            "local-definitions": self.local_definitions(),
            "reviewed-controls": self.reviewed_controls(),
        }
        if sum(self.totals.values()):
            result["observations"] = Stream(self._observations)
        risks = self.risks()
        if risks:
            result["risks"] = risks
        if findings:
            result["findings"] = findings
        doc: dict[str, Any] = {
            "uuid": self.uid("assessment-results"),
            "metadata": self.metadata(f"govscan assessment results: profile {text(self.scan.get('profile'))}"),
        }
        if self.in_pack:
            doc["import-ap"] = {"href": AP_HREF, "remarks": "assessment-plan.json beside this file in the evidence pack."}
        else:  # standalone: the plan travels inside the document, so the reference resolves wherever it is
            ap_uuid = self.uid("resource", "assessment-plan")
            plan = json.dumps(self.assessment_plan(), ensure_ascii=False, sort_keys=True).encode("utf-8")
            doc["import-ap"] = {"href": f"#{ap_uuid}", "remarks": "The assessment plan is embedded in back-matter."}
            doc["back-matter"] = {"resources": [{
                "uuid": ap_uuid, "title": "govscan assessment plan",
                "description": "The OSCAL assessment plan of this scan (also: govscan report -f oscal-ap).",
                "base64": {"filename": AP_HREF, "media-type": "application/oscal.ap+json",
                           "value": base64.b64encode(plan).decode("ascii")}}]}
        doc["results"] = [result]
        return {"assessment-results": doc}

    def poam(self) -> dict[str, Any]:
        risks = self.risks()
        items = []
        for r, ((cid, waiver_id), _obs) in zip(risks, self.risk_groups.items()):
            w = self.view.waiver(waiver_id)
            item: dict[str, Any] = {
                "uuid": self.uid("poam-item", cid, waiver_id), "title": r["title"],
                "description": r["statement"], "props": list(r["props"]), "origins": [self._origin()],
                "related-observations": r["related-observations"], "related-risks": [{"risk-uuid": r["uuid"]}],
            }
            if w is not None and w.poam_id:
                item["props"].append(prop("poam-id", w.poam_id))
            items.append(item)
        doc: dict[str, Any] = {
            "uuid": self.uid("poam"),
            "metadata": self.metadata(f"govscan POA&M: profile {text(self.scan.get('profile'))}"),
        }
        if self.ssp_href:
            doc["import-ssp"] = {"href": self.ssp_href}
        doc["system-id"] = self.system_identifier()
        doc["local-definitions"] = {k: v for k, v in self.local_definitions().items()}
        if self.risk_groups:
            doc["observations"] = Stream(lambda: self._observations(("fail", "waived")))
            doc["risks"] = risks
        doc["poam-items"] = items + self._coverage_items(bool(items))
        return {"plan-of-action-and-milestones": doc}

    def _coverage_items(self, has_risks: bool) -> list[dict[str, Any]]:
        """What the POA&M must say besides the risks: what was not assessed, or that nothing was."""
        t = self.totals
        unassessed = t.get("error", 0) + t.get("notchecked", 0)
        counts = ", ".join(f"{n} {s}" for s, n in sorted(t.items())) or "no results"
        if not (t.get("pass") or t.get("fail") or t.get("waived")):
            return [{"uuid": self.uid("poam-item", "nothing-assessed"), "title": "Nothing was assessed",
                     "description": md(f"No control could be evaluated on any target of this scan ({counts}): "
                                       "this is not a clean result. Fix the errors and scan again.")}]
        out = []
        if unassessed:
            out.append({"uuid": self.uid("poam-item", "not-assessed"),
                        "title": md(f"{unassessed} results could not be evaluated"),
                        "description": md(f"{t.get('error', 0)} error and {t.get('notchecked', 0)} notchecked results "
                                          f"({counts}): those controls were not assessed on those resources.")})
        if not has_risks and not out:
            out.append({"uuid": self.uid("poam-item", "none"), "title": "No open items",
                        "description": md(f"Every assessed result passed or does not apply ({counts}).")})
        return out


def _objective_state(statuses: dict[str, int]) -> tuple[str, str] | None:
    if statuses.get("fail") or statuses.get("waived"):
        return ("not-satisfied", "fail")
    if statuses.get("error"):
        return ("not-satisfied", "other")
    if statuses.get("pass") and statuses.get("notchecked"):
        return ("not-satisfied", "other")  # partly not assessed: never "satisfied"
    if statuses.get("pass"):
        return ("satisfied", "pass")
    return None


def dump(doc: dict[str, Any], out: IO[str]) -> None:
    """Write a document compactly as it is produced (the C encoder per piece; streams pulled as written)."""
    write(doc, out)


_BUILDERS: weakref.WeakKeyDictionary[ScanView, dict[tuple[Any, ...], OscalBuilder]] = weakref.WeakKeyDictionary()


def builder(view: ScanView, **settings: Any) -> OscalBuilder:
    """The builder of ``view`` with ``settings``, shared by the OSCAL renderers of a sealed scan (one pass)."""
    if not view.scan.get("hash"):
        return OscalBuilder(view, **settings)
    key = tuple(sorted(settings.items()))
    cache = _BUILDERS.setdefault(view, {})
    if key not in cache:
        cache[key] = OscalBuilder(view, **settings)
    return cache[key]


def render_plan(view: ScanView, out: IO[str]) -> None:
    """Write the assessment plan (the one an evidence pack's assessment results import)."""
    dump(builder(view, in_pack=True).assessment_plan(), out)


def documents(view: ScanView, *, in_pack: bool = True) -> Iterable[tuple[str, dict[str, Any]]]:
    """The three OSCAL documents of a scan, by their file name in an evidence pack (one pass)."""
    b = builder(view, in_pack=in_pack)
    yield AP_HREF, materialise(b.assessment_plan())
    yield "assessment-results.json", materialise(b.assessment_results())
    yield "poam.json", materialise(b.poam())


OSCAL_VERSIONS = ("1.1.3", "1.1.2")
"""OSCAL versions the AR and POA&M can be written as (``--oscal-version``)."""


def for_version(doc: dict[str, Any], version: str) -> dict[str, Any]:
    """``doc`` (one AR, AP or POA&M document) as OSCAL ``version``.

    What govscan writes uses nothing that 1.1.3 added over 1.1.2 (the tests validate the same
    documents against both official schemas), so only ``metadata.oscal-version`` changes; the
    builder's shared document is copied, never modified.
    """
    if version == OSCAL_VERSION:
        return doc
    if version not in OSCAL_VERSIONS:
        from scanner.errors import UsageError

        raise UsageError(f"OSCAL version {version!r} is not supported (choose {', '.join(OSCAL_VERSIONS)})")
    (root, body), = doc.items()
    return {root: {**body, "metadata": {**body["metadata"], "oscal-version": version}}}
