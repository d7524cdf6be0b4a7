"""Proof that a running scan's writer is alive: an exclusive lock it holds, not a PID.

``begin_scan`` creates ``<db>.<scan id>.lock`` beside the database (mode 0600) and holds an
exclusive ``flock`` on it until the scan is sealed. The kernel drops the lock when the process dies,
however it dies, and the lock is the same for every process that opens the file, whatever PID
namespace (container) it runs in: a reader that can take the lock knows the writer is gone. A PID
check cannot tell that, since PIDs of another namespace are invisible or mean another process.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sqlite3
from pathlib import Path

from scanner.errors import GovscanError, StoreError


class WriteFailed(GovscanError):
    """The database or a report could not be written: disk full, file size limit, I/O error (exit 5)."""

    exit_code = 5


def write_failure(path: Path | str, exc: BaseException) -> GovscanError:
    """A library error for a failed write to ``path`` (``exc``: an OSError or sqlite3 error)."""
    text = str(exc)
    full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
    if full or "disk is full" in text or "disk I/O error" in text:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else text
        return WriteFailed(f"{path}: cannot write ({reason}): the disk is full, a file size limit "
                           "(ulimit -f) was reached, or the device failed")
    if isinstance(exc, OSError):
        return WriteFailed(f"{path}: cannot write ({exc.strerror or exc})")
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
        return StoreError(f"{path}: the database is locked by another process ({text})")
    return WriteFailed(f"{path}: cannot write ({text})")


class ScanLocks:
    """The lock files of the scans this process is running against the database at ``db``."""

    def __init__(self, db: Path):
        self.db = Path(db)
        self._held: dict[str, int] = {}

    def path(self, scan_id: str) -> Path:
        return self.db.with_name(f"{self.db.name}.{scan_id}.lock")

    def acquire(self, scan_id: str) -> None:
        path = self.path(scan_id)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise write_failure(path, exc) from exc
        fcntl.flock(fd, fcntl.LOCK_EX)  # a fresh uuid's file: nobody else holds it
        self._held[scan_id] = fd

    def release(self, scan_id: str) -> None:
        fd = self._held.pop(scan_id, None)
        if fd is None:
            return
        self.path(scan_id).unlink(missing_ok=True)  # while still held: a reader never sees a stale free lock
        os.close(fd)

    def close(self) -> None:
        for fd in self._held.values():
            os.close(fd)  # the scan row stays running; the next writer reaps it as interrupted
        self._held.clear()

    def abandoned(self, scan_id: str, pid: int | None, *, legacy: bool = False) -> bool:
        """True if no live process holds the lock of running scan ``scan_id``.

        A scan this process runs is never abandoned. ``legacy`` scans (begun by a govscan without
        locks) are judged by their PID, as that govscan did.
        """
        if scan_id in self._held:
            return False
        if legacy:
            return bool(pid) and pid != os.getpid() and not _pid_alive(int(pid or 0))
        try:
            fd = os.open(self.path(scan_id), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return True  # released (sealed meanwhile: reaping is a no-op) or never taken
        except OSError:
            return False  # cannot tell (another user's lock file): leave it running
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return False  # held: the writer is alive
        finally:
            os.close(fd)
        return True

    def held_elsewhere(self, scan_id: str) -> bool | None:
        """For readers: True if a live writer holds the scan's lock, False if not, None if unknown."""
        try:
            fd = os.open(self.path(scan_id), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except OSError:
            return True
        finally:
            os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
