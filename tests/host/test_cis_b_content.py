"""CIS Debian 12 sections 5-7 content on small file trees: the real fact script reads each tree (GS_ROOT, and bind
mounts for the sections that read fixed paths: tests/host/cis_b_support.py), each control is shown failing and
passing with its message, and what cannot be read is an error, never a pass.

Only what a running system alone has is recorded output: ``auditctl -l`` (tests/host/data/auditctl-l-cis.txt, in
the format auditctl prints) and the walk's setuid list.
"""

from __future__ import annotations

from pathlib import Path

import hostfs
import pytest
from cis_b_support import collect, make_tree, statuses

pytestmark = pytest.mark.skipif(hostfs.usable() is not None, reason=str(hostfs.usable()))
DATA = Path(__file__).parent / "data"


def one(tmp_path: Path, files: dict[str, str], packages: tuple[str, ...], types: list[str], controls: list[str],
        **kw) -> dict[str, tuple[str, str]]:
    tree = make_tree(tmp_path / "tree", files, packages)
    got = statuses(collect(tree, types, **kw), controls)
    assert all(len(v) == 1 for v in got.values()), got
    return {cid: (v[0][1], v[0][2]) for cid, v in got.items()}


SUDO = ["host-sudo-installed", "host-sudo-use-pty", "host-sudo-logfile", "host-sudo-no-nopasswd",
        "host-sudo-reauthentication", "host-sudo-timestamp-timeout"]


def test_sudo_hardened_through_includedir(tmp_path):
    got = one(tmp_path, {
        "/etc/sudoers": "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n",
        "/etc/sudoers.d/60-cis": 'Defaults use_pty, logfile="/var/log/sudo.log"\nDefaults timestamp_timeout=10\n',
        "/etc/sudoers.d/skipped.conf": "alice ALL=(ALL) NOPASSWD: ALL\n",  # sudo skips names with a dot
    }, ("sudo",), ["host.sudo"], SUDO)
    assert got == {
        "host-sudo-installed": ("pass", "sudo is installed"),
        "host-sudo-use-pty": ("pass", "sudoers sets use_pty"),
        "host-sudo-logfile": ("pass", "sudo logs to /var/log/sudo.log"),
        "host-sudo-no-nopasswd": ("pass", "no sudoers rule has NOPASSWD"),
        "host-sudo-reauthentication": ("pass", "no Defaults entry disables authentication"),
        "host-sudo-timestamp-timeout": ("pass", "sudo timestamp_timeout is 10.0 minutes"),
    }


def test_sudo_weakened_in_an_included_file(tmp_path):
    got = one(tmp_path, {
        "/etc/sudoers": "Defaults use_pty\n#include /etc/sudoers.d/admins\n",
        "/etc/sudoers.d/admins": "Defaults:alice !use_pty\nDefaults !authenticate\nDefaults timestamp_timeout=-1\n"
                                 "alice ALL=(ALL) NOPASSWD: ALL\n",
    }, ("sudo",), ["host.sudo"], SUDO)
    assert got["host-sudo-use-pty"] == ("fail", "sudoers does not set use_pty for everyone (negated at: "
                                        "/etc/sudoers.d/admins:1 Defaults:alice !use_pty; files read: /etc/sudoers, "
                                        "/etc/sudoers.d/admins)")
    assert got["host-sudo-logfile"][0] == "fail"
    assert got["host-sudo-no-nopasswd"] == ("fail", "/etc/sudoers.d/admins:4: alice ALL=(ALL) NOPASSWD: ALL")
    assert got["host-sudo-reauthentication"] == ("fail", "/etc/sudoers.d/admins:2: Defaults !authenticate")
    assert got["host-sudo-timestamp-timeout"] == ("fail", "sudo timestamp_timeout is -1.0 minutes (required: 0 to 15)")


