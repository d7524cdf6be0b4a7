"""The condition language: evaluate a control's ``assert`` / ``scope.where`` / ``applies_if`` on a resource.

A condition is a tree (DESIGN.md section 3):

* a **leaf** ``{key, op, value, value_type, ignore_case}``: ``key`` is a JMESPath expression over the
  resource (dashed segments such as ``Tags.data-class`` work; omit ``key`` to test the document
  itself, e.g. an element of a list of strings); ``value`` is a literal or ``{input: name}``;
* **groups** ``all`` / ``any`` (non-empty lists) and ``not`` (a condition, or a list meaning
  ``not(all(list))``);
* **quantifiers** ``any_of`` / ``all_of`` / ``none_of``: ``{path, where}`` evaluates ``where`` on each
  element of the list at ``path``.

Evaluation is three-valued (Kleene logic), the same at every depth. A leaf is TRUE, FALSE or
UNKNOWN; it is UNKNOWN when its key is missing or null, except for the operators that decide on
missing data: ``exists`` and ``not-empty`` (false), ``absent`` and ``empty`` (true). ``not UNKNOWN``
is UNKNOWN; ``all`` is FALSE if a member is FALSE, else UNKNOWN if one is UNKNOWN, else TRUE; ``any``
is TRUE if a member is TRUE, else UNKNOWN if one is UNKNOWN, else FALSE (``not [..]`` is
``not(all[..])``). A quantifier over a missing or null list is UNKNOWN; over a list, ``any_of`` is
the ``any`` of its elements' ``where``, ``all_of`` their ``all`` and ``none_of`` ``not any_of`` (an
empty list: any_of FALSE, all_of and none_of TRUE). Missing data therefore never decides a result
that data could change: removing a key a condition reads can turn TRUE or FALSE into UNKNOWN, never
UNKNOWN into TRUE. The engine treats UNKNOWN as "not proven" (see :mod:`scanner.evaluate`).

Operator semantics are in :mod:`scanner.conditions.ops`, kinds and coercions in
:mod:`scanner.conditions.values`, keys in :mod:`scanner.conditions.keys`. Anything that cannot be
decided because the data or the condition is wrong (wrong kinds, a quantifier over a value that is
not a list, bad regex, unknown input) raises :class:`ConditionError`, which the engine reports as
``error``; it is never a pass.

:func:`evaluate` is pure and thread-safe: compiled keys and regexes are cached, nothing else is shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from jmespath import exceptions as jmes_exc

from scanner.conditions.keys import compile_key, key_problem, normalise_key, read, read_paths
from scanner.conditions.lint import FOREIGN_ALIASES, input_refs, resource_keys, syntax_problems
from scanner.conditions.ops import COERCE_EXPECTED, OPERATORS, OperatorSpec, Opts, value_problem
from scanner.conditions.values import VALUE_TYPES, ConditionError, TypeProblem, coerce, show

__all__ = [
    "FOREIGN_ALIASES",
    "OPERATORS",
    "Check",
    "ConditionError",
    "OperatorSpec",
    "Outcome",
    "Truth",
    "evaluate",
    "input_refs",
    "key_problem",
    "read",
    "read_paths",
    "resource_keys",
    "normalise_key",
    "summarize",
    "syntax_problems",
]

GROUPS = ("all", "any", "not")
QUANTIFIERS = ("any_of", "all_of", "none_of")


def _literal(x: Any) -> str:
    """A value as the evidence text shows it: ``'no'``, ``14``, ``true``, ``['no', 'prohibit-password']``."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_literal(e) for e in x) + "]"
    if isinstance(x, Mapping):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in x.items()) + "}"
    return repr(x)


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


Truth = bool | None
"""A three-valued result: True, False, or None for UNKNOWN."""


@dataclass(frozen=True)
class Check:
    """One evaluated leaf (or quantifier), as stored in a finding's evidence."""

    key: str | None
    """The JMESPath key (the quantifier's ``path``); None when the leaf tests the document itself."""
    op: str
    expected: Any
    """The resolved value (inputs substituted), before any value_type coercion."""
    actual: Any
    """What the key read, before coercion; for a quantifier the element that decided it, if any."""
    missing: bool
    """The key (or the quantifier's list) was missing or null."""
    ok: bool
    """The check is TRUE (false when it is FALSE or UNKNOWN)."""
    path: str
    """Where in the condition: ``all[1].any[0]``, ``none_of[3].all[0]`` (element 3); '' for the root."""
    value_type: str | None = None
    ignore_case: bool = False
    unknown: bool = False
    """The check is UNKNOWN: its key is missing and its operator does not decide on missing data
    (for a quantifier: its list is missing, or no element decided and one was UNKNOWN)."""

    @property
    def truth(self) -> Truth:
        return None if self.unknown else self.ok

    def describe(self) -> str:
        """Human text of what was required: ``permitrootlogin in ['no']``, ``PasswordMinLen ge 14``."""
        key = self.key if self.key is not None else "@"
        if self.op in QUANTIFIERS:
            return _cut(f"{self.op} {key}: {self.expected}")
        text = f"{key} {self.op}"
        if OPERATORS[self.op].needs_value:
            text += " " + _literal(self.expected)
        if self.value_type:
            text += f" (as {self.value_type})"
        if self.ignore_case:
            text += " (ignoring case)"
        return _cut(text)


