"""The ``stig`` key of a control: DISA STIG rule identity (Vuln ID, Rule ID, STIG ID, CCIs, CAT).

The schema checks each entry's shape; this module checks what it cannot: the benchmark is one
govscan knows (``policies/stig-benchmarks.json``), the Vuln ID is the number of the Rule ID (DISA's
numbering since the SV- rule ids), a control names a benchmark once, and every control naming the
same Vuln ID of a benchmark agrees on its Rule ID, STIG ID and severity (several controls may each
check part of one STIG rule, each naming the others in ``shared_with``: a checklist then reports the
worst of them, and Not Reviewed when one of them did not run).
The ``shared_with`` partners exist and check the same Vuln ID.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

from scanner.errors import Diagnostic

_SV = re.compile(r"^SV-(\d+)r\d+_rule$")


@functools.lru_cache(maxsize=None)
def benchmarks() -> dict[str, dict[str, str]]:
    """Known STIG benchmarks: key -> {title, stig_id, version, release, source}."""
    import policies

    data = json.loads((policies.ROOT / "stig-benchmarks.json").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def entries(document: Any) -> list[dict[str, Any]]:
    """The well-formed ``stig`` entries of a control document (plain data; [] when absent)."""
    raw = (document or {}).get("stig") if isinstance(document, dict) else None
    return [e for e in raw if isinstance(e, dict)] if isinstance(raw, list) else []


def check(pset: Any) -> Iterator[Diagnostic]:
    """Problems with the ``stig`` entries of every control of ``pset``."""
    from scanner.suggest import did_you_mean

    known = benchmarks()
    seen: dict[tuple[str, str], tuple[tuple[str, str, str], str]] = {}
    for (kind, ident), doc in sorted(pset.documents.items()):
        if kind != "Control":
            continue
        named: set[str] = set()
        for n, e in enumerate(entries(doc.data)):
            bench, vuln, rule = e.get("benchmark", ""), e.get("vuln_id", ""), e.get("rule_id", "")
            if bench not in known:
                yield doc.diag(("stig", n, "benchmark"),
                               f"unknown STIG benchmark {bench!r}{did_you_mean(str(bench), known)}")
            if bench in named:
                yield doc.diag(("stig", n, "benchmark"), f"STIG benchmark {bench!r} named twice")
            named.add(bench)
            m = _SV.match(str(rule))
            if m and vuln != f"V-{m.group(1)}":
                yield doc.diag(("stig", n, "vuln_id"), f"Vuln ID {vuln!r} does not match Rule ID {rule!r} "
                               f"(expected 'V-{m.group(1)}')")
            for k, other in enumerate(e.get("shared_with") or ()):
                partner = pset.documents.get(("Control", other))
                if partner is None or not any(p.get("vuln_id") == vuln and p.get("benchmark") == bench
                                              for p in entries(partner.data)):
                    yield doc.diag(("stig", n, "shared_with", k),
                                   f"shared_with names {other!r}, which is not a control checking {vuln} of {bench}")
            identity = (str(rule), str(e.get("stig_id")), str(e.get("severity")))
            shipped = catalogue(str(bench)).get(str(vuln))
            if shipped and identity != (shipped["rule_id"], shipped["stig_id"], shipped["severity"]):
                yield doc.diag(("stig", n), f"{vuln} of {bench} is {shipped['rule_id']} {shipped['stig_id']} "
                               f"{shipped['severity']} in policies/stig/{bench}.json, not {rule} {identity[1]} {identity[2]}")
            first = seen.setdefault((bench, vuln), (identity, ident))
            if first[0] != identity:
                yield doc.diag(("stig", n), f"{vuln} of {bench} is {first[0][0]} {first[0][1]} {first[0][2]} "
                               f"in control {first[1]!r}, but {rule} {identity[1]} {identity[2]} here")


# --- the STIG catalogues (policies/stig/<benchmark>.json) and the control -> rule mapping -------------------

#: The largest catalogue / mapping govscan reads (a bound on what is loaded).
MAX_RULES = 5000
NOT_ASSESSED = "STIG rule not assessed by govscan: no control implements it"


@functools.lru_cache(maxsize=None)
def catalogue(bench: str) -> dict[str, dict[str, Any]]:
    """Vuln ID -> {rule_id, stig_id, severity, srg, cac_rules, title} of a shipped STIG ({} when none)."""
    import policies

    path = policies.ROOT / "stig" / f"{bench}.json"
    if "/" in bench or not path.is_file():
        return {}
    rules = json.loads(path.read_text(encoding="utf-8")).get("rules")
    return rules if isinstance(rules, dict) and len(rules) <= MAX_RULES else {}


@functools.lru_cache(maxsize=None)
def _mapping_files() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(path, document) of policies/stig/mapping.json and every policies/stig/mapping-<area>.json, in name order."""
    import policies

    folder = policies.ROOT / "stig"
    paths = [folder / "mapping.json", *sorted(folder.glob("mapping-*.json"))]
    out = []
    for path in paths[:64]:
        data = json.loads(path.read_text(encoding="utf-8")) or {}
        out.append((str(path), data if isinstance(data, dict) else {}))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _mapping_file() -> dict[str, Any]:
    """The mapping files merged: ``controls`` and ``requires`` by key (a control named in two files implements
    the union of their rules), ``not_for_stig`` concatenated."""
    controls: dict[str, list[str]] = {}
    needs: dict[str, str] = {}
    skip: list[Any] = []
    for _, data in _mapping_files():
        raw = data.get("controls") or {}
        for cid, rules in (raw.items() if isinstance(raw, dict) else ()):
            have = controls.setdefault(str(cid), [])
            have.extend(str(r) for r in rules or () if str(r) not in have)
        pairs = data.get("requires") or {}
        needs.update(pairs if isinstance(pairs, dict) else {})
        pairs = data.get("not_for_stig") or []
        skip.extend(pairs if isinstance(pairs, list) else ())
    return {"controls": controls, "requires": needs, "not_for_stig": skip}


