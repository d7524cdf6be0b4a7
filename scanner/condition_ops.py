"""The operators of the condition language, the ``value_type`` coercions and the JMESPath key normaliser.

Everything here works on one leaf's already-resolved values; :mod:`scanner.conditions` walks the
condition tree and turns a :class:`TypeProblem` into a :class:`ConditionError` that names the key.

Rules, in one place (DESIGN.md section 3 "Conditions"):

* No implicit coercion. ``22`` and ``"22"`` are different kinds; comparing them is an error, never
  a silent false, because the author almost certainly wants ``value_type``. ``true`` is a boolean,
  never the number 1.
* ``value_type`` (integer, number, string, boolean, version, datetime, cidr) coerces the actual value
  (each element when it is a list) and the expected value the same way; a failed coercion is an error.
* ``ignore_case: true`` folds case on both sides of the string operators.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from collections.abc import Mapping
from typing import Any, Callable

import jmespath
from jmespath import exceptions as jmes_exc


class ConditionError(Exception):
    """A condition cannot be evaluated on this resource (wrong type in the data, bad regex...).

    The engine turns it into an ``error`` finding, never a pass. The message names the key, e.g.
    ``permitrootlogin: cannot compare string 'yes' with integer 3 (op gt)``.
    """


class TypeProblem(Exception):
    """Raised by an operator; the caller prefixes the key and the operator name."""


# ---------------------------------------------------------------------------------------------
# Kinds and short displays, used in every error message

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.total_ordering
@dataclass(frozen=True)
class Version:
    """A version parsed for ordering: ``1.10 > 1.9``, ``8.9p1 > 8.9``, ``2.0rc1 < 2.0``."""

    text: str
    key: tuple[Any, ...]

    def __lt__(self, other: "Version") -> bool:
        return self.key < other.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


def kind(x: Any) -> str:
    """The name of a value's kind as the messages say it: string, integer, number, list..."""
    if x is None:
        return "none"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, int):
        return "integer"
    if isinstance(x, float):
        return "number"
    if isinstance(x, str):
        return "string"
    if isinstance(x, (list, tuple)):
        return "list"
    if isinstance(x, Mapping):
        return "object"
    if isinstance(x, Version):
        return "version"
    if isinstance(x, datetime):
        return "datetime"
    if isinstance(x, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return "cidr"
    return type(x).__name__


def _family(x: Any) -> str:
    k = kind(x)
    return "number" if k == "integer" else k


def short(x: Any, limit: int = 60) -> str:
    """A value for a message: strings quoted, long values cut."""
    if isinstance(x, bool):
        text = "true" if x else "false"
    elif isinstance(x, Version):
        text = repr(x.text)
    elif isinstance(x, datetime):
        text = x.isoformat()
    elif isinstance(x, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        text = str(x)
    elif isinstance(x, (list, tuple, dict)):
        text = json.dumps(x, default=str, ensure_ascii=False)
    else:
        text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(x: Any) -> str:
    """``string 'yes'``, ``integer 3``, ``none``."""
    return "none" if x is None else f"{kind(x)} {short(x)}"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# ---------------------------------------------------------------------------------------------
# value_type coercions

VALUE_TYPES = ("integer", "number", "string", "boolean", "version", "datetime", "cidr")
VALUE_TYPE_ALIASES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean",
                      "date": "datetime", "timestamp": "datetime", "semver": "version", "ip": "cidr"}
_BOOL_WORDS = {"true": True, "yes": True, "on": True, "1": True,
               "false": False, "no": False, "off": False, "0": False}
_INT_RE = re.compile(r"[+-]?\d+")
_PRE_RELEASE = ("dev", "alpha", "a", "beta", "b", "rc", "c", "pre", "preview")


def parse_version(x: Any) -> Version:
    """Numeric dotted parts compare as numbers and missing parts are zero (1.2 == 1.2.0).

    An optional ``epoch:`` prefix and ``v`` are understood. After the numbers, a suffix that starts
    with a pre-release word (dev alpha a beta b rc c pre preview) sorts before the plain release;
    any other suffix (OpenSSH ``p1``, OpenSSL ``k``, Debian ``-3``) sorts after it.
    """
    if isinstance(x, Version):
        return x
    if _is_number(x):
        x = str(x)
    if not isinstance(x, str):
        raise TypeProblem(f"cannot read {show(x)} as a version")
    m = re.fullmatch(r"\s*(?:(\d+):)?[vV]?(\d+(?:\.\d+)*)(.*?)\s*", x)
    if not m:
        raise TypeProblem(f"cannot read {show(x)} as a version")
    epoch = int(m.group(1) or 0)
    release = [int(p) for p in m.group(2).split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    suffix = m.group(3).lower().lstrip(".-_+~")
    tokens = tuple((0, int(t)) if t.isdigit() else (1, t) for t in re.findall(r"\d+|[a-z]+", suffix))
    rank = 0 if not suffix else (-1 if re.match("|".join(_PRE_RELEASE), suffix) else 1)
    return Version(x, (epoch, tuple(release), rank, tokens))


def parse_datetime(x: Any) -> datetime:
    """ISO-8601 date or datetime (``Z``, offsets; naive means UTC) to an aware datetime."""
    if isinstance(x, datetime):
        dt = x
    elif isinstance(x, date):
        dt = datetime(x.year, x.month, x.day)
    elif isinstance(x, str):
        try:
            dt = datetime.fromisoformat(x.strip())
        except ValueError:
            raise TypeProblem(f"cannot read {show(x)} as an ISO-8601 date or datetime") from None
    else:
        raise TypeProblem(f"cannot read {show(x)} as an ISO-8601 date or datetime")
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def parse_cidr(x: Any) -> Network:
    """An IPv4/IPv6 network or address (an address is a /32 or /128); host bits may be set."""
    if isinstance(x, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return x
    if not isinstance(x, str):
        raise TypeProblem(f"cannot read {show(x)} as a CIDR")
    try:
        return ipaddress.ip_network(x.strip(), strict=False)
    except ValueError as e:
        raise TypeProblem(f"cannot read {show(x)} as a CIDR: {e}") from None


def _to_integer(x: Any) -> int:
    if _is_number(x) and float(x).is_integer():
        return int(x)
    if isinstance(x, str) and _INT_RE.fullmatch(x.strip()):
        return int(x.strip())
    raise TypeProblem(f"cannot read {show(x)} as an integer")


def _to_number(x: Any) -> int | float:
    if _is_number(x):
        return x
    if isinstance(x, str):
        if _INT_RE.fullmatch(x.strip()):
            return int(x.strip())
        try:
            f = float(x)
        except ValueError:
            pass
        else:
            if math.isfinite(f):
                return f
    raise TypeProblem(f"cannot read {show(x)} as a number")


def _to_string(x: Any) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return "true" if x else "false"
    if _is_number(x):
        return str(x)
    raise TypeProblem(f"cannot read {show(x)} as a string")


def _to_boolean(x: Any) -> bool:
    if isinstance(x, bool):
        return x
    if isinstance(x, (str, int)) and str(x).strip().lower() in _BOOL_WORDS:
        return _BOOL_WORDS[str(x).strip().lower()]
    raise TypeProblem(f"cannot read {show(x)} as a boolean (yes/no/true/false/on/off/1/0)")


_COERCE: dict[str, Callable[[Any], Any]] = {
    "integer": _to_integer, "number": _to_number, "string": _to_string, "boolean": _to_boolean,
    "version": parse_version, "datetime": parse_datetime, "cidr": parse_cidr,
}


def coerce(x: Any, value_type: str) -> Any:
    """Coerce a value (each element of a list) to ``value_type``; None stays None."""
    if x is None:
        return None
    fn = _COERCE[value_type]
    if isinstance(x, (list, tuple)):
        return [None if e is None else fn(e) for e in x]
    return fn(x)


# ---------------------------------------------------------------------------------------------
# Equality and membership (JSON semantics: a boolean is never a number)

def _fold(x: Any, fold: bool) -> Any:
    return x.casefold() if fold and isinstance(x, str) else x


def same(a: Any, b: Any, fold: bool = False) -> bool:
    """Structural JSON equality; values of different kinds are simply unequal."""
    if _is_number(a) and _is_number(b):
        return a == b
    if kind(a) != kind(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, fold) for x, y in zip(a, b))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k], fold) for k in a)
    return _fold(a, fold) == _fold(b, fold)


