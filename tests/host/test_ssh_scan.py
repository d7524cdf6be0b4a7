"""``govscan scan`` over SSH end to end: real sshd fixtures, the real CLI, findings read back from SQLite.

Three scans cover the issue's cases (each CLI scan loads the whole policy pack, so they are few and
shared through module-scoped fixtures):

- a fleet scan with ``--jobs 4``: the compliant and the non-compliant host (exact sshd and login.defs
  verdicts), six plain hosts (all complete), and hosts refused for a changed host key, an unknown host
  key, a wrong user key, a closed port and silence; plus one host trusted through accept-new;
- ``local`` and ``ssh://root@`` of this same machine with the full Linux baseline: same verdicts;
- a scan where no host is reachable: exit 3.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from scanner.store import Store
from sshd_fixture import TEST_USER, SilentListener, SshdHost, SshFleet, free_port

SSHD_CONTROLS = [
    "host-sshd-access-limited", "host-sshd-banner", "host-sshd-ciphers", "host-sshd-client-alive-count-max", "host-sshd-client-alive-interval",
    "host-sshd-disable-forwarding", "host-sshd-ignore-rhosts", "host-sshd-kex", "host-sshd-log-level",
    "host-sshd-login-grace-time", "host-sshd-macs", "host-sshd-max-auth-tries", "host-sshd-max-sessions",
    "host-sshd-max-startups", "host-sshd-no-empty-passwords", "host-sshd-no-gssapi", "host-sshd-no-hostbased-auth",
    "host-sshd-no-root-login", "host-sshd-no-tcp-forwarding", "host-sshd-no-user-environment",
    "host-sshd-no-x11-forwarding", "host-sshd-print-last-log", "host-sshd-rsa-key-size", "host-sshd-strict-modes",
    "host-sshd-use-pam", "host-sshd-password-auth-policy",
]
"""Every host-sshd-* control the non-compliant host's sshd_config violates."""

LOGIN_DEFS_CONTROLS = [
    "host-login-defs-encrypt-method", "host-login-defs-inactive", "host-login-defs-pass-max-days",
    "host-login-defs-pass-min-days", "host-login-defs-pass-warn-age", "host-login-defs-umask",
]


