"""Parser for host.stig_audit_rules: the audit rules the DISA STIGs (Ubuntu 22.04, RHEL 9) require one by one, as
the ComplianceAsCode rules behind them name them (one item per ComplianceAsCode rule), on disk
(/etc/audit/rules.d/*.rules) and loaded (``auditctl -l``); the failure mode (``-f``) and the space_left /
admin_space_left percentages of auditd.conf.

A rule satisfies an item the way checks/host/parsers/audit_rules.py decides it for CIS: an ``always,exit`` rule
for the architecture whose filters are a subset of the required ones (a broader rule records more), ``-S all``
covers every syscall; a watch on the path with at least the permissions. Here a watch is satisfied only by a
``-w`` rule or an unfiltered ``-F path=``/``dir=`` rule (a rule restricted to some users records less).
Items of programs (``-F path=PROG -F perm=x``) are checked only when the filesystem walk runs (the STIG lists
them as privileged programs; without the walk they are not checked, never passed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT
from checks.host.parsers.audit_rules import USER, Rule, parse_rule
from checks.host.parsers.common import config_lines, preamble, truncated_reason
from checks.host.script import Output, split_files
from scanner.model import Resource

BOTH = ("b32", "b64")


@dataclass(frozen=True)
class Item:
    """What one ComplianceAsCode rule requires: syscall rules (``syscalls`` x ``filter_sets`` x ``arches``), a
    watch (``path`` + ``perms``) or the execution of a program (``path``, ``exec``)."""

    kind: str  # syscall | watch | exec (perms "x": the datastream writes a watch; a path rule is as good)
    syscalls: tuple[str, ...] = ()
    filter_sets: tuple[frozenset[str], ...] = (USER,)
    compare: str = ""
    arches: tuple[str, ...] = BOTH
    path: str = ""
    perms: str = "wa"

    def texts(self) -> list[str]:
        """The rules that would satisfy the item, as the STIG writes them (for messages)."""
        if self.kind == "watch":
            return [f"-w {self.path} -p {self.perms}"]
        if self.kind == "exec" and self.perms == "x":  # the datastream's rule is a watch (-w PROG -p x)
            return [f"-w {self.path} -p x"]
        if self.kind == "exec":
            return [f"-a always,exit -F path={self.path} -F perm=x -F auid>=1000 -F auid!=unset"]
        out: list[str] = []
        for arch in self.arches:
            for fs in self.filter_sets:
                cmp_ = f" -C {self.compare}" if self.compare else ""
                extra = "".join(f" -F {f}" for f in sorted(fs))
                out.extend(f"-a always,exit -F arch={arch}{cmp_} -S {s}{extra}" for s in self.syscalls)
        return out


def _sys(names: str, *filter_sets: frozenset[str], compare: str = "", arches: tuple[str, ...] = BOTH) -> Item:
    return Item("syscall", syscalls=tuple(names.split()), filter_sets=filter_sets or (USER,), compare=compare,
                arches=arches)


def _w(path: str, perms: str = "wa") -> Item:
    return Item("watch", path=path, perms=perms)


def _x(path: str) -> Item:
    return Item("exec", path=path)


_ROOT = frozenset({"auid=0"})
_EACCES, _EPERM = USER | {"exit=-EACCES"}, USER | {"exit=-EPERM"}

#: ComplianceAsCode rule -> the item it requires (the rule lines of the v0.1.81 datastreams' descriptions).
ITEMS: dict[str, Item | tuple[Item, ...]] = {
    **{f"audit_rules_dac_modification_{s}": _sys(s) for s in "fchmod fchmodat chown fchown fchownat lchown".split()},
    **{f"audit_rules_dac_modification_{s}": _sys(s, USER, _ROOT)
       for s in "setxattr fsetxattr lsetxattr removexattr fremovexattr lremovexattr".split()},
    "audit_rules_dac_modification_umount": _sys("umount", arches=("b32",)),  # no umount syscall on b64
    "audit_rules_dac_modification_umount2": _sys("umount2"),
    **{f"audit_rules_unsuccessful_file_modification_{s}": _sys(s, _EACCES, _EPERM)
       for s in "creat ftruncate open_by_handle_at openat truncate".split()},
    "audit_rules_kernel_module_loading_init": _sys("init_module"),
    "audit_rules_kernel_module_loading_finit": _sys("finit_module"),
    **{f"audit_rules_file_deletion_events_{s}": _sys(s) for s in "rename renameat rmdir unlinkat".split()},
    "audit_rules_suid_privilege_function": (_sys("execve", frozenset({"euid=0"}), compare="uid!=euid"),
                                            _sys("execve", frozenset({"egid=0"}), compare="gid!=egid")),
    **{f"audit_rules_usergroup_modification_{f}": _w(f"/etc/{f}") for f in ("group", "gshadow", "shadow")},
    "audit_rules_usergroup_modification_opasswd": _w("/etc/security/opasswd"),
    "audit_rules_session_events_btmp": _w("/var/log/btmp"),
    "audit_rules_session_events_wtmp": _w("/var/log/wtmp"),
    "audit_rules_session_events_utmp": _w("/var/run/utmp"),
    "audit_rules_login_events_faillog": _w("/var/log/faillog"),
    "audit_rules_login_events_faillock": _w("/var/log/faillock"),  # var_accounts_passwords_pam_faillock_dir
    "audit_rules_sudoers": _w("/etc/sudoers"),
    "audit_rules_sudoers_d": _w("/etc/sudoers.d"),
    "audit_rules_var_log_journal": _w("/var/log/journal"),
    "audit_rules_etc_cron_d": _w("/etc/cron.d"),
    "audit_rules_var_spool_cron": _w("/var/spool/cron"),
    **{f"audit_rules_privileged_commands_{c}": _x(f"/usr/bin/{c}") for c in (
        "chage chfn chsh crontab gpasswd kmod mount newgrp passwd su sudo sudoedit umount".split())},
    "audit_rules_privileged_commands_ssh_agent": _x("/usr/bin/ssh-agent"),
    **{f"audit_rules_privileged_commands_{c}": _x(f"/usr/sbin/{c}") for c in (
        "pam_timestamp_check unix_update unix_chkpwd userhelper postdrop postqueue".split())},
    "audit_rules_privileged_commands_ssh_keysign": _x("/usr/lib/openssh/ssh-keysign"),  # Ubuntu
    "audit_rules_privileged_commands_ssh_keysign_rhel": _x("/usr/libexec/openssh/ssh-keysign"),
    "audit_rules_privileged_commands_apparmor_parser": _x("/sbin/apparmor_parser"),
    "audit_rules_privileged_commands_fdisk": Item("exec", path="/sbin/fdisk", perms="x"),  # -w /sbin/fdisk -p x
    "audit_rules_privileged_commands_modprobe": Item("exec", path="/sbin/modprobe", perms="x"),
    **{f"audit_privileged_commands_{c}": _x(f"/usr/sbin/{c}") for c in ("init", "poweroff", "reboot", "shutdown")},
    **{f"audit_rules_execution_{c}": _x(f"/usr/sbin/{c}") for c in ("semanage", "setfiles", "setsebool")},
}
#: ComplianceAsCode rule -> every item it requires
TABLE: dict[str, tuple[Item, ...]] = {k: v if isinstance(v, tuple) else (v,) for k, v in ITEMS.items()}


def _norm_cmp(c: str) -> str:
    for op in ("!=", "="):
        a, sep, b = c.partition(op)
        if sep:
            return op.join(sorted((a, b)))
    return c


def missing(item: Item, rules: list[Rule]) -> list[str]:
    """The rules of ``item`` that ``rules`` do not cover ([] when covered)."""
    if item.kind == "watch":
        ok = any(r.path == item.path and set(item.perms) <= r.perms
                 and (r.kind == "watch" or (r.always_exit and not r.filters and not r.syscalls - {"all"}))
                 for r in rules)
        return [] if ok else item.texts()
    if item.kind == "exec":
        ok = any(r.path == item.path and "x" in r.perms and (
            r.kind == "watch" or (r.always_exit and r.filters <= USER and not r.syscalls - {"all"})) for r in rules)
        return [] if ok else item.texts()
    out: list[str] = []
    want_cmp = _norm_cmp(item.compare)
    for arch in item.arches:
        for fs in item.filter_sets:
            covered: set[str] = set()
            for r in rules:
                if (r.kind == "syscall" and r.always_exit and r.arch == arch and not r.path and r.filters <= fs
                        and (not r.compare or r.compare == want_cmp)):
                    covered |= r.syscalls
            if "all" not in covered:
                cmp_ = f" -C {item.compare}" if item.compare else ""
                extra = "".join(f" -F {f}" for f in sorted(fs))
                out.extend(f"-a always,exit -F arch={arch}{cmp_} -S {s}{extra}" for s in item.syscalls
                           if s not in covered)
    return out


def _programs() -> list[str]:
    """The items of programs (checked with the filesystem walk only)."""
    return [n for n, need in TABLE.items() if any(i.kind == "exec" for i in need)]


_PCT = re.compile(r"^\s*(\d{1,3})\s*%\s*$")


def _percent(value: str | None) -> int | None:
    m = _PCT.match(value or "")
    return int(m.group(1)) if m else None


def _failure_flag(lines: list[str]) -> int | str | None:
    """The last ``-f N`` of the rules (None when none)."""
    found: int | str | None = None
    for line in lines:
        words = line.split()
        if len(words) == 2 and words[0] == "-f":
            found = int(words[1]) if words[1].isdigit() else words[1]
    return found


def parse_stig_audit_rules(out: Output, walk: bool = False) -> list[Resource]:
    """``host.stig_audit_rules``: one resource (id ``stig_audit_rules``)."""
    from checks.host.parsers import FactError
    from checks.host.parsers.statlines import installed_packages

    pkgs, why_pkgs = installed_packages(out)
    if pkgs is None:
        raise FactError(f"whether auditd is installed is unknown: {why_pkgs}")
    attrs: dict[str, Any] = {"installed": "auditd" in pkgs}
    if not attrs["installed"]:
        return [Resource("stig_audit_rules", "host.stig_audit_rules", attrs)]
    lost: dict[str, str] = {}
    skipped: dict[str, str] = {}
    conf = out.get("audit_conf")
    disk_lines: list[str] | None = None
    conf_text: str | None = None
    if not conf.ok:
        why = f"the audit configuration could not be read: {conf.reason()}"
        for a in ("disk_missing", "failure_flag_disk", "space_left", "space_left_percent", "admin_space_left",
                  "admin_space_left_percent"):
            lost[a] = why
    else:
        _, chunks = split_files(conf.stdout, out.marker)
        bad = [c for c in chunks if c.path.endswith(".rules") and c.state in ("unreadable", "truncated")]
        if bad:
            why = "; ".join(truncated_reason(c.path) if c.state == "truncated"
                            else f"{c.path} not readable ({NOT_ROOT_HINT})" for c in bad)
            lost["disk_missing"] = lost["failure_flag_disk"] = why
        else:
            disk_lines = [ln for c in chunks if c.path.endswith(".rules") and c.state == "ok"
                          for ln in config_lines(c.text)]
        main = next((c for c in chunks if c.path == "/etc/audit/auditd.conf"), None)
        if main is None or main.state in ("unreadable", "truncated"):
            why = ("/etc/audit/auditd.conf was not read" if main is None else truncated_reason(main.path)
                   if main.state == "truncated" else f"/etc/audit/auditd.conf not readable ({NOT_ROOT_HINT})")
            for a in ("space_left", "space_left_percent", "admin_space_left", "admin_space_left_percent"):
                lost[a] = why
        else:
            conf_text = main.text if main.state == "ok" else ""
    if conf_text is not None:
        settings = {}
        for line in config_lines(conf_text):
            k, sep, v = line.partition("=")
            if sep:
                settings[k.strip().lower()] = v.strip()
        for key in ("space_left", "admin_space_left"):
            attrs[key] = settings.get(key)
            attrs[f"{key}_percent"] = _percent(settings.get(key))
    status = out.get("audit_status")
    no_auditctl = status.ok and "GS_INSTALLED=0" in status.stdout
    loaded_lines: list[str] | None = None
    if out.root:  # a file tree has no running rules
        from checks.host.rootfs import RUNTIME_REASON

        skipped["failure_mode_loaded"] = RUNTIME_REASON
        skipped.update({f"loaded_missing.{name}": RUNTIME_REASON for name in TABLE})
    elif no_auditctl:
        lost["loaded_missing"] = "the running audit rules could not be read: auditctl is not on PATH"
    else:
        sec = out.get("audit_rules")
        if not sec.ok:
            lost["loaded_missing"] = f"running audit rules (auditctl -l) could not be read: {sec.reason()}"
        else:
            loaded_lines = [ln.strip() for ln in sec.stdout.split("\n") if ln.strip()]
    if not no_auditctl and status.ok and not out.root:
        _, st_lines = preamble(status.stdout)
        fail = next((ln.split()[1] for ln in st_lines if ln.startswith("failure ") and len(ln.split()) == 2), None)
        attrs["failure_mode_loaded"] = int(fail) if fail and fail.isdigit() else fail
    elif not out.root:
        lost["failure_mode_loaded"] = f"the audit status (auditctl -s) could not be read: {status.reason()}"
    if disk_lines is not None:
        attrs["failure_flag_disk"] = _failure_flag(disk_lines)
    items = dict(TABLE)
    if walk:
        from checks.host.parsers.files import parse_walk

        try:
            parse_walk(out)
        except FactError as exc:
            for name in _programs():
                items.pop(name)
                for side in ("disk_missing", "loaded_missing"):
                    lost[f"{side}.{name}"] = str(exc)
    else:
        why_walk = ("the privileged programs are checked with the filesystem walk, which is off (run with --input "
                    "filesystem_walk=true to check)")
        for name in _programs():
            items.pop(name)
            for side in ("disk_missing", "loaded_missing"):
                skipped[f"{side}.{name}"] = why_walk
    for side, lines in (("disk_missing", disk_lines), ("loaded_missing", loaded_lines)):
        if lines is None:
            continue
        rules = [r for r in map(parse_rule, lines) if r is not None]
        attrs[side] = {name: [t for item in need for t in missing(item, rules)] for name, need in items.items()}
    return [Resource("stig_audit_rules", "host.stig_audit_rules", attrs, attr_errors=lost, attr_notchecked=skipped)]
