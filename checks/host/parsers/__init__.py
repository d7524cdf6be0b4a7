"""Parsers: pure functions from fact-script sections to host resources.

Each parser takes the parsed script output (:class:`checks.host.script.Output`) and returns the
resources of one type. A section that failed in a way that loses the whole type raises
:class:`FactError` (the provider records a ``CollectError``); a resource that could be identified but
not fully read carries ``error``. Nothing unreadable ever becomes an empty, passing resource.
"""

from __future__ import annotations


class FactError(Exception):
    """The facts for a whole resource type could not be read; the message is the reason."""


NOT_ROOT_HINT = "run as root or with sudo"
