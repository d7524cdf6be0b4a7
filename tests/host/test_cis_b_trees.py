"""CIS Debian 12 sections 5-7 content on the real debootstrap trees (tests/host/debootstrap.py): Debian's defaults
(``minimal``, with sudo, rsyslog, auditd, AIDE and libpam-pwquality installed) fail what Debian does not harden,
and the tree tests/host/harden_tree.sh edited passes it. The running audit rules are recorded ``auditctl -l`` output
(a tree has no kernel): "No rules" for the minimal tree, the CIS set for the hardened one."""

from __future__ import annotations

from pathlib import Path

import hostfs
import pytest
from cis_b_support import collect, statuses

pytestmark = pytest.mark.skipif(hostfs.usable() is not None, reason=str(hostfs.usable()))
RECORDED = Path(__file__).parent / "data" / "auditctl-l-cis.txt"

#: Debian 12's defaults fail these; harden_tree.sh fixes each.
HARDENED = (
    "host-sudo-logfile", "host-su-restricted", "host-pam-pwhistory-enabled", "host-pam-pwhistory-enforce-root",
    "host-pam-pwhistory-use-authtok", "host-pam-pwquality-enforce-root", "host-pam-pwquality-maxsequence",
    "host-shell-timeout", "host-shell-umask", "host-log-files-permissions", "host-aide-audit-tools",
    "host-journald-forward-to-rsyslog",
    *(f"host-audit-rules-{i}" for i in ("sudoers", "user-emulation", "sudo-log", "time-change", "network", "access",
                                        "identity", "perm-mod", "mounts", "session", "logins", "delete", "mac-policy",
                                        "chcon", "setfacl", "chacl", "usermod", "modules")),
)
#: Debian 12's defaults already comply.
DEFAULT_OK = (
    "host-sudo-installed", "host-sudo-use-pty", "host-sudo-no-nopasswd", "host-sudo-reauthentication",
    "host-sudo-timestamp-timeout", "host-pkg-pam-runtime", "host-pkg-pam-modules", "host-pkg-pam-pwquality",
    "host-pam-unix-enabled", "host-pam-unix-no-remember", "host-pam-unix-use-authtok", "host-pam-pwquality-enforcing",
    "host-shadow-root-access-controlled", "host-group-gid0-root-only", "host-user-root-gid-0", "host-shell-root-umask",
    "host-shell-nologin-not-listed", "host-file-shells", "host-home-directories", "host-home-dot-files",
    "host-journald-enabled", "host-logging-single-system", "host-rsyslog-installed", "host-rsyslog-enabled",
    "host-rsyslog-file-create-mode", "host-rsyslog-no-remote-input",
    "host-aide-installed", "host-aide-scheduled", *(f"host-audit-{k}" for k in (
        "log-dir-mode", "log-file-mode", "log-file-owner", "log-file-group", "config-mode", "config-owner",
        "config-group", "tools-mode", "tools-owner", "tools-group")),
)
#: rsyslog is installed: the journald-only recommendations (6.1.2.x) do not apply to either tree.
JOURNALD_ONLY = ("host-journald-persistent", "host-journald-compress", "host-journald-no-forward-to-syslog",
                 "host-journal-remote-installed", "host-journal-upload-enabled", "host-journal-remote-not-listening")


def verdicts(tree: Path, loaded: str) -> dict[str, list[tuple[str, str, str]]]:
    coll = collect(tree, replace={"audit_rules": loaded, "audit_status": "GS_INSTALLED=1\nenabled 1"})
    return statuses(coll, HARDENED + DEFAULT_OK + JOURNALD_ONLY + ("host-audit-rules-privileged", "host-pam-faillock-root"))


def summary(got: dict[str, list[tuple[str, str, str]]]) -> dict[str, list[str]]:
    return {cid: sorted({st for _, st, _ in v}) for cid, v in got.items()}


def test_minimal_debian_fails_what_debian_does_not_harden(debian_trees):
    got = verdicts(debian_trees.minimal, "No rules")
    want = {**{c: ["fail"] for c in HARDENED}, **{c: ["pass"] for c in DEFAULT_OK},
            **{c: ["notapplicable"] for c in JOURNALD_ONLY},
            "host-audit-rules-privileged": ["notchecked"], "host-pam-faillock-root": ["notapplicable"]}
    assert summary(got) == want
    msg = {cid: v[0][2] for cid, v in got.items()}
    assert msg["host-su-restricted"] == ("su: pam_wheel absent (group not given, use_uid false, group exists unknown, "
                                         "members none)")
    assert msg["host-sudo-logfile"] == ("sudoers sets no log file (Defaults logfile=; files read: /etc/sudoers, "
                                        "/etc/sudoers.d/README)")
    assert msg["host-shell-timeout"] == ("TMOUT set to none (readonly false, exported false; required: 1 to 900, "
                                         "readonly, exported)")
    assert msg["host-shell-umask"] == ("default umask: weaker setting 0022 (/etc/login.defs:151); all settings 0022 "
                                       "(required: at least one allowing at most ur, uw, ux, gr, gx, none weaker)")
    assert msg["host-audit-rules-sudo-log"] == (
        "changes to the sudo log file: missing from /etc/audit/rules.d: a watch on the sudo log file, which sudoers "
        "does not set (Defaults logfile=, CIS 5.2.3); not loaded: a watch on the sudo log file, which sudoers does not "
        "set (Defaults logfile=, CIS 5.2.3)")
    assert msg["host-pam-pwquality-maxsequence"] == "pwquality maxsequence = unset (required: 1 to 3)"
    assert msg["host-log-files-permissions"].startswith("4 of ")
    # Debian's compiled-in default is yes (its journald.conf shows `#ForwardToSyslog=yes`), but CIS 6.1.3.3 wants the line
    assert msg["host-journald-forward-to-rsyslog"] == ("journald ForwardToSyslog=yes (required: yes, set in journald.conf "
                                                       "or a drop-in; keys set: none)")


def test_hardened_debian_passes_the_settings_the_script_applied(debian_trees):
    got = verdicts(debian_trees.hardened, RECORDED.read_text())
    want = {**{c: ["pass"] for c in HARDENED + DEFAULT_OK}, **{c: ["notapplicable"] for c in JOURNALD_ONLY},
            "host-audit-rules-privileged": ["notchecked"], "host-pam-faillock-root": ["pass"]}
    assert summary(got) == want
    msg = {cid: v[0][2] for cid, v in got.items()}
    assert msg["host-su-restricted"] == "su requires membership of sugroup, which has no members (/etc/pam.d/su:7)"
    assert msg["host-shell-timeout"] == "TMOUT=900 (/etc/profile.d/60-cis.sh:2), readonly and exported"
    assert msg["host-pam-faillock-root"] == "faillock: even_deny_root true, root_unlock_time 60"