@dataclass(frozen=True)
class Outcome:
    """The result of a whole condition on one document."""

    truth: Truth
    """TRUE, FALSE or UNKNOWN (None)."""
    checks: tuple[Check, ...]
    """Every leaf evaluated, in order (a FALSE member ends an ``all``, a TRUE one an ``any``; an
    UNKNOWN member does not, since a later member can still decide)."""
    decisive: Check | None
    """The check that decided: when FALSE, the FALSE member of an ``all`` (the first member of an
    ``any``); when UNKNOWN, the first UNKNOWN member; when TRUE, the first leaf of an ``all``, the
    leaf that succeeded in an ``any``; a quantifier's own check for quantifiers."""
    value: Any
    """``decisive.actual`` (None when missing)."""
    matched: Any = None
    """For quantifiers: the element that matched (any_of pass, none_of fail), failed (all_of fail),
    or, when the quantifier is UNKNOWN, the first element whose ``where`` was UNKNOWN."""
    element: str | None = None
    """The condition path of that element (``none_of[3]``), whose checks the evidence keeps."""

    @property
    def ok(self) -> bool:
        """The condition is TRUE (proven); False when it is FALSE or UNKNOWN."""
        return self.truth is True

    @property
    def unknown(self) -> bool:
        return self.truth is None


@dataclass
class _Ctx:
    inputs: Mapping[str, Any]
    now: datetime
    checks: list[Check] = field(default_factory=list)


@dataclass(frozen=True)
class _Res:
    truth: Truth
    decisive: Check | None
    matched: Any = None
    element: str | None = None


def evaluate(cond: Mapping[str, Any], doc: Any, inputs: Mapping[str, Any],
             now: datetime | None = None) -> Outcome:
    """Evaluate ``cond`` on ``doc`` (a resource's attributes) with the control's resolved ``inputs``.

    ``now`` is the reference time of the ``age-days-*`` operators (default: the current UTC time);
    pass the scan's start time so every resource is judged against the same instant. The same
    three-valued logic holds in an ``assert``, a ``scope.where`` and an ``applies_if``; what the
    engine does with UNKNOWN in each is in :mod:`scanner.evaluate`.
    """
    ctx = _Ctx(inputs, now or datetime.now(timezone.utc))
    res = _node(cond, doc, ctx, "")
    d = res.decisive
    return Outcome(res.truth, tuple(ctx.checks), d, None if d is None or d.missing else d.actual,
                   res.matched, res.element)


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _node(node: Any, doc: Any, ctx: _Ctx, path: str) -> _Res:
    where = path or "condition"
    if not isinstance(node, Mapping):
        raise ConditionError(f"{where}: not a condition: {show(node)}")
    structural = [k for k in node if k in GROUPS or k in QUANTIFIERS]
    if len(structural) == 1 and len(node) == 1:
        name = structural[0]
        if name in QUANTIFIERS:
            return _quantifier(name, node[name], doc, ctx, _join(path, name))
        return _group(name, node[name], doc, ctx, _join(path, name))
    if "op" in node and not structural:
        check = _leaf(node, doc, ctx, path)
        ctx.checks.append(check)
        return _Res(check.truth, check)
    raise ConditionError(f"{where}: a condition needs 'op' or exactly one of "
                         "all, any, not, any_of, all_of, none_of")


def _negate(res: _Res) -> _Res:
    """Kleene ``not``: TRUE and FALSE swap, UNKNOWN stays UNKNOWN."""
    return _Res(None if res.truth is None else not res.truth, res.decisive, res.matched, res.element)


def _group(name: str, body: Any, doc: Any, ctx: _Ctx, path: str) -> _Res:
    if name == "not" and isinstance(body, Mapping):
        return _negate(_node(body, doc, ctx, path))
    if not isinstance(body, (list, tuple)):
        raise ConditionError(f"{path}: needs a list of conditions, got {show(body)}")
    if not body:
        # An empty group would silently pass (all) or fail (any); refuse to decide.
        raise ConditionError(f"{path}: empty '{name}' group")
    decider = name == "any"  # a TRUE member decides an `any`, a FALSE one an `all` (and `not [..]`)
    results: list[_Res] = []
    for i, child in enumerate(body):
        res = _node(child, doc, ctx, f"{path}[{i}]")
        if res.truth is decider:
            return _negate(res) if name == "not" else res
        results.append(res)
    # no member decided: UNKNOWN if one is UNKNOWN, else every member is `not decider`
    res = next((r for r in results if r.truth is None), None) or results[0]
    return _negate(res) if name == "not" else res


