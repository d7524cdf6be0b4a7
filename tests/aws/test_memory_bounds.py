"""What a scan holds in memory at once is bounded, whatever the size of what it scans.

- An Organization scan holds at most ``--jobs`` accounts' collections at once, the finished ones
  waiting to be evaluated included: accounts are collected faster than they are evaluated and stored
  (here the store is made slow), and before the bound every finished account waited in memory.
- The store turns each finding into its row as it arrives (no ``Finding`` is kept once read) and writes
  a batch once its text reaches ``BATCH_BYTES``: a scan with big evidence commits as it goes.
"""

from __future__ import annotations

import gc
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Iterator

import pytest

from .test_org import Org, _scan, org  # noqa: F401  (the Organization fixture)


def test_org_scan_holds_at_most_jobs_collections(org: Org, tmp_path: Path,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner import engine
    from scanner.store import Store

    alive: list[weakref.ref[Any]] = []
    most = [0]
    lock = threading.Lock()
    collect = engine.collect_target

    def counting(target: Any, controls: Any, ctx: Any) -> Any:
        with lock:
            gc.collect()
            held = sum(1 for r in alive if r() is not None) + 1  # this one, from now on
            most[0] = max(most[0], held)
        coll = collect(target, controls, ctx)
        with lock:
            alive.append(weakref.ref(coll))
        return coll

    add = Store.add_findings

    def slow(self: Store, scan_id: str, findings: Any) -> int:
        n = add(self, scan_id, findings)
        time.sleep(0.5)  # a slow disk: the coordinator stores slower than the accounts are collected
        return n

    monkeypatch.setattr(engine, "collect_target", counting)
    monkeypatch.setattr(Store, "add_findings", slow)
    result = _scan(tmp_path, "aws-org://org-admin/us-east-1", "--jobs", "2")
    assert result.exit_code == 1, result.output  # the denied account is an error; the scan completes
    view = Store(tmp_path / "org.db").view()
    assert len(view.targets) == 6
    assert len(alive) == 6  # every account was collected
    assert most[0] <= 2


def _findings(n: int, size: int, seen: list[weakref.ref[Any]]) -> Iterator[Any]:
    from scanner.model import Finding, Severity, Status

    for i in range(n):
        f = Finding("c-big", "t", f"r{i}", "x.big", Status.PASS, Severity.LOW, f"r{i} ok",
                    {"blob": f"{i:08d}" + "x" * size})
        seen.append(weakref.ref(f))
        yield f
        del f


def test_store_keeps_no_finding_and_commits_by_bytes(tmp_path: Path) -> None:
    from scanner.model import ScanStatus
    from scanner.store import BATCH, BATCH_BYTES, Store

    store = Store(tmp_path / "s.db")
    scan = store.begin_scan(profile="p", profile_sha256="0" * 64, tool_version="t", inventory_sha256=None,
                            targets_spec=["t"], options={})
    size = 1 << 20  # 1 MiB of evidence per finding: a batch is written every BATCH_BYTES, not every BATCH findings
    n = 3 * BATCH_BYTES // size + 2
    assert n < BATCH
    seen: list[weakref.ref[Any]] = []
    committed: list[int] = []
    reader = sqlite3.connect(tmp_path / "s.db")

    def watched() -> Iterator[Any]:
        for i, f in enumerate(_findings(n, size, seen)):
            # every finding before the previous one (the store's loop still names it) was turned into its
            # row and let go
            assert sum(1 for r in seen[:-2] if r() is not None) == 0
            committed.append(reader.execute("SELECT count(*) FROM findings WHERE scan_id = ?", (scan,)).fetchone()[0])
            yield f

    assert store.add_findings(scan, watched()) == n
    store.finish_scan(scan, ScanStatus.COMPLETE)
    # rows were committed while findings were still coming, a batch every BATCH_BYTES of text
    per_batch = BATCH_BYTES // size
    assert committed[-1] >= n - per_batch - 1
    assert max(b - a for a, b in zip(committed, committed[1:])) <= per_batch
    assert reader.execute("SELECT count(*) FROM findings WHERE scan_id = ?", (scan,)).fetchone()[0] == n


def _stored(db: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT control_id, target_id, resource_id, resource_type, region, status, severity, message, "
                        "evidence_sha256, waiver_id FROM findings ORDER BY id").fetchall()
    evidence = conn.execute("SELECT sha256, data FROM evidence ORDER BY sha256").fetchall()
    return rows, evidence


def test_batching_changes_no_stored_finding(seeded: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AWS control on the seeded account, stored in one batch and in batches of 7 findings or 2 KB
    through the writer process: the same findings, in the same (hash chain) order, the same evidence bytes."""
    from scanner import store as store_mod
    from scanner.engine import ScanRequest, run_scan
    from scanner.store import Store

    from checks.aws.coverage_table import aws_controls

    controls = [c.id for c in aws_controls()]
    runs = []
    for name, batch, size, writer_after in (("one", 100_000, 1 << 30, 0), ("small", 7, 2000, 20)):
        monkeypatch.setattr(store_mod, "BATCH", batch)
        monkeypatch.setattr(store_mod, "BATCH_BYTES", size)
        monkeypatch.setattr(store_mod, "WRITER_AFTER", writer_after)
        store = Store(tmp_path / f"{name}.db")
        run_scan(ScanRequest(targets=["aws:///us-east-1"], controls=controls), store)
        store.close()
        runs.append(_stored(tmp_path / f"{name}.db"))
    (rows_a, ev_a), (rows_b, ev_b) = runs
    assert len(rows_a) > 300 and {r[5] for r in rows_a} >= {"pass", "fail"}
    assert rows_a == rows_b
    assert ev_a == ev_b
