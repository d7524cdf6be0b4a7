"""Safe YAML loading that remembers where every key and value was written.

Built on PyYAML's SafeLoader, with YAML 1.1's traps closed: only ``true``/``false`` are booleans
(``yes``, ``no``, ``on``, ``off`` stay strings, so ``Norway: no`` means "no"), dates and times stay
strings, numbers with a leading zero (``0644``) stay strings rather than becoming octal, and duplicate
keys are an error instead of the last one silently winning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import yaml

from scanner.errors import Diagnostic

Path = tuple[Any, ...]


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


@dataclass
class Document:
    """One YAML document: its plain data and the position of every node."""

    data: Any
    file: str
    index: int
    """0-based position of the document within its file."""
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    """Path of a value -> (line, col), 1-based."""
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    """Path of a mapping entry -> (line, col) of its key."""

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


def load_documents(text: str, file: str) -> tuple[list[Document], list[Diagnostic]]:
    """Parse every ``---`` document of ``text``; syntax errors become diagnostics, not exceptions."""
    docs: list[Document] = []
    problems: list[Diagnostic] = []
    loader = _Loader(text)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            doc = Document(None, file, index)
            doc.data = _Builder(loader, doc, problems).build(node, ())
            docs.append(doc)
            index += 1
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


def iter_paths(data: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every (path, value) in a plain data tree, parents before children."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, path + (i,))
