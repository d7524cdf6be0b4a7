"""Scans on a real Dask cluster (scheduler + two workers on loopback, mutual TLS).

The same inventory (sshd fixture hosts, an unreachable host and a moto account) is scanned with the
thread pool and on the cluster: the findings must be equal. A client whose certificate comes from
another CA is refused fast with one clear message; missing TLS files are refused before connecting; a
worker killed mid-scan leaves a completed scan; Ctrl-C cancels the cluster's tasks.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import Cluster
from sshd_fixture import TEST_USER, SilentListener, SshFleet, free_port
from tlsfiles import CA

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = ["-c", "host-sshd-*", "-c", "host-login-defs-*", "-c", "aws-iam-*"]


def govscan(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


def findings(db: Path) -> set[tuple[str, str, str, str, str]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT control_id, target_id, resource_id, status, message FROM findings"))


def scan_row(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM scans ORDER BY started DESC LIMIT 1").fetchone())


def inventory(tmp: Path, fleet: SshFleet, closed: int, extra: list[Any] | None = None, aws: bool = True) -> Path:
    entries: list[Any] = [
        {"target": fleet.compliant.spec(), "sudo": True},
        fleet.noncompliant.spec("root"),
        *[h.spec() for h in fleet.many[:4]],
        f"ssh://{TEST_USER}@127.0.0.1:{closed}",
        *(["aws://"] if aws else []),
        *(extra or []),
    ]
    path = tmp / "inventory.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "govscan/v1", "kind": "Inventory",
                                    "vars": {"key": str(fleet.key)}, "targets": entries}))
    return path


@pytest.fixture(scope="module")
def scans(cluster: Cluster, ssh_fleet: SshFleet, moto: dict[str, str],
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same inventory scanned with threads, with local processes and on the cluster."""
    tmp = tmp_path_factory.mktemp("scans")
    inv = inventory(tmp, ssh_fleet, free_port("127.0.0.1"))
    env = {**os.environ, **moto}
    out: dict[str, Any] = {}
    for name, executor in (("threads", []), ("processes", ["--executor", "processes"]),
                           ("dask", ["--executor", cluster.address, *cluster.tls_args()])):
        db = tmp / f"{name}.db"
        res = govscan("scan", "-i", str(inv), "--db", str(db), "--known-hosts", str(ssh_fleet.known_hosts),
                      *CONTROLS, "--gate", "none", "--jobs", "4", *executor, env=env)
        out[name] = (res, db)
    return out


def test_cluster_scan_equals_thread_scan(scans: dict[str, Any]) -> None:
    base_res, base_db = scans["threads"]
    assert base_res.returncode in (0, 1), base_res.stderr
    expected = findings(base_db)
    statuses = {f[3] for f in expected}
    assert {"pass", "fail", "error"} <= statuses  # the comparison covers every outcome
    assert any(f[1].startswith("aws://") and f[3] == "fail" for f in expected)  # the moto account was scanned
    for name in ("processes", "dask"):
        res, db = scans[name]
        assert res.returncode == base_res.returncode, (name, res.stderr)
        got = findings(db)
        assert got == expected, (name, sorted(got ^ expected)[:10])
        row = scan_row(db)
        assert row["status"] == "complete"


def test_cluster_scan_records_the_executor(scans: dict[str, Any], cluster: Cluster) -> None:
    _, db = scans["dask"]
    assert cluster.address in scan_row(db)["options"]


def test_client_certificate_from_another_ca_is_refused_fast(cluster: Cluster, tmp_path: Path) -> None:
    rogue = CA(tmp_path / "rogue", name="rogue-ca")
    cert, key = rogue.issue("intruder")
    db = tmp_path / "rogue.db"
    started = time.monotonic()
    res = govscan("scan", "local", "--db", str(db), "--executor", cluster.address,
                  "--tls-ca", str(rogue.path), "--tls-cert", str(cert), "--tls-key", str(key), timeout=120)
    elapsed = time.monotonic() - started
    assert res.returncode == 3, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert f"cannot connect to the Dask scheduler at {cluster.address}" in lines[0]
    assert "mutual TLS" in lines[0]
    assert "Traceback" not in res.stderr
    assert elapsed < 60
    assert not db.exists() or not findings(db)  # no scan was started


def test_missing_tls_files_are_refused_before_connecting(tmp_path: Path) -> None:
    port = free_port("127.0.0.1")  # nothing listens: a connection attempt would time out, not fail at once
    res = govscan("scan", "local", "--db", str(tmp_path / "x.db"), "--executor", f"tls://127.0.0.1:{port}",
                  "--tls-ca", str(tmp_path / "nope.pem"), "--tls-cert", str(tmp_path / "c.pem"),
                  "--tls-key", str(tmp_path / "c.key"), timeout=30)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(f"--tls-ca {tmp_path / 'nope.pem'}: no such file"), res.stderr


