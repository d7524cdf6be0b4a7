"""sudo's configuration over SSH (real sshd fixtures, the real CLI): read through sudo it is evaluated; read as an
ordinary user /etc/sudoers (0440) cannot be read, and the sudoers controls are errors saying so, never a pass."""

from __future__ import annotations

from pathlib import Path

import yaml
from sshd_fixture import SshFleet
from test_ssh_scan import findings, govscan


def test_sudoers_over_ssh_with_and_without_sudo(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    compliant, noncompliant = ssh_fleet.compliant.spec(), ssh_fleet.noncompliant.spec()
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump({"apiVersion": "govscan/v1", "kind": "Inventory",
                                         "vars": {"key": str(ssh_fleet.key)},
                                         "targets": [{"target": compliant, "sudo": True}, noncompliant]}))
    db = tmp_path / "scan.db"
    result = govscan("scan", "-i", str(inventory), "--db", str(db), "--known-hosts", str(ssh_fleet.known_hosts),
                     "-c", "host-sudo-*", "--gate", "none")
    assert result.returncode == 0, result.stderr
    rows = {(tid, cid): (r[0]["status"], r[0]["message"]) for (tid, cid), r in findings(db).items()}
    # the compliant host's sudoers lets the scanning account run anything without a password: that is found
    assert rows[(compliant, "host-sudo-no-nopasswd")] == ("fail", "/etc/sudoers:2: govscan-ssh ALL=(root) NOPASSWD: ALL")
    assert rows[(compliant, "host-sudo-use-pty")] == ("fail", "sudoers does not set use_pty for everyone (negated at: "
                                                      "none; files read: /etc/sudoers)")
    assert rows[(compliant, "host-sudo-installed")] == ("pass", "sudo is installed")
    assert rows[(noncompliant, "host-sudo-use-pty")] == (
        "error", "sudo: use_pty could not be read: /etc/sudoers not readable: run as root or with sudo")
    assert rows[(noncompliant, "host-sudo-no-nopasswd")][0] == "error"
