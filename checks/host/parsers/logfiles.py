"""Parsers for host.log_files (files under /var/log, CIS 6.1.4.1) and host.audit_files (audit logs,
configuration and tools, CIS 6.2.4.x)."""

from __future__ import annotations

import fnmatch
from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import preamble, require
from checks.host.parsers.statlines import id_names, installed_packages, parse_stat_lines
from checks.host.script import Output, split_files
from scanner.model import Resource

#: (name patterns, most permissive mode, owners, groups) for files under /var/log, first match wins; the
#: groupings of the CIS Debian 12 6.1.4.1 audit (login records may be group-writable by utmp, journals belong to
#: systemd-journal, everything else at most 0640 for root or syslog and the adm group).
LOG_RULES: tuple[tuple[tuple[str, ...], int, tuple[str, ...], tuple[str, ...]], ...] = (
    (("lastlog", "lastlog.*", "wtmp", "wtmp.*", "wtmp-*", "btmp", "btmp.*", "btmp-*", "README"), 0o664,
     ("root",), ("root", "utmp")),
    (("*.journal", "*.journal~"), 0o640, ("root",), ("root", "systemd-journal")),
    (("secure", "secure.*", "secure-*", "auth.log", "auth.log.*", "syslog", "syslog.*", "messages", "messages.*",
      "messages-*"), 0o640, ("root", "syslog"), ("root", "adm")),
    (("sssd", "SSSD"), 0o660, ("root", "SSSD", "sssd"), ("root", "SSSD", "sssd")),
    (("gdm", "gdm3"), 0o660, ("root",), ("root", "gdm", "gdm3")),
    (("*",), 0o640, ("root", "syslog"), ("root", "adm")),
)


def _rule(path: str) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    name = path.rsplit("/", 1)[-1]
    parts = path.split("/")
    for patterns, mode, owners, groups in LOG_RULES:
        if any(fnmatch.fnmatchcase(name, p) for p in patterns) or (
                patterns[0] in ("sssd", "gdm") and any(p in parts[:-1] for p in patterns)):
            return mode, owners, groups
    raise AssertionError("the last rule matches every name")


def parse_log_files(out: Output) -> list[Resource]:
    """``host.log_files``: one resource (id ``log_files``) listing the files under /var/log that break the rules."""
    st = parse_stat_lines(require(out.get("logfiles"), "/var/log listing").split("\n"), id_names(out))
    if st.problems:
        raise FactError("/var/log could not be listed completely: " + "; ".join(st.problems[:3]))
    if "/var/log" in st.missing:
        raise FactError("/var/log does not exist")
    files = sorted((e for e in st.entries if e["type"] == "file"), key=lambda e: e["path"])
    bad = []
    for e in files:
        mode, owners, groups = _rule(e["path"])
        why = []
        if int(e["mode"], 8) & 0o7777 & ~mode:
            why.append(f"mode {e['mode']} (at most {mode:04o})")
        if e["owner"] not in owners:
            why.append(f"owner {e['owner']} (allowed: {', '.join(owners)})")
        if e["group"] not in groups:
            why.append(f"group {e['group']} (allowed: {', '.join(groups)})")
        if why:
            bad.append({"path": e["path"], "mode": e["mode"], "owner": e["owner"], "group": e["group"],
                        "why": "; ".join(why)})
    return [Resource("log_files", "host.log_files", {"files_count": len(files), "violations": bad[:1000],
                                                     "violations_count": len(bad)})]


def parse_audit_files(out: Output) -> list[Resource]:
    """``host.audit_files``: one resource (id ``audit_files``): the audit log directory and files, the files
    under /etc/audit, the audit tools, each with mode, owner and group."""
    pkgs, why = installed_packages(out)
    if pkgs is None:
        raise FactError(f"whether auditd is installed is unknown: {why}")
    if "auditd" not in pkgs:
        return [Resource("audit_files", "host.audit_files", {"installed": False})]
    notes, _ = preamble(require(out.get("audit_files"), "audit file metadata"))
    _, chunks = split_files(out.get("audit_files").stdout, out.marker)
    parts = {c.path: c.text.split("\n") for c in chunks}
    names = id_names(out)
    log_file = notes.get("GS_LOG_FILE", "/var/log/audit/audit.log")
    log_dir = log_file.rsplit("/", 1)[0] or "/"
    attrs: dict[str, Any] = {"installed": True, "log_file": log_file}
    lost: dict[str, str] = {}
    logdir = parse_stat_lines(parts.get("logdir", []), names)
    dir_entry = next((e for e in logdir.entries if e["path"] == log_dir), None)
    if logdir.problems:
        lost.update({a: "; ".join(logdir.problems[:3]) for a in ("log_dir", "log_files")})
    attrs["log_dir"] = dir_entry
    attrs["log_files"] = [e for e in logdir.entries if e["type"] == "file" and e["path"].startswith(log_dir + "/")]
    if dir_entry is None and not logdir.problems:
        lost.update({a: f"{log_dir} (the directory of log_file) does not exist: auditd has not written a log"
                     for a in ("log_dir", "log_files")})
    conf = parse_stat_lines(parts.get("config", []), names)
    if conf.problems or "/etc/audit" in conf.missing:
        lost["config_files"] = "; ".join(conf.problems[:3]) or "/etc/audit does not exist"
    attrs["config_files"] = [e for e in conf.entries if e["type"] == "file"
                             and e["path"].endswith((".conf", ".rules"))]
    tools = parse_stat_lines(parts.get("tools", []), names)
    if tools.problems:
        lost["tools"] = "; ".join(tools.problems[:3])
    attrs["tools"] = tools.entries
    attrs["tools_missing"] = tools.missing
    return [Resource("audit_files", "host.audit_files", attrs, attr_errors=lost)]
