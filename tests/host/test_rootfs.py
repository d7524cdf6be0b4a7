"""``govscan scan rootfs:<tree>``: a filesystem tree scanned through the real CLI without running its programs.

On the real Debian 12 trees of tests/host/debootstrap.py (minimal and hardened), as root and as uid 65534;
on small trees written here: hostile symbolic links (never a file of this machine outside the tree),
a persisted sysctl value failing although the running value cannot be read, bad root paths.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import time
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import treefs

from checks.host.provider import HostProvider
from checks.host.script import build_script
from checks.host.transport import LocalTransport
from scanner.provider import CollectContext

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (trees owned by root, runs as uid 65534)")
RUNTIME = "needs a running system (rootfs: target)"

#: (control, resource) -> status on each debootstrap tree, as root. "T" stands for the target id.
EXPECTED = {
    ("host-sshd-no-root-login", "sshd"): {"minimal": "fail", "hardened": "pass"},
    ("host-sshd-max-auth-tries", "sshd"): {"minimal": "fail", "hardened": "pass"},
    ("host-file-sshd-config", "/etc/ssh/sshd_config"): {"minimal": "fail", "hardened": "pass"},
    ("host-file-shadow", "/etc/shadow"): {"minimal": "pass", "hardened": "pass"},
    ("host-login-defs-pass-max-days", "login.defs"): {"minimal": "fail", "hardened": "pass"},
    ("host-pkg-no-telnet-server", "packages"): {"minimal": "pass", "hardened": "pass"},
    ("host-svc-cron-enabled", "services"): {"minimal": "pass", "hardened": "pass"},
    ("host-shadow-no-empty-password", "shadow:root"): {"minimal": "pass", "hardened": "pass"},
    ("host-audit-installed", "auditd"): {"minimal": "pass", "hardened": "pass"},  # the trees include auditd
    # runtime: the running kernel, sockets, loaded modules, unit activity
    ("host-sysctl-ip-forward", "sysctl"): {"minimal": "notchecked", "hardened": "notchecked"},
    ("host-kmod-cramfs", "kernel_modules"): {"minimal": "notchecked", "hardened": "notchecked"},
    ("host-svc-time-sync-active", "services"): {"minimal": "notchecked", "hardened": "notchecked"},
    ("host-listen-no-cleartext-ports", "T"): {"minimal": "notchecked", "hardened": "notchecked"},
    # runtime attributes whose section does not run on a tree: notchecked, not error
    ("host-chrony-enabled", "timesync"): {"minimal": "notchecked", "hardened": "notchecked"},
    ("host-fw-nft-loopback", "firewall"): {"minimal": "notchecked", "hardened": "notchecked"},
    # mounts: the tree's /etc/fstab (debootstrap leaves it unconfigured: /tmp is not a separate filesystem)
    ("host-mount-tmp-separate", "mount:/tmp"): {"minimal": "fail", "hardened": "fail"},
    ("host-mount-tmp-nodev", "mount:/tmp"): {"minimal": "notapplicable", "hardened": "notapplicable"},
    ("host-mount-dev-shm-nodev", "mount:/dev/shm"): {"minimal": "notchecked", "hardened": "notchecked"},
}


def scan(tree: Path, cwd: Path, *, as_nobody: bool = False, extra: tuple[str, ...] = ()) -> tuple[object, list[dict]]:
    db = cwd / "scan.db"
    if db.exists():
        db.unlink()
    run = treefs.govscan(["scan", f"rootfs:{tree}", "--db", str(db), *extra], cwd, as_nobody=as_nobody)
    assert run.returncode in (0, 1), run.stderr
    return run, treefs.findings(db, cwd)


def table(rows: list[dict], target: str) -> dict[tuple[str, str], tuple[str, str]]:
    out = {}
    for f in rows:
        rid = "T" if f["resource_id"] == target else f["resource_id"]
        out[(f["control_id"], rid)] = (f["status"], f["message"])
    return out


@pytest.fixture()
def cwd() -> Iterator[Path]:
    """A scratch directory uid 65534 can write its database in (pytest's own is 0700)."""
    d = Path(tempfile.mkdtemp(prefix="gs-rootfs-"))
    d.chmod(0o777)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


@ROOT_ONLY
@pytest.mark.parametrize("which", ["minimal", "hardened"])
def test_debootstrap_tree_as_root(debian_trees, cwd, which):
    tree = getattr(debian_trees, which)
    run, rows = scan(tree, cwd)
    got = table(rows, f"rootfs:{tree}")
    assert {k: got[k][0] for k in EXPECTED} == {k: v[which] for k, v in EXPECTED.items()}
    assert got[("host-sysctl-ip-forward", "sysctl")][1] == f"sysctl: not checked: {RUNTIME}"
    assert got[("host-listen-no-cleartext-ports", "T")][1].endswith(f"host.listening {RUNTIME}")
    if which == "minimal":
        assert got[("host-sshd-no-root-login", "sshd")][1] == "PermitRootLogin is without-password (allowed: no)"
        assert got[("host-login-defs-pass-max-days", "login.defs")][1] == "PASS_MAX_DAYS is 99999 (required: le 365)"
    else:
        assert got[("host-sshd-no-root-login", "sshd")][1] == "PermitRootLogin is no"
        assert got[("host-file-shadow", "/etc/shadow")][1] == "/etc/shadow is 0640 root:shadow"
    # nothing was read from the running system: no status is decided on a runtime attribute
    assert not any(f["status"] == "pass" and RUNTIME in f["message"] for f in rows)
    assert "Not assessed:" in run.stdout


@ROOT_ONLY
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv not installed")
def test_debootstrap_trees_as_uid_65534(debian_trees, cwd):
    """Unprivileged: the shadow file and the hardened tree's 0600 sshd_config cannot be read (error, never
    pass); everything world-readable is decided as it is for root."""
    _, rows = scan(debian_trees.minimal, cwd, as_nobody=True)
    got = table(rows, f"rootfs:{debian_trees.minimal}")
    assert got[("host-sshd-no-root-login", "sshd")][0] == "fail"  # sshd_config is 0644 on Debian
    assert got[("host-file-shadow", "/etc/shadow")][0] == "pass"  # stat needs no read access
    assert got[("host-pkg-no-telnet-server", "packages")][0] == "pass"
    shadow = [f for f in rows if f["control_id"] == "host-shadow-no-empty-password"]
    assert [(f["status"], f["message"]) for f in shadow] == [
        ("error", "host.shadow not collected: /etc/shadow not readable: run as root or with sudo")]
    _, rows = scan(debian_trees.hardened, cwd, as_nobody=True)
    got = table(rows, f"rootfs:{debian_trees.hardened}")
    status, message = got[("host-sshd-no-root-login", "T")]  # the type is lost: a collection error
    assert status == "error" and "/etc/ssh/sshd_config" in message and "run as root or with sudo" in message
    assert got[("host-file-sshd-config", "/etc/ssh/sshd_config")][0] == "pass"
    assert got[("host-sysctl-ip-forward", "sysctl")][0] == "notchecked"


@ROOT_ONLY
def test_unit_states_match_systemctl_root(debian_trees):
    """The parser's `systemctl is-enabled` logic against systemctl --root (reading the tree, never run by the
    scanner) on both trees."""
    import subprocess

    if shutil.which("systemctl") is None:
        pytest.skip("systemctl not installed")
    for tree in (debian_trees.minimal, debian_trees.hardened):
        ref = subprocess.run(["systemctl", f"--root={tree}", "list-unit-files", "--no-legend", "--no-pager",
                              "--type=service,socket,timer"], capture_output=True, text=True, check=True).stdout
        want = {ln.split()[0]: ln.split()[1] for ln in ref.splitlines() if ln.strip()}
        p = HostProvider()
        coll = p.collect(p.parse_target(f"rootfs:{tree}", {})[0], frozenset({"host.services"}), CollectContext())
        got = {u["name"]: u["enabled"] for u in coll.resources["host.services"][0].attrs["units"]
               if u["enabled"] != "generated"}
        assert got == want


HOSTILE_SECRET = "GOVSCAN-HOST-ONLY-7f3a"


@pytest.fixture()
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    """A tree whose links point at this machine's files (absolute, ../ escapes, a loop) and a host directory
    holding a secret each of them would reveal if followed on this machine."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "secret").write_text(f"{HOSTILE_SECRET}\n")
    (host / "60-x.conf").write_text(f"net.ipv4.ip_forward = 0 # {HOSTILE_SECRET}\n")
    (host / "x.conf").write_text(f"PermitRootLogin yes # {HOSTILE_SECRET}\n")
    host.chmod(0o755)
    up = "../" * 12
    tree = treefs.build({
        "/usr/lib/os-release": 'ID=rhel\nNAME="Tree Linux"\nPRETTY_NAME="Tree Linux 9"\nVERSION_ID="9.4"\n',
        "/etc/os-release": "-> /usr/lib/os-release",  # absolute: the tree's, not this machine's Debian
        "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n",
        "/etc/group": "root:x:0:\n",
        "/etc/shadow": "-> /etc/shadow",  # to "the host's" shadow: a loop inside the tree
        "/etc/gshadow": f"-> {host}/secret",
        "/etc/issue": f"-> {host}/secret",
        "/etc/issue.net": f"-> {up}{str(host).lstrip('/')}/secret",
        "/motd.real": "tree motd\n",
        "/etc/motd": "-> ../../../../etc/../motd.real",
        "/etc/sysctl.d": f"-> {host}",
        "/etc/security/limits.d": f"-> {up}{str(host).lstrip('/')}",
        "/etc/ssh/sshd_config": f"Include /etc/ssh/sshd_config.d/*.conf\nInclude {host}/*.conf\nPermitRootLogin no\n",
        "/etc/ssh/sshd_config.d": f"-> {host}",
        "/usr/sbin/sshd": "binary OpenSSH_9.2p1 text\n",
        "/var/lib/dpkg/status": "-> /var/lib/dpkg/status",
        "/etc/login.defs": f"-> {up}etc/login.defs",
    }, tmp_path / "tree")
    return tree, host


@ROOT_ONLY
def test_hostile_links_never_read_a_file_outside_the_tree(hostile, cwd):
    tree, host = hostile
    types = frozenset({"host.os", "host.shadow", "host.banners", "host.sysctl", "host.sshd", "host.files",
                       "host.packages", "host.login_defs", "host.users"})
    p = HostProvider()
    target = p.parse_target(f"rootfs:{tree}", {})[0]
    from checks.host.script import sections_for

    script, marker = build_script(sections_for(types, rootfs=True), root=str(tree))
    raw = LocalTransport().run_script(script, 30)
    assert HOSTILE_SECRET not in (raw.stdout + raw.stderr).decode()
    coll = p.collect(target, types, CollectContext())
    errors = {e.resource_type: e.message for e in coll.errors}
    assert errors["host.shadow"] == ("/etc/shadow could not be read: shadow: exit code 40: /etc/shadow: too many "
                                     "levels of symbolic links")
    assert "symbolic link" in errors["host.packages"]
    os_ = coll.resources["host.os"][0].attrs
    assert (os_["family"], os_["name"]) == ("rhel", "Tree Linux")
    banners = {r.id: r for r in coll.resources["host.banners"]}
    assert banners["banner:/etc/issue"].attrs["exists"] is False
    assert banners["banner:/etc/issue.net"].attrs["exists"] is False
    assert banners["banner:/etc/motd"].attrs["content"] == "tree motd\n"
    sysctl = coll.resources["host.sysctl"][0]
    assert sysctl.attrs["persisted"] == {} and "net" in sysctl.attr_notchecked
    sshd = coll.resources["host.sshd"]
    assert [r.id for r in sshd] == ["sshd"] and sshd[0].attrs["permitrootlogin"] == "no"
    assert sshd[0].attrs["source"] == "config-files"
    files = {r.id: r.attrs for r in coll.resources["host.files"]}
    assert files["/etc/gshadow"]["type"] == "symlink"  # stat of the link itself, as on a running system
    assert files["/etc/shadow"]["type"] == "symlink"
    # login.defs escapes to "this machine's" /etc/login.defs: inside the tree it is itself, a loop
    assert "host.login_defs" in errors or coll.resources["host.login_defs"][0].attrs["exists"] is False
    # through the CLI: the stored scan holds nothing of the host directory
    db = cwd / "hostile.db"
    run = treefs.govscan(["scan", f"rootfs:{tree}", "--db", str(db)], cwd)
    assert run.returncode in (0, 1), run.stderr
    assert HOSTILE_SECRET.encode() not in db.read_bytes()
    with sqlite3.connect(db) as con:
        dump = "\n".join(con.iterdump())
    assert HOSTILE_SECRET not in dump and HOSTILE_SECRET not in run.stdout + run.stderr


def test_persisted_sysctl_fails_although_the_running_value_is_not_read(tmp_path, cwd):
    """A golden image persisting ip_forward=1 boots forwarding: fail, naming the file and line, even though
    the running value is not checked; persisting 0 is not a pass (the running value is unknown)."""
    base = {"/etc/os-release": "ID=debian\n", "/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
            "/etc/group": "root:x:0:\n"}
    bad = treefs.build({**base, "/etc/sysctl.d/60-router.conf": "# router\nnet.ipv4.ip_forward = 1\n"},
                       tmp_path / "bad")
    good = treefs.build({**base, "/etc/sysctl.d/60-cis.conf": "net.ipv4.ip_forward = 0\n"}, tmp_path / "good")
    got = {}
    for name, tree in (("bad", bad), ("good", good)):
        _, rows = scan(tree, cwd, extra=("-c", "host-sysctl-ip-forward"))
        got[name] = [(f["status"], f["message"]) for f in rows]
    assert got["bad"] == [("fail", "net.ipv4.ip_forward=none; persisted 1 (/etc/sysctl.d/60-router.conf:2) "
                                   "(required: eq 0, running and persisted) (failed on what was read; not checked: "
                                   f"net: {RUNTIME})")]
    assert got["good"] == [("notchecked", f"sysctl: not checked: {RUNTIME}")]


def test_what_was_read_decides_before_a_runtime_attribute_makes_it_notchecked(tmp_path, cwd):
    """On a tree the running audit rules and unit states are not read. Without auditd installed (read from
    the package database) the audit-rule controls do not apply: notapplicable, not notchecked; with auditd
    installed and no rule on disk they fail on what was read; with every rule on disk the running rules
    decide: notchecked, never a pass. A control whose applies_if reads a runtime attribute (whether systemd
    runs: a tree runs nothing) stays notchecked."""
    def pkg(*names):
        return "".join(f"Package: {n}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:3.0-1\n"
                       f"Maintainer: x <x@example.org>\nDescription: x\n\n" for n in names)

    base = {"/etc/os-release": "ID=debian\n", "/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
            "/etc/group": "root:x:0:\n", "/usr/sbin/auditctl": "#!/bin/sh\n"}
    rules = "-w /etc/sudoers -p wa -k scope\n-w /etc/sudoers.d -p wa -k scope\n"
    trees = {
        "absent": {**base, "/var/lib/dpkg/status": pkg("base-files")},
        "no-rules": {**base, "/var/lib/dpkg/status": pkg("base-files", "auditd")},
        "rules": {**base, "/var/lib/dpkg/status": pkg("base-files", "auditd"), "/etc/audit/rules.d/50-scope.rules": rules},
    }
    got = {}
    for name, files in trees.items():
        _, rows = scan(treefs.build(files, tmp_path / name), cwd,
                       extra=("-c", "host-audit-rules-sudoers", "-c", "host-svc-time-sync-active"))
        got[name] = {f["control_id"]: (f["status"], f["message"]) for f in rows}
    assert got["absent"]["host-audit-rules-sudoers"] == ("notapplicable", "auditd is not installed")
    status, message = got["no-rules"]["host-audit-rules-sudoers"]
    assert status == "fail" and "(failed on what was read; not checked: loaded_missing" in message, message
    assert got["rules"]["host-audit-rules-sudoers"] == (
        "notchecked", f"audit_rules: not checked: {RUNTIME}")
    for name in trees:
        assert got[name]["host-svc-time-sync-active"] == ("notchecked", f"services: not checked: {RUNTIME}"), name


@pytest.mark.parametrize("spec, message", [
    ("rootfs:relative/path", "'rootfs:relative/path': a rootfs: target needs an absolute path, e.g. rootfs:/mnt/image"),
    ("rootfs:/nonexistent/govscan-tree", "rootfs:/nonexistent/govscan-tree: no such directory"),
    ("rootfs:/etc/hostname", "rootfs:/etc/hostname: not a directory"),
])
def test_bad_root_path_is_exit_2_with_one_message(cwd, spec, message):
    run = treefs.govscan(["scan", spec, "--db", str(cwd / "x.db")], cwd)
    assert (run.returncode, run.stderr.strip(), run.stdout) == (2, f"govscan: error: {message}", "")


def test_tree_without_etc_is_refused(tmp_path, cwd):
    (tmp_path / "empty").mkdir()
    run = treefs.govscan(["scan", f"rootfs:{tmp_path}/empty", "--db", str(cwd / "x.db")], cwd)
    assert (run.returncode, run.stderr.strip()) == (
        2, f"govscan: error: rootfs:{tmp_path}/empty: not a filesystem tree (it has no etc/ directory)")


@ROOT_ONLY
def test_unreadable_root_as_uid_65534_is_exit_2(cwd):
    locked = treefs.build({"/etc/passwd": "root:x:0:0::/root:/bin/sh\n"}, cwd / "locked")
    locked.chmod(0o700)
    run = treefs.govscan(["scan", f"rootfs:{locked}", "--db", str(cwd / "x.db")], cwd, as_nobody=True)
    assert (run.returncode, run.stderr.strip()) == (
        2, f"govscan: error: rootfs:{locked}: cannot be read (permission denied): run as root or with sudo")


@ROOT_ONLY
def test_reports_render_a_rootfs_scan(debian_trees, cwd):
    from scanner import registry

    formats = [f for f in registry.names(registry.REPORTS) if f != "table"]
    extra: list[str] = []
    for fmt in formats:
        extra += ["-f", fmt, "-o", str(cwd / f"report.{fmt}")]
    run, rows = scan(debian_trees.minimal, cwd, extra=tuple(extra))
    for fmt in formats:
        assert (cwd / f"report.{fmt}").stat().st_size > 0, fmt
    sarif = json.loads((cwd / "report.sarif").read_text())
    assert sarif["runs"][0]["results"], "the failures are in the SARIF log"
    notchecked = sum(f["status"] == "notchecked" for f in rows)
    html = (cwd / "report.html").read_text()
    assert f"rootfs:{debian_trees.minimal}" in html and f"Not checked: {notchecked}" in html
    assert RUNTIME in (cwd / "report.json").read_text()
    assert RUNTIME in (cwd / "report.csv").read_text()


DPKG_STATUS = ("Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\n"
               "Maintainer: x <x@example.org>\nDescription: base\n\n")
UNITS = {
    "/etc/os-release": "ID=debian\n", "/etc/passwd": "root:x:0:0::/root:/bin/sh\n", "/etc/group": "root:x:0:\n",
    "/var/lib/dpkg/status": DPKG_STATUS,
    "/lib": "-> usr/lib",  # merged /usr: /lib/systemd/system is listed once
    "/usr/lib/systemd/system/on.service": "[Unit]\nDescription=x\n[Install]\nWantedBy=multi-user.target\n",
    "/etc/systemd/system/multi-user.target.wants/on.service": "-> /lib/systemd/system/on.service",
    "/usr/lib/systemd/system/off.service": "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n",
    "/usr/lib/systemd/system/multi-user.target.wants/off.service": "-> ../off.service",  # vendor link: not enabled
    "/usr/lib/systemd/system/dep.service": "[Service]\nExecStart=/bin/true\n",
    "/usr/lib/systemd/system/helper.socket": "[Socket]\nListenStream=1\n[Install]\nAlso=on.service\n",
    "/usr/lib/systemd/system/hidden.service": "[Install]\nWantedBy=multi-user.target\n",
    "/etc/systemd/system/hidden.service": "-> /dev/null",
    "/etc/systemd/system/nick.service": "-> /usr/lib/systemd/system/on.service",
    "/usr/lib/systemd/system/tty@.service": "[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n",
    "/etc/systemd/system/getty.target.wants/tty@tty1.service": "-> /usr/lib/systemd/system/tty@.service",
    "/usr/lib/systemd/system/serial@.service": "[Install]\nWantedBy=getty.target\n",
    "/etc/systemd/system/getty.target.wants/serial@ttyS0.service": "-> /usr/lib/systemd/system/serial@.service",
    "/usr/lib/systemd/system/idle@.service": "[Install]\nWantedBy=multi-user.target\n",
    "/etc/systemd/system/local.timer": "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n",
    "/etc/init.d/legacy": "#!/bin/sh\n", "/etc/rc2.d/S01legacy": "-> ../init.d/legacy",
    "/etc/init.d/dormant": "#!/bin/sh\n",
}
UNIT_STATES = {"on.service": "enabled", "off.service": "disabled", "dep.service": "static",
               "helper.socket": "indirect", "hidden.service": "masked", "nick.service": "alias",
               "tty@.service": "enabled", "serial@.service": "indirect", "idle@.service": "disabled", "local.timer": "disabled",
               "legacy.service": "generated"}


def services(tree: Path):
    p = HostProvider()
    coll = p.collect(p.parse_target(f"rootfs:{tree}", {})[0], frozenset({"host.services"}), CollectContext())
    assert coll.errors == []
    return coll.resources["host.services"][0]


def test_unit_enablement_from_the_tree(tmp_path):
    tree = treefs.build(UNITS, tmp_path / "t")
    res = services(tree)
    assert {u["name"]: u["enabled"] for u in res.attrs["units"]} == UNIT_STATES
    assert res.attrs["enabled"] == ["on.service", "tty@.service"]
    assert res.attrs["masked"] == ["hidden.service"]
    assert "off.service" not in res.attrs["enabled_any"] and "legacy.service" in res.attrs["enabled_any"]
    # a tree runs nothing: whether systemd runs is not "no" but not checked
    assert "systemd_running" not in res.attrs
    assert res.attr_notchecked == {"active": RUNTIME, "systemd_running": RUNTIME}
    if shutil.which("systemctl"):  # the reference: systemctl reading the tree (never run by the scanner)
        import subprocess

        ref = subprocess.run(["systemctl", f"--root={tree}", "list-unit-files", "--no-legend", "--no-pager",
                              "--type=service,socket,timer"], capture_output=True, text=True, check=True).stdout
        want = {ln.split()[0]: ln.split()[1] for ln in ref.splitlines() if ln.strip()}
        assert want == {k: v for k, v in UNIT_STATES.items() if v != "generated"}


@pytest.mark.parametrize("machine_id, first_boot", [(None, True), ("uninitialized\n", True), ("", False),
                                                    ("0123456789abcdef0123456789abcdef\n", False)])
def test_first_boot_presets_make_enablement_unknown(tmp_path, machine_id, first_boot):
    """systemd applies presets on a first boot (machine-id(5)): which units are enabled then is not in the tree."""
    tree = {**UNITS, "/usr/lib/systemd/systemd": "elf\n"}
    if machine_id is not None:
        tree["/etc/machine-id"] = machine_id
    res = services(treefs.build(tree, tmp_path / "t"))
    if first_boot:
        assert set(res.attr_errors) == {"units", "enabled", "enabled_any", "enabled_or_running", "masked"}
        assert "first time" in res.attr_errors["enabled"]
    else:
        assert res.attr_errors == {}


DOC = Path(__file__).resolve().parents[2] / "docs" / "host.md"


def test_docs_runtime_table_is_the_declared_data():
    """docs/host.md's table of what a rootfs: target does not check is HostKind's runtime declarations."""
    import re

    from checks.host.resources import HostKind

    text = DOC.read_text()
    block = text.split("<!-- rootfs-runtime:start -->")[1].split("<!-- rootfs-runtime:end -->")[0]
    rows = dict(re.findall(r"^\| (host\.\S+) \| (.*) \|$", block, re.M))
    want = {}
    for kind in HostProvider().kinds():
        if issubclass(kind, HostKind) and kind.runtime_only:
            want[kind.name] = "not collected (runtime only)"
        elif issubclass(kind, HostKind) and kind.runtime_attributes:
            want[kind.name] = "notchecked: " + ", ".join(kind.runtime_attributes)
    assert rows == want


def test_docs_rootfs_commands_exist():
    import re
    import subprocess
    import sys

    section = DOC.read_text().split("## Golden images (rootfs:)")[1].split("\n## ")[0]
    lines = [ln.split("#")[0].strip() for ln in re.findall(r"```sh\n(.*?)```", section, re.S)[0].splitlines()]
    assert lines and all(ln.startswith("govscan scan rootfs:/") for ln in lines if ln)
    help_text = subprocess.run([sys.executable, "-m", "scanner", "scan", "--help"], capture_output=True, text=True,
                               check=True).stdout
    for ln in lines:
        for option in re.findall(r"(?<!\S)(--[a-z][a-z-]*)", ln):
            assert option in help_text
    assert HostProvider().parse_target("rootfs:/", {})[0].id == "rootfs:/"


def test_notchecked_attribute_never_decides_through_an_operator_on_absence():
    """The evaluator fails a control on what was read only when every check on a not-checked attribute stayed
    UNKNOWN: `absent`/`exists` decide on the missing value, so they leave the control notchecked."""
    from scanner.evaluate import evaluate_control
    from scanner.model import Collection, Control, Resource, Severity, Target

    res = Resource("sysctl", "host.sysctl", {"persisted": {"net": {"ipv4": {"ip_forward": 1}}}},
                   attr_notchecked={"net": RUNTIME})
    coll = Collection(resources={"host.sysctl": [res]}, facts={"platform": "linux", "platforms": ["linux", "debian"]})
    target = Target(id="rootfs:/t", kind="host", address="/t")

    def status(assert_):
        ctl = Control(id="c", version="1", title="t", severity=Severity.LOW, provider="host",
                      resource="host.sysctl", assert_=assert_, platforms=("linux",))
        return [f.status.value for f in evaluate_control(ctl, target, coll)]

    persisted_bad = {"key": "persisted.net.ipv4.ip_forward", "op": "eq", "value": 0}
    assert status({"all": [{"key": "net.ipv4.ip_forward", "op": "eq", "value": 0}, persisted_bad]}) == ["fail"]
    assert status({"all": [{"key": "net.ipv4.ip_forward", "op": "absent"}, persisted_bad]}) == ["notchecked"]
    assert status({"any": [{"key": "net.ipv4.ip_forward", "op": "eq", "value": 0}, persisted_bad]}) == ["notchecked"]
    assert status({"key": "net.ipv4.ip_forward", "op": "eq", "value": 0}) == ["notchecked"]


@ROOT_ONLY
def test_walk_is_bounded_to_the_tree_and_judges_owners_by_its_accounts(tmp_path):
    """The walk lists the tree's paths as the tree's, never follows a link out of it, and "no owner" means no
    account in the tree's passwd (uid 0 is root there; uid 4242 is nobody's there)."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "ww-on-host").write_text("x")
    (host / "ww-on-host").chmod(0o666)
    tree = treefs.build({"/etc/os-release": "ID=debian\n", "/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
                         "/etc/group": "root:x:0:\n", "/srv/open": "x", "/srv/orphan": "x", "/srv/tmp/keep": "x",
                         "/etc/outside": f"-> {host}", "/proc/ww-in-proc": "x"}, tmp_path / "tree")
    (tree / "srv" / "open").chmod(0o666)
    (tree / "srv" / "tmp").chmod(0o777)
    (tree / "proc" / "ww-in-proc").chmod(0o666)
    os.chown(tree / "srv" / "orphan", 4242, 4242)
    p = HostProvider()
    coll = p.collect(p.parse_target(f"rootfs:{tree}", {})[0], frozenset({"host.filesystem"}),
                     CollectContext(inputs={"filesystem_walk": True}))
    walk = coll.resources["host.filesystem"][0].attrs
    assert walk["world_writable_files"] == ["/srv/open"]
    assert walk["world_writable_dirs_without_sticky"] == ["/srv/tmp"]
    assert walk["unowned_files"] == ["/srv/orphan"] and walk["ungrouped_files"] == ["/srv/orphan"]


