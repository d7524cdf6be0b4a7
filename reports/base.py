"""The renderer seam: one small interface, one implementation per format.

A renderer is registered in the ``govscan.reports`` entry-point group. It reads one stored scan
through :class:`scanner.store.ScanView` (never the live engine), so any report can be re-rendered
later from the database alone.
"""

from __future__ import annotations

import abc
from typing import IO, ClassVar

from scanner.store import ScanView


class Renderer(abc.ABC):
    """Base class of every report format."""

    name: ClassVar[str]
    """Format name used with ``-f`` (json, sarif, ...)."""
    extension: ClassVar[str]
    """Usual file extension, without the dot."""
    binary: ClassVar[bool] = False
    """True if :meth:`render` writes bytes rather than text."""
    description: ClassVar[str] = ""

    @abc.abstractmethod
    def render(self, view: ScanView, out: IO) -> None:
        """Write the report of ``view`` to ``out`` (a text stream unless :attr:`binary`)."""
