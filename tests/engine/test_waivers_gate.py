"""Waivers (match, expiry) and the gate (severity threshold, errors, expired waivers)."""

import datetime as dt

from scanner.gate import decide, policy
from scanner.model import Finding, Severity, Status
from scanner.waivers import apply, is_expired

from .helpers import TARGET, res, waiver


def fail(cid="host-test-ctl", rid="/etc/shadow", sev=Severity.HIGH):
    return Finding(cid, TARGET.id, rid, "host.files", Status.FAIL, sev, "mode is 0644")


def test_matching_waiver_waives_and_expired_one_says_so():
    w = waiver(match={"resources": ["/etc/sha*"]})
    out = apply([fail()], [w], TARGET, {})
    assert out[0].status is Status.WAIVED and out[0].waiver_id == "WVR-1"
    assert out[0].message == "mode is 0644 (waived by WVR-1 until 2099-01-01: risk-adjustment)"
    old = waiver(expires="2026-01-01", approved="2025-06-01")
    out = apply([fail()], [old], TARGET, {}, on=dt.date(2026, 11, 21))
    assert out[0].status is Status.FAIL
    assert out[0].message == "mode is 0644 (waiver WVR-1 expired on 2026-01-01)"


def test_waiver_valid_through_its_expiry_day():
    w = waiver(expires="2026-11-21")
    assert not is_expired(w, dt.date(2026, 11, 21))
    assert is_expired(w, dt.date(2026, 11, 22))


def test_waiver_match_keys_are_anded():
    w = waiver(match={"resources": [{"regex": "^/etc/(g)?shadow$"}], "hosts": ["web-*"]})
    assert apply([fail()], [w], TARGET, {})[0].status is Status.FAIL  # host 'box' does not match
    w = waiver(match={"resources": [{"regex": "^/etc/(g)?shadow$"}], "hosts": ["bo?"]})
    assert apply([fail()], [w], TARGET, {})[0].status is Status.WAIVED
    w = waiver(match={"tags": {"data-class": "public"}})
    tagged = {"/etc/shadow": res("/etc/shadow", "host.files", Tags=[{"Key": "data-class", "Value": "public"}])}
    assert apply([fail()], [w], TARGET, tagged)[0].status is Status.WAIVED
    assert apply([fail()], [w], TARGET, {})[0].status is Status.FAIL


def test_waivers_never_touch_passes_or_errors():
    err = Finding("host-test-ctl", TARGET.id, "/x", "host.files", Status.ERROR, Severity.HIGH, "unreadable")
    assert apply([err], [waiver()], TARGET, {})[0].status is Status.ERROR


def rows(*items):
    return [{"control_id": c, "status": s, "severity": v, "waiver_id": w, "n": 1} for c, s, v, w in items]


def test_gate_threshold_errors_and_expired_waivers():
    settings = policy({"fail_on_severity": "high"}, None)
    r = decide(rows(("a", "fail", "medium", None), ("b", "waived", "critical", "W")), settings)
    assert r.passed and r.exit_code == 0
    r = decide(rows(("a", "fail", "high", None), ("a", "fail", "critical", None)), settings)
    assert not r.passed and r.reason == "2 failing findings at or above high in 1 control"
    r = decide(rows(("a", "error", "low", None)), settings)
    assert not r.passed and r.reason == "1 finding could not be evaluated (error)"
    r = decide(rows(("a", "error", "low", None)), policy({"fail_on_error": False}, None))
    assert r.passed
    assert decide(rows(("a", "fail", "critical", None)), policy(None, "none")).passed
    ignore = policy({"expired_waivers": "ignore"}, "low")
    assert decide(rows(("a", "fail", "high", "OLD")), ignore, {"OLD"}).passed
    assert not decide(rows(("a", "fail", "high", "OLD")), policy(None, "low"), {"OLD"}).passed
