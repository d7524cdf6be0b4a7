"""DISA STIG audit area: the per-rule audit rule controls (policies/controls/host/stig_audit_rules.yaml, generated
from checks/host/parsers/stig_audit.py TABLE), the auditd.conf values the STIG profiles set, the failure mode and
audit file ownership (policies/controls/host/stig_audit.yaml), mapped in policies/stig/mapping-audit.json.

Each control is shown passing and failing on small file trees read by the real fact script (tests/host/
cis_b_support.py); only what a running system alone has is recorded output: ``auditctl -l``
(tests/host/data/auditctl-l-stig.txt, in the format auditctl prints), ``auditctl -s`` and the walk's setuid list.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import hostfs
import pytest
from cis_b_support import collect, make_tree
from golden_support import TARGET

from checks.host.parsers.stig_audit import TABLE
from scanner.evaluate import evaluate_control
from scanner.policy import stig
from scanner.policy.loader import load

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
FULL = (DATA / "auditctl-l-stig.txt").read_text()
needs_ns = pytest.mark.skipif(hostfs.usable() is not None, reason=str(hostfs.usable()))
STIG_CONF = ("log_file = /var/log/audit/audit.log\nlog_group = root\nlog_format = ENRICHED\nflush = INCREMENTAL_ASYNC\n"
             "freq = 100\nname_format = hostname\nmax_log_file_action = ROTATE\nspace_left = 25%\n"
             "space_left_action = email\naction_mail_acct = root\nadmin_space_left = 5%\n"
             "admin_space_left_action = single\ndisk_full_action = HALT\ndisk_error_action = HALT\n"
             "overflow_action = SYSLOG\nlocal_events = yes\nwrite_logs = yes\n")
CONF_CONTROLS = ["stig-auditd-action-mail-acct", "stig-auditd-space-left-action", "stig-auditd-disk-full-action",
                 "stig-auditd-disk-error-action", "stig-auditd-max-log-file-action", "stig-auditd-name-format",
                 "stig-auditd-overflow-action", "stig-auditd-local-events", "stig-auditd-write-logs",
                 "stig-auditd-log-format", "stig-auditd-freq", "stig-auditd-space-left-percent",
                 "stig-auditd-admin-space-left-percent", "stig-audit-failure-halts"]
FILE_CONTROLS = ["stig-audit-log-file-mode", "stig-audit-log-file-group-root", "stig-audit-log-dir-owner-root",
                 "stig-audit-log-dir-group-root", "stig-audit-rulesd-mode", "host-audit-config-mode"]
TYPES = ["host.stig_audit_rules", "host.auditd", "host.audit_files"]


def govscan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from scanner.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)


def rule_controls() -> dict[str, str]:
    """ComplianceAsCode item -> the generated control id."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from stig_audit_controls import control_id
    finally:
        sys.path.pop(0)
    return {rule: control_id(rule) for rule in TABLE}


@pytest.fixture(scope="module")
def controls():
    return load().controls


def run(tmp_path: Path, controls, files: dict[str, str], wanted: list[str], *, loaded: str = FULL,
        status: str = "GS_INSTALLED=1\nenabled 2\nfailure 2", walk: bool = True, suid: str = "suid\t/usr/bin/su",
        packages: tuple[str, ...] = ("auditd",)) -> dict[str, tuple[str, str]]:
    tree = make_tree(tmp_path / "tree", files, packages)
    replace = {"audit_rules": loaded, "audit_status": status}
    if walk:
        replace["walk"] = suid
    coll = collect(tree, TYPES, replace=replace, walk=walk)
    out = {}
    for cid in wanted:
        [f] = evaluate_control(controls[cid], TARGET, coll)
        out[cid] = (f.status.value, f.message)
    return out


def stig_tree(**over: str) -> dict[str, str]:
    files = {"/etc/audit/auditd.conf": STIG_CONF, "/etc/audit/rules.d/50-stig.rules": FULL,
             "/etc/audit/rules.d/99-finalize.rules": "-f 2\n-e 2\n", "/var/log/audit/audit.log": ""}
    files.update(over)
    return files


