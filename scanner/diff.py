"""Compare two stored scans: what is new, fixed, still failing, re-rated or newly (un)waived.

Findings are keyed by (control id, target id, resource id); resource ids are stable across scans
by contract. A target-level result (resource id == target id, e.g. every control of an unreachable
host is ``error`` on the host itself) stands for each resource of that control on that target that
the other scan has, so a host that became reachable shows ``error -> fail`` (still failing) and
``error -> pass`` (fixed), never "absent -> fail" plus "no longer assessed". A result is *failing* when it is ``fail`` or ``error`` (an error is never a pass).
Categories are disjoint; every key of either scan lands in exactly one:

- ``new``: failing in B, neither failing nor waived in A (or absent from A);
- ``waiver-expired``: failing in B although A had it waived, or B's waiver for it has expired
  (and A was not already failing under that same lapsed waiver);
- ``severity-changed``: failing in both, with a different severity;
- ``still-failing``: failing in both, same severity;
- ``newly-waived``: waived in B, not in A;
- ``fixed``: failing in A, ``pass`` or ``notapplicable`` in B;
- ``not-assessed``: failing in A, absent or ``notchecked`` in B (not evidence of a fix);
- anything else is unchanged and only counted.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from scanner.errors import UsageError
from scanner.model import Severity
from scanner.store import ScanView

CATEGORIES = ("new", "waiver-expired", "severity-changed", "still-failing", "newly-waived", "fixed",
              "not-assessed")
TITLES = {"new": "New failures", "waiver-expired": "Waivers expired", "severity-changed": "Changed severity",
          "still-failing": "Still failing", "newly-waived": "Newly waived", "fixed": "Fixed",
          "not-assessed": "No longer assessed"}
FAILING = ("fail", "error")
Key = tuple[str, str, str]


@dataclass(frozen=True)
class Side:
    """One scan's result for a key."""

    status: str
    severity: str
    message: str
    waiver_id: str | None
    waiver_state: str | None


@dataclass(frozen=True)
class Change:
    """One key that changed between the scans."""

    category: str
    control_id: str
    target_id: str
    resource_id: str
    before: Side | None
    after: Side | None


@dataclass
class Diff:
    """The comparison of scan ``a`` (before) with scan ``b`` (after)."""

    a: dict[str, Any]
    b: dict[str, Any]
    changes: dict[str, list[Change]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})
    unchanged: int = 0

    def summary(self) -> dict[str, int]:
        return {c: len(self.changes[c]) for c in CATEGORIES} | {"unchanged": self.unchanged}


def _sides(view: ScanView) -> Iterator[tuple[Key, Side]]:
    for f in view.findings():
        wid = f.waiver_id
        waiver = view.waiver(wid)
        yield ((f.control_id, f.target_id, f.resource_id),
               Side(f.status, f.severity, f.message, wid, waiver.state if waiver is not None else None))


def _rank(s: Side) -> int:
    # if a scan holds a key twice, the worst result speaks for it
    return (2 if s.status in FAILING else 1 if s.status == "waived" else 0)


def _index(view: ScanView) -> dict[Key, Side]:
    out: dict[Key, Side] = {}
    for key, side in _sides(view):
        if key not in out or _rank(side) > _rank(out[key]):
            out[key] = side
    return out


def classify(a: Side | None, b: Side | None) -> str | None:
    """The category of a key given its result before and after; None when unchanged."""
    fa = a is not None and a.status in FAILING
    fb = b is not None and b.status in FAILING
    wa = a is not None and a.status == "waived"
    wb = b is not None and b.status == "waived"
    if fb and b is not None:
        lapsed = b.waiver_id is not None and b.waiver_state == "expired"
        same_lapse = fa and a is not None and a.waiver_id == b.waiver_id
        if wa or (lapsed and not same_lapse):
            return "waiver-expired"
        if not fa:
            return "new"
        return "severity-changed" if a is not None and a.severity != b.severity else "still-failing"
    if wb and not wa:
        return "newly-waived"
    if fa:
        return "fixed" if b is not None and b.status in ("pass", "notapplicable") else "not-assessed"
    return None


