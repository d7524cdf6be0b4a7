"""Kernel parameters must be persisted as well as running (CIS Debian 12 1.5.x, 3.3.x), and CIS 1.5.3 also
needs every user's hard core limit at 0.

The real fact script runs in a private mount namespace where /etc/sysctl.d, /usr/lib/sysctl.d,
/etc/sysctl.conf, /etc/security/limits.conf and limits.d are bind-mounted from a test tree
(tests/host/hostfs.py); running values are this machine's /proc/sys.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import hostfs
import pytest
from golden_support import TARGET, baseline

from checks.host.provider import HostProvider
from checks.host.script import build_script, parse_output
from scanner.evaluate import evaluate_control
from scanner.store import Store

NOBODY = 65534
pytestmark = pytest.mark.skipif(hostfs.usable() is not None, reason=str(hostfs.usable()))

CIS_SYSCTL = sorted(cid for cid, c in baseline().controls.items()
                    if c.resource == "host.sysctl" and "cis-debian-12" in c.mappings)


def running(name: str) -> int:
    return int(Path("/proc/sys/" + name.replace(".", "/")).read_text().split()[0])


@pytest.fixture
def tree_dir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="gs-sysctl-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base)


def collect(binds, *, user: int | None = None):
    script, marker = build_script(["os", "sysctl", "sysctl_conf", "limits"])
    out = parse_output(hostfs.run_script(binds, script, user=user), marker)
    return HostProvider.parse(out, ["host.os", "host.sysctl"])


def findings(coll, *ids):
    sel = baseline()
    return {cid: [(f.status.value, f.message) for f in evaluate_control(sel.controls[cid], TARGET, coll,
                                                                       sel.inputs.get(cid))] for cid in ids}


def test_cis_controls_are_the_ones_that_check_persistence():
    assert len(CIS_SYSCTL) == 17
    for cid in CIS_SYSCTL:
        keys = json.dumps(baseline().controls[cid].assert_)
        assert '"persisted.' in keys, cid


def test_systemd_sysctl_precedence_on_the_real_script(tree_dir):
    tree = {
        "/etc/sysctl.d/10-a.conf": "kernel.randomize_va_space = 0\n",
        "/etc/sysctl.d/20-b.conf": "; comment\nkernel.randomize_va_space=2\n-net/ipv4/ip_forward = 0\n",
        "/usr/lib/sysctl.d/20-b.conf": "kernel.randomize_va_space = 1\n",   # masked by /etc/sysctl.d/20-b.conf
        "/usr/lib/sysctl.d/30-c.conf": "fs.suid_dumpable = 2\nnet.ipv4.conf.all.rp_filter = 1\n",
        "/usr/lib/sysctl.d/40-d.conf": "net.ipv4.conf.*.rp_filter = 0\n",  # a glob never beats an explicit key
        "/etc/sysctl.d/50-coredump.conf": "-> /dev/null",
        "/usr/lib/sysctl.d/50-coredump.conf": "fs.suid_dumpable = 2\n",      # masked by /dev/null
        "/etc/sysctl.conf": "# last of all\nfs.suid_dumpable = 0\n",
        "/etc/security/limits.conf": "*  hard  core  unlimited\n",
        "/etc/security/limits.d/10-core.conf": "# drop-in\n*  -  core  0\n",
    }
    coll = collect(hostfs.tree_binds(hostfs.build(tree, tree_dir)))
    assert coll.errors == []
    r = coll.resources["host.sysctl"][0]
    assert r.attr_errors == {}
    p = r.attrs["persisted"]
    got = {"kernel.randomize_va_space": p["kernel"]["randomize_va_space"], "net.ipv4.ip_forward": p["net"]["ipv4"]["ip_forward"],
           "fs.suid_dumpable": p["fs"]["suid_dumpable"], "all.rp_filter": p["net"]["ipv4"]["conf"]["all"]["rp_filter"],
           "default.rp_filter": p["net"]["ipv4"]["conf"]["default"]["rp_filter"]}
    assert got == {"kernel.randomize_va_space": 2, "net.ipv4.ip_forward": 0, "fs.suid_dumpable": 0,
                   "all.rp_filter": 1, "default.rp_filter": 0}
    assert r.sources["persisted.kernel.randomize_va_space"] == ({"path": "/etc/sysctl.d/20-b.conf", "line": 2},)
    assert r.sources["persisted.net.ipv4.ip_forward"] == ({"path": "/etc/sysctl.d/20-b.conf", "line": 3},)
    assert r.sources["persisted.fs.suid_dumpable"] == ({"path": "/etc/sysctl.conf", "line": 2},)
    assert r.sources["persisted.net.ipv4.conf.all.rp_filter"] == ({"path": "/usr/lib/sysctl.d/30-c.conf", "line": 2},)
    assert r.sources["persisted.net.ipv4.conf.default.rp_filter"] == ({"path": "/usr/lib/sysctl.d/40-d.conf", "line": 1},)
    assert r.attrs["persisted_at"]["kernel"]["randomize_va_space"] == "/etc/sysctl.d/20-b.conf:2"
    assert (r.attrs["core_hard_limit"], r.attrs["core_hard_limit_at"]) == (0, "/etc/security/limits.d/10-core.conf:2")
    assert r.sources["core_hard_limit"] == ({"path": "/etc/security/limits.d/10-core.conf", "line": 2},)


def test_running_but_not_persisted_fails_like_openscap(tree_dir):
    """The issue's host: ASLR and suid_dumpable right at run time, nothing (or the wrong value) persisted."""
    coll = collect(hostfs.tree_binds(hostfs.build(hostfs.NONCOMPLIANT, tree_dir)))
    aslr, dump = running("kernel.randomize_va_space"), running("fs.suid_dumpable")
    assert findings(coll, "host-sysctl-aslr", "host-sysctl-suid-dumpable") == {
        "host-sysctl-aslr": [("fail", f"kernel.randomize_va_space={aslr}; persisted none (no sysctl file sets it) "
                                      "(required: eq 2, running and persisted)")],
        "host-sysctl-suid-dumpable": [("fail", f"fs.suid_dumpable={dump}; persisted 2 (/usr/lib/sysctl.d/50-coredump.conf:4); "
                                               "core hard limit for *: none (not set in limits.conf or limits.d) "
                                               "(required: eq 0, running and persisted; * hard core 0)")]}
    # the evidence names where the persisted value was read
    f = evaluate_control(baseline().controls["host-sysctl-suid-dumpable"], TARGET, coll)[0]
    assert f.evidence["locations"] == [{"attribute": "persisted.fs.suid_dumpable",
                                        "path": "/usr/lib/sysctl.d/50-coredump.conf", "line": 4}]


