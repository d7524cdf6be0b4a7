"""`govscan verify-db`: every altered scan, finding, snapshot or evidence row is named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scanfactory import BUCKET_BAD, build_scan

from scanner.integrity import verify_db
from scanner.model import ScanStatus
from scanner.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """Three sealed factory scans (seq 1..3) in one database."""
    s = Store(tmp_path / "govscan.db")
    for _ in range(3):
        build_scan(s)
    return s


def _scan_ids(store: Store) -> list[str]:
    return [r[0] for r in store.db.conn.execute("SELECT id FROM scans ORDER BY seq")]


def _finding_id(store: Store, scan_id: str, resource: str) -> int:
    return store.db.conn.execute("SELECT id FROM findings WHERE scan_id = ? AND resource_id = ?",
                                 (scan_id, resource)).fetchone()[0]


def test_an_untouched_database_verifies(store):
    rep = verify_db(store)
    assert rep.problems == []
    assert (rep.scans, rep.findings) == (3, 45)
    assert rep.evidence == 12     # deduplicated across the three scans


def test_one_changed_byte_in_a_stored_finding_names_the_finding_and_its_scan(store):
    sid = _scan_ids(store)[1]
    fid = _finding_id(store, sid, BUCKET_BAD)
    store.db.conn.execute("UPDATE findings SET message = replace(message, 'AES256', 'AES257') WHERE id = ?", (fid,))
    problems = verify_db(store).problems
    assert problems == [
        f"scan {sid}: finding #{fid} (aws-s3-encryption-at-rest on '{BUCKET_BAD}') was altered: "
        "its hash does not match its fields",
    ]   # the scan hash covers the stored finding hashes, which are untouched here


def test_a_finding_rewritten_with_a_fresh_hash_is_still_caught_by_its_scan_hash(store):
    from scanner.store import finding_hash

    sid = _scan_ids(store)[0]
    fid = _finding_id(store, sid, BUCKET_BAD)
    conn = store.db.conn
    conn.execute("UPDATE findings SET status = 'pass' WHERE id = ?", (fid,))
    cur = conn.execute("SELECT * FROM findings WHERE id = ?", (fid,))
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    conn.execute("UPDATE findings SET hash = ? WHERE id = ?", (finding_hash(row), fid))
    assert verify_db(store).problems == [
        f"scan {sid} (seq 1): its hash does not match: a scan field, a control snapshot or a finding was "
        "changed, added or removed"]


def test_deleted_finding_and_changed_scan_field_are_named(store):
    first, second, _ = _scan_ids(store)
    store.db.conn.execute("DELETE FROM findings WHERE id = ?", (_finding_id(store, first, BUCKET_BAD),))
    store.db.conn.execute("UPDATE scans SET operator = 'mallory' WHERE id = ?", (second,))
    problems = verify_db(store).problems
    assert [p.split(":")[0] for p in problems] == [f"scan {first} (seq 1)", f"scan {second} (seq 2)"]


def test_a_deleted_scan_breaks_the_chain_at_the_next_one(store):
    first, second, third = _scan_ids(store)
    conn = store.db.conn
    for table in ("findings", "controls", "targets", "waivers", "exclusions"):
        conn.execute(f"DELETE FROM {table} WHERE scan_id = ?", (second,))
    conn.execute("DELETE FROM scans WHERE id = ?", (second,))
    assert verify_db(store).problems == [
        f"scan {third} has seq 3, expected 2: scan(s) 2..2 were deleted",
        f"scan {third} (seq 3): prev_hash does not link to the previous scan's hash: the chain is broken before it",
    ]


def test_altered_evidence_and_control_snapshot_are_named(store):
    sid = _scan_ids(store)[2]
    sha = store.db.conn.execute("SELECT evidence_sha256 FROM findings WHERE scan_id = ? AND resource_id = ?",
                                (sid, BUCKET_BAD)).fetchone()[0]
    store.db.conn.execute("UPDATE evidence SET data = replace(data, 'AES256', 'aws:kms') WHERE sha256 = ?", (sha,))
    store.db.conn.execute("UPDATE controls SET document = replace(document, '\"high\"', '\"low\"') "
                          "WHERE scan_id = ? AND id = 'aws-s3-encryption-at-rest'", (sid,))
    problems = verify_db(store).problems
    assert problems == [
        f"scan {sid}: control snapshot 'aws-s3-encryption-at-rest' was altered: its document does not match "
        "its recorded sha256",
        f"evidence {sha} was altered: its data does not hash to its sha256",
    ]


def test_a_running_scan_is_reported_not_failed(store):
    sid = store.begin_scan(profile="p", profile_sha256="0" * 64, tool_version="0")
    rep = verify_db(store)
    assert rep.problems == [] and rep.unsealed == [sid]
    store.finish_scan(sid, ScanStatus.INTERRUPTED)
    assert verify_db(store).problems == []


def _cli(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from scanner.cli import main; sys.argv[0] = 'govscan'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=dict(os.environ))


def test_cli_exit_codes_and_messages(store, tmp_path):
    db = str(store.path)
    ok = _cli("verify-db", "--db", db)
    assert ok.returncode == 0 and "chain intact: 3 scans, 45 findings, 12 evidence blobs verified" in ok.stdout
    sid = _scan_ids(store)[0]
    store.db.conn.execute("UPDATE findings SET severity = 'low' WHERE id = ?", (_finding_id(store, sid, BUCKET_BAD),))
    bad = _cli("verify-db", "--db", db)
    assert bad.returncode == 1
    assert bad.stdout.splitlines()[0].startswith(f"ALTERED scan {sid}: finding #")
    assert "verification FAILED: 1 problem(s)" in bad.stderr
    missing = _cli("verify-db", "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 2 and "no such database" in missing.stderr
    assert not (tmp_path / "nope.db").exists()
