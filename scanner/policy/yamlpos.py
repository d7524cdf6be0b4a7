"""Safe YAML loading that remembers where every key and value was written.

Built on PyYAML's SafeLoader, with YAML 1.1's traps closed: only ``true``/``false`` are booleans
(``yes``, ``no``, ``on``, ``off`` stay strings, so ``Norway: no`` means "no"), dates and times stay
strings, numbers with a leading zero (``0644``) stay strings rather than becoming octal, and duplicate
keys are an error instead of the last one silently winning.

Every YAML govscan reads (controls, profiles, waivers, inventories, ``--input`` values) goes through
:func:`load_documents` (files through :func:`read_file`), which bounds what a document may cost before
building it: at most :data:`MAX_BYTES` of text, :data:`MAX_DEPTH` levels of nesting and
:data:`MAX_NODES` values once aliases are expanded. Nodes are composed here from the parser's event
stream, without recursion, so an alias bomb ("billion laughs") or a document nested thousands of
levels deep is refused at the line that crosses the limit instead of exhausting memory or the stack.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

import yaml

from scanner.errors import Diagnostic

Path = tuple[Any, ...]

MAX_BYTES = 8 * 1024 * 1024
"""Largest YAML file govscan reads (8 MiB; the biggest shipped policy file is about 40 KiB)."""
MAX_INPUT_BYTES = 64 * 1024
"""Largest ``--input NAME=VALUE`` value."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists in a document, aliases included."""
MAX_NODES = 250_000
"""Most values (scalars, lists, mappings) one file may hold once every alias is expanded."""


