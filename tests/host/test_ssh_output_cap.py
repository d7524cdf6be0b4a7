"""A host cannot exhaust the scanner's memory: what it may send on the SSH channel is capped (issue 9).

Real sshd fixtures whose ``ForceCommand`` floods stdout or stderr without end (``yes``), scanned
through the CLI: the host is an ``error`` naming the cap and how to raise it, well before the script
timeout (the read stops at the cap, it does not wait for the flood to end).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from checks.host.transport import TransportError
from scanner.store import Store
from sshd_fixture import TEST_USER, SshdHost, SshFleet, start_sshd


def flooding_host(ssh_fleet: SshFleet, name: str, address: str, command: str) -> SshdHost:
    pub = " ".join(ssh_fleet.key.with_suffix(".pub").read_text().split()[:2])
    return start_sshd(name, address, {TEST_USER: [pub]}, f"ForceCommand {command}\n")


@pytest.fixture(scope="module")
def floods(ssh_fleet: SshFleet) -> Iterator[dict[str, SshdHost]]:
    hosts: dict[str, SshdHost] = {}
    try:
        hosts["stdout"] = flooding_host(ssh_fleet, "flood-out", "127.0.0.41", "yes govscan-flood")
        hosts["stderr"] = flooding_host(ssh_fleet, "flood-err", "127.0.0.42", "sh -c 'yes govscan-flood >&2'")
        hosts["big"] = flooding_host(ssh_fleet, "flood-big", "127.0.0.43", "head -c 3145728 /dev/zero")
        yield hosts
    finally:
        for host in hosts.values():
            host.stop()
            shutil.rmtree(host.root, ignore_errors=True)


def scan(ssh_fleet: SshFleet, tmp: Path, specs: list[str], *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    known = tmp / "known_hosts"
    db = tmp / "scan.db"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", "from scanner.cli import main; main()", "scan", *specs, "--db", str(db),
         "--known-hosts", str(known), "-c", "host-sshd-no-root-login", "--gate", "none", *extra],
        capture_output=True, text=True, timeout=120,
    )
    assert time.monotonic() - started < 40, "the read did not stop at the cap"
    store = Store(str(db), create=False)
    try:
        errors = {t["id"]: t["error"] for t in store.view().targets}
    finally:
        store.close()
    return result, errors


def inventory(ssh_fleet: SshFleet, tmp: Path, hosts: list[SshdHost], **opts: int) -> Path:
    (tmp / "known_hosts").write_text("".join(h.known_hosts_entry() for h in hosts))
    extra = "".join(f", {k}: {v}" for k, v in opts.items())
    path = tmp / "inventory.yaml"
    path.write_text(
        f"apiVersion: govscan/v1\nkind: Inventory\nvars: {{key: '{ssh_fleet.key}'}}\ntargets:\n"
        + "".join(f"  - {{target: '{h.spec()}'{extra}}}\n" for h in hosts)
    )
    return path


def test_a_flooding_host_is_an_error_naming_the_cap(ssh_fleet: SshFleet, floods: dict[str, SshdHost],
                                                    tmp_path: Path) -> None:
    inv = inventory(ssh_fleet, tmp_path, [floods["stdout"], floods["stderr"]])
    result, errors = scan(ssh_fleet, tmp_path, ["-i", str(inv), "--max-output-mib", "2"])
    assert result.returncode == 3, result.stderr  # no host could be scanned
    for stream, host in (("stdout", floods["stdout"]), ("stderr", floods["stderr"])):
        assert errors[host.spec()] == (
            f"{TEST_USER}@{host.address}:{host.port} sent more than 2 MiB on {stream} (the cap on what a host "
            "may send); raise it with max_output_mib in the inventory or --max-output-mib"
        )


def test_the_cap_is_raised_per_target_in_the_inventory(ssh_fleet: SshFleet, floods: dict[str, SshdHost],
                                                       tmp_path: Path) -> None:
    """3 MiB of output: over a 1 MiB cap, under the default; the inventory's max_output_mib wins."""
    big = floods["big"]
    inv = inventory(ssh_fleet, tmp_path, [big], max_output_mib=1)
    result, errors = scan(ssh_fleet, tmp_path, ["-i", str(inv)])
    assert errors[big.spec()].startswith(f"{TEST_USER}@{big.address}:{big.port} sent more than 1 MiB on stdout")
    inv = inventory(ssh_fleet, tmp_path, [big], max_output_mib=4)
    result, errors = scan(ssh_fleet, tmp_path, ["-i", str(inv)])
    # 3 MiB of zeros arrived whole: the host was read (its output is no fact script, so sshd is an error)
    assert errors[big.spec()] is None, result.stderr


def test_transport_default_cap(ssh_fleet: SshFleet, floods: dict[str, SshdHost]) -> None:
    from checks.host.ssh import open_transport, parse_ssh_target
    from scanner.provider import CollectContext

    target = parse_ssh_target(floods["stdout"].spec(), {"key": str(ssh_fleet.key)})
    ctx = CollectContext(options={"known_hosts": str(floods["stdout"].known_hosts)})
    with open_transport(target, ctx) as transport:
        assert transport.plan.max_output == 64 * 1024 * 1024
        with pytest.raises(TransportError) as info:
            transport.run_script("", timeout=60)
    assert "sent more than 64 MiB on stdout" in str(info.value)
