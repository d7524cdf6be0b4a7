"""Target host and user names are checked before any SSH configuration sees them (issue 9).

A host name reaches ``Match exec "... %h"`` of the user's ``~/.ssh/config``, which paramiko runs
through a shell: ``ssh://x;touch PWNED;`` once ran a command on the scanning machine. These tests run
the real CLI with HOME pointed at a directory whose ssh config has such a line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from checks.host.names import host_problem, user_problem


def govscan(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(cwd)}
    return subprocess.run([sys.executable, "-c", "from scanner.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd, env=env)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A HOME whose ~/.ssh/config runs `Match exec` with the host (%h) and the user (%r)."""
    ssh = tmp_path / ".ssh"
    ssh.mkdir()
    (ssh / "config").write_text('Match exec "echo %h %r >> exec.log"\n  Port 2222\n')
    return tmp_path


@pytest.mark.parametrize("spec", [
    "ssh://x;touch PWNED;",
    "ssh://x$(touch PWNED)",
    "ssh://a%3Btouch%20PWNED%3B@web01",
])
def test_hostile_target_names_never_reach_match_exec(home: Path, spec: str) -> None:
    result = govscan(home, "scan", spec, "--db", str(home / "x.db"), "-c", "host-sshd-no-root-login")
    assert result.returncode == 2, result.stderr
    assert "is not a valid" in result.stderr and "Traceback" not in result.stderr
    assert not (home / "PWNED").exists()
    assert not (home / "exec.log").exists()  # no ssh config was evaluated at all


def test_hostile_names_in_an_inventory_are_refused_with_file_and_line(home: Path) -> None:
    inventory = home / "inventory.yaml"
    inventory.write_text(
        "apiVersion: govscan/v1\nkind: Inventory\ntargets:\n"
        "  - ssh://web01\n"
        "  - {target: ssh://web02, user: 'x;touch PWNED;'}\n"
        "  - {target: ssh://web03, jump: 'bastion;touch PWNED'}\n"
    )
    result = govscan(home, "scan", "-i", str(inventory), "--db", str(home / "x.db"), "-c", "host-sshd-no-root-login")
    assert result.returncode == 2, result.stderr
    assert f"{inventory}:5:" in result.stderr, result.stderr
    assert "user: 'x;touch PWNED;' is not a valid login name" in result.stderr
    assert not (home / "PWNED").exists()


def test_a_valid_name_still_evaluates_the_ssh_config(home: Path) -> None:
    """The check does not stop the user's own config from working: Match exec runs for a plain name."""
    code = ("from checks.host.ssh_config import parse_ssh_target; "
            "print(parse_ssh_target('ssh://ops@web01.agency.example', {}).options['port'])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=home,
                            env={**os.environ, "HOME": str(home)}, stdin=subprocess.DEVNULL)
    assert result.stdout.strip() == "2222", result.stderr
    assert (home / "exec.log").read_text().split()[0] == "web01.agency.example"


@pytest.mark.parametrize(("name", "ok"), [
    ("web01", True), ("web-01.agency.example", True), ("web01.example.", True), ("10.0.2.15", True),
    ("::1", True), ("fe80::1%eth0", True), ("2001:db8::1", True),
    ("x;id", False), ("-web", False), ("web-", False), ("a..b", False), ("a" * 64, False), ("999.1.1.1", False),
    ("fe80::1%eth0;id", False), ("::g", False), ("web_01", False), ("", False), ("a b", False), ("$(id)", False),
])
def test_host_names(name: str, ok: bool) -> None:
    assert (host_problem(name) is None) is ok


@pytest.mark.parametrize(("name", "ok"), [
    ("admin", True), ("svc_audit", True), ("first.last", True), ("machine$", True), ("a-b", True),
    ("-o", False), ("a;b", False), ("a b", False), ("", False), ("%h", False), ("a" * 65, False),
])
def test_user_names(name: str, ok: bool) -> None:
    assert (user_problem(name) is None) is ok
