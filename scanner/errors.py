"""Typed library errors. The CLI turns each into one message and an exit code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in an input file: ``file:line:col: message``."""

    file: str
    line: int
    col: int
    message: str
    document: str | None = None
    """The id of the document the problem is in, when known."""
    level: str = "error"
    """``error`` (the file is rejected) or ``warning`` (reported, not fatal)."""

    def __str__(self) -> str:
        prefix = "warning: " if self.level == "warning" else ""
        return f"{self.file}:{self.line}:{self.col}: {prefix}{self.message}"


class GovscanError(Exception):
    """Base of every error govscan raises on purpose (never a bug)."""

    exit_code = 2


class UsageError(GovscanError):
    """Bad arguments or configuration (exit 2)."""


class PolicyError(GovscanError):
    """One or more problems in policy, profile, waiver or inventory files (exit 2)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line, d.col, d.message))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class InputFileError(GovscanError):
    """An input data file (nmap XML, inventory) could not be read or parsed (exit 2)."""

    def __init__(self, file: str, message: str, line: int = 0, col: int = 0):
        self.diagnostic = Diagnostic(file, line, col, message)
        super().__init__(str(self.diagnostic))


class ScanFailed(GovscanError):
    """The scan could not run at all, e.g. no target was reachable (exit 3)."""

    exit_code = 3


class StoreError(GovscanError):
    """The database cannot be opened or does not hold what was asked for (exit 2)."""
