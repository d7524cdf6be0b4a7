"""DISA STIG file rules (stig-files area): policies/controls/host/stig_files.yaml, checks/host/facts_stig_files.sh,
policies/stig/mapping-files.json.

Each control is proven both ways on small trees laid out here (Ubuntu 22.04 and RHEL 9 shaped) and scanned through
the real CLI (`govscan scan rootfs:`): a compliant tree passes, a non-compliant one fails with the path and value in
the message. The opt-in walk over the command and library directories is notchecked without the walk, fails on
planted files, and is an error when a name could forge a line; a listing over its bound is an error, never a pass.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import treefs

from scanner.policy import stig
from scanner.policy.loader import load
from scanner.policy.tailor import select

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (the trees' files are chowned)")

UBUNTU_OS = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n'
RHEL_OS = 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.4"\nPRETTY_NAME="RHEL 9.4"\n'
PASSWD = ("root:x:0:0:root:/root:/bin/bash\nsyslog:x:104:110::/home/syslog:/usr/sbin/nologin\n"
          "u:x:1000:1000::/home/u:/bin/bash\n")
GROUP = "root:x:0:\nadm:x:4:syslog\nsyslog:x:110:\nsystemd-journal:x:999:\nu:x:1000:\n"
UNIX_AUTH = "auth [success=1 default=ignore] pam_unix.so try_first_pass\nauth requisite pam_deny.so\n"

# path -> (content, mode, uid, gid); content "/" is a directory
GOOD = {
    "/var/log": ("/", 0o755, 0, 110),
    "/var/log/syslog": ("x\n", 0o640, 104, 4),
    "/usr/bin/journalctl": ("#!/bin/false\n", 0o740, 0, 0),
    "/var/log/journal": ("/", 0o2750, 0, 999),
    "/var/log/journal/0123abcd": ("/", 0o2750, 0, 999),
    "/var/log/journal/0123abcd/system.journal": ("j", 0o640, 0, 999),
    "/etc/ssh/sshd_config.d": ("/", 0o700, 0, 0),
    "/etc/ssh/sshd_config.d/10-stig.conf": ("PermitRootLogin no\n", 0o600, 0, 0),
    "/etc/pam.d/common-auth": (UNIX_AUTH, 0o644, 0, 0),
    "/etc/pam.d/common-password": ("password [success=1 default=ignore] pam_unix.so obscure sha512\n", 0o644, 0, 0),
}
BAD = {
    "/var/log": ("/", 0o775, 0, 0),
    "/var/log/syslog": ("x\n", 0o644, 0, 0),
    "/usr/bin/journalctl": ("#!/bin/false\n", 0o755, 0, 0),
    "/var/log/journal": ("/", 0o2750, 0, 999),
    "/var/log/journal/0123abcd": ("/", 0o2755, 0, 0),
    "/var/log/journal/0123abcd/system.journal": ("j", 0o644, 1000, 999),
    "/etc/ssh/sshd_config.d": ("/", 0o755, 0, 0),
    "/etc/ssh/sshd_config.d/10-stig.conf": ("PermitRootLogin no\n", 0o644, 1000, 0),
    # nullok on a module other than pam_unix: host-pam-no-nullok (CIS) passes, the STIG rule does not
    "/etc/pam.d/common-auth": (UNIX_AUTH + "auth optional pam_exec.so nullok /bin/true\n", 0o644, 0, 0),
    "/etc/pam.d/common-password": ("password [success=1 default=ignore] pam_unix.so obscure sha512\n", 0o644, 0, 0),
}
ROOTFILES = "".join(f"C /root/{n} 600 root root - /usr/share/rootfiles/{n}\n"
                    for n in (".bash_logout", ".bash_profile", ".bashrc", ".cshrc", ".tcshrc"))
RHEL_GOOD = {
    "/var/log": ("/", 0o755, 0, 0),
    "/var/log/messages": ("x\n", 0o600, 0, 0),
    "/etc/shadow": ("root:*:19000:0:99999:7:::\n", 0o000, 0, 0),
    "/etc/shadow-": ("root:*:19000:0:99999:7:::\n", 0o000, 0, 0),
    "/etc/gshadow": ("root:::\n", 0o000, 0, 0),
    "/etc/gshadow-": ("root:::\n", 0o000, 0, 0),
    "/etc/ssh/sshd_config.d": ("/", 0o700, 0, 0),
    "/etc/ssh/sshd_config.d/50-redhat.conf": ("Include /etc/crypto-policies/back-ends/opensshserver.config\n",
                                              0o600, 0, 0),
    "/etc/pam.d/system-auth": (UNIX_AUTH, 0o644, 0, 0),
    "/etc/pam.d/password-auth": (UNIX_AUTH, 0o644, 0, 0),
    "/home/u": ("/", 0o700, 1000, 1000),
    "/boot/grub2/grub.cfg": ("set default=0\n", 0o600, 0, 0),
    "/root": ("/", 0o550, 0, 0),
    "/root/.bashrc": ("umask 077\n", 0o600, 0, 0),
    "/home/u/.bash_profile": ("", 0o740, 1000, 1000),
    "/etc/tmpfiles.d/rootfiles.conf": (ROOTFILES, 0o644, 0, 0),
}
RHEL_BAD = {
    "/var/log": ("/", 0o755, 0, 110),
    "/var/log/messages": ("x\n", 0o640, 0, 4),
    "/etc/shadow": ("root:*:19000:0:99999:7:::\n", 0o640, 0, 0),
    "/etc/shadow-": ("root:*:19000:0:99999:7:::\n", 0o400, 0, 0),
    "/etc/gshadow": ("root:::\n", 0o640, 0, 0),
    "/etc/gshadow-": ("root:::\n", 0o000, 0, 0),
    "/etc/ssh/sshd_config.d": ("/", 0o700, 0, 0),
    "/etc/pam.d/system-auth": ("auth sufficient pam_unix.so try_first_pass nullok\n", 0o644, 0, 0),
    "/etc/pam.d/password-auth": (UNIX_AUTH, 0o644, 0, 0),
    "/home/u": ("/", 0o750, 1000, 4),
    "/boot/grub2/grub.cfg": ("set default=0\n", 0o600, 1000, 4),
    "/root": ("/", 0o550, 0, 0),
    "/root/.bashrc": ("umask 077\n", 0o644, 0, 0),
    "/etc/tmpfiles.d/rootfiles.conf": (ROOTFILES.replace(".cshrc 600", ".cshrc 644"), 0o644, 0, 0),
}


def build(root: Path, files: dict[str, tuple[str, int, int, int]], os_release: str) -> Path:
    base = {"/etc/os-release": os_release, "/etc/passwd": PASSWD, "/etc/group": GROUP}
    treefs.build({**base, **{p: c for p, (c, _, _, _) in files.items()}}, root)
    for path, (_, mode, uid, gid) in files.items():
        p = root / path.lstrip("/")
        os.chown(p, uid, gid)
        p.chmod(mode)
    return root


def scan(tree: Path, cwd: Path, *args: str) -> dict[str, list[tuple[str, str, str]]]:
    db = cwd / "scan.db"
    if db.exists():
        db.unlink()
    run = treefs.govscan(["scan", f"rootfs:{tree}", "--db", str(db), "-q", "--gate", "none", *args], cwd)
    assert run.returncode == 0, run.stderr
    return treefs.by_control(treefs.findings(db, cwd))


UBUNTU_CONTROLS = ["stig-var-log-*", "stig-journal*", "stig-sshd-*", "stig-pam-no-nullok", "host-pam-no-nullok"]


def test_ubuntu_file_controls_pass_on_a_compliant_tree(tmp_path):
    got = scan(build(tmp_path / "t", GOOD, UBUNTU_OS), tmp_path, *(x for c in UBUNTU_CONTROLS for x in ("-c", c)))
    assert got["stig-var-log-mode"] == [("/var/log", "pass", "/var/log is 0755")]
    assert got["stig-var-log-group-syslog"] == [("/var/log", "pass", "/var/log is 0755 root:syslog")]
    assert got["stig-var-log-group-root"][0][1] == "notapplicable"  # the RHEL 9 value, platform rhel
    assert got["stig-var-log-syslog-mode"] == [("/var/log/syslog", "pass", "/var/log/syslog is 0640")]
    assert got["stig-var-log-syslog-owner"] == [("/var/log/syslog", "pass", "/var/log/syslog is 0640 syslog:adm")]
    assert got["stig-journalctl-mode"] == [("/usr/bin/journalctl", "pass", "/usr/bin/journalctl is 0740")]
    for cid in ("stig-journal-dirs-mode", "stig-journal-files-mode", "stig-journal-dirs-owner",
                "stig-journal-dirs-group", "stig-journal-files-owner", "stig-journal-files-group",
                "stig-sshd-drop-ins-mode", "stig-sshd-drop-ins-owner", "stig-sshd-drop-ins-group",
                "stig-sshd-config-d-mode", "stig-pam-no-nullok"):
        assert [s for _, s, _ in got[cid]] == ["pass"], (cid, got[cid])
    assert got["stig-journal-dirs-group"][0][2] == "every journal directory is group-owned by systemd-journal"
    assert got["stig-pam-no-nullok"][0][2] == "no nullok in the debian PAM stacks"
    # /var/log/messages is RHEL's: absent here, not applicable
    assert got["stig-var-log-messages-mode"][0][1] == "notapplicable"


def test_ubuntu_file_controls_fail_on_a_non_compliant_tree(tmp_path):
    got = scan(build(tmp_path / "t", BAD, UBUNTU_OS), tmp_path, *(x for c in UBUNTU_CONTROLS for x in ("-c", c)))
    assert got["stig-var-log-mode"] == [("/var/log", "fail", "/var/log is 0775 (allowed bits ur, uw, ux, gr, gx, or, "
                                                             "ox)")]
    assert got["stig-var-log-group-syslog"] == [("/var/log", "fail", "/var/log is group-owned by root (approved: syslog)")]
    assert got["stig-var-log-syslog-mode"][0][1:] == ("fail", "/var/log/syslog is 0644 (allowed bits ur, uw, gr)")
    assert got["stig-var-log-syslog-owner"][0][1:] == ("fail", "/var/log/syslog is owned by root (approved: syslog)")
    assert got["stig-var-log-syslog-group"][0][1:] == ("fail", "/var/log/syslog is group-owned by root (approved: adm)")
    assert got["stig-journalctl-mode"][0][1:] == ("fail", "/usr/bin/journalctl is 0755 (allowed bits ur, uw, ux, gr)")
    j = "/var/log/journal/0123abcd"
    assert got["stig-journal-dirs-mode"][0][1:] == ("fail", f"{j} is 2755 (allowed bits ur, uw, ux, gr, gx, sgid)")
    assert got["stig-journal-dirs-group"][0][1:] == ("fail", f"{j} is group-owned by root (approved: systemd-journal)")
    assert got["stig-journal-files-mode"][0][1:] == ("fail", f"{j}/system.journal is 0644 (allowed bits ur, uw, gr)")
    assert got["stig-journal-files-owner"][0][1:] == ("fail", f"{j}/system.journal is owned by u (approved: root)")
    assert [s for _, s, _ in got["stig-journal-files-group"]] == ["pass"]
    d = "/etc/ssh/sshd_config.d"
    assert got["stig-sshd-config-d-mode"] == [(d, "fail", f"{d} is 0755 (allowed bits ur, uw, ux)")]
    assert got["stig-sshd-drop-ins-mode"][0][1:] == ("fail", f"{d}/10-stig.conf is 0644 (allowed bits ur, uw)")
    assert got["stig-sshd-drop-ins-owner"][0][1:] == ("fail", f"{d}/10-stig.conf is owned by u (approved: root)")
    assert got["stig-pam-no-nullok"][0][1:] == ("fail", "/etc/pam.d/common-auth: auth pam_exec.so carries nullok")
    assert [s for _, s, _ in got["host-pam-no-nullok"]] == ["pass"]  # the CIS control looks at pam_unix only


def test_rhel_file_controls_both_ways(tmp_path):
    sel = [x for c in ("stig-var-log-*", "stig-file-*shadow*", "stig-sshd-50-redhat-exists", "stig-pam-no-nullok",
                       "stig-home-group-primary", "stig-grub2-cfg-*", "stig-user-init-files-mode",
                       "stig-rootfiles-tmpfiles")
           for x in ("-c", c)]
    good = scan(build(tmp_path / "g", RHEL_GOOD, RHEL_OS), tmp_path, *sel)
    bad = scan(build(tmp_path / "b", RHEL_BAD, RHEL_OS), tmp_path, *sel)
    for cid in ("stig-var-log-group-root", "stig-var-log-messages-mode", "stig-var-log-messages-group",
                "stig-file-shadow-mode", "stig-file-shadow-backup-mode", "stig-file-gshadow-mode",
                "stig-file-gshadow-backup-mode", "stig-sshd-50-redhat-exists", "stig-pam-no-nullok",
                "stig-home-group-primary", "stig-grub2-cfg-owner", "stig-grub2-cfg-group", "stig-user-init-files-mode",
                "stig-rootfiles-tmpfiles"):
        assert [s for _, s, _ in good[cid]] == ["pass"], (cid, good[cid])
    assert good["stig-var-log-group-syslog"][0][1] == "notapplicable"
    assert bad["stig-var-log-group-root"] == [("/var/log", "fail", "/var/log is group-owned by syslog (approved: root)")]
    assert bad["stig-var-log-messages-mode"][0][1:] == ("fail", "/var/log/messages is 0640 (allowed bits ur, uw)")
    assert bad["stig-var-log-messages-group"][0][1:] == ("fail", "/var/log/messages is group-owned by adm (approved: root)")
    assert bad["stig-file-shadow-mode"] == [("/etc/shadow", "fail", "/etc/shadow is 0640 (required: 0000)")]
    assert bad["stig-file-shadow-backup-mode"] == [("/etc/shadow-", "fail", "/etc/shadow- is 0400 (required: 0000)")]
    assert bad["stig-file-gshadow-mode"][0][1] == "fail"
    assert [s for _, s, _ in bad["stig-file-gshadow-backup-mode"]] == ["pass"]
    assert bad["stig-sshd-50-redhat-exists"] == [("/etc/ssh/sshd_config.d/50-redhat.conf", "fail",
                                                  "/etc/ssh/sshd_config.d/50-redhat.conf does not exist")]
    assert bad["stig-pam-no-nullok"][0][1:] == ("fail", "/etc/pam.d/system-auth: auth pam_unix.so carries nullok")
    assert bad["stig-user-init-files-mode"] == [("user-init-files", "fail", "/root/.bashrc is 0644 (allowed bits ur, uw, "
                                                                             "ux, gr)")]
    assert bad["stig-rootfiles-tmpfiles"] == [("user-init-files", "fail", "no tmpfiles.d entry at mode 600 for .cshrc")]
    g = "/boot/grub2/grub.cfg"
    assert bad["stig-grub2-cfg-owner"] == [(g, "fail", f"{g} is owned by u (approved: root)")]
    assert bad["stig-grub2-cfg-group"] == [(g, "fail", f"{g} is group-owned by adm (approved: root)")]
    assert bad["stig-home-group-primary"] == [("home-group:u", "fail", "/home/u is group-owned by adm (the primary group "
                                                                       "of u is u)")]


def test_drop_in_listing_over_its_bound_is_an_error(tmp_path):
    tree = build(tmp_path / "t", GOOD, UBUNTU_OS)
    d = tree / "etc/ssh/sshd_config.d"
    for n in range(2001):
        (d / f"{n:04}.conf").write_text("")
        (d / f"{n:04}.conf").chmod(0o600)
    got = scan(tree, tmp_path, "-c", "stig-sshd-drop-ins-mode")
    [(_, status, msg)] = got["stig-sshd-drop-ins-mode"]
    assert status == "error" and "more than the fact script lists under /etc/ssh/sshd_config.d" in msg, msg


WALK = ["-c", "stig-bin-*", "-c", "stig-lib-*", "-c", "stig-no-*shosts*", "-c", "stig-world-writable-dirs-system-owned",
        "-c", "stig-file-no-ungrouped", "-c", "host-file-world-writable"]
WALK_CONTROLS = ["stig-bin-dirs-not-writable", "stig-bin-dirs-root-owned", "stig-bin-dirs-root-group",
                 "stig-bin-files-not-writable", "stig-bin-files-root-owned", "stig-bin-files-system-group",
                 "stig-lib-dirs-not-writable", "stig-lib-dirs-root-owned", "stig-lib-dirs-root-group",
                 "stig-lib-files-not-writable", "stig-lib-files-root-owned", "stig-lib-files-root-group",
                 "stig-no-shosts-equiv", "stig-no-user-shosts", "stig-world-writable-dirs-system-owned",
                 "stig-file-no-ungrouped"]


def walk_tree(root: Path) -> Path:
    """A merged-/usr tree (/bin -> usr/bin, /lib -> usr/lib) with a clean command and library set."""
    build(root, {"/usr/bin/ls": ("x", 0o755, 0, 0), "/usr/sbin/sshd": ("x", 0o755, 0, 0),
                 "/usr/lib/x86_64-linux-gnu/libc.so.6": ("x", 0o755, 0, 0), "/usr/libexec/helper": ("x", 0o755, 0, 0),
                 "/tmp": ("/", 0o1777, 0, 0), "/home/u": ("/", 0o700, 1000, 1000)}, UBUNTU_OS)
    os.symlink("usr/bin", root / "bin")
    os.symlink("usr/lib", root / "lib")
    return root


def test_walk_controls_are_notchecked_without_the_walk(tmp_path):
    got = scan(walk_tree(tmp_path / "t"), tmp_path, *WALK)
    for cid in WALK_CONTROLS:
        [(_, status, msg)] = got[cid]
        assert status == "notchecked" and "the filesystem walk is off" in msg, (cid, got[cid])


def test_walk_controls_both_ways(tmp_path):
    tree = walk_tree(tmp_path / "t")
    good = scan(tree, tmp_path, *WALK, "--input", "filesystem_walk=true")
    for cid in WALK_CONTROLS:
        assert [s for _, s, _ in good[cid]] == ["pass"], (cid, good[cid])
    assert good["stig-lib-files-root-group"][0][2] == "every shared library is group-owned by root"
    # plant one breach of each rule
    (tree / "usr/bin/ls").chmod(0o775)
    os.chown(tree / "usr/sbin/sshd", 1000, 1000)
    (tree / "usr/local/bin").mkdir(parents=True)
    (tree / "usr/local/bin").chmod(0o777)
    os.chown(tree / "usr/local/bin", 1000, 1000)
    (tree / "usr/lib/x86_64-linux-gnu").chmod(0o775)
    os.chown(tree / "usr/lib/x86_64-linux-gnu", 1000, 4)
    lib = tree / "usr/lib/x86_64-linux-gnu/libc.so.6"
    lib.chmod(0o757)
    os.chown(lib, 1000, 4)
    (tree / "etc/shosts.equiv").write_text("+\n")
    (tree / "home/u/.shosts").write_text("+\n")
    (tree / "tmp/shared").mkdir()
    (tree / "tmp/shared").chmod(0o1777)
    os.chown(tree / "tmp/shared", 1000, 1000)
    os.chown(tree / "usr/libexec/helper", 0, 4242)  # a gid /etc/group does not know
    bad = scan(tree, tmp_path, *WALK, "--input", "filesystem_walk=true")
    want = {
        "stig-bin-dirs-not-writable": "1 command directories writable by group or others, e.g. /usr/local/bin",
        "stig-bin-dirs-root-owned": "1 command directories not owned by root, e.g. /usr/local/bin",
        "stig-bin-dirs-root-group": "1 command directories not group-owned by root, e.g. /usr/local/bin",
        "stig-bin-files-not-writable": "1 system command files writable by group or others, e.g. /usr/bin/ls",
        "stig-bin-files-root-owned": "2 system command files or directories not owned by root, e.g. /usr/local/bin",
        "stig-bin-files-system-group": "1 system command files group-owned by gid 1000 or more, e.g. /usr/sbin/sshd",
        "stig-lib-dirs-not-writable": "1 library directories writable by group or others, e.g. "
                                      "/usr/lib/x86_64-linux-gnu",
        "stig-lib-dirs-root-owned": "1 library directories not owned by root, e.g. /usr/lib/x86_64-linux-gnu",
        "stig-lib-dirs-root-group": "1 library directories not group-owned by root, e.g. /usr/lib/x86_64-linux-gnu",
        "stig-lib-files-not-writable": "1 shared libraries writable by group or others, e.g. "
                                       "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "stig-lib-files-root-owned": "1 shared libraries not owned by root, e.g. /usr/lib/x86_64-linux-gnu/libc.so.6",
        "stig-lib-files-root-group": "1 shared libraries not group-owned by root, e.g. "
                                     "/usr/lib/x86_64-linux-gnu/libc.so.6",
        "stig-no-shosts-equiv": "1 shosts.equiv files, e.g. /etc/shosts.equiv",
        "stig-no-user-shosts": "1 .shosts files, e.g. /home/u/.shosts",
        "stig-world-writable-dirs-system-owned": "2 world-writable directories owned by uid 1000 or more, e.g. "
                                                 "/tmp/shared",
        "stig-file-no-ungrouped": "1 files without a known group, e.g. /usr/libexec/helper",
    }
    for cid, msg in want.items():
        assert bad[cid] == [("system-files" if cid != "stig-file-no-ungrouped" else "filesystem", "fail", msg)], \
            (cid, bad[cid])


def test_a_name_that_could_forge_a_line_makes_the_walk_an_error(tmp_path):
    tree = walk_tree(tmp_path / "t")
    (tree / "usr/bin/evil\nbdir_perm\t").write_text("x")
    got = scan(tree, tmp_path, "-c", "stig-bin-files-not-writable", "-c", "host-file-world-writable",
               "--input", "filesystem_walk=true")
    [(_, status, msg)] = got["stig-bin-files-not-writable"]
    assert status == "error" and "holds a newline" in msg, msg


@pytest.fixture(scope="module")
def pset():
    return load()


def test_coverage_went_up(pset):
    """Before this area: Ubuntu 39/188 (CAT I 2), RHEL 9 107/440 (CAT I 6); after: 67 (CAT I 3), 162 (CAT I 9)."""
    u = stig.coverage("ubuntu-22.04", select(pset, ["stig-ubuntu2204"]).controls.values())
    r = stig.coverage("rhel-9", select(pset, ["stig-rhel9"]).controls.values())
    assert u.as_dict()["covered"] >= 67 and u.by_cat["CAT I"][0] >= 3
    assert r.as_dict()["covered"] >= 162 and r.by_cat["CAT I"][0] >= 9
    run = treefs.govscan(["policy", "list", "-p", "stig-rhel9"], Path.cwd())
    line = next(x for x in run.stdout.splitlines() if x.startswith("STIG rhel-9:"))
    assert int(line.split(": ")[2].split()[0]) >= 162
    att = stig.attachments("rhel-9")
    assert set(att["V-257955"]) == {"stig-no-shosts-equiv"} and set(att["V-258094"]) == {"stig-pam-no-nullok"}
    assert set(stig.attachments("ubuntu-22.04")["V-260509"]) == {"stig-var-log-group-syslog"}
    assert set(att["V-257915"]) == {"stig-var-log-group-root"}


def test_cklb_lists_the_file_rules(tmp_path):
    """-p stig-ubuntu2204 on the non-compliant tree: the checklist has the file rules Open, a walk rule Not_Reviewed
    (no walk), the rules of the compliant tree Not_A_Finding."""
    out = {}
    for name, files in (("good", GOOD), ("bad", BAD)):
        tree = build(tmp_path / name, files, UBUNTU_OS)
        db = tmp_path / f"{name}.db"
        run = treefs.govscan(["scan", f"rootfs:{tree}", "--db", str(db), "-q", "--gate", "none",
                              "-p", "stig-ubuntu2204"], tmp_path)
        assert run.returncode == 0, run.stderr
        rep = treefs.govscan(["report", "--db", str(db), "-f", "cklb"], tmp_path)
        assert rep.returncode == 0, rep.stderr
        out[name] = {r["group_id"]: r["status"] for r in json.loads(rep.stdout)["stigs"][0]["rules"]}
    for vuln in ("V-260491", "V-260512", "V-260570", "V-260488", "V-260509", "V-260502"):
        assert (out["good"][vuln], out["bad"][vuln]) == ("not_a_finding", "open"), vuln
    assert out["bad"]["V-260487"] == "not_reviewed"  # library files: the walk is off
    shutil.rmtree(tmp_path / "good")


M = "==GOVSCAN:0000000000000000=="
FSTAB_GOOD = ("# /etc/fstab\n/dev/mapper/rhel-root / xfs defaults 0 0\n"
              "/dev/mapper/rhel-home /home xfs defaults,nodev,nosuid,noexec 0 0\n"
              "UUID=0b9c /boot xfs defaults,nodev,nosuid 0 0\nUUID=7A1B /boot/efi vfat umask=0077,nosuid 0 2\n"
              "/dev/mapper/rhel-swap none swap defaults 0 0\nsrv:/export /mnt/nfs nfs4 nodev,noexec,nosuid,_netdev 0 0\n")
MOUNTS_GOOD = ("/dev/mapper/rhel-root / xfs rw,relatime 0 0\nproc /proc proc rw,nosuid,nodev,noexec 0 0\n"
               "/dev/mapper/rhel-home /home xfs rw,nosuid,nodev,noexec,relatime 0 0\n"
               "/dev/sda1 /boot xfs rw,nosuid,nodev,relatime 0 0\n/dev/sda2 /boot/efi vfat rw,nosuid,relatime 0 0\n")
FSTAB_CONTROLS = ["stig-mount-home-noexec", "stig-mount-boot-nodev", "stig-mount-boot-nosuid", "stig-mount-boot-efi-nosuid",
                  "stig-mount-nonroot-local-nodev", "stig-mount-nfs-nodev", "stig-mount-nfs-noexec", "stig-mount-nfs-nosuid"]
RUNNING_CONTROLS = ["stig-mount-home-noexec-running", "stig-mount-boot-nodev-running", "stig-mount-boot-nosuid-running",
                    "stig-mount-boot-efi-nosuid-running", "stig-mount-nonroot-local-nodev-running"]
MOUNT_CONTROLS = FSTAB_CONTROLS + RUNNING_CONTROLS


def evaluate(sections: dict[str, str], types: list[str], controls: list[str], root: str = "") -> dict[str, tuple]:
    """The controls on recorded section outputs (a running RHEL 9 host's documented formats), through the provider's
    parse (a file tree when ``root``: runtime data removed)."""
    from golden_support import TARGET

    from checks.host.provider import HostProvider
    from checks.host.script import Output, Section
    from scanner.evaluate import evaluate_control

    out = Output(sections={k: Section(k, stdout=v, rc=0) for k, v in sections.items()}, marker=M)
    out.root = root
    coll = HostProvider.parse(out, types)
    pset = load().controls
    got = {}
    for cid in controls:
        [f] = evaluate_control(pset[cid], TARGET, coll)
        got[cid] = (f.status.value, f.message)
    return got


def fstab(text: str) -> str:
    return f"{M} FILE /etc/fstab ok\n{text}\n"


def test_mount_options_both_ways_on_a_running_host():
    good = evaluate({"stig_fstab": fstab(FSTAB_GOOD), "mounts": MOUNTS_GOOD}, ["host.fstab"], MOUNT_CONTROLS)
    assert {c: s for c, (s, _) in good.items()} == {c: "pass" for c in MOUNT_CONTROLS}, good
    assert good["stig-mount-home-noexec-running"][1] == "/home carries noexec in the running mount table"
    # /home persisted right but mounted without noexec now; /var without nodev; an NFS entry without the options
    bad = evaluate({"stig_fstab": fstab(FSTAB_GOOD + "/dev/mapper/rhel-var /var xfs defaults 0 0\n"
                                        "nas:/home /srv/home nfs defaults 0 0\n"),
                    "mounts": MOUNTS_GOOD.replace("nosuid,nodev,noexec,relatime", "nosuid,nodev,relatime")
                    + "/dev/mapper/rhel-var /var xfs rw,relatime 0 0\n"},
                   ["host.fstab"], MOUNT_CONTROLS)
    assert bad["stig-mount-home-noexec"][0] == "pass"
    assert bad["stig-mount-home-noexec-running"] == ("fail", "/home lacks noexec in the running mount table (options: "
                                                             "rw, nosuid, nodev, relatime)")
    assert bad["stig-mount-nonroot-local-nodev"] == ("fail", "/var (/dev/mapper/rhel-var) lacks nodev in /etc/fstab "
                                                             "(options: defaults)")
    assert bad["stig-mount-nonroot-local-nodev-running"] == ("fail", "/var (/dev/mapper/rhel-var) is mounted without "
                                                                     "nodev (options: rw, relatime)")
    assert bad["stig-mount-nfs-nosuid"] == ("fail", "/srv/home (nas:/home) lacks nosuid (options: defaults)")
    assert bad["stig-mount-boot-nodev"][0] == "pass"
    # no separate /boot/efi: not applicable
    none = evaluate({"stig_fstab": fstab("/dev/sda1 / ext4 defaults 0 1\n"), "mounts": "/dev/sda1 / ext4 rw 0 0\n"},
                    ["host.fstab"], ["stig-mount-boot-efi-nosuid", "stig-mount-boot-efi-nosuid-running"])
    assert none["stig-mount-boot-efi-nosuid"] == ("notapplicable", "/boot/efi is not a separate filesystem in /etc/fstab")
    assert none["stig-mount-boot-efi-nosuid-running"][0] == "notapplicable"


def test_mount_options_on_a_file_tree():
    """/etc/fstab decides on a tree; the running mount table is notchecked there, never a pass."""
    tree = evaluate({"stig_fstab": fstab(FSTAB_GOOD)}, ["host.fstab"], MOUNT_CONTROLS, root="/tree")
    assert {c: tree[c][0] for c in FSTAB_CONTROLS} == {c: "pass" for c in FSTAB_CONTROLS}
    assert {c: tree[c][0] for c in RUNNING_CONTROLS} == {c: "notchecked" for c in RUNNING_CONTROLS}
    bad = evaluate({"stig_fstab": fstab(FSTAB_GOOD.replace("defaults,nodev,nosuid 0 0", "defaults 0 0"))},
                   ["host.fstab"], MOUNT_CONTROLS, root="/tree")
    assert bad["stig-mount-boot-nosuid"] == ("fail", "/boot lacks nosuid in /etc/fstab (options: defaults)")
    unread = evaluate({"stig_fstab": f"{M} FILE /etc/fstab unreadable\n", "mounts": MOUNTS_GOOD}, ["host.fstab"],
                      ["stig-mount-nfs-nodev"])
    assert unread["stig-mount-nfs-nodev"][0] == "error"


def test_cronie_package_both_ways():
    pkgs = "GS_MANAGER=rpm\nbash\t5.1.8-9.el9\tii\n"
    got = evaluate({"os": RHEL_OS, "packages": pkgs + "cronie\t1.5.7-11.el9\tii\n"}, ["host.packages"], ["stig-pkg-cronie"])
    assert got["stig-pkg-cronie"] == ("pass", "cronie 1.5.7-11.el9 is installed")
    got = evaluate({"os": RHEL_OS, "packages": pkgs}, ["host.packages"], ["stig-pkg-cronie"])
    assert got["stig-pkg-cronie"] == ("fail", "cronie is not installed")
