"""Finding message templates: ``"Bucket {resource.Name} has no approved encryption (found: {value|none})"``.

A placeholder is ``{path}`` or ``{path|fallback}``; ``path`` is dotted (segments may contain ``-``;
``[0]`` indexes a list) and starts at one of the roots the engine provides (``resource``, ``value``,
``expected``, ``inputs``, ``matched``, ``all_matched`` (every element a failing ``none_of`` /
``any_of`` matched: ``{all_matched.portid}`` lists them), ``target``, ``host``, ``control``). ``{{`` and ``}}`` are literal
braces. The fallback is literal text (it may not contain ``{``, ``}`` or ``|``).

Rendering only looks values up: no code is evaluated and ``str.format`` never sees resource data.
A missing or null value renders as the fallback, else ``none``; booleans as ``true``/``false``;
lists comma-separated; objects as compact JSON; every value is cut to 200 characters (ending
``...``) and control characters are escaped so a message stays one safe line.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from scanner.suggest import did_you_mean

MAX_VALUE = 200
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_-]*(?:\[-?\d+\])*"
_PATH = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
_PART = re.compile(r"\[(-?\d+)\]|([^.\[\]]+)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclasses.dataclass(frozen=True)
class _Token:
    text: str          # literal text, or the placeholder's path
    placeholder: bool
    fallback: str | None = None
    col: int = 0       # 1-based column of the token in the template


def _tokens(template: str) -> Iterator[_Token | str]:
    """Literal tokens, placeholders, and problem strings (for :func:`template_problems`)."""
    i, n, buf = 0, len(template), []
    while i < n:
        c = template[i]
        if template.startswith("{{", i) or template.startswith("}}", i):
            buf.append(c)
            i += 2
        elif c == "{":
            end = template.find("}", i + 1)
            nxt = template.find("{", i + 1)
            if end < 0 or (0 <= nxt < end):
                yield f"unbalanced '{{' at column {i + 1}"
                buf.append(c)
                i += 1
                continue
            if buf:
                yield _Token("".join(buf), False)
                buf = []
            body = template[i + 1:end]
            path, bar, fallback = body.partition("|")
            yield _Token(path.strip(), True, fallback if bar else None, i + 1)
            i = end + 1
        elif c == "}":
            yield f"unbalanced '}}' at column {i + 1}"
            buf.append(c)
            i += 1
        else:
            buf.append(c)
            i += 1
    if buf:
        yield _Token("".join(buf), False)


def placeholders(template: str) -> list[str]:
    """The paths of the placeholders in a template, in order (e.g. ``['resource.Name', 'value']``)."""
    return [t.text for t in _tokens(template) if isinstance(t, _Token) and t.placeholder]


def template_problems(template: str, roots: set[str]) -> list[str]:
    """Static problems of a template: unbalanced braces, malformed or unknown-root placeholders."""
    if not isinstance(template, str):
        return [f"a message template must be a string, got {type(template).__name__}"]
    out: list[str] = []
    for tok in _tokens(template):
        if isinstance(tok, str):
            out.append(tok)
        elif tok.placeholder:
            if not _PATH.fullmatch(tok.text):
                out.append(f"invalid placeholder {{{tok.text}}} at column {tok.col}")
                continue
            root = _PART.match(tok.text).group(2)  # type: ignore[union-attr]
            if root not in roots:
                out.append(f"unknown placeholder root {root!r}{did_you_mean(root, sorted(roots))}")
    return out


def _step(obj: Any, part: str | int) -> tuple[bool, Any]:
    """One path step; (found, value). Only data is read: mappings, sequences, dataclass fields."""
    if isinstance(obj, Mapping):
        if part in obj:
            return True, obj[part]
        if isinstance(part, int) and str(part) in obj:
            return True, obj[str(part)]
        return False, None
    if isinstance(obj, (list, tuple)):
        try:
            return True, obj[int(part)]
        except (ValueError, IndexError):
            return False, None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type) and isinstance(part, str):
        names = {f.name for f in dataclasses.fields(obj)}
        if part in names:
            return True, getattr(obj, part)
    return False, None


def lookup(context: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """Resolve a dotted placeholder path in the context; (found, value)."""
    obj: Any = context
    for m in _PART.finditer(path):
        part: str | int = int(m.group(1)) if m.group(1) is not None else m.group(2)
        found, obj = _step(obj, part)
        if not found:
            return False, None
    return True, obj


def _plain(x: Any) -> Any:
    if isinstance(x, (datetime, date)):
        return x.isoformat()
    return str(x)


def format_value(x: Any) -> str:
    """A value as a message shows it (none, true/false, a, b, {"k":1}), cut and made one line."""
    if x is None:
        text = "none"
    elif isinstance(x, bool):
        text = "true" if x else "false"
    elif isinstance(x, (list, tuple)):
        text = ", ".join(_element(e) for e in x) if x else "none"
    elif isinstance(x, Mapping):
        text = json.dumps(x, separators=(",", ":"), ensure_ascii=False, default=_plain)
    elif isinstance(x, (datetime, date)):
        text = x.isoformat()
    else:
        text = str(x)
    if len(text) > MAX_VALUE:
        text = text[: MAX_VALUE - 3] + "..."
    # Escape after cutting, so an escape sequence is never cut in half.
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def _element(x: Any) -> str:
    if isinstance(x, (list, tuple, Mapping)):
        return json.dumps(x, separators=(",", ":"), ensure_ascii=False, default=_plain)
    return format_value(x)


def render(template: str, context: Mapping[str, Any]) -> str:
    """Fill a template from ``context``; never raises on data (unknown paths render the fallback)."""
    out: list[str] = []
    for tok in _tokens(template):
        if isinstance(tok, str):
            continue  # a problem; the lint reports it, rendering keeps the text literally
        if not tok.placeholder:
            out.append(tok.text)
            continue
        found, value = lookup(context, tok.text) if _PATH.fullmatch(tok.text) else (False, None)
        if (not found or value is None) and tok.fallback is not None:
            out.append(tok.fallback)
        else:
            out.append(format_value(value))
    return "".join(out)
