"""POA&M items from the ledger: every stale or failing validation opens one, automatically.

An item opens the first time a control's validation of a target fails (``fail``, or an ``error`` /
``notchecked`` attempt that validated nothing) or goes stale (no validation within ``max_age``: it
opens at the moment the last validation expired). It keeps the history of every scan result while it
is open and closes at the first later scan in which the control passes again (``pass``, ``waived`` or
``notapplicable``) on that target. A later failure opens a new item.

Deadline: first-seen + the mitigation timeframe of FedRAMP's VDR-TFR-PVR rule for the class
(``FRR.VDR.data.all.TFR.VDR-TFR-PVR.varies_by_class.<class>.pain_timeframes``), taking the control's
severity as the Potential Agency Impact N-rating (critical N5, high N4, medium N3, low N2, info N1)
and the internet-reachable, likely-exploitable column (the shortest); N1 has no timeframe
(VDR-TFR-RMN: mitigate during routine operations), so an info item has no deadline. The numbers are
read from the shipped rules extract (:mod:`scanner.ksi`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from scanner import ksi as _ksi
from scanner.ledger import VALIDATED, Ledger, Validation, iso, parse_time


@dataclass
class PoamItem:
    """One POA&M item: a failing or stale validation of one control on one target."""

    control: str
    target: str | None
    title: str
    severity: str
    first_seen: str
    reason: str
    """``fail``, ``error``, ``notchecked`` or ``stale``: what opened it."""
    deadline: str | None
    closed: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        key = f"{self.control}\0{self.target}\0{self.first_seen}"
        return "govscan-poam-" + hashlib.sha256(key.encode()).hexdigest()[:16]

    @property
    def status(self) -> str:
        return "closed" if self.closed else "open"

    def overdue(self, as_of: str) -> bool:
        end = self.closed or as_of
        return self.deadline is not None and end > self.deadline

    def as_dict(self, as_of: str) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "control": self.control, "target": self.target,
                "title": self.title, "severity": self.severity, "reason": self.reason,
                "first_seen": self.first_seen, "deadline": self.deadline, "closed": self.closed,
                "overdue": self.overdue(as_of), "history": list(self.history)}


def _plus(time: str, seconds: float) -> str:
    return iso(parse_time(time, "stored time") + _dt.timedelta(seconds=seconds))


def items(ledger: Ledger) -> list[PoamItem]:
    """Every POA&M item the ledger's history opened, open ones first, then by first-seen."""
    out: list[PoamItem] = []
    for row in ledger.rows:
        out.extend(_walk(row, ledger))
    return sorted(out, key=lambda i: (i.status != "open", i.first_seen, i.control, i.target or ""))


def _open(row: Validation, ledger: Ledger, when: str, reason: str, severity: str) -> PoamItem:
    days = _ksi.deadline_days(severity, ledger.klass)
    deadline = _plus(when, days * 86400) if days is not None else None
    return PoamItem(row.control, row.target, row.title, severity, when, reason, deadline)


def _walk(row: Validation, ledger: Ledger) -> list[PoamItem]:
    found: list[PoamItem] = []
    item: PoamItem | None = None
    last_valid: str | None = None
    for ev in row.events:
        if item is None and last_valid is not None:
            expired = _plus(last_valid, row.max_age)
            if expired < ev.time:  # nothing validated it in time: stale from the moment it expired
                item = _open(row, ledger, expired, "stale", ev.severity)
                item.history.append({"time": expired, "result": "stale", "scan": None,
                                     "note": f"no validation since {last_valid}"})
        entry = {"time": ev.time, "result": ev.result, "scan": ev.scan, "seq": ev.seq, "counts": dict(ev.counts)}
        if ev.result in ("fail", "error", "notchecked"):
            if item is None:
                item = _open(row, ledger, ev.time, ev.result, ev.severity)
            item.history.append(entry)
        elif item is not None:  # passes again: closed by this scan
            item.history.append(entry)
            item.closed = ev.time
            found.append(item)
            item = None
        if ev.result in VALIDATED:
            last_valid = ev.time
    if item is None and row.events and row.stale:
        expired = _plus(last_valid, row.max_age) if last_valid else row.events[-1].time
        item = _open(row, ledger, expired, "stale", row.severity)
        item.history.append({"time": expired, "result": "stale", "scan": None,
                             "note": f"no validation since {last_valid}" if last_valid else "never validated"})
    if item is not None:
        found.append(item)
    return found