def _scan_info(view: ScanView) -> dict[str, Any]:
    s = view.scan
    return {"id": view.id, "seq": s.get("seq"), "started": s.get("started"), "status": s.get("status"),
            "profile": s.get("profile"), "hash": s.get("hash")}


def _pairs(before: dict[Key, Side], after: dict[Key, Side]) -> Iterator[tuple[Key, Side | None, Side | None]]:
    """Match A's and B's results by (control, target, resource), across statuses.

    A target-level result (resource id == target id: the host was unreachable, a collection failed) stands
    for every resource of that control on that target: when only one scan has it, it is paired with each
    resource the other scan has for that control and target, instead of showing as an unrelated key.
    """
    def covering(mine: dict[Key, Side], other: dict[Key, Side]) -> set[tuple[str, str]]:
        return {(c, t) for (c, t, r) in mine if r == t and (c, t, r) not in other}

    a_cover, b_cover = covering(before, after), covering(after, before)
    used_a: set[tuple[str, str]] = set()
    used_b: set[tuple[str, str]] = set()
    for key, side in after.items():
        c, t, r = key
        if r == t and (c, t) in b_cover:
            continue  # B's target-level result: paired below with A's resources, or alone
        if key in before:
            yield key, before[key], side
        elif (c, t) in a_cover:
            used_a.add((c, t))
            yield key, before[(c, t, t)], side
        else:
            yield key, None, side
    for key, side in before.items():
        c, t, r = key
        if key in after or (r == t and (c, t) in a_cover):
            continue
        if (c, t) in b_cover:
            used_b.add((c, t))
            yield key, side, after[(c, t, t)]
        else:
            yield key, side, None
    for c, t in b_cover - used_b:
        yield (c, t, t), None, after[(c, t, t)]
    for c, t in a_cover - used_a:
        yield (c, t, t), before[(c, t, t)], None


def diff(a: ScanView, b: ScanView) -> Diff:
    """Compare ``a`` (before) with ``b`` (after)."""
    result = Diff(_scan_info(a), _scan_info(b))
    for key, old, new in _pairs(_index(a), _index(b)):
        cat = classify(old, new)
        if cat:
            result.changes[cat].append(Change(cat, *key, old, new))
        else:
            result.unchanged += 1
    for changes in result.changes.values():
        changes.sort(key=lambda c: (-_sev_rank(c), c.control_id, c.target_id, c.resource_id))
    return result


def _sev_rank(c: Change) -> int:
    side = c.after or c.before
    try:
        return Severity(side.severity).rank if side else 0
    except ValueError:
        return 0


# -- gate ------------------------------------------------------------------------------------

def gate(d: Diff, spec: str) -> tuple[bool, str]:
    """Apply ``--gate``: ``none``; ``new`` (any new failure or error fails); or a severity, which,
    like the scan gate's default ``fail_on_error``, fails on any fail in B at or above it and on any
    error in B (new or not). Returns (passed, reason)."""
    spec = (spec or "none").lower()
    if spec == "none":
        return True, "no gate"
    if d.b.get("status") != "complete":
        # an interrupted or failed scan B lacks findings: its "fixed"/"not-assessed" prove nothing
        return False, f"scan B {str(d.b.get('id'))[:8]} is {d.b.get('status')}, not complete: nothing to gate on"
    if spec == "new":
        # a failure whose waiver expired is new to the build as much as a new finding is
        n = len(d.changes["new"]) + len(d.changes["waiver-expired"])
        return n == 0, f"{n} new failure(s)" if n else "no new failures"
    try:
        floor = Severity(spec).rank
    except ValueError:
        raise UsageError(f"--gate {spec!r}: expected none, new or a severity "
                         f"({', '.join(s.value for s in Severity)})") from None
    current = [c for cat in ("new", "waiver-expired", "severity-changed", "still-failing") for c in d.changes[cat]]
    fails = sum(1 for c in current if c.after and c.after.status == "fail" and _sev_rank(c) >= floor)
    errors = sum(1 for c in current if c.after and c.after.status == "error")
    if not fails and not errors:
        return True, f"nothing failing at or above {spec}, no errors"
    return False, f"{fails} failing result(s) at or above {spec}, {errors} error(s)"