@functools.lru_cache(maxsize=None)
def mapping() -> dict[str, tuple[str, ...]]:
    """govscan control id -> the ComplianceAsCode rule ids it implements (policies/stig/mapping.json)."""
    raw = _mapping_file().get("controls") or {}
    return {str(k): tuple(str(r) for r in v or ()) for k, v in list(raw.items())[:MAX_RULES]}


@functools.lru_cache(maxsize=None)
def requires() -> dict[str, str]:
    """control -> the control failing where it is ``notapplicable`` although the STIG requires what is missing
    (``requires`` of the mapping: the audit rule controls do not apply without auditd, which the STIG requires):
    it joins every STIG rule of the control, so a checklist shows the rule Open, not Not Applicable."""
    raw = _mapping_file().get("requires") or {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def excluded(bench: str) -> set[tuple[str, str]]:
    """(control, rule) pairs of the mapping that do not hold for ``bench`` (``not_for_stig``)."""
    out = set()
    for e in _mapping_file().get("not_for_stig") or ():
        if isinstance(e, dict) and (not e.get("benchmarks") or bench in e["benchmarks"]):
            out.add((str(e.get("control")), str(e.get("rule"))))
    return out


@functools.lru_cache(maxsize=None)
def attachments(bench: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """Vuln ID -> {control id -> its partners} for every rule of ``bench`` whose ComplianceAsCode rules are all
    implemented by a mapped control; the rules of a STIG rule with a CAT the datastream does not give stay out."""
    skip = excluded(bench)
    implementers: dict[str, set[str]] = {}
    for cid, rules in mapping().items():
        for r in rules:
            if (cid, r) not in skip:
                implementers.setdefault(r, set()).add(cid)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for vuln, rule in catalogue(bench).items():
        cac = rule.get("cac_rules") or ()
        if not cac or not rule.get("severity") or not all(r in implementers for r in cac):
            continue
        found = set().union(*(implementers[r] for r in cac))
        cids = sorted(found | {need for c in found if (need := requires().get(c))})
        out[vuln] = {c: tuple(p for p in cids if p != c) for c in cids}
    return out


@functools.lru_cache(maxsize=None)
def _by_control() -> dict[str, list[tuple[str, str, tuple[str, ...]]]]:
    """control id -> [(benchmark, Vuln ID, partners)] of every STIG rule attached to it."""
    out: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {}
    for bench in benchmarks():
        for vuln, by_control in attachments(bench).items():
            for cid, partners in by_control.items():
                out.setdefault(cid, []).append((bench, vuln, partners))
    return out


def entry(bench: str, vuln: str, partners: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ``stig`` entry of a catalogue rule (the schema's shape)."""
    rule = catalogue(bench)[vuln]
    e: dict[str, Any] = {"benchmark": bench, "vuln_id": vuln, "rule_id": rule["rule_id"],
                         "stig_id": rule["stig_id"], "severity": rule["severity"]}
    if partners:
        e["shared_with"] = list(partners[:16])
    return e


def attach(data: dict[str, Any]) -> dict[str, Any]:
    """A control document with the STIG entries of its mapped rules added to its inline ``stig`` list."""
    cid = str((data.get("metadata") or {}).get("id"))
    if cid not in mapping() and cid not in requires().values():
        return data
    inline = entries(data)
    have = {(e.get("benchmark"), e.get("vuln_id")) for e in inline}
    added = [entry(bench, vuln, partners) for bench, vuln, partners in _by_control().get(cid, ())
             if (bench, vuln) not in have]
    if not added:
        return data
    return {**data, "stig": [*(data.get("stig") or []), *added]}


def covered(bench: str, controls: Any) -> set[str]:
    """Vuln IDs of ``bench`` some evaluated control of ``controls`` carries."""
    return {str(e.get("vuln_id")) for c in controls if not c.not_assessed
            for e in entries(c.document) if e.get("benchmark") == bench}


def not_assessed_id(bench: str, vuln: str) -> str:
    return f"stig-{bench.replace('.', '-')}-{vuln.lower()}"


def not_assessed_control(bench: str, vuln: str) -> Any:
    """A never-evaluated control for a STIG rule no control implements: every target gets ``notchecked``."""
    from scanner.model import Control, Severity
    from scanner.policy.loader import sha256_of

    rule = catalogue(bench)[vuln]
    cid = not_assessed_id(bench, vuln)
    title = f"{rule['stig_id']} ({vuln}): {rule.get('title') or 'STIG rule'}"[:200]
    stig = [entry(bench, vuln)] if rule.get("severity") else []
    doc: dict[str, Any] = {"apiVersion": "govscan/v1", "kind": "Control",
                           "metadata": {"id": cid, "version": "1.0.0", "title": title, "severity": "info",
                                        "tags": ["stig", "not-assessed"], "status": "stable",
                                        "description": f"{benchmarks()[bench]['title']} rule {vuln}: {NOT_ASSESSED}."},
                           "target": {"provider": "host", "resource": "host.os"}, "not_assessed": NOT_ASSESSED}
    if stig:
        doc["stig"] = stig
    return Control(id=cid, version="1.0.0", title=title, severity=Severity.INFO, provider="host",
                   resource="host.os", assert_={}, description=doc["metadata"]["description"],
                   tags=("stig", "not-assessed"), document=doc, sha256=sha256_of(doc), not_assessed=NOT_ASSESSED)


@dataclass(frozen=True)
class Coverage:
    """How many rules of a STIG the selected controls implement, per CAT."""

    benchmark: str
    by_cat: dict[str, tuple[int, int]]
    """CAT -> (covered, total); "unknown" for rules the datastream gives no severity."""
    not_covered: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        total = sum(t for _, t in self.by_cat.values())
        return {"stig": self.benchmark, "rules": total, "covered": sum(c for c, _ in self.by_cat.values()),
                "by_cat": {k: {"covered": c, "total": t} for k, (c, t) in self.by_cat.items()},
                "not_covered": list(self.not_covered)}

    def lines(self) -> list[str]:
        d = self.as_dict()
        cats = ", ".join(f"{k}: {c}/{t}" for k, (c, t) in self.by_cat.items())
        return [f"STIG {self.benchmark}: {d['rules']} rules: {d['covered']} covered by a control, "
                f"{d['rules'] - d['covered']} not covered (reported notchecked: {NOT_ASSESSED}); by CAT {cats}",
                "  not covered: " + " ".join(self.not_covered)]


def coverage(bench: str, controls: Any) -> Coverage:
    have = covered(bench, controls)
    by_cat: dict[str, list[int]] = {k: [0, 0] for k in ("CAT I", "CAT II", "CAT III")}
    for vuln, rule in catalogue(bench).items():
        cell = by_cat.setdefault(rule.get("severity") or "unknown", [0, 0])
        cell[1] += 1
        cell[0] += vuln in have
    return Coverage(bench, {k: (v[0], v[1]) for k, v in by_cat.items()},
                    tuple(v for v in catalogue(bench) if v not in have))


def check_mapping(known_controls: Any) -> Iterator[Diagnostic]:
    """The mapping names only existing controls and ComplianceAsCode rules some shipped STIG or CIS list knows."""
    import policies

    path = str(policies.ROOT / "stig" / "mapping.json")
    for where, data in _mapping_files():
        for key in ("controls", "requires"):
            if not isinstance(data.get(key) or {}, dict):
                yield Diagnostic(where, 0, 0, f"STIG mapping: {key!r} must be an object")
        if not isinstance(data.get("not_for_stig") or [], list):
            yield Diagnostic(where, 0, 0, "STIG mapping: 'not_for_stig' must be a list")
    known_rules = {r for b in benchmarks() for rule in catalogue(b).values() for r in rule.get("cac_rules") or ()}
    known_rules |= _cis_rules()
    for cid, rules in mapping().items():
        if cid not in known_controls:
            yield Diagnostic(path, 0, 0, f"STIG mapping names unknown control {cid!r}")
        for r in rules:
            if r not in known_rules:
                yield Diagnostic(path, 0, 0, f"STIG mapping of {cid!r} names unknown ComplianceAsCode rule {r!r}")
    for cid, need in requires().items():
        if cid not in known_controls or need not in known_controls:
            yield Diagnostic(path, 0, 0, f"STIG mapping: requires pair {cid!r} -> {need!r} names an unknown control")
    for e in _mapping_file().get("not_for_stig") or ():
        if not isinstance(e, dict) or str(e.get("rule")) not in mapping().get(str(e.get("control")), ()):
            yield Diagnostic(path, 0, 0, f"not_for_stig entry {e!r} is not a pair of the mapping")
        elif any(b not in benchmarks() for b in e.get("benchmarks") or ()):
            yield Diagnostic(path, 0, 0, f"not_for_stig entry {e!r} names an unknown STIG benchmark")


@functools.lru_cache(maxsize=None)
def _cis_rules() -> frozenset[str]:
    """Every ComplianceAsCode rule id of the Debian 12, Ubuntu 22.04 and RHEL 9 datastreams
    (policies/stig/cac-rules.json, written by bench/stig_datastream.py)."""
    import policies

    data = json.loads((policies.ROOT / "stig" / "cac-rules.json").read_text(encoding="utf-8"))
    rules = data.get("rules") if isinstance(data, dict) else None
    return frozenset(str(r) for r in rules[:20000]) if isinstance(rules, list) else frozenset()
