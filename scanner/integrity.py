"""``govscan verify-db``: walk the scan hash chain and name every altered row.

Formula 2 (``scans.hash_version`` 2, every scan sealed since schema 2) also covers how the scan
was run (``options``, ``hostname``, ``pid``) and its ``seq``; scans sealed before keep formula 1 and
still verify. Formula 2 scans record a digest per column, so an edited column is named.

Each finding row carries the sha256 of its fields (:func:`scanner.store.finding_hash`); each sealed
scan's hash (:meth:`scanner.store.Store.scan_digest`) covers its own fields, the previous scan's hash,
its control snapshots' sha256 and its findings' hashes in order. So a changed finding shows twice
(its own hash and its scan's), a deleted or inserted finding shows in its scan's hash, a deleted scan
leaves a gap in ``seq`` and a broken ``prev_hash`` link. Evidence is content-addressed: its data
must hash to its key. Control and waiver snapshots must hash to the sha256 the scan recorded
(the canonical JSON of the document as loaded).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.model import canonical_json
from scanner.store import Store, field_hashes, finding_hash
from scanner.store_view import findings_in_order


@dataclass
class DbReport:
    """The outcome of :func:`verify_db`: ``problems`` is empty when everything verifies."""

    problems: list[str] = field(default_factory=list)
    scans: int = 0
    findings: int = 0
    evidence: int = 0
    unsealed: list[str] = field(default_factory=list)
    """Scans still running (no hash yet): reported, not a problem."""

    @property
    def ok(self) -> bool:
        return not self.problems


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_findings(store: Store, scan_id: str) -> tuple[list[str], int]:
    """Problems with the finding rows of one scan, and how many rows were checked."""
    problems, n = [], 0
    cur = findings_in_order(store.db.conn, scan_id)
    names = [d[0] for d in cur.description]
    for values in cur:
        row = dict(zip(names, values))
        n += 1
        if finding_hash(row) != row["hash"]:
            problems.append(f"scan {scan_id}: finding #{row['id']} ({row['control_id']} on "
                            f"{row['resource_id']!r}) was altered: its hash does not match its fields")
    return problems, n


def _check_snapshots(store: Store, scan_id: str) -> list[str]:
    problems = []
    for table, kind in (("controls", "control"), ("waivers", "waiver")):
        for ident, sha, doc in store.db.conn.execute(
            f"SELECT id, sha256, document FROM {table} WHERE scan_id = ? ORDER BY id", (scan_id,)
        ):
            try:
                got = _sha(canonical_json(json.loads(doc)))
            except (TypeError, ValueError):
                got = None
            if got != sha:
                problems.append(f"scan {scan_id}: {kind} snapshot {ident!r} was altered: "
                                "its document does not match its recorded sha256")
    return problems


def check_scan(store: Store, scan_id: str) -> list[str]:
    """Problems with one sealed scan: its findings, snapshots and its own hash (not the chain link)."""
    cur = store.db.conn.execute("SELECT * FROM scans WHERE id = ?", (scan_id,))
    scan = dict(zip([d[0] for d in cur.description], cur.fetchone()))  # raw row: the hash is over the stored text
    problems, _ = check_findings(store, scan_id)
    problems += _check_snapshots(store, scan["id"])
    problems += _check_scan_hash(store, scan)
    return problems


def _check_scan_hash(store: Store, scan: Mapping[str, Any]) -> list[str]:
    if store.scan_digest(scan) != scan["hash"]:
        changed = _changed_columns(scan)
        if changed:
            return [f"scan {scan['id']} (seq {scan['seq']}): its hash does not match: column "
                    f"{', '.join(changed)} of the scan row was changed"]
        return [f"scan {scan['id']} (seq {scan['seq']}): its hash does not match: a scan field, a control "
                "snapshot or a finding was changed, added or removed"]
    return []


def _changed_columns(scan: Mapping[str, Any]) -> list[str]:
    """The scan columns whose value no longer matches the digest recorded when it was sealed
    (formula 2 scans; the recorded digests only name the column, the scan hash is the proof)."""
    try:
        recorded = json.loads(scan.get("field_hashes") or "{}")
    except ValueError:
        return []
    if not isinstance(recorded, dict):
        return []
    now = field_hashes(scan)
    return [k for k in now if k in recorded and recorded[k] != now[k]]


def check_evidence(store: Store) -> tuple[list[str], int]:
    """Evidence rows whose data does not hash to their key, and finding references to missing evidence."""
    problems, n = [], 0
    for sha, data in store.db.conn.execute("SELECT sha256, data FROM evidence ORDER BY sha256"):
        n += 1
        if data is None or _sha(data) != sha:
            problems.append(f"evidence {sha} was altered: its data does not hash to its sha256")
    for scan_id, sha in store.db.conn.execute(
        "SELECT DISTINCT f.scan_id, f.evidence_sha256 FROM findings f LEFT JOIN evidence e "
        "ON e.sha256 = f.evidence_sha256 WHERE f.evidence_sha256 IS NOT NULL AND e.sha256 IS NULL"
    ):
        problems.append(f"scan {scan_id}: evidence {sha} is referenced but missing")
    return problems, n


def _scan_rows(store: Store) -> Iterable[dict[str, Any]]:
    cur = store.db.conn.execute("SELECT * FROM scans ORDER BY seq IS NULL, seq, started")
    names = [d[0] for d in cur.description]
    for values in cur.fetchall():
        yield dict(zip(names, values))


def verify_db(store: Store) -> DbReport:
    """Walk every scan in chain order and check everything a hash covers."""
    rep = DbReport()
    prev: dict[str, Any] | None = None
    for scan in _scan_rows(store):
        rep.scans += 1
        if scan["seq"] is None or not scan["hash"]:
            if scan["status"] == "running":
                rep.unsealed.append(scan["id"])
            else:
                rep.problems.append(f"scan {scan['id']} is {scan['status']} but not sealed (no seq/hash)")
            problems, n = check_findings(store, scan["id"])
            rep.problems += problems
            rep.findings += n
            continue
        want_seq = (prev["seq"] + 1) if prev else 1
        if scan["seq"] != want_seq:
            rep.problems.append(f"scan {scan['id']} has seq {scan['seq']}, expected {want_seq}: "
                                f"scan(s) {want_seq}..{scan['seq'] - 1} were deleted")
        if prev and (scan.get("hash_version") or 1) < (prev.get("hash_version") or 1):
            rep.problems.append(f"scan {scan['id']} (seq {scan['seq']}): sealed with hash formula "
                                f"{scan.get('hash_version') or 1} after a scan sealed with formula "
                                f"{prev.get('hash_version')}: its hash_version was turned back")
        want_prev = prev["hash"] if prev else None
        if scan["prev_hash"] != want_prev:
            rep.problems.append(f"scan {scan['id']} (seq {scan['seq']}): prev_hash does not link to the "
                                f"previous scan's hash: the chain is broken before it")
        problems, n = check_findings(store, scan["id"])
        rep.problems += problems + _check_snapshots(store, scan["id"]) + _check_scan_hash(store, scan)
        rep.findings += n
        prev = scan
    problems, rep.evidence = check_evidence(store)
    rep.problems += problems
    return rep
