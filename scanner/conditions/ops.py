"""The operators of the condition language: what each does, on which kinds, and the literal checks.

Each operator function takes ``(actual, expected, options)`` with ``actual`` already known not to be
null (:mod:`scanner.conditions` handles missing keys) and both sides coerced by ``value_type``.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from scanner.conditions.values import (
    Network,
    TypeProblem,
    _fold,
    _is_number,
    _need_list,
    _need_str,
    coerce,
    equal,
    kind,
    member,
    parse_cidr,
    parse_datetime,
    parse_version,
    same,
    short,
    show,
)


@dataclass(frozen=True)
class Opts:
    """Per-leaf options an operator may need."""

    ignore_case: bool = False
    value_type: str | None = None
    now: datetime | None = None


def _order(a: Any, b: Any, o: Opts) -> tuple[Any, Any]:
    if _is_number(a) and _is_number(b):
        return a, b
    if kind(a) == kind(b) and kind(a) in ("version", "datetime"):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        if o.value_type == "string":
            return _fold(a, o.ignore_case), _fold(b, o.ignore_case)
        raise TypeProblem(f"cannot order string {short(a)} and string {short(b)} without "
                          "value_type (integer, number, version, datetime or string)")
    raise TypeProblem(f"cannot compare {show(a)} with {show(b)}")


def _contains(a: Any, b: Any, o: Opts) -> bool:
    if isinstance(a, str):
        return _fold(_need_str(b), o.ignore_case) in _fold(a, o.ignore_case)
    if isinstance(a, (list, tuple)):
        return any(same(x, b, o.ignore_case) for x in a)
    if isinstance(a, Mapping):
        return any(same(k, b, o.ignore_case) for k in a)
    raise TypeProblem(f"needs a string, list or object, got {show(a)}")


@functools.lru_cache(maxsize=1024)
def compile_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """Compile once; an invalid pattern raises TypeProblem with Python's own explanation."""
    try:
        return re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as e:
        raise TypeProblem(f"invalid regex {pattern!r}: {e}") from None


def _regex(a: Any, b: Any, o: Opts) -> bool:
    return compile_regex(_need_str(b), o.ignore_case).search(_need_str(a)) is not None


def _glob(a: Any, b: Any, o: Opts) -> bool:
    return fnmatch.fnmatchcase(_fold(_need_str(a), o.ignore_case), _fold(_need_str(b), o.ignore_case))


def _size(a: Any) -> int:
    if isinstance(a, (str, list, tuple, Mapping)):
        return len(a)
    raise TypeProblem(f"needs a string, list or object, got {show(a)}")


def _int_value(b: Any) -> int:
    if isinstance(b, bool) or not isinstance(b, int):
        raise TypeProblem(f"needs an integer value, got {show(b)}")
    return b


def _bool(a: Any, want: bool) -> bool:
    if not isinstance(a, bool):
        raise TypeProblem(f"needs a boolean, got {show(a)} (use value_type: boolean to read yes/no)")
    return a is want


def _in(a: Any, b: Any, o: Opts) -> bool:
    items = _need_list(b, "a list value")
    if isinstance(a, (list, tuple)):
        return all(member(x, items, o.ignore_case) for x in a)
    return member(a, items, o.ignore_case)


def _not_in(a: Any, b: Any, o: Opts) -> bool:
    items = _need_list(b, "a list value")
    if isinstance(a, (list, tuple)):
        return not any(member(x, items, o.ignore_case) for x in a)
    return not member(a, items, o.ignore_case)


def _lists(a: Any, b: Any) -> tuple[list[Any], list[Any]]:
    return _need_list(a), _need_list(b, "a list value")


def _count_in(xs: list[Any], ys: list[Any], o: Opts) -> int:
    """How many elements of xs are in ys."""
    return sum(1 for x in xs if any(same(x, y, o.ignore_case) for y in ys))


def _subset(a: Any, b: Any, o: Opts) -> bool:
    xs, ys = _lists(a, b)
    return _count_in(xs, ys, o) == len(xs)


def _superset(a: Any, b: Any, o: Opts) -> bool:
    xs, ys = _lists(a, b)
    return _count_in(ys, xs, o) == len(ys)


