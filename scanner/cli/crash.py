"""Unexpected errors: one line naming what failed, the traceback saved to a file, a documented exit code.

Exit 4 means govscan (or a plugin) hit a bug; exit 5 means something could not be written (disk
full, ``ulimit -f``, I/O error). Neither is 1, which a pipeline reads as "the gate failed". The
traceback goes to ``$XDG_CACHE_HOME/govscan/crash/`` (``~/.cache/govscan/crash/``; the system's
temporary directory if that cannot be written), or to stderr with ``govscan --debug`` /
``GOVSCAN_DEBUG=1``.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import sqlite3
import sys
import tempfile
import traceback
from pathlib import Path

INTERNAL = 4
CANNOT_WRITE = 5
DEBUG = {"on": bool(os.environ.get("GOVSCAN_DEBUG"))}


def _is_write_failure(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS):
        return True
    return isinstance(exc, sqlite3.OperationalError) and any(
        s in str(exc) for s in ("disk is full", "disk I/O error", "readonly database"))


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    if not tb:
        return "?"
    frame = tb[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}"


def save_traceback(exc: BaseException) -> Path | None:
    """Write ``exc``'s traceback to a new file (mode 0600); None if nowhere could take it."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for folder in (Path(base) / "govscan" / "crash", Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, name = tempfile.mkstemp(prefix=f"govscan-crash-{stamp}-", suffix=".txt", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"govscan {' '.join(sys.argv[1:])}\n\n{text}")
            return Path(name)
        except OSError:
            continue
    return None


def report(exc: BaseException, what: str = "") -> int:
    """Print one line about ``exc`` (``what`` says what was being done) and return its exit code."""
    code = CANNOT_WRITE if _is_write_failure(exc) else INTERNAL
    kind = "cannot write" if code == CANNOT_WRITE else "internal error"
    from scanner.cli.terminal import clean

    head = f"govscan: {kind}{f' ({clean(what)})' if what else ''}: {type(exc).__name__}: {clean(exc)}"
    if code == CANNOT_WRITE:
        head += " (disk full, a file size limit such as ulimit -f, or an I/O error)"
    if DEBUG["on"]:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        print(f"{head} at {clean(_where(exc))} (exit {code})", file=sys.stderr)
        return code
    saved = save_traceback(exc)
    where = f"traceback in {saved}" if saved else "the traceback could not be saved; rerun with --debug"
    print(f"{head} at {clean(_where(exc))}; {where} (exit {code})", file=sys.stderr)
    return code