def govscan(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a child process (as a user would), capturing its output."""
    return subprocess.run(
        [sys.executable, "-c", "from scanner.cli import main; main()", *args], capture_output=True, text=True
    )


def findings(db: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The latest scan's findings grouped by (target id, control id)."""
    store = Store(str(db), create=False)
    try:
        out: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in store.view().findings():
            out.setdefault((row["target_id"], row["control_id"]), []).append(row)
        return out
    finally:
        store.close()


def targets(db: Path) -> dict[str, dict[str, Any]]:
    store = Store(str(db), create=False)
    try:
        return {t["id"]: t for t in store.view().targets}
    finally:
        store.close()


def statuses(rows: dict[tuple[str, str], list[dict[str, Any]]], target: str) -> dict[str, str]:
    """control id -> status for a target with one finding per control."""
    out = {}
    for (tid, cid), found in rows.items():
        if tid == target:
            assert len(found) == 1, (cid, found)
            out[cid] = found[0]["status"]
    return out


# --- the fleet scan ------------------------------------------------------------------------------------


class Fleet:
    """The fleet scan's result and the specs of its hosts."""

    def __init__(self, fleet: SshFleet, tmp: Path):
        self.fleet = fleet
        self.db = tmp / "fleet.db"
        self.forged = tmp / "forged_known_hosts"
        self.unknown = tmp / "empty_known_hosts"
        self.accepted = tmp / "accepted" / "known_hosts"
        self.silent = SilentListener("127.0.0.1")
        self.closed = free_port("127.0.0.1")
        changed, unknown, accept = fleet.many[0], fleet.many[1], fleet.many[2]
        self.forged.write_text(f"[{changed.address}]:{changed.port} {fleet.compliant.host_key_line}\n")
        key = str(fleet.key)
        self.specs = {
            "compliant": fleet.compliant.spec(),
            "noncompliant": fleet.noncompliant.spec("root"),
            "changed": changed.spec(),
            "unknown": unknown.spec(),
            "accept": accept.spec(),
            "wrongkey": fleet.many[3].spec(),
            "closed": f"ssh://{TEST_USER}@127.0.0.1:{self.closed}",
            "silent": f"ssh://{TEST_USER}@127.0.0.1:{self.silent.port}",
        }
        entries: list[Any] = [
            {"target": self.specs["compliant"], "sudo": True},
            self.specs["noncompliant"],
            {"target": self.specs["changed"], "known_hosts": str(self.forged)},
            {"target": self.specs["unknown"], "known_hosts": str(self.unknown)},
            {"target": self.specs["accept"], "known_hosts": str(self.accepted), "accept_new_host_keys": True},
            {"target": self.specs["wrongkey"], "key": str(fleet.other_key), "agent": False},
            self.specs["closed"],
            {"target": self.specs["silent"], "connect_timeout": 1},
        ]
        self.plain = [h.spec() for h in fleet.many[3:]] + [fleet.mirror.spec()]
        self.plain.remove(self.specs["wrongkey"])
        entries += self.plain
        inventory = tmp / "inventory.yaml"
        inventory.write_text(yaml.safe_dump(
            {"apiVersion": "govscan/v1", "kind": "Inventory", "vars": {"key": key}, "targets": entries}
        ))
        self.result = govscan(
            "scan", "-i", str(inventory), "--db", str(self.db), "--known-hosts", str(fleet.known_hosts),
            "-c", "host-sshd-*", "-c", "host-login-defs-*", "--jobs", "4", "--gate", "none",
        )
        self.silent.close()
        self.rows = findings(self.db)
        self.targets = targets(self.db)


@pytest.fixture(scope="module")
def fleet_scan(ssh_fleet: SshFleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    yield Fleet(ssh_fleet, tmp_path_factory.mktemp("fleet-scan"))


def test_fleet_scan_completes_with_the_unreachable_hosts_named(fleet_scan: Fleet) -> None:
    result = fleet_scan.result
    # --gate none is no gate: errors do not change the exit code; exit 3 would mean nothing was scanned.
    assert result.returncode == 0, result.stderr
    assert "gate: none (--gate)\nGate PASSED: gate disabled (none): findings do not change the exit code\n" in result.stdout
    assert set(fleet_scan.targets) == {*fleet_scan.specs.values(), *fleet_scan.plain}


def test_noncompliant_host_fails_exactly_the_violated_controls(fleet_scan: Fleet) -> None:
    got = statuses(fleet_scan.rows, fleet_scan.specs["noncompliant"])
    failing = sorted(cid for cid, status in got.items() if status == "fail")
    assert failing == sorted(SSHD_CONTROLS + LOGIN_DEFS_CONTROLS)
    messages = {cid: rows[0]["message"] for (tid, cid), rows in fleet_scan.rows.items()
                if tid == fleet_scan.specs["noncompliant"]}
    assert messages["host-sshd-no-root-login"] == "PermitRootLogin is yes (allowed: no)"
    assert messages["host-sshd-max-auth-tries"] == "MaxAuthTries is 10, above 4"
    assert messages["host-sshd-password-auth-policy"] == "PasswordAuthentication is yes (allowed: no)"
    assert messages["host-sshd-ciphers"].startswith("weak ciphers offered: Ciphers is aes128-cbc, 3des-cbc")
    assert messages["host-login-defs-pass-max-days"] == "PASS_MAX_DAYS is 99999 (required: le 365)"


def test_compliant_host_passes_the_same_controls_through_sudo(fleet_scan: Fleet) -> None:
    got = statuses(fleet_scan.rows, fleet_scan.specs["compliant"])
    assert {cid: got[cid] for cid in SSHD_CONTROLS + LOGIN_DEFS_CONTROLS} == {
        cid: "pass" for cid in SSHD_CONTROLS + LOGIN_DEFS_CONTROLS
    }
    assert fleet_scan.targets[fleet_scan.specs["compliant"]]["facts"]["is_root"] is True


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("changed", "HOST KEY CHANGED for [{address}]:{port}: expected ssh-ed25519 {other}, got ssh-ed25519 {fp}"),
        ("unknown", "host key for [{address}]:{port} not in known_hosts (ssh-ed25519 {fp}); verify it and add it, "
                    "or pass --accept-new-host-keys"),
        ("wrongkey", "authentication failed for govscan-ssh@{address}:{port} (publickey; tried {other_key})"),
        ("closed", "connection refused by 127.0.0.1:{port} (govscan-ssh@127.0.0.1:{port})"),
        ("silent", "127.0.0.1:{port} accepted the connection but sent no SSH banner within 1s"),
    ],
)
def test_refused_hosts_are_errors_with_their_reason(fleet_scan: Fleet, name: str, reason: str) -> None:
    spec = fleet_scan.specs[name]
    port = int(spec.rsplit(":", 1)[1])
    address = spec.split("@")[1].rsplit(":", 1)[0]
    host = next((h for h in fleet_scan.fleet.all_hosts() if h.port == port), None)
    expected = reason.format(
        address=address, port=port, fp=host.fingerprint() if host else "", other=fleet_scan.fleet.compliant.fingerprint(),
        other_key=fleet_scan.fleet.other_key,
    )
    assert fleet_scan.targets[spec]["error"].startswith(expected)
    got = {cid: (rows[0]["status"], rows[0]["message"]) for (tid, cid), rows in fleet_scan.rows.items() if tid == spec}
    assert set(got) == set(SSHD_CONTROLS + LOGIN_DEFS_CONTROLS)
    assert all(status == "error" and expected in message for status, message in got.values()), got
    assert f"govscan: {spec}: {expected}" in fleet_scan.result.stderr