# -- rendering -------------------------------------------------------------------------------

def _plain(value: Any) -> str:
    """Terminal-safe: control characters (ANSI escapes, line breaks, bidi overrides) shown escaped."""
    from scanner.cli.terminal import clean

    return clean(value)


def _md_cell(value: Any) -> str:
    """A Markdown table cell: no HTML, no pipes, no line breaks, no code spans breaking out."""
    text = _plain(value)
    for ch in "\\`*_[]<>|~&#!":
        text = text.replace(ch, "\\" + ch)
    return text


def _status(s: Side | None) -> str:
    if s is None:
        return "absent"
    extra = f" [{s.waiver_id}{' expired' if s.waiver_state == 'expired' else ''}]" if s.waiver_id else ""
    return _plain(f"{s.status}/{s.severity}{extra}")


def render_json(d: Diff, out: IO[str], gate_result: tuple[bool, str] | None = None) -> None:
    doc: dict[str, Any] = {"a": d.a, "b": d.b, "summary": d.summary(),
                           "changes": {c: [asdict(x) for x in d.changes[c]] for c in CATEGORIES}}
    if gate_result:
        doc["gate"] = {"passed": gate_result[0], "reason": gate_result[1]}
    json.dump(doc, out, indent=2, ensure_ascii=False)
    out.write("\n")


def render_table(d: Diff, out: IO[str], gate_result: tuple[bool, str] | None = None) -> None:
    out.write(f"diff {_plain(d.a['id'])} -> {_plain(d.b['id'])}\n")
    out.write("  ".join(f"{TITLES[c].lower()}: {n}" for c, n in d.summary().items() if c in TITLES)
              + f"  unchanged: {d.unchanged}\n")
    for cat in CATEGORIES:
        rows = d.changes[cat]
        if not rows:
            continue
        out.write(f"\n{TITLES[cat]} ({len(rows)})\n")
        for c in rows:
            side = c.after or c.before
            msg = side.message if side else ""
            out.write(f"  {_plain(c.control_id)}  {_plain(c.resource_id)}  ({_plain(c.target_id)})  "
                      f"{_status(c.before)} -> {_status(c.after)}  {_plain(msg)}\n")
    if gate_result:
        out.write(f"\ngate: {'passed' if gate_result[0] else 'FAILED'} ({gate_result[1]})\n")


def render_markdown(d: Diff, out: IO[str], gate_result: tuple[bool, str] | None = None,
                    limit: int = 50) -> None:
    """Markdown for a pull-request comment; at most ``limit`` rows per category (comments are capped)."""
    out.write("### govscan diff\n\n")
    out.write(f"`{d.a['id'][:12]}` → `{d.b['id'][:12]}`\n\n")
    if gate_result:
        out.write(f"**Gate {'passed' if gate_result[0] else 'FAILED'}**: {_md_cell(gate_result[1])}\n\n")
    out.write("| " + " | ".join(TITLES[c] for c in CATEGORIES) + " | Unchanged |\n")
    out.write("|" + "---:|" * (len(CATEGORIES) + 1) + "\n")
    out.write("| " + " | ".join(str(len(d.changes[c])) for c in CATEGORIES) + f" | {d.unchanged} |\n")
    for cat in CATEGORIES:
        rows = d.changes[cat]
        if not rows:
            continue
        out.write(f"\n#### {TITLES[cat]} ({len(rows)})\n\n")
        out.write("| Control | Resource | Target | Before | After | Message |\n|---|---|---|---|---|---|\n")
        for c in rows[:limit]:
            side = c.after or c.before
            out.write("| " + " | ".join(_md_cell(v) for v in (
                c.control_id, c.resource_id, c.target_id, _status(c.before), _status(c.after),
                side.message if side else "")) + " |\n")
        if len(rows) > limit:
            out.write(f"\n… and {len(rows) - limit} more (see `govscan diff -f json`).\n")


RENDERERS = {"table": render_table, "json": render_json, "markdown": render_markdown}
