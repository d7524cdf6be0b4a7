"""The renderer seam: one small interface, one implementation per format.

A renderer is registered in the ``govscan.reports`` entry-point group. It reads one stored scan
through :class:`scanner.store.ScanView` (never the live engine), so any report can be re-rendered
later from the database alone.

Renderer options: a renderer declares the options it understands in :attr:`Renderer.options`
(name -> one line of help). The user sets them with ``-O/--report-option [FORMAT.]NAME=VALUE``
(repeatable) on ``govscan scan`` and ``govscan report``: ``sarif.passes=true`` reaches only the SARIF
renderer; an unscoped ``system-id=F01234567`` reaches every selected format that declares
``system-id``. An option no selected format declares is a usage error (exit 2), never ignored.
"""

from __future__ import annotations

import abc
from typing import IO, Any, ClassVar, Mapping, Sequence

from scanner.errors import UsageError
from scanner.store import ScanView

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class Renderer(abc.ABC):
    """Base class of every report format."""

    name: ClassVar[str]
    """Format name used with ``-f`` (json, sarif, ...)."""
    extension: ClassVar[str]
    """Usual file extension, without the dot."""
    binary: ClassVar[bool] = False
    """True if :meth:`render` writes bytes rather than text."""
    description: ClassVar[str] = ""
    options: ClassVar[Mapping[str, str]] = {}
    """Options this format understands: name -> help (set with ``-O [FORMAT.]NAME=VALUE``)."""

    def __init__(self, options: Mapping[str, str] | None = None):
        unknown = sorted(set(options or {}) - set(self.options))
        if unknown:
            known = ", ".join(sorted(self.options)) or "none"
            raise UsageError(f"report format {self.name!r} has no option {unknown[0]!r} (its options: {known})")
        self.settings: dict[str, str] = dict(options or {})
        self.check_options()

    def check_options(self) -> None:
        """Refuse bad option values when the renderer is made (before a scan runs): override to check."""

    def option(self, name: str, default: str | None = None) -> str | None:
        """The value the user gave for option ``name`` (or ``default``)."""
        return self.settings.get(name, default)

    def flag(self, name: str) -> bool:
        """A boolean option: true/false, yes/no, on/off, 1/0; unset is false."""
        value = self.settings.get(name)
        if value is None:
            return False
        if value.strip().lower() in _TRUE:
            return True
        if value.strip().lower() in _FALSE:
            return False
        raise UsageError(f"report option {self.name}.{name}={value!r}: expected true or false")

    @abc.abstractmethod
    def render(self, view: ScanView, out: IO) -> None:
        """Write the report of ``view`` to ``out`` (a text stream unless :attr:`binary`)."""


def split_options(formats: Sequence[str], raw: Sequence[str], classes: Sequence[Any]) -> list[dict[str, str]]:
    """Assign ``[FORMAT.]NAME=VALUE`` strings to the formats (one dict per entry of ``formats``).

    ``classes`` are the renderer classes of ``formats``. A scoped option goes to that format (which
    must be selected); an unscoped one to every selected format that declares it (at least one must).
    """
    out: list[dict[str, str]] = [{} for _ in formats]
    for item in raw:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--report-option {item!r}: expected [FORMAT.]NAME=VALUE")
        scope, dot, key = name.rpartition(".")
        if dot and scope:
            hits = [i for i, f in enumerate(formats) if f == scope]
            if not hits:
                raise UsageError(f"--report-option {item!r}: format {scope!r} is not among the -f formats")
            for i in hits:
                if key not in classes[i].options:
                    known = ", ".join(sorted(classes[i].options)) or "none"
                    raise UsageError(f"--report-option {item!r}: {scope} has no option {key!r} (its options: {known})")
                out[i][key] = value
            continue
        hits = [i for i, cls in enumerate(classes) if name in cls.options]
        if not hits:
            raise UsageError(f"--report-option {item!r}: no selected format ({', '.join(formats)}) has option {name!r}")
        for i in hits:
            out[i][name] = value
    return out
