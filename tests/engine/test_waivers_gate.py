"""Waivers (match, expiry) and the gate (severity threshold, errors, expired waivers)."""

import datetime as dt

from scanner.gate import decide, policy
from scanner.model import Finding, Severity, Status
from scanner.waivers import apply, is_expired

from .helpers import TARGET, res, waiver


def fail(cid="host-test-ctl", rid="/etc/shadow", sev=Severity.HIGH, rtype="host.files"):
    return Finding(cid, TARGET.id, rid, rtype, Status.FAIL, sev, "mode is 0644")


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
    # tags are the labels the resource type's identity declares (AWS: Tags, either shape)
    w = waiver(match={"tags": {"data-class": "public"}})
    vol = fail(rid="vol-1", rtype="aws.ec2.volume")
    for shape in ([{"Key": "data-class", "Value": "public"}], {"data-class": "public"}):
        tagged = {"vol-1": res("vol-1", "aws.ec2.volume", Tags=shape)}
        assert apply([vol], [w], TARGET, tagged)[0].status is Status.WAIVED
    assert apply([vol], [w], TARGET, {})[0].status is Status.FAIL
    # a host file has no labels: an attribute that happens to be called Tags is not one
    tagged = {"/etc/shadow": res("/etc/shadow", "host.files", Tags={"data-class": "public"})}
    assert apply([fail()], [w], TARGET, tagged)[0].status is Status.FAIL


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


def test_resource_regex_must_match_the_whole_id():
    w = waiver(match={"resources": [{"regex": "prod-db"}]})
    assert apply([fail(rid="x-prod-db-2")], [w], TARGET, {})[0].status is Status.FAIL
    assert apply([fail(rid="prod-db")], [w], TARGET, {})[0].status is Status.WAIVED


def test_a_waiver_in_force_wins_over_an_expired_one():
    old = waiver("WVR-OLD", expires="2026-01-01", approved="2025-06-01")
    new = waiver("WVR-NEW", expires="2027-06-01", approved="2026-11-01")
    out = apply([fail()], [old, new], TARGET, {}, on=dt.date(2026, 11, 21))
    assert (out[0].status, out[0].waiver_id) == (Status.WAIVED, "WVR-NEW")


def test_a_waiver_approved_in_the_future_is_not_in_force():
    w = waiver(expires="2032-05-31", approved="2031-06-01")
    assert is_expired(w, dt.date(2026, 11, 21))
    assert apply([fail()], [w], TARGET, {}, on=dt.date(2026, 11, 21))[0].status is Status.FAIL


def test_several_profiles_take_the_strictest_gate_and_drop_exclusions_of_selected_controls():
    from scanner.policy.loader import PolicySet
    from scanner.policy.tailor import select

    from .helpers import control, profile

    pset = PolicySet(controls={c.id: c for c in (control("host-a-one"), control("host-b-two"))})
    pset.profiles = {
        "lenient": profile("lenient", select={"include": ["host-*"], "exclude": [{"id": "host-b-two", "reason": "n/a"}]},
                           gate={"fail_on_severity": "critical", "fail_on_error": False}),
        "strict": profile("strict", select={"include": ["host-b-*"]},
                          gate={"fail_on_severity": "medium", "expired_waivers": "fail"}),
    }
    sel = select(pset, ["lenient", "strict"])
    assert sorted(sel.controls) == ["host-a-one", "host-b-two"]
    assert sel.exclusions == {}
    # "strict" says nothing of fail_on_error: the default (true) is stricter than lenient's false
    assert sel.gate == {"fail_on_severity": "medium", "fail_on_error": True, "expired_waivers": "fail"}


def test_account_match_reads_the_account_the_collector_found():
    w = waiver(match={"accounts": ["123456789012"]})
    bucket = fail(rid="arn:aws:s3:::b", rtype="aws.s3.bucket")
    assert apply([bucket], [w], TARGET, {}, facts={"account_id": "123456789012"})[0].status is Status.WAIVED
    assert apply([bucket], [w], TARGET, {}, facts={"account_id": "999999999999"})[0].status is Status.FAIL
    assert apply([bucket], [w], TARGET, {})[0].status is Status.FAIL
    # the account is an identity facet of AWS types; a host file belongs to no account
    assert apply([fail()], [w], TARGET, {}, facts={"account_id": "123456789012"})[0].status is Status.FAIL


def test_profile_hash_covers_its_parents():
    from scanner.policy.loader import PolicySet, profile_from
    from scanner.policy.tailor import select

    from .helpers import control, profile

    pset = PolicySet(controls={"host-a-one": control("host-a-one")})
    pset.profiles = {"base": profile("base", gate={"fail_on_severity": "high"}),
                     "child": profile("child", extends="base")}
    before = select(pset, ["child"]).profile_sha256
    base_doc = dict(pset.profiles["base"].document, gate={"fail_on_severity": "low"})
    pset.profiles["base"] = profile_from(base_doc)
    assert select(pset, ["child"]).profile_sha256 != before