def test_sudo_include_not_read_is_an_error_not_a_pass(tmp_path):
    got = one(tmp_path, {"/etc/sudoers": "Defaults use_pty\n@include /opt/sudoers.local\n"}, ("sudo",),
              ["host.sudo"], ["host-sudo-use-pty", "host-sudo-no-nopasswd", "host-sudo-installed"])
    assert got["host-sudo-use-pty"] == ("error", "sudo: use_pty could not be read: /opt/sudoers.local (included) was "
                                        "not read by the fact script")
    assert got["host-sudo-no-nopasswd"][0] == "error"
    assert got["host-sudo-installed"] == ("pass", "sudo is installed")


def test_sudo_not_installed(tmp_path):
    got = one(tmp_path, {}, (), ["host.sudo"], ["host-sudo-installed", "host-sudo-use-pty"])
    assert got == {"host-sudo-installed": ("fail", "sudo is not installed (neither sudo nor sudo-ldap)"),
                   "host-sudo-use-pty": ("notapplicable", "sudo is not installed")}


def test_su_restricted_to_an_empty_group(tmp_path):
    pam_su = "auth sufficient pam_rootok.so\nauth required pam_wheel.so use_uid group=sugroup\n"
    got = one(tmp_path, {"/etc/pam.d/su": pam_su, "/etc/group": "root:x:0:\nsugroup:x:990:alice\n"}, (),
              ["host.su"], ["host-su-restricted"])
    assert got["host-su-restricted"] == ("fail", "su: pam_wheel /etc/pam.d/su:2 (group sugroup, use_uid true, group "
                                         "exists true, members alice)")
    got = one(tmp_path / "2", {"/etc/pam.d/su": pam_su, "/etc/group": "root:x:0:\nsugroup:x:990:\n"}, (),
              ["host.su"], ["host-su-restricted"])
    assert got["host-su-restricted"] == ("pass", "su requires membership of sugroup, which has no members "
                                         "(/etc/pam.d/su:2)")
    got = one(tmp_path / "3", {"/etc/pam.d/su": "auth sufficient pam_rootok.so\n"}, (), ["host.su"],
              ["host-su-restricted"])
    assert got["host-su-restricted"][0] == "fail"


SHELL = ["host-shell-timeout", "host-shell-umask", "host-shell-root-umask", "host-shell-nologin-not-listed"]


def test_shell_settings_compliant(tmp_path):
    got = one(tmp_path, {
        "/etc/profile.d/60-cis.sh": "umask 027\nTMOUT=900\nreadonly TMOUT\nexport TMOUT\n",
        "/etc/login.defs": "UMASK 027\n", "/root/.bashrc": "umask 0077\n",
    }, (), ["host.shell"], SHELL)
    assert got == {
        "host-shell-timeout": ("pass", "TMOUT=900 (/etc/profile.d/60-cis.sh:2), readonly and exported"),
        "host-shell-umask": ("pass", "default umask: 0027, 0027"),
        "host-shell-root-umask": ("pass", "root's start-up files set no umask weaker than 0027"),
        "host-shell-nologin-not-listed": ("pass", "/etc/shells does not list nologin"),
    }


def test_shell_settings_weak(tmp_path):
    got = one(tmp_path, {
        "/etc/profile.d/60-cis.sh": "umask 027\nexport TMOUT=1800\n",
        "/etc/bash.bashrc": "# umask 077 (a comment)\numask 022\n", "/etc/login.defs": "UMASK 027\n",
        "/root/.profile": "umask u=rwx,g=rwx,o=rx\n", "/etc/shells": "/bin/bash\n/usr/sbin/nologin\n",
    }, (), ["host.shell"], SHELL)
    assert got["host-shell-timeout"] == ("fail", "TMOUT set to 1800 (readonly false, exported true; required: 1 to 900, "
                                         "readonly, exported)")
    assert got["host-shell-umask"] == ("fail", "default umask: weaker setting 0022 (/etc/bash.bashrc:2); all settings "
                                       "0022, 0027, 0027 (required: at least one allowing at most ur, uw, ux, gr, gx, "
                                       "none weaker)")
    assert got["host-shell-root-umask"] == ("fail", "/root/.profile:1: umask 0002 (allowed bits ur, uw, ux, gr, gx)")
    assert got["host-shell-nologin-not-listed"] == ("fail", "/etc/shells lists /usr/sbin/nologin")


