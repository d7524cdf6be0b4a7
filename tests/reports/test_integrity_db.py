"""`govscan verify-db`: every altered scan, finding, snapshot or evidence row is named."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
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


# -- hash formula 2: every column that says how a scan was run ------------------------------------

V1_DB = Path(__file__).parent.parent / "data" / "store" / "v1-store.db"


@pytest.mark.parametrize(("column", "value"), [
    ("options", '{"accept_new_host_keys":true,"jobs":4}'),
    ("hostname", "other-host"),
    ("pid", 4242),
    ("seq", 7),
])
def test_editing_how_a_new_scan_was_run_is_named_by_scan_and_column(store, column, value):
    sid = _scan_ids(store)[0]
    store.db.conn.execute(f"UPDATE scans SET {column} = ? WHERE id = ?", (value, sid))
    bad = _cli("verify-db", "--db", str(store.path))
    assert bad.returncode == 1
    assert (f"ALTERED scan {sid} (seq {1 if column != 'seq' else 7}): its hash does not match: column {column} "
            "of the scan row was changed") in bad.stdout.splitlines(), bad.stdout


def test_every_scan_column_is_hashed_or_deliberately_left_out(store):
    from scanner.store import SCAN_UNHASHED, hashed_columns

    columns = [r[1] for r in store.db.conn.execute("PRAGMA table_info(scans)")]
    assert sorted(columns) == sorted({*hashed_columns(2), *SCAN_UNHASHED})
    assert {"options", "hostname", "pid"} <= set(hashed_columns(2))


def test_turning_a_scan_back_to_hash_formula_1_is_caught(store):
    sid = _scan_ids(store)[1]
    store.db.conn.execute("UPDATE scans SET hash_version = NULL WHERE id = ?", (sid,))
    problems = verify_db(store).problems
    assert any(p.startswith(f"scan {sid} (seq 2): sealed with hash formula 1 after a scan sealed with formula 2")
               for p in problems), problems
    assert any(p.startswith(f"scan {sid} (seq 2): its hash does not match") for p in problems), problems


def test_a_database_of_the_old_formula_still_verifies_and_upgrades(tmp_path):
    db = tmp_path / "old.db"
    db.write_bytes(V1_DB.read_bytes())
    ok = _cli("verify-db", "--db", str(db))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "chain intact: 3 scans, 30 findings, 12 evidence blobs verified" in ok.stdout
    assert db.read_bytes() == V1_DB.read_bytes()          # verify-db opened it read-only
    s = Store(db)                                         # a writer migrates it to schema 2
    assert s.conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert {r[0] for r in s.conn.execute("SELECT hash_version FROM scans")} == {None}
    new = build_scan(s)
    assert s.conn.execute("SELECT hash_version FROM scans WHERE id = ?", (new,)).fetchone()[0] == 2
    assert verify_db(s).problems == []
    s.conn.execute("UPDATE scans SET options = '{\"accept_new_host_keys\":true}' WHERE id = ?", (new,))
    assert verify_db(s).problems == [f"scan {new} (seq 4): its hash does not match: column options of the scan "
                                     "row was changed"]


# -- anchors: truncation, rollback, rewrite -----------------------------------------------------------


@pytest.fixture
def signed(tmp_path: Path):
    """Three factory scans sealed with a signing key, the anchor of the head, and the public key."""
    from scanner import keys

    private, public = keys.generate(tmp_path / "chain")
    s = Store(tmp_path / "govscan.db")
    s.signing_key = keys.load_private(private)
    for _ in range(3):
        build_scan(s)
    out = _cli("verify-db", "--db", str(s.path), "--pubkey", str(public), "--export-anchor", str(tmp_path / "a.json"))
    assert out.returncode == 0, out.stderr
    assert "3 chain signature(s) verified" in out.stdout
    return s, tmp_path / "a.json", public


def _anchored(s: Store, anchor: Path, public: Path) -> subprocess.CompletedProcess:
    return _cli("verify-db", "--db", str(s.path), "--anchor", str(anchor), "--pubkey", str(public))


def test_the_exported_anchor_names_the_signed_chain_head(signed):
    s, anchor, public = signed
    doc = json.loads(anchor.read_text())
    head = s.conn.execute("SELECT id, seq, hash, status, finished FROM scans WHERE seq = 3").fetchone()
    assert (doc["scan"], doc["seq"], doc["hash"], doc["status"], doc["finished"]) == head
    assert doc["format"] == "govscan-anchor/1" and doc["signature"]
    ok = _anchored(s, anchor, public)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"matches the anchor (anchor file, signed): scan {head[0]} seq 3" in ok.stdout


def test_deleting_the_newest_scan_is_invisible_to_the_chain_but_not_to_the_anchor(signed):
    s, anchor, public = signed
    third = _scan_ids(s)[2]
    for table in ("findings", "controls", "targets", "waivers", "exclusions"):
        s.conn.execute(f"DELETE FROM {table} WHERE scan_id = ?", (third,))
    s.conn.execute("DELETE FROM scans WHERE id = ?", (third,))
    assert _cli("verify-db", "--db", str(s.path)).returncode == 0      # what the chain alone cannot see
    bad = _anchored(s, anchor, public)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [f"ANCHOR TRUNCATED: anchored scan {third} (seq 3, hash "
                                       f"{json.loads(anchor.read_text())['hash']}) is missing from the database"]


def test_deleting_every_scan_before_the_anchored_one_is_truncation(signed):
    s, anchor, public = signed
    first, second, _ = _scan_ids(s)
    for sid in (first, second):
        for table in ("findings", "controls", "targets", "waivers", "exclusions"):
            s.conn.execute(f"DELETE FROM {table} WHERE scan_id = ?", (sid,))
        s.conn.execute("DELETE FROM scans WHERE id = ?", (sid,))
    bad = _anchored(s, anchor, public)
    assert bad.returncode == 1
    assert ("ANCHOR TRUNCATED: the anchor says 2 sealed scan(s) came before scan "
            f"{_scan_ids(s)[0]}; the database holds 0") in bad.stdout.splitlines()


def test_turning_the_newest_scan_back_to_running_is_a_rollback(signed):
    s, anchor, public = signed
    third = _scan_ids(s)[2]
    s.conn.execute("UPDATE scans SET status = 'running', seq = NULL, hash = NULL, finished = NULL WHERE id = ?",
                   (third,))
    plain = _cli("verify-db", "--db", str(s.path))
    assert plain.returncode == 0 and "1 scan(s) still running" in plain.stdout
    assert f"scan {third} is marked running but no process holds its lock" in plain.stderr
    bad = _anchored(s, anchor, public)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [f"ANCHOR ROLLED BACK: anchored scan {third} was sealed as complete (seq 3); "
                                       "it is now running and unsealed"]


def test_a_full_rewrite_with_every_hash_recomputed_is_caught_by_the_anchor_and_the_signature(signed):
    from scanner.store import canonical, field_hashes, finding_hash

    s, anchor, public = signed
    third = _scan_ids(s)[2]
    fid = _finding_id(s, third, BUCKET_BAD)
    s.conn.execute("UPDATE findings SET status = 'pass' WHERE id = ?", (fid,))
    cur = s.conn.execute("SELECT * FROM findings WHERE id = ?", (fid,))
    s.conn.execute("UPDATE findings SET hash = ? WHERE id = ?",
                   (finding_hash(dict(zip([d[0] for d in cur.description], cur.fetchone()))), fid))
    cur = s.conn.execute("SELECT * FROM scans WHERE id = ?", (third,))
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    row["hash"] = s.scan_digest(row)
    s.conn.execute("UPDATE scans SET hash = ?, field_hashes = ? WHERE id = ?",
                   (row["hash"], canonical(field_hashes(row)), third))
    assert _cli("verify-db", "--db", str(s.path)).returncode == 0      # every hash recomputed: the chain agrees
    bad = _anchored(s, anchor, public)
    assert bad.returncode == 1
    want = json.loads(anchor.read_text())["hash"]
    assert bad.stdout.splitlines() == [
        f"ALTERED scan {third} (seq 3): its signature does not verify with this public key: the scan row was "
        "changed after signing, or another key signed it",
        f"ANCHOR REWRITTEN: anchored scan {third} had hash {want}; the database now says {row['hash']}",
    ]


def test_an_edited_anchor_fails_its_signature(signed):
    s, anchor, public = signed
    doc = json.loads(anchor.read_text())
    doc["seq"] = 2
    anchor.write_text(json.dumps(doc))
    bad = _anchored(s, anchor, public)
    assert bad.returncode == 1
    assert (f"ANCHOR anchor of scan {doc['scan']}: its signature does not verify with this public key (the anchor "
            "was edited, or signed with another key)") in bad.stdout.splitlines()


def test_an_evidence_pack_serves_as_a_signed_anchor(signed, tmp_path):
    s, _, public = signed
    third = _scan_ids(s)[2]
    pack = tmp_path / "pack.zip"
    made = _cli("evidence", "pack", third, "--sign", str(tmp_path / "chain.key"), "-o", str(pack), "--db", str(s.path))
    assert made.returncode == 0, made.stderr
    manifest = json.loads(zipfile.ZipFile(pack).read("manifest.json"))
    assert manifest["scan"]["chain_signature"] == s.conn.execute(
        "SELECT signature FROM scans WHERE id = ?", (third,)).fetchone()[0]
    assert _anchored(s, pack, public).returncode == 0
    s.conn.execute("UPDATE scans SET status = 'running', seq = NULL, hash = NULL WHERE id = ?", (third,))
    bad = _anchored(s, pack, public)
    assert bad.returncode == 1 and bad.stdout.startswith(f"ANCHOR ROLLED BACK: anchored scan {third}")


def test_a_real_scan_signed_from_the_environment_exports_a_signed_anchor(tmp_path):
    from scanner import keys

    private, public = keys.generate(tmp_path / "ci")
    env = {**os.environ, "GOVSCAN_SIGNING_KEY_FILE": str(private)}
    db = str(tmp_path / "g.db")
    code = "import sys; from scanner.cli import main; sys.argv[0] = 'govscan'; main()"
    scan = subprocess.run([sys.executable, "-c", code, "scan", "local", "-c", "host-ssh*", "--db", db, "-q"],
                          capture_output=True, text=True, env=env)
    assert scan.returncode in (0, 1), scan.stderr
    out = _cli("verify-db", "--db", db, "--pubkey", str(public), "--export-anchor", str(tmp_path / "a.json"))
    assert out.returncode == 0 and "1 chain signature(s) verified" in out.stdout, out.stdout + out.stderr
    assert json.loads((tmp_path / "a.json").read_text())["signature"]


def test_the_docs_verify_db_examples_use_real_options():
    """docs/evidence.md's shell examples for the chain: each command exists and takes each option shown."""
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "evidence.md").read_text()
    section = doc[doc.index("## `govscan verify-db`"):]
    lines = [ln.split("#")[0].strip() for b in re.findall(r"```sh\n(.*?)```", section, re.S) for ln in b.splitlines()]
    commands = [ln for ln in lines if ln.startswith("govscan ")]
    assert len(commands) >= 7
    for line in commands:
        words = line.split()
        sub = words[1:3] if words[1] in ("keys", "evidence") else words[1:2]
        help_text = _cli(*sub, "--help")
        assert help_text.returncode == 0, line
        for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]+|-[a-z])\b", line):
            assert re.search(rf"(?<![\w-]){re.escape(opt)}\b", help_text.stdout), (line, opt)


def test_a_running_scan_of_an_older_govscan_is_reaped_by_pid_and_sealed_with_formula_2(tmp_path):
    """Scans begun before locks existed have none: their PID decides, and they join the chain verifiably."""
    import socket
    import sqlite3

    db = tmp_path / "old.db"
    db.write_bytes(V1_DB.read_bytes())
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO scans (id, started, status, profile, profile_sha256, tool_version, operator, hostname, "
                 "pid, targets_spec, options, api_calls) VALUES ('legacy', '2026-01-01T00:00:00Z', 'running', 'p', "
                 "'x', '0', 'op', ?, ?, '[]', '{}', 0)", (socket.gethostname(), int(dead)))
    conn.commit()
    conn.close()
    s = Store(db)
    row = s.conn.execute("SELECT status, seq, hash_version FROM scans WHERE id = 'legacy'").fetchone()
    assert row == ("interrupted", 4, 2)      # after the three sealed scans of the old database
    assert verify_db(s).problems == []
