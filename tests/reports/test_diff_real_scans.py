"""``govscan diff`` on two real scans of one host: unreachable in the first, reachable in the second.

Issue 13: an error finding of an unreachable host is stored on the target itself, so the diff showed
each of its controls as "no longer assessed" and every later result as "absent -> fail". A real sshd
fixture (tests/host/sshd_fixture.py) is stopped for scan A and started again, same port and host key,
for scan B; its login.defs is the deliberately non-compliant one (private mount namespace).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "host"))

import sshd_fixture as sf  # noqa: E402
from realscan import govscan  # noqa: E402

CONTROLS = ("host-file-passwd", "host-login-defs-*")


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory):
    reason = sf._usable()
    if reason:
        pytest.skip(reason)
    sf.ensure_test_user()
    keys = sf.make_root("govscan-diff-keys-")
    pub = sf.keygen(keys / "id_ed25519")
    etc = {"/etc/login.defs": sf.NONCOMPLIANT_LOGIN_DEFS}
    host = sf.start_sshd("diff", "127.0.0.1", {sf.TEST_USER: [pub]}, etc_files=etc)
    work = tmp_path_factory.mktemp("diff-real")
    inventory = work / "inventory.yaml"
    inventory.write_text(json.dumps({"apiVersion": "govscan/v1", "kind": "Inventory",
                                     "targets": [{"target": host.spec(), "key": str(keys / "id_ed25519")}]}))
    args = ["scan", "-i", str(inventory), "--db", str(work / "govscan.db"), "--known-hosts", str(host.known_hosts),
            "--connect-timeout", "3", "-q"]
    for c in CONTROLS:
        args += ["-c", c]
    try:
        host.stop()  # scan A: nothing listens on the host's port
        first = govscan(args, work)
        argv = sf._in_mount_namespace(host.root, etc, [sf.SSHD, "-D", "-f", str(host.root / "sshd_config"),
                                                       "-E", str(host.root / "sshd.log")])
        host.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sf._wait_listening(host)
        second = govscan(args, work)  # scan B: the same host, reachable
    finally:
        host.stop()
        import shutil

        shutil.rmtree(host.root, ignore_errors=True)
        shutil.rmtree(keys, ignore_errors=True)
    assert first.returncode == 3, first.stderr  # no target could be scanned
    assert second.returncode in (0, 1), second.stderr
    return work, host.spec()


def test_host_that_became_reachable_diffs_error_to_its_results(two_scans):
    work, spec = two_scans
    res = govscan(["diff", "latest~1", "latest", "--db", str(work / "govscan.db"), "-f", "json"], work)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    changes = [c for cat in doc["changes"].values() for c in cat]
    assert doc["summary"]["new"] == 0 and doc["summary"]["not-assessed"] == 0, doc["summary"]
    assert changes and all(c["before"] and c["before"]["status"] == "error" for c in changes)
    assert all(c["target_id"] == spec and c["resource_id"] != spec for c in changes)
    fixed = {(c["control_id"], c["resource_id"]) for c in doc["changes"]["fixed"]}
    assert ("host-file-passwd", "/etc/passwd") in fixed  # error -> pass
    failing = {(c["control_id"], c["after"]["status"]) for c in doc["changes"]["still-failing"]
               + doc["changes"]["severity-changed"]}
    assert ("host-login-defs-pass-max-days", "fail") in failing  # error -> fail (PASS_MAX_DAYS 99999)
    table = govscan(["diff", "latest~1", "latest", "--db", str(work / "govscan.db")], work).stdout
    assert "absent" not in table and "No longer assessed" not in table, table
    assert "error/" in table and "-> fail/" in table and "-> pass/" in table, table


def test_host_that_became_unreachable_diffs_its_results_to_error(two_scans):
    work, spec = two_scans
    res = govscan(["diff", "latest", "latest~1", "--db", str(work / "govscan.db"), "-f", "json"], work)
    doc = json.loads(res.stdout)
    assert doc["summary"]["not-assessed"] == 0, doc["summary"]
    moved = [c for cat in doc["changes"].values() for c in cat]
    assert moved and all(c["after"]["status"] == "error" and c["resource_id"] != spec for c in moved)
    # what failed before still fails (error is never a pass); what passed is now failing to be checked
    assert {c["control_id"] for c in doc["changes"]["still-failing"]} >= {"host-login-defs-pass-max-days"}
    assert ("host-file-passwd", "/etc/passwd") in {(c["control_id"], c["resource_id"]) for c in doc["changes"]["new"]}
