"""Partial lists: a resource attribute that holds only the part of a collection that was looked at.

A port table from nmap lists the ports nmap scanned, not every port of the host. A control that
says "no telnet" over that table may only pass when the ports it is about were scanned. A provider
declares such a list on the resource (``Resource.coverage``: attribute path -> :class:`ListCoverage`);
the evaluator asks, for a control that would pass, which entries the control reads:

* a quantifier (``none_of`` / ``any_of`` / ``all_of``) over the list reads the entries whose
  identifying fields (``fields``, e.g. ``protocol`` and ``portid``) its ``where`` pins with ``eq`` or
  ``in`` (values resolved from the control's inputs; every branch counts, a field under ``not`` or
  compared any other way is not pinned, i.e. every value);
* a leaf whose key reads the list itself (``open_ports``) reads every entry.

The coverage answers with a :class:`Gap` (``error``, or ``notchecked`` when the part that is missing
was deliberately not collected) and a message naming what is missing and how to collect it. A pass
becomes that status; a fail stays a fail (an entry that was read proves it). Nothing here passes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from scanner.model import Status

_QUANTIFIERS = ("any_of", "all_of", "none_of")
_PINNING = frozenset({"eq", "in"})


@dataclass(frozen=True)
class Gap:
    """Why a control cannot pass on a partial list: ``status`` is ``error`` or ``notchecked``."""

    status: Status
    reason: str


class ListCoverage(Protocol):
    """What a partial list attribute covers; implemented by providers."""

    fields: tuple[str, ...]
    """Element keys that identify an entry (``protocol``, ``portid``)."""

    def gap(self, wanted: Mapping[str, frozenset[Any] | None]) -> Gap | None:
        """The gap for the entries ``wanted`` names (field -> values; None means every value), or None."""
        ...


def _values(value: Any, inputs: Mapping[str, Any]) -> frozenset[Any] | None:
    if isinstance(value, Mapping) and set(value) == {"input"}:
        value = inputs.get(str(value["input"]))
    items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    try:
        return frozenset(items)
    except TypeError:  # unhashable values: cannot name them, so every value is read
        return None


def _pins(where: Any, fields: tuple[str, ...], inputs: Mapping[str, Any],
          out: dict[str, frozenset[Any] | None], negated: bool = False) -> None:
    if isinstance(where, Mapping):
        for name, body in where.items():
            if name in ("all", "any", "not"):
                _pins(body, fields, inputs, out, negated or name == "not")
            elif name in _QUANTIFIERS:  # a nested list inside an entry: not an identifying field
                continue
        key = where.get("key")
        if isinstance(key, str) and key.strip() in fields:
            field = key.strip()
            vals = None if negated or where.get("op") not in _PINNING else _values(where.get("value"), inputs)
            if field in out and out[field] is None:
                return
            out[field] = None if vals is None else (out.get(field) or frozenset()) | vals
    elif isinstance(where, (list, tuple)):
        for child in where:
            _pins(child, fields, inputs, out, negated)


def _reads(cond: Any, coverage: Mapping[str, ListCoverage], inputs: Mapping[str, Any]
           ) -> Iterator[tuple[str, dict[str, frozenset[Any] | None]]]:
    """(list path, wanted) for every read of a partial list in a condition tree."""
    if isinstance(cond, Mapping):
        for name, body in cond.items():
            if name in _QUANTIFIERS and isinstance(body, Mapping):
                path = str(body.get("path", "")).strip()
                if path in coverage:
                    fields = coverage[path].fields
                    out: dict[str, frozenset[Any] | None] = {}
                    _pins(body.get("where"), fields, inputs, out)
                    yield path, {f: out.get(f) for f in fields}
                    continue
                yield from _reads(body.get("where"), {}, inputs)
            elif name in ("all", "any", "not"):
                yield from _reads(body, coverage, inputs)
        key = cond.get("key")
        if isinstance(key, str):
            root = key.strip().split("[")[0].split("|")[0].strip()
            if root in coverage:
                yield root, dict.fromkeys(coverage[root].fields)
    elif isinstance(cond, (list, tuple)):
        for child in cond:
            yield from _reads(child, coverage, inputs)


def gap(cond: Mapping[str, Any] | None, coverage: Mapping[str, ListCoverage],
        inputs: Mapping[str, Any]) -> Gap | None:
    """The gap that keeps ``cond`` (a control's ``assert``) from passing, or None.

    An ``error`` gap wins over a ``notchecked`` one (something asked for was not collected).
    """
    if not coverage or not cond:
        return None
    found: list[Gap] = []
    for path, wanted in _reads(cond, coverage, inputs):
        g = coverage[path].gap(wanted)
        if g is not None:
            found.append(g)
    errors = [g for g in found if g.status is Status.ERROR]
    return (errors or found)[0] if found else None


__all__ = ["Gap", "ListCoverage", "gap"]
