"""The one path walker: JMESPath expressions, with dashed segments (``Tags.data-class``) made valid.

Condition keys, a control's ``result.evidence`` paths and message-template placeholders are all read
here, compiled once and cached (:func:`compile_key`), so what an ``assert`` saw, what the evidence
stores and what a message shows are the same value (``ports[].portid`` is ``[23, 22]`` in all three).
:func:`key_problem` and :func:`read_paths` are what the policy lint checks them with.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath import exceptions as jmes_exc

from scanner.conditions.values import TypeProblem

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
        problem = _function_problem(parsed.parsed)
        if problem:
            raise TypeProblem(f"invalid key {key!r}: {problem}")
        if _SIMPLE_KEY.fullmatch(key):
            return _SimplePath(tuple(int(m[1]) if m[1] is not None else m[2] for m in _STEP.finditer(key)))
        return parsed
    except jmes_exc.IncompleteExpressionError:
        raise TypeProblem(f"invalid key {key!r}: incomplete expression") from None
    except jmes_exc.LexerError as e:
        raise TypeProblem(f"invalid key {key!r}: {e.message} at column {e.lexer_position}") from None
    except jmes_exc.ParseError as e:
        raise TypeProblem(f"invalid key {key!r}: {e.msg} at column {e.lex_position}") from None


@functools.lru_cache(maxsize=1)
def _functions() -> Mapping[str, Any]:
    from jmespath import functions

    return functions.Functions().FUNCTION_TABLE  # type: ignore[no-any-return]


def _function_problem(node: Mapping[str, Any]) -> str | None:
    """An unknown function or a wrong number of arguments (JMESPath itself finds them only when run)."""
    if node.get("type") == "function_expression":
        name, args = node["value"], len(node["children"])
        spec = _functions().get(name)
        if spec is None:
            return f"unknown function {name}()"
        sig = spec["signature"]
        variadic = bool(sig) and sig[-1].get("variadic", False)
        if args < len(sig) or (args > len(sig) and not variadic):
            return f"function {name}() takes {len(sig)}{' or more' if variadic else ''} arguments, got {args}"
    for child in node.get("children", ()):
        problem = _function_problem(child)
        if problem:
            return problem
    return None


def key_problem(key: Any) -> str | None:
    """Why ``key`` is not a valid path (``invalid key 'a..b': ...``), or None."""
    if not isinstance(key, str):
        return f"a key must be a string, got {type(key).__name__}"
    try:
        compile_key(key)
    except TypeProblem as e:
        return str(e)
    return None


def read(key: str, doc: Any) -> Any:
    """The value at ``key`` in ``doc``, None when it is missing, the key is invalid or the data does not
    suit it (a function given the wrong type): for evidence and messages, which never raise on data."""
    try:
        return compile_key(key).search(doc)
    except (TypeProblem, jmes_exc.JMESPathError):
        return None


@functools.lru_cache(maxsize=4096)
def read_paths(key: str) -> tuple[tuple[str, ...] | None, ...]:
    """The attribute paths a valid key reads from the document's root, as field-name tuples.

    ``ports[].portid`` -> ``(("ports",),)``; ``Encryption.Rules[0].X`` -> ``(("Encryption", "Rules"),)``
    (a path stops where an index, projection, filter or pipe begins: what follows reads inside it);
    ``length(a.b) > c`` -> both; a ``None`` entry means the key reads the whole document (``@``).
    """
    return tuple(dict.fromkeys(_chains(jmespath.compile(normalise_key(key)).parsed)))


_CONTINUES = ("index_expression", "projection", "value_projection", "filter_projection", "flatten", "pipe")


def _lead(node: Mapping[str, Any]) -> tuple[str, ...]:
    """The field names a node reads from its input before anything else (an index, a projection...)."""
    kind = node["type"]
    if kind == "field":
        return (node["value"],)
    if kind == "subexpression":
        out: tuple[str, ...] = ()
        for child in node["children"]:
            out += _lead(child)
            if child["type"] != "field":
                break
        return out
    if kind in _CONTINUES:
        return _lead(node["children"][0])
    return ()


def _chains(node: Mapping[str, Any]) -> Iterator[tuple[str, ...] | None]:
    kind = node["type"]
    if kind in ("current", "identity"):
        yield None
    elif kind in ("literal", "index", "slice", "expref"):
        return
    elif kind == "field" or kind == "subexpression" or kind in _CONTINUES:
        lead = _lead(node)
        if lead:
            yield lead
        else:  # starts with something else (a function, a multi-select...): what it reads
            yield from _chains(node["children"][0])
    else:  # functions, comparisons, and/or/not, multi-selects: each operand reads the same input
        for child in node.get("children", ()):
            yield from _chains(child)