def test_generated_controls_are_current_and_mapped(controls):
    assert subprocess.run([sys.executable, str(ROOT / "bench" / "stig_audit_controls.py"), "--check"],
                          capture_output=True, text=True).returncode == 0
    mapping = stig.mapping()
    for rule, cid in rule_controls().items():
        assert cid in controls, cid
        assert mapping[cid] == (rule.removesuffix("_rhel"),), cid
        assert stig.requires()[cid] == "host-audit-installed"




@needs_ns
def test_stig_configured_tree_passes_every_control(tmp_path, controls):
    """The rules the STIG prescribes (grouped syscalls, as its fix text writes them) on disk and loaded, auditd.conf
    with the STIG profile's values, -f 2: every control passes; with the log and rule files 0644, the file mode
    controls fail, naming the file."""
    ids = list(rule_controls().values())
    tree = make_tree(tmp_path / "tree", stig_tree(), ("auditd",))
    for f in ("etc/audit/rules.d/50-stig.rules", "etc/audit/rules.d/99-finalize.rules", "etc/audit/auditd.conf",
              "var/log/audit/audit.log"):
        (tree / f).chmod(0o600)
    coll = collect(tree, TYPES, replace={"audit_rules": FULL, "walk": "suid\t/usr/bin/su",
                                         "audit_status": "GS_INSTALLED=1\nenabled 2\nfailure 2"}, walk=True)
    got = {cid: [(f.status.value, f.message) for f in evaluate_control(controls[cid], TARGET, coll)][0]
           for cid in ids + CONF_CONTROLS + FILE_CONTROLS}
    assert {c: s for c, (s, _) in got.items()} == {c: "pass" for c in got}, got
    assert got["stig-audit-dac-modification-fchmod"] == (
        "pass", "audit rules for fchmod calls by users are on disk and loaded")
    assert got["stig-audit-privileged-commands-ssh-keysign"] == (
        "pass", "audit rules for runs of /usr/lib/openssh/ssh-keysign are on disk and loaded")
    assert got["stig-auditd-space-left-percent"] == ("pass", "space_left = 25%")
    assert got["stig-audit-failure-halts"] == ("pass", "the audit failure mode is 2 on disk and loaded")
    (tree / "etc/audit/rules.d/50-stig.rules").chmod(0o640)
    (tree / "var/log/audit/audit.log").chmod(0o640)
    coll = collect(tree, TYPES, replace={"audit_rules": FULL, "audit_status": "GS_INSTALLED=1\nenabled 2\nfailure 2"})
    bad = {cid: [(f.status.value, f.message) for f in evaluate_control(controls[cid], TARGET, coll)][0]
           for cid in FILE_CONTROLS}
    assert bad["stig-audit-rulesd-mode"] == ("fail", "/etc/audit/rules.d/50-stig.rules is 0640 (required: 0600 or "
                                                     "stricter)")
    assert bad["stig-audit-log-file-mode"] == ("fail", "/var/log/audit/audit.log is 0640 (required: 0600 or stricter)")
    assert bad["host-audit-config-mode"][0] == "pass"  # 0640 is what audit.rules / auditd.conf need


