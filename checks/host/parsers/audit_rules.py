"""Parser for host.audit_rules: which of the audit rules CIS Debian 12 6.2.3.x asks for are missing, on disk
(/etc/audit/rules.d/*.rules, what augenrules loads at boot) and in the running kernel (``auditctl -l``).

A rule satisfies a requirement when it records at least the events the requirement names: a watch on the path
with the permissions, or an ``always,exit`` syscall rule for the architecture whose filters are a subset of the
requirement's (a broader rule records more, never less). ``-S all`` covers every syscall.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT
from checks.host.parsers.common import config_lines, truncated_reason
from checks.host.script import Output, split_files
from scanner.model import Resource

USER = frozenset({"auid>=1000", "auid!=unset"})
ARCHES = ("b64", "b32")


@dataclass(frozen=True)
class Need:
    """One rule CIS asks for: a watch (``path`` + ``perms``), a syscall set, or an execution of ``path``."""

    kind: str  # watch | syscalls | exec | unset (what to watch is not configured)
    path: str = ""
    perms: str = "wa"
    syscalls: frozenset[str] = frozenset()
    filters: frozenset[str] = frozenset()
    compare: str = ""

    def text(self, arch: str = "") -> str:
        if self.kind == "watch":
            return f"-w {self.path} -p {self.perms}"
        if self.kind == "exec":
            return f"-a always,exit -F path={self.path} -F perm=x -F auid>=1000 -F auid!=unset"
        extra = "".join(f" -F {f}" for f in sorted(self.filters))
        cmp_ = f" -C {self.compare}" if self.compare else ""
        return f"-a always,exit -F arch={arch}{cmp_} -S {','.join(sorted(self.syscalls))}{extra}"


def _norm_compare(c: str) -> str:
    """``euid!=uid`` and ``uid!=euid`` (auditctl -l prints the latter) are the same comparison."""
    for op in ("!=", "="):
        a, sep, b = c.partition(op)
        if sep:
            return op.join(sorted((a, b)))
    return c


def _w(*paths: str) -> list[Need]:
    return [Need("watch", path=p) for p in paths]


def _s(syscalls: str, filters: frozenset[str] = USER, compare: str = "") -> Need:
    return Need("syscalls", syscalls=frozenset(syscalls.split(",")), filters=filters, compare=_norm_compare(compare))


#: CIS Debian 12 v1.1.0 6.2.3.x, by attribute name (6.2.3.3 and 6.2.3.6 depend on the host: see parse).
REQUIRED: dict[str, list[Need]] = {
    "sudoers": _w("/etc/sudoers", "/etc/sudoers.d"),
    "user_emulation": [_s("execve", frozenset({"auid!=unset"}), "euid!=uid")],
    "time_change": [_s("adjtimex,settimeofday,clock_settime", frozenset())] + _w("/etc/localtime"),
    "network": [_s("sethostname,setdomainname", frozenset())] + _w(
        "/etc/issue", "/etc/issue.net", "/etc/hosts", "/etc/networks", "/etc/network"),
    "access": [_s("creat,open,openat,truncate,ftruncate", USER | {"exit=-EACCES"}),
               _s("creat,open,openat,truncate,ftruncate", USER | {"exit=-EPERM"})],
    "identity": _w("/etc/group", "/etc/passwd", "/etc/gshadow", "/etc/shadow", "/etc/security/opasswd",
                   "/etc/nsswitch.conf", "/etc/pam.conf", "/etc/pam.d"),
    "perm_mod": [_s("chmod,fchmod,fchmodat"), _s("chown,fchown,lchown,fchownat"),
                 _s("setxattr,lsetxattr,fsetxattr,removexattr,lremovexattr,fremovexattr")],
    "mounts": [_s("mount")],
    "session": _w("/var/run/utmp", "/var/log/wtmp", "/var/log/btmp"),
    "logins": _w("/var/log/lastlog", "/var/run/faillock"),
    "delete": [_s("unlink,unlinkat,rename,renameat")],
    "mac_policy": _w("/etc/apparmor", "/etc/apparmor.d"),
    "chcon": [Need("exec", path="/usr/bin/chcon")],
    "setfacl": [Need("exec", path="/usr/bin/setfacl")],
    "chacl": [Need("exec", path="/usr/bin/chacl")],
    "usermod": [Need("exec", path="/usr/sbin/usermod")],
    "modules": [_s("init_module,finit_module,delete_module,create_module,query_module"),
                Need("exec", path="/usr/bin/kmod")],
}
ITEMS = (*REQUIRED, "sudo_log", "privileged")


@dataclass(frozen=True)
class Rule:
    kind: str  # watch | syscall
    path: str = ""
    perms: frozenset[str] = frozenset()
    arch: str = ""
    syscalls: frozenset[str] = frozenset()
    filters: frozenset[str] = frozenset()
    compare: str = ""
    always_exit: bool = False


def _norm_filter(f: str) -> str:
    for op in ("!=", ">=", "<=", "=", ">", "<"):
        k, sep, v = f.partition(op)
        if sep:
            if k == "auid" and v in ("-1", "4294967295", "unset"):
                v = "unset"
            if k in ("uid", "euid", "auid") and v == "unset":
                v = "unset"
            return f"{k}{op}{v}"
    return f


def parse_rule(line: str) -> Rule | None:
    """A rule line (rules file or ``auditctl -l``) as a :class:`Rule`; None for control lines (-b, -e, -D...)."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    if len(words) >= 2 and words[0] == "-w":
        perms = ""
        if "-p" in words[:-1]:
            perms = words[words.index("-p") + 1]
        return Rule("watch", path=words[1].rstrip("/") or "/", perms=frozenset(perms or "rwxa"))
    if not words or words[0] not in ("-a", "-A") or len(words) < 2:
        return None
    action = set(words[1].split(","))
    rule: dict[str, Any] = {"syscalls": set(), "filters": set(), "arch": "", "path": "", "perms": "", "compare": ""}
    i = 2
    while i < len(words) - 1:
        opt, val = words[i], words[i + 1]
        if opt == "-S":
            rule["syscalls"] |= set(val.split(","))
        elif opt == "-C":
            rule["compare"] = _norm_compare(val)
        elif opt == "-F":
            f = _norm_filter(val)
            if f.startswith("arch="):
                rule["arch"] = f[5:]
            elif f.startswith(("key=", "-k")):
                pass
            elif f.startswith(("path=", "dir=")):
                rule["path"] = f.partition("=")[2].rstrip("/")
            elif f.startswith("perm="):
                rule["perms"] = f[5:]
            else:
                rule["filters"].add(f)
        i += 2
    return Rule("syscall", path=rule["path"], perms=frozenset(rule["perms"]), arch=rule["arch"],
                syscalls=frozenset(rule["syscalls"] or {"all"}), filters=frozenset(rule["filters"]),
                compare=rule["compare"], always_exit=action == {"always", "exit"})


