"""The JMESPath key normaliser, and properties of the condition algebra (Hypothesis)."""

from __future__ import annotations

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.conditions import evaluate
from scanner.conditions.keys import normalise_key


@pytest.mark.parametrize("key,normalised", [
    ("Tags.data-class", 'Tags."data-class"'),
    ("facts.packages.openssh-server.installed", 'facts.packages."openssh-server".installed'),
    ("data-class", '"data-class"'),
    ("a.0", 'a."0"'),
    ("a.2fa-enabled", 'a."2fa-enabled"'),
    ("a.b_c", "a.b_c"),
    ('"already-quoted".x', '"already-quoted".x'),
    ("ports[?state=='open-ish'].portid", "ports[?state=='open-ish'].portid"),
    ("ports[?service.name == `\"x-y\"`]", "ports[?service.name == `\"x-y\"`]"),
    ("a[-1]", "a[-1]"),
    ("a[0:-1]", "a[0:-1]"),
    ("a[::-1].b-c", 'a[::-1]."b-c"'),
    ("length(foo-bar)", 'length("foo-bar")'),
    ("{data-class: Tags.data-class}", '{"data-class": Tags."data-class"}'),
    ("x-y[0].z", '"x-y"[0].z'),
    ("Encryption.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm",
     "Encryption.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm"),
])
def test_normalise_key(key, normalised):
    assert normalise_key(key) == normalised
    jmespath.compile(normalised)  # and the result is valid JMESPath


segment = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}(-[A-Za-z0-9_]{1,4}){0,2}", fullmatch=True)


@settings(max_examples=50)
@given(st.lists(segment, min_size=1, max_size=4), st.integers(0, 3))
def test_normalised_dashed_paths_read_the_nested_value(parts, value):
    doc: dict = {}
    node = doc
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    o = evaluate({"key": ".".join(parts), "op": "eq", "value": value}, doc, {})
    assert o.ok is True and o.checks[0].actual == value


scalar = st.one_of(st.integers(-5, 5), st.text("ab", max_size=2))
ORDER_OPS = ["eq", "ne", "gt", "ge", "lt", "le"]


@settings(max_examples=300)
@given(st.sampled_from(ORDER_OPS), st.integers(-5, 5), st.integers(-5, 5))
def test_not_of_a_leaf_on_a_present_key_is_its_negation(op, actual, value):
    leaf = {"key": "k", "op": op, "value": value}
    doc = {"k": actual}
    assert evaluate({"not": leaf}, doc, {}).ok is (not evaluate(leaf, doc, {}).ok)
    # the operators agree with Python on numbers
    py = {"eq": actual == value, "ne": actual != value, "gt": actual > value, "ge": actual >= value,
          "lt": actual < value, "le": actual <= value}[op]
    assert evaluate(leaf, doc, {}).ok is py


@given(st.lists(st.booleans(), min_size=1, max_size=6))
def test_groups_are_boolean_algebra(bits):
    doc = {f"b{i}": b for i, b in enumerate(bits)}
    leaves = [{"key": f"b{i}", "op": "is-true"} for i in range(len(bits))]
    assert evaluate({"all": leaves}, doc, {}).ok is all(bits)
    assert evaluate({"any": leaves}, doc, {}).ok is any(bits)
    assert evaluate({"not": leaves}, doc, {}).ok is (not all(bits))
    # quantifiers over the same booleans
    qdoc = {"xs": bits}
    where = {"op": "is-true"}
    assert evaluate({"any_of": {"path": "xs", "where": where}}, qdoc, {}).ok is any(bits)
    assert evaluate({"all_of": {"path": "xs", "where": where}}, qdoc, {}).ok is all(bits)
    assert evaluate({"none_of": {"path": "xs", "where": where}}, qdoc, {}).ok is (not any(bits))


@given(st.lists(scalar, max_size=4), st.lists(scalar, max_size=4))
def test_set_operators_agree_with_python_sets(xs, ys):
    def ok(op):
        try:
            return evaluate({"key": "k", "op": op, "value": ys}, {"k": xs}, {}).ok
        except Exception as e:  # pragma: no cover - a failure here is the bug being looked for
            raise AssertionError(f"{op} raised {e}") from e
    a, b = set(xs), set(ys)
    assert ok("subset") is (a <= b)
    assert ok("superset") is (a >= b)
    assert ok("intersect") is bool(a & b)
    assert ok("disjoint") is (not a & b)


KEY_DOCS = [
    {"a": {"b-c": [1, {"d": 2}]}, "0": "zero", "x": [[1, 2], [3]]},
    {"a": [1, 2], "x": {"0": "str-key"}},
    {"a": "scalar", "x": None},
]


@pytest.mark.parametrize("key", ["a", "a.b-c", "a.b-c[0]", "a.b-c[1].d", "a.b-c[-1].d", "a.b-c[5]", "a[0]",
                                 "a[-1]", "0", "x[0][1]", "x.0", "a.b-c.d", "missing.deep.key"])
def test_plain_keys_read_exactly_what_jmespath_reads(key):
    """Plain keys skip the JMESPath interpreter for speed; the answers must be identical."""
    from scanner.conditions.keys import compile_key

    for doc in KEY_DOCS:
        assert compile_key(key).search(doc) == jmespath.search(normalise_key(key), doc), (key, doc)