@needs_ns
def test_each_syscall_is_its_own_control(tmp_path, controls):
    """CIS's grouped rules minus fchmod, b64 only for the deletion calls, the xattr calls for users but not root:
    exactly the controls of the missing syscalls fail, each naming its missing rules."""
    rules = FULL.replace("chmod,fchmod,fchmodat", "chmod,fchmodat").replace(
        "-a always,exit -F arch=b32 -S unlink,unlinkat,rename,renameat,rmdir", "-a always,exit -F arch=b32 -S unlink")
    rules = "\n".join(ln for ln in rules.splitlines() if "-F auid=0" not in ln) + "\n"
    ids = [c for r, c in rule_controls().items() if "dac_modification" in r or "deletion" in r]
    got = run(tmp_path, controls, stig_tree(**{"/etc/audit/rules.d/50-stig.rules": rules}), ids, loaded=FULL)
    failed = {c for c, (s, _) in got.items() if s == "fail"}
    assert failed == {"stig-audit-dac-modification-fchmod", *(f"stig-audit-file-deletion-events-{s}" for s in (
        "rename", "renameat", "rmdir", "unlinkat")), *(f"stig-audit-dac-modification-{s}" for s in (
            "setxattr", "fsetxattr", "lsetxattr", "removexattr", "fremovexattr", "lremovexattr"))}
    assert got["stig-audit-dac-modification-fchmod"] == (
        "fail", "missing from /etc/audit/rules.d: -a always,exit -F arch=b32 -S fchmod -F auid!=unset -F auid>=1000, "
                "-a always,exit -F arch=b64 -S fchmod -F auid!=unset -F auid>=1000; not loaded: none")
    assert got["stig-audit-file-deletion-events-rmdir"][1] == (
        "missing from /etc/audit/rules.d: -a always,exit -F arch=b32 -S rmdir -F auid!=unset -F auid>=1000; "
        "not loaded: none")
    assert got["stig-audit-dac-modification-setxattr"][1] == (
        "missing from /etc/audit/rules.d: -a always,exit -F arch=b32 -S setxattr -F auid=0, -a always,exit -F "
        "arch=b64 -S setxattr -F auid=0; not loaded: none")
    assert got["stig-audit-dac-modification-fchmodat"][0] == "pass"


@needs_ns
def test_narrower_rules_do_not_count(tmp_path, controls):
    """A watch without w, a path rule limited to root, a setuid rule without the uid comparison's euid=0 filter on
    other syscalls: each fails; a broader rule (no auid filter) counts."""
    rules = ("-w /etc/shadow -p a\n-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid=0\n"
             "-a always,exit -F arch=b32 -S execve -C uid!=euid -F euid=0 -F auid=0\n"
             "-a always,exit -F arch=b32 -S init_module\n-a always,exit -F arch=b64 -S init_module\n")
    got = run(tmp_path, controls, stig_tree(**{"/etc/audit/rules.d/50-stig.rules": rules}),
              ["stig-audit-usergroup-modification-shadow", "stig-audit-privileged-commands-sudo",
               "stig-audit-suid-privilege-function", "stig-audit-kernel-module-loading-init"], loaded=FULL)
    assert got["stig-audit-usergroup-modification-shadow"] == (
        "fail", "missing from /etc/audit/rules.d: -w /etc/shadow -p wa; not loaded: none")
    assert got["stig-audit-privileged-commands-sudo"][0] == "fail"
    assert got["stig-audit-suid-privilege-function"][1].startswith(
        "missing from /etc/audit/rules.d: -a always,exit -F arch=b32 -C uid!=euid -S execve -F euid=0, ")
    assert got["stig-audit-kernel-module-loading-init"][0] == "pass"


@needs_ns
def test_programs_need_the_walk_and_loaded_rules_need_auditctl(tmp_path, controls):
    got = run(tmp_path, controls, stig_tree(), ["stig-audit-privileged-commands-chage", "stig-audit-sudoers",
                                                "stig-audit-failure-halts"], walk=False)
    assert got["stig-audit-privileged-commands-chage"] == (
        "notchecked", "stig_audit_rules: not checked: the privileged programs are checked with the filesystem walk, "
                      "which is off (run with --input filesystem_walk=true to check)")
    assert got["stig-audit-sudoers"][0] == "pass"
    got = run(tmp_path, controls, stig_tree(), ["stig-audit-sudoers", "stig-audit-failure-halts"],
              status="GS_INSTALLED=0")
    assert got["stig-audit-sudoers"] == (
        "error", "stig_audit_rules: loaded_missing could not be read: the running audit rules could not be read: "
                 "auditctl is not on PATH")
    assert got["stig-audit-failure-halts"][0] in ("error", "notchecked")
    got = run(tmp_path, controls, stig_tree(**{"/etc/audit/rules.d/99-finalize.rules": "-f 1\n"}),
              ["stig-audit-failure-halts"], status="GS_INSTALLED=1\nenabled 1\nfailure 1")
    assert got["stig-audit-failure-halts"] == (
        "fail", "audit failure mode: -f 1 on disk, 1 loaded (required: 2)")
    got = run(tmp_path, controls, stig_tree(), ["stig-audit-sudoers"], packages=())
    assert got["stig-audit-sudoers"] == ("notapplicable", "auditd is not installed")


