"""The RHEL family content on RHEL 9 shaped trees (tests/host/rhel_tree.py) scanned through the CLI with
``rootfs:``: every RHEL control both ways (the ``default`` install, the CIS ``hardened`` tree, a ``weak`` one),
as root and as uid 65534; the RHEL controls not applicable on Debian, with the reason; recorded outputs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import rhel_tree
import treefs

from checks.host.parsers import rhel
from checks.host.parsers.system import parse_packages
from checks.host.script import parse_output

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (trees with root-only files)")
RUNTIME = "needs a running system (rootfs: target)"
RPM = pytest.mark.skipif(rhel_tree.rpm_usable() is not None, reason=str(rhel_tree.rpm_usable()))

#: control -> status on the (default, hardened, weak) trees.
EXPECTED = {
    "host-crypto-policy-not-legacy": ("pass", "pass", "fail"),
    "host-crypto-policy-allowed": ("pass", "pass", "fail"),
    "host-crypto-policy-sshd-not-overridden": ("pass", "pass", "fail"),
    "host-crypto-policy-sshd-include": ("pass", "pass", "pass"),
    "host-selinux-enforcing": ("notchecked", "notchecked", "fail"),  # running mode: not on a tree
    "host-selinux-not-disabled": ("pass", "pass", "pass"),  # permissive is not disabled
    "host-selinux-policy-type": ("pass", "pass", "pass"),
    "host-selinux-bootloader": ("pass", "pass", "fail"),
    "host-svc-firewalld-enabled": ("pass", "pass", "fail"),
    "host-firewalld-default-zone": ("pass", "pass", "fail"),
    "host-dnf-gpgcheck": ("pass", "pass", "pass"),
    "host-dnf-repo-gpgcheck": ("pass", "pass", "fail"),
    "host-grub2-password": ("fail", "pass", "fail"),
    "host-file-grub2-cfg": ("pass", "pass", "pass"),
    "host-file-grub2-user-cfg": ("notapplicable", "pass", "notapplicable"),
    "host-pam-authselect": ("fail", "pass", "fail"),
    "host-pam-faillock-enabled": ("fail", "pass", "fail"),
    "host-pam-no-nullok": ("fail", "pass", "fail"),
    "host-sshd-ciphers": ("pass", "pass", "fail"),  # LEGACY's back-end offers aes256-cbc
    "host-sshd-no-root-login": ("fail", "pass", "fail"),
    "host-svc-cron-enabled": ("pass", "pass", "pass"),
}
RPM_EXPECTED = {
    "host-pkg-libselinux": ("pass", "pass", "pass"),
    "host-pkg-firewalld": ("pass", "pass", "pass"),
    "host-pkg-no-mcstrans": ("pass", "pass", "fail"),
    "host-pkg-no-setroubleshoot": ("pass", "pass", "fail"),
    "host-pkg-no-telnet-server": ("pass", "pass", "pass"),
}
KINDS = ("default", "hardened", "weak")


@pytest.fixture(scope="module")
def trees() -> Iterator[dict[str, Path]]:
    base = Path(tempfile.mkdtemp(prefix="gs-rhel-"))
    base.chmod(0o755)
    try:
        yield {k: rhel_tree.build(k, base / k) for k in KINDS}
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture()
def cwd() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="gs-rhel-run-"))
    d.chmod(0o777)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def scan(tree: Path, cwd: Path, *, as_nobody: bool = False) -> dict[str, list[tuple[str, str, str]]]:
    db = cwd / f"{tree.name}.db"
    run = treefs.govscan(["scan", f"rootfs:{tree}", "--db", str(db)], cwd, as_nobody=as_nobody)
    assert run.returncode in (0, 1), run.stderr
    return treefs.by_control(treefs.findings(db, cwd))


@ROOT_ONLY
def test_rhel_controls_both_ways_on_rhel9_trees(trees, cwd):
    want = {**EXPECTED, **(RPM_EXPECTED if rhel_tree.rpm_usable() is None else {})}
    got = {k: scan(trees[k], cwd) for k in KINDS}
    table = {c: tuple(got[k][c][0][1] for k in KINDS) for c in want}
    assert table == want
    weak = {c: got["weak"][c][0][2] for c in want}
    assert weak["host-crypto-policy-not-legacy"] == "the system-wide crypto policy is LEGACY (/etc/crypto-policies/config:1)"
    assert weak["host-dnf-repo-gpgcheck"] == "/etc/yum.repos.d/vendor.repo:5: repository vendor-tools has gpgcheck=0"
    assert weak["host-crypto-policy-sshd-not-overridden"] == (
        "CRYPTO_POLICY= is set at /etc/sysconfig/sshd:18: sshd ignores the system-wide crypto policy")
    assert weak["host-selinux-bootloader"].startswith("SELinux is disabled at boot: /etc/default/grub:6: selinux=0, "
                                                      "/boot/loader/entries/")
    assert weak["host-selinux-enforcing"].endswith(f"(failed on what was read; not checked: current_mode: {RUNTIME})")
    assert got["default"]["host-selinux-enforcing"][0][2] == f"selinux: not checked: {RUNTIME}"
    assert got["hardened"]["host-grub2-password"][0][2] == "the boot loader password is set (/boot/grub2/user.cfg:1)"
    assert weak["host-firewalld-default-zone"].startswith("the default zone is trusted (/etc/firewalld/firewalld.conf:6)")
    # the OS family comes from the tree's os-release: the Debian-only grub path is not the RHEL one
    assert got["default"]["host-file-grub-cfg"][0][1] == "notapplicable"


@ROOT_ONLY
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv not installed")
def test_rhel_tree_as_uid_65534(trees, cwd):
    """/etc/shadow is 0000 and /boot/grub2 0700 on RHEL: unprivileged, those are errors, never a pass; the rest
    (crypto policy, SELinux config, dnf, 0644 files) is decided as for root."""
    got = scan(trees["hardened"], cwd, as_nobody=True)
    assert got["host-grub2-password"][0][1] == "error"
    assert "/boot/grub2/user.cfg could not be read" in got["host-grub2-password"][0][2]
    assert [s for _, s, _ in got["host-file-grub2-cfg"]] == ["error"]
    assert [s for _, s, _ in got["host-shadow-no-empty-password"]] == ["error"]
    for cid in ("host-crypto-policy-not-legacy", "host-selinux-not-disabled", "host-dnf-repo-gpgcheck",
                "host-firewalld-default-zone"):
        assert got[cid][0][1] == "pass", (cid, got[cid])


@ROOT_ONLY
def test_rhel_controls_not_applicable_on_debian(debian_trees, cwd):
    got = scan(debian_trees.minimal, cwd)
    target = f"rootfs:{debian_trees.minimal}"
    for cid in list(EXPECTED)[:14] + ["host-pam-authselect"]:
        if cid in ("host-file-grub2-cfg",):
            continue
        assert got[cid] == [(target, "notapplicable", f"{debian_trees.minimal}: not applicable: the control is for "
                                                      "rhel; this target is linux/debian (Debian GNU/Linux 12 (bookworm))")]


MARKER = "==GOVSCAN:test=="


def framed(section: str, body: str, rc: int = 0) -> str:
    return f"{MARKER} BEGIN {section}\n{body}\n{MARKER} STDERR {section}\n\n{MARKER} END {section} rc={rc}\n"


def test_recorded_rpm_qa_output():
    """`rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\tii\\n'` as recorded on RHEL 9.4."""
    body = "GS_MANAGER=rpm\nopenssh-server\t8.7p1-38.el9\tii\nlibselinux\t3.6-1.el9\tii\ngpg-pubkey\t5a6340b3-6229229e\tii"
    res = parse_packages(parse_output(framed("packages", body), MARKER))[0]
    assert res.attrs["manager"] == "rpm" and res.attrs["installed"]["libselinux"] == "3.6-1.el9"
    assert res.attrs["count"] == 3


def dnf(files: dict[str, str | None]) -> dict:
    body = "\n".join(f"{MARKER} FILE {p} {'ok' if t is not None else 'missing'}\n{t or ''}" for p, t in files.items())
    res = rhel.parse_dnf(parse_output(framed("dnf", body), MARKER))[0]
    return {"attrs": res.attrs, "errors": res.attr_errors, "sources": res.sources}


def test_dnf_repositories_inherit_main_and_default_to_off():
    got = dnf({"/etc/dnf/dnf.conf": "[main]\nbest=True\n", "/etc/yum.conf": None,
               "/etc/yum.repos.d/a.repo": "[a]\nbaseurl=x\n[b]\ngpgcheck = yes\n"})
    assert "gpgcheck" not in got["attrs"]  # not set in [main]: the control fails (dnf's default is off)
    assert [(r["id"], r["gpgcheck"], r["line"]) for r in got["attrs"]["repos"]] == [("a", 0, 2), ("b", 1, 4)]
    assert got["sources"]["repos"] == ({"path": "/etc/yum.repos.d/a.repo", "line": 2},)
    got = dnf({"/etc/dnf/dnf.conf": None, "/etc/yum.conf": "[main]\ngpgcheck=1\n",
               "/etc/yum.repos.d/a.repo": "[a]\nbaseurl=x\n"})
    assert got["attrs"]["conf"] == "/etc/yum.conf" and got["attrs"]["repos"][0]["gpgcheck"] == 1


def test_unreadable_repo_file_is_an_error_not_a_pass():
    body = (f"{MARKER} FILE /etc/dnf/dnf.conf ok\n[main]\ngpgcheck=1\n\n{MARKER} FILE /etc/yum.repos.d/ ok\n"
            f"{MARKER} FILE /etc/yum.repos.d/x.repo unreadable")
    res = rhel.parse_dnf(parse_output(framed("dnf", body), MARKER))[0]
    assert "repos" not in res.attrs and "x.repo could not be read" in res.attr_errors["repos"]


def test_crypto_policy_with_modules_and_missing_config():
    body = f"{MARKER} FILE /etc/crypto-policies/config ok\n# comment\nfips:OSPP\n\n{MARKER} FILE /etc/sysconfig/sshd missing"
    res = rhel.parse_crypto_policy(parse_output(framed("crypto_policy", body), MARKER))[0]
    assert (res.attrs["base"], res.attrs["modules"], res.attrs["policy_at"]) == ("FIPS", ["OSPP"], "/etc/crypto-policies/config:2")
    assert res.attrs["sshd_override"] is False
    body = f"{MARKER} FILE /etc/crypto-policies/config unreadable\n{MARKER} FILE /etc/sysconfig/sshd missing"
    res = rhel.parse_crypto_policy(parse_output(framed("crypto_policy", body), MARKER))[0]
    assert set(res.attr_errors) >= {"configured", "base"}


@ROOT_ONLY
def test_fips_required_through_the_input_docs_give(trees, cwd):
    """docs/host.md: `--input host-crypto-policy-allowed.allowed_policies=[FIPS]` makes a DEFAULT policy fail."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "host.md").read_text()
    arg = "host-crypto-policy-allowed.allowed_policies=[FIPS]"
    assert f"--input {arg}" in doc
    db = cwd / "fips.db"
    run = treefs.govscan(["scan", f"rootfs:{trees['default']}", "--db", str(db), "-c", "host-crypto-policy-allowed",
                          "--input", arg], cwd)
    assert run.returncode in (0, 1), run.stderr
    rows = treefs.findings(db, cwd)
    assert [(f["status"], f["message"]) for f in rows] == [
        ("fail", "the system-wide crypto policy is DEFAULT (/etc/crypto-policies/config:1); allowed: FIPS")]


