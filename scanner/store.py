"""The evidence store: SQLite (plain ``sqlite3``, see :mod:`scanner.store_sql`).

One database holds every scan: the scan row (hash-chained to the previous scan), its targets, a
snapshot of each control as run, its findings, content-addressed evidence, the waivers in force and
the exclusions. Findings land in batches inside transactions, so a scan killed mid-way leaves a
consistent database whose scan row reads ``interrupted``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import socket
import sqlite3
import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from scanner.errors import StoreError
from scanner.model import Finding, ScanStatus
from scanner.store_sql import SCHEMA_V1, LazyDatabase, insert, update

SCHEMA_VERSION = 1
BATCH = 20000

_FINDING_HASHED = (
    "control_id", "target_id", "resource_id", "resource_type", "region",
    "status", "severity", "message", "evidence_sha256", "waiver_id", "time",
)
# snapshot tables of a scan and their order; every column but a document (hashed via sha256)
_SNAPSHOT_TABLES = (("controls", "id"), ("targets", "id"), ("waivers", "id"), ("exclusions", "control_id"))
_SCAN_HASHED = (
    "id", "started", "finished", "status", "profile", "profile_sha256", "tool_version",
    "operator", "inventory_sha256", "targets_spec", "gate", "summary", "api_calls",
)


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept; the form every hash is taken over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def now() -> str:
    """UTC time, ISO 8601 with seconds and a Z."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def finding_hash(row: Mapping[str, Any]) -> str:
    """sha256 over the hashed columns, each length-prefixed (``-`` for NULL) so no two rows collide."""
    parts = []
    for k in _FINDING_HASHED:
        v = row.get(k)
        parts.append("-;" if v is None else f"{len(str(v))}:{v};")
    return sha256_text("".join(parts))