def test_accept_new_host_key_recorded_and_scanned(fleet_scan: Fleet) -> None:
    host: SshdHost = fleet_scan.fleet.many[2]
    assert fleet_scan.accepted.read_text() == host.known_hosts_entry()
    assert fleet_scan.targets[fleet_scan.specs["accept"]]["error"] is None
    assert not fleet_scan.unknown.exists()  # refusing a key writes nothing


def test_every_plain_host_in_the_fleet_was_scanned(fleet_scan: Fleet) -> None:
    # Logged in without sudo: login.defs is readable and gets a verdict; sshd -T needs root, so the sshd
    # verdicts come from the (readable) sshd_config and OpenSSH's defaults.
    for spec in [*fleet_scan.plain, fleet_scan.specs["accept"]]:
        assert fleet_scan.targets[spec]["error"] is None, spec
        got = statuses(fleet_scan.rows, spec)
        assert got["host-login-defs-pass-max-days"] in ("pass", "fail"), spec
        sshd = fleet_scan.rows[(spec, "host-sshd-no-root-login")][0]
        assert sshd["status"] in ("pass", "fail"), sshd


# --- local and SSH agree -------------------------------------------------------------------------------

LEGITIMATELY_DIFFERENT: dict[str, str] = {}
"""Controls whose verdict may differ between `local` and an SSH login to the same machine, and why."""


@pytest.fixture(scope="module")
def local_and_ssh(ssh_fleet: SshFleet, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    tmp = tmp_path_factory.mktemp("local-vs-ssh")
    db = tmp / "scan.db"
    inventory = tmp / "inventory.yaml"
    ssh_spec = ssh_fleet.mirror.spec("root")
    inventory.write_text(yaml.safe_dump({
        "apiVersion": "govscan/v1", "kind": "Inventory", "targets": ["local", {"target": ssh_spec, "key": str(ssh_fleet.key)}],
    }))
    result = govscan("scan", "-i", str(inventory), "--db", str(db), "--known-hosts", str(ssh_fleet.known_hosts),
                     "-p", "linux-baseline", "--gate", "none")
    assert result.returncode == 0, result.stderr
    local_id = next(t for t in targets(db) if t.startswith("local:"))
    return db, local_id, ssh_spec


def test_local_and_ssh_scans_of_one_machine_agree(local_and_ssh: tuple[Path, str, str]) -> None:
    db, local_id, ssh_id = local_and_ssh
    by_target: dict[str, dict[tuple[str, str], str]] = {local_id: {}, ssh_id: {}}
    store = Store(str(db), create=False)
    try:
        for row in store.view().findings():
            if row["control_id"] not in LEGITIMATELY_DIFFERENT:
                # Target-level findings carry the target id as resource id: compare them by control only.
                resource = "" if row["resource_id"] == row["target_id"] else row["resource_id"]
                by_target[row["target_id"]][(row["control_id"], resource)] = row["status"]
    finally:
        store.close()
    local, ssh = by_target[local_id], by_target[ssh_id]
    assert len(local) > 150  # the whole baseline ran on both
    differences = {k: (local.get(k), ssh.get(k)) for k in set(local) | set(ssh) if local.get(k) != ssh.get(k)}
    assert differences == {}


# --- nothing reachable ---------------------------------------------------------------------------------


def test_no_reachable_host_exits_3_with_each_reason(ssh_fleet: SshFleet, tmp_path: Path) -> None:
    port = free_port("127.0.0.1")
    spec = f"ssh://{TEST_USER}@127.0.0.1:{port}"
    result = govscan("scan", spec, "--db", str(tmp_path / "x.db"), "-c", "host-sshd-no-root-login")
    assert result.returncode == 3
    assert f"govscan: {spec}: connection refused by 127.0.0.1:{port} ({TEST_USER}@127.0.0.1:{port})" in result.stderr
    assert "Traceback" not in result.stderr
    rows = findings(tmp_path / "x.db")
    assert [(r["status"], r["message"]) for r in rows[(spec, "host-sshd-no-root-login")]] == [
        ("error", f"{spec}: connection refused by 127.0.0.1:{port} ({TEST_USER}@127.0.0.1:{port})")
    ]
