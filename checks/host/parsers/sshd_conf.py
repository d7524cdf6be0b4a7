"""Reading ``sshd_config`` and its ``Include`` files as sshd does: global keywords and ``Match`` blocks.

The fact script sends ``/etc/ssh/sshd_config``, every file its ``Include`` lines pull in (and, for each
Include pattern, the files it matched on the host). This module walks them in sshd's order:

- a line is ``Keyword value...`` or ``Keyword=value``; keywords are case-insensitive; ``#`` at the
  start of a word ends the line; double or single quotes group a word (sshd's ``argv_split``);
- ``Include`` patterns are relative to ``/etc/ssh``; the matched files are read in place, in sorted
  order, at most 16 deep; a ``Match`` inside an included file ends with that file;
- a ``Match`` line starts a block that lasts until the next ``Match`` (or the end of the included file).

Every directive keeps its file and line, so findings can point at them. Anything that cannot be read
(a file, an Include whose matches are unknown) raises :class:`FactError`: a Match block that was not
read could hold the non-compliant value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checks.host.parsers import FactError
from checks.host.parsers.common import denied_reason, truncated_reason
from checks.host.script import FileChunk

SSHD_CONFIG = "/etc/ssh/sshd_config"
SSHDIR = "/etc/ssh"
MAX_DEPTH = 16
"""sshd's own limit on nested Include (SERVCONF_MAX_DEPTH)."""
MAX_FILES = 64
"""Files the fact script sends at most (it marks the 65th ``toomany``)."""


@dataclass(frozen=True)
class Directive:
    """One configuration line: keyword (lower-case), its words, where it was written."""

    keyword: str
    args: tuple[str, ...]
    path: str
    line: int

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class MatchBlock:
    """One ``Match`` block: its criteria as written, where it starts, and its directives in order."""

    criteria: str
    path: str
    line: int
    directives: list[Directive] = field(default_factory=list)

    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class SshdConfig:
    """The configuration files as sshd reads them."""

    directives: list[Directive] = field(default_factory=list)
    """Global directives (outside any Match block), in reading order."""
    blocks: list[MatchBlock] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def split_words(text: str) -> list[str]:
    """sshd's argv_split: whitespace-separated words, quotes group, backslash escapes, ``#`` word ends it."""
    words: list[str] = []
    cur: list[str] = []
    in_word = False
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and i + 1 < len(text) and text[i + 1] in (quote, "\\"):
                cur.append(text[i + 1])
                i += 2
                continue
            if c == quote:
                quote = ""
            else:
                cur.append(c)
        elif c in " \t\r\f\v":
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
        elif c == "#" and not in_word:
            break
        elif c in "\"'":
            quote, in_word = c, True
        elif c == "\\" and i + 1 < len(text):
            cur.append(text[i + 1])
            in_word = True
            i += 2
            continue
        else:
            cur.append(c)
            in_word = True
        i += 1
    if quote:
        raise ValueError("unterminated quote")
    if in_word:
        words.append("".join(cur))
    return words


def split_line(line: str) -> tuple[str, list[str]] | None:
    """``(keyword lower-case, words)`` of a configuration line, or None for a blank or comment line."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    n = 0
    while n < len(text) and text[n] not in " \t=":
        n += 1
    keyword, rest = text[:n], text[n:].lstrip(" \t")
    if rest.startswith("="):
        rest = rest[1:]
    return keyword.lower(), split_words(rest)


def read_config(chunks: list[FileChunk]) -> SshdConfig:
    """Walk ``sshd_config`` and its Includes from the fact script's file chunks (FactError if unreadable)."""
    files = {c.path: c for c in chunks if not c.path.startswith("include:")}
    includes = {c.path[len("include:"):]: c for c in chunks if c.path.startswith("include:")}
    toomany = [c.path for c in chunks if c.state == "toomany"]
    if toomany:
        raise FactError(f"sshd configuration could not be read: it includes more than {MAX_FILES} files")
    conf = SshdConfig()
    _walk(conf, files, includes, SSHD_CONFIG, 0, None)
    return conf


def _file_text(files: dict[str, FileChunk], path: str) -> str:
    chunk = files.get(path)
    if chunk is None:
        raise FactError(f"sshd configuration could not be read: {path} was not read by the fact script")
    if chunk.state == "missing":
        raise FactError(f"sshd configuration could not be read: {path} does not exist")
    if chunk.state == "unreadable":
        raise FactError(f"sshd configuration could not be read: {denied_reason(path)}")
    if chunk.state == "truncated":
        raise FactError(f"sshd configuration could not be read: {truncated_reason(path)}")
    if chunk.state != "ok":
        raise FactError(f"sshd configuration could not be read: {path}: {chunk.state}")
    return chunk.text


def _walk(conf: SshdConfig, files: dict[str, FileChunk], includes: dict[str, FileChunk], path: str, depth: int,
          block: MatchBlock | None) -> None:
    if depth > MAX_DEPTH:
        raise FactError(f"sshd configuration could not be read: Include nested deeper than {MAX_DEPTH} at {path}")
    text = _file_text(files, path)
    conf.files.append(path)
    outer = block
    for number, line in enumerate(text.split("\n"), 1):
        try:
            parsed = split_line(line)
        except ValueError as exc:
            raise FactError(f"sshd configuration could not be read: {path}:{number}: {exc}") from None
        if parsed is None:
            continue
        keyword, args = parsed
        if keyword == "match":
            criteria = " ".join(args)
            if outer is not None:  # a Match inside a file included from a Match block needs both
                criteria = f"{outer.criteria}] [Match {criteria}"
            block = MatchBlock(criteria, path, number)
            conf.blocks.append(block)
        elif keyword == "include":
            for arg in args:
                pattern = arg if arg.startswith("/") else f"{SSHDIR}/{arg}"
                found = includes.get(pattern)
                if found is None:
                    raise FactError(f"sshd configuration could not be read: {path}:{number}: the files of "
                                    f"Include {arg} were not listed by the fact script")
                if found.state != "ok":
                    raise FactError(f"sshd configuration could not be read: {path}:{number}: Include {arg}: "
                                    f"{denied_reason(pattern.rsplit('/', 1)[0])}")
                for included in sorted(p for p in found.text.split("\n") if p):
                    _walk(conf, files, includes, included, depth + 1, block)
        else:
            d = Directive(keyword, tuple(args), path, number)
            (block.directives if block is not None else conf.directives).append(d)
