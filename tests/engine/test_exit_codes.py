"""Exit codes a pipeline can trust: an internal error is exit 4 (one line, traceback saved), a failed
write is exit 5 (one line, the stored scan left consistent); neither is 1, which means the gate failed."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = textwrap.dedent('''
    from reports.base import Renderer


    class Boom(Renderer):
        name = "boom"
        extension = "txt"

        def render(self, view, out):
            out.write("partial")
            raise RuntimeError("renderer exploded on purpose")


    class _Broken:
        def submit(self, fn, *args, **kwargs):
            raise KeyError("executor exploded on purpose")

        def shutdown(self, wait=True, cancel_futures=False):
            pass


    def broken_executor():
        def make(jobs):
            return _Broken()
        return make
''')


@pytest.fixture
def plugin(tmp_path: Path) -> dict[str, str]:
    """A third-party distribution on PYTHONPATH registering a report format and an executor that fail."""
    site = tmp_path / "site"
    (site / "govscan_boom-1.0.dist-info").mkdir(parents=True)
    (site / "govscan_boom.py").write_text(PLUGIN)
    (site / "govscan_boom-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: govscan-boom\n"
                                                                  "Version: 1.0\n")
    (site / "govscan_boom-1.0.dist-info" / "entry_points.txt").write_text(
        "[govscan.reports]\nboom = govscan_boom:Boom\n\n[govscan.executors]\nboom = govscan_boom:broken_executor\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
            "XDG_CACHE_HOME": str(tmp_path / "cache"), "GOVSCAN_DB": ""}


def govscan(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def _status(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return [r[0] for r in conn.execute("SELECT status FROM scans ORDER BY started")]


def test_a_failing_renderer_is_exit_4_and_the_other_reports_are_still_written(tmp_path, plugin):
    proc = govscan("scan", "local", "-c", "host-ssh*", "--db", "g.db", "-q", "-f", "boom", "-o", "b.txt",
                   "-f", "sarif", "-o", "s.sarif", "-f", "junit", "-o", "j.xml", env=plugin, cwd=tmp_path)
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    m = re.fullmatch(r"govscan: internal error \(boom report to b\.txt\): RuntimeError: renderer exploded on "
                     r"purpose at .*govscan_boom\.py:\d+ in render; traceback in (\S+) \(exit 4\)", lines[0])
    assert m, lines[0]
    saved = Path(m.group(1))
    assert saved.parent == tmp_path / "cache" / "govscan" / "crash"
    assert "RuntimeError: renderer exploded on purpose" in saved.read_text()
    assert (tmp_path / "s.sarif").stat().st_size > 0 and (tmp_path / "j.xml").stat().st_size > 0
    assert not (tmp_path / "b.txt").exists()              # never a half-written report
    assert _status(tmp_path / "g.db") == ["complete"]


def test_debug_shows_the_traceback_instead(tmp_path, plugin):
    proc = govscan("--debug", "scan", "local", "-c", "host-ssh*", "--db", "g.db", "-q", "-f", "boom", "-o", "b.txt",
                   env=plugin, cwd=tmp_path)
    assert proc.returncode == 4
    assert "Traceback (most recent call last)" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("govscan: internal error (boom report to b.txt)")
    assert not (tmp_path / "cache" / "govscan" / "crash").exists()


def test_an_internal_error_mid_scan_is_exit_4_and_leaves_the_scan_interrupted(tmp_path, plugin):
    proc = govscan("scan", "local", "-c", "host-ssh*", "--db", "g.db", "--executor", "boom", env=plugin, cwd=tmp_path)
    assert proc.returncode == 4, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"govscan: internal error: KeyError: 'executor exploded on purpose' at .*govscan_boom\.py:"
                        r"\d+ in submit; traceback in \S+ \(exit 4\)", last), last
    assert "Traceback" not in proc.stderr
    assert _status(tmp_path / "g.db") == ["interrupted"]
    ok = govscan("verify-db", "--db", "g.db", env=plugin, cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs sh")
def test_a_file_size_limit_is_exit_5_with_one_message_and_an_interrupted_scan(tmp_path):
    env = {**os.environ, "GOVSCAN_DB": "", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run(["sh", "-c", f"ulimit -f 200; exec {sys.executable} -m scanner scan local --db g.db -q"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert proc.returncode == 5, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "govscan: error: g.db: cannot write (disk I/O error): the disk is full, a file size limit (ulimit -f) "
        "was reached, or the device failed"]
    assert _status(tmp_path / "g.db") == ["interrupted"]
    assert not list(tmp_path.glob("*.lock"))
    ok = subprocess.run([sys.executable, "-m", "scanner", "verify-db", "--db", "g.db"], capture_output=True,
                        text=True, cwd=tmp_path, env=env)
    assert ok.returncode == 0 and "chain intact: 1 scans" in ok.stdout, ok.stdout + ok.stderr