@needs_ns
def test_cis_and_debian_default_values_fail(tmp_path, controls):
    """Debian's default auditd.conf (space_left 75 MB, SYSLOG, SUSPEND, RAW) and the CIS choices (single, keep_logs)
    fail the STIG values; an unset setting fails too."""
    conf = ("log_file = /var/log/audit/audit.log\nlog_format = RAW\nfreq = 50\nname_format = NONE\n"
            "max_log_file_action = keep_logs\nspace_left = 75\nspace_left_action = SYSLOG\nadmin_space_left = 50\n"
            "admin_space_left_action = single\ndisk_full_action = single\ndisk_error_action = SUSPEND\n"
            "overflow_action = IGNORE\nlocal_events = no\n")
    got = run(tmp_path, controls, stig_tree(**{"/etc/audit/auditd.conf": conf}), CONF_CONTROLS[:-1])
    assert {c: s for c, (s, _) in got.items()} == {c: "fail" for c in CONF_CONTROLS[:-1]}, got
    assert got["stig-auditd-space-left-percent"][1] == "space_left = 75 (required: a percentage of at least 25%)"
    assert got["stig-auditd-disk-full-action"][1] == "disk_full_action = single (required: in halt)"
    assert got["stig-auditd-write-logs"][1] == "write_logs = unset (required: in yes)"
    assert got["stig-auditd-action-mail-acct"][1] == "action_mail_acct = unset (required: in root)"


@needs_ns
def test_audit_log_group_adm_fails(tmp_path, controls):
    """Debian's auditd writes its logs with log_group adm: the STIG requires group root of the files (Ubuntu)."""
    import os

    tree = make_tree(tmp_path / "tree", stig_tree(), ("auditd",))
    os.chown(tree / "var/log/audit/audit.log", 0, 4)  # gid 4: adm in the tree's /etc/group
    coll = collect(tree, TYPES, replace={"audit_rules": FULL, "audit_status": "GS_INSTALLED=1\nenabled 2\nfailure 2"})
    [f] = evaluate_control(controls["stig-audit-log-file-group-root"], TARGET, coll)
    assert (f.status.value, f.message) == ("fail", "/var/log/audit/audit.log belongs to group adm (required: root)")


@pytest.mark.parametrize("profile, bench, floor", [("stig-ubuntu2204", "ubuntu-22.04", (86, 2, 83, 1)),
                                                   ("stig-rhel9", "rhel-9", (184, 6, 162, 16))])
def test_policy_list_coverage_went_up(profile, bench, floor):
    """Before this area: Ubuntu 39/188 (CAT I 2, II 36, III 1), RHEL 9 107/440 (6, 89, 12)."""
    run_ = govscan("policy", "list", "-p", profile, "--json")
    assert run_.returncode == 0, run_.stderr
    cov = [json.loads(x) for x in run_.stdout.splitlines()][-1]
    assert cov["stig"] == bench
    got = (cov["covered"], cov["by_cat"]["CAT I"]["covered"], cov["by_cat"]["CAT II"]["covered"],
           cov["by_cat"]["CAT III"]["covered"])
    assert all(g >= f for g, f in zip(got, floor)), got


