"""A cache of the parsed YAML of the policy files govscan ships.

Parsing the ~80 shipped files with :mod:`scanner.policy.yamlpos` (position tracking, limits) is the
largest part of a scan's start-up. What it produces for a file -- each document's data, the
position of every value and key, and the diagnostics -- depends only on the file's bytes and on the
parser, so it is kept in ``$XDG_CACHE_HOME/govscan/parsed-policies.json`` (else
``~/.cache/govscan/``): plain JSON, never pickle, since a cache is input like any other.

One key covers the whole set: sha256 over govscan's version, PyYAML's, the parser's own source and,
for each shipped file, its path relative to ``policies.ROOT`` and its bytes (content, never mtimes).
Any change misses the cache, which is then rewritten. A file whose result JSON cannot hold exactly
(non-string keys, NaN, huge integers) is marked so and always parsed. The cache is used only if it is
a regular file owned by the user, not writable by others, at most :data:`MAX_BYTES`, and of the
expected shape; otherwise it is ignored (and rewritten) without a word. Writing is best effort:
a temporary file (0600) then ``os.replace`` in a 0700 directory; a read-only home means parsing.
``GOVSCAN_NO_CACHE=1`` turns it off. Only the shipped files are cached; files a user names are
always parsed.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

from scanner.errors import Diagnostic
from scanner.policy.yamlpos import Document

FORMAT = 2
MAX_BYTES = 64 * 1024 * 1024
Result = tuple[list[Document], list[Diagnostic]]


def cache_path() -> Path | None:
    if os.environ.get("GOVSCAN_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "govscan" / "parsed-policies.json"


def _stamp() -> bytes:
    """What else the parse depends on: govscan, PyYAML (and whether libyaml parses) and this code."""
    import yaml

    from scanner import __version__, policy

    h = hashlib.sha256(f"{FORMAT}\0{__version__}\0{yaml.__version__}\0{hasattr(yaml, 'CSafeLoader')}\0".encode())
    for name in ("yamlpos.py", "cache.py"):
        try:
            h.update(Path(policy.__file__).with_name(name).read_bytes())
        except OSError:
            h.update(name.encode())
    return h.digest()


def _exact(v: Any) -> bool:
    """True if JSON gives ``v`` back unchanged (same types, same values)."""
    if v is None or isinstance(v, (str, bool)):
        return True
    if isinstance(v, int):
        return -(2**63) <= v < 2**63
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, list):
        return all(_exact(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _exact(x) for k, x in v.items())
    return False


def _encode(f: str, docs: list[Document], problems: list[Diagnostic]) -> Any:
    if any(d.file != f for d in docs) or any(p.file != f for p in problems):
        return None
    if not all(_exact(d.data) for d in docs):
        return None
    return {
        # the positions as one JSON text per document, decoded only if a diagnostic needs them
        "docs": [{"index": d.index, "data": d.data,
                  "pos": _pack(d.positions), "keys": _pack(d.key_positions)} for d in docs],
        "problems": [[p.line, p.col, p.message, p.document, p.level] for p in problems],
    }


def _pack(positions: dict[tuple[Any, ...], tuple[int, int]]) -> str:
    import orjson

    return orjson.dumps([[list(p), lc[0], lc[1]] for p, lc in positions.items()]).decode("utf-8")


def _positions(text: str) -> dict[tuple[Any, ...], tuple[int, int]]:
    import orjson

    rows = orjson.loads(text)
    out = {tuple(path): (line, col) for path, line, col in rows}  # TypeError if a path is not a list of scalars
    if not all(type(line) is int and type(col) is int for line, col in out.values()):
        raise ValueError("bad position")
    return out


def _unpacker(f: str, index: int, pos: str, keys: str) -> Callable[[], tuple[dict[Any, Any], dict[Any, Any]]]:
    """Decodes a cached document's positions when first read; if the cache held something odd there,
    the file is parsed again for them (as for any odd entry)."""
    def unpack() -> tuple[dict[Any, Any], dict[Any, Any]]:
        try:
            return _positions(pos), _positions(keys)
        except (ValueError, TypeError):
            from scanner.policy.yamlpos import read_file

            found = [d for d in read_file(Path(f))[0] if d.index == index]
            return (found[0].positions, found[0].key_positions) if found else ({}, {})
    return unpack


def _decode(f: str, entry: Any) -> Result:
    """An entry back into documents and diagnostics for file ``f``; ValueError/TypeError/KeyError if malformed."""
    docs = []
    for d in entry["docs"]:
        if type(d["index"]) is not int or not isinstance(d["pos"], str) or not isinstance(d["keys"], str):
            raise ValueError("bad document")
        docs.append(Document(d["data"], f, d["index"], unpack=_unpacker(f, d["index"], d["pos"], d["keys"])))
    problems = []
    for line, col, message, document, level in entry["problems"]:
        if not (type(line) is int and type(col) is int and isinstance(message, str)
                and (document is None or isinstance(document, str)) and level in ("error", "warning")):
            raise ValueError("bad diagnostic")
        problems.append(Diagnostic(f, line, col, message, document=document, level=level))
    return docs, problems


class Cache:
    """The cached results for the shipped files among ``files`` (see the module's docstring)."""

    def __init__(self, files: Sequence[Path]):
        import policies

        self.path = cache_path()
        self.rel: dict[Path, str] = {}
        self.entries: dict[str, Any] = {}
        self.dirty = False
        if self.path is None:
            return
        root = policies.ROOT
        h = hashlib.sha256(_stamp())
        for f in files:
            try:
                rel = f.resolve().relative_to(root).as_posix()
                data = f.read_bytes()
            except (ValueError, OSError):
                continue  # not shipped, or unreadable: parsed (and reported) as usual
            self.rel[f] = rel
            h.update(b"%d\0%s\0%d\0" % (len(rel), rel.encode("utf-8", "surrogateescape"), len(data)))
            h.update(data)
        self.key = h.hexdigest()
        if self.rel:
            self.entries = self._read()

    def _read(self) -> dict[str, Any]:
        import orjson

        assert self.path is not None
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                if st.st_uid != os.getuid() or st.st_mode & 0o022 or st.st_size > MAX_BYTES:
                    return {}
                stored = orjson.loads(fh.read(MAX_BYTES + 1))
        except (OSError, ValueError):
            return {}
        if not isinstance(stored, dict) or stored.get("key") != self.key or not isinstance(stored.get("files"), dict):
            return {}
        return stored["files"]

    def get(self, f: Path) -> Result | None:
        rel = self.rel.get(f)
        entry = self.entries.get(rel) if rel is not None else None
        if entry is None:
            return None
        try:
            return _decode(str(f), entry)
        except (ValueError, TypeError, KeyError):
            self.entries.pop(rel, None)  # type: ignore[arg-type]
            return None

    def put(self, f: Path, docs: list[Document], problems: list[Diagnostic]) -> None:
        rel = self.rel.get(f)
        if rel is None or rel in self.entries:  # not shipped, or known not to fit JSON
            return
        self.entries[rel] = _encode(str(f), docs, problems)
        self.dirty = True

    def save(self) -> None:
        """Write the cache if anything was parsed (best effort: any failure leaves parsing as it was)."""
        import orjson

        if not self.dirty or self.path is None:
            return
        self.dirty = False
        tmp = None
        try:
            blob = orjson.dumps({"key": self.key, "files": self.entries})
            if len(blob) > MAX_BYTES:
                return
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".parsed-", suffix=".tmp", dir=self.path.parent)  # mode 0600
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, self.path)
            tmp = None
        except (OSError, TypeError, ValueError):
            pass
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