@ROOT_ONLY
def test_aide_is_one_rpm_on_rhel(cwd):
    """RHEL ships AIDE as one `aide` rpm (Debian splits it in aide + aide-common): installed is a pass there,
    and a tree without it still fails."""
    if rhel_tree.rpm_usable() is not None:
        pytest.skip(rhel_tree.rpm_usable())
    base = Path(tempfile.mkdtemp(prefix="gs-rhel-aide-"))
    base.chmod(0o755)
    try:
        with_aide = rhel_tree.build("default", base / "with", packages={**rhel_tree.PACKAGES, "aide": "0.16-103.el9"})
        without = rhel_tree.build("default", base / "without")
        got = {}
        for tree in (with_aide, without):
            run = treefs.govscan(["scan", f"rootfs:{tree}", "-c", "host-aide-installed", "--db", str(cwd / f"{tree.name}.db")],
                                 cwd)
            assert run.returncode in (0, 1), run.stderr
            got[tree.name] = treefs.by_control(treefs.findings(cwd / f"{tree.name}.db", cwd))["host-aide-installed"][0][1:]
        assert got == {"with": ("pass", "AIDE is installed (database present: false)"),
                       "without": ("fail", "AIDE is not installed (aide, aide-common)")}
    finally:
        shutil.rmtree(base, ignore_errors=True)