def test_cklb_of_a_stig_scan_on_the_debian_trees(debian_trees, tmp_path):
    """-p stig-ubuntu2204 on the debootstrap trees (rootfs: no running rules): Debian's default auditd.conf mails
    root (V-260593 Not a Finding) but warns at 75 MB by syslog (V-260596 Open); the minimal tree has no audit
    rules on disk (V-260633, V-260628 Open: failed on what was read), the hardened one has CIS's rules on disk, but
    a tree has no loaded rules: Not Reviewed, never Not a Finding."""
    want = {"minimal": {"V-260593": "not_a_finding", "V-260596": "open", "V-260633": "open", "V-260628": "open"},
            "hardened": {"V-260596": "open", "V-260633": "not_reviewed", "V-260628": "not_reviewed"}}
    for name, tree in (("minimal", debian_trees.minimal), ("hardened", debian_trees.hardened)):
        db = tmp_path / f"{name}.db"
        scan = govscan("scan", f"rootfs:{tree}", "--db", str(db), "-q", "--gate", "none", "-p", "stig-ubuntu2204")
        assert scan.returncode == 0, scan.stderr
        found = {json.loads(x)["control_id"]: json.loads(x) for x in
                 govscan("findings", "--db", str(db), "--json").stdout.splitlines() if x}
        rep = govscan("report", "--db", str(db), "-f", "cklb")
        assert rep.returncode == 0, rep.stderr
        rules = {r["group_id"]: r for r in json.loads(rep.stdout)["stigs"][0]["rules"]}
        got = {v: rules[v]["status"] for v in want[name]}
        assert got == want[name], (name, got)
        assert found["stig-auditd-space-left-percent"]["status"] == "fail"
        fchmod = found["stig-audit-dac-modification-fchmod"]
        assert fchmod["status"] == {"minimal": "fail", "hardened": "notchecked"}[name], fchmod["message"]
        assert "needs a running system (rootfs: target)" in fchmod["message"]
        assert found["stig-audit-privileged-commands-chage"]["status"] == "notchecked"


MORE = ["host.stig_rsyslog", "host.stig_audit_tools", "host.stig_audit_misc", "host.pam"]
RSYSLOG_STIG = ("$IncludeConfig /etc/rsyslog.d/*.conf\nauth.*;authpriv.* /var/log/secure\ndaemon.* -/var/log/daemon.log\n"
                "cron.* /var/log/cron\n$DefaultNetstreamDriver gtls\n$ActionSendStreamDriverMode 1\n"
                "$ActionSendStreamDriverAuthMode x509/name\n")
RSYSLOG_CONTROLS = ["stig-rsyslog-remote-access-monitoring", "stig-rsyslog-cron-logging", "stig-rsyslog-remote-loghost",
                    "stig-rsyslog-netstream-gtls", "stig-rsyslog-stream-driver-mode",
                    "stig-rsyslog-stream-driver-auth-mode"]
MORE_CONTROLS = [*RSYSLOG_CONTROLS, "stig-audit-tools-mode", "stig-audit-tools-owner-root", "stig-audit-tools-group-root",
                 "stig-aide-database", "stig-aide-silentreports-off", "stig-usbguard-audit-backend",
                 "stig-pam-faillock-audit", "stig-pam-faillock-silent", "stig-pam-faillock-interval"]
PAM_FAILLOCK = {"/etc/pam.d/common-auth": "auth required pam_faillock.so preauth\nauth [success=1 default=ignore] "
                "pam_unix.so\nauth [default=die] pam_faillock.so authfail\nauth sufficient pam_faillock.so authsucc\n"}


