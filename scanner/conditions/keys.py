"""Resource keys: JMESPath expressions, with dashed segments (``Tags.data-class``) made valid."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
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
        if _SIMPLE_KEY.fullmatch(key):
            return _SimplePath(tuple(int(m[1]) if m[1] is not None else m[2] for m in _STEP.finditer(key)))
        return parsed
    except jmes_exc.IncompleteExpressionError:
        raise TypeProblem(f"invalid key {key!r}: incomplete expression") from None
    except jmes_exc.LexerError as e:
        raise TypeProblem(f"invalid key {key!r}: {e.message} at column {e.lexer_position}") from None
    except jmes_exc.ParseError as e:
        raise TypeProblem(f"invalid key {key!r}: {e.msg} at column {e.lex_position}") from None
