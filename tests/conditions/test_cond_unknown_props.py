"""Missing data never proves compliance: three-valued (Kleene) evaluation, as a property (Hypothesis).

For random condition trees (leaves, all/any/not, quantifiers with a ``where``) and random documents,
removing a key the tree reads (or making it null) can only move the result towards UNKNOWN: TRUE and
FALSE may become UNKNOWN, nothing else changes. So a non-pass never turns into a pass, and UNKNOWN
never into TRUE. The operators whose documented meaning decides on missing data (``exists``,
``absent``, ``empty``, ``not-empty``) are in the trees too, on their own keys (``c`` at the top, ``q``
in list elements): removing those keys is a fact they decide on, so only the others are removed.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.conditions import evaluate
from scanner.evaluate import evaluate_control
from scanner.model import Collection, Resource, Status, Target
from scanner.policy.loader import control_from

TOP, ELEMENT = ["a", "b"], ["p"]      # keys removed by the property
DECIDING_TOP, DECIDING_ELEMENT = "c", "q"  # keys read by exists/absent (never removed)
LISTS = ["xs", "ys"]

scalar = st.integers(0, 3)


def leaves(keys: list[str], deciding_key: str) -> st.SearchStrategy[dict[str, Any]]:
    compare = st.builds(lambda k, op, v: {"key": k, "op": op, "value": v}, st.sampled_from(keys),
                        st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]), scalar)
    member = st.builds(lambda k, op, v: {"key": k, "op": op, "value": v}, st.sampled_from(keys),
                       st.sampled_from(["in", "not-in"]), st.lists(scalar, min_size=1, max_size=3))
    deciding = st.builds(lambda op: {"key": deciding_key, "op": op}, st.sampled_from(["exists", "absent"]))
    return st.one_of(compare, member, deciding)


def groups(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    members = st.lists(children, min_size=1, max_size=3)
    return st.one_of(members.map(lambda m: {"all": m}), members.map(lambda m: {"any": m}),
                     children.map(lambda c: {"not": c}), members.map(lambda m: {"not": m}))


where_trees = st.recursive(leaves(ELEMENT, DECIDING_ELEMENT), groups, max_leaves=4)
quantifiers = st.builds(lambda name, path, where: {name: {"path": path, "where": where}},
                        st.sampled_from(["any_of", "all_of", "none_of"]), st.sampled_from(LISTS), where_trees)
trees = st.recursive(st.one_of(leaves(TOP, DECIDING_TOP), quantifiers), groups, max_leaves=8)

element = st.fixed_dictionaries({}, optional={"p": scalar, "q": scalar})
documents = st.fixed_dictionaries({}, optional={
    "a": scalar, "b": scalar, "c": scalar,
    "xs": st.lists(element, max_size=3), "ys": st.lists(element, max_size=3)})


def removals(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Every way to take one read key away: (top key,) or (list, index, element key)."""
    out: list[tuple[Any, ...]] = [(k,) for k in TOP + LISTS if k in doc]
    for name in LISTS:
        for i, item in enumerate(doc.get(name) or ()):
            out += [(name, i, k) for k in ELEMENT if k in item]
    return out


def without(doc: dict[str, Any], where: tuple[Any, ...], null: bool) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    holder = out if len(where) == 1 else out[where[0]][where[1]]
    if null:
        holder[where[-1]] = None
    else:
        del holder[where[-1]]
    return out


TARGET = Target(id="local:prop", kind="host", address="localhost", name="prop")


def status(cond: dict[str, Any], doc: dict[str, Any], where: Any = None, applies_if: Any = None) -> Status:
    target: dict[str, Any] = {"provider": "host", "resource": "host.sysctl"}
    if where is not None:
        target["scope"] = {"where": where}
    if applies_if is not None:
        target["applies_if"] = applies_if
    ctl = control_from({"apiVersion": "govscan/v1", "kind": "Control",
                        "metadata": {"id": "host-prop", "version": "1.0.0", "title": "prop", "severity": "high"},
                        "target": target, "assert": cond})
    coll = Collection(resources={"host.sysctl": [Resource(id="sysctl", type="host.sysctl", attrs=doc)]})
    (finding,) = evaluate_control(ctl, TARGET, coll)
    return finding.status


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, documents, st.data())
def test_removing_a_read_key_never_makes_a_result_more_true(cond, doc, data):
    before = evaluate(cond, doc, {})
    candidates = removals(doc)
    if not candidates:
        return
    where = data.draw(st.sampled_from(candidates))
    null = data.draw(st.booleans())
    after = evaluate(cond, without(doc, where, null), {})
    # Kleene monotonicity: less data can only make the result UNKNOWN
    assert after.truth in (before.truth, None), (cond, doc, where, null)
    if before.truth is not True:
        assert after.truth is not True
    if before.truth is None:
        assert after.truth is None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, documents, st.data())
def test_through_the_engine_a_non_pass_never_becomes_a_pass(cond, doc, data):
    candidates = removals(doc)
    if not candidates:
        return
    where = data.draw(st.sampled_from(candidates))
    before = status(cond, doc)
    after = status(cond, without(doc, where, data.draw(st.booleans())))
    assert before in (Status.PASS, Status.FAIL) and after in (Status.PASS, Status.FAIL)
    if before is not Status.PASS:
        assert after is not Status.PASS, (cond, doc, where)


@settings(max_examples=300, deadline=None)
@given(trees, documents)
def test_negation_is_kleene(cond, doc):
    t = evaluate(cond, doc, {}).truth
    assert evaluate({"not": cond}, doc, {}).truth is (None if t is None else not t)
    assert evaluate({"not": {"not": cond}}, doc, {}).truth is t


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, trees, trees, documents, st.data())
def test_selectors_never_turn_missing_data_into_a_pass_or_not_applicable(where, applies_if, cond, doc, data):
    """With scope.where and applies_if too: less data never makes a pass, nor a new `notapplicable`
    (an UNKNOWN scope keeps the resource and never passes it, an UNKNOWN applies_if is `error`)."""
    candidates = removals(doc)
    if not candidates:
        return
    removed = data.draw(st.sampled_from(candidates))
    before = status(cond, doc, where, applies_if)
    after = status(cond, without(doc, removed, data.draw(st.booleans())), where, applies_if)
    if before is not Status.PASS:
        assert after is not Status.PASS, (where, applies_if, cond, doc, removed)
    if after is Status.NOTAPPLICABLE:
        assert before is Status.NOTAPPLICABLE, (where, applies_if, cond, doc, removed)