def _intersect(a: Any, b: Any, o: Opts) -> bool:
    xs, ys = _lists(a, b)
    return _count_in(xs, ys, o) > 0


def _age_days(a: Any, o: Opts) -> float:
    now = o.now or datetime.now(timezone.utc)
    return (now - parse_datetime(a)).total_seconds() / 86400


def _cidr_any(a: Any, b: Any, rel: Callable[[Network, Network], bool]) -> bool:
    net = parse_cidr(a)
    others = [parse_cidr(x) for x in (b if isinstance(b, (list, tuple)) else [b])]
    # Mixing IPv4 and IPv6 is simply false, never an error.
    return any(net.version == other.version and rel(net, other) for other in others)


def _num(b: Any) -> int | float:
    if not _is_number(b):
        raise TypeProblem(f"needs a number value, got {show(b)}")
    return b


OpFn = Callable[[Any, Any, Opts], bool]


def _ordered(cmp: Callable[[Any, Any], bool]) -> OpFn:
    return lambda a, b, o: cmp(*_order(a, b, o))


@dataclass(frozen=True)
class OperatorSpec:
    """One operator: its name, whether it takes a ``value``, what it does, and its machinery."""

    name: str
    needs_value: bool
    doc: str
    value_kind: str = "any"
    """What the lint requires of a literal value: any, list, order, string, regex, integer,
    number, version, cidr or none."""
    fn: OpFn | None = None
    on_missing: bool | None = None
    """The result when the key is missing (null): None (UNKNOWN) for every operator except those
    whose documented meaning decides on missing data (exists, not-empty: false; absent, empty: true)."""


_SPECS: list[OperatorSpec] = [
    OperatorSpec("eq", True, "equal (JSON equality; kinds must match, 1 is not '1' nor true)",
                 "any", lambda a, b, o: equal(a, b, o.ignore_case)),
    OperatorSpec("ne", True, "not equal (kinds must match)", "any",
                 lambda a, b, o: not equal(a, b, o.ignore_case)),
    OperatorSpec("gt", True, "greater than (numbers; versions/datetimes/strings with value_type)",
                 "order", _ordered(lambda a, b: a > b)),
    OperatorSpec("ge", True, "greater than or equal", "order", _ordered(lambda a, b: a >= b)),
    OperatorSpec("lt", True, "less than", "order", _ordered(lambda a, b: a < b)),
    OperatorSpec("le", True, "less than or equal", "order", _ordered(lambda a, b: a <= b)),
    OperatorSpec("in", True, "actual is one of the list (a list actual: every element is)", "list", _in),
    OperatorSpec("not-in", True, "actual is none of the list (a list actual: no element is)",
                 "list", _not_in),
    OperatorSpec("contains", True, "substring of a string, member of a list, key of an object",
                 "any", _contains),
    OperatorSpec("not-contains", True, "negation of contains", "any",
                 lambda a, b, o: not _contains(a, b, o)),
    OperatorSpec("regex", True, "string matches the regex anywhere (re.search)", "regex", _regex),
    OperatorSpec("not-regex", True, "string does not match the regex", "regex",
                 lambda a, b, o: not _regex(a, b, o)),
    OperatorSpec("glob", True, "string matches the shell glob as a whole (* ? [..])", "string", _glob),
    OperatorSpec("starts-with", True, "string starts with the value", "string",
                 lambda a, b, o: _fold(_need_str(a), o.ignore_case).startswith(
                     _fold(_need_str(b), o.ignore_case))),
    OperatorSpec("ends-with", True, "string ends with the value", "string",
                 lambda a, b, o: _fold(_need_str(a), o.ignore_case).endswith(
                     _fold(_need_str(b), o.ignore_case))),
    OperatorSpec("exists", False, "key is present and not null", "none", lambda a, b, o: True, False),
    OperatorSpec("absent", False, "key is missing or null", "none", lambda a, b, o: False, True),
    OperatorSpec("empty", False, "missing, null, '', [] or {}", "none",
                 lambda a, b, o: _size(a) == 0, True),
    OperatorSpec("not-empty", False, "a non-empty string, list or object (missing, null: false)", "none",
                 lambda a, b, o: _size(a) > 0, False),
    OperatorSpec("is-true", False, "boolean true (strings need value_type: boolean)", "none",
                 lambda a, b, o: _bool(a, True)),
    OperatorSpec("is-false", False, "boolean false", "none", lambda a, b, o: _bool(a, False)),
    OperatorSpec("subset", True, "every element of the actual list is in the value list", "list", _subset),
    OperatorSpec("superset", True, "every element of the value list is in the actual list", "list", _superset),
    OperatorSpec("intersect", True, "the lists share at least one element", "list", _intersect),
    OperatorSpec("disjoint", True, "the lists share no element", "list",
                 lambda a, b, o: not _intersect(a, b, o)),
    OperatorSpec("len-eq", True, "length of string/list/object equals", "integer",
                 lambda a, b, o: _size(a) == _int_value(b)),
    OperatorSpec("len-gt", True, "length greater than", "integer", lambda a, b, o: _size(a) > _int_value(b)),
    OperatorSpec("len-lt", True, "length less than", "integer", lambda a, b, o: _size(a) < _int_value(b)),
    OperatorSpec("version-ge", True, "version >= value (numeric dotted parts)", "version",
                 lambda a, b, o: parse_version(a) >= parse_version(b)),
    OperatorSpec("version-lt", True, "version < value", "version",
                 lambda a, b, o: parse_version(a) < parse_version(b)),
    OperatorSpec("age-days-gt", True, "ISO date/datetime is more than N days old", "number",
                 lambda a, b, o: _age_days(a, o) > _num(b)),
    OperatorSpec("age-days-lt", True, "ISO date/datetime is less than N days old", "number",
                 lambda a, b, o: _age_days(a, o) < _num(b)),
    OperatorSpec("cidr-contains", True, "the actual network contains the value (any of a list)",
                 "cidr", lambda a, b, o: _cidr_any(a, b, lambda n, m: m.subnet_of(n))),  # type: ignore[arg-type]
    OperatorSpec("cidr-within", True, "the actual address/network lies within the value (any of a list)",
                 "cidr", lambda a, b, o: _cidr_any(a, b, lambda n, m: n.subnet_of(m))),  # type: ignore[arg-type]
    OperatorSpec("cidr-overlaps", True, "the networks share an address (any of a list)", "cidr",
                 lambda a, b, o: _cidr_any(a, b, lambda n, m: n.overlaps(m))),
]