def more(tmp_path: Path, controls, files: dict[str, str], packages: tuple[str, ...],
         tools: dict[str, int] | None = None) -> dict[str, tuple[str, str]]:
    tree = make_tree(tmp_path / "tree", files, packages)
    for name, mode in (tools or {}).items():
        (tree / "sbin").mkdir(exist_ok=True)
        (tree / "sbin" / name).write_text("")
        (tree / "sbin" / name).chmod(mode)
    coll = collect(tree, MORE)
    return {cid: [(f.status.value, f.message) for f in evaluate_control(controls[cid], TARGET, coll)][0]
            for cid in MORE_CONTROLS}


@needs_ns
def test_rsyslog_aide_tools_usbguard_faillock_pass(tmp_path, controls):
    tools = {t: 0o755 for t in ("auditctl", "aureport", "ausearch", "autrace", "auditd", "rsyslogd", "augenrules")}
    got = more(tmp_path, controls, {
        "/etc/rsyslog.conf": RSYSLOG_STIG,
        "/etc/rsyslog.d/60-remote.conf": 'action(type="omfwd" target="loghost.example" port="6514" protocol="tcp")\n'
                                         '*.* action(type="omfwd" target="loghost.example" port="6514" '
                                         'protocol="tcp" StreamDriverMode="1")\n',
        "/etc/default/aide": "CRON_DAILY_RUN=yes\nSILENTREPORTS=no\n",
        "/var/lib/aide/aide.db": "",
        "/etc/usbguard/usbguard-daemon.conf": "RuleFile=/etc/usbguard/rules.conf\nAuditBackend=LinuxAudit\n",
        "/etc/security/faillock.conf": "deny = 3\naudit\nsilent\nfail_interval = 900\n",
        **PAM_FAILLOCK}, ("rsyslog", "auditd", "aide", "aide-common", "usbguard", "libpam-modules"), tools)
    assert {c: s for c, (s, _) in got.items()} == {c: "pass" for c in MORE_CONTROLS}, got
    assert got["stig-rsyslog-remote-access-monitoring"] == (
        "pass", "auth, authpriv and daemon are logged to files (/etc/rsyslog.conf:2, /etc/rsyslog.conf:2, "
                "/etc/rsyslog.conf:3)")
    assert got["stig-rsyslog-remote-loghost"] == (
        "pass", 'all messages are forwarded: action(type="omfwd" target="loghost.example") (/etc/rsyslog.d/60-remote.conf:2)')
    assert got["stig-pam-faillock-interval"] == ("pass", "faillock fail_interval = 900")
    assert got["stig-aide-database"] == ("pass", "the AIDE database exists: /var/lib/aide/aide.db")


@needs_ns
def test_rsyslog_aide_tools_usbguard_faillock_fail(tmp_path, controls):
    """Debian's rsyslog.conf (auth,authpriv.* only, no cron file, no forwarding, no TLS), a group-writable auditctl,
    no AIDE database, SILENTREPORTS=yes, USBGuard writing its own file, faillock with CIS's settings only."""
    tools = {"auditctl": 0o775, "auditd": 0o750}
    got = more(tmp_path, controls, {
        "/etc/rsyslog.conf": "auth,authpriv.* /var/log/auth.log\n*.*;auth,authpriv.none -/var/log/syslog\n"
                             "cron.* /var/log/cron.log\n*.* @@loghost.example\n",
        "/etc/default/aide": "SILENTREPORTS=yes\n",
        "/etc/usbguard/usbguard-daemon.conf": "AuditBackend=FileAudit\n",
        "/etc/security/faillock.conf": "deny = 3\nfail_interval = 600\n", **PAM_FAILLOCK},
        ("rsyslog", "auditd", "aide", "aide-common", "usbguard", "libpam-modules"), tools)
    assert {c: s for c, (s, _) in got.items()} == {
        **{c: "fail" for c in MORE_CONTROLS}, "stig-rsyslog-remote-loghost": "pass",
        "stig-audit-tools-owner-root": "pass", "stig-audit-tools-group-root": "pass"}, got
    assert got["stig-rsyslog-remote-access-monitoring"][1] == (
        "rsyslog installed: true; facilities logged to files at every priority: *, auth, authpriv, cron (required: "
        "auth, authpriv, daemon)")
    assert got["stig-rsyslog-netstream-gtls"][1] == (
        "rsyslog installed: true; default_netstream_driver = unset (required: gtls)")
    assert got["stig-audit-tools-mode"][1] == "/sbin/auditctl is 0775 (required: 0755 or stricter)"
    assert got["stig-aide-database"] == ("fail", "no AIDE database (/var/lib/aide/aide.db, aide.db.gz)")
    assert got["stig-aide-silentreports-off"][1] == "SILENTREPORTS = yes (required: no)"
    assert got["stig-usbguard-audit-backend"][1] == "AuditBackend = FileAudit (required: LinuxAudit)"
    assert got["stig-pam-faillock-audit"][1] == "faillock audit is not set"
    assert got["stig-pam-faillock-interval"][1] == "faillock fail_interval = 600 (required: 900 or more)"