def equal(a: Any, b: Any, fold: bool = False) -> bool:
    """``same``, but two values of different kinds are an error (``22`` vs ``'22'``)."""
    if _family(a) != _family(b):
        raise TypeProblem(f"cannot compare {show(a)} with {show(b)}")
    return same(a, b, fold)


def member(x: Any, items: list[Any], fold: bool = False) -> bool:
    """Is ``x`` in ``items``? An error when no element is even of x's kind."""
    if items and not any(_family(i) == _family(x) for i in items):
        raise TypeProblem(f"cannot compare {show(x)} with list of {kind(items[0])} {short(items)}")
    return any(same(x, i, fold) for i in items)


def _need_list(x: Any, what: str = "a list") -> list[Any]:
    if not isinstance(x, (list, tuple)):
        raise TypeProblem(f"needs {what}, got {show(x)}")
    return list(x)


def _need_str(x: Any) -> str:
    if not isinstance(x, str):
        raise TypeProblem(f"needs a string, got {show(x)}")
    return x


# ---------------------------------------------------------------------------------------------
# The operators. Each takes (actual, expected, leaf options) with actual not None.

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


def _sets(a: Any, b: Any, o: Opts) -> tuple[list[Any], list[Any], Callable[[Any, list[Any]], bool]]:
    xs, ys = _need_list(a), _need_list(b, "a list value")
    return xs, ys, lambda x, items: any(same(x, i, o.ignore_case) for i in items)


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
    on_missing: bool = False
    """The result when the key is missing (null)."""


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
    OperatorSpec("exists", False, "key is present and not null", "none", lambda a, b, o: True),
    OperatorSpec("absent", False, "key is missing or null", "none", lambda a, b, o: False, True),
    OperatorSpec("empty", False, "missing, null, '', [] or {}", "none",
                 lambda a, b, o: _size(a) == 0, True),
    OperatorSpec("not-empty", False, "a non-empty string, list or object", "none",
                 lambda a, b, o: _size(a) > 0),
    OperatorSpec("is-true", False, "boolean true (strings need value_type: boolean)", "none",
                 lambda a, b, o: _bool(a, True)),
    OperatorSpec("is-false", False, "boolean false", "none", lambda a, b, o: _bool(a, False)),
    OperatorSpec("subset", True, "every element of the actual list is in the value list", "list",
                 lambda a, b, o: (lambda xs, ys, has: all(has(x, ys) for x in xs))(*_sets(a, b, o))),
    OperatorSpec("superset", True, "every element of the value list is in the actual list", "list",
                 lambda a, b, o: (lambda xs, ys, has: all(has(y, xs) for y in ys))(*_sets(a, b, o))),
    OperatorSpec("intersect", True, "the lists share at least one element", "list",
                 lambda a, b, o: (lambda xs, ys, has: any(has(x, ys) for x in xs))(*_sets(a, b, o))),
    OperatorSpec("disjoint", True, "the lists share no element", "list",
                 lambda a, b, o: (lambda xs, ys, has: not any(has(x, ys) for x in xs))(*_sets(a, b, o))),
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


