"""The ledger: persistent validation over the whole store, not one scan.

For every control (and through its ``fedramp-20x`` mappings, every KSI) and every target it ran on:
the latest result, when it was last validated, and whether that validation is **stale** (none within
``max_age`` of the report time). Stale counts as failing. A validation is a result the control reached
(pass, fail, waived, notapplicable) in a sealed, complete scan; ``error`` and ``notchecked`` are
attempts that validated nothing. Times are the scans' ``finished`` seal times, which the hash chain
covers (``govscan verify-db``).

``max_age`` of a control: the strictest of the control's own ``max_age``, the profile's and the
certification class's rule (VDR-TFR-MVX: 7 days at Class B, 3 at Class C); a control or profile can
ask for fresher evidence than the class, never for staler.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from scanner import ksi as _ksi
from scanner.errors import UsageError

VALIDATED = ("pass", "fail", "waived", "notapplicable")
"""Results that are a validation: the control decided something about the target."""
FAILING = ("fail", "stale", "error", "notchecked", "never")
"""Row states that fail ``--gate stale``."""
_PRECEDENCE = ("fail", "error", "notchecked", "waived", "pass", "notapplicable")


def parse_time(text: str, what: str = "--as-of") -> _dt.datetime:
    """``2026-12-05``, ``2026-12-05T10:00``, ``...Z`` or with an offset -> an aware UTC datetime."""
    try:
        t = _dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"{what} {text!r}: expected an ISO 8601 date or time such as 2026-12-05 "
                         "or 2026-12-05T10:00:00Z") from None
    return (t if t.tzinfo else t.replace(tzinfo=_dt.timezone.utc)).astimezone(_dt.timezone.utc)


def iso(t: _dt.datetime) -> str:
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def scan_result(statuses: Mapping[str, int]) -> str:
    """One result for a control on a target in one scan, from its findings' status counts: any failure
    fails, then error, notchecked; a pass needs no failure; all notapplicable is notapplicable."""
    for s in _PRECEDENCE:
        if statuses.get(s):
            return s
    return "notchecked"


@dataclass(frozen=True)
class Event:
    """One control's result on one target in one sealed scan."""

    scan: str
    seq: int
    time: str
    result: str
    severity: str
    counts: Mapping[str, int]


@dataclass(frozen=True)
class Validation:
    """The ledger's row for one control on one target."""

    control: str
    target: str | None
    """None: the control never ran on any target in the ledger."""
    title: str
    severity: str
    max_age: int
    """Seconds."""
    events: tuple[Event, ...]
    last_validated: str | None
    stale: bool
    state: str
    """fail, stale, error, notchecked, never (no result at all), or the latest passing result."""

    @property
    def latest(self) -> Event | None:
        return self.events[-1] if self.events else None

    @property
    def failing(self) -> bool:
        return self.state in FAILING

    def as_dict(self) -> dict[str, Any]:
        latest = self.latest
        return {"control": self.control, "target": self.target, "title": self.title, "severity": self.severity,
                "state": self.state, "stale": self.stale, "failing": self.failing,
                "latest_result": latest.result if latest else None, "latest_scan": latest.scan if latest else None,
                "latest_time": latest.time if latest else None, "last_validated": self.last_validated,
                "max_age_seconds": self.max_age, "max_age_days": round(self.max_age / 86400, 3)}


@dataclass(frozen=True)
class ControlInfo:
    """What the ledger needs of a control: from the policy a profile selects, or a stored snapshot."""

    id: str
    title: str
    severity: str
    mappings: Mapping[str, Any]
    max_age: int | None

    @classmethod
    def of(cls, control: Any) -> "ControlInfo":
        """From a control snapshot (:class:`scanner.store_view.ControlRecord`)."""
        return cls(control.id, control.title or control.id, control.severity or "info", control.mappings,
                   control.max_age)


@dataclass
class Ledger:
    """A ledger report as of one moment."""

    as_of: str
    klass: str | None
    profile: str | None
    class_max_age: int
    rows: list[Validation] = field(default_factory=list)
    ksis: list[tuple[_ksi.KsiCoverage, list[Validation]]] = field(default_factory=list)
    chain_head: dict[str, Any] | None = None

    @property
    def failing(self) -> list[Validation]:
        return [r for r in self.rows if r.failing]

    def ksi_state(self, cov: _ksi.KsiCoverage, rows: list[Validation]) -> str:
        if not cov.methods:
            return "no-method"
        if any(r.failing for r in rows):
            return "failing"
        return "validated" if cov.covered else "insufficient"


