"""The store: file mode, WAL, schema version, hash chain, batches, interrupted scans."""

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap

import pytest

from scanner.errors import StoreError
from scanner.model import Finding, ScanStatus, Severity, Status
from scanner.store import SCHEMA_VERSION, Store, finding_hash


def _finding(i, status=Status.FAIL):
    return Finding(control_id=f"ctl-{i % 3}", target_id="local:t", resource_id=f"res-{i}", resource_type="host.files",
                   status=status, severity=Severity.HIGH, message=f"message {i}",
                   evidence={"observed": {"mode": "0644" if i % 2 else "0600"}})


def _scan(store, n=10):
    sid = store.begin_scan(profile="p", profile_sha256="x", tool_version="0")
    store.add_rows("controls", [{"scan_id": sid, "id": f"ctl-{i}", "version": "1.0.0", "sha256": f"{i}" * 64,
                                 "title": "t", "severity": "high", "provider": "host", "resource": "host.files",
                                 "mappings": {}, "tags": [], "inputs": {}, "document": {}, "source": None}
                                for i in range(3)])
    store.add_findings(sid, [_finding(i) for i in range(n)])
    return sid


def test_new_database_is_private_wal_and_versioned(tmp_path):
    path = tmp_path / "g.db"
    Store(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_hash_chain_links_scans_and_covers_findings(tmp_path):
    store = Store(tmp_path / "g.db")
    a = _scan(store)
    ha = store.finish_scan(a, ScanStatus.COMPLETE)
    b = _scan(store)
    hb = store.finish_scan(b, ScanStatus.COMPLETE)
    row_a, row_b = dict(store.db["scans"].get(a)), dict(store.db["scans"].get(b))
    assert (row_a["seq"], row_b["seq"]) == (1, 2)
    assert row_a["prev_hash"] is None and row_b["prev_hash"] == ha
    assert store.scan_digest(row_b) == hb
    # a finding edited together with its own row hash still changes the scan digest
    cur = store.db.conn.execute("SELECT * FROM findings WHERE scan_id = ? AND resource_id = 'res-3'", (b,))
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    row["message"] = "edited"
    store.db.conn.execute("UPDATE findings SET message = ?, hash = ? WHERE id = ?", ("edited", finding_hash(row), row["id"]))
    assert store.scan_digest(dict(store.db["scans"].get(b))) != hb


def test_findings_are_read_back_with_evidence_deduplicated(tmp_path):
    store = Store(tmp_path / "g.db")
    sid = _scan(store, n=12001)  # more than two batches
    store.finish_scan(sid, ScanStatus.COMPLETE)
    view = store.view()
    assert view.id == sid
    assert view.finding_count() == 12001
    assert store.db["evidence"].count == 2  # two distinct evidence documents
    first = next(view.findings(resource="res-1"))
    assert first["message"] == "message 1"
    assert view.evidence(first["evidence_sha256"]) == {"observed": {"mode": "0644"}}
    assert view.counts() == {"fail": {"high": 12001}}
    assert [f["resource_id"] for f in view.findings(control="ctl-0", resource="res-1?")] == ["res-12", "res-15", "res-18"]


def test_resolve_scan_refs(tmp_path):
    store = Store(tmp_path / "g.db")
    a = _scan(store, 1)
    store.finish_scan(a, ScanStatus.COMPLETE)
    b = _scan(store, 1)
    store.finish_scan(b, ScanStatus.COMPLETE)
    assert store.resolve_scan(None) == b
    assert store.resolve_scan("latest~1") == a
    assert store.resolve_scan(a[:8]) == a
    with pytest.raises(StoreError, match="no scan matches 'zzzz'"):
        store.resolve_scan("zzzz")


def test_missing_or_foreign_database_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no such database"):
        Store(tmp_path / "nope.db", create=False)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a govscan database"):
        Store(bad)


def test_killed_writer_leaves_interrupted_scan_and_complete_batches(tmp_path):
    db = tmp_path / "g.db"
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {os.getcwd()!r})
        from scanner.store import Store
        from scanner.model import Finding, Severity, Status
        s = Store({str(db)!r})
        sid = s.begin_scan(profile="p", profile_sha256="x", tool_version="0")
        s.add_findings(sid, [Finding("c", "t", f"r{{i}}", "host.files", Status.PASS, Severity.LOW, "m") for i in range(7000)])
        print(sid, flush=True)
        os.kill(os.getpid(), 9)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == -9
    sid = proc.stdout.strip()
    store = Store(db)  # opening reaps the dead scan
    row = dict(store.db["scans"].get(sid))
    assert row["status"] == "interrupted"
    assert row["hash"] and row["seq"] == 1
    assert store.view(sid).finding_count() == 7000