def _missing(need: Need, rules: list[Rule]) -> list[str]:
    if need.kind == "unset":  # the file to watch is not configured: no rule can watch it
        return ["a watch on the sudo log file, which sudoers does not set (Defaults logfile=, CIS 5.2.3)"]
    if need.kind == "watch":
        ok = any(r.path == need.path and set(need.perms) <= r.perms for r in rules)
        return [] if ok else [need.text()]
    if need.kind == "exec":
        ok = any(r.path == need.path and "x" in r.perms and r.always_exit and r.filters <= USER for r in rules
                 if r.kind == "syscall") or any(r.kind == "watch" and r.path == need.path and "x" in r.perms
                                                for r in rules)
        return [] if ok else [need.text()]
    out = []
    for arch in ARCHES:
        covered: set[str] = set()
        for r in rules:
            if (r.kind == "syscall" and r.always_exit and r.arch == arch and not r.path and r.filters <= need.filters
                    and (not r.compare or r.compare == need.compare)):
                covered |= r.syscalls
        if "all" not in covered and not need.syscalls <= covered:
            out.append(need.text(arch))
    return out


def missing_for(rules: list[Rule], needs: list[Need]) -> list[str]:
    return [t for n in needs for t in _missing(n, rules)]


def _sudo_log(out: Output) -> tuple[list[Need] | None, str | None]:
    from checks.host.parsers.sudo import parse_sudo

    res = parse_sudo(out)[0]
    if "logfile" in res.attr_errors:
        return None, f"the sudo log file is unknown: {res.attr_errors['logfile']}"
    log = res.attrs.get("logfile")
    if not res.attrs.get("sudoers_exists"):
        return [], None
    if not log:
        return [Need("unset")], None
    return _w(str(log)), None