def test_half_the_tls_options_are_refused(tmp_path: Path, cluster: Cluster) -> None:
    res = govscan("scan", "local", "--db", str(tmp_path / "x.db"), "--executor", cluster.address,
                  "--tls-ca", str(cluster.ca), timeout=30)
    assert res.returncode == 2
    assert "mutual TLS needs --tls-ca, --tls-cert and --tls-key (missing --tls-cert, --tls-key)" in res.stderr


def _held_by(cluster: Cluster, name: str) -> list[str]:
    """Keys of the tasks the worker called ``name`` is running."""
    def held(dask_scheduler):  # type: ignore[no-untyped-def]
        return [str(ts.key) for ws in dask_scheduler.workers.values() if ws.name == name
                for ts in (ws.processing or ())]
    with cluster.client() as client:
        return client.run_on_scheduler(held) or []


def test_worker_killed_mid_scan_leaves_a_completed_scan(ssh_fleet: SshFleet, moto: dict[str, str],
                                                        tmp_path: Path) -> None:
    """The only worker dies while it runs the scan's tasks; a new one joins: every target ends with
    findings (retried) and the unreachable ones stay errors, never passes."""
    from conftest import start_cluster

    own = start_cluster(tmp_path / "cluster", workers=0, env=moto)
    victim = own.start_worker("victim")
    silent = [SilentListener("127.0.0.1") for _ in range(3)]
    try:
        with own.client() as client:
            client.wait_for_workers(1, timeout=60)
        extra = [{"target": f"ssh://{TEST_USER}@127.0.0.1:{s.port}", "connect_timeout": 4} for s in silent]
        inv = inventory(tmp_path, ssh_fleet, free_port("127.0.0.1"), extra, aws=False)
        db = tmp_path / "killed.db"
        proc = subprocess.Popen(
            [sys.executable, "-m", "scanner", "scan", "-i", str(inv), "--db", str(db), "--known-hosts",
             str(ssh_fleet.known_hosts), "-c", "host-sshd-*", "--gate", "none", "--jobs", "8", "--executor",
             own.address, *own.tls_args()], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        held: list[str] = []
        while time.monotonic() < deadline and not any("scan_target" in k for k in held):
            time.sleep(0.2)
            held = _held_by(own, "victim")
        assert any("scan_target" in k for k in held), "the victim never ran a task of the scan"
        assert proc.poll() is None and scan_row(db)["status"] == "running"
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        own.start_worker("rescuer")
        out, err = proc.communicate(timeout=240)
    finally:
        for s in silent:
            s.close()
        own.stop()
    assert proc.returncode in (0, 1), err
    assert scan_row(db)["status"] == "complete", err
    by_target: dict[str, set[str]] = {}
    for cid, tid, rid, status, message in findings(db):
        by_target.setdefault(tid, set()).add(status)
    # every target of the inventory has findings: retried on the new worker, or an error naming why
    assert len(by_target) == 6 + 1 + 3
    assert by_target[ssh_fleet.compliant.spec()] == {"pass"}
    assert "fail" in by_target[ssh_fleet.noncompliant.spec("root")]
    for s in silent:
        assert by_target[f"ssh://{TEST_USER}@127.0.0.1:{s.port}"] == {"error"}


def test_ctrl_c_cancels_cluster_tasks_and_keeps_an_interrupted_scan(cluster: Cluster, ssh_fleet: SshFleet,
                                                                    tmp_path: Path) -> None:
    silent = SilentListener("127.0.0.1")
    try:
        inv = inventory(tmp_path, ssh_fleet, free_port("127.0.0.1"),
                        [{"target": f"ssh://{TEST_USER}@127.0.0.1:{silent.port}", "connect_timeout": 240}], aws=False)
        db = tmp_path / "interrupted.db"
        proc = subprocess.Popen(
            [sys.executable, "-m", "scanner", "scan", "-i", str(inv), "--db", str(db), "--known-hosts",
             str(ssh_fleet.known_hosts), "-c", "host-sshd-*", "--gate", "none", "--executor", cluster.address,
             *cluster.tls_args()], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline, done = time.monotonic() + 180, 0
        while time.monotonic() < deadline:  # wait until every reachable host is stored
            if db.exists():
                try:
                    with sqlite3.connect(db) as conn:
                        done = conn.execute("SELECT count(DISTINCT target_id) FROM findings").fetchone()[0]
                except sqlite3.OperationalError:  # the store is still being created
                    done = 0
                if done >= 7:
                    break
            time.sleep(0.2)
        assert done >= 7 and proc.poll() is None, (done, proc.poll())
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        silent.close()
    assert proc.returncode == 130, err
    assert "scan interrupted" in err
    assert scan_row(db)["status"] == "interrupted"
    assert len({f[1] for f in findings(db)}) == 7
    with cluster.client() as client:
        deadline = time.monotonic() + 20
        while True:
            left = client.run_on_scheduler(lambda dask_scheduler: sorted(
                str(k) for k in dask_scheduler.tasks if "scan_target" in str(k) or "govscan" in str(k)))
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert left == []