def test_accounts_without_a_valid_shell_must_be_locked(tmp_path):
    got = one(tmp_path, {
        "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\nsvc:x:998:998::/srv:/usr/sbin/nologin\n",
        "/etc/shadow": "root:$y$j9T$abc$def:19700:0:99999:7:::\nsvc:$y$j9T$abc$def:19700:0:99999:7:::\n",
    }, (), ["host.shadow"], ["host-shadow-invalid-shell-locked", "host-shadow-root-access-controlled"])
    assert got == {
        "host-shadow-invalid-shell-locked": ("fail", "svc has shell /usr/sbin/nologin, not in /etc/shells, and its "
                                             "password is set"),
        "host-shadow-root-access-controlled": ("pass", "root's password is set"),
    }
    got = one(tmp_path / "2", {"/etc/shadow": "root::19700:0:99999:7:::\ndaemon:!:19700::::::\n"}, (),
              ["host.shadow"], ["host-shadow-invalid-shell-locked", "host-shadow-root-access-controlled"])
    assert got == {"host-shadow-invalid-shell-locked": ("pass", "daemon (shell /usr/sbin/nologin) is locked"),
                   "host-shadow-root-access-controlled": ("fail", "root's password is empty")}


JOURNALD = ["host-journald-persistent", "host-journald-compress", "host-journald-no-forward-to-syslog",
            "host-journal-remote-installed", "host-rsyslog-installed"]


def test_journald_drop_in_precedence(tmp_path):
    got = one(tmp_path, {
        "/etc/systemd/journald.conf": "[Journal]\n#ForwardToSyslog=yes\nStorage=auto\n",
        "/usr/lib/systemd/journald.conf.d/50-vendor.conf": "[Journal]\nStorage=volatile\nCompress=no\n",
        "/etc/systemd/journald.conf.d/50-vendor.conf": "[Journal]\nStorage=persistent\n",  # masks the /usr/lib one
        "/etc/systemd/journald.conf.d/90-local.conf": "[Journal]\nForwardToSyslog=no\n",
    }, ("systemd-journal-remote",), ["host.logging"], JOURNALD)
    assert got == {
        "host-journald-persistent": ("pass", "journald Storage=persistent"),
        # the masked vendor drop-in's Compress=no is not read; the compiled-in yes is not written, as CIS 6.1.2.3 wants
        "host-journald-compress": ("fail", "journald Compress=yes (required: yes, set in journald.conf or a drop-in; "
                                   "keys set: ForwardToSyslog, Storage)"),
        "host-journald-no-forward-to-syslog": ("pass", "journald ForwardToSyslog=no"),
        "host-journal-remote-installed": ("pass", "systemd-journal-remote is installed"),
        "host-rsyslog-installed": ("notapplicable", "rsyslog is not installed: journald is the logging method, so the "
                                   "rsyslog recommendations (CIS 6.1.3) do not apply"),
    }


def test_journald_compress_written_passes(tmp_path):
    got = one(tmp_path, {"/etc/systemd/journald.conf": "[Journal]\n#Compress=yes\n",
                         "/etc/systemd/journald.conf.d/60-cis.conf": "[Journal]\nCompress=yes\n"}, (),
              ["host.logging"], JOURNALD)
    assert got["host-journald-compress"] == ("pass", "journald Compress=yes")