def _age_ok(last: str | None, as_of: _dt.datetime, max_age: int) -> bool:
    return last is not None and (as_of - parse_time(last, "stored time")).total_seconds() <= max_age


def build(store: Any, *, as_of: _dt.datetime | None = None, controls: Mapping[str, ControlInfo] | None = None,
          klass: str | None = None, profile: str | None = None, profile_max_age: int | None = None,
          control_globs: Iterable[str] = ()) -> Ledger:
    """The ledger over ``store`` as of ``as_of`` (default now). ``controls``: the controls to report
    (a profile's selection); None: every control the stored history ran, from its newest snapshot."""
    import fnmatch

    from scanner.store_view import control_snapshots

    as_of = as_of or _dt.datetime.now(_dt.timezone.utc)
    until = iso(as_of)
    rows = store.ledger_rows(until)
    class_age = int(_ksi.class_rules(klass)["max_age_days"]) * 86400
    if controls is None:
        ran = list(dict.fromkeys(r["scan"] for r in rows))
        controls = {cid: ControlInfo.of(s) for cid, s in control_snapshots(store, ran).items()}
    globs = list(control_globs)
    if globs:
        controls = {cid: c for cid, c in controls.items() if any(fnmatch.fnmatchcase(cid, g) for g in globs)}
        if not controls:
            raise UsageError(f"-c {', '.join(globs)}: matches no control of the ledger")
    grouped: dict[tuple[str, str], list[Event]] = {}
    for r in rows:  # oldest first
        if r["control_id"] in controls:
            grouped.setdefault((r["control_id"], r["target_id"]), []).append(
                Event(r["scan"], r["seq"], r["finished"], scan_result(r["counts"]), r["severity"], r["counts"]))
    ledger = Ledger(as_of=until, klass=klass, profile=profile, class_max_age=class_age,
                    chain_head=_head(store.chain_head(until)))
    by_control: dict[str, list[Validation]] = {cid: [] for cid in controls}
    targets_of: dict[str, list[str]] = {}
    for cid, tid in grouped:
        targets_of.setdefault(cid, []).append(tid)
    for cid in sorted(controls):
        info = controls[cid]
        max_age = min(a for a in (info.max_age, profile_max_age, class_age) if a is not None)
        targets: list[str | None] = [*sorted(targets_of.get(cid, []))] or [None]
        for target in targets:
            events = tuple(grouped[(cid, target)]) if target else ()
            row = _row(info, target, events, max_age, as_of)
            ledger.rows.append(row)
            by_control[cid].append(row)
    for cov in _ksi.coverage([(cid, c.mappings) for cid, c in controls.items()], klass):
        ledger.ksis.append((cov, [r for cid in cov.methods for r in by_control.get(cid, [])]))
    return ledger


def _row(info: ControlInfo, target: str | None, events: tuple[Event, ...], max_age: int,
         as_of: _dt.datetime) -> Validation:
    validated = [e for e in events if e.result in VALIDATED]
    last = validated[-1].time if validated else None
    stale = not _age_ok(last, as_of, max_age)
    latest = events[-1] if events else None
    if latest is None:
        state = "never"
    elif latest.result == "fail":
        state = "fail"
    elif stale:
        state = "stale"
    else:
        state = latest.result
    severity = latest.severity if latest else info.severity
    return Validation(info.id, target, info.title, severity, max_age, events, last, stale, state)


def _head(row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    from scanner.anchor import fields

    return {**fields(row), "hash_version": row.get("hash_version"), "signature": row.get("signature")}


def from_selection(selection: Any, pset: Any, profile_ids: Iterable[str]) -> tuple[dict[str, ControlInfo], str | None,
                                                                                       int | None]:
    """The controls, class and profile ``max_age`` of a tailored selection (``scanner.policy.tailor``)."""
    profiles = _ksi.lineage(pset, profile_ids)
    klass = _ksi.profile_class(profiles)
    ages = [p.max_age for p in profiles if p.max_age is not None]
    controls = {cid: ControlInfo(cid, c.title, c.severity.value, c.mappings, c.max_age)
                for cid, c in selection.controls.items()}
    return controls, klass, (min(ages) if ages else None)
