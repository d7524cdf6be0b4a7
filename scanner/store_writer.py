"""A child process that writes finding batches into the store while the scan builds the next ones.

Storing a finding is work of three kinds: building its row (canonical JSON of the evidence and its
sha256), hashing the row, and SQLite inserting it with its three index entries. In one process they
add up (a thread does not help: the sqlite3 module takes the GIL back after every row). Once a scan has
stored :data:`scanner.store.WRITER_AFTER` findings, the store hands its batches, unhashed, to this
writer over a pipe and goes on building: the writer hashes and inserts, the two halves overlap on two
cores.

Order and integrity are unchanged: one writer, batches applied in the order sent (finding ids, the
hash chain's order, are the insertion order), each batch one transaction that first checks the scan is
not sealed. At most :data:`IN_FLIGHT` batches wait in the pipe, so memory stays bounded. A failure in
the writer (disk full, a sealed scan, the writer killed) is raised by the store at its next write or
when the scan is finished; a batch the writer had not committed is not stored, like a crash of the
single-process store.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

IN_FLIGHT = 2
"""Batches sent and not yet acknowledged, at most."""


class _Pipe:
    """Pickled messages over a pair of byte streams (only ever between a store and its own writer)."""

    def __init__(self, rx: IO[bytes], tx: IO[bytes]):
        self.rx, self.tx = rx, tx

    def recv(self) -> Any:
        return pickle.load(self.rx)

    def send(self, msg: Any) -> None:
        pickle.dump(msg, self.tx, protocol=pickle.HIGHEST_PROTOCOL)
        self.tx.flush()

    def close(self) -> None:
        for f in (self.tx, self.rx):
            try:
                f.close()
            except OSError:
                pass


def main() -> None:
    """``python -m scanner.store_writer DB``: messages on stdin, one reply each on stdout."""
    serve(sys.argv[1], _Pipe(sys.stdin.buffer, sys.stdout.buffer))


def hash_rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each finding row (scan id, then the hashed columns in ``_FINDING_HASHED`` order) with its hash
    appended: :func:`scanner.store.values_hash`, inlined, the length-prefixed pieces of the columns that
    repeat across a batch (control, target, type, region, status, severity, waiver, time) built once."""
    from hashlib import sha256

    pieces: dict[Any, str] = {None: "-;"}

    def piece(v: Any) -> str:
        got = pieces.get(v)
        if got is None:
            got = pieces[v] = f"{len(v)}:{v};" if v.__class__ is str else f"{len(str(v))}:{v};"
        return got

    out = []
    get = pieces.get
    for row in rows:
        _, control, target, rid, rtype, region, status, severity, msg, ev_sha, waiver, stamp = row
        digest = sha256("".join((
            get(control) or piece(control), get(target) or piece(target),
            f"{len(rid)}:{rid};" if rid.__class__ is str else piece(rid),
            get(rtype) or piece(rtype), get(region) or piece(region),
            get(status) or piece(status), get(severity) or piece(severity),
            f"{len(msg)}:{msg};" if msg.__class__ is str else piece(msg),
            "-;" if ev_sha is None else f"64:{ev_sha};",
            get(waiver) or piece(waiver), get(stamp) or piece(stamp),
        )).encode("utf-8")).hexdigest()
        out.append((*row, digest))
    return out


def serve(path: str, conn: Any) -> None:
    """The writer process: apply each message to the database at ``path``, acknowledge it."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA busy_timeout=30000")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA cache_size=-65536")
    while True:
        try:
            msg = conn.recv()
        except EOFError:  # the store's process is gone: nothing more will come
            return
        if msg[0] == "stop":
            conn.send(("ok", 0))
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            if msg[0] == "batch":
                _, scan_id, insert, rows, evidence = msg
                sealed = db.execute("SELECT status FROM scans WHERE id = ? AND hash IS NOT NULL",
                                    (scan_id,)).fetchone()
                if sealed:
                    db.execute("ROLLBACK")
                    conn.send(("sealed", sealed[0]))
                    continue
                db.executemany("INSERT OR IGNORE INTO evidence (sha256, data) VALUES (?, ?)", evidence)
                db.executemany(insert, hash_rows(rows))
            elif db.execute(msg[1], msg[2]).rowcount == 0:  # ("sql", UPDATE, parameters): in its place
                db.execute("ROLLBACK")
                conn.send(("norow", str(msg[2][-1])))
                continue
            db.execute("COMMIT")
            conn.send(("ok", len(msg[3]) if msg[0] == "batch" else 0))
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            conn.send(("sqlite", f"{type(exc).__name__}", str(exc)))


class Writer:
    """The store's end of a writer process: a fresh interpreter running ``python -m scanner.store_writer``
    (not a fork: safe beside threads; not multiprocessing's spawn, which re-runs the caller's main module)."""

    def __init__(self, path: str):
        import scanner

        here = str(Path(scanner.__file__).resolve().parent.parent)  # the very package this process runs
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)}
        self.proc = subprocess.Popen([sys.executable, "-m", "scanner.store_writer", path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, close_fds=True)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._conn = _Pipe(self.proc.stdout, self.proc.stdin)
        self.pending = 0
        self.failure: tuple[str, ...] | None = None
        """The first failure the writer reported (or ``("died", exit code)``); later writes are refused."""

    def send(self, msg: tuple[Any, ...]) -> None:
        """Queue one message; waits while :data:`IN_FLIGHT` are unacknowledged. Raises via :meth:`check`."""
        self.check()
        while self.pending >= IN_FLIGHT:
            self._ack()
            self.check()
        try:
            self._conn.send(msg)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            self._died()
            self.check()
        self.pending += 1

    def drain(self) -> None:
        """Wait until every sent message is applied (or the writer fails)."""
        while self.pending and self.failure is None:
            self._ack()

    def _ack(self) -> None:
        try:
            reply = self._conn.recv()
        except (EOFError, ConnectionResetError, OSError, pickle.UnpicklingError):
            self._died()
            return
        self.pending -= 1
        if reply[0] != "ok" and self.failure is None:
            self.failure = tuple(reply)

    def _died(self) -> None:
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.failure = self.failure or ("died", str(code))
        self.pending = 0

    def check(self) -> None:
        if self.failure is not None:
            raise WriterFailed(self.failure)

    def close(self) -> None:
        """Apply what was sent, stop the process; raises the writer's failure if it had one."""
        try:
            self.drain()
            if self.failure is None:
                self.send(("stop",))
                self.drain()
        finally:
            self.kill()
        self.check()

    def kill(self) -> None:
        self._conn.close()  # the writer sees end of input and exits
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class WriterFailed(Exception):
    """What the writer reported: ``("sqlite", class, text)``, ``("sealed", status)``, ``("died", code)``."""

    def __init__(self, failure: tuple[str, ...]):
        super().__init__(*failure)
        self.failure = failure


if __name__ == "__main__":
    main()