def test_journald_defaults_fail(tmp_path):
    # Debian documents ForwardToSyslog=yes as its default in the commented line: that is the effective value.
    got = one(tmp_path, {"/etc/systemd/journald.conf": "[Journal]\n#Storage=auto\n#ForwardToSyslog=yes\n",
                         "/etc/systemd/journald.conf.d/60.conf": "[Journal]\nCompress=no\n"}, (),
              ["host.logging"], JOURNALD)
    assert got["host-journald-persistent"] == ("fail", "journald Storage=auto (required: persistent)")
    assert got["host-journald-compress"] == ("fail", "journald Compress=no (required: yes, set in journald.conf or a "
                                             "drop-in; keys set: Compress)")
    assert got["host-journald-no-forward-to-syslog"] == ("fail", "journald ForwardToSyslog=yes (required: no)")
    assert got["host-journal-remote-installed"] == ("fail", "systemd-journal-remote is not installed")


RSYSLOG = ["host-rsyslog-file-create-mode", "host-rsyslog-no-remote-input", "host-journald-persistent"]


def test_rsyslog_remote_input_and_lax_file_mode(tmp_path):
    got = one(tmp_path, {
        "/etc/rsyslog.conf": "$FileCreateMode 0640\n$IncludeConfig /etc/rsyslog.d/*.conf\n",
        "/etc/rsyslog.d/50-net.conf": 'module(load="imtcp")\ninput(type="imtcp"\n      port="514")\n'
                                      "$FileCreateMode 0644\n",
    }, ("rsyslog",), ["host.logging"], RSYSLOG)
    assert got == {
        "host-rsyslog-file-create-mode": ("fail", "rsyslog FileCreateMode 0644 /etc/rsyslog.d/50-net.conf:4 (allowed "
                                          "bits ur, uw, gr)"),
        "host-rsyslog-no-remote-input": ("fail", '/etc/rsyslog.d/50-net.conf:1: module(load="imtcp")'),
        "host-journald-persistent": ("notapplicable", "rsyslog is installed: it is the logging method, so the "
                                     "journald-only recommendations (CIS 6.1.2) do not apply"),
    }
    got = one(tmp_path / "2", {"/etc/rsyslog.conf": 'module(load="builtin:omfile" fileCreateMode="0600")\n'
                                                    'include(file="/etc/rsyslog.d/*.conf" mode="optional")\n'},
              ("rsyslog",), ["host.logging"], RSYSLOG[:2])
    assert got == {"host-rsyslog-file-create-mode": ("pass", "rsyslog FileCreateMode: 0600"),
                   "host-rsyslog-no-remote-input": ("pass", "rsyslog loads no network input")}


def test_rsyslog_include_outside_what_was_read_is_an_error(tmp_path):
    got = one(tmp_path, {"/etc/rsyslog.conf": "$FileCreateMode 0640\n$IncludeConfig /opt/rsyslog/*.conf\n"},
              ("rsyslog",), ["host.logging"], RSYSLOG[:2])
    assert got["host-rsyslog-file-create-mode"] == (
        "error", "logging: rsyslog_file_create_modes could not be read: /etc/rsyslog.conf: include /opt/rsyslog/*.conf "
                 "is outside /etc/rsyslog.d: not read by the fact script")


def test_log_file_permissions(tmp_path):
    tree = make_tree(tmp_path / "tree", {"/var/log/syslog": "x\n", "/var/log/apt/history.log": "x\n",
                                         "/var/log/wtmp": ""})
    (tree / "var/log/wtmp").chmod(0o664)
    got = statuses(collect(tree, ["host.log_files"]), ["host-log-files-permissions"])
    assert got["host-log-files-permissions"][0][1:] == (
        "fail", "2 of 3 files under /var/log: /var/log/apt/history.log: mode 0644 (at most 0640)")
    for f in ("syslog", "apt/history.log"):
        (tree / "var/log" / f).chmod(0o640)
    got = statuses(collect(tree, ["host.log_files"]), ["host-log-files-permissions"])
    assert got["host-log-files-permissions"][0][1:] == ("pass", "3 files under /var/log have appropriate permissions")


AUDIT = ["host-audit-rules-identity", "host-audit-rules-time-change", "host-audit-rules-sudo-log",
         "host-audit-rules-privileged"]


