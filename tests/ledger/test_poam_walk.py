"""The POA&M walk over one control's history on one target (scanner.ledger_poam), on synthetic
events: what opens an item, what it records, what closes it, and the deadline rule."""

from __future__ import annotations

import datetime as dt

from scanner.ledger import Event, Ledger, _row, ControlInfo, parse_time, scan_result
from scanner.ledger_poam import items

DAY = 86400
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def at(days: float) -> str:
    return (T0 + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ledger(results: list[tuple[float, str]], as_of: float, klass: str = "c", severity: str = "high") -> Ledger:
    events = tuple(Event(f"s{n}", n, at(d), r, severity, {r: 1}) for n, (d, r) in enumerate(results, 1))
    info = ControlInfo("ctl-a", "title", severity, {}, None)
    led = Ledger(as_of=at(as_of), klass=klass, profile=None, class_max_age=3 * DAY)
    led.rows.append(_row(info, "host:a", events, 3 * DAY, parse_time(at(as_of))))
    return led


def test_scan_result_fails_closed():
    assert scan_result({"pass": 9, "fail": 1}) == "fail"
    assert scan_result({"pass": 9, "error": 1}) == "error"
    assert scan_result({"pass": 9, "notchecked": 1}) == "notchecked"
    assert scan_result({"pass": 1, "waived": 1}) == "waived"
    assert scan_result({"notapplicable": 3}) == "notapplicable"
    assert scan_result({}) == "notchecked"


def test_error_opens_and_pass_closes_with_history_and_class_deadline():
    (item,) = items(ledger([(0, "pass"), (1, "error"), (2, "fail"), (2.5, "pass")], as_of=3))
    assert (item.reason, item.first_seen, item.closed) == ("error", at(1), at(2.5))
    assert [h["result"] for h in item.history] == ["error", "fail", "pass"]
    assert item.deadline == at(1 + 4)  # high = N4; Class C irv_lev: 4 days
    assert not item.overdue(at(3))


def test_a_gap_longer_than_max_age_is_a_stale_item_closed_by_the_next_pass():
    (item,) = items(ledger([(0, "pass"), (5, "pass")], as_of=6, klass="b", severity="low"))
    assert (item.reason, item.first_seen, item.closed) == ("stale", at(3), at(5))
    assert item.deadline == at(3 + 96)  # low = N2; Class B irv_lev: 96 days
    assert [h["result"] for h in item.history] == ["stale", "pass"]


def test_stale_now_is_an_open_item_and_overdue_once_the_deadline_passes():
    led = ledger([(0, "pass")], as_of=30)
    (item,) = items(led)
    assert (item.status, item.reason, item.first_seen) == ("open", "stale", at(3))
    assert led.rows[0].state == "stale" and item.overdue(led.as_of)


def test_info_severity_has_no_deadline():
    (item,) = items(ledger([(0, "fail")], as_of=1, severity="info"))
    assert item.deadline is None and not item.overdue(at(400))