def _quantifier(name: str, body: Any, doc: Any, ctx: _Ctx, path: str) -> _Res:
    if not isinstance(body, Mapping) or "path" not in body or "where" not in body:
        raise ConditionError(f"{path}: needs {{path, where}}, got {show(body)}")
    list_key = body["path"]
    items = _search(list_key, doc, name)
    if items is not None and not isinstance(items, (list, tuple)):
        raise ConditionError(f"{list_key}: is {show(items)}, not a list (op {name})")
    at = len(ctx.checks)
    # any_of / none_of look for a TRUE element, all_of for a FALSE one; any such element decides
    wanted = name != "all_of"
    truth: Truth = None  # a missing or null list is UNKNOWN
    matched: Any = None
    element: str | None = None
    if items is not None:
        undecided: tuple[str, Any] | None = None
        for i, item in enumerate(items):
            res = _node(body["where"], item, ctx, f"{path}[{i}]")
            if res.truth is wanted:
                matched, element = item, f"{path}[{i}]"
                break
            if res.truth is None and undecided is None:
                undecided = (f"{path}[{i}]", item)
        if element is not None:  # decided by an element
            truth = name == "any_of"
        elif undecided is not None:  # no element decided, one was UNKNOWN
            element, matched = undecided
        else:
            truth = name != "any_of"
    check = Check(list_key, name, summarize(body["where"], ctx.inputs), matched, items is None, truth is True,
                  path, unknown=truth is None)
    ctx.checks.insert(at, check)  # before the element checks it summarises
    return _Res(truth, check, matched, element)


def _search(key: Any, doc: Any, op: str) -> Any:
    if not isinstance(key, str):
        raise ConditionError(f"key must be a string, got {show(key)} (op {op})")
    try:
        return compile_key(key).search(doc)
    except TypeProblem as e:
        raise ConditionError(f"{e} (op {op})") from None
    except jmes_exc.JMESPathError as e:  # e.g. a function given the wrong type by the data
        raise ConditionError(f"{key}: cannot read: {e} (op {op})") from None


def _resolve(value: Any, inputs: Mapping[str, Any]) -> Any:
    if isinstance(value, Mapping) and len(value) == 1 and "input" in value:
        name = value["input"]
        if not isinstance(name, str) or name not in inputs:
            raise TypeProblem(f"unknown input {name!r}")
        return inputs[name]
    return value


def _leaf(node: Mapping[str, Any], doc: Any, ctx: _Ctx, path: str) -> Check:
    key = node.get("key")
    op = node["op"]
    spec = OPERATORS.get(op) if isinstance(op, str) else None
    if spec is None:
        raise ConditionError(f"{key or '@'}: unknown operator {op!r}")
    actual = doc if key is None else _search(key, doc, op)
    vt = node.get("value_type")
    fold = node.get("ignore_case") is True
    try:
        if vt is not None and vt not in VALUE_TYPES:
            raise TypeProblem(f"unknown value_type {vt!r}")
        expected = _resolve(node.get("value"), ctx.inputs) if spec.needs_value else None
        if spec.needs_value:
            problem = value_problem(op, expected, vt)
            if problem:
                raise TypeProblem(problem)
        missing = actual is None
        truth: Truth
        if missing:
            truth = spec.on_missing  # None (UNKNOWN) unless the operator decides on missing data
        else:
            a, b = actual, expected
            if vt:
                a = coerce(a, vt)
                b = coerce(b, vt) if op in COERCE_EXPECTED else b
            assert spec.fn is not None
            truth = bool(spec.fn(a, b, Opts(fold, vt, ctx.now)))
    except TypeProblem as e:
        raise ConditionError(f"{key or '@'}: {e} (op {op})") from None
    return Check(key, op, expected, actual, missing, truth is True, path, vt, fold, unknown=truth is None)


def summarize(cond: Any, inputs: Mapping[str, Any] | None = None) -> str:
    """Compact one-line text of a condition, inputs substituted where known (for evidence)."""
    inputs = inputs or {}
    if not isinstance(cond, Mapping):
        return _cut(_literal(cond))
    for name in GROUPS + QUANTIFIERS:
        if name in cond:
            body = cond[name]
            if name in QUANTIFIERS and isinstance(body, Mapping):
                return _cut(f"{name}({body.get('path')}: {summarize(body.get('where'), inputs)})")
            parts = body if isinstance(body, (list, tuple)) else [body]
            return _cut(f"{name}(" + ", ".join(summarize(p, inputs) for p in parts) + ")")
    value = cond.get("value")
    try:
        value = _resolve(value, inputs)
    except TypeProblem:
        pass
    op = cond.get("op")
    text = f"{cond.get('key', '@')} {op}"
    spec = OPERATORS.get(op) if isinstance(op, str) else None
    if spec is not None and spec.needs_value:
        text += " " + _literal(value)
    return _cut(text)