def test_audit_rules_missing_on_disk_and_loaded(tmp_path):
    rules = "-w /etc/passwd -p wa -k identity\n-w /etc/group -p wa -k identity\n" \
            "-a always,exit -F arch=b64 -S adjtimex,settimeofday,clock_settime -k time-change\n"
    got = one(tmp_path, {"/etc/audit/rules.d/50.rules": rules, "/etc/sudoers": 'Defaults logfile="/var/log/sudo.log"\n'},
              ("auditd", "sudo"), ["host.audit_rules"], AUDIT,
              replace={"audit_rules": "-w /etc/passwd -p wa -k identity", "audit_status": "GS_INSTALLED=1\nenabled 1"})
    assert got["host-audit-rules-identity"] == (
        "fail", "changes to user and group information: missing from /etc/audit/rules.d: -w /etc/gshadow -p wa, "
                "-w /etc/shadow -p wa, -w /etc/security/opasswd -p wa, -w /etc/nsswitch.conf -p wa, -w /etc/pam.conf -p wa, "
                "-w /etc/pam.d -p wa; not loaded: -w /etc/group -p wa, -w /etc/gshadow -p wa, -w /etc/shadow -p wa, "
                "-w /etc/security/opasswd -p wa, -w /etc/nsswitch.conf -p wa, -w /etc/pam.conf -p wa, -w /etc/pam.d -p wa")
    assert got["host-audit-rules-time-change"][1].startswith(
        "changes of the date and time: missing from /etc/audit/rules.d: -a always,exit -F arch=b32 -S "
        "adjtimex,clock_settime,settimeofday, -w /etc/localtime -p wa; not loaded: ")
    assert got["host-audit-rules-sudo-log"][1].startswith(
        "changes to the sudo log file: missing from /etc/audit/rules.d: -w /var/log/sudo.log -p wa;")
    assert got["host-audit-rules-privileged"] == (
        "notchecked", "audit_rules: not checked: the setuid/setgid programs are listed by the filesystem walk, which "
                      "is off (run with --input filesystem_walk=true to check)")


def test_audit_rules_complete_pass(tmp_path):
    full = (DATA / "auditctl-l-cis.txt").read_text()
    got = one(tmp_path, {"/etc/audit/rules.d/50.rules": full + "-a always,exit -F path=/usr/bin/su -F perm=x "
                         "-F auid>=1000 -F auid!=unset -k privileged\n",
                         "/etc/sudoers": 'Defaults logfile="/var/log/sudo.log"\n'},
              ("auditd", "sudo"), ["host.audit_rules"], AUDIT, walk=True,
              replace={"audit_rules": full, "audit_status": "GS_INSTALLED=1\nenabled 2",
                       "walk": "suid\t/usr/bin/su\nsuid\t/usr/bin/passwd"})
    assert got["host-audit-rules-identity"] == ("pass", "audit rules for changes to user and group information are on "
                                                "disk and loaded")
    assert got["host-audit-rules-sudo-log"][0] == "pass"
    assert got["host-audit-rules-privileged"] == (
        "fail", "use of privileged: missing from /etc/audit/rules.d: -a always,exit -F path=/usr/bin/passwd -F perm=x "
                "-F auid>=1000 -F auid!=unset; not loaded: -a always,exit -F path=/usr/bin/passwd -F perm=x -F auid>=1000 "
                "-F auid!=unset, -a always,exit -F path=/usr/bin/su -F perm=x -F auid>=1000 -F auid!=unset")


def test_running_rules_unread_without_auditctl(tmp_path):
    got = one(tmp_path, {"/etc/audit/rules.d/50.rules": (DATA / "auditctl-l-cis.txt").read_text()}, ("auditd",),
              ["host.audit_rules"], ["host-audit-rules-identity"], replace={"audit_status": "GS_INSTALLED=0"})
    assert got["host-audit-rules-identity"] == (
        "error", "audit_rules: loaded_missing could not be read: the running audit rules could not be read: auditctl "
                 "is not on PATH")


