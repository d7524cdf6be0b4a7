"""syntax_problems: every kind of static problem, with its path and exact message; input_refs."""

from __future__ import annotations

import pytest

from scanner.conditions import FOREIGN_ALIASES, OPERATORS, input_refs, syntax_problems

EXISTS = {"key": "a", "op": "exists"}

PROBLEMS = [
    # unknown operators, with suggestions from our names and other tools' spellings
    ({"key": "a", "op": "equals", "value": 1}, [(("op",), "unknown operator 'equals' (did you mean 'eq'?)")]),
    ({"key": "a", "op": "greater-than", "value": 1},
     [(("op",), "unknown operator 'greater-than' (did you mean 'gt'?)")]),
    ({"key": "a", "op": "not_equals", "value": 1}, [(("op",), "unknown operator 'not_equals' (did you mean 'ne'?)")]),
    ({"key": "a", "op": "Eq", "value": 1}, [(("op",), "unknown operator 'Eq' (did you mean 'eq'?)")]),
    ({"key": "a", "op": "NOT_IN", "value": []}, [(("op",), "unknown operator 'NOT_IN' (did you mean 'not-in'?)")]),
    ({"key": "a", "op": "==", "value": 1}, [(("op",), "unknown operator '==' (did you mean 'eq'?)")]),
    ({"key": "a", "op": "regex_match", "value": "x"},
     [(("op",), "unknown operator 'regex_match' (did you mean 'regex'?)")]),
    ({"key": "a", "op": "present"}, [(("op",), "unknown operator 'present' (did you mean 'exists'?)")]),
    ({"key": "a", "op": "frobnicate", "value": 1}, [(("op",), "unknown operator 'frobnicate'")]),
    ({"key": "a", "op": 5}, [(("op",), "'op' must be a string, got integer 5")]),
    ({"key": "a", "value": 1}, [((), "a leaf needs 'op'")]),
    # unknown keys
    ({"key": "a", "op": "eq", "vaule": 1},
     [(("vaule",), "unknown key 'vaule' (did you mean 'value'?)"), ((), "operator 'eq' needs a 'value'")]),
    ({"alll": [EXISTS]}, [(("alll",), "unknown key 'alll' (did you mean 'all'?)")]),
    ({"all": [EXISTS], "key": "a"},
     [(("key",), "'key' cannot appear beside 'all': a mapping is either a leaf or one group")]),
    ({"all": [EXISTS], "any": [EXISTS]}, [((), "'all' and 'any' cannot share one mapping; nest them in 'all' or 'any'")]),
    # value present / absent
    ({"key": "a", "op": "in"}, [((), "operator 'in' needs a 'value'")]),
    ({"key": "a", "op": "exists", "value": True}, [(("value",), "operator 'exists' takes no 'value'")]),
    ({"key": "a", "op": "eq", "value": None},
     [(("value",), "operator 'eq' needs a value, got none (use 'absent' or 'exists' for null)")]),
    # regexes and keys
    ({"key": "a", "op": "regex", "value": "("},
     [(("value",), "invalid regex '(': missing ), unterminated subpattern at position 0")]),
    ({"key": "a[", "op": "exists"}, [(("key",), "invalid key 'a[': incomplete expression")]),
    ({"key": "a.b-c", "op": "exists"}, []),
    # JMESPath checks function names and arity only when run: the walker checks them when compiling
    ({"key": "lenght(a)", "op": "exists"}, [(("key",), "invalid key 'lenght(a)': unknown function lenght()")]),
    ({"key": "length(a, b)", "op": "exists"},
     [(("key",), "invalid key 'length(a, b)': function length() takes 1 arguments, got 2")]),
    ({"key": "length(a) > `1` && max_by(xs, &p).q", "op": "exists"}, []),
    ({"key": 5, "op": "exists"}, [(("key",), "a key must be a string, got integer 5")]),
    # literal values of the wrong kind
    ({"key": "a", "op": "in", "value": "no"}, [(("value",), "operator 'in' needs a list value, got string 'no'")]),
    ({"key": "a", "op": "subset", "value": {"a": 1}},
     [(("value",), 'operator \'subset\' needs a list value, got object {"a": 1}')]),
    ({"key": "a", "op": "gt", "value": "3"},
     [(("value",), "operator 'gt' needs a number value, got string '3' (set value_type to compare strings)")]),
    ({"key": "a", "op": "ge", "value": True}, [(("value",), "operator 'ge' needs a number value, got boolean true")]),
    ({"key": "a", "op": "gt", "value": "1.2", "value_type": "version"}, []),
    ({"key": "a", "op": "lt", "value": "2026-01-01", "value_type": "datetime"}, []),
    ({"key": "a", "op": "gt", "value": "x", "value_type": "version"},
     [(("value",), "operator 'gt': cannot read string 'x' as a version")]),
    ({"key": "a", "op": "eq", "value": "abc", "value_type": "integer"},
     [(("value",), "operator 'eq': cannot read string 'abc' as an integer")]),
    ({"key": "a", "op": "len-gt", "value": -1},
     [(("value",), "operator 'len-gt' needs a non-negative integer value, got integer -1")]),
    ({"key": "a", "op": "len-eq", "value": 1.5},
     [(("value",), "operator 'len-eq' needs a non-negative integer value, got number 1.5")]),
    ({"key": "a", "op": "age-days-gt", "value": "90"},
     [(("value",), "operator 'age-days-gt' needs a number value, got string '90'")]),
    ({"key": "a", "op": "cidr-within", "value": "10.0.0.0/33"},
     [(("value",), ("operator 'cidr-within': cannot read string '10.0.0.0/33' as a CIDR: '10.0.0.0/33' does not "
                   "appear to be an IPv4 or IPv6 network"))]),
    ({"key": "a", "op": "cidr-within", "value": ["10.0.0.0/8", 5]},
     [(("value",), "operator 'cidr-within': cannot read integer 5 as a CIDR")]),
    ({"key": "a", "op": "version-ge", "value": "abc"},
     [(("value",), "operator 'version-ge': cannot read string 'abc' as a version")]),
    ({"key": "a", "op": "glob", "value": 3}, [(("value",), "operator 'glob' needs a string value, got integer 3")]),
    # value_type and ignore_case
    ({"key": "a", "op": "eq", "value": 1, "value_type": "int"},
     [(("value_type",), "unknown value_type 'int' (did you mean 'integer'?)")]),
    ({"key": "a", "op": "eq", "value": 1, "value_type": "float"},
     [(("value_type",), "unknown value_type 'float' (did you mean 'number'?)")]),
    ({"key": "a", "op": "eq", "value": 1, "ignore_case": "yes"},
     [(("ignore_case",), "'ignore_case' must be true or false, got string 'yes'")]),
    # input references
    ({"key": "a", "op": "in", "value": {"input": "x"}}, []),
    ({"key": "a", "op": "in", "value": {"input": "x", "default": 1}},
     [(("value",), "an input reference is {input: <name>} and nothing else")]),
    # groups
    ({"all": EXISTS}, [(("all",), "'all' needs a list of conditions, got object")]),
    ({"all": []}, [(("all",), "'all' is empty")]),
    ({"any": [EXISTS, {"any": []}]}, [(("any", 1, "any"), "'any' is empty")]),
    ({"not": "x"}, [(("not",), "'not' needs a condition or a list of conditions, got string")]),
    ({"not": {"key": "a", "op": "eqq", "value": 1}}, [(("not", "op"), "unknown operator 'eqq' (did you mean 'eq'?)")]),
    ({"all": [EXISTS, {"any": [{"key": "b", "op": "eqq", "value": 1}]}]},
     [(("all", 1, "any", 0, "op"), "unknown operator 'eqq' (did you mean 'eq'?)")]),
    # quantifiers
    ({"any_of": {"where": EXISTS}}, [(("any_of",), "'any_of' needs 'path'")]),
    ({"all_of": {"path": "p"}}, [(("all_of",), "'all_of' needs 'where'")]),
    ({"none_of": {"path": "p", "were": EXISTS}},
     [(("none_of", "were"), "unknown key 'were' (did you mean 'where'?)"), (("none_of",), "'none_of' needs 'where'")]),
    ({"any_of": [EXISTS]}, [(("any_of",), "'any_of' needs a mapping with 'path' and 'where', got list")]),
    ({"any_of": {"path": "p[", "where": EXISTS}}, [(("any_of", "path"), "invalid key 'p[': incomplete expression")]),
    ({"none_of": {"path": "ports", "where": {"all": [{"key": "state", "op": "eq", "value": "open"},
                                                      {"key": "portid", "op": "in", "value": 21}]}}},
     [(("none_of", "where", "all", 1, "value"), "operator 'in' needs a list value, got integer 21")]),
    # neither leaf nor group
    ("x", [((), ("a condition must be a mapping (a leaf with 'op', or all, any, not, any_of, all_of, none_of), "
                "got string 'x'"))]),
    ({"all": [["a"]]}, [(("all", 0), ("a condition must be a mapping (a leaf with 'op', or all, any, not, any_of, "
                                      'all_of, none_of), got list ["a"]'))]),
    ({}, [((), "empty condition: a leaf needs 'op'")]),
]


