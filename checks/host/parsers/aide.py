"""Parser for host.aide: AIDE installed, scheduled, its database, and what it checks on the audit tools."""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT
from checks.host.parsers.common import require, truncated_reason
from checks.host.parsers.statlines import id_names, installed_packages, package_manager, parse_stat_lines
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

AUDIT_TOOLS = ("auditctl", "auditd", "ausearch", "aureport", "autrace", "augenrules")
#: What CIS 6.3.3 asks AIDE to check on each audit tool.
TOOL_ATTRS = ("p", "i", "n", "u", "g", "s", "b", "acl", "xattrs", "sha512")
CRON_FILES = ("/etc/crontab", "/var/spool/cron/crontabs/root")
_GROUP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+)\s*$")
_SELECT = re.compile(r"^(/\S*?)\$?\s+(\S+)\s*$")


def _expand(expr: str, groups: dict[str, str], depth: int = 0) -> set[str]:
    out: set[str] = set()
    for part in re.split(r"[+]", expr.replace("-", "+-")):
        if not part or part.startswith("-"):
            continue
        if part in groups and depth < 16:
            out |= _expand(groups[part], groups, depth + 1)
        else:
            out.add(part)
    removed = {p[1:] for p in re.split(r"[+]", expr.replace("-", "+-")) if p.startswith("-")}
    return out - removed


def _tool_rules(conf: list[FileChunk]) -> dict[str, list[str]]:
    """Each audit tool -> the CIS attributes its AIDE selection line lacks (all of them when there is none)."""
    groups: dict[str, str] = {}
    found: dict[str, set[str]] = {}
    for c in conf:
        for raw in c.text.split("\n"):
            line = raw.split("#", 1)[0].strip()
            g = _GROUP.match(line)
            if g:
                groups[g.group(1)] = g.group(2)
                continue
            s = _SELECT.match(line)
            if s:
                name = s.group(1).rsplit("/", 1)[-1]
                if name in AUDIT_TOOLS and re.match(r"^/(usr/)?s?bin/", s.group(1)):
                    found[name] = _expand(s.group(2), groups)
    return {t: [a for a in TOOL_ATTRS if a not in found.get(t, set())] for t in AUDIT_TOOLS}


def parse_aide(out: Output) -> list[Resource]:
    """``host.aide``: one resource (id ``aide``)."""
    _, chunks = split_files(require(out.get("aide"), "AIDE configuration"), out.marker)
    by = {c.path: c for c in chunks}
    lost: dict[str, str] = {}
    pkgs, why = installed_packages(out)
    attrs: dict[str, Any] = {}
    if pkgs is None:
        lost["installed"] = why or "package list unread"
    else:
        # Debian splits AIDE in aide + aide-common (CIS Debian 6.3.1 names both); RHEL ships one `aide` rpm.
        attrs["installed"] = "aide" in pkgs and ("aide-common" in pkgs or package_manager(out) == "rpm")
    conf = [c for p, c in sorted(by.items()) if (p == "/etc/aide/aide.conf" or p.startswith("/etc/aide/aide.conf.d/"))
            and not p.endswith("/") and "*" not in p]
    bad = [c for c in conf if c.state in ("unreadable", "truncated")]
    if (by.get("/etc/aide/aide.conf.d/") or FileChunk("", "ok")).state == "unreadable":
        bad.append(by["/etc/aide/aide.conf.d/"])
    if bad:
        lost["audit_tools_unchecked"] = "; ".join(truncated_reason(c.path) if c.state == "truncated"
                                                  else f"{c.path} not readable ({NOT_ROOT_HINT})" for c in bad)
    missing = _tool_rules([c for c in conf if c.state == "ok"])
    attrs["audit_tools_unchecked"] = [f"{t}: {' '.join(m)}" for t, m in missing.items() if m]
    schedule: list[str] = []
    sched_problems = []
    for p, c in sorted(by.items()):
        if p.endswith("/") or "*" in p or p.startswith("/etc/aide/") or p == "database":
            continue
        if c.state == "ok":
            if p.startswith(("/etc/cron.daily/", "/etc/cron.weekly/")):
                schedule.append(p)
                continue
            for n, raw in enumerate(c.text.split("\n"), 1):
                line = raw.split("#", 1)[0]
                if re.search(r"\b(aide|aide\.wrapper|dailyaidecheck)\b", line):
                    schedule.append(f"{p}:{n}")
        elif c.state != "missing":
            sched_problems.append(f"{p} not readable ({NOT_ROOT_HINT})" if c.state == "unreadable" else truncated_reason(p))
    from checks.host.parsers import FactError
    from checks.host.parsers.system import parse_services

    try:
        svc = parse_services(out)[0].attrs
        timers = [u for u in svc["enabled"] if "aide" in u and u.endswith(".timer")]
        schedule += timers
    except FactError as exc:
        sched_problems.append(str(exc))
    attrs["schedule"] = schedule
    if sched_problems and not schedule:
        lost["schedule"] = "; ".join(sched_problems[:3])
    db = parse_stat_lines((by.get("database") or FileChunk("database", "ok")).text.split("\n"), id_names(out))
    attrs["database_exists"] = bool(db.entries)
    if db.problems and not db.entries:
        lost["database_exists"] = "; ".join(db.problems)
    return [Resource("aide", "host.aide", attrs, attr_errors=lost)]
