"""bench/reports_bench.py and bench/run_all.py: the figures they collect are of the data they made
(row counts, formats, one table), and the bench commands the docs show use options that exist.
Speed is never asserted."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_reports_bench_counts_what_it_stored_and_rendered(tmp_path):
    out = tmp_path / "fig.json"
    proc = _run("bench/reports_bench.py", "--store-findings", "300", "--report-findings", "120",
                "--formats", "csv,sarif", "--render-store", "--store-formats", "csv", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    fig = json.loads(out.read_text())
    assert fig["store"]["findings"] == 300 and fig["build"]["findings"] == 120
    # 300 findings: five blocks of 60 with statuses pass, pass, fail, pass, error; control 7 once per block
    assert fig["queries"]["status fail"]["rows"] == 60
    assert fig["queries"]["control bench-control-007"]["rows"] == 5
    assert set(fig["render"]) == {"csv", "sarif"} and set(fig["render_store"]) == {"csv"}
    # the CSV of 300 findings: a header and 300 rows, so its size is that of real output
    assert fig["render_store"]["csv"]["output_mb"] > 0 and fig["render_store"]["csv"]["peak_rss_mib"] > 0
    assert "store" in proc.stdout and "report sarif" in proc.stdout


def test_run_all_readme_replaces_only_its_own_table(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import run_all
    finally:
        sys.path.remove(str(ROOT / "bench"))
    (tmp_path / "README.md").write_text("# B\n\nintro\n<!-- run_all full: start -->\nold\n<!-- run_all full: end -->\ntail\n")
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    run_all.write_readme("| new |\n", "full")
    run_all.write_readme("| q |\n", "quick")
    run_all.write_readme("| q2 |\n", "quick")
    text = (tmp_path / "README.md").read_text()
    assert text.startswith("# B\n\nintro\n<!-- run_all full: start -->\n| new |\n<!-- run_all full: end -->\ntail\n")
    assert "old" not in text and "| q |" not in text and text.count("| q2 |") == 1


def test_run_all_prints_one_table(tmp_path):
    out = tmp_path / "all.json"
    proc = _run("bench/run_all.py", "--only", "startup", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^\| startup +\| govscan --help \(best of 5\) +\| [0-9.]+ s ", proc.stdout, re.M)
    fig = json.loads(out.read_text())
    assert fig["machine"]["nproc"] >= 1 and fig["machine"]["python"] == sys.version.split()[0]
    bad = _run("bench/run_all.py", "--only", "nosuch")
    assert bad.returncode == 1 and "unknown bench(es): nosuch" in bad.stderr


def _bench_lines() -> list[tuple[str, str]]:
    lines = []
    for doc in (ROOT / "docs" / "scale.md", ROOT / "bench" / "README.md"):
        for line in re.findall(r"^\s*(python bench/\S+\.py.*)$", doc.read_text(), re.M):
            lines.append((doc.name, line.strip().strip("`")))
    return lines


@pytest.mark.parametrize("doc,line", _bench_lines())
def test_bench_commands_in_the_docs_use_options_that_exist(doc, line):
    script = line.split()[1]
    text = _run(script, "--help").stdout
    for flag in re.findall(r"(?<!\S)\[?(--[a-z][a-z0-9-]*)", line):
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), f"{doc}: {script} has no {flag}"


def test_the_docs_show_the_bench_commands():
    assert {line.split()[1] for _, line in _bench_lines()} >= {"bench/run_all.py", "bench/reports_bench.py"}