@pytest.mark.parametrize("cond,problems", PROBLEMS, ids=[str(i) for i in range(len(PROBLEMS))])
def test_syntax_problems(cond, problems):
    assert syntax_problems(cond) == problems


def test_design_examples_are_clean():
    assert syntax_problems({"all": [
        {"key": "Encryption.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm", "op": "exists"},
        {"key": "Encryption.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm", "op": "in",
         "value": {"input": "approved_algorithms"}}]}) == []
    assert syntax_problems({"key": "facts.packages.openssh-server.installed", "op": "is-true"}) == []
    assert syntax_problems({"not": [{"key": "Tags.data-class", "op": "eq", "value": "public-website"}]}) == []


def test_every_alias_points_at_a_real_operator_and_is_looked_up_normalised():
    for foreign, ours in FOREIGN_ALIASES.items():
        assert ours in OPERATORS, foreign
        assert foreign not in OPERATORS, foreign
        assert foreign == foreign.lower().replace("_", "-"), foreign  # the form suggest.closest looks up


def test_every_operator_literal_check_accepts_a_good_value():
    good = {"list": ["a"], "order": 1, "string": "a", "regex": "^a", "integer": 1, "number": 1,
            "version": "1.0", "cidr": "10.0.0.0/8", "any": "a"}
    for name, spec in OPERATORS.items():
        cond = {"key": "a", "op": name}
        if spec.needs_value:
            cond["value"] = good[spec.value_kind]
        assert syntax_problems(cond) == [], name


def test_input_refs():
    cond = {"all": [
        {"key": "a", "op": "in", "value": {"input": "allowed"}},
        {"none_of": {"path": "ports", "where": {"any": [
            {"key": "portid", "op": "in", "value": {"input": "forbidden_ports"}},
            {"key": "name", "op": "eq", "value": "{input: not_a_ref}"},
            {"key": "name", "op": "eq", "value": {"input": "x", "other": 1}},
        ]}}},
        {"not": {"key": "b", "op": "ge", "value": {"input": "minimum"}}},
    ]}
    assert input_refs(cond) == {"allowed", "forbidden_ports", "minimum"}
    assert input_refs({"key": "a", "op": "exists"}) == set()
    assert input_refs("garbage") == set()
