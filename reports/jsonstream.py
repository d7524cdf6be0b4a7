"""Write a JSON document whose big arrays are produced while writing, at constant memory.

A document is built as plain dicts and lists (its skeleton) in which a :class:`Stream` stands where an
array of any length goes: :func:`write` serialises the skeleton with the C encoder and pulls each
stream's items only when the writer reaches it, so a document of a million observations never exists
in memory. The output is the same JSON text ``json.dumps`` would write for the materialised document
(json's default separators, ``ensure_ascii=False``), which the tests check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any

_CHUNK = 1 << 20
"""Characters gathered before one write to the output."""


class Stream:
    """An array whose items come from ``make()``, called each time the array is written.

    ``nested``: the items may themselves hold streams (then each item is walked; otherwise each item
    is encoded by one ``json.dumps``). A caller that must leave out an empty array (OSCAL forbids
    them) decides so before writing, from what it counted.
    """

    __slots__ = ("make", "nested")

    def __init__(self, make: Callable[[], Iterable[Any]], *, nested: bool = False):
        self.make = make
        self.nested = nested

    def __iter__(self) -> Iterator[Any]:
        return iter(self.make())


def _has_stream(obj: Any, depth: int = 0) -> bool:
    if isinstance(obj, Stream):
        return True
    if depth > 6:  # skeletons are shallow; a deeper value is plain data
        return False
    if isinstance(obj, Mapping):
        return any(_has_stream(v, depth + 1) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_stream(v, depth + 1) for v in obj)
    return False


class _Writer:
    def __init__(self, out: IO[str]):
        self.out = out
        self.buf: list[str] = []
        self.size = 0

    def put(self, s: str) -> None:
        self.buf.append(s)
        self.size += len(s)
        if self.size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.out.write("".join(self.buf))
            self.buf.clear()
            self.size = 0

    def value(self, obj: Any, deep: bool = True) -> None:
        if isinstance(obj, Stream):
            self.put("[")
            first = True
            for item in obj:
                if not first:
                    self.put(", ")
                first = False
                if obj.nested:
                    self.value(item)
                else:
                    self.put(json.dumps(item, ensure_ascii=False))
            self.put("]")
        elif deep and isinstance(obj, Mapping) and _has_stream(obj):
            self.put("{")
            for n, (k, v) in enumerate(obj.items()):
                self.put((", " if n else "") + json.dumps(str(k), ensure_ascii=False) + ": ")
                self.value(v)
            self.put("}")
        elif deep and isinstance(obj, list) and _has_stream(obj):
            self.put("[")
            for n, v in enumerate(obj):
                if n:
                    self.put(", ")
                self.value(v)
            self.put("]")
        else:
            self.put(json.dumps(obj, ensure_ascii=False))


def write(doc: Any, out: IO[str]) -> None:
    """Write ``doc`` (plain JSON data with :class:`Stream` arrays anywhere) as one line of JSON and a newline."""
    w = _Writer(out)
    w.value(doc)
    w.put("\n")
    w.flush()


def materialise(doc: Any) -> Any:
    """``doc`` with every stream expanded into a list (for tests and small documents)."""
    if isinstance(doc, Stream):
        return [materialise(i) for i in doc]
    if isinstance(doc, Mapping):
        return {k: materialise(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [materialise(v) for v in doc]
    return doc
