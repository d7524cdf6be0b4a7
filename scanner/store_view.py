"""Reading one stored scan: :class:`ScanView`, what every renderer reads (re-exported by
:mod:`scanner.store`)."""

from __future__ import annotations

import enum
import json
import sqlite3
from dataclasses import dataclass
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


class WaiverState(str, enum.Enum):
    """What a waiver did to a finding (the renderers read this, never re-derive it)."""

    WAIVED = "waived"
    """A waiver in force covers the failure: the finding is ``waived``."""
    EXPIRED = "expired"
    """A matching waiver had expired when the scan ran: the finding stays ``fail`` and names it."""


#: Version of the evidence document a finding references (the keys :class:`Evidence` reads). Evidence
#: is content-addressed and hashed into the chain, so the version is declared here, not stored in it.
EVIDENCE_SCHEMA = 1

#: The stored columns of a finding, in table order: what ``dict(record)`` holds.
FINDING_COLUMNS = ("id", "scan_id", "control_id", "target_id", "resource_id", "resource_type", "region", "status",
                   "severity", "message", "evidence_sha256", "waiver_id", "time", "hash")


@dataclass(frozen=True, eq=False)  # equal to a mapping of the same columns, as a row was
class FindingRecord(Mapping[str, Any]):
    """One stored finding as renderers read it: typed, frozen, with its waiver state explicit.

    It is also a read-only mapping of the stored columns (``f["status"]``, ``dict(f)``), so a
    renderer written against rows keeps working while it moves to attributes."""

    id: int
    scan_id: str
    control_id: str
    target_id: str
    resource_id: str
    resource_type: str
    region: str | None
    status: str
    """pass, fail, error, waived, notapplicable or notchecked (:class:`scanner.model.Status`)."""
    severity: str
    message: str
    evidence_sha256: str | None
    waiver_id: str | None
    time: str
    hash: str
    """The finding's hash in the scan's chain."""
    waiver_state: WaiverState | None = None
    """``waived`` or ``expired`` when a waiver matched the failure, else None."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "FindingRecord":
        state = None
        if row.get("waiver_id"):
            state = WaiverState.WAIVED if row["status"] == "waived" else WaiverState.EXPIRED
        values: dict[str, Any] = {k: row.get(k) for k in FINDING_COLUMNS}
        return cls(**values, waiver_state=state)

    def __getitem__(self, key: str) -> Any:
        if key not in FINDING_COLUMNS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(FINDING_COLUMNS)

    def __len__(self) -> int:
        return len(FINDING_COLUMNS)


@dataclass(frozen=True, eq=False)  # equal to the stored document it reads
class Evidence(Mapping[str, Any]):
    """The evidence of a finding (schema :data:`EVIDENCE_SCHEMA`): what was expected and observed,
    where it was read. A read-only mapping of the stored document as well."""

    document: Mapping[str, Any]
    schema: int = EVIDENCE_SCHEMA

    @property
    def expected(self) -> Any:
        return self.document.get("expected")

    @property
    def found(self) -> Any:
        return self.document.get("found")

    @property
    def observed(self) -> Mapping[str, Any]:
        """Attribute path -> the value the control read (``result.evidence`` paths included)."""
        return self.document.get("observed") or {}

    @property
    def locations(self) -> list[Mapping[str, Any]]:
        """``{"attribute", "path", "line"}`` of where the attributes read were found on the target."""
        return list(self.document.get("locations") or [])

    @property
    def error(self) -> str | None:
        return self.document.get("error")

    def __getitem__(self, key: str) -> Any:
        return self.document[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document)

    def __len__(self) -> int:
        return len(self.document)


class ScanView:
    """A read-only view of one stored scan: what every renderer reads (the store runs the SQL)."""

    def __init__(self, store: Store, scan_id: str):
        self.store = store
        self.id = scan_id
        self.scan = _decode("scans", store.scan_row(scan_id))
        self.targets = [_decode("targets", r) for r in store.snapshot_rows(scan_id, "targets")]
        self.controls = {r["id"]: r for r in (_decode("controls", x) for x in store.snapshot_rows(scan_id, "controls"))}
        self.waivers = [_decode("waivers", r) for r in store.snapshot_rows(scan_id, "waivers")]
        self.exclusions = store.snapshot_rows(scan_id, "exclusions")

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


def control_snapshots(store: Store, scan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """control id -> its snapshot row (decoded) in the newest of ``scan_ids`` (oldest first) that ran it;
    each snapshot is read and decoded once, from the newest scan back."""
    out: dict[str, dict[str, Any]] = {}
    q = store.db.conn.execute
    for scan_id in reversed(list(scan_ids)):
        wanted = [cid for (cid,) in q("SELECT id FROM controls WHERE scan_id = ?", (scan_id,)) if cid not in out]
        for i in range(0, len(wanted), 500):
            part = wanted[i:i + 500]
            cur = q(f"SELECT * FROM controls WHERE scan_id = ? AND id IN ({','.join('?' * len(part))})", (scan_id, *part))
            for r in cur.fetchall():
                row = _decode("controls", _row(cur, r))
                out[row["id"]] = row
    return out