@needs_ns
def test_rsyslog_missing_fails_usbguard_missing_not_applicable(tmp_path, controls):
    got = more(tmp_path, controls, {}, ("auditd",))
    assert got["stig-rsyslog-cron-logging"] == (
        "fail", "rsyslog installed: false; no cron.* /var/log/cron rule (files read: none)")
    assert got["stig-usbguard-audit-backend"] == ("notapplicable", "usbguard is not installed")
    assert got["stig-audit-tools-mode"][0] == "fail"  # auditd installed, no tool found: nothing proven


RHEL_AIDE = ["stig-aide-rhel-acl", "stig-aide-rhel-xattrs", "stig-aide-rhel-fips-hashes"]


def rhel_aide(tmp_path: Path, controls, conf: str | None, packages: tuple[str, ...] = ("aide",)) -> dict:
    from rhel_tree import OS_RELEASE

    files = {"/etc/os-release": OS_RELEASE, **({"/etc/aide.conf": conf} if conf is not None else {})}
    coll = collect(make_tree(tmp_path / "tree", files, packages), ["host.os", "host.stig_audit_misc"])
    return {cid: [(f.status.value, f.message) for f in evaluate_control(controls[cid], TARGET, coll)][0]
            for cid in RHEL_AIDE}


@needs_ns
def test_rhel_aide_rule_groups(tmp_path, controls):
    good = ("@@define DBDIR /var/lib/aide\nALLXTRAHASHES = sha1+rmd160+sha256+sha512+tiger\n"
            "FIPSR = p+i+n+u+g+s+m+c+acl+selinux+xattrs+sha512\nNORMAL = FIPSR+sha512\n/boot NORMAL\n")
    got = rhel_aide(tmp_path / "a", controls, good)
    assert got["stig-aide-rhel-acl"] == ("pass", "the rule groups of /etc/aide.conf (ALLXTRAHASHES, FIPSR, NORMAL) pass")
    assert got["stig-aide-rhel-xattrs"][0] == "pass"
    # ALLXTRAHASHES names non-FIPS hashes: the ComplianceAsCode check reads every group line, as here
    assert got["stig-aide-rhel-fips-hashes"][0] == "fail"
    got = rhel_aide(tmp_path / "b", controls, "FIPSR = p+i+n+u+g+s+m+c+acl+selinux+xattrs+sha512\n"
                                              "PERMS = p+u+g+acl+selinux\nNORMAL = FIPSR+sha512\n")
    assert got["stig-aide-rhel-acl"][0] == "pass"
    assert got["stig-aide-rhel-xattrs"] == (
        "fail", "AIDE installed: true; groups: FIPSR, PERMS, NORMAL; groups without xattrs: PERMS")
    assert got["stig-aide-rhel-fips-hashes"][1].endswith("groups without sha512: PERMS; non-FIPS hashes: none")
    got = rhel_aide(tmp_path / "c", controls, None, packages=())
    assert got["stig-aide-rhel-acl"] == ("fail", "AIDE installed: false; groups: none; groups without acl: none")
