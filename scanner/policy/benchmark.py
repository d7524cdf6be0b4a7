"""Benchmark profiles: a profile that stands for a level of a benchmark (CIS Debian 12 Level 1 Server).

A profile's ``benchmark`` key names a recommendation list shipped in ``policies/frameworks/<name>.json``
(``recommendations``: id -> ``{section, assessment: automated|manual, levels: [...]}``), the level the
profile implements, and the benchmark's *manual* recommendations it lists. Each manual recommendation
becomes a control that is never evaluated: every target gets a ``notchecked`` finding for it, with
:data:`MANUAL_REASON`, so a report shows it as not assessed and never as a pass.

``govscan policy list -p PROFILE`` prints how many of the level's recommendations are automated and
carried by a selected control, how many are manual, and how many automated ones no control carries yet.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from scanner.model import Control, Severity

MANUAL_REASON = "manual recommendation: not assessed by govscan"
#: The largest recommendation list a framework file may hold (a bound on what is read).
MAX_RECOMMENDATIONS = 5000


@functools.lru_cache(maxsize=None)
def recommendations(name: str) -> Mapping[str, Any] | None:
    """The shipped recommendation list ``policies/frameworks/<name>.json``, or None when there is none."""
    import policies

    path = policies.FRAMEWORKS / f"{name}.json"
    if "/" in name or not path.is_file():
        return None
    data = json.loads(path.read_text())
    recs = data.get("recommendations")
    if not isinstance(recs, dict) or not data.get("levels") or len(recs) > MAX_RECOMMENDATIONS:
        return None
    return data


def benchmark_names() -> list[str]:
    """Frameworks with a per-level recommendation list (usable as a profile's ``benchmark.framework``)."""
    import policies

    return sorted(p.stem for p in policies.FRAMEWORKS.glob("*.json") if recommendations(p.stem) is not None)


def manual_id(mapping: str, rec: str) -> str:
    """The control id standing for a manual recommendation: ``cis-debian-12-manual-1-2-1-1``."""
    return f"{mapping}-manual-{rec.replace('.', '-')}"


def manual_control(framework: str, rec: str) -> Control:
    """A control that is never evaluated: each target gets ``notchecked`` with :data:`MANUAL_REASON`."""
    from scanner.policy.loader import sha256_of

    data = recommendations(framework)
    assert data is not None
    mapping, title = str(data["mapping"]), f"{data['benchmark']} {data['version']}"
    provider = str(data.get("provider") or "host")
    cid = manual_id(mapping, rec)
    doc = {"apiVersion": "govscan/v1", "kind": "Control",
           "metadata": {"id": cid, "version": "1.0.0", "title": f"{title} recommendation {rec}",
                        "severity": "info", "tags": ["manual"], "status": "stable",
                        "description": f"{title} recommendation {rec} is assessed manually: {MANUAL_REASON}."},
           "mappings": {mapping: [rec]}, "target": {"provider": provider, "resource": f"{provider}.os"},
           "not_assessed": MANUAL_REASON}
    return Control(id=cid, version="1.0.0", title=doc["metadata"]["title"], severity=Severity.INFO,  # type: ignore[index]
                   provider=provider, resource=f"{provider}.os", assert_={}, description=doc["metadata"]["description"],  # type: ignore[index]
                   tags=("manual",), mappings={mapping: (rec,)}, document=doc, sha256=sha256_of(doc),
                   not_assessed=MANUAL_REASON)


def level_ids(framework: str, level: str) -> list[str]:
    """Every recommendation id of ``level``, in benchmark order."""
    data = recommendations(framework) or {}
    return [i for i, r in (data.get("recommendations") or {}).items() if level in (r.get("levels") or ())]


@dataclass(frozen=True)
class Coverage:
    """How far a profile's controls cover the recommendations of its benchmark level."""

    framework: str
    level: str
    total: int
    automated: int
    automated_covered: tuple[str, ...]
    automated_uncovered: tuple[str, ...]
    manual: tuple[str, ...]
    manual_unlisted: tuple[str, ...]
    """Manual recommendations of the level the profile does not list and no control checks (reported nowhere)."""
    manual_checked: tuple[str, ...] = ()
    """Manual recommendations a selected control checks anyway (the control's verdict is the one reported)."""
    manual_twice: tuple[str, ...] = ()
    """Listed as manual although a selected control checks them: two verdicts for one id (a profile mistake)."""

    def as_dict(self) -> dict[str, Any]:
        return {"benchmark": self.framework, "level": self.level, "recommendations": self.total,
                "automated": self.automated, "automated_covered": len(self.automated_covered),
                "automated_not_covered": list(self.automated_uncovered), "manual": len(self.manual),
                "manual_not_listed": list(self.manual_unlisted), "manual_checked": list(self.manual_checked),
                "manual_twice": list(self.manual_twice)}

    def lines(self) -> list[str]:
        out = [f"{self.framework} {self.level}: {self.total} recommendations: {self.automated} automated, "
               f"{len(self.automated_covered)} of them covered by a control, {len(self.automated_uncovered)} not "
               f"yet covered; {len(self.manual)} manual (reported notchecked: {MANUAL_REASON})"
               + (f"; {len(self.manual_checked)} manual checked by a control" if self.manual_checked else "")]
        if self.automated_uncovered:
            out.append("  automated, not yet covered: " + " ".join(self.automated_uncovered))
        if self.manual_unlisted:
            out.append("  manual, not listed in the profile: " + " ".join(self.manual_unlisted))
        if self.manual_checked:
            out.append("  manual, checked by a control: " + " ".join(self.manual_checked))
        if self.manual_twice:
            out.append("  listed as manual AND checked by a control (two verdicts): " + " ".join(self.manual_twice))
        return out


def coverage(framework: str, level: str, controls: Iterable[Control], manual: Iterable[str]) -> Coverage:
    data = recommendations(framework) or {}
    mapping = str(data.get("mapping") or "")
    recs = data.get("recommendations") or {}
    ids = level_ids(framework, level)
    carried = {i for c in controls if not c.not_assessed for i in c.mappings.get(mapping, ())}
    auto = [i for i in ids if recs[i].get("assessment") == "automated"]
    listed = set(manual)
    man = [i for i in ids if recs[i].get("assessment") == "manual"]
    return Coverage(framework, level, len(ids), len(auto), tuple(i for i in auto if i in carried),
                    tuple(i for i in auto if i not in carried), tuple(i for i in man if i in listed),
                    tuple(i for i in man if i not in listed and i not in carried),
                    tuple(i for i in man if i in carried and i not in listed),
                    tuple(i for i in man if i in carried and i in listed))


def lint(spec: Mapping[str, Any]) -> Iterable[tuple[tuple[Any, ...], str]]:
    """Problems of a profile's ``benchmark`` block: (path under ``benchmark``, message)."""
    from scanner.suggest import did_you_mean

    name = str(spec.get("framework"))
    data = recommendations(name)
    if data is None:
        yield ("framework",), f"unknown benchmark {name!r}{did_you_mean(name, benchmark_names())}"
        return
    level = str(spec.get("level"))
    if level not in data["levels"]:
        yield ("level",), f"{name} has no level {level!r} (levels: {', '.join(data['levels'])})"
        return
    recs = data["recommendations"]
    for n, rec in enumerate(spec.get("manual") or ()):
        r = recs.get(str(rec))
        if r is None:
            yield ("manual", n), f"{name} has no recommendation {rec!r}{did_you_mean(str(rec), recs)}"
        elif r.get("assessment") != "manual":
            yield ("manual", n), f"{name} {rec} is an automated recommendation: select a control for it, not 'manual'"
        elif level not in (r.get("levels") or ()):
            yield ("manual", n), f"{name} {rec} is not a {level} recommendation"