def test_audit_file_permissions(tmp_path):
    tree = make_tree(tmp_path / "tree", {"/etc/audit/auditd.conf": "log_file = /var/log/audit/audit.log\n",
                                         "/etc/audit/rules.d/50.rules": "-e 2\n", "/var/log/audit/audit.log": ""},
                     ("auditd",))
    (tree / "var/log/audit").chmod(0o755)
    (tree / "etc/audit/rules.d/50.rules").chmod(0o640)
    ids = ["host-audit-log-dir-mode", "host-audit-config-mode", "host-audit-log-file-mode", "host-audit-log-file-group"]
    got = {c: v[0][1:] for c, v in statuses(collect(tree, ["host.audit_files"]), ids).items()}
    assert got == {
        "host-audit-log-dir-mode": ("fail", "/var/log/audit is 0755 (allowed bits ur, uw, ux, gr, gx)"),
        "host-audit-config-mode": ("fail", "/etc/audit/auditd.conf is 0644 (allowed bits ur, uw, gr)"),
        "host-audit-log-file-mode": ("fail", "/var/log/audit/audit.log is 0644 (allowed bits ur, uw, gr)"),
        "host-audit-log-file-group": ("pass", "audit log files belong to root, adm"),
    }
    (tree / "var/log/audit").chmod(0o750)
    (tree / "etc/audit/auditd.conf").chmod(0o640)
    (tree / "var/log/audit/audit.log").chmod(0o600)
    got = {c: v[0][1] for c, v in statuses(collect(tree, ["host.audit_files"]), ids).items()}
    assert set(got.values()) == {"pass"}, got


def test_aide_scheduled_and_protecting_the_audit_tools(tmp_path):
    tools = "".join(f"/usr/sbin/{t} p+i+n+u+g+s+b+acl+xattrs+sha512\n"
                    for t in ("auditctl", "auditd", "ausearch", "aureport", "autrace"))
    ids = ["host-aide-installed", "host-aide-scheduled", "host-aide-audit-tools"]
    got = one(tmp_path, {"/etc/aide/aide.conf": "Audit = p+i+n+u+g+s+b+acl+xattrs+sha512\n" + tools
                         + "/usr/sbin/augenrules Audit\n",
                         "/etc/crontab": "0 5 * * * root /usr/bin/aide --config /etc/aide/aide.conf --check\n"},
              ("aide", "aide-common"), ["host.aide"], ids)
    assert got == {"host-aide-installed": ("pass", "AIDE is installed (database present: false)"),
                   "host-aide-scheduled": ("pass", "AIDE is scheduled: /etc/crontab:1"),
                   "host-aide-audit-tools": ("pass", "AIDE checks every audit tool")}
    got = one(tmp_path / "2", {"/etc/aide/aide.conf": "/usr/sbin/auditctl p+i+n+u+g+s+b+acl+xattrs\n"},
              ("aide", "aide-common"), ["host.aide"], ids[1:])
    assert got["host-aide-scheduled"] == ("fail", "no cron job or timer runs AIDE")
    assert got["host-aide-audit-tools"][1].startswith("AIDE does not check: auditctl: sha512, auditd: p i n u g s b acl")