# ---------------------------------------------------------------------------------------------
# JMESPath keys

_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LITERAL_QUOTES = "'\"`"


def normalise_key(key: str) -> str:
    """Quote the path segments that are not plain JMESPath identifiers.

    ``Tags.data-class`` -> ``Tags."data-class"``; ``a.0`` -> ``a."0"``. Literals (``'..'``,
    ``".."``, `` `..` ``), indexes (``[0]``, ``[-1]``) and function names are left alone, so any
    valid JMESPath expression comes out unchanged.
    """
    out: list[str] = []
    i, n = 0, len(key)
    prev = ""  # last non-space character emitted
    while i < n:
        c = key[i]
        if c in _LITERAL_QUOTES:
            j = i + 1
            while j < n and key[j] != c:
                j += 2 if key[j] == "\\" else 1
            out.append(key[i:j + 1])
            prev, i = c, j + 1
            continue
        m = _WORD.match(key, i)
        if m and not (i and (key[i - 1].isalnum() or key[i - 1] == "_")):
            word = m.group()
            after_dot = prev in ("", ".")
            if not _IDENT.fullmatch(word) and ("-" in word or after_dot):
                word = '"' + word + '"'
            out.append(word)
            prev, i = word[-1], m.end()
            continue
        out.append(c)
        if not c.isspace():
            prev = c
        i += 1
    return "".join(out)


_SIMPLE_KEY = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+|\[-?\d+\])*")
_STEP = re.compile(r"\[(-?\d+)\]|([A-Za-z0-9_-]+)")


@dataclass(frozen=True)
class _SimplePath:
    """A plain dotted/indexed key, read without the JMESPath interpreter (same results, faster)."""

    steps: tuple[str | int, ...]

    def search(self, doc: Any) -> Any:
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(doc, list) or not -len(doc) <= step < len(doc):
                    return None
                doc = doc[step]
            elif isinstance(doc, Mapping):
                doc = doc.get(step)
            else:
                return None
        return doc


@functools.lru_cache(maxsize=4096)
def compile_key(key: str) -> Any:
    """The compiled expression for a key (normalised, cached; ``.search(doc)``); TypeProblem if invalid."""
    try:
        parsed = jmespath.compile(normalise_key(key))
        if _SIMPLE_KEY.fullmatch(key):
            return _SimplePath(tuple(int(m[1]) if m[1] is not None else m[2] for m in _STEP.finditer(key)))
        return parsed
    except jmes_exc.IncompleteExpressionError:
        raise TypeProblem(f"invalid key {key!r}: incomplete expression") from None
    except jmes_exc.LexerError as e:
        raise TypeProblem(f"invalid key {key!r}: {e.message} at column {e.lexer_position}") from None
    except jmes_exc.ParseError as e:
        raise TypeProblem(f"invalid key {key!r}: {e.msg} at column {e.lex_position}") from None