def test_rootfs_target_in_an_inventory(tmp_path, cwd):
    tree = treefs.build({"/etc/os-release": "ID=debian\n", "/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
                         "/etc/group": "root:x:0:\n"}, tmp_path / "img")
    inv = cwd / "inventory.yaml"
    inv.write_text(f"apiVersion: govscan/v1\nkind: Inventory\ntargets:\n  - {{target: 'rootfs:{tree}', name: golden}}\n")
    run = treefs.govscan(["policy", "lint", str(inv)], cwd)
    assert run.returncode == 0, run.stdout + run.stderr
    run = treefs.govscan(["scan", "-i", str(inv), "--db", str(cwd / "inv.db"), "-c", "host-file-passwd"], cwd)
    assert run.returncode in (0, 1), run.stderr
    rows = treefs.findings(cwd / "inv.db", cwd)
    assert [(f["target_id"], f["resource_id"], f["status"]) for f in rows] == [
        (f"rootfs:{tree}", "/etc/passwd", "pass")]


@ROOT_ONLY
def test_fifos_devices_and_forged_names_do_not_hang_or_fool_the_scan(tmp_path):
    """A tree's FIFO or device node in place of a file is not read (it could block or never end): an error for
    what needed it; a unit link named with a newline cannot forge a unit state."""
    tree = treefs.build({"/etc/os-release": "ID=debian\n", "/etc/group": "root:x:0:\n",
                         "/var/lib/dpkg/status": DPKG_STATUS,
                         "/usr/lib/systemd/system/evil.service": "[Install]\nWantedBy=multi-user.target\n",
                         "/etc/systemd/system/multi-user.target.wants/evil.service":
                             "-> /usr/lib/systemd/system/evil.service"}, tmp_path / "t")
    os.mkfifo(tree / "etc" / "passwd")
    os.mkfifo(tree / "etc" / "login.defs")
    os.mknod(tree / "etc" / "issue", 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    os.symlink("/dev/null", tree / "etc" / "systemd" / "system" / "x.service\nl\tevil.service\t")
    p = HostProvider()
    types = frozenset({"host.users", "host.login_defs", "host.banners", "host.services"})
    started = time.monotonic()
    coll = p.collect(p.parse_target(f"rootfs:{tree}", {})[0], types, CollectContext())
    assert time.monotonic() - started < 20
    errors = {e.resource_type: e.message for e in coll.errors}
    assert errors["host.users"].endswith("/etc/passwd: not a regular file on the tree")
    assert errors["host.login_defs"] == "/etc/login.defs not readable: run as root or with sudo"
    assert [r.error for r in coll.resources["host.banners"] if r.id == "banner:/etc/issue"] == [
        "/etc/issue not readable: run as root or with sudo"]
    assert errors["host.services"] == ("systemd unit files of the tree could not be read: a unit directory holds a "
                                       "name or link target with a newline")


MOUNT_IDS = ("host-mount-tmp-separate", "host-mount-tmp-nodev", "host-mount-tmp-noexec", "host-mount-home-nosuid",
             "host-mount-var-log-audit-separate", "host-mount-dev-shm-nodev", "host-mount-dev-shm-noexec")


@ROOT_ONLY
def test_rootfs_mount_options_come_from_the_trees_fstab(tmp_path, cwd):
    """On a tree the mount controls read its /etc/fstab: an entry's options decide (both ways, with file:line
    evidence); no entry is no separate filesystem; /dev/shm without an entry and /tmp with a tmp.mount unit are
    notchecked (systemd's options, decided at boot), a tree without /etc/fstab is an error: never a pass."""
    base = {"/etc/os-release": "ID=debian\nVERSION_ID=12\n", "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\n"}
    fstab = ("# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=1 / ext4 errors=remount-ro 0 1\n"
             "tmpfs /tmp tmpfs defaults,rw,nosuid,nodev,noexec 0 0\n/dev/sdb1 /home ext4 defaults 0 2\n"
             "tmpfs /dev/shm tmpfs rw,nodev 0 0\n")
    tree = treefs.build({**base, "/etc/fstab": fstab}, tmp_path / "good")
    _, rows = scan(tree, cwd, extra=tuple(a for c in MOUNT_IDS for a in ("-c", c)))
    got = {k[0]: v for k, v in table(rows, f"rootfs:{tree}").items()}
    assert got["host-mount-tmp-separate"] == ("pass", "/tmp is mounted from tmpfs (tmpfs)")
    assert got["host-mount-tmp-nodev"] == ("pass", "/tmp is mounted with nodev")
    assert got["host-mount-tmp-noexec"][0] == "pass"
    assert got["host-mount-home-nosuid"] == ("fail", "/home is mounted without nosuid (options: defaults)")
    assert got["host-mount-var-log-audit-separate"] == ("fail", "/var/log/audit is not a separate filesystem")
    assert got["host-mount-dev-shm-nodev"][0] == "pass" and got["host-mount-dev-shm-noexec"][0] == "fail"
    ev = next(f["evidence"] for f in rows if f["control_id"] == "host-mount-home-nosuid")
    assert {"attribute": "nosuid", "path": "/etc/fstab", "line": 4} in ev["locations"]

    tree = treefs.build({**base, "/etc/fstab": "# UNCONFIGURED FSTAB FOR BASE SYSTEM\n",
                         "/etc/systemd/system/local-fs.target.wants/tmp.mount": "-> /usr/lib/systemd/system/tmp.mount",
                         "/usr/lib/systemd/system/tmp.mount": "[Mount]\nOptions=mode=1777,nosuid,nodev\n"},
                        tmp_path / "unit")
    _, rows = scan(tree, cwd, extra=tuple(a for c in MOUNT_IDS for a in ("-c", c)))
    got = {k[0]: v for k, v in table(rows, f"rootfs:{tree}").items()}
    assert got["host-mount-tmp-separate"][0] == got["host-mount-tmp-nodev"][0] == "notchecked"
    assert "tmp.mount unit" in got["host-mount-tmp-nodev"][1]
    assert got["host-mount-dev-shm-noexec"][0] == "notchecked" and "built-in options" in got["host-mount-dev-shm-noexec"][1]
    assert got["host-mount-home-nosuid"][0] == "notapplicable"  # no /home line: not a separate filesystem

    tree = treefs.build(base, tmp_path / "nofstab")
    _, rows = scan(tree, cwd, extra=tuple(a for c in MOUNT_IDS for a in ("-c", c)))
    assert {f["status"] for f in rows} == {"error"}, rows
    assert all("/etc/fstab of the tree could not be read (missing)" in f["message"] for f in rows)