OPERATORS: Mapping[str, OperatorSpec] = {s.name: s for s in _SPECS}

#: Operators whose expected value follows ``value_type`` (the others take counts, days, CIDRs...).
COERCE_EXPECTED = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "in", "not-in", "contains",
                             "not-contains", "subset", "superset", "intersect", "disjoint"})


def value_problem(op: str, value: Any, value_type: str | None = None) -> str | None:
    """Why a literal ``value`` does not suit ``op`` (and ``value_type``), or None.

    The lint calls this on literals and may call it on input defaults.
    """
    spec = OPERATORS[op]
    k = spec.value_kind
    try:
        if value_type and op in COERCE_EXPECTED and value is not None:
            value = coerce(value, value_type)
        if k == "list" and not isinstance(value, (list, tuple)):
            return f"operator {op!r} needs a list value, got {show(value)}"
        if k == "order" and not (_is_number(value) or kind(value) in ("version", "datetime")
                                 or (value_type == "string" and isinstance(value, str))):
            return (f"operator {op!r} needs a number value, got {show(value)}"
                    + (" (set value_type to compare strings)" if isinstance(value, str) else ""))
        if k in ("string", "regex") and not isinstance(value, str):
            return f"operator {op!r} needs a string value, got {show(value)}"
        if k == "regex":
            compile_regex(value)
        if k == "integer" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            return f"operator {op!r} needs a non-negative integer value, got {show(value)}"
        if k == "number" and not _is_number(value):
            return f"operator {op!r} needs a number value, got {show(value)}"
        if k == "version":
            parse_version(value)
        if k == "cidr":
            for v in value if isinstance(value, (list, tuple)) else [value]:
                parse_cidr(v)
        if k == "any" and value is None:
            return f"operator {op!r} needs a value, got none (use 'absent' or 'exists' for null)"
    except TypeProblem as e:
        return f"operator {op!r}: {e}" if not str(e).startswith("invalid regex") else str(e)
    return None
