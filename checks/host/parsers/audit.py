"""Parser for host.auditd: auditd state, loaded and on-disk rules, auditd.conf, kernel command line."""

from __future__ import annotations

from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import config_lines, preamble, require, to_int, truncated_reason
from checks.host.script import Output, split_files
from scanner.model import Resource


def _cmdline_value(cmdline: str, key: str) -> str | None:
    for word in cmdline.split():
        k, sep, v = word.partition("=")
        if k == key and sep:
            return v
    return None


def parse_auditd(out: Output) -> list[Resource]:
    """``host.auditd``: one resource per host (id ``auditd``)."""
    status = out.get("audit_status")
    notes, _ = preamble(status.stdout)
    _, chunks = split_files(require(out.get("audit_conf"), "audit configuration"), out.marker)
    cmdline = next((c.text.strip() for c in chunks if c.path == "/proc/cmdline"), "")
    base: dict[str, Any] = {
        "cmdline": cmdline,
        "cmdline_audit": to_int(_cmdline_value(cmdline, "audit")),
        "cmdline_backlog_limit": to_int(_cmdline_value(cmdline, "audit_backlog_limit")),
    }
    if notes.get("GS_INSTALLED") == "0" and status.ok:
        return [Resource("auditd", "host.auditd", {"installed": False, **base})]
    _, st_lines = preamble(require(status, "audit status (auditctl -s)"))
    st: dict[str, Any] = {}
    for line in st_lines:
        k, _, v = line.strip().partition(" ")
        if k:
            st[k] = to_int(v)
    rules = out.get("audit_rules")
    # a file tree: no loaded rules (the provider marks them not checked); the rules on disk are what loads
    loaded = "" if out.root else require(rules, "loaded audit rules (auditctl -l)")
    unreadable = [c.path for c in chunks if c.state == "unreadable"]
    if unreadable:
        raise FactError(f"{', '.join(unreadable)} not readable: {NOT_ROOT_HINT}")
    lost: dict[str, str] = {}
    for c in chunks:
        if c.state != "truncated":
            continue
        if c.path == "/proc/cmdline":
            raise FactError(truncated_reason(c.path))
        # a partial rule file could lack the very watch a control looks for
        lost_attrs = ("conf",) if c.path == "/etc/audit/auditd.conf" else ("rules", "rules_text", "immutable")
        for attr in lost_attrs:
            lost.setdefault(attr, truncated_reason(c.path))
    conf: dict[str, Any] = {}
    disk: list[str] = []
    rule_files: list[str] = []
    for c in chunks:
        if c.path == "/etc/audit/auditd.conf" and c.state == "ok":
            for line in config_lines(c.text):
                k, _, v = line.partition("=")
                conf[k.strip().lower()] = to_int(v.strip())
        elif c.path.endswith(".rules") and c.state == "ok":
            rule_files.append(c.path)
            disk.extend(config_lines(c.text))
    loaded_lines = [ln.strip() for ln in loaded.split("\n") if ln.strip() and ln.strip() != "No rules"]
    attrs = {
        "installed": True, **base,
        "enabled": st.get("enabled"), "failure": st.get("failure"), "backlog_limit": st.get("backlog_limit"),
        "status": st, "conf": conf, "rule_files": rule_files,
        "rules": disk, "rules_text": "\n".join(disk),
        "loaded_rules": loaded_lines, "loaded_rules_text": "\n".join(loaded_lines),
        "immutable": "-e 2" in disk or (not out.root and st.get("enabled") == 2),
    }
    return [Resource("auditd", "host.auditd", attrs, attr_errors=lost)]
