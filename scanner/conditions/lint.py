"""Static checks of a condition for ``govscan policy lint``: what can be known without a resource.

:func:`syntax_problems` returns ``(path, message)`` pairs, the path being the mapping keys and list
indexes inside the condition (``("all", 1, "op")``) so the lint can point at file:line:col.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from scanner.conditions.keys import compile_key
from scanner.conditions.ops import OPERATORS, value_problem
from scanner.conditions.values import VALUE_TYPE_ALIASES, VALUE_TYPES, TypeProblem, kind, show
from scanner.suggest import did_you_mean

Path = tuple[str | int, ...]

LEAF_KEYS = ("key", "op", "value", "value_type", "ignore_case")
GROUPS = ("all", "any", "not")
QUANTIFIERS = ("any_of", "all_of", "none_of")
QUANTIFIER_KEYS = ("path", "where")

#: Other tools' operator spellings (Cloud Custodian, Checkov, OPA/Rego, CEL, InSpec) -> ours, for
#: "did you mean". Keys are lower-case with '-' for '_', as :func:`scanner.suggest.closest` looks them up.
FOREIGN_ALIASES: Mapping[str, str] = {
    # equality
    "equal": "eq", "equals": "eq", "==": "eq", "=": "eq", "is": "eq", "cmp": "eq",
    "not-equal": "ne", "not-equals": "ne", "!=": "ne", "neq": "ne",
    # ordering
    "greater-than": "gt", ">": "gt", "gte": "ge", "greater-than-or-equal": "ge", ">=": "ge",
    "less-than": "lt", "<": "lt", "lte": "le", "less-than-or-equal": "le", "<=": "le",
    # membership
    "one-of": "in", "within": "in", "ni": "not-in", "not-within": "not-in", "notin": "not-in",
    "include": "contains", "includes": "contains", "has": "contains",
    "not-include": "not-contains", "not-includes": "not-contains",
    # patterns
    "regex-match": "regex", "re-match": "regex", "matches": "regex", "match": "regex",
    "regex-case": "regex", "not-regex-match": "not-regex", "cmatch": "regex",
    "startswith": "starts-with", "starting-with": "starts-with", "prefix": "starts-with",
    "endswith": "ends-with", "ending-with": "ends-with", "suffix": "ends-with",
    "fnmatch": "glob", "wildcard": "glob",
    # presence
    "present": "exists", "not-null": "exists", "not-exists": "absent", "missing": "absent",
    "null": "absent", "is-null": "absent", "is-empty": "empty", "is-not-empty": "not-empty",
    "true": "is-true", "false": "is-false",
    # sets
    "intersects": "intersect", "intersection": "intersect", "not-intersects": "disjoint",
    "difference": "disjoint", "is-subset": "subset", "is-superset": "superset",
    # lengths, versions, time, networks
    "length-equals": "len-eq", "length-greater-than": "len-gt", "length-less-than": "len-lt",
    "size": "len-eq", "version-gte": "version-ge", "version-greater-or-equal": "version-ge",
    "version-less-than": "version-lt", "age": "age-days-gt", "older-than": "age-days-gt",
    "newer-than": "age-days-lt", "cidr-match": "cidr-within", "net-cidr-contains": "cidr-contains",
    "net-cidr-intersects": "cidr-overlaps", "cidr-intersects": "cidr-overlaps",
}


# Our own names too, so that ``Eq`` and ``not_in`` suggest ``eq`` and ``not-in``.
_OP_ALIASES = {**FOREIGN_ALIASES, **{name: name for name in OPERATORS}}


def _unknown_key(name: Any, candidates: tuple[str, ...]) -> str:
    return f"unknown key {name!r}" + (did_you_mean(name, candidates) if isinstance(name, str) else "")


def syntax_problems(cond: Any) -> list[tuple[Path, str]]:
    """Every static problem in a condition, each with its path inside the condition."""
    out: list[tuple[Path, str]] = []
    _walk(cond, (), out)
    return out


def _walk(node: Any, path: Path, out: list[tuple[Path, str]]) -> None:
    if not isinstance(node, Mapping):
        out.append((path, ("a condition must be a mapping (a leaf with 'op', or all, any, not, "
                          f"any_of, all_of, none_of), got {show(node)}")))
        return
    structural = [k for k in node if k in GROUPS or k in QUANTIFIERS]
    if len(structural) > 1:
        out.append((path, (f"{structural[0]!r} and {structural[1]!r} cannot share one mapping; "
                          "nest them in 'all' or 'any'")))
    if structural:
        for k in node:
            if k in LEAF_KEYS:
                out.append((path + (k,), (f"{k!r} cannot appear beside {structural[0]!r}: a mapping is "
                                          "either a leaf or one group")))
            elif k not in structural:
                out.append((path + (k,), _unknown_key(k, GROUPS + QUANTIFIERS)))
        for k in structural:
            (_quantifier if k in QUANTIFIERS else _group)(k, node[k], path + (k,), out)
        return
    if not any(k in node for k in LEAF_KEYS):
        for k in node:
            out.append((path + (k,), _unknown_key(k, LEAF_KEYS + GROUPS + QUANTIFIERS)))
        if not node:
            out.append((path, "empty condition: a leaf needs 'op'"))
        return
    _leaf(node, path, out)


def _group(name: str, body: Any, path: Path, out: list[tuple[Path, str]]) -> None:
    if name == "not" and isinstance(body, Mapping):
        _walk(body, path, out)
        return
    if not isinstance(body, (list, tuple)):
        what = "a condition or a list of conditions" if name == "not" else "a list of conditions"
        out.append((path, f"{name!r} needs {what}, got {kind(body)}"))
        return
    if not body:
        out.append((path, f"{name!r} is empty"))
    for i, child in enumerate(body):
        _walk(child, path + (i,), out)


def _quantifier(name: str, body: Any, path: Path, out: list[tuple[Path, str]]) -> None:
    if not isinstance(body, Mapping):
        out.append((path, f"{name!r} needs a mapping with 'path' and 'where', got {kind(body)}"))
        return
    for k in body:
        if k not in QUANTIFIER_KEYS:
            out.append((path + (k,), _unknown_key(k, QUANTIFIER_KEYS)))
    for k in QUANTIFIER_KEYS:
        if k not in body:
            out.append((path, f"{name!r} needs {k!r}"))
    if "path" in body:
        _key_problem(body["path"], path + ("path",), out)
    if "where" in body:
        _walk(body["where"], path + ("where",), out)


def _key_problem(key: Any, path: Path, out: list[tuple[Path, str]]) -> None:
    if not isinstance(key, str):
        out.append((path, f"a key must be a string, got {show(key)}"))
        return
    try:
        compile_key(key)
    except TypeProblem as e:
        out.append((path, str(e)))


def _is_ref(value: Any) -> bool:
    return isinstance(value, Mapping) and "input" in value


def _leaf(node: Mapping[str, Any], path: Path, out: list[tuple[Path, str]]) -> None:
    for k in node:
        if k not in LEAF_KEYS:
            out.append((path + (k,), _unknown_key(k, LEAF_KEYS)))
    if "key" in node:
        _key_problem(node["key"], path + ("key",), out)
    vt = node.get("value_type")
    if "value_type" in node and vt not in VALUE_TYPES:
        hint = did_you_mean(vt, VALUE_TYPES, VALUE_TYPE_ALIASES) if isinstance(vt, str) else ""
        out.append((path + ("value_type",), f"unknown value_type {vt!r}{hint}"))
        vt = None
    if "ignore_case" in node and not isinstance(node["ignore_case"], bool):
        out.append((path + ("ignore_case",), f"'ignore_case' must be true or false, got {show(node['ignore_case'])}"))
    if "op" not in node:
        out.append((path, "a leaf needs 'op'"))
        return
    op = node["op"]
    if not isinstance(op, str):
        out.append((path + ("op",), f"'op' must be a string, got {show(op)}"))
        return
    if op not in OPERATORS:
        out.append((path + ("op",), f"unknown operator {op!r}{did_you_mean(op, OPERATORS, _OP_ALIASES)}"))
        return
    spec = OPERATORS[op]
    if not spec.needs_value:
        if "value" in node:
            out.append((path + ("value",), f"operator {op!r} takes no 'value'"))
        return
    if "value" not in node:
        out.append((path, f"operator {op!r} needs a 'value'"))
        return
    value = node["value"]
    if _is_ref(value):
        if len(value) != 1 or not isinstance(value["input"], str) or not value["input"]:
            out.append((path + ("value",), "an input reference is {input: <name>} and nothing else"))
        return  # the kind of an input's value is checked against its declared type by the lint
    problem = value_problem(op, value, vt)
    if problem:
        out.append((path + ("value",), problem))


def input_refs(cond: Any) -> set[str]:
    """The names referenced as ``{input: name}`` anywhere in the condition."""
    found: set[str] = set()
    stack = [cond]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if len(node) == 1 and isinstance(node.get("input"), str):
                found.add(node["input"])
            else:
                stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return found


def resource_keys(cond: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, key) of every key a condition reads from the resource itself, including quantifier
    ``path``s; keys inside a quantifier's ``where`` are relative to list elements and not listed."""
    if isinstance(cond, list):
        for i, c in enumerate(cond):
            yield from resource_keys(c, path + (i,))
    elif isinstance(cond, dict):
        if isinstance(cond.get("key"), str):
            yield path + ("key",), cond["key"]
        for group in ("all", "any", "not"):
            if group in cond:
                yield from resource_keys(cond[group], path + (group,))
        for quant in ("any_of", "all_of", "none_of"):
            q = cond.get(quant)
            if isinstance(q, dict) and isinstance(q.get("path"), str):
                yield path + (quant, "path"), q["path"]
