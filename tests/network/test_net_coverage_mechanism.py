"""scanner.coverage: which entries of a partial list a control reads, and that a gap never passes.

The shipped network controls are checked end to end in test_net_coverage.py; here the shared
mechanism itself, on the real network.host resource builder and the real evaluator, including a
property test: whatever ports were scanned and whatever ports a control is about, the control
passes only if every one of its ports was scanned (and is never a pass on an unscanned one).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.network import resources as res
from scanner.coverage import _reads
from scanner.evaluate import evaluate_control
from scanner.model import Collection, Control, Severity, Target

TARGET = Target("nmap-xml:x.xml", "network", "x.xml")


def host(scanned: str, open_ports: list[int], udp: str | None = None) -> res.Resource:
    info = [{"protocol": "tcp", "services": scanned}] + ([{"protocol": "udp", "services": udp}] if udp else [])
    cov = res.Coverage.of(info, "")
    ports = [{"portid": p, "protocol": "tcp", "state": "open", "reason": "syn-ack", "service": None, "scripts": {},
              "line": None} for p in open_ports]
    parsed = {"address": "192.0.2.1", "addresses": {"ipv4": "192.0.2.1"}, "hostnames": [], "state": "up",
              "reason": "", "ports": ports, "extraports": [], "timedout": False, "has_ports": True, "problems": []}
    return res.host_resource(parsed, None, "import", cov)


def control(where: dict, inputs: tuple = ()) -> Control:
    from scanner.model import InputSpec

    return Control("t-ports", "1.0.0", "test", Severity.HIGH, "network", res.HOST,
                   {"none_of": {"path": "ports", "where": where}},
                   inputs=tuple(InputSpec(n, "list[integer]", v) for n, v in inputs))


def status(c: Control, resource, inputs=None) -> tuple[str, str]:
    [f] = evaluate_control(c, TARGET, Collection(resources={res.HOST: [resource]}), inputs)
    return f.status.value, f.message


COV = {"ports": res.PortCoverage(res.Coverage(), "import")}


def test_pins_come_from_eq_and_in_across_branches_and_inputs():
    cond = {"none_of": {"path": "ports", "where": {"all": [
        {"key": "protocol", "op": "eq", "value": "tcp"},
        {"any": [{"key": "portid", "op": "in", "value": {"input": "bad"}}, {"key": "portid", "op": "eq", "value": 2323},
                 {"key": "service.name", "op": "eq", "value": "telnet"}]}]}}}
    assert list(_reads(cond, COV, {"bad": [23]})) == [("ports", {"protocol": frozenset({"tcp"}),
                                                                 "portid": frozenset({23, 2323})})]


def test_a_negated_or_unpinned_field_means_every_value():
    neg = {"none_of": {"path": "ports", "where": {"not": {"key": "portid", "op": "eq", "value": 22}}}}
    assert list(_reads(neg, COV, {})) == [("ports", {"protocol": None, "portid": None})]
    other = {"none_of": {"path": "ports", "where": {"key": "portid", "op": "not-in", "value": [22]}}}
    assert list(_reads(other, COV, {})) == [("ports", {"protocol": None, "portid": None})]
    # a leaf reading the partial list itself reads every entry
    leaf = {"key": "open_ports", "op": "subset", "value": [22]}
    assert list(_reads(leaf, {"open_ports": COV["ports"]}, {})) == [("open_ports", {"protocol": None, "portid": None})]


def test_a_pass_on_unscanned_ports_is_an_error_and_a_fail_stays_a_fail():
    c = control({"all": [{"key": "protocol", "op": "eq", "value": "tcp"},
                         {"key": "portid", "op": "in", "value": [23, 2323]}]})
    assert status(c, host("80", [80])) == (
        "error", "192.0.2.1: TCP ports 23,2323 were not scanned (scanned: 80): scan with nmap -p T:23,2323")
    assert status(c, host("23,80", [80])) == (
        "error", "192.0.2.1: TCP port 2323 was not scanned (scanned: 23,80): scan with nmap -p T:2323")
    assert status(c, host("1-3000", [80]))[0] == "pass"
    assert status(c, host("23", [23]))[0] == "fail"  # proven by the entry that was read


def test_a_control_that_does_not_pin_the_protocol_also_needs_udp():
    """Without a protocol pin the control is about UDP too: not requested there, so notchecked."""
    c = control({"key": "portid", "op": "in", "value": [23]})
    assert status(c, host("1-100", [])) == (
        "notchecked", "192.0.2.1: not checked: this nmap XML has no UDP scan, so UDP port 23 was not assessed; "
                      "scan with nmap -sU -p U:23 (as root)")
    assert status(c, host("1-100", [], udp="23"))[0] == "pass"


def test_a_custom_leaf_over_open_ports_cannot_pass_on_a_partial_scan():
    c = Control("t-open", "1.0.0", "test", Severity.HIGH, "network", res.HOST,
                {"key": "open_tcp_ports", "op": "subset", "value": [22, 443]})
    assert status(c, host("22,443", [22])) == (
        "error", "192.0.2.1: only 2 of 65535 TCP ports were scanned (22,443); this control is about every TCP "
                 "port: scan with nmap -p T:1-65535")
    assert status(c, host("1-65535", [22])) == ("pass", "192.0.2.1: test")


@settings(max_examples=200, deadline=None)
@given(scanned=st.sets(st.integers(1, 40), min_size=1), wanted=st.sets(st.integers(1, 40), min_size=1),
       open_=st.sets(st.integers(1, 40)))
def test_property_no_pass_unless_every_wanted_port_was_scanned(scanned, wanted, open_):
    """For any scan and any ports a control is about: pass only if all were scanned and none is open."""
    seen_open = sorted(open_ & scanned)  # nmap only reports ports it scanned
    c = control({"all": [{"key": "protocol", "op": "eq", "value": "tcp"},
                         {"key": "portid", "op": "in", "value": {"input": "bad"}}]}, (("bad", sorted(wanted)),))
    got, _ = status(c, host(",".join(map(str, sorted(scanned))), seen_open), {"bad": sorted(wanted)})
    if set(seen_open) & wanted:
        assert got == "fail"
    elif wanted <= scanned:
        assert got == "pass"
    else:
        assert got == "error"
