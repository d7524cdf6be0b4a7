"""The local executors behind `--executor`: threads and processes give the same findings; a remote
executor never receives a sensitive input's value; unknown executors are named."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SECRET_CONTROL = """\
apiVersion: govscan/v1
kind: Control
metadata:
  id: custom-os-token
  version: 1.0.0
  title: The OS name is not the token
  severity: low
target:
  provider: host
  resource: host.os
inputs:
- {name: token, type: string, default: "", sensitive: true, description: a value that must not leave this machine}
assert:
  key: id
  op: ne
  value: {input: token}
"""


def govscan(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def rows(db: Path) -> set[tuple[str, str, str, str, str]]:
    """Every finding but host.listening ones: sockets other processes open between two scans change those."""
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT control_id, target_id, resource_id, status, message FROM findings "
                                "WHERE resource_type != 'host.listening'"))


def test_processes_and_threads_give_the_same_findings(tmp_path: Path) -> None:
    a, b = tmp_path / "threads.db", tmp_path / "processes.db"
    ra = govscan("scan", "local", "--db", str(a), "--gate", "none")
    rb = govscan("scan", "local", "--db", str(b), "--gate", "none", "--executor", "processes")
    assert ra.returncode == rb.returncode, (ra.stderr, rb.stderr)
    got, expected = rows(b), rows(a)
    assert len(expected) > 300
    assert got == expected
    with sqlite3.connect(b) as conn:
        assert json.loads(conn.execute("SELECT options FROM scans").fetchone()[0])["executor"] == "processes"


def test_a_sensitive_input_never_goes_to_a_remote_executor(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text(SECRET_CONTROL)
    db = tmp_path / "s.db"
    res = govscan("scan", "local", "--db", str(db), "--policies", str(tmp_path / "secret.yaml"),
                  "-c", "custom-os-token", "--input", "token=hunter2", "--executor", "processes")
    assert res.returncode == 2, res.stderr
    assert ("a remote executor would send sensitive input values to its workers (custom-os-token.token); "
            "use --executor threads for this scan") in res.stderr
    assert "hunter2" not in res.stderr + res.stdout
    ok = govscan("scan", "local", "--db", str(db), "--policies", str(tmp_path / "secret.yaml"),
                 "-c", "custom-os-token", "--input", "token=hunter2")
    assert ok.returncode == 0, ok.stderr


def test_unknown_executor_is_named_with_a_suggestion(tmp_path: Path) -> None:
    res = govscan("scan", "local", "--db", str(tmp_path / "x.db"), "--executor", "proceses")
    assert res.returncode == 2
    assert "unknown executor 'proceses'" in res.stderr and "processes" in res.stderr
