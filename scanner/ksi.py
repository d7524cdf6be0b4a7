"""FedRAMP 20x Key Security Indicators: the shipped extract of FedRAMP's consolidated rules, KSI
coverage of a control selection, and the class rules the ledger applies.

``policies/frameworks/fedramp-20x.json`` is read from ``fedramp-consolidated-rules.json`` (FedRAMP/rules,
version in its ``version`` field): the 46 KSIs with their NIST SP 800-53 lists (``KSI.<THEME>.indicators``),
and per certification class the automated validation methods each KSI needs
(``FRR.FRC.data.20x.CSX.FRC-CSX-VVK``), how often machine-based resources must be validated
(``FRR.VDR.data.20x.TFR.VDR-TFR-MVX``) and the mitigation timeframes by Potential Agency Impact N-rating
(``FRR.VDR.data.all.TFR.VDR-TFR-PVR``). Every number here comes from that file; none is written in code.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from scanner.errors import UsageError
from scanner.model import Control

FRAMEWORK = "fedramp-20x"
DEFAULT_CLASS = "b"
"""The class whose rules apply when no profile names one: Class B, the lower 20x class with a machine
validation rule (VDR-TFR-MVX: every 7 days)."""

N_RATING = {"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1}
"""govscan severity -> the Potential Agency Impact N-rating (VER-EVA-EPA) a deadline is computed with.
This mapping is govscan's default, not FedRAMP's: a provider re-rates in context."""

WORST_CASE = "irv_lev"
"""The VDR-TFR-PVR column used: internet-reachable and likely exploitable. govscan does not know
reachability or exploitability, and VER-EVA-AIA says to assume exploitation can be automated, so it
takes the shortest timeframe."""


@functools.lru_cache(maxsize=None)
def framework() -> Mapping[str, Any]:
    """The shipped KSI extract (``policies/frameworks/fedramp-20x.json``)."""
    import policies

    return json.loads((policies.FRAMEWORKS / f"{FRAMEWORK}.json").read_text())


def class_rules(klass: str | None) -> Mapping[str, Any]:
    """The rules of one class (``b`` or ``c``): automated_methods, max_age_days, remediation..."""
    classes = framework()["classes"]
    key = (klass or DEFAULT_CLASS).lower()
    if key not in classes:
        raise UsageError(f"FedRAMP 20x class {klass!r}: expected one of {', '.join(sorted(classes))}")
    return classes[key]


def lineage(pset: Any, profile_ids: Iterable[str]) -> list[Any]:
    """The named profiles and every profile they extend (a tailored profile keeps its parent's class)."""
    from scanner.policy.lint import strip_version

    out: dict[str, Any] = {}
    todo = list(profile_ids)
    while todo:
        pid = strip_version(todo.pop())
        if pid in out or pid not in pset.profiles:
            continue
        out[pid] = pset.profiles[pid]
        todo.extend(out[pid].extends)
    return list(out.values())


def profile_class(profiles: Iterable[Any]) -> str | None:
    """The certification class of the named profiles (the strictest when several name one)."""
    found = [p.certification["class"] for p in profiles
             if p.certification and p.certification.get("framework") == FRAMEWORK]
    return max(found) if found else None


def deadline_days(severity: str, klass: str | None) -> int | None:
    """Days from detection to the mitigation deadline for a finding of ``severity`` under ``klass``
    (VDR-TFR-PVR, worst-case column); None for N1, which has no timeframe (VDR-TFR-RMN)."""
    rating = str(N_RATING.get(severity, 5))
    frame = class_rules(klass)["remediation"].get(rating, {}).get(WORST_CASE)
    if not frame:
        return None
    num = int(frame["timeframe_num"])
    return max(1, num // 24) if frame["timeframe_type"] == "hours" else num


@dataclass(frozen=True)
class KsiCoverage:
    """How many automated validation methods (selected controls mapped to the KSI) govscan has for
    one KSI, against how many its class requires."""

    id: str
    name: str
    theme: str
    methods: tuple[str, ...]
    """Ids of the selected controls mapped to this KSI: each is one automated validation method."""
    required: int | None
    """Methods the class requires per KSI (FRC-CSX-VVK); None when no class applies."""

    @property
    def covered(self) -> bool:
        return bool(self.methods) and (self.required is None or len(self.methods) >= self.required)

    def as_dict(self) -> dict[str, Any]:
        return {"ksi": self.id, "name": self.name, "theme": self.theme, "methods": len(self.methods),
                "required": self.required, "covered": self.covered, "controls": list(self.methods)}


def coverage(controls: Mapping[str, Control] | Iterable[tuple[str, Mapping[str, Any]]],
             klass: str | None) -> list[KsiCoverage]:
    """Per KSI (in the rules file's order), the selected controls mapped to it. ``controls`` is
    ``{id: Control}`` or ``(id, mappings)`` pairs (stored snapshots)."""
    pairs = ([(cid, c.mappings) for cid, c in controls.items()] if isinstance(controls, Mapping)
             else list(controls))
    by_ksi: dict[str, list[str]] = {}
    for cid, mappings in pairs:
        for ksi in mappings.get(FRAMEWORK, ()) or ():
            by_ksi.setdefault(str(ksi), []).append(cid)
    required = class_rules(klass)["automated_methods"] if klass else None
    out = []
    for kid, k in framework()["ksis"].items():
        out.append(KsiCoverage(kid, k["name"], k["theme"], tuple(sorted(by_ksi.get(kid, ()))), required))
    return out


def coverage_lines(rows: list[KsiCoverage], klass: str | None) -> list[str]:
    """The coverage table ``govscan policy list`` prints for a 20x profile."""
    rules = class_rules(klass)
    head = (f"FedRAMP 20x Class {(klass or DEFAULT_CLASS).upper()} KSI coverage: automated validation methods "
            f"(selected controls mapped to the KSI) / required per KSI ({rules['automated_methods_force']} "
            f"{rules['automated_methods']}, {rules['automated_methods_rule']})")
    lines = [head]
    for r in rows:
        mark = "ok" if r.covered else ("none" if not r.methods else "short")
        lines.append(f"  {r.id:<12} {len(r.methods):>3}/{r.required if r.required is not None else '-':<2} "
                     f"{mark:<6} {r.name}")
    met = sum(1 for r in rows if r.covered)
    some = sum(1 for r in rows if r.methods)
    lines.append(f"  {met} of {len(rows)} KSIs have the required methods; {some} have at least one; "
                 f"{len(rows) - some} have none")
    return lines