def test_home_directories_and_dot_files(tmp_path):
    tree = make_tree(tmp_path / "tree", {
        "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"
                       "bob:x:1001:1001::/home/bob:/bin/bash\nsvc:x:999:999::/srv/svc:/usr/sbin/nologin\n",
        "/home/alice/.rhosts": "+ +\n", "/home/alice/.bash_history": "ls\n", "/home/alice/.profile": "\n",
    })
    home = tree / "home/alice"
    import os

    for p in (home, *home.iterdir()):
        os.chown(p, 1000, 1000)
    home.chmod(0o755)
    (home / ".profile").chmod(0o664)
    got = statuses(collect(tree, ["host.homes"]), ["host-home-directories", "host-home-dot-files"])
    dirs = {rid: (st, msg) for rid, st, msg in got["host-home-directories"]}
    assert dirs == {
        "home:root": ("pass", "root: /root is 0700 root"),
        "home:alice": ("fail", "alice: /home/alice exists true, directory true, owner alice, mode 0755 (required: a "
                               "directory owned by alice, allowed bits ur, uw, ux, gr, gx)"),
        "home:bob": ("fail", "bob: /home/bob exists false, directory false, owner none, mode none (required: a "
                             "directory owned by bob, allowed bits ur, uw, ux, gr, gx)"),
    }
    dots = {rid: (st, msg) for rid, st, msg in got["host-home-dot-files"]}
    assert dots["home:alice"][0] == "fail" and dots["home:alice"][1].startswith("alice: /home/alice/.")
    assert dots["home:bob"] == ("notapplicable", "the home directory does not exist (see host-home-directories)")
    coll = collect(tree, ["host.homes"])
    alice = next(r for r in coll.resources["host.homes"] if r.id == "home:alice")
    assert sorted((p["path"], p["why"]) for p in alice.attrs["dotfile_problems"]) == [
        ("/home/alice/.bash_history", "mode 0644 (at most 0600)"),
        ("/home/alice/.profile", "mode 0664: writable by group or others"),
        ("/home/alice/.rhosts", ".rhosts must not exist"),
    ]


def test_root_path_from_roots_login_shell(tmp_path):
    """Runtime: root's login shell runs with its start-up files (bind-mounted for the test) and each PATH entry is
    examined on this machine."""
    from checks.host.provider import HostProvider
    from checks.host.script import build_script, parse_output

    ww = tmp_path / "ww"
    ww.mkdir()
    ww.chmod(0o777)
    empty = tmp_path / "empty"
    empty.write_text("")

    def run(profile: str) -> tuple[str, str]:
        prof = tmp_path / "profile"
        prof.write_text(profile)
        script, marker = build_script(["os", "root_path", "passwd", "group"])
        out = parse_output(hostfs.run_script({"/root/.profile": prof, "/root/.bashrc": empty}, script), marker)
        got = statuses(HostProvider.parse(out, ["host.root_path"]), ["host-user-root-path"])["host-user-root-path"]
        return got[0][1], got[0][2]

    status, msg = run(f'PATH="{ww}:.:/usr/sbin:/usr/bin:/sbin:/bin:"\n')
    assert status == "fail"
    assert msg == (f"root's PATH {ww}:.:/usr/sbin:/usr/bin:/sbin:/bin:: empty entry true; relative .; not directories "
                   f"none; not owned by root none; group/world writable {ww}")
    assert run("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n") == (
        "pass", "root's PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin is safe")


def test_root_path_is_not_read_from_a_file_tree(tmp_path):
    tree = make_tree(tmp_path / "tree", {})
    coll = collect(tree, ["host.root_path"])
    assert [e.message for e in coll.errors] == [
        "root's PATH could not be read: root_path: exit code 3: runtime section: not run on a file tree"]


def test_files_larger_than_the_script_reads_are_errors(tmp_path):
    """A sudoers or journald drop-in cut short by the size limit is never parsed partially."""
    tree = make_tree(tmp_path / "tree", {
        "/etc/sudoers": "Defaults use_pty\n" + "# padding\n" * 20 + "alice ALL=(ALL) NOPASSWD: ALL\n",
        "/etc/systemd/journald.conf.d/60.conf": "[Journal]\n" + "#\n" * 200 + "Storage=volatile\n",
    }, ("sudo",))
    got = statuses(collect(tree, ["host.sudo", "host.logging"], cat_max=200),
                   ["host-sudo-no-nopasswd", "host-journald-persistent"])
    assert got["host-sudo-no-nopasswd"][0][1:] == (
        "error", "sudo: nopasswd could not be read: /etc/sudoers is larger than the fact script reads (1024 KiB): not "
                 "evaluated on partial content")
    assert got["host-journald-persistent"][0][1] == "error"
    assert "60.conf is larger than the fact script reads" in got["host-journald-persistent"][0][2]
