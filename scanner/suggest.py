""""Did you mean" suggestions for misspelled names."""

from __future__ import annotations

import difflib
from typing import Iterable, Mapping


def closest(word: str, candidates: Iterable[str], aliases: Mapping[str, str] | None = None) -> str | None:
    """The nearest valid name to ``word``, or None. ``aliases`` maps foreign spellings to ours."""
    if aliases:
        key = word.lower().replace("_", "-")
        if key in aliases:
            return aliases[key]
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], aliases: Mapping[str, str] | None = None) -> str:
    """`` (did you mean 'x'?)`` or an empty string."""
    best = closest(word, candidates, aliases)
    return f" (did you mean {best!r}?)" if best else ""
