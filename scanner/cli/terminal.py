"""Terminal helpers: text safe to print, and the status x severity count grid.

The CLI and the text renderers (``reports.text``) use these; they live with the CLI because a
terminal is where they matter, and so that nothing in the library imports a renderer to print.
"""

from __future__ import annotations

from typing import Any, Mapping

from scanner.model import SEVERITIES

#: Finding statuses in the order the count grid lists them.
STATUSES = ("pass", "fail", "error", "waived", "notapplicable", "notchecked")


def clean(text: Any) -> str:
    """Text safe for a terminal: every character that is not printable (C0/C1 controls such as ESC
    and newlines, bidi overrides and other format characters, line separators, unassigned code
    points) shown as ``\\xNN``/``\\uNNNN``/``\\UNNNNNNNN``, so one value cannot forge another line,
    rewrite the screen or reorder what is shown. The one function the CLI and text reports use for
    anything that came from a target, a file or the store."""
    s = "" if text is None else str(text)
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else _escape(c) for c in s)


def _escape(c: str) -> str:
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def status_severity_table(counts: Mapping[str, Mapping[str, int]]) -> str:
    """A status x severity count grid."""
    head = f"{'status':<14}" + "".join(f"{s:>10}" for s in SEVERITIES) + f"{'total':>10}"
    lines = [head, "-" * len(head)]
    for status in STATUSES:
        row = counts.get(status, {})
        total = sum(row.values())
        if not total:
            continue
        lines.append(f"{status:<14}" + "".join(f"{row.get(s, 0):>10}" for s in SEVERITIES) + f"{total:>10}")
    return "\n".join(lines)
