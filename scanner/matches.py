"""Every element a failing quantifier matched, for messages that must name them all.

The condition engine stops a ``none_of`` at the first element that matches (that is enough to
decide). A finding that names only that element makes the user fix one port and fail on the next,
so the evaluator re-runs the decisive quantifier's ``where`` over the whole list and offers the
result to message templates as ``all_matched`` (``{all_matched.display}`` lists a field of every
matched element) and to the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

MAX_MATCHES = 1000
_STEP = re.compile(r"([A-Za-z_]+)|\[(\d+)\]")


def _node_at(cond: Any, path: str) -> Any:
    """The condition node at an evaluation path such as ``all[1].none_of`` (None if not found)."""
    node = cond
    for name, index in _STEP.findall(path):
        if name and isinstance(node, Mapping) and name in node:
            node = node[name]
        elif index and isinstance(node, (list, tuple)) and int(index) < len(node):
            node = node[int(index)]
        else:
            return None
    return node


def all_matches(cond: Mapping[str, Any], outcome: Any, doc: Mapping[str, Any], inputs: Mapping[str, Any],
                now: datetime | None = None) -> list[Any] | None:
    """Every element of the decisive ``none_of`` / ``any_of`` list that its ``where`` matches.

    None when the decision was not made by such a quantifier (or a leaf inside one).
    """
    from scanner import conditions

    decisive = getattr(outcome, "decisive", None)
    if decisive is None:
        return None
    path = decisive.path
    m = re.search(r"^(.*?(?:none_of|any_of))(?:\[\d+\].*)?$", path)
    if m is None:
        return None
    body = _node_at(cond, m.group(1))
    if not isinstance(body, Mapping) or "where" not in body:
        return None
    items = conditions.evaluate({"key": body.get("path"), "op": "exists"}, doc, inputs, now)
    found = items.checks[0].actual if items.checks else None
    if not isinstance(found, list):
        return None
    out: list[Any] = []
    for element in found:
        try:
            if conditions.evaluate(body["where"], element, inputs, now).ok:
                out.append(element)
        except conditions.ConditionError:
            continue
        if len(out) >= MAX_MATCHES:
            break
    return out


__all__ = ["all_matches", "MAX_MATCHES"]
