"""The store's writer process (scanner/store_writer.py): past WRITER_AFTER findings, batches are written by
a child process while the scan builds the next. Same rows, same order, same hashes as the single-process
store; its failures (a sealed scan, a killed writer, a full disk) surface as the store's own errors and an
interrupted scan is still sealed with what was committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import scanner.store as store_mod
from scanner.errors import StoreError
from scanner.integrity import verify_db
from scanner.model import Finding, ScanStatus, Severity, Status
from scanner.store import Store
from scanner.store_lock import WriteFailed


def _target_findings(t: int, n: int = 9) -> list[Finding]:
    statuses = list(Status)
    return [Finding(f"ctl-{i % 4}", f"host-{t}", f"res-{t}-{i}-é", "host.files", statuses[(t + i) % len(statuses)],
                    Severity.HIGH, f"target {t} finding {i}; 3:x;", {"observed": {"n": i, "t": t}} if i % 3 else {},
                    region=None, waiver_id="WVR-1" if statuses[(t + i) % len(statuses)] is Status.WAIVED else None)
            for i in range(n)]


def _scan(path, targets: int = 12):
    """A fleet-like scan: one add_findings and one update_target per target, then the gate read and the seal."""
    store = Store(path)
    sid = store.begin_scan(profile="p", profile_sha256="x", tool_version="0")
    store.add_rows("targets", [{"scan_id": sid, "id": f"host-{t}", "kind": "host", "address": "a", "name": "n",
                                "facts": None, "error": None, "api_calls": 0} for t in range(targets)])
    writers = set()
    for t in range(targets):
        assert store.add_findings(sid, _target_findings(t)) == 9
        store.update_target(sid, f"host-{t}", facts=f'{{"t": {t}}}', api_calls=t)
        if store._writer is not None:
            writers.add(store._writer.proc.pid)
    gate_rows = store.control_results(sid)
    store.finish_scan(sid, ScanStatus.COMPLETE)
    return store, sid, writers, gate_rows


def _rows(store, sid):
    return [(r["control_id"], r["target_id"], r["resource_id"], r["status"], r["message"], r["evidence_sha256"],
             r["waiver_id"]) for r in store.view(sid).findings()]


def test_the_writer_process_stores_what_the_single_process_store_stores(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "BATCH", 10)
    monkeypatch.setattr(store_mod, "WRITER_AFTER", 25)  # the first 3 targets in process, the rest by the writer
    with_writer, sid, writers, gate = _scan(tmp_path / "w.db")
    assert len(writers) == 1  # one writer for the scan, started once
    (pid,) = writers
    with pytest.raises(ProcessLookupError):  # stopped when the gate read needed every finding
        os.kill(pid, 0)
    monkeypatch.setattr(store_mod, "WRITER_AFTER", 0)
    alone, sid2, none, gate2 = _scan(tmp_path / "a.db")
    assert none == set()
    assert _rows(with_writer, sid) == _rows(alone, sid2) and len(_rows(alone, sid2)) == 12 * 9
    assert gate == gate2 and sum(r["n"] for r in gate) == 108
    assert with_writer.view(sid).counts() == alone.view(sid2).counts()
    ids = [r["id"] for r in with_writer.view(sid).findings()]
    assert ids == sorted(ids)  # insertion order is the chain order
    facts = {t["id"]: (t["facts"], t["api_calls"]) for t in with_writer.view(sid).targets}
    assert facts == {f"host-{t}": ({"t": t}, t) for t in range(12)}
    report = verify_db(with_writer)
    assert (report.problems, report.findings) == ([], 108)


def test_a_scan_sealed_elsewhere_refuses_the_writers_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "BATCH", 10)
    monkeypatch.setattr(store_mod, "WRITER_AFTER", 5)
    store = Store(tmp_path / "s.db")
    sid = store.begin_scan(profile="p", profile_sha256="x", tool_version="0")
    store.add_findings(sid, _target_findings(0, 12))  # the writer runs; 7 rows sent, 5 stored in process... queued
    other = Store(tmp_path / "s.db")
    other.finish_scan(sid, ScanStatus.INTERRUPTED)  # e.g. a second govscan sealed it as interrupted
    with pytest.raises(StoreError, match=f"scan {sid} was already sealed as interrupted; refusing to add findings"):
        store.add_findings(sid, _target_findings(1, 30))
        store.control_results(sid)
    assert store._writer is None or store._writer.failure is not None
    assert verify_db(other).problems == []


def test_a_killed_writer_is_a_write_failure_and_the_scan_is_sealed_interrupted(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "BATCH", 10)
    monkeypatch.setattr(store_mod, "WRITER_AFTER", 5)
    store = Store(tmp_path / "k.db")
    sid = store.begin_scan(profile="p", profile_sha256="x", tool_version="0")
    store.add_findings(sid, _target_findings(0, 25))
    store._writer.drain()
    os.kill(store._writer.proc.pid, signal.SIGKILL)
    with pytest.raises(WriteFailed, match=r"the store writer process ended \(exit code -9\)"):
        for t in range(1, 6):
            store.add_findings(sid, _target_findings(t, 25))
        store.control_results(sid)
    store.finish_scan(sid, ScanStatus.INTERRUPTED)  # what the engine does on any failure: still sealed
    scan = store.scan_row(sid)
    assert scan["status"] == "interrupted" and scan["hash"]
    stored = store.view(sid).finding_count()
    assert 5 <= stored < 150  # what was committed before the kill, nothing half-written
    assert verify_db(store).problems == []


def test_a_full_disk_in_the_writer_is_exit_5_material(tmp_path):
    """The writer inherits the file size limit; SQLite's failure comes back as the store's WriteFailed."""
    code = textwrap.dedent(f"""
        import resource, sys
        sys.path.insert(0, {str(os.getcwd())!r})
        import scanner.store as store_mod
        from scanner.store import Store
        from scanner.model import Finding, Severity, Status, ScanStatus
        from scanner.store_lock import WriteFailed
        store_mod.BATCH, store_mod.WRITER_AFTER = 500, 500
        store = Store({str(tmp_path / "f.db")!r})
        sid = store.begin_scan(profile="p", profile_sha256="x", tool_version="0")
        resource.setrlimit(resource.RLIMIT_FSIZE, (2_000_000, 2_000_000))
        try:
            for t in range(200):
                store.add_findings(sid, [Finding("c", "t", f"r-{{t}}-{{i}}", "x", Status.PASS, Severity.LOW,
                                                 "m" * 200, {{"pad": "p" * 400, "i": i, "t": t}}) for i in range(100)])
            store.control_results(sid)
        except WriteFailed as exc:
            print("WRITEFAILED", exc)
            store.finish_scan(sid, ScanStatus.INTERRUPTED)
            print("SEALED", store.scan_row(sid)["status"])
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert "WRITEFAILED" in done.stdout, done.stdout + done.stderr
    assert "cannot write" in done.stdout and "the disk is full, a file size limit" in done.stdout, done.stdout
    assert "SEALED interrupted" in done.stdout, done.stdout + done.stderr