def default_path() -> str:
    return os.environ.get("GOVSCAN_DB") or "govscan.db"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Store:
    """A govscan database. Creates it (mode 0600, WAL) and migrates it forward on open."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, create: bool = True):
        self.path = Path(path or default_path())
        if not self.path.exists():
            if not create:
                raise StoreError(f"{self.path}: no such database (run 'govscan scan' first, or pass --db)")
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
                os.close(fd)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create database: {exc.strerror}") from exc
        try:
            conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache: index updates of big scans
            conn.execute("PRAGMA temp_store=MEMORY")
            conn.execute("PRAGMA recursive_triggers=on")  # as sqlite_utils.Database(conn) sets it
            self.conn = conn
            self.db = LazyDatabase(conn)
            """``.conn``, or a ``sqlite_utils.Database`` on first use of anything else."""
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a govscan database ({exc})") from exc
        for suffix in ("-wal", "-shm"):
            side = Path(str(self.path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)
        self._reap_dead_scans()

    # -- schema -----------------------------------------------------------------------------

    def _migrate(self) -> None:
        conn = self.conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {version} is newer than this govscan ({SCHEMA_VERSION})")
        if version == SCHEMA_VERSION:
            return
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            if version == 0:
                self._create_v1()
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _create_v1(self) -> None:
        for sql in SCHEMA_V1:
            self.conn.execute(sql)

    def _reap_dead_scans(self) -> None:
        """A ``running`` scan whose process is gone on this host was killed: mark it interrupted."""
        host = socket.gethostname()
        rows = self.conn.execute(
            "SELECT id, pid, hostname FROM scans WHERE status = ?", (ScanStatus.RUNNING.value,)
        ).fetchall()
        for scan_id, pid, hostname in rows:
            if hostname == host and pid and not _pid_alive(pid) and pid != os.getpid():
                self.finish_scan(scan_id, ScanStatus.INTERRUPTED)

    # -- writing ----------------------------------------------------------------------------

    def begin_scan(self, *, profile: str, profile_sha256: str, tool_version: str,
                   inventory_sha256: str | None = None, targets_spec: list[str] | None = None,
                   options: Mapping[str, Any] | None = None, operator: str | None = None) -> str:
        """Insert a ``running`` scan row and return its id."""
        scan_id = str(uuid.uuid4())
        insert(self.conn, "scans", [{
            "id": scan_id, "seq": None, "started": now(), "finished": None,
            "status": ScanStatus.RUNNING.value, "profile": profile, "profile_sha256": profile_sha256,
            "tool_version": tool_version, "operator": operator or _operator(),
            "hostname": socket.gethostname(), "pid": os.getpid(),
            "inventory_sha256": inventory_sha256, "targets_spec": canonical(targets_spec or []),
            "options": canonical(options or {}), "gate": None, "summary": None, "api_calls": 0,
            "prev_hash": None, "hash": None,
        }])
        return scan_id

    def add_rows(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert snapshot rows (targets, controls, waivers, exclusions) in one transaction."""
        rows = list(rows)
        if rows:
            with self.conn:
                self.conn.execute("BEGIN IMMEDIATE")
                insert(self.conn, table, rows, replace=True)

    def update_target(self, scan_id: str, target_id: str, **values: Any) -> None:
        if not update(self.conn, "targets", ("scan_id", "id"), (scan_id, target_id), values):
            raise StoreError(f"{self.path}: scan {scan_id!r} has no target {target_id!r}")

    def add_findings(self, scan_id: str, findings: Iterable[Finding]) -> int:
        """Store findings (and their evidence, deduplicated by sha256) in batches; returns the count."""
        count = 0
        batch: list[Finding] = []
        for f in findings:
            batch.append(f)
            if len(batch) >= BATCH:
                count += self._write_batch(scan_id, batch)
                batch = []
        if batch:
            count += self._write_batch(scan_id, batch)
        return count

    def _write_batch(self, scan_id: str, batch: list[Finding]) -> int:
        stamp = now()
        evidence: dict[str, str] = {}
        rows = []
        for f in batch:
            ev_sha = None
            if f.evidence:
                text = canonical(f.evidence)
                ev_sha = sha256_text(text)
                evidence[ev_sha] = text
            row = {
                "control_id": f.control_id, "target_id": f.target_id, "resource_id": f.resource_id,
                "resource_type": f.resource_type, "region": f.region, "status": f.status.value,
                "severity": f.severity.value, "message": f.message, "evidence_sha256": ev_sha,
                "waiver_id": f.waiver_id, "time": stamp,
            }
            row["hash"] = finding_hash(row)
            rows.append((scan_id, *[row[k] for k in _FINDING_HASHED], row["hash"]))
        cols = ", ".join(("scan_id", *_FINDING_HASHED, "hash"))
        marks = ", ".join("?" * (len(_FINDING_HASHED) + 2))
        conn = self.conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR IGNORE INTO evidence (sha256, data) VALUES (?, ?)", evidence.items())
            conn.executemany(f"INSERT INTO findings ({cols}) VALUES ({marks})", rows)
        return len(rows)

    def finish_scan(self, scan_id: str, status: ScanStatus, *, gate: Mapping[str, Any] | None = None,
                    api_calls: int | None = None) -> str:
        """Close a scan: set its status, summary and place in the hash chain; returns its hash."""
        conn = self.conn
        with conn:
            conn.execute("BEGIN IMMEDIATE")
            row = self._scan_row(scan_id)
            if row["hash"]:
                return row["hash"]
            last = conn.execute("SELECT seq, hash FROM scans WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1").fetchone()
            seq = (last[0] + 1) if last else 1
            prev_hash = last[1] if last else None
            updates: dict[str, Any] = {
                "status": status.value, "finished": now(), "seq": seq, "prev_hash": prev_hash,
                "summary": canonical(self._summary(scan_id)),
            }
            if gate is not None:
                updates["gate"] = canonical(gate)
            if api_calls is not None:
                updates["api_calls"] = api_calls
            row.update(updates)
            updates["hash"] = self.scan_digest(row)
            update(conn, "scans", ("id",), (scan_id,), updates)
        return updates["hash"]

    def _summary(self, scan_id: str) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {}
        for status, severity, n in self.conn.execute(
            "SELECT status, severity, count(*) FROM findings WHERE scan_id = ? GROUP BY status, severity", (scan_id,)
        ):
            counts.setdefault(status, {})[severity] = n
        return counts

    # -- integrity --------------------------------------------------------------------------

    def scan_digest(self, row: Mapping[str, Any]) -> str:
        """The hash of a scan: its fields, previous hash, every snapshot row (controls with their
        severity, mappings and inputs as run; targets; waivers; exclusions) and every finding's hash.

        Documents are covered through their sha256 column, which verify-db checks against them.
        """
        h = hashlib.sha256()
        h.update(canonical({k: row.get(k) for k in _SCAN_HASHED}).encode())
        h.update((row.get("prev_hash") or "").encode())
        for table, order in _SNAPSHOT_TABLES:
            cur = self.conn.execute(f"SELECT * FROM {table} WHERE scan_id = ? ORDER BY {order}", (row["id"],))
            names = [d[0] for d in cur.description]
            for values in cur:
                h.update(canonical({k: v for k, v in zip(names, values) if k != "document"}).encode())
        for (fh,) in self.conn.execute(
            "SELECT hash FROM findings WHERE scan_id = ? ORDER BY id", (row["id"],)
        ):
            h.update((fh or "").encode())
        return h.hexdigest()

    # -- reading ----------------------------------------------------------------------------

    def _scan_row(self, scan_id: str) -> dict[str, Any]:
        cur = self.conn.execute("SELECT * FROM scans WHERE id = ?", (scan_id,))
        row = cur.fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no scan {scan_id!r}")
        return _row(cur, row)

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
        return ScanView(self, self.resolve_scan(ref))

    def close(self) -> None:
        self.conn.close()


