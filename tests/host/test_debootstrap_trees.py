"""The host content on real Debian 12 trees made with debootstrap (tests/host/debootstrap.py): Debian's own
defaults (``minimal``) and the same tree after tests/host/harden_tree.sh (``hardened``).

Here the real fact script runs on this machine in a private mount namespace where the tree's files are
bind-mounted over the machine's (tests/host/hostfs.py): login.defs, /etc/ssh (read by this machine's
``sshd -T``, the same OpenSSH 9.2 as the tree's) and the sysctl/limits files, so running kernel values are
this machine's. tests/host/test_rootfs.py scans the same trees as ``rootfs:`` targets (nothing of this machine
read, runtime values not checked).
"""

from __future__ import annotations

from pathlib import Path

import hostfs
import pytest
from golden_support import TARGET, baseline

from checks.host.provider import HostProvider
from checks.host.script import build_script, parse_output
from scanner.evaluate import evaluate_control

pytestmark = pytest.mark.skipif(hostfs.usable() is not None, reason=str(hostfs.usable()))

BINDS = ("/etc/login.defs", "/etc/ssh", *hostfs.BIND_POINTS)
#: Debian's defaults fail these; harden_tree.sh fixes each.
HARDENED = ("host-login-defs-pass-max-days", "host-login-defs-umask", "host-sshd-no-root-login",
            "host-sshd-max-auth-tries", "host-sshd-login-grace-time", "host-sshd-client-alive-interval")
#: Debian's default already complies (PASS_WARN_AGE 7, HostbasedAuthentication no).
DEFAULT_OK = ("host-login-defs-pass-warn-age", "host-sshd-no-hostbased-auth")
#: Running values are this machine's (non-compliant here), so these fail on both trees: what the trees change
#: is the persisted value the message reports, with the file and line it came from.
PERSISTED = ("host-sysctl-log-martians",)
CONTROLS = HARDENED + DEFAULT_OK + PERSISTED


def binds(tree: Path, empty: Path) -> dict[str, Path]:
    """Each bind point from the tree; an empty file or directory where the tree has none (minbase has no systemd)."""
    out = {}
    for point in BINDS:
        if not Path(point).exists():
            continue
        src = tree / point.lstrip("/")
        if not src.exists():
            src = empty / ("dir" if Path(point).is_dir() else "file")
        out[point] = src
    return out


def statuses(tree: Path, tmp_path: Path) -> dict[str, list[tuple[str, str]]]:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").touch()
    script, marker = build_script(["os", "login_defs", "sshd", "sysctl", "sysctl_conf", "limits"])
    out = parse_output(hostfs.run_script(binds(tree, tmp_path), script), marker)
    coll = HostProvider.parse(out, ["host.os", "host.login_defs", "host.sshd", "host.sysctl"])
    sel = baseline()
    return {cid: [(f.status.value, f.message) for f in evaluate_control(sel.controls[cid], TARGET, coll,
                                                                       sel.inputs.get(cid))] for cid in CONTROLS}


def test_trees_are_debian_12(debian_trees):
    for tree in (debian_trees.minimal, debian_trees.hardened):
        assert (tree / "etc/debian_version").read_text().startswith("12.")
        assert (tree / "usr/sbin/sshd").is_file()
    assert not (debian_trees.minimal / "etc/ssh/sshd_config.d/50-cis.conf").exists()
    assert (debian_trees.hardened / "etc/ssh/sshd_config.d/50-cis.conf").is_file()


def test_minimal_debian_fails_what_debian_does_not_harden(debian_trees, tmp_path):
    got = statuses(debian_trees.minimal, tmp_path)
    want = {**{cid: ["fail"] for cid in HARDENED + PERSISTED}, **{cid: ["pass"] for cid in DEFAULT_OK}}
    assert {cid: [s for s, _ in f] for cid, f in got.items()} == want, got
    assert "persisted net.ipv4.conf.all.log_martians=none (not set)" in got["host-sysctl-log-martians"][0][1]
    assert got["host-login-defs-pass-max-days"] == [("fail", "PASS_MAX_DAYS is 99999 (required: le 365)")]
    assert got["host-sshd-login-grace-time"] == [("fail", "LoginGraceTime is 120s (required: 1 to 60)")]


def test_hardened_debian_passes_the_settings_the_script_applied(debian_trees, tmp_path):
    got = statuses(debian_trees.hardened, tmp_path)
    got_martians = got.pop("host-sysctl-log-martians")
    assert {cid: [s for s, _ in f] for cid, f in got.items()} == {cid: ["pass"] for cid in HARDENED + DEFAULT_OK}, got
    running = int(Path("/proc/sys/net/ipv4/conf/all/log_martians").read_text())
    assert got_martians[0][0] == ("pass" if running == 1 else "fail")
    assert "persisted net.ipv4.conf.all.log_martians=1 (/etc/sysctl.d/60-cis.conf:23)" in got_martians[0][1]


def test_mirror_comes_from_the_apt_configuration(tmp_path):
    import debootstrap

    (tmp_path / "sources.list.d").mkdir()
    with pytest.raises(debootstrap.TreesUnavailable, match="no apt source serves 'bookworm main'"):
        debootstrap.apt_mirror(tmp_path)
    (tmp_path / "sources.list").write_text("deb [arch=amd64 signed-by=/k/one.gpg] http://mirror.invalid/debian bookworm main\n")
    assert debootstrap.apt_mirror(tmp_path) == ("http://mirror.invalid/debian", "/k/one.gpg")
    (tmp_path / "sources.list.d" / "a.sources").write_text(
        "Types: deb\nURIs: http://sec.invalid/debian-security\nSuites: bookworm-security\nComponents: main\n\n"
        "Types: deb deb-src\n# comment\nURIs: http://deb822.invalid/debian\nSuites: bookworm bookworm-updates\n"
        "Components: main contrib\nSigned-By: /k/two.gpg\n")
    assert debootstrap.apt_mirror(tmp_path) == ("http://mirror.invalid/debian", "/k/one.gpg")  # sources.list first
    (tmp_path / "sources.list").unlink()
    assert debootstrap.apt_mirror(tmp_path) == ("http://deb822.invalid/debian", "/k/two.gpg")
