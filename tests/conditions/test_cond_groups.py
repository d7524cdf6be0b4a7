"""Groups, quantifiers, inputs, keys and the Outcome/Check records."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from scanner.conditions import ConditionError, evaluate

T = {"key": "t", "op": "is-true"}
F = {"key": "f", "op": "is-true"}
DOC = {"t": True, "f": False}

# The assert of design/examples/net-no-cleartext-admin-services.yaml
NET_ASSERT = yaml.safe_load("""
none_of:
  path: ports
  where:
    all:
      - {key: state, op: eq, value: open}
      - any:
          - {key: portid, op: in, value: {input: forbidden_ports}}
          - {key: service.name, op: in, value: {input: forbidden_services}}
""")
NET_INPUTS = {"forbidden_ports": [21, 23, 512, 513, 514], "forbidden_services": ["telnet", "ftp"]}


def port(portid, state="open", name="ssh"):
    return {"portid": portid, "protocol": "tcp", "state": state, "service": {"name": name}}


def paths(outcome):
    return [(c.path, c.ok) for c in outcome.checks]


def test_all_passes_with_first_leaf_decisive():
    o = evaluate({"all": [T, T]}, DOC, {})
    assert o.ok is True
    assert paths(o) == [("all[0]", True), ("all[1]", True)]
    assert o.decisive.path == "all[0]"
    assert o.value is True


def test_all_fails_on_first_failing_leaf_and_short_circuits():
    o = evaluate({"all": [T, F, T]}, DOC, {})
    assert o.ok is False
    assert paths(o) == [("all[0]", True), ("all[1]", False)]
    assert o.decisive.path == "all[1]" and o.decisive.key == "f"
    assert o.value is False


def test_any_passes_on_the_leaf_that_matched():
    o = evaluate({"any": [F, T, F]}, DOC, {})
    assert o.ok is True
    assert paths(o) == [("any[0]", False), ("any[1]", True)]
    assert o.decisive.path == "any[1]"


def test_any_fails_with_first_leaf_decisive():
    o = evaluate({"any": [F, {"key": "nope", "op": "exists"}]}, DOC, {})
    assert o.ok is False
    assert paths(o) == [("any[0]", False), ("any[1]", False)]
    assert o.decisive.path == "any[0]"


def test_not_of_a_condition_and_of_a_list():
    assert evaluate({"not": F}, DOC, {}).ok is True
    assert evaluate({"not": T}, DOC, {}).ok is False
    # a list means not(all(list))
    assert evaluate({"not": [T, F]}, DOC, {}).ok is True
    o = evaluate({"not": [T, T]}, DOC, {})
    assert o.ok is False and paths(o) == [("not[0]", True), ("not[1]", True)]
    o = evaluate({"not": {"key": "t", "op": "is-true"}}, DOC, {})
    assert o.decisive.path == "not"


def test_not_of_a_missing_key_is_unknown():
    """A leaf on a missing key is UNKNOWN, and so is its negation (Kleene logic), at every depth."""
    o = evaluate({"not": {"key": "Tags.data-class", "op": "eq", "value": "public-website"}}, {"Tags": {}}, {})
    assert o.truth is None and o.ok is False and o.unknown is True
    assert o.decisive.missing is True and o.decisive.unknown is True and o.value is None


@pytest.mark.parametrize("cond", [
    {"not": {"key": "dictcheck", "op": "eq", "value": 0}},
    {"not": [{"key": "dictcheck", "op": "eq", "value": 0}]},
    {"all": [{"key": "present", "op": "exists"}, {"not": {"key": "dictcheck", "op": "eq", "value": 0}}]},
    {"not": {"all": [{"key": "present", "op": "exists"}, {"key": "dictcheck", "op": "eq", "value": 0}]}},
    {"not": {"any": [{"key": "dictcheck", "op": "eq", "value": 0}, {"key": "present", "op": "eq", "value": 2}]}},
    {"not": {"not": {"not": {"key": "dictcheck", "op": "eq", "value": 0}}}},
])
def test_not_of_a_missing_key_never_proves_compliance(cond):
    o = evaluate(cond, {"present": 1}, {})
    assert o.truth is None
    assert o.decisive.key == "dictcheck" and o.decisive.missing is True


@pytest.mark.parametrize("cond, truth", [
    ({"not": {"key": "dictcheck", "op": "exists"}}, True),     # absent is a fact, its negation decides
    ({"not": {"key": "dictcheck", "op": "absent"}}, False),
    ({"not": {"key": "dictcheck", "op": "empty"}}, False),
    ({"not": {"key": "dictcheck", "op": "not-empty"}}, True),
    ({"any": [{"key": "dictcheck", "op": "absent"}, {"not": {"key": "dictcheck", "op": "eq", "value": 0}}]}, True),
    ({"any": [{"key": "dictcheck", "op": "exists"}, {"not": {"key": "dictcheck", "op": "eq", "value": 0}}]}, None),
])
def test_not_still_decides_on_exists_absent_empty(cond, truth):
    assert evaluate(cond, {}, {}).truth is truth


@pytest.mark.parametrize("members, all_, any_", [
    # Kleene: all is FALSE if any FALSE, else UNKNOWN if any UNKNOWN; any is the dual
    (["t", "u"], None, True), (["f", "u"], False, None), (["u", "f"], False, None), (["u", "t"], None, True),
    (["u", "u"], None, None), (["t", "t"], True, True), (["f", "f"], False, False),
])
def test_groups_are_kleene(members, all_, any_):
    leaf = {"t": T, "f": F, "u": {"key": "u", "op": "is-true"}}
    body = [leaf[m] for m in members]
    assert evaluate({"all": body}, DOC, {}).truth is all_
    assert evaluate({"any": body}, DOC, {}).truth is any_
    assert evaluate({"not": body}, DOC, {}).truth is (None if all_ is None else not all_)


def test_unknown_member_does_not_end_a_group():
    """`all` goes on past an UNKNOWN member: a later FALSE decides (and is the decisive check)."""
    o = evaluate({"all": [{"key": "u", "op": "is-true"}, F]}, DOC, {})
    assert o.truth is False and o.decisive.key == "f"
    assert [(c.path, c.ok, c.unknown) for c in o.checks] == [("all[0]", False, True), ("all[1]", False, False)]
    o = evaluate({"any": [F, {"key": "u", "op": "is-true"}]}, DOC, {})
    assert o.truth is None and o.decisive.key == "u"


def test_nested_paths():
    cond = {"all": [T, {"any": [F, {"not": [F]}]}]}
    o = evaluate(cond, DOC, {})
    assert o.ok is True
    assert paths(o) == [("all[0]", True), ("all[1].any[0]", False), ("all[1].any[1].not[0]", False)]


@pytest.mark.parametrize("cond,message", [
    ({"all": []}, "all: empty 'all' group"),
    ({"all": [{"any": []}]}, "all[0].any: empty 'any' group"),
    ({"not": []}, "not: empty 'not' group"),
    ({"any": "x"}, "any: needs a list of conditions, got string 'x'"),
    ({"all": ["x"]}, "all[0]: not a condition: string 'x'"),
    ("x", "condition: not a condition: string 'x'"),
    ({"key": "a"}, "condition: a condition needs 'op' or exactly one of all, any, not, any_of, all_of, none_of"),
    ({"all": [T], "any": [T]}, ("condition: a condition needs 'op' or exactly one of all, any, not, any_of, "
                               "all_of, none_of")),
    ({"key": "a", "op": "equals", "value": 1}, "a: unknown operator 'equals'"),
    ({"any_of": {"path": "ports"}}, "any_of: needs {path, where}, got object {\"path\": \"ports\"}"),
])
def test_malformed_conditions_raise_clear_errors(cond, message):
    with pytest.raises(ConditionError) as e:
        evaluate(cond, DOC, {})
    assert str(e.value) == message


def test_none_of_fails_on_the_first_forbidden_open_port():
    doc = {"ports": [port(22), port(23, state="closed", name="telnet"), port(2323, name="telnet"), port(21)]}
    o = evaluate(NET_ASSERT, doc, NET_INPUTS)
    assert o.ok is False
    assert o.matched == port(2323, name="telnet")
    assert o.value == port(2323, name="telnet")
    q = o.decisive
    assert (q.key, q.op, q.ok, q.missing, q.path) == ("ports", "none_of", False, False, "none_of")
    assert q.describe() == ("none_of ports: all(state eq 'open', any(portid in [21, 23, 512, 513, 514], "
                            "service.name in ['telnet', 'ftp']))")
    assert o.checks[0] is q  # the quantifier's check comes before the element checks it summarises
    assert [(c.path, c.key, c.actual, c.ok) for c in o.checks[1:]] == [
        ("none_of[0].all[0]", "state", "open", True),
        ("none_of[0].all[1].any[0]", "portid", 22, False),
        ("none_of[0].all[1].any[1]", "service.name", "ssh", False),
        ("none_of[1].all[0]", "state", "closed", False),
        ("none_of[2].all[0]", "state", "open", True),
        ("none_of[2].all[1].any[0]", "portid", 2323, False),
        ("none_of[2].all[1].any[1]", "service.name", "telnet", True),
    ]  # element 3 (ftp) is never evaluated: the quantifier already failed


def test_none_of_passes_when_nothing_forbidden_is_open():
    doc = {"ports": [port(22), port(443, name="https"), port(23, state="filtered", name="telnet")]}
    o = evaluate(NET_ASSERT, doc, NET_INPUTS)
    assert o.ok is True and o.matched is None
    assert o.decisive.op == "none_of" and o.decisive.ok is True


@pytest.mark.parametrize("quantifier,ok", [("any_of", False), ("all_of", True), ("none_of", True)])
def test_quantifier_on_an_empty_list_decides(quantifier, ok):
    o = evaluate({quantifier: {"path": "ports", "where": {"key": "state", "op": "eq", "value": "open"}}},
                 {"ports": []}, {})
    assert o.truth is ok
    (check,) = o.checks
    assert (check.key, check.op, check.ok, check.actual, check.missing, check.unknown) == (
        "ports", quantifier, ok, None, False, False)


@pytest.mark.parametrize("quantifier", ["any_of", "all_of", "none_of"])
@pytest.mark.parametrize("doc", [{}, {"ports": None}])
def test_quantifier_on_a_missing_or_null_list_is_unknown(quantifier, doc):
    where = {"key": "state", "op": "eq", "value": "open"}
    for cond in ({quantifier: {"path": "ports", "where": where}},
                 {"not": {quantifier: {"path": "ports", "where": where}}}):
        o = evaluate(cond, doc, {})
        assert o.truth is None
        (check,) = o.checks
        assert (check.key, check.op, check.ok, check.actual, check.missing, check.unknown) == (
            "ports", quantifier, False, None, True, True)


@pytest.mark.parametrize("quantifier, states, truth", [
    # an element whose `where` is UNKNOWN (state missing) leaves the quantifier UNKNOWN unless another decides
    ("any_of", [None, "closed"], None), ("any_of", [None, "open"], True),
    ("all_of", [None, "open"], None), ("all_of", [None, "closed"], False),
    ("none_of", [None, "closed"], None), ("none_of", [None, "open"], False),
])
def test_unknown_inside_where_propagates(quantifier, states, truth):
    ports = [{"portid": i} if s is None else {"portid": i, "state": s} for i, s in enumerate(states)]
    o = evaluate({quantifier: {"path": "ports", "where": {"key": "state", "op": "eq", "value": "open"}}},
                 {"ports": ports}, {})
    assert o.truth is truth
    # the element reported is the one that decided, or the first UNKNOWN one
    assert o.matched == (ports[0] if truth is None else ports[1])
    assert o.element == f"{quantifier}[{0 if truth is None else 1}]"


def test_quantifier_on_a_non_list_is_an_error():
    with pytest.raises(ConditionError) as e:
        evaluate({"any_of": {"path": "ports", "where": T}}, {"ports": "22,23"}, {})
    assert str(e.value) == "ports: is string '22,23', not a list (op any_of)"


def test_all_of_reports_the_first_failing_element():
    doc = {"users": [{"name": "a", "mfa": True}, {"name": "b", "mfa": False}, {"name": "c", "mfa": False}]}
    o = evaluate({"all_of": {"path": "users", "where": {"key": "mfa", "op": "is-true"}}}, doc, {})
    assert o.ok is False
    assert o.matched == {"name": "b", "mfa": False}
    assert [c.path for c in o.checks] == ["all_of", "all_of[0]", "all_of[1]"]


def test_any_of_reports_the_element_that_matched():
    doc = {"rules": [{"cidr": "10.0.0.0/8"}, {"cidr": "0.0.0.0/0"}]}
    o = evaluate({"any_of": {"path": "rules", "where": {"key": "cidr", "op": "eq", "value": "0.0.0.0/0"}}}, doc, {})
    assert o.ok is True and o.matched == {"cidr": "0.0.0.0/0"}


def test_quantifier_over_scalars_tests_the_element_itself():
    cond = {"all_of": {"path": "cidrs", "where": {"op": "cidr-within", "value": ["10.0.0.0/8", "192.168.0.0/16"]}}}
    assert evaluate(cond, {"cidrs": ["10.1.0.0/16", "192.168.3.4"]}, {}).ok is True
    o = evaluate(cond, {"cidrs": ["10.1.0.0/16", "0.0.0.0/0"]}, {})
    assert o.ok is False and o.matched == "0.0.0.0/0"
    assert o.checks[-1].key is None and o.checks[-1].describe() == "@ cidr-within ['10.0.0.0/8', '192.168.0.0/16']"


def test_nested_quantifiers_report_the_outer_element():
    doc = {"groups": [
        {"name": "web", "rules": [{"port": 443, "cidr": "0.0.0.0/0"}]},
        {"name": "admin", "rules": [{"port": 443, "cidr": "10.0.0.0/8"}, {"port": 22, "cidr": "0.0.0.0/0"}]},
    ]}
    cond = {"none_of": {"path": "groups", "where": {"any_of": {"path": "rules", "where": {"all": [
        {"key": "port", "op": "eq", "value": 22}, {"key": "cidr", "op": "eq", "value": "0.0.0.0/0"}]}}}}}
    o = evaluate(cond, doc, {})
    assert o.ok is False
    assert o.matched["name"] == "admin"
    assert "none_of[1].any_of[1].all[1]" in [c.path for c in o.checks]


def test_inputs_resolve_and_unknown_inputs_are_errors():
    cond = {"key": "permitrootlogin", "op": "in", "value": {"input": "allowed_values"}}
    o = evaluate(cond, {"permitrootlogin": "prohibit-password"}, {"allowed_values": ["no", "prohibit-password"]})
    assert o.ok is True and o.decisive.expected == ["no", "prohibit-password"]
    assert evaluate(cond, {"permitrootlogin": "yes"}, {"allowed_values": ["no"]}).ok is False
    with pytest.raises(ConditionError) as e:
        evaluate(cond, {"permitrootlogin": "yes"}, {})
    assert str(e.value) == "permitrootlogin: unknown input 'allowed_values' (op in)"
    with pytest.raises(ConditionError) as e:
        evaluate(cond, {}, {"allowed_values": "no"})  # checked even when the key is missing
    assert str(e.value) == "permitrootlogin: operator 'in' needs a list value, got string 'no' (op in)"


def test_a_value_is_never_interpolated():
    cond = {"key": "name", "op": "eq", "value": "{input: x}"}
    assert evaluate(cond, {"name": "{input: x}"}, {"x": "other"}).ok is True


@pytest.mark.parametrize("key,doc,actual", [
    ("Tags.data-class", {"Tags": {"data-class": "public"}}, "public"),
    ("facts.packages.openssh-server.installed", {"facts": {"packages": {"openssh-server": {"installed": True}}}},
     True),
    ("Encryption.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm",
     {"Encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]}}, "aws:kms"),
    ("ports[?state=='open'].portid", {"ports": [port(22), port(23, state="closed")]}, [22]),
    ("length(ports)", {"ports": [1, 2, 3]}, 3),
    ("a.b", {"a": "not-an-object"}, None),
])
def test_keys_are_jmespath_with_dashes(key, doc, actual):
    o = evaluate({"key": key, "op": "exists"}, doc, {})
    assert o.checks[0].actual == actual
    assert o.ok is (actual is not None)


def test_jmespath_runtime_type_error_is_a_condition_error():
    with pytest.raises(ConditionError) as e:
        evaluate({"key": "length(k)", "op": "eq", "value": 1}, {"k": 5}, {})
    assert str(e.value) == ("length(k): cannot read: In function length(), invalid type for value: 5, expected "
                            "one of: ['string', 'array', 'object'], received: \"number\" (op eq)")


def test_evaluate_does_not_mutate_and_is_thread_safe():
    cond = copy.deepcopy(NET_ASSERT)
    docs = [{"ports": [port(p, name=n) for p, n in ((22, "ssh"), (i % 40, "x"), (443, "https"))]}
            for i in range(400)]
    expected = [(o.ok, o.matched) for o in (evaluate(cond, d, NET_INPUTS) for d in docs)]
    def run(doc):
        o = evaluate(cond, doc, NET_INPUTS)
        return o.ok, o.matched

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(run, docs))
    assert got == expected
    assert [ok for ok, _ in got].count(False) == 20  # ports 21 and 23 in each run of 40
    assert cond == NET_ASSERT


def test_a_port_without_tunnel_never_passes_a_none_of():
    """A plain FTP port has no tunnel: `not tunnel eq ssl` is UNKNOWN on it, so none_of is not proven."""
    cond = {"none_of": {"path": "ports", "where": {"all": [
        {"key": "portid", "op": "eq", "value": 21},
        {"not": [{"key": "service.tunnel", "op": "eq", "value": "ssl"}]}]}}}
    o = evaluate(cond, {"ports": [{"portid": 21, "service": {"name": "ftp"}}]}, {})
    assert o.truth is None and o.matched == {"portid": 21, "service": {"name": "ftp"}}
    tls = {"portid": 21, "service": {"name": "ftp", "tunnel": "ssl"}}
    assert evaluate(cond, {"ports": [tls]}, {}).truth is True