def test_unlistable_sysctl_dir_is_error_never_pass(tree_dir):
    """Run as uid 65534: /etc/sysctl.d (0700) cannot be listed, so what persists is unknown."""
    root = hostfs.build(hostfs.COMPLIANT, tree_dir)
    (root / "etc" / "sysctl.d").chmod(0o700)
    coll = collect(hostfs.tree_binds(root), user=NOBODY)
    r = coll.resources["host.sysctl"][0]
    why = "/etc/sysctl.d/ could not be read (run as root or with sudo)"
    assert r.attr_errors == {"persisted": why, "persisted_at": why}
    got = findings(coll, *CIS_SYSCTL)
    assert got == {cid: [("error", f"sysctl: persisted could not be read: {why}")] for cid in CIS_SYSCTL}
    # a run-time-only control still decides
    assert findings(coll, "host-sysctl-dmesg-restrict")["host-sysctl-dmesg-restrict"][0][0] in ("pass", "fail")


def test_unreadable_file_errors_unless_masked_and_limits_dir_errors_core_limit(tree_dir):
    root = hostfs.build({**hostfs.COMPLIANT, "/usr/lib/sysctl.d/60-hardening.conf": "kernel.randomize_va_space = 0\n"},
                        tree_dir)
    (root / "usr" / "lib" / "sysctl.d" / "60-hardening.conf").chmod(0o600)  # masked by /etc/sysctl.d/60-hardening.conf
    (root / "etc" / "security" / "limits.d").chmod(0o700)
    coll = collect(hostfs.tree_binds(root), user=NOBODY)
    r = coll.resources["host.sysctl"][0]
    why = "/etc/security/limits.d/ could not be read (run as root or with sudo)"
    assert r.attr_errors == {"core_hard_limit": why, "core_hard_limit_at": why}
    assert r.attrs["persisted"]["kernel"]["randomize_va_space"] == 2
    assert findings(coll, "host-sysctl-suid-dumpable") == {
        "host-sysctl-suid-dumpable": [("error", f"sysctl: core_hard_limit could not be read: {why}")]}
    # unmasked, the same unreadable file makes the persisted values unknown
    (root / "usr" / "lib" / "sysctl.d" / "61-other.conf").write_text("fs.suid_dumpable = 2\n")
    (root / "usr" / "lib" / "sysctl.d" / "61-other.conf").chmod(0o600)
    coll = collect(hostfs.tree_binds(root), user=NOBODY)
    assert coll.resources["host.sysctl"][0].attr_errors["persisted"] == (
        "/usr/lib/sysctl.d/61-other.conf could not be read (run as root or with sudo)")


