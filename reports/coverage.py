"""Aggregates the HTML report shows: per-control results and framework / NIST family coverage.

Computed from one pass over a scan's findings; only failing rows are kept, and at most
``max_rows`` per control, so memory stays bounded however many findings a scan holds.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from reports.catalog import FEDRAMP, NIST, SEVERITY_RANK, fedramp_baselines, nist_catalog, nist_family
from scanner.store_view import ControlRecord

#: Order of precedence when several results meet on one control or catalog id.
#: A control or catalog id with any finding not assessed (notchecked) is not shown as passing.
_STATE_ORDER = ("fail", "error", "waived", "notchecked", "pass", "notapplicable")


@dataclass
class ControlResult:
    """Results of one control across every resource of the scan."""

    id: str
    control: ControlRecord
    counts: Counter = field(default_factory=Counter)
    rows: list[dict[str, Any]] = field(default_factory=list)
    """Failing, error and waived findings (first ``max_rows``), each with its evidence attached."""

    @property
    def state(self) -> str:
        """The control's overall result: the most serious status among its findings."""
        for status in _STATE_ORDER:
            if self.counts[status]:
                return status
        return "notchecked"

    @property
    def attention(self) -> int:
        return self.counts["fail"] + self.counts["error"] + self.counts["waived"]

    @property
    def hidden(self) -> int:
        """Failing, error and waived findings not kept in :attr:`rows`."""
        return self.attention - len(self.rows)

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (-SEVERITY_RANK.get(self.control.severity, 0), -self.attention, self.id)


def collect(view: Any, *, max_rows: int, per_target: dict[str, dict[str, str]] | None = None,
            ) -> tuple[dict[str, ControlResult], dict[str, Counter], Counter]:
    """One pass over the findings: per-control results, per-target status counts, findings per waiver.

    ``per_target``, when given, is filled with target id -> control id -> the most serious of its
    fail / error / waived results on that target (what each target's "failing controls" list shows)."""
    results = {cid: ControlResult(cid, c) for cid, c in view.controls.items()}
    targets: dict[str, Counter] = {t["id"]: Counter() for t in view.targets}
    evidence_cache: dict[str, Any] = {}
    waivers: Counter = Counter()
    for f in view.findings():
        cid = f["control_id"]
        res = results.get(cid)
        if res is None:  # a finding whose control snapshot is missing still shows up
            res = results[cid] = ControlResult(cid, view.control(cid, f["severity"]))
        res.counts[f["status"]] += 1
        targets.setdefault(f["target_id"], Counter())[f["status"]] += 1
        if f.get("waiver_id"):
            waivers[f["waiver_id"]] += 1
        if per_target is not None and f["status"] in ("fail", "error", "waived"):
            mine = per_target.setdefault(f["target_id"], {})
            old = mine.get(cid)
            if old is None or _STATE_ORDER.index(f["status"]) < _STATE_ORDER.index(old):
                mine[cid] = f["status"]
        if f["status"] in ("fail", "error", "waived") and len(res.rows) < max_rows:
            sha = f.get("evidence_sha256")
            if sha and sha not in evidence_cache:
                ev = view.evidence(sha)
                evidence_cache[sha] = dict(ev) if ev is not None else None
            res.rows.append({**f, "evidence": evidence_cache.get(sha) if sha else None})
    return results, targets, waivers


def _id_states(results: Iterable[ControlResult], framework: str) -> dict[str, str]:
    """Catalog id -> the most serious state of the controls mapped to it."""
    states: dict[str, str] = {}
    for res in results:
        for cid in res.control.mappings.get(framework, ()):
            new = res.state
            old = states.get(cid)
            if old is None or _STATE_ORDER.index(new) < _STATE_ORDER.index(old):
                states[cid] = new
    return states


@dataclass(frozen=True)
class CoverageRow:
    """Coverage of one group of catalog ids (a NIST family, a FedRAMP baseline, a framework)."""

    key: str
    title: str
    total: int
    """Catalog ids in the group (0 when the catalog is not shipped, e.g. CIS)."""
    automated: int
    passing: int
    failing: int
    error: int
    other: int
    """Automated ids with no decisive result (only waived, not applicable or not checked)."""

    @property
    def percent(self) -> int:
        return round(100 * self.automated / self.total) if self.total else 0


def _row(key: str, title: str, total: int, states: Mapping[str, str]) -> CoverageRow:
    c = Counter(states.values())
    return CoverageRow(key, title, total, len(states), c["pass"], c["fail"], c["error"],
                       len(states) - c["pass"] - c["fail"] - c["error"])


def nist_families(results: Iterable[ControlResult]) -> list[CoverageRow]:
    """Per NIST SP 800-53 family: catalog size, ids with automated checks, and their results."""
    catalog = nist_catalog()
    states = _id_states(results, NIST)
    sizes = Counter(c["family"] for c in catalog["controls"].values())
    rows = []
    for fam, title in sorted(catalog["families"].items()):
        fam_states = {cid: s for cid, s in states.items() if nist_family(cid) == fam}
        rows.append(_row(fam, title, sizes[fam], fam_states))
    return rows


def fedramp_levels(results: Iterable[ControlResult]) -> list[CoverageRow]:
    """Per FedRAMP rev5 baseline: how many of its controls have automated checks here, and results."""
    results = list(results)
    states = _id_states(results, FEDRAMP) or _id_states(results, NIST)
    return [_row(level, f"FedRAMP {level.title()}", len(ids), {c: s for c, s in states.items() if c in ids})
            for level, ids in fedramp_baselines().items()]


def frameworks(results: Iterable[ControlResult]) -> list[CoverageRow]:
    """Per framework key found in the controls' mappings: ids mapped and their results."""
    results = list(results)
    keys = sorted({fw for r in results for fw in r.control.mappings})
    catalog_size = {NIST: len(nist_catalog()["controls"])}
    return [_row(fw, fw, catalog_size.get(fw, 0), _id_states(results, fw)) for fw in keys]
