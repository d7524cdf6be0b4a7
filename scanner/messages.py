"""Finding message templates: ``"Bucket {resource.Name} has no approved encryption (found: {value|none})"``.

A placeholder is ``{path}`` or ``{path|fallback}``; ``path`` is read by the same walker as condition
keys and evidence paths (:mod:`scanner.conditions.keys`: JMESPath, segments may contain ``-``, ``[0]``
indexes a list, ``ports[].portid`` projects) but may not contain ``{``, ``}`` or ``|``, and every
attribute path it reads starts at one of the roots the engine provides (``resource``, ``value``,
``expected``, ``inputs``, ``matched``, ``all_matched`` (every element a failing ``none_of`` /
``any_of`` matched: ``{all_matched[].portid}`` lists them), ``target``, ``host``, ``control``). ``{{`` and ``}}`` are literal
braces. The fallback is literal text (it may not contain ``{``, ``}`` or ``|``).

Rendering only looks values up in plain data (mappings and lists): no code is evaluated and
``str.format`` never sees resource data.
A missing or null value renders as the fallback, else ``none``; booleans as ``true``/``false``;
lists comma-separated; objects as compact JSON; every value is cut to 200 characters (ending
``...``) and control characters are escaped so a message stays one safe line.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from scanner.suggest import did_you_mean

MAX_VALUE = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclasses.dataclass(frozen=True)
class _Token:
    text: str          # literal text, or the placeholder's path
    placeholder: bool
    fallback: str | None = None
    col: int = 0       # 1-based column of the token in the template


@functools.lru_cache(maxsize=4096)
def _tokens(template: str) -> tuple[_Token | str, ...]:
    """Literal tokens, placeholders, and problem strings (for :func:`template_problems`); cached: the same
    templates are rendered for every resource of a scan."""
    return tuple(_scan(template))


def _scan(template: str) -> Iterator[_Token | str]:
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
    """Static problems of a template: unbalanced braces, invalid placeholders (parsed as the condition
    keys are), placeholders reading outside the known roots."""
    from scanner.conditions.keys import key_problem, read_paths

    if not isinstance(template, str):
        return [f"a message template must be a string, got {type(template).__name__}"]
    out: list[str] = []
    for tok in _tokens(template):
        if isinstance(tok, str):
            out.append(tok)
        elif tok.placeholder:
            problem = key_problem(tok.text) if tok.text else "empty"
            if problem:
                why = problem.split(": ", 1)[1] if problem.startswith("invalid key") else problem
                out.append(f"invalid placeholder {{{tok.text}}} at column {tok.col}: {why}")
                continue
            for path in read_paths(tok.text):
                if path is None:
                    out.append(f"placeholder {{{tok.text}}} at column {tok.col} must start at one of "
                               + ", ".join(sorted(roots)))
                elif path[0] not in roots:
                    out.append(f"unknown placeholder root {path[0]!r}{did_you_mean(path[0], sorted(roots))}")
    return out


def placeholder_paths(template: str) -> list[tuple[str, ...]]:
    """The attribute paths the valid placeholders of a template read (``("inputs", "n")``...)."""
    from scanner.conditions.keys import key_problem, read_paths

    return [p for text in placeholders(template) if text and not key_problem(text)
            for p in read_paths(text) if p is not None]


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """A placeholder's value in the context (None when missing or invalid): the condition keys' walker."""
    from scanner.conditions.keys import read

    return read(path, context) if path else None


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
        value = lookup(context, tok.text)
        if value is None and tok.fallback is not None:
            out.append(tok.fallback)
        else:
            out.append(format_value(value))
    return "".join(out)
