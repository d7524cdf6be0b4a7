"""Values in the condition language: kinds, the ``value_type`` coercions, and JSON equality.

Rules, in one place (DESIGN.md section 3 "Conditions"):

* No implicit coercion. ``22`` and ``"22"`` are different kinds; comparing them is an error, never
  a silent false, because the author almost certainly wants ``value_type``. ``true`` is a boolean,
  never the number 1.
* ``value_type`` (integer, number, string, boolean, version, datetime, cidr) coerces the actual value
  (each element when it is a list) and the expected value the same way; a failed coercion is an error.
* ``ignore_case: true`` folds case on both sides of the string comparisons.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any


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

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


#: Python types -> the kind the messages name, first match wins (``bool`` is an ``int``: before it).
_KINDS: tuple[tuple[Any, str], ...] = (
    (type(None), "none"), (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
    ((list, tuple), "list"), (Mapping, "object"), (Version, "version"), (datetime, "datetime"),
    ((ipaddress.IPv4Network, ipaddress.IPv6Network), "cidr"))


def kind(x: Any) -> str:
    """The name of a value's kind as the messages say it: string, integer, number, list..."""
    for types, name in _KINDS:
        if isinstance(x, types):
            return name
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
    if type(a) is str and type(b) is str:  # the hot case (quantifiers over package names): same result, no kind()
        return a == b if not fold else a.casefold() == b.casefold()
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
    if isinstance(x, str):
        # Fast path with the general path's result: only strings are of a string's kind and equal to it.
        strings = [i for i in items if isinstance(i, str)]
        if items and not strings:
            raise TypeProblem(f"cannot compare {show(x)} with list of {kind(items[0])} {short(items)}")
        if fold:
            want = x.casefold()
            return any(i.casefold() == want for i in strings)
        return x in strings
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
