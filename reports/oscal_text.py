"""Text and id helpers of the OSCAL documents (shared by the builder in ``reports.oscal``).

Resource data is attacker-controlled: markup fields escape Markdown, token-typed fields escape
control characters (the schema's StringDatatype forbids line breaks and edge whitespace).
"""

from __future__ import annotations

import re
from typing import Any

from scanner.store_view import NIST_FRAMEWORKS, nist_ids

NS = "urn:govscan:oscal"
"""Namespace of govscan's own props (OSCAL reserves un-namespaced prop names for itself)."""
__all__ = ["NIST_FRAMEWORKS", "NS", "md", "nist_ids", "prop", "text"]
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!])")


def text(value: Any) -> str:
    """A value for a StringDatatype field: control characters shown as ``\\uXXXX``, never empty."""
    out = str(value if value is not None else "")
    if not out.isprintable():  # the rare hostile string pays for the per-character walk
        out = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in out)
    return out.strip() or "-"


def md(value: Any) -> str:
    """Attacker-controlled text for a markup field: Markdown/HTML specials backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", text(value))


def prop(name: str, value: Any) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": text(value)}


def _datetime(value: str | None, fallback: str) -> str:
    """ISO date or date-time -> the date-time with zone OSCAL wants (a date means end of that day)."""
    if not value:
        return fallback
    return f"{value}T23:59:59Z" if len(value) == 10 else value
