"""The smallest possible provider (``govscan_tiny.py`` in this folder), installed as a third party
would: a distribution on PYTHONPATH whose one entry-point line registers it. A control on it is
linted, scanned, stored and rendered, and its scan option reaches the target; nothing in govscan's
own packages names it, so adding a provider touches only its folder and that line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENTRY_POINT = "tiny = govscan_tiny:TinyProvider"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    site = tmp_path_factory.mktemp("site")
    dist = site / "govscan_tiny-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: govscan-tiny\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[govscan.providers]\n{ENTRY_POINT}\n")
    path = os.pathsep.join([str(site), str(HERE), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "GOVSCAN_DB": ""}


def govscan(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_the_tiny_provider_is_documented_and_its_control_lints(env, tmp_path):
    out = govscan("resources", "--provider", "tiny", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:2] == [
        "tiny.greeting: The greeting of one tiny:// target (id `greeting:<name>`).",
        "  collected with: string formatting"]
    lint = govscan("policy", "lint", str(HERE / "controls"), env=env, cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    help_text = govscan("scan", "--help", env=env, cwd=tmp_path).stdout
    assert "--tiny-salutation" in help_text and "How the tiny provider greets." in help_text


def test_a_control_on_the_tiny_provider_scans_stores_and_renders(env, tmp_path):
    db = str(tmp_path / "s.db")
    policies = str(HERE / "controls")
    # the default profile is the provider's (tiny-baseline); the gate fails on the high failure
    failed = govscan("scan", "tiny://world", "--policies", policies, "--db", db, "-q", env=env, cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    passed = govscan("scan", "tiny://world", "--policies", policies, "--db", db, "-q",
                     "--tiny-salutation", "please", env=env, cwd=tmp_path)
    assert passed.returncode == 0, passed.stderr

    rows = [json.loads(line) for line in govscan("findings", "--db", db, "--json", "latest~1", env=env,
                                                 cwd=tmp_path).stdout.splitlines()]
    assert [(r["control_id"], r["target_id"], r["resource_id"], r["status"], r["message"]) for r in rows] == [
        ("tiny-polite", "tiny://world", "greeting:world", "fail", "hello world does not say please")]
    assert rows[0]["evidence"]["observed"] == {"text": "hello world", "words[0]": "hello"}
    rows = [json.loads(line) for line in govscan("findings", "--db", db, "--json", env=env,
                                                 cwd=tmp_path).stdout.splitlines()]
    assert [(r["status"], r["message"]) for r in rows] == [("pass", "please world is polite")]

    report = govscan("report", "latest~1", "--db", db, "-f", "oscal-ar", "-o", str(tmp_path / "ar.json"), "-q",
                     env=env, cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    ar = json.loads((tmp_path / "ar.json").read_text())
    result = ar["assessment-results"]["results"][0]
    assert [f["title"] for f in result["findings"]] == ["cm-6: not-satisfied"]
    assert [(o["title"], o["description"].splitlines()[0]) for o in result["observations"]] == [
        ("tiny-polite on greeting:world: fail", "hello world does not say please")]
    verify = govscan("verify-db", "--db", db, env=env, cwd=tmp_path)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_adding_the_provider_touched_only_its_folder_and_one_entry_point_line():
    assert sorted(p.name for p in HERE.iterdir() if p.name != "__pycache__") == [
        "controls", "govscan_tiny.py", "test_tiny_provider.py"]
    # nothing in govscan itself knows about it: no table, no special case, no CLI edit
    for package in ("scanner", "checks", "reports", "policies"):
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".yaml", ".json", ".sh", ".j2"):
                assert "tiny" not in path.read_text(errors="replace").lower(), path
    assert "tiny" not in (ROOT / "pyproject.toml").read_text().lower()
