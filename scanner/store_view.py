"""Reading one stored scan: :class:`ScanView`, what every renderer reads (re-exported by
:mod:`scanner.store`)."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:
    from scanner.store import Store


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


def findings_in_order(conn: sqlite3.Connection, scan_id: str, columns: str = "*") -> sqlite3.Cursor:
    """The finding rows of one scan in id order (the hash chain's order), streamed without a sort.

    ``WHERE scan_id = ? ORDER BY id`` would read the rows through an index on ``(scan_id, ...)`` and
    sort all of them (a million-row temporary B-tree, in memory where ``temp_store`` is MEMORY). The
    scan's first and last id come from an index instead; the table is then walked in rowid order
    between them, skipping rows of any other scan written in between (``+scan_id``: no index)."""
    lo, hi = conn.execute("SELECT min(id), max(id) FROM findings WHERE scan_id = ?", (scan_id,)).fetchone()
    return conn.execute(f"SELECT {columns} FROM findings WHERE id BETWEEN ? AND ? AND +scan_id = ? ORDER BY id",
                        (lo if lo is not None else 0, hi if hi is not None else -1, scan_id))


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
        if not (status or severity or control or resource):
            cur = findings_in_order(self.store.db.conn, self.id)
            names = [d[0] for d in cur.description]
            for r in cur:
                yield dict(zip(names, r))
            return
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


def _row(cur: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip([d[0] for d in cur.description], values))
