"""Plain-``sqlite3`` helpers of the store: schema v1 text, INSERT/UPDATE, and the lazy ``Store.db``.

The store used to go through sqlite-utils for everything; importing it (and numpy, which it imports
when installed) cost every scan ~0.2 s of start-up. The scan path now uses ``sqlite3`` directly with
the same schema text and the same JSON encoding of list/mapping cells, and every read is one of the
store's queries (:mod:`scanner.store_read`), so sqlite-utils is no longer a runtime dependency: the
scan path never needed its table API, and the reads are a dozen fixed queries. ``Store.db`` still
offers a ``sqlite_utils.Database`` (tests inspect stores with it) when sqlite-utils is installed.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable, Mapping


class LazyDatabase:
    """``.conn`` is the connection; any other attribute or ``db[table]`` is a ``sqlite_utils.Database``
    on that connection, created on first use."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._db: Any = None

    def _real(self) -> Any:
        if self._db is None:
            try:
                import sqlite_utils
            except ImportError as exc:  # a test extra, not a dependency of govscan
                raise RuntimeError("Store.db needs sqlite-utils (pip install 'govscan[test]')") from exc

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __getitem__(self, name: str) -> Any:
        return self._real()[name]


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def cell(value: Any) -> Any:
    """A value as sqlite-utils stores it: lists, tuples and mappings as JSON text, the rest as is."""
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=repr, ensure_ascii=False)
    return value


def insert(conn: sqlite3.Connection, table: str, rows: list[Mapping[str, Any]], replace: bool = False) -> None:
    """INSERT (OR REPLACE) ``rows``; the columns are those of the first row."""
    cols = list(rows[0])
    sql = (f"INSERT {'OR REPLACE ' if replace else ''}INTO {ident(table)} ({', '.join(map(ident, cols))}) "
           f"VALUES ({', '.join('?' * len(cols))})")
    conn.executemany(sql, ([cell(r.get(c)) for c in cols] for r in rows))


def update(conn: sqlite3.Connection, table: str, pk: Iterable[str], key: Iterable[Any],
           values: Mapping[str, Any]) -> int:
    """UPDATE the row whose primary key ``pk`` is ``key``; returns the number of rows changed."""
    if not values:
        return 1
    sets = ", ".join(f"{ident(c)} = ?" for c in values)
    where = " AND ".join(f"{ident(c)} = ?" for c in pk)
    cur = conn.execute(f"UPDATE {ident(table)} SET {sets} WHERE {where}", [*(cell(v) for v in values.values()), *key])
    return cur.rowcount


def _table(name: str, cols: str, tail: str = "") -> str:
    body = ",\n".join(f"   {c}" for c in cols.split(", ")) + (f",\n   {tail}" if tail else "")
    return f'CREATE TABLE IF NOT EXISTS "{name}" (\n{body}\n)'


def _index(name: str, table: str, cols: str, unique: bool = False) -> str:
    return f'CREATE {"UNIQUE " if unique else ""}INDEX IF NOT EXISTS "{name}"\n    ON "{table}" ({cols})'


_FK = '"scan_id" TEXT REFERENCES "scans"("id")'
SCHEMA_V1: tuple[str, ...] = (
    _table("scans", '"id" TEXT PRIMARY KEY, "seq" INTEGER, "started" TEXT, "finished" TEXT, "status" TEXT, '
           '"profile" TEXT, "profile_sha256" TEXT, "tool_version" TEXT, "operator" TEXT, "hostname" TEXT, '
           '"pid" INTEGER, "inventory_sha256" TEXT, "targets_spec" TEXT, "options" TEXT, "gate" TEXT, '
           '"summary" TEXT, "api_calls" INTEGER, "prev_hash" TEXT, "hash" TEXT'),
    _index("idx_scans_seq", "scans", '"seq"', unique=True),
    _index("idx_scans_started", "scans", '"started"'),
    _table("targets", f'{_FK}, "id" TEXT, "kind" TEXT, "address" TEXT, "name" TEXT, "facts" TEXT, '
           '"error" TEXT, "api_calls" INTEGER', 'PRIMARY KEY ("scan_id", "id")'),
    _table("controls", f'{_FK}, "id" TEXT, "version" TEXT, "sha256" TEXT, "title" TEXT, "severity" TEXT, '
           '"provider" TEXT, "resource" TEXT, "mappings" TEXT, "tags" TEXT, "inputs" TEXT, "document" TEXT, '
           '"source" TEXT', 'PRIMARY KEY ("scan_id", "id")'),
    _table("findings", f'"id" INTEGER PRIMARY KEY, {_FK}, "control_id" TEXT, "target_id" TEXT, '
           '"resource_id" TEXT, "resource_type" TEXT, "region" TEXT, "status" TEXT, "severity" TEXT, '
           '"message" TEXT, "evidence_sha256" TEXT, "waiver_id" TEXT, "time" TEXT, "hash" TEXT'),
    _index("idx_findings_scan_id_status", "findings", '"scan_id", "status"'),
    _index("idx_findings_scan_id_control_id", "findings", '"scan_id", "control_id"'),
    _index("idx_findings_scan_id_resource_id", "findings", '"scan_id", "resource_id"'),
    _table("evidence", '"sha256" TEXT PRIMARY KEY, "data" TEXT'),
    _table("waivers", f'{_FK}, "id" TEXT, "state" TEXT, "expires" TEXT, "sha256" TEXT, "document" TEXT',
           'PRIMARY KEY ("scan_id", "id")'),
    _table("exclusions", f'{_FK}, "control_id" TEXT, "reason" TEXT, "profile" TEXT',
           'PRIMARY KEY ("scan_id", "control_id")'),
)
"""Schema version 1 in the words sqlite-utils 4 created it with (``sqlite_master`` text identical)."""

SCHEMA_V2: tuple[str, ...] = (
    'ALTER TABLE "scans" ADD COLUMN "hash_version" INTEGER',
    'ALTER TABLE "scans" ADD COLUMN "field_hashes" TEXT',
    'ALTER TABLE "scans" ADD COLUMN "signature" TEXT',
)
"""Schema version 2: the scan hash formula of each scan (NULL: formula 1, written before it existed),
the per-column digests verify-db names a changed column with, and the chain head's signature."""
