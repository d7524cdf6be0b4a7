"""Small helpers shared by the host parsers."""

from __future__ import annotations

import re

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.script import CAT_MAX, Section

_INT_RE = re.compile(r"^-?\d+$")


def to_int(value: str | None) -> int | str | None:
    """``"42"`` -> 42; other text unchanged; empty -> None."""
    if value is None:
        return None
    value = value.strip()
    if value == "":
        return None
    return int(value) if _INT_RE.match(value) else value


def int_or_none(value: str | None) -> int | None:
    """An integer field or None when empty or not a number."""
    v = to_int(value)
    return v if isinstance(v, int) else None


def require(section: Section, what: str) -> str:
    """The section's stdout, or :class:`FactError` naming what could not be read and why."""
    if section.ok:
        return section.stdout
    reason = section.reason()
    if _looks_like_permission(section.stderr):
        reason += f" ({NOT_ROOT_HINT})"
    raise FactError(f"{what} could not be read: {reason}")


def _looks_like_permission(stderr: str) -> bool:
    s = stderr.lower()
    return "permission denied" in s or "operation not permitted" in s or "no hostkeys available" in s


def preamble(stdout: str) -> tuple[dict[str, str], list[str]]:
    """Split leading ``GS_KEY=value`` lines (the script's own notes) from the command output."""
    notes: dict[str, str] = {}
    lines = stdout.split("\n")
    i = 0
    while i < len(lines) and lines[i].startswith("GS_") and "=" in lines[i]:
        k, _, v = lines[i].partition("=")
        notes[k] = v
        i += 1
    return notes, lines[i:]


def perms_of(mode: int) -> list[str]:
    """Permission bits as names: ``0o4750`` -> ``["suid", "ur", "uw", "ux", "gr", "gx"]``."""
    names = [(0o4000, "suid"), (0o2000, "sgid"), (0o1000, "sticky"),
             (0o400, "ur"), (0o200, "uw"), (0o100, "ux"),
             (0o040, "gr"), (0o020, "gw"), (0o010, "gx"),
             (0o004, "or"), (0o002, "ow"), (0o001, "ox")]
    return [n for bit, n in names if mode & bit]


def config_lines(text: str) -> list[str]:
    """Non-blank lines with ``#`` comments removed."""
    out = []
    for line in text.split("\n"):
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


def truncated_reason(path: str) -> str:
    """Why a file the fact script cut short is not evaluated (partial content would pass wrongly)."""
    return f"{path} is larger than the fact script reads ({CAT_MAX // 1024} KiB): not evaluated on partial content"


def denied_reason(path: str) -> str:
    """Why a path that stat could not examine is an error, never "missing"."""
    return f"{path} could not be examined: permission denied on it or a directory above it ({NOT_ROOT_HINT})"
