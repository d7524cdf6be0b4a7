"""Every query that reads the store, in one place: :class:`StoreReads` is mixed into
:class:`scanner.store.Store`.

Nothing outside the store runs SQL: the engine's gate rows, the CLI summary, the evidence pack,
integrity checks and :class:`~scanner.store_view.ScanView` call these methods. Rows come back as
plain dicts of the stored columns (JSON cells still text); :mod:`scanner.store_view` turns them
into typed records for renderers.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable, Iterator

from scanner.errors import StoreError

#: The snapshot tables of a scan and their order.
SNAPSHOTS = {"targets": "id", "controls": "id", "waivers": "id", "exclusions": "control_id"}


def _rows(cur: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    for values in cur:
        yield dict(zip(names, values))


def _row(cur: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip([d[0] for d in cur.description], values))


def findings_in_order(conn: sqlite3.Connection, scan_id: str, columns: str = "*") -> sqlite3.Cursor:
    """The finding rows of one scan in id order (the hash chain's order), streamed without a sort.

    ``WHERE scan_id = ? ORDER BY id`` would read the rows through an index on ``(scan_id, ...)`` and
    sort all of them (a million-row temporary B-tree, in memory where ``temp_store`` is MEMORY). The
    scan's first and last id come from an index instead; the table is then walked in rowid order
    between them, skipping rows of any other scan written in between (``+scan_id``: no index)."""
    lo, hi = conn.execute("SELECT min(id), max(id) FROM findings WHERE scan_id = ?", (scan_id,)).fetchone()
    return conn.execute(f"SELECT {columns} FROM findings WHERE id BETWEEN ? AND ? AND +scan_id = ? ORDER BY id",
                        (lo if lo is not None else 0, hi if hi is not None else -1, scan_id))


class StoreReads:
    """Read queries of the store (the connection is ``self.conn``)."""

    conn: sqlite3.Connection
    path: Any

    # -- scans ---------------------------------------------------------------------------

    def scan_row(self, scan_id: str) -> dict[str, Any]:
        """The raw scans row (JSON cells as stored text: hashes are taken over it)."""
        row = next(_rows(self.conn.execute("SELECT * FROM scans WHERE id = ?", (scan_id,))), None)
        if row is None:
            raise StoreError(f"{self.path}: no scan {scan_id!r}")
        return row

    def find_scan_row(self, scan_id: str) -> dict[str, Any] | None:
        """The raw scans row, or None when there is no such scan."""
        return next(_rows(self.conn.execute("SELECT * FROM scans WHERE id = ?", (scan_id,))), None)

    def latest_sealed_scan(self) -> dict[str, Any] | None:
        """The newest sealed scans row of the chain (None when nothing is sealed)."""
        return next(_rows(self.conn.execute(
            "SELECT * FROM scans WHERE seq IS NOT NULL AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1")), None)

    def sealed_before(self, seq: int) -> int:
        """How many sealed scans the chain holds before ``seq``."""
        return int(self.conn.execute("SELECT count(*) FROM scans WHERE hash IS NOT NULL AND seq IS NOT NULL "
                                     "AND seq < ?", (seq,)).fetchone()[0])

    def sealed_scans(self) -> list[dict[str, Any]]:
        """Every scans row with a hash, by seq."""
        return list(_rows(self.conn.execute("SELECT * FROM scans WHERE hash IS NOT NULL ORDER BY seq")))

    def hash_version(self, scan_id: str) -> int | None:
        """The hash formula a scan was begun with (None on a store whose schema predates it)."""
        if "hash_version" not in {r[1] for r in self.conn.execute("PRAGMA table_info(scans)")}:
            return None
        row = self.conn.execute("SELECT hash_version FROM scans WHERE id = ?", (scan_id,)).fetchone()
        return row[0] if row else None

    def scan_rows_in_chain_order(self) -> list[dict[str, Any]]:
        """Every scans row: sealed ones in chain order first, then the rest by start time."""
        return list(_rows(self.conn.execute("SELECT * FROM scans ORDER BY seq IS NULL, seq, started")))

    def history_rows(self, seq: int, limit: int = 500) -> Iterator[tuple[str, int, str, str, str | None, str | None]]:
        """Sealed scans up to ``seq``, newest first: id, seq, started, status, summary (JSON text) and
        their target ids joined by U+001F."""
        yield from self.conn.execute(
            "SELECT s.id, s.seq, s.started, s.status, s.summary, (SELECT group_concat(id, char(31)) FROM "
            "(SELECT id FROM targets WHERE scan_id = s.id ORDER BY id)) FROM scans s "
            "WHERE s.seq IS NOT NULL AND s.seq <= ? ORDER BY s.seq DESC LIMIT ?", (seq, int(limit)))

    def snapshot_rows(self, scan_id: str, table: str) -> list[dict[str, Any]]:
        """The rows of one snapshot table (targets, controls, waivers, exclusions) of a scan."""
        order = SNAPSHOTS[table]  # a fixed name: never an identifier from outside
        return list(_rows(self.conn.execute(f"SELECT * FROM {table} WHERE scan_id = ? ORDER BY {order}", (scan_id,))))

    # -- findings ------------------------------------------------------------------------

    def finding_rows(self, scan_id: str, *, status: Iterable[str] | None = None,
                     severity: Iterable[str] | None = None, control: str | None = None,
                     resource: str | None = None) -> Iterator[dict[str, Any]]:
        """Finding rows of a scan in insertion order, optionally filtered (globs for control and
        resource); streamed (unfiltered: without a sort, :func:`findings_in_order`)."""
        if not (status or severity or control or resource):
            yield from _rows(findings_in_order(self.conn, scan_id))
            return
        sql = "SELECT * FROM findings WHERE scan_id = ?"
        args: list[Any] = [scan_id]
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
        yield from _rows(self.conn.execute(sql + " ORDER BY id", args))

    def finding_count(self, scan_id: str) -> int:
        return int(self.conn.execute("SELECT count(*) FROM findings WHERE scan_id = ?", (scan_id,)).fetchone()[0])

    def summary(self, scan_id: str) -> dict[str, dict[str, int]]:
        """Finding counts of a scan: status -> severity -> n."""
        # counted while walking the rows in place: GROUP BY would sort every row of the scan first
        from collections import Counter

        counts: dict[str, dict[str, int]] = {}
        groups = Counter(findings_in_order(self.conn, scan_id, "status, severity"))
        for (status, severity), n in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
            counts.setdefault(status, {})[severity] = n
        return counts

    def control_results(self, scan_id: str) -> list[dict[str, Any]]:
        """Per control, status, severity and waiver: how many findings (what the gate decides on)."""
        # counted while walking the rows in place, like summary(): GROUP BY would sort the whole scan
        from collections import Counter

        groups = Counter(findings_in_order(self.conn, scan_id, "control_id, status, severity, waiver_id"))
        return [{"control_id": c, "status": st, "severity": sev, "waiver_id": w, "n": n}
                for (c, st, sev, w), n in sorted(groups.items(), key=lambda kv: tuple(x or "" for x in kv[0]))]

    def failing_controls(self, scan_id: str) -> list[tuple[str, str, int, str]]:
        """Controls with failures: id, severity, failures, title; most severe first, then by id."""
        return [tuple(r) for r in self.conn.execute(  # type: ignore[misc]
            "SELECT f.control_id, c.severity, count(*), c.title FROM findings f JOIN controls c "
            "ON c.scan_id = f.scan_id AND c.id = f.control_id WHERE f.scan_id = ? AND f.status = 'fail' "
            "GROUP BY f.control_id ORDER BY CASE c.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 "
            "WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, f.control_id", (scan_id,)).fetchall()]

    # -- evidence and documents ------------------------------------------------------------

    def evidence_text(self, sha256: str) -> str | None:
        """The stored evidence JSON text under ``sha256`` (None if absent)."""
        row = self.conn.execute("SELECT data FROM evidence WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def scan_evidence(self, scan_id: str) -> tuple[set[str], list[tuple[str, str]]]:
        """The evidence hashes a scan's findings reference, and the stored ``(sha256, text)`` of
        those present, by hash."""
        referenced = {r[0] for r in self.conn.execute(
            "SELECT DISTINCT evidence_sha256 FROM findings WHERE scan_id = ? AND evidence_sha256 IS NOT NULL",
            (scan_id,))}
        present = self.conn.execute(
            "SELECT e.sha256, e.data FROM evidence e WHERE e.sha256 IN "
            "(SELECT DISTINCT evidence_sha256 FROM findings WHERE scan_id = ?) ORDER BY e.sha256", (scan_id,)
        ).fetchall()
        return referenced, [(sha, data) for sha, data in present]

    def all_evidence(self) -> Iterator[tuple[str, str | None]]:
        """Every evidence row: ``(sha256, text)`` by hash."""
        yield from self.conn.execute("SELECT sha256, data FROM evidence ORDER BY sha256")

    def missing_evidence(self) -> Iterator[tuple[str, str]]:
        """``(scan id, sha256)`` of evidence a finding references that is not stored."""
        yield from self.conn.execute(
            "SELECT DISTINCT f.scan_id, f.evidence_sha256 FROM findings f LEFT JOIN evidence e "
            "ON e.sha256 = f.evidence_sha256 WHERE f.evidence_sha256 IS NOT NULL AND e.sha256 IS NULL")

    def documents(self, scan_id: str, table: str) -> Iterator[tuple[str, str, str]]:
        """``(id, sha256, document text)`` of a scan's control or waiver snapshots, by id."""
        if table not in ("controls", "waivers"):
            raise ValueError(table)
        yield from self.conn.execute(f"SELECT id, sha256, document FROM {table} WHERE scan_id = ? ORDER BY id",
                                     (scan_id,))

    # -- the ledger (scanner.ledger): every sealed scan ---------------------------------------

    def ledger_rows(self, until: str | None = None) -> list[dict[str, Any]]:
        """Every sealed, complete scan finished at or before ``until`` (ISO time; None: all), oldest first:
        per scan, control and target, the finding ``counts`` by status and the highest ``severity``. A
        running, interrupted or failed scan validated nothing."""
        from scanner.model import SEVERITIES, Status

        statuses = [s.value for s in Status]
        rank = " ".join(f"WHEN '{name}' THEN {len(SEVERITIES) - i}" for i, name in enumerate(SEVERITIES))
        sql = ("SELECT s.id, s.seq, s.finished, f.control_id, f.target_id, "
               + ", ".join(f"sum(f.status = '{st}')" for st in statuses)
               + f", max(CASE f.severity {rank} ELSE 0 END) FROM scans s JOIN findings f ON f.scan_id = s.id "
               "WHERE s.hash IS NOT NULL AND s.status = 'complete'" + (" AND s.finished <= ?" if until else "")
               + " GROUP BY s.id, f.control_id, f.target_id ORDER BY s.seq, f.control_id, f.target_id")
        out = []
        for r in self.conn.execute(sql, (until,) if until else ()):
            counts = {st: n for st, n in zip(statuses, r[5:-1]) if n}
            out.append({"scan": r[0], "seq": r[1], "finished": r[2], "control_id": r[3], "target_id": r[4],
                        "counts": counts, "severity": SEVERITIES[len(SEVERITIES) - r[-1]] if r[-1] else "info"})
        return out

    def chain_head(self, until: str | None = None) -> dict[str, Any] | None:
        """The newest sealed scan (highest ``seq``) finished at or before ``until``: the chain head a ledger
        report was computed from, with its signature when the scan was signed."""
        sql = "SELECT * FROM scans WHERE hash IS NOT NULL AND seq IS NOT NULL"
        sql += " AND finished <= ?" if until else ""
        cur = self.conn.execute(sql + " ORDER BY seq DESC LIMIT 1", (until,) if until else ())
        row = cur.fetchone()
        return _row(cur, row) if row else None

    def latest_control_rows(self, scan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """control id -> its snapshot row (JSON cells as text) in the newest of ``scan_ids`` (oldest first)
        that ran it; each row is read once, from the newest scan back."""
        out: dict[str, dict[str, Any]] = {}
        q = self.conn.execute
        for scan_id in reversed(list(scan_ids)):
            wanted = [cid for (cid,) in q("SELECT id FROM controls WHERE scan_id = ?", (scan_id,)) if cid not in out]
            for i in range(0, len(wanted), 500):
                part = wanted[i:i + 500]
                cur = q(f"SELECT * FROM controls WHERE scan_id = ? AND id IN ({','.join('?' * len(part))})",
                        (scan_id, *part))
                for r in cur.fetchall():
                    row = _row(cur, r)
                    out[row["id"]] = row
        return out
