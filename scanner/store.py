"""The evidence store: SQLite (plain ``sqlite3``, see :mod:`scanner.store_sql`).

One database holds every scan: the scan row (hash-chained to the previous scan), its targets, a
snapshot of each control as run, its findings, content-addressed evidence, the waivers in force and
the exclusions. Findings land in batches inside transactions, so a scan killed mid-way leaves a
consistent database whose scan row reads ``interrupted``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import socket
import sqlite3
import urllib.parse
import uuid
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from scanner.errors import StoreError
from scanner.model import Finding, ScanStatus, canonical_json, evidence_json
from scanner.store_lock import ScanLocks, WriteFailed, write_failure
from scanner.store_sql import SCHEMA_V1, SCHEMA_V2, LazyDatabase, ident, insert, update
from scanner.store_read import StoreReads, _row, findings_in_order
from scanner.store_view import ScanView

__all__ = ["Store", "ScanView", "canonical", "sha256_text", "now", "finding_hash", "field_hashes", "hashed_columns"]

SCHEMA_VERSION = 2
HASH_VERSION = 2
"""The scan hash formula new scans are sealed with (``scans.hash_version``; NULL is formula 1)."""
BATCH = 20000
BATCH_BYTES = 4 << 20
"""A batch is also written once its messages and new evidence reach 4 MiB of text (a batch of rows is
about twice its text in memory, and part of a scan's peak)."""
CACHE_KIB = 4096
"""The page cache of the scan's own connection (4 MiB). It writes the first WRITER_AFTER findings of a
scan and reads scans back in id order (sealing, the gate): neither needs more (an AWS scan of 50,000
findings took as long with 4 MiB as with 16), and the cache is part of a scan's peak memory. The writer process, which inserts the findings
of big scans with their random index updates, keeps 64 MiB (:mod:`scanner.store_writer`)."""
WRITER_AFTER = 4 * BATCH
"""Findings a Store writes itself before it hands its batches to a writer process
(:mod:`scanner.store_writer`); 0 disables the writer."""

_FINDING_HASHED = (
    "control_id", "target_id", "resource_id", "resource_type", "region",
    "status", "severity", "message", "evidence_sha256", "waiver_id", "time",
)
# snapshot tables of a scan and their order; every column but a document (hashed via sha256)
_SNAPSHOT_TABLES = (("controls", "id"), ("targets", "id"), ("waivers", "id"), ("exclusions", "control_id"))
_SCAN_HASHED_V1 = (
    "id", "started", "finished", "status", "profile", "profile_sha256", "tool_version",
    "operator", "inventory_sha256", "targets_spec", "gate", "summary", "api_calls",
)
# formula 2 covers every column that says how a scan was run (options: host-key trust, timeouts)
_SCAN_HASHED_V2 = (*_SCAN_HASHED_V1, "seq", "hostname", "pid", "options", "hash_version")
_INSERT_FINDING = (f"INSERT INTO findings ({', '.join(('scan_id', *_FINDING_HASHED, 'hash'))}) "
                   f"VALUES ({', '.join('?' * (len(_FINDING_HASHED) + 2))})")
SCAN_UNHASHED = ("prev_hash", "hash", "field_hashes", "signature")
"""Scan columns outside the hashed fields: the chain link (hashed on its own), the hash itself, the
per-column digests that only name what changed, and the signature over the hash."""


canonical = canonical_json
"""Canonical JSON (one definition, in the model): the form every hash is taken over."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now() -> str:
    """UTC time, ISO 8601 with seconds and a Z."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def finding_hash(row: Mapping[str, Any]) -> str:
    """sha256 over the hashed columns, each length-prefixed (``-`` for NULL) so no two rows collide."""
    return values_hash([row.get(k) for k in _FINDING_HASHED])


def values_hash(values: Sequence[Any]) -> str:
    """:func:`finding_hash` of the hashed columns' values given in ``_FINDING_HASHED`` order."""
    return hashlib.sha256("".join([
        "-;" if v is None else f"{len(v)}:{v};" if v.__class__ is str else f"{len(str(v))}:{v};" for v in values
    ]).encode("utf-8")).hexdigest()


def default_path() -> str:
    return os.environ.get("GOVSCAN_DB") or "govscan.db"


def hashed_columns(version: int | None) -> tuple[str, ...]:
    """The scan columns a scan hash of formula ``version`` covers (None: formula 1)."""
    return _SCAN_HASHED_V2 if (version or 1) >= 2 else _SCAN_HASHED_V1


def field_hashes(row: Mapping[str, Any]) -> dict[str, str]:
    """sha256 of each hashed column's stored value: lets verify-db name the column that changed."""
    return {k: sha256_text(canonical(row.get(k))) for k in hashed_columns(row.get("hash_version"))}


class Store(StoreReads):
    """A govscan database. Creates it (mode 0600, WAL) and migrates it forward on open.

    ``readonly`` (the default when ``create`` is false, as every reading command opens it) opens the
    file with SQLite's ``mode=ro``: nothing is ever written, no table added, the journal mode is left
    alone; a file that is not a govscan store, or a store of a newer schema, is refused.
    """

    signing_key: Any = None
    """An Ed25519 private key: when set, each scan sealed is signed (``scans.signature``)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = True,
                 readonly: bool | None = None):
        self.path = Path(path or default_path())
        self.readonly = (not create) if readonly is None else readonly
        self.locks = ScanLocks(self.path)
        self._writer: Any = None
        """The writer process (:class:`scanner.store_writer.Writer`) once a scan stored WRITER_AFTER findings."""
        self._stored = 0
        self._queued: tuple[str, list[tuple[Any, ...]], dict[str, str]] | None = None
        """Rows built but not yet sent to the writer (scan id, rows, evidence): sent at BATCH rows."""
        if not self.path.exists():
            if not create:
                raise StoreError(f"{self.path}: no such database (run 'govscan scan' first, or pass --db)")
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
                os.close(fd)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create database: {exc.strerror}") from exc
        if self.readonly:
            self._open_readonly()
            return
        self._open_writable()
        self._reap_dead_scans()

    def _open_writable(self) -> None:
        try:
            conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False, isolation_level=None)
            self.conn = conn
            self._check_foreign()  # before anything is written to the file
            self._version()
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")  # see CACHE_KIB
            # temp_store stays FILE: a sort bigger than the page cache (a GROUP BY over a 4.5 M-finding
            # scan) spills to a temporary file instead of growing this process
            conn.execute("PRAGMA recursive_triggers=on")  # as sqlite_utils.Database(conn) sets it
            self.db = LazyDatabase(conn)
            """``.conn``, or a ``sqlite_utils.Database`` on first use of anything else."""
            self._migrate()
        except sqlite3.OperationalError as exc:
            raise write_failure(self.path, exc) from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a govscan database ({exc})") from exc
        for suffix in ("-wal", "-shm"):
            side = Path(str(self.path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)

    # -- schema -----------------------------------------------------------------------------

    def _open_readonly(self) -> None:
        uri = "file:" + urllib.parse.quote(str(self.path.absolute())) + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA query_only=1")
            conn.execute("PRAGMA busy_timeout=30000")
            self.conn = conn
            self.db = LazyDatabase(conn)
            self._check_foreign()
            if self._version() == 0:
                raise StoreError(f"{self.path}: not a govscan store (no govscan schema version); refusing to read it")
        except sqlite3.OperationalError as exc:  # e.g. a WAL database in a directory we cannot write
            raise StoreError(f"{self.path}: cannot open the database read-only ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a govscan store ({exc})") from exc

    def _version(self) -> int:
        version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {version} is newer than this govscan supports "
                             f"({SCHEMA_VERSION}); upgrade govscan to read it")
        return version

    def _check_foreign(self) -> None:
        """Refuse an SQLite file that holds tables but not govscan's (before writing anything to it)."""
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and not {"scans", "findings", "evidence"} <= tables:
            raise StoreError(f"{self.path}: not a govscan store (it holds other tables: "
                             f"{', '.join(sorted(tables)[:5])}); refusing to touch it")
        if not tables and self.readonly:
            raise StoreError(f"{self.path}: not a govscan store (an empty database)")

    def _migrate(self) -> None:
        conn = self.conn
        version = self._version()
        if version == SCHEMA_VERSION:
            return
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            if version == 0:
                for sql in SCHEMA_V1:
                    conn.execute(sql)
            if version < 2:
                for sql in SCHEMA_V2:  # existing scans keep hash_version NULL: formula 1
                    conn.execute(sql)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _reap_dead_scans(self) -> None:
        """A ``running`` scan whose writer is gone was killed: mark it interrupted.

        A writer holds an exclusive lock on a file beside the database for as long as its scan runs
        (:class:`scanner.store_lock.ScanLocks`): a lock nobody holds means the writer is gone, whatever
        PID namespace or container it ran in. Scans begun on another host are never reaped; scans of
        an older govscan (no lock; ``hash_version`` NULL) fall back to the PID check they relied on.
        """
        host = socket.gethostname()
        rows = self.conn.execute(
            "SELECT id, pid, hostname, hash_version FROM scans WHERE status = ?", (ScanStatus.RUNNING.value,)
        ).fetchall()
        for scan_id, pid, hostname, version in rows:
            if hostname == host and self.locks.abandoned(scan_id, pid, legacy=version is None):
                self.finish_scan(scan_id, ScanStatus.INTERRUPTED)
                self.locks.path(scan_id).unlink(missing_ok=True)

    # -- writing ----------------------------------------------------------------------------

    def begin_scan(self, *, profile: str, profile_sha256: str, tool_version: str,
                   inventory_sha256: str | None = None, targets_spec: list[str] | None = None,
                   options: Mapping[str, Any] | None = None, operator: str | None = None) -> str:
        """Insert a ``running`` scan row and return its id."""
        scan_id = str(uuid.uuid4())
        self.locks.acquire(scan_id)  # held until the scan is sealed: the reaper's proof of life
        try:
            self._insert_scan(scan_id, profile, profile_sha256, tool_version, inventory_sha256, targets_spec,
                              options, operator)
        except sqlite3.OperationalError as exc:
            self.locks.release(scan_id)
            raise write_failure(self.path, exc) from exc
        return scan_id

    def _insert_scan(self, scan_id: str, profile: str, profile_sha256: str, tool_version: str,
                     inventory_sha256: str | None, targets_spec: list[str] | None,
                     options: Mapping[str, Any] | None, operator: str | None) -> None:
        insert(self.conn, "scans", [{
            "id": scan_id, "seq": None, "started": now(), "finished": None,
            "status": ScanStatus.RUNNING.value, "profile": profile, "profile_sha256": profile_sha256,
            "tool_version": tool_version, "operator": operator or _operator(),
            "hostname": socket.gethostname(), "pid": os.getpid(),
            "inventory_sha256": inventory_sha256, "targets_spec": canonical(targets_spec or []),
            "options": canonical(options or {}), "gate": None, "summary": None, "api_calls": 0,
            "prev_hash": None, "hash": None, "hash_version": HASH_VERSION,
        }])

    def add_rows(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert snapshot rows (targets, controls, waivers, exclusions) in one transaction."""
        rows = list(rows)
        if rows:
            try:
                with self.conn:
                    self.conn.execute("BEGIN IMMEDIATE")
                    insert(self.conn, table, rows, replace=True)
            except sqlite3.OperationalError as exc:
                raise write_failure(self.path, exc) from exc

    def update_target(self, scan_id: str, target_id: str, **values: Any) -> None:
        if self._writer is not None and values:  # keep its place after the findings already sent
            from scanner.store_sql import cell

            sets = ", ".join(f"{ident(c)} = ?" for c in values)
            self._send(("sql", f'UPDATE "targets" SET {sets} WHERE "scan_id" = ? AND "id" = ?',
                        [*(cell(v) for v in values.values()), scan_id, target_id]), scan_id)
            return
        if not update(self.conn, "targets", ("scan_id", "id"), (scan_id, target_id), values):
            raise StoreError(f"{self.path}: scan {scan_id!r} has no target {target_id!r}")

    def add_findings(self, scan_id: str, findings: Iterable[Finding]) -> int:
        """Store findings (and their evidence, deduplicated by sha256) in batches; returns the count.

        Each finding becomes its row (evidence encoded and hashed) as it arrives, so no ``Finding`` is
        kept once read; a batch is written at :data:`BATCH` rows or :data:`BATCH_BYTES` of messages and
        evidence, whichever comes first: a scan with large evidence holds a few MB of it at a time, not
        20,000 findings' worth."""
        count = 0
        rows: list[tuple[Any, ...]] = []
        evidence: dict[str, str] = {}
        size = 0
        stamp = now()
        encode, sha256 = evidence_json, hashlib.sha256
        for f in findings:
            ev_sha = None
            if f.evidence:
                text = encode(f.evidence)
                ev_sha = sha256(text.encode("utf-8")).hexdigest()
                if ev_sha not in evidence:
                    evidence[ev_sha] = text
                    size += len(text)
            size += len(f.message)
            rows.append((scan_id, f.control_id, f.target_id, f.resource_id, f.resource_type, f.region,
                         f.status.value, f.severity.value, f.message, ev_sha, f.waiver_id, stamp))
            if len(rows) >= BATCH or size >= BATCH_BYTES:
                count += self._write_batch(scan_id, rows, evidence)
                rows, evidence, size, stamp = [], {}, 0, now()
        if rows:
            count += self._write_batch(scan_id, rows, evidence)
        return count

    def _write_batch(self, scan_id: str, rows: list[tuple[Any, ...]], evidence: dict[str, str]) -> int:
        if self._writer is None and (not WRITER_AFTER or self._stored + len(rows) <= WRITER_AFTER):
            self._insert(scan_id, rows, evidence)
            self._stored += len(rows)
            return len(rows)
        if self._writer is None:
            from scanner.store_writer import Writer

            self._writer = Writer(str(self.path))
        if self._queued is not None and self._queued[0] != scan_id:
            self._flush()
        if self._queued is None:
            self._queued = (scan_id, rows, evidence)
        else:
            self._queued[1].extend(rows)
            self._queued[2].update(evidence)
        if len(self._queued[1]) >= BATCH:
            self._flush()
        return len(rows)

    def _flush(self) -> None:
        """Send the queued rows to the writer."""
        if self._queued is not None:
            scan_id, rows, evidence = self._queued
            self._queued = None
            self._send(("batch", scan_id, _INSERT_FINDING, rows, list(evidence.items())), scan_id)

    def _send(self, msg: tuple[Any, ...], scan_id: str) -> None:
        from scanner.store_writer import WriterFailed

        try:
            self._writer.send(msg)
        except WriterFailed as exc:
            raise self._writer_error(exc, scan_id) from None

    def _quiesce(self, scan_id: str | None = None) -> None:
        """Everything handed to the writer is in the database and the writer is stopped (raises its failure)."""
        if self._writer is None:
            return
        from scanner.store_writer import WriterFailed

        writer, failed = self._writer, None
        try:
            self._flush()
            writer.close()
        except (WriterFailed, StoreError) as exc:
            failed = exc
        finally:
            writer.kill()
            self._writer, self._queued = None, None
        if isinstance(failed, WriterFailed):
            raise self._writer_error(failed, scan_id) from None
        if failed is not None:
            raise failed

    def _writer_error(self, exc: Any, scan_id: str | None) -> Exception:
        kind, *rest = exc.failure
        if kind == "sealed":
            return StoreError(f"{self.path}: scan {scan_id} was already sealed as {rest[0]}; "
                              "refusing to add findings to it")
        if kind == "sqlite":
            cls, text = rest
            return write_failure(self.path, sqlite3.OperationalError(text)) if cls == "OperationalError" else \
                StoreError(f"{self.path}: cannot write ({text})")
        if kind == "norow":
            return StoreError(f"{self.path}: scan {scan_id!r} has no target {rest[0]!r}")
        return WriteFailed(f"{self.path}: the store writer process ended (exit code {rest[0]}); "
                           "the findings it had not committed were not stored")

    def control_results(self, scan_id: str) -> list[dict[str, Any]]:
        self._quiesce(scan_id)
        return super().control_results(scan_id)

    def _insert(self, scan_id: str, rows: list[tuple[Any, ...]], evidence: dict[str, str]) -> None:
        from scanner.store_writer import hash_rows

        rows = hash_rows(rows)
        conn = self.conn
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                sealed = conn.execute("SELECT status FROM scans WHERE id = ? AND hash IS NOT NULL", (scan_id,)).fetchone()
                if sealed:
                    raise StoreError(f"{self.path}: scan {scan_id} was already sealed as {sealed[0]}; "
                                     "refusing to add findings to it")
                conn.executemany("INSERT OR IGNORE INTO evidence (sha256, data) VALUES (?, ?)", evidence.items())
                conn.executemany(_INSERT_FINDING, rows)
        except sqlite3.OperationalError as exc:
            raise write_failure(self.path, exc) from exc

    def finish_scan(self, scan_id: str, status: ScanStatus, *, gate: Mapping[str, Any] | None = None,
                    api_calls: int | None = None) -> str:
        """Close a scan: set its status, summary and place in the hash chain; returns its hash.

        Findings handed to the writer process are stored first; if the writer failed, an interrupted
        scan is still sealed with what was stored, any other status raises the writer's failure."""
        try:
            self._quiesce(scan_id)
        except (StoreError, WriteFailed):
            if status is not ScanStatus.INTERRUPTED:
                raise
        try:
            digest = self._seal(scan_id, status, gate, api_calls)
        except sqlite3.OperationalError as exc:
            # after an I/O error (full disk, ulimit -f) SQLite may refuse every write on this connection
            # until it is reopened; sealing takes a page or two, which usually still fits
            try:
                self.conn.close()
                self._open_writable()
                digest = self._seal(scan_id, status, gate, api_calls)
            except (sqlite3.Error, StoreError):
                raise write_failure(self.path, exc) from exc
        self.locks.release(scan_id)
        return digest

    def _seal(self, scan_id: str, status: ScanStatus, gate: Mapping[str, Any] | None, api_calls: int | None) -> str:
        conn = self.conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            row = self.scan_row(scan_id)
            if row["hash"]:
                return str(row["hash"])
            last = conn.execute("SELECT seq, hash FROM scans WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1").fetchone()
            seq = (last[0] + 1) if last else 1
            prev_hash = last[1] if last else None
            updates: dict[str, Any] = {
                "status": status.value, "finished": now(), "seq": seq, "prev_hash": prev_hash,
                "summary": canonical(self.summary(scan_id)),
            }
            if row.get("hash_version") is None:
                updates["hash_version"] = HASH_VERSION  # a scan an older govscan began: sealed with today's formula
            if gate is not None:
                updates["gate"] = canonical(gate)
            if api_calls is not None:
                updates["api_calls"] = api_calls
            row.update(updates)
            updates["hash"] = row["hash"] = self.scan_digest(row)
            if row.get("hash_version"):
                updates["field_hashes"] = canonical(field_hashes(row))
            if self.signing_key is not None:
                from scanner.anchor import sign_statement

                updates["signature"] = sign_statement(self.signing_key, row)
            update(conn, "scans", ("id",), (scan_id,), updates)
        return str(updates["hash"])

    # -- integrity --------------------------------------------------------------------------

    def scan_digest(self, row: Mapping[str, Any]) -> str:
        """The hash of a scan: its fields (those of its ``hash_version``), previous hash, every snapshot row (controls with their
        severity, mappings and inputs as run; targets; waivers; exclusions) and every finding's hash.

        Documents are covered through their sha256 column, which verify-db checks against them.
        """
        h = hashlib.sha256()
        h.update(canonical({k: row.get(k) for k in hashed_columns(row.get("hash_version"))}).encode())
        h.update((row.get("prev_hash") or "").encode())
        for table, order in _SNAPSHOT_TABLES:
            cur = self.conn.execute(f"SELECT * FROM {table} WHERE scan_id = ? ORDER BY {order}", (row["id"],))
            names = [d[0] for d in cur.description]
            for values in cur:
                h.update(canonical({k: v for k, v in zip(names, values) if k != "document"}).encode())
        for (fh,) in findings_in_order(self.conn, row["id"], "hash"):
            h.update((fh or "").encode())
        return h.hexdigest()

    # -- reading ----------------------------------------------------------------------------

    def scans(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Scan rows, newest first."""
        sql = "SELECT * FROM scans ORDER BY started DESC, rowid DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        cur = self.conn.execute(sql)
        return [_row(cur, r) for r in cur.fetchall()]

    def resolve_scan(self, ref: str | None = None) -> str:
        """A scan id from ``None``/``latest``, ``latest~N``, a full id or a unique prefix."""
        if ref in (None, "", "latest") or (ref or "").startswith("latest~"):
            back = int(ref.split("~", 1)[1]) if ref and "~" in ref else 0
            rows = self.conn.execute(
                "SELECT id FROM scans ORDER BY started DESC, rowid DESC LIMIT 1 OFFSET ?", (back,)
            ).fetchall()
            if not rows:
                raise StoreError(f"{self.path}: no scans stored yet (run 'govscan scan')")
            return rows[0][0]
        rows = self.conn.execute("SELECT id FROM scans WHERE id LIKE ? || '%'", (ref,)).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if not rows:
            raise StoreError(f"{self.path}: no scan matches {ref!r} (see 'govscan scans')")
        raise StoreError(f"{self.path}: {ref!r} matches {len(rows)} scans; give more of the id")

    def view(self, ref: str | None = None) -> "ScanView":
        self._quiesce()
        return ScanView(self, self.resolve_scan(ref))

    def close(self) -> None:
        try:
            self._quiesce()
        finally:
            self.conn.close()
        self.locks.close()


def _operator() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return str(os.getuid())