# libyaml's parser when available (several times faster); it keeps line/column marks too.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc,valid-type]
    """SafeLoader with YAML-1.2-like implicit typing."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+|0o[0-7]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    if text.startswith("0o"):
        return int(text[2:], 8)
    return int(text, 0) if text.startswith("0x") else int(text)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class Document:
    """One YAML document: its plain data and the position of every node.

    ``positions``: path of a value -> (line, col), 1-based; ``key_positions``: path of a mapping entry ->
    (line, col) of its key. A document from the parsed-policy cache gets them as ``unpack``, a function
    that returns both, called when they are first read: a scan loads every shipped document and reads
    the positions of almost none (they serve diagnostics), so they are not built as objects up front.
    """

    __slots__ = ("data", "file", "index", "_positions", "_key_positions", "_unpack")

    def __init__(self, data: Any, file: str, index: int, positions: dict[Path, tuple[int, int]] | None = None,
                 key_positions: dict[Path, tuple[int, int]] | None = None,
                 unpack: Callable[[], tuple[dict[Path, tuple[int, int]], dict[Path, tuple[int, int]]]] | None = None):
        self.data = data
        self.file = file
        self.index = index
        """0-based position of the document within its file."""
        self._positions = positions if positions is not None else {}
        self._key_positions = key_positions if key_positions is not None else {}
        self._unpack = unpack

    def _unpacked(self) -> None:
        if self._unpack is not None:
            self._positions, self._key_positions = self._unpack()
            self._unpack = None

    @property
    def positions(self) -> dict[Path, tuple[int, int]]:
        self._unpacked()
        return self._positions

    @property
    def key_positions(self) -> dict[Path, tuple[int, int]]:
        self._unpacked()
        return self._key_positions

    def __repr__(self) -> str:
        return f"Document(file={self.file!r}, index={self.index})"

    def pos(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Position of ``path`` (of its key when ``key``), falling back to the nearest ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.key_positions:
                return self.key_positions[path]
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (1, 1)
            path = path[:-1]

    def diag(self, path: Path, message: str, *, key: bool = False, level: str = "error") -> Diagnostic:
        line, col = self.pos(path, key=key)
        doc_id = None
        if isinstance(self.data, dict) and isinstance(self.data.get("metadata"), dict):
            doc_id = self.data["metadata"].get("id")
        return Diagnostic(self.file, line, col, message, document=doc_id, level=level)


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Builder:
    def __init__(self, loader: _Loader, doc: Document, problems: list[Diagnostic]):
        self.loader = loader
        self.doc = doc
        self.problems = problems

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            return self.loader.construct_object(node, deep=True)  # refuses unknown (unsafe) tags
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            self.loader.flatten_mapping(node)
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)):
                    key = str(key)
                kpath = path + (key,)
                if key in out:
                    first = self.doc.key_positions.get(kpath, (0, 0))
                    self.problems.append(Diagnostic(
                        self.doc.file, key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                        f"duplicate key {key!r} (first at line {first[0]})"))
                    continue
                self.doc.key_positions[kpath] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, kpath)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)


class _LimitError(Exception):
    def __init__(self, mark: Any, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Composer:
    """Nodes from the parser's events, iteratively, with nesting and alias-expansion limits.

    The same nodes PyYAML's composer builds (tags resolved by the loader's resolver), plus for each
    node its size and height once aliases are expanded, so an alias is refused *before* anything is
    built from it when it would take the file over :data:`MAX_NODES` or :data:`MAX_DEPTH`.
    """

    def __init__(self, loader: Any, max_nodes: int, max_depth: int):
        self.loader = loader
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.total = 0  # expanded nodes so far in this file
        self.size: dict[int, int] = {}  # id(node) -> expanded size
        self.height: dict[int, int] = {}  # id(node) -> expanded height (1 for a scalar)
        self.open: set[int] = set()  # ids of collections still being composed

    def _count(self, n: int, mark: Any, what: str) -> None:
        self.total += n
        if self.total > self.max_nodes:
            if what.startswith("alias"):
                raise _LimitError(mark, f"{what} would expand the YAML past {self.max_nodes} values, the limit "
                                        "(an alias bomb?)")
            raise _LimitError(mark, f"more than {self.max_nodes} values, the limit for one YAML file")

    def document(self) -> Any:
        """The next document's root node (after DocumentStart), or None at the end of the stream."""
        ld = self.loader
        if ld.check_event(yaml.StreamStartEvent):
            ld.get_event()
        if ld.check_event(yaml.StreamEndEvent):
            ld.get_event()
            return None
        ld.get_event()  # DocumentStartEvent
        anchors: dict[str, Any] = {}
        stack: list[tuple[Any, list[Any]]] = []  # (collection node, its items so far)
        root: Any = None
        while True:
            event: Any = ld.get_event()
            start: Any = event.start_mark  # libyaml's marks are typed apart from PyYAML's
            event_end: Any = event.end_mark
            node: Any = None
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}", start)
                node = anchors[event.anchor]
                if id(node) in self.open:
                    raise _LimitError(start, f"alias *{event.anchor} refers to a collection that contains it "
                                             "(recursive alias)")
                if len(stack) + self.height[id(node)] > self.max_depth:
                    raise _LimitError(start, f"alias *{event.anchor} nests deeper than {self.max_depth} levels")
                self._count(self.size[id(node)], start, f"alias *{event.anchor}")
            elif isinstance(event, yaml.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = ld.resolve(yaml.ScalarNode, event.value, event.implicit)
                node = yaml.ScalarNode(tag, event.value, start, event_end, style=event.style)
                self.size[id(node)], self.height[id(node)] = 1, 1
                self._count(1, start, "this value")
                self._anchor(anchors, event, node)
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                if len(stack) >= self.max_depth:
                    raise _LimitError(start, f"nesting deeper than {self.max_depth} levels")
                is_seq = isinstance(event, yaml.SequenceStartEvent)
                kind = yaml.SequenceNode if is_seq else yaml.MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = ld.resolve(kind, None, event.implicit)
                coll = kind(tag, [], start, None, flow_style=event.flow_style)
                self._count(1, start, "this value")
                self._anchor(anchors, event, coll)
                self.open.add(id(coll))
                stack.append((coll, []))
                continue
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                node, items = stack.pop()
                self.open.discard(id(node))
                node.end_mark = event_end
                if isinstance(node, yaml.MappingNode):
                    node.value = list(zip(items[0::2], items[1::2]))
                else:
                    node.value = items
                self.size[id(node)] = 1 + sum(self.size[id(c)] for c in items)
                self.height[id(node)] = 1 + max((self.height[id(c)] for c in items), default=0)
            else:  # DocumentEndEvent
                return root
            if stack:
                stack[-1][1].append(node)
            else:
                root = node
                end = ld.get_event()
                if not isinstance(end, yaml.DocumentEndEvent):  # pragma: no cover - the parser guarantees it
                    raise yaml.composer.ComposerError(None, None, "expected the end of the document", end.start_mark)
                return root

    @staticmethod
    def _anchor(anchors: dict[str, Any], event: Any, node: Any) -> None:
        if event.anchor is not None:
            # refused as PyYAML's own composer does: one name, one node
            if event.anchor in anchors:
                raise yaml.composer.ComposerError("found duplicate anchor", anchors[event.anchor].start_mark,
                                                  f"second occurrence of &{event.anchor}", event.start_mark)
            anchors[event.anchor] = node


def load_documents(text: str, file: str, *, max_nodes: int = MAX_NODES,
                   max_depth: int = MAX_DEPTH) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every ``---`` document of ``text``; syntax errors and exceeded limits become diagnostics."""
    docs: list[Document] = []
    problems: list[Diagnostic] = []
    loader = _Loader(text)
    composer = _Composer(loader, max_nodes, max_depth)
    try:
        index = 0
        while True:
            node = composer.document()
            if node is None:
                break
            doc = Document(None, file, index)
            doc.data = _Builder(loader, doc, problems).build(node, ())
            docs.append(doc)
            index += 1
    except _LimitError as exc:
        line, col = (exc.mark.line + 1, exc.mark.column + 1) if exc.mark else (1, 1)
        problems.append(Diagnostic(file, line, col, f"refused: {exc.message}"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or str(exc)
        if exc.context:
            what = f"{exc.context}: {what}"
        problems.append(Diagnostic(file, line, col, f"invalid YAML: {what}"))
    except yaml.YAMLError as exc:
        problems.append(Diagnostic(file, 1, 1, f"invalid YAML: {exc}"))
    finally:
        loader.dispose()
    return docs, problems


def read_file(path: Any, *, what: str = "file") -> tuple[list[Document], list[Diagnostic], bytes]:
    """Read and parse a YAML file with the size limit: its documents, its problems (unreadable, too
    big, not UTF-8, invalid YAML, over a limit: diagnostics with file:line:col, never exceptions)
    and the bytes read (empty when it could not be read)."""
    import os

    file = str(path)
    too_big = f"refused: {what} larger than {MAX_BYTES // (1024 * 1024)} MiB (the limit for any YAML govscan reads)"
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size > MAX_BYTES:
                return [], [Diagnostic(file, 1, 1, too_big)], b""
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        return [], [Diagnostic(file, 0, 0, f"cannot read {what}: {exc.strerror}")], b""
    if len(raw) > MAX_BYTES:  # a pipe or a file still growing
        return [], [Diagnostic(file, 1, 1, too_big)], b""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return [], [Diagnostic(file, line, col, f"not UTF-8 text ({exc.reason} 0x{raw[exc.start]:02x})")], raw
    docs, problems = load_documents(text, file)
    return docs, problems, raw


def iter_paths(data: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every (path, value) in a plain data tree, parents before children."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, path + (i,))