def parse_audit_rules(out: Output, walk: bool = False) -> list[Resource]:
    """``host.audit_rules``: one resource (id ``audit_rules``), missing rules per CIS item."""
    from checks.host.parsers import FactError
    from checks.host.parsers.statlines import installed_packages

    pkgs, why_pkgs = installed_packages(out)
    if pkgs is None:
        raise FactError(f"whether auditd is installed is unknown: {why_pkgs}")
    attrs: dict[str, Any] = {"installed": "auditd" in pkgs}
    lost: dict[str, str] = {}
    skipped: dict[str, str] = {}
    if not attrs["installed"]:
        return [Resource("audit_rules", "host.audit_rules", attrs)]
    status = out.get("audit_status")
    no_auditctl = status.ok and "GS_INSTALLED=0" in status.stdout
    conf = out.get("audit_conf")
    disk: list[Rule] | None = None
    if not conf.ok:
        lost["disk_missing"] = f"audit rules could not be read: {conf.reason()}"
    else:
        _, chunks = split_files(conf.stdout, out.marker)
        bad = [c for c in chunks if c.path.endswith(".rules") and c.state in ("unreadable", "truncated")]
        if bad:
            lost["disk_missing"] = "; ".join(truncated_reason(c.path) if c.state == "truncated"
                                             else f"{c.path} not readable ({NOT_ROOT_HINT})" for c in bad)
        else:
            disk = [r for c in chunks if c.path.endswith(".rules") and c.state == "ok"
                    for r in map(parse_rule, config_lines(c.text)) if r is not None]
    rules_sec = out.get("audit_rules")
    loaded: list[Rule] | None = None
    if no_auditctl:
        lost["loaded_missing"] = "the running audit rules could not be read: auditctl is not on PATH"
    elif not rules_sec.ok:
        lost["loaded_missing"] = f"running audit rules (auditctl -l) could not be read: {rules_sec.reason()}"
    else:
        loaded = [r for r in map(parse_rule, rules_sec.stdout.split("\n")) if r is not None]
    needs: dict[str, list[Need] | None] = dict(REQUIRED)
    needs["sudo_log"], why = _sudo_log(out)
    item_lost = {"sudo_log": why} if why else {}
    if walk:
        from checks.host.parsers.files import parse_walk

        try:
            parse_walk(out)
            sec = out.get("walk")
            suid = sorted({ln.partition("\t")[2] for ln in sec.stdout.split("\n") if ln.startswith("suid\t")})
            needs["privileged"] = [Need("exec", path=p) for p in suid]
            attrs["privileged_commands"] = suid
        except FactError as exc:
            item_lost["privileged"] = str(exc)
    else:
        why_walk = "the setuid/setgid programs are listed by the filesystem walk, which is off (run with --input filesystem_walk=true to check)"
        for side in ("disk_missing", "loaded_missing"):
            skipped[f"{side}.privileged"] = why_walk
        skipped["privileged_commands"] = why_walk
        needs.pop("privileged", None)
    for side, rules in (("disk_missing", disk), ("loaded_missing", loaded)):
        if rules is None:
            continue
        result: dict[str, list[str]] = {}
        for item, need in needs.items():
            if need is not None:
                result[item] = missing_for(rules, need)
        attrs[side] = result
        for item, why_item in item_lost.items():
            lost[f"{side}.{item}"] = why_item
    return [Resource("audit_rules", "host.audit_rules", attrs, attr_errors=lost, attr_notchecked=skipped)]