def _operator() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:
        return str(os.getuid())


_JSON_COLUMNS = {
    "scans": ("targets_spec", "options", "gate", "summary"),
    "targets": ("facts",),
    "controls": ("mappings", "tags", "inputs", "document"),
    "waivers": ("document",),
}


def _decode(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for col in _JSON_COLUMNS.get(table, ()):
        if out.get(col) is not None:
            out[col] = json.loads(out[col])
    return out


class ScanView:
    """A read-only view of one stored scan: what every renderer reads."""

    def __init__(self, store: Store, scan_id: str):
        self.store = store
        self.id = scan_id
        self.scan = _decode("scans", store._scan_row(scan_id))
        q = store.db.conn.execute
        cur = q("SELECT * FROM targets WHERE scan_id = ? ORDER BY id", (scan_id,))
        self.targets = [_decode("targets", _row(cur, r)) for r in cur.fetchall()]
        cur = q("SELECT * FROM controls WHERE scan_id = ? ORDER BY id", (scan_id,))
        self.controls = {r["id"]: r for r in (_decode("controls", _row(cur, x)) for x in cur.fetchall())}
        cur = q("SELECT * FROM waivers WHERE scan_id = ? ORDER BY id", (scan_id,))
        self.waivers = [_decode("waivers", _row(cur, r)) for r in cur.fetchall()]
        cur = q("SELECT * FROM exclusions WHERE scan_id = ? ORDER BY control_id", (scan_id,))
        self.exclusions = [_row(cur, r) for r in cur.fetchall()]

    def findings(self, *, status: Iterable[str] | None = None, severity: Iterable[str] | None = None,
                 control: str | None = None, resource: str | None = None) -> Iterator[dict[str, Any]]:
        """Finding rows in insertion order, optionally filtered; streamed, not loaded at once."""
        sql = "SELECT * FROM findings WHERE scan_id = ?"
        args: list[Any] = [self.id]
        for col, values in (("status", status), ("severity", severity)):
            if values:
                values = list(values)
                sql += f" AND {col} IN ({','.join('?' * len(values))})"
                args += values
        if control:
            sql += " AND control_id GLOB ?"
            args.append(control)
        if resource:
            sql += " AND resource_id GLOB ?"
            args.append(resource)
        cur = self.store.db.conn.execute(sql + " ORDER BY id", args)
        names = [d[0] for d in cur.description]
        for r in cur:
            yield dict(zip(names, r))

    def evidence(self, sha256: str | None) -> Any:
        """The evidence JSON stored under ``sha256`` (None if absent)."""
        if not sha256:
            return None
        row = self.store.db.conn.execute("SELECT data FROM evidence WHERE sha256 = ?", (sha256,)).fetchone()
        return json.loads(row[0]) if row else None

    def counts(self) -> dict[str, dict[str, int]]:
        """Finding counts: status -> severity -> n."""
        return self.store._summary(self.id)

    def finding_count(self) -> int:
        return self.store.db.conn.execute("SELECT count(*) FROM findings WHERE scan_id = ?", (self.id,)).fetchone()[0]

    def history(self, limit: int = 12) -> list[dict[str, Any]]:
        """The sealed scans of exactly this scan's targets up to this one, oldest first (at most ``limit``):
        ``{"id", "seq", "started", "status", "summary"}`` (summary: status -> severity -> n)."""
        seq = self.scan.get("seq")
        if seq is None:
            return []
        mine = sorted(t["id"] for t in self.targets)
        cur = self.store.db.conn.execute(
            "SELECT s.id, s.seq, s.started, s.status, s.summary, (SELECT group_concat(id, char(31)) FROM "
            "(SELECT id FROM targets WHERE scan_id = s.id ORDER BY id)) FROM scans s "
            "WHERE s.seq IS NOT NULL AND s.seq <= ? ORDER BY s.seq DESC LIMIT 500", (seq,))
        out = []
        for sid, sseq, started, status, summary, targets in cur:
            if sorted((targets or "").split("\x1f")) == mine or (not targets and not mine):
                out.append({"id": sid, "seq": sseq, "started": started, "status": status,
                            "summary": json.loads(summary) if summary else {}})
                if len(out) >= limit:
                    break
        return out[::-1]


def _row(cur: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip([d[0] for d in cur.description], values))