@pytest.mark.parametrize("sql", [
    "UPDATE controls SET severity = 'low' WHERE id = 'ctl-0'",
    "UPDATE controls SET mappings = '{\"nist-800-53-rev5\": [\"ac-1\"]}' WHERE id = 'ctl-1'",
    "UPDATE targets SET error = NULL",
    "UPDATE waivers SET state = 'active'",
    "INSERT INTO exclusions (scan_id, control_id, reason, profile) SELECT id, 'ctl-9', 'x', 'p' FROM scans",
])
def test_verify_db_names_a_scan_whose_snapshot_rows_were_edited(tmp_path, sql):
    from scanner.integrity import verify_db

    store = Store(tmp_path / "g.db")
    sid = _scan(store)
    store.add_rows("targets", [{"scan_id": sid, "id": "local:t", "kind": "host", "address": "localhost",
                                "name": "t", "facts": "{}", "error": "sshd not found", "api_calls": 0}])
    store.add_rows("waivers", [{"scan_id": sid, "id": "W1", "state": "expired", "expires": "2026-01-01",
                                "sha256": "x", "document": None}])
    store.finish_scan(sid, ScanStatus.COMPLETE)
    assert not [p for p in verify_db(store).problems if "its hash does not match" in p]
    store.db.conn.execute(sql)
    problems = verify_db(store).problems
    assert any(p.startswith(f"scan {sid} (seq 1): its hash does not match") for p in problems), problems


_WRITER = """
import os, sys
sys.path.insert(0, {root!r})
from scanner.store import Store
from scanner.model import Finding, ScanStatus, Severity, Status
s = Store({db!r})
sid = s.begin_scan(profile="p", profile_sha256="x", tool_version="0")
s.add_findings(sid, [Finding("c", "t", f"a{{i}}", "host.files", Status.PASS, Severity.LOW, "m") for i in range(50)])
print(sid, flush=True)
if sys.stdin.readline().strip() == "die":
    os.kill(os.getpid(), 9)
s.add_findings(sid, [Finding("c", "t", f"b{{i}}", "host.files", Status.FAIL, Severity.LOW, "m") for i in range(50)])
print(s.finish_scan(sid, ScanStatus.COMPLETE), flush=True)
"""
_READER = ("import sys; sys.path.insert(0, {root!r}); from scanner.store import Store; s = Store({db!r}); "
           "print(s.conn.execute('SELECT status FROM scans WHERE id = ?', ({sid!r},)).fetchone()[0])")


def _other_namespace() -> list[str]:
    """A command prefix running a process in a new PID namespace, where the writer's PID does not exist."""
    probe = subprocess.run(["unshare", "-p", "-f", "--mount-proc", "true"], capture_output=True)
    return ["unshare", "-p", "-f", "--mount-proc"] if probe.returncode == 0 else []


def _read_status(db, sid, prefix):
    code = _READER.format(root=os.getcwd(), db=str(db), sid=sid)
    proc = subprocess.run([*prefix, sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.parametrize("writer_fate", ["lives", "dies"])
def test_the_reaper_trusts_the_writers_lock_not_its_pid(tmp_path, writer_fate):
    """A reader in another PID namespace (a container on the same host name) cannot see the writer's
    PID: the PID check reaped a live scan. The lock decides: a live scan is left alone, a dead one reaped."""
    from scanner.integrity import verify_db

    db = tmp_path / "g.db"
    prefix = _other_namespace()
    writer = subprocess.Popen([sys.executable, "-c", _WRITER.format(root=os.getcwd(), db=str(db))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    sid = writer.stdout.readline().strip()
    if not prefix:  # no PID namespaces here: make the writer's PID look dead to a PID check instead
        conn = sqlite3.connect(db)
        conn.execute("UPDATE scans SET pid = 2147483646 WHERE id = ?", (sid,))
        conn.commit()
        conn.close()
    if writer_fate == "lives":
        assert _read_status(db, sid, prefix) == "running"      # not reaped while its writer holds the lock
        writer.stdin.write("go on\n")
        writer.stdin.flush()
        out, _ = writer.communicate(timeout=60)
        assert writer.returncode == 0 and out.strip()
        store = Store(db)
        assert store.view(sid).scan["status"] == "complete" and store.view(sid).finding_count() == 100
    else:
        writer.stdin.write("die\n")
        writer.stdin.flush()
        writer.wait(timeout=60)
        assert _read_status(db, sid, prefix) == "interrupted"  # nobody holds the lock: reaped
        store = Store(db)
        assert store.view(sid).finding_count() == 50
        assert not list(tmp_path.glob("*.lock"))
    assert verify_db(store).problems == []


def test_findings_are_refused_into_a_scan_already_sealed(tmp_path):
    store = Store(tmp_path / "g.db")
    sid = _scan(store, 3)
    store.finish_scan(sid, ScanStatus.INTERRUPTED)
    with pytest.raises(StoreError, match=f"scan {sid} was already sealed as interrupted; refusing to add findings"):
        store.add_findings(sid, [_finding(9)])
