"""Every operator on a true case, a false case, a missing key and a wrong type, with exact errors."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from scanner.conditions import OPERATORS, ConditionError

M = object()  # the key is missing from the document
NONE_VALUE = object()  # the operator takes no value

# (op, actual, value, result): result is True/False, or the exact ConditionError message.
CASES = [
    ("eq", "no", "no", True),
    ("eq", "yes", "no", False),
    ("eq", M, "no", False),
    ("eq", 22, "22", "k: cannot compare integer 22 with string '22' (op eq)"),
    ("eq", True, 1, "k: cannot compare boolean true with integer 1 (op eq)"),
    ("eq", 1, 1.0, True),
    ("eq", [1, 2], [1, 2], True),
    ("eq", {"a": [1]}, {"a": [1]}, True),
    ("eq", ["a"], "a", 'k: cannot compare list ["a"] with string \'a\' (op eq)'),
    ("ne", "yes", "no", True),
    ("ne", "no", "no", False),
    ("ne", M, "no", False),
    ("ne", 1, "1", "k: cannot compare integer 1 with string '1' (op ne)"),
    ("gt", 15, 14, True),
    ("gt", 14, 14, False),
    ("gt", M, 14, False),
    ("gt", "yes", 3, "k: cannot compare string 'yes' with integer 3 (op gt)"),
    ("gt", True, 0, "k: cannot compare boolean true with integer 0 (op gt)"),
    ("gt", "b", "a", ("k: operator 'gt' needs a number value, got string 'a' "
                     "(set value_type to compare strings) (op gt)")),
    ("ge", 14, 14, True),
    ("ge", 13.5, 14, False),
    ("ge", M, 14, False),
    ("ge", [14], 14, "k: cannot compare list [14] with integer 14 (op ge)"),
    ("lt", 3, 4, True),
    ("lt", 4, 4, False),
    ("lt", M, 4, False),
    ("lt", "3", 4, "k: cannot compare string '3' with integer 4 (op lt)"),
    ("le", 4, 4, True),
    ("le", 5, 4, False),
    ("le", M, 4, False),
    ("le", None, 4, False),  # explicit null reads like a missing key
    ("le", False, 4, "k: cannot compare boolean false with integer 4 (op le)"),
    ("in", "no", ["no", "prohibit-password"], True),
    ("in", "yes", ["no", "prohibit-password"], False),
    ("in", M, ["no"], False),
    ("in", 22, ["ssh"], 'k: cannot compare integer 22 with list of string ["ssh"] (op in)'),
    ("in", "no", "no", "k: operator 'in' needs a list value, got string 'no' (op in)"),
    ("in", ["a", "b"], ["a", "b", "c"], True),  # a list actual: every element must be in the value
    ("in", ["a", "d"], ["a", "b", "c"], False),
    ("in", [], ["a"], True),
    ("in", 23, [21, 23], True),
    ("in", "a", [], False),
    ("not-in", "yes", ["no"], True),
    ("not-in", "no", ["no"], False),
    ("not-in", M, ["no"], False),
    ("not-in", ["x", "y"], ["a"], True),
    ("not-in", ["x", "a"], ["a"], False),
    ("not-in", True, ["a"], 'k: cannot compare boolean true with list of string ["a"] (op not-in)'),
    ("contains", "hello world", "world", True),
    ("contains", "hello world", "z", False),
    ("contains", ["a", "b"], "b", True),
    ("contains", ["a", "b"], "c", False),
    ("contains", {"a": 1}, "a", True),
    ("contains", M, "a", False),
    ("contains", 5, "5", "k: needs a string, list or object, got integer 5 (op contains)"),
    ("contains", "abc", 5, "k: needs a string, got integer 5 (op contains)"),
    ("not-contains", "abc", "z", True),
    ("not-contains", ["a"], "a", False),
    ("not-contains", M, "z", False),
    ("not-contains", True, "z", "k: needs a string, list or object, got boolean true (op not-contains)"),
    ("regex", "PermitRootLogin no", "^Permit", True),
    ("regex", "abc", "^b", False),
    ("regex", "abc", "b", True),  # re.search: anywhere in the string
    ("regex", M, "^a", False),
    ("regex", 5, "^5", "k: needs a string, got integer 5 (op regex)"),
    ("regex", "a", "(", "k: invalid regex '(': missing ), unterminated subpattern at position 0 (op regex)"),
    ("not-regex", "abc", "^z", True),
    ("not-regex", "abc", "^a", False),
    ("not-regex", M, "^a", False),
    ("not-regex", ["abc"], "^a", 'k: needs a string, got list ["abc"] (op not-regex)'),
    ("glob", "arn:aws:s3:::legacy-open-data-1", "arn:aws:s3:::legacy-*", True),
    ("glob", "arn:aws:s3:::prod-1", "arn:aws:s3:::legacy-*", False),
    ("glob", "x-legacy-1", "legacy-*", False),  # the whole string must match
    ("glob", M, "*", False),
    ("glob", 3, "*", "k: needs a string, got integer 3 (op glob)"),
    ("starts-with", "ssh-rsa AAAA", "ssh-", True),
    ("starts-with", "abc", "b", False),
    ("starts-with", M, "a", False),
    ("starts-with", 1, "1", "k: needs a string, got integer 1 (op starts-with)"),
    ("ends-with", "key.pem", ".pem", True),
    ("ends-with", "key.pem", ".key", False),
    ("ends-with", M, ".pem", False),
    ("ends-with", {"a": 1}, "a", 'k: needs a string, got object {"a": 1} (op ends-with)'),
    ("exists", "x", NONE_VALUE, True),
    ("exists", False, NONE_VALUE, True),  # a false boolean is present
    ("exists", None, NONE_VALUE, False),
    ("exists", M, NONE_VALUE, False),
    ("exists", [], NONE_VALUE, True),  # exists has no wrong type: any present value
    ("absent", M, NONE_VALUE, True),
    ("absent", None, NONE_VALUE, True),
    ("absent", "x", NONE_VALUE, False),
    ("absent", 0, NONE_VALUE, False),
    ("empty", M, NONE_VALUE, True),
    ("empty", "", NONE_VALUE, True),
    ("empty", [], NONE_VALUE, True),
    ("empty", {}, NONE_VALUE, True),
    ("empty", "a", NONE_VALUE, False),
    ("empty", [0], NONE_VALUE, False),
    ("empty", 0, NONE_VALUE, "k: needs a string, list or object, got integer 0 (op empty)"),
    ("not-empty", "a", NONE_VALUE, True),
    ("not-empty", "", NONE_VALUE, False),
    ("not-empty", M, NONE_VALUE, False),
    ("not-empty", 0, NONE_VALUE, "k: needs a string, list or object, got integer 0 (op not-empty)"),
    ("is-true", True, NONE_VALUE, True),
    ("is-true", False, NONE_VALUE, False),
    ("is-true", M, NONE_VALUE, False),
    ("is-true", "yes", NONE_VALUE,
     "k: needs a boolean, got string 'yes' (use value_type: boolean to read yes/no) (op is-true)"),
    ("is-true", 1, NONE_VALUE,
     "k: needs a boolean, got integer 1 (use value_type: boolean to read yes/no) (op is-true)"),
    ("is-false", False, NONE_VALUE, True),
    ("is-false", True, NONE_VALUE, False),
    ("is-false", M, NONE_VALUE, False),
    ("is-false", "no", NONE_VALUE,
     "k: needs a boolean, got string 'no' (use value_type: boolean to read yes/no) (op is-false)"),
    ("subset", ["a"], ["a", "b"], True),
    ("subset", [], ["a"], True),
    ("subset", ["a", "c"], ["a", "b"], False),
    ("subset", M, ["a"], False),
    ("subset", "a", ["a"], "k: needs a list, got string 'a' (op subset)"),
    ("superset", ["a", "b", "c"], ["a", "b"], True),
    ("superset", ["a"], ["a", "b"], False),
    ("superset", M, ["a"], False),
    ("superset", {"a": 1}, ["a"], 'k: needs a list, got object {"a": 1} (op superset)'),
    ("intersect", ["a", "x"], ["a"], True),
    ("intersect", ["x"], ["a"], False),
    ("intersect", M, ["a"], False),
    ("intersect", 3, [3], "k: needs a list, got integer 3 (op intersect)"),
    ("intersect", ["a"], "a", "k: operator 'intersect' needs a list value, got string 'a' (op intersect)"),
    ("disjoint", ["x"], ["a"], True),
    ("disjoint", ["x", "a"], ["a"], False),
    ("disjoint", M, ["a"], False),
    ("disjoint", "x", ["a"], "k: needs a list, got string 'x' (op disjoint)"),
    ("len-eq", "abc", 3, True),
    ("len-eq", [1, 2], 3, False),
    ("len-eq", M, 0, False),
    ("len-eq", 5, 1, "k: needs a string, list or object, got integer 5 (op len-eq)"),
    ("len-eq", "abc", "3",
     "k: operator 'len-eq' needs a non-negative integer value, got string '3' (op len-eq)"),
    ("len-gt", [1, 2, 3], 2, True),
    ("len-gt", {}, 0, False),
    ("len-gt", M, 0, False),
    ("len-gt", True, 0, "k: needs a string, list or object, got boolean true (op len-gt)"),
    ("len-lt", "ab", 3, True),
    ("len-lt", "abc", 3, False),
    ("len-lt", M, 3, False),
    ("len-lt", 2.5, 3, "k: needs a string, list or object, got number 2.5 (op len-lt)"),
    ("version-ge", "8.9p1", "8.9", True),
    ("version-ge", "1.9", "1.10", False),
    ("version-ge", M, "1.0", False),
    ("version-ge", ["x"], "1.0", 'k: cannot read list ["x"] as a version (op version-ge)'),
    ("version-ge", "abc", "1.0", "k: cannot read string 'abc' as a version (op version-ge)"),
    ("version-ge", "1.2", 1.2, True),  # a YAML number value reads as a version
    ("version-lt", "1.9", "1.10", True),
    ("version-lt", "2.0", "2.0rc1", False),
    ("version-lt", M, "1.0", False),
    ("version-lt", True, "1.0", "k: cannot read boolean true as a version (op version-lt)"),
    ("age-days-gt", "2026-01-01", 90, True),
    ("age-days-gt", "2026-11-20T12:00:00Z", 90, False),
    ("age-days-gt", M, 90, False),
    ("age-days-gt", 5, 90, "k: cannot read integer 5 as an ISO-8601 date or datetime (op age-days-gt)"),
    ("age-days-gt", "yesterday", 90,
     "k: cannot read string 'yesterday' as an ISO-8601 date or datetime (op age-days-gt)"),
    ("age-days-gt", "2026-01-01", "90",
     "k: operator 'age-days-gt' needs a number value, got string '90' (op age-days-gt)"),
    ("age-days-lt", "2026-11-20T12:00:00+00:00", 2, True),
    ("age-days-lt", datetime(2026, 11, 21, tzinfo=timezone.utc), 1, True),  # boto3 hands datetimes
    ("age-days-lt", "2020-01-01", 2, False),
    ("age-days-lt", M, 2, False),
    ("age-days-lt", ["2020-01-01"], 2,
     'k: cannot read list ["2020-01-01"] as an ISO-8601 date or datetime (op age-days-lt)'),
    ("cidr-contains", "10.0.0.0/8", "10.1.2.3", True),
    ("cidr-contains", "10.0.0.0/8", "192.168.0.0/16", False),
    ("cidr-contains", "10.0.0.0/8", "::1", False),  # mixing families is simply false
    ("cidr-contains", M, "10.1.2.3", False),
    ("cidr-contains", 5, "10.1.2.3", "k: cannot read integer 5 as a CIDR (op cidr-contains)"),
    ("cidr-within", "10.1.2.3", "10.0.0.0/8", True),
    ("cidr-within", "192.168.1.0/24", ["10.0.0.0/8", "192.168.0.0/16"], True),
    ("cidr-within", "0.0.0.0/0", ["10.0.0.0/8", "192.168.0.0/16"], False),
    ("cidr-within", "2001:db8::5", "2001:db8::/32", True),
    ("cidr-within", "::1", "10.0.0.0/8", False),
    ("cidr-within", M, "10.0.0.0/8", False),
    ("cidr-within", "not-an-ip", "10.0.0.0/8",
     ("k: cannot read string 'not-an-ip' as a CIDR: 'not-an-ip' does not appear to be an IPv4 or IPv6 "
     "network (op cidr-within)")),
    ("cidr-overlaps", "10.0.0.0/16", "10.0.128.0/17", True),
    ("cidr-overlaps", "2001:db8::/32", "2001:db8:1::/48", True),
    ("cidr-overlaps", "10.0.0.0/16", "10.1.0.0/16", False),
    ("cidr-overlaps", M, "10.0.0.0/16", False),
    ("cidr-overlaps", ["10.0.0.0/16"], "10.0.0.0/16",
     'k: cannot read list ["10.0.0.0/16"] as a CIDR (op cidr-overlaps)'),
]


def _call(leaf, op, actual, value, **extra):
    kwargs = dict(extra)
    if actual is not M:
        kwargs["actual"] = actual
    if value is not NONE_VALUE:
        kwargs["value"] = value
    return leaf(op, **kwargs)


@pytest.mark.parametrize("op,actual,value,result", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_operator(leaf, op, actual, value, result):
    if isinstance(result, str):
        with pytest.raises(ConditionError) as e:
            _call(leaf, op, actual, value)
        assert str(e.value) == result
        return
    outcome = _call(leaf, op, actual, value)
    assert outcome.ok is result
    (check,) = outcome.checks
    assert (check.key, check.op, check.ok, check.path) == ("k", op, result, "")
    assert check.missing is (actual is M or actual is None)
    assert check.actual == (None if actual is M else actual)
    assert outcome.decisive == check
    assert outcome.value == (None if actual is M else actual)


def test_every_operator_has_true_false_missing_cases():
    """A new operator cannot be added without its table rows."""
    for name, spec in OPERATORS.items():
        rows = [c for c in CASES if c[0] == name]
        assert any(r[3] is True for r in rows), name
        assert any(r[3] is False and r[1] is not M for r in rows), name
        assert any(r[1] is M for r in rows), name
        assert spec.doc, name
    # Only exists/absent/empty can be true on a missing key.
    assert {c[0] for c in CASES if c[1] is M and c[3] is True} == {"absent", "empty"}


# (op, actual, value, extra, result)
OPTION_CASES = [
    ("eq", "NO", "no", {"ignore_case": True}, True),
    ("eq", "NO", "no", {}, False),
    ("in", "No", ["no"], {"ignore_case": True}, True),
    ("contains", "Hello", "hell", {"ignore_case": True}, True),
    ("regex", "ABC", "^abc", {"ignore_case": True}, True),
    ("regex", "ABC", "^abc", {}, False),
    ("glob", "LEGACY-1", "legacy-*", {"ignore_case": True}, True),
    ("starts-with", "SSH-rsa", "ssh-", {"ignore_case": True}, True),
    ("ends-with", "KEY.PEM", ".pem", {"ignore_case": True}, True),
    ("subset", ["A"], ["a", "b"], {"ignore_case": True}, True),
    ("gt", "b", "A", {"ignore_case": True, "value_type": "string"}, True),
    # value_type coerces the actual value (and the expected value alike)
    ("eq", "3", 3, {"value_type": "integer"}, True),
    ("ge", "15", 14, {"value_type": "integer"}, True),
    ("ge", " 13 ", 14, {"value_type": "integer"}, False),
    ("ge", "abc", 14, {"value_type": "integer"}, "k: cannot read string 'abc' as an integer (op ge)"),
    ("ge", True, 1, {"value_type": "integer"}, "k: cannot read boolean true as an integer (op ge)"),
    ("eq", 3.0, 3, {"value_type": "integer"}, True),
    ("lt", "2.5", 3, {"value_type": "number"}, True),
    ("lt", "nan", 3, {"value_type": "number"}, "k: cannot read string 'nan' as a number (op lt)"),
    ("eq", 22, "22", {"value_type": "string"}, True),
    ("eq", True, "true", {"value_type": "string"}, True),
    ("gt", "b", "a", {"value_type": "string"}, True),
    ("eq", [1], "1", {"value_type": "string"}, 'k: cannot compare list ["1"] with string \'1\' (op eq)'),
    ("eq", {"a": 1}, "1", {"value_type": "string"}, 'k: cannot read object {"a": 1} as a string (op eq)'),
    ("is-true", "yes", None, {"value_type": "boolean"}, True),
    ("is-true", "ON", None, {"value_type": "boolean"}, True),
    ("is-true", 1, None, {"value_type": "boolean"}, True),
    ("is-false", "off", None, {"value_type": "boolean"}, True),
    ("is-false", "0", None, {"value_type": "boolean"}, True),
    ("is-true", "maybe", None, {"value_type": "boolean"},
     "k: cannot read string 'maybe' as a boolean (yes/no/true/false/on/off/1/0) (op is-true)"),
    ("eq", "no", False, {"value_type": "boolean"}, True),
    ("gt", "1.10", "1.9", {"value_type": "version"}, True),
    ("eq", "1.2", "1.2.0", {"value_type": "version"}, True),
    ("lt", "OpenSSH", "9.0", {"value_type": "version"},
     "k: cannot read string 'OpenSSH' as a version (op lt)"),
    ("gt", "2026-01-02", "2026-01-01T23:00:00Z", {"value_type": "datetime"}, True),
    ("lt", "2026-01-01T00:00:00+05:00", "2026-01-01", {"value_type": "datetime"}, True),
    ("eq", "2026-01-01T00:00:00Z", "2026-01-01", {"value_type": "datetime"}, True),
    ("eq", "10.0.0.5/8", "10.0.0.0/8", {"value_type": "cidr"}, True),
    ("in", ["22", "80"], [22, 80, 443], {"value_type": "integer"}, True),
    ("eq", "x", "x", {"value_type": "int"}, "k: unknown value_type 'int' (op eq)"),
]


@pytest.mark.parametrize("op,actual,value,extra,result", OPTION_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(OPTION_CASES)])
def test_options_and_value_type(leaf, op, actual, value, extra, result):
    value = NONE_VALUE if value is None else value
    if isinstance(result, str):
        with pytest.raises(ConditionError) as e:
            _call(leaf, op, actual, value, **extra)
        assert str(e.value) == result
        return
    outcome = _call(leaf, op, actual, value, **extra)
    assert outcome.ok is result
    # the check keeps the raw values (what the resource said), not the coerced ones
    assert outcome.decisive.actual == actual
    assert outcome.decisive.value_type == extra.get("value_type")


@pytest.mark.parametrize("a,b", [
    ("1.10", "1.9"), ("1.2.1", "1.2"), ("8.9p1", "8.9"), ("9.0", "8.9p1"), ("2.0", "2.0rc1"),
    ("2.0rc2", "2.0rc1"), ("2.0.1p2", "2.0.1p1"), ("1.1.1k", "1.1.1j"), ("1:1.0", "9.9"),
    ("v2", "1.99"), ("8.9p1-3", "8.9p1-2"), ("3.0.0", "3.0.0-beta.2"), ("10", "9"),
])
def test_version_ordering(leaf, a, b):
    assert leaf("version-ge", a, b).ok is True
    assert leaf("version-lt", a, b).ok is False
    assert leaf("version-lt", b, a).ok is True


def test_describe_reads_like_the_requirement(leaf):
    assert leaf("in", "yes", ["no"]).decisive.describe() == "k in ['no']"
    assert leaf("ge", 12, 14).decisive.describe() == "k ge 14"
    assert leaf("exists").decisive.describe() == "k exists"
    assert leaf("is-true", "yes", value_type="boolean").decisive.describe() == "k is-true (as boolean)"
    assert leaf("eq", "A", "a", ignore_case=True).decisive.describe() == "k eq 'a' (ignoring case)"
    assert leaf("eq", True, True).decisive.describe() == "k eq true"