def govscan_in(binds, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-c", "from scanner.cli import main; main()", *args]
    return subprocess.run(hostfs.in_namespace(binds, argv), capture_output=True, text=True, timeout=300)


def stored(db: Path) -> dict[str, tuple[str, str, dict]]:
    store = Store(str(db), create=False)
    try:
        view = store.view()
        return {r["control_id"]: (r["status"], r["message"], view.evidence(r["evidence_sha256"]))
                for r in view.findings()}
    finally:
        store.close()


def test_cli_local_scan_reports_persistence(tmp_path, tree_dir):
    """`govscan scan local` as a user runs it, on a host whose configuration does not persist the values."""
    binds = hostfs.tree_binds(hostfs.build(hostfs.NONCOMPLIANT, tree_dir))
    db = tmp_path / "scan.db"
    res = govscan_in(binds, "scan", "local", "-c", "host-sysctl-aslr", "-c", "host-sysctl-suid-dumpable",
                     "--db", str(db), "--gate", "none")
    assert res.returncode == 0, res.stderr
    rows = stored(db)
    aslr, dump = running("kernel.randomize_va_space"), running("fs.suid_dumpable")
    assert rows["host-sysctl-aslr"][:2] == (
        "fail", f"kernel.randomize_va_space={aslr}; persisted none (no sysctl file sets it) "
                "(required: eq 2, running and persisted)")
    status, message, evidence = rows["host-sysctl-suid-dumpable"]
    assert status == "fail" and message.startswith(f"fs.suid_dumpable={dump}; persisted 2 (/usr/lib/sysctl.d/50-coredump.conf:4)")
    assert evidence["locations"] == [{"attribute": "persisted.fs.suid_dumpable",
                                      "path": "/usr/lib/sysctl.d/50-coredump.conf", "line": 4}]
    # the hardened configuration: the persisted half passes and the message names file:line
    shutil.rmtree(tree_dir)
    tree_dir.mkdir()
    binds = hostfs.tree_binds(hostfs.build(hostfs.COMPLIANT, tree_dir))
    db2 = tmp_path / "scan2.db"
    res = govscan_in(binds, "scan", "local", "-c", "host-sysctl-aslr", "--db", str(db2), "--gate", "none")
    assert res.returncode == 0, res.stderr
    want = "pass" if aslr == 2 else "fail"
    status, message, evidence = stored(db2)["host-sysctl-aslr"]
    assert status == want
    if want == "pass":
        assert message == "kernel.randomize_va_space=2; persisted at /etc/sysctl.d/60-hardening.conf:2"
    assert evidence["locations"] == [{"attribute": "persisted.kernel.randomize_va_space",
                                      "path": "/etc/sysctl.d/60-hardening.conf", "line": 2}]


def test_ssh_scan_of_a_host_whose_sysctl_conf_undoes_the_running_values(tmp_path):
    """Over SSH as a user meets it: a real sshd host (private mount namespace, tests/host/sshd_fixture.py)
    whose /etc/sysctl.conf, applied last at boot, sets ASLR off and suid_dumpable 2."""
    import yaml
    from sshd_fixture import SSHD, TEST_USER, ensure_test_user, keygen, make_root, start_sshd

    if not Path(SSHD).exists():
        pytest.skip("openssh-server not installed")
    ensure_test_user()
    keys = make_root("govscan-hf-keys-")
    keys.chmod(0o700)
    host = None
    try:
        pub = keygen(keys / "id_ed25519", comment="govscan-hostfacts")
        host = start_sshd("sysctl", "127.0.0.41", {TEST_USER: [pub]}, "", {
            "/etc/sysctl.conf": "# undone at boot\nkernel.randomize_va_space = 0\nfs.suid_dumpable = 2\n",
            "/etc/security/limits.conf": "*  hard  core  0\n"})
        inventory = tmp_path / "inventory.yaml"
        inventory.write_text(yaml.safe_dump({"apiVersion": "govscan/v1", "kind": "Inventory",
                                             "vars": {"key": str(keys / "id_ed25519")}, "targets": [host.spec()]}))
        db = tmp_path / "ssh.db"
        res = subprocess.run([sys.executable, "-c", "from scanner.cli import main; main()", "scan", "-i", str(inventory),
                              "--known-hosts", str(host.known_hosts), "-c", "host-sysctl-aslr",
                              "-c", "host-sysctl-suid-dumpable", "--db", str(db), "--gate", "none"],
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stdout + res.stderr
        rows = stored(db)
        aslr, dump = running("kernel.randomize_va_space"), running("fs.suid_dumpable")
        assert rows["host-sysctl-aslr"][:2] == (
            "fail", f"kernel.randomize_va_space={aslr}; persisted 0 (/etc/sysctl.conf:2) "
                    "(required: eq 2, running and persisted)")
        assert rows["host-sysctl-aslr"][2]["locations"] == [
            {"attribute": "persisted.kernel.randomize_va_space", "path": "/etc/sysctl.conf", "line": 2}]
        assert rows["host-sysctl-suid-dumpable"][:2] == (
            "fail", f"fs.suid_dumpable={dump}; persisted 2 (/etc/sysctl.conf:3); core hard limit for *: 0 "
                    "(/etc/security/limits.conf:1) (required: eq 0, running and persisted; * hard core 0)")
    finally:
        if host is not None:
            host.stop()
            shutil.rmtree(host.root, ignore_errors=True)
        shutil.rmtree(keys, ignore_errors=True)
