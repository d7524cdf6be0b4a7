"""Reading one stored scan: :class:`ScanView`, what every renderer reads (re-exported by
:mod:`scanner.store`); its records are in :mod:`scanner.store_records`."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from scanner.store_records import (
    EVIDENCE_SCHEMA, FINDING_COLUMNS, ControlRecord, Evidence, FindingRecord, WaiverRecord, WaiverState,
)

__all__ = ["EVIDENCE_SCHEMA", "FINDING_COLUMNS", "ControlRecord", "Evidence", "FindingRecord", "ScanView",
           "WaiverRecord", "WaiverState", "chain_head", "control_snapshots", "ledger_history"]

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


class ScanView:
    """A read-only view of one stored scan: what every renderer reads (the store runs the SQL)."""

    def __init__(self, store: Store, scan_id: str):
        self.store = store
        self.id = scan_id
        self.scan = _decode("scans", store.scan_row(scan_id))
        self.targets = [_decode("targets", r) for r in store.snapshot_rows(scan_id, "targets")]
        self.controls: dict[str, ControlRecord] = {
            r.id: r for r in (ControlRecord.from_row(_decode("controls", x))
                              for x in store.snapshot_rows(scan_id, "controls"))}
        """control id -> the control as the scan ran it, in id order."""
        self.waivers: list[WaiverRecord] = [WaiverRecord.from_row(_decode("waivers", r))
                                            for r in store.snapshot_rows(scan_id, "waivers")]
        self._waiver_index = {w.id: w for w in self.waivers}
        self.exclusions = store.snapshot_rows(scan_id, "exclusions")

    def control(self, control_id: str, severity: str = "") -> ControlRecord:
        """The snapshot of ``control_id``, or a stand-in (no title) when the scan holds none."""
        return self.controls.get(control_id) or ControlRecord.missing(control_id, severity)

    def waiver(self, waiver_id: str | None) -> WaiverRecord | None:
        """The waiver ``waiver_id`` as the scan applied it (None when absent)."""
        return self._waiver_index.get(waiver_id or "")

    def documents(self, table: str) -> Iterator[tuple[str, str | None, str]]:
        """``(id, sha256, canonical JSON)`` of each control or waiver snapshot's document exactly as stored
        (what the evidence pack writes; reports read the records, never the policy layout)."""
        from scanner.model import canonical_json

        for ident, sha, text in self.store.documents(self.id, table):
            yield ident, sha, canonical_json(json.loads(text)) if text is not None else "null"

    def findings(self, *, status: Iterable[str] | None = None, severity: Iterable[str] | None = None,
                 control: str | None = None, resource: str | None = None) -> Iterator[FindingRecord]:
        """Findings in insertion order, optionally filtered; streamed, not loaded at once."""
        for row in self.store.finding_rows(self.id, status=status, severity=severity, control=control,
                                           resource=resource):
            yield FindingRecord.from_row(row)

    def evidence(self, sha256: str | None) -> Evidence | None:
        """The evidence stored under ``sha256`` (None if absent)."""
        text = self.store.evidence_text(sha256) if sha256 else None
        return Evidence(json.loads(text)) if text is not None else None

    def counts(self) -> dict[str, dict[str, int]]:
        """Finding counts: status -> severity -> n."""
        return self.store.summary(self.id)

    def finding_count(self) -> int:
        return self.store.finding_count(self.id)

    def history(self, limit: int = 12) -> list[dict[str, Any]]:
        """The sealed scans of exactly this scan's targets up to this one, oldest first (at most ``limit``):
        ``{"id", "seq", "started", "status", "summary"}`` (summary: status -> severity -> n)."""
        seq = self.scan.get("seq")
        if seq is None:
            return []
        mine = sorted(t["id"] for t in self.targets)
        out = []
        for sid, sseq, started, status, summary, targets in self.store.history_rows(seq):
            if sorted((targets or "").split("\x1f")) == mine or (not targets and not mine):
                out.append({"id": sid, "seq": sseq, "started": started, "status": status,
                            "summary": json.loads(summary) if summary else {}})
                if len(out) >= limit:
                    break
        return out[::-1]


def _row(cur: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip([d[0] for d in cur.description], values))


def ledger_history(store: Store, until: str | None = None) -> list[dict[str, Any]]:
    """Every sealed, complete scan finished at or before ``until`` (ISO time; None: all), oldest first:
    per scan, control and target, the finding ``counts`` by status and the highest ``severity``. The
    rows the ledger (:mod:`scanner.ledger`) reads; a running, interrupted or failed scan validated nothing."""
    from scanner.model import SEVERITIES, Status

    statuses = [s.value for s in Status]
    rank = " ".join(f"WHEN '{name}' THEN {len(SEVERITIES) - i}" for i, name in enumerate(SEVERITIES))
    sql = ("SELECT s.id, s.seq, s.finished, f.control_id, f.target_id, "
           + ", ".join(f"sum(f.status = '{st}')" for st in statuses)
           + f", max(CASE f.severity {rank} ELSE 0 END) FROM scans s JOIN findings f ON f.scan_id = s.id "
           "WHERE s.hash IS NOT NULL AND s.status = 'complete'" + (" AND s.finished <= ?" if until else "")
           + " GROUP BY s.id, f.control_id, f.target_id ORDER BY s.seq, f.control_id, f.target_id")
    out = []
    for r in store.db.conn.execute(sql, (until,) if until else ()):
        counts = {st: n for st, n in zip(statuses, r[5:-1]) if n}
        out.append({"scan": r[0], "seq": r[1], "finished": r[2], "control_id": r[3], "target_id": r[4],
                    "counts": counts, "severity": SEVERITIES[len(SEVERITIES) - r[-1]] if r[-1] else "info"})
    return out


def chain_head(store: Store, until: str | None = None) -> dict[str, Any] | None:
    """The newest sealed scan (highest ``seq``) finished at or before ``until``: the chain head a ledger
    report was computed from, with its signature when the scan was signed."""
    sql = "SELECT * FROM scans WHERE hash IS NOT NULL AND seq IS NOT NULL"
    sql += " AND finished <= ?" if until else ""
    cur = store.db.conn.execute(sql + " ORDER BY seq DESC LIMIT 1", (until,) if until else ())
    row = cur.fetchone()
    return _row(cur, row) if row else None


def control_snapshots(store: Store, scan_ids: Iterable[str]) -> dict[str, ControlRecord]:
    """control id -> its snapshot in the newest of ``scan_ids`` (oldest first) that ran it; each
    snapshot is read and decoded once, from the newest scan back."""
    out: dict[str, ControlRecord] = {}
    q = store.db.conn.execute
    for scan_id in reversed(list(scan_ids)):
        wanted = [cid for (cid,) in q("SELECT id FROM controls WHERE scan_id = ?", (scan_id,)) if cid not in out]
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            cur = q(f"SELECT * FROM controls WHERE scan_id = ? AND id IN ({','.join('?' * len(part))})", (scan_id, *part))
            for r in cur.fetchall():
                record = ControlRecord.from_row(_decode("controls", _row(cur, r)))
                out[record.id] = record
    return out
