"""Parsers for the DISA STIG audit area beyond the audit rules: rsyslog's selectors and TLS forwarding
(host.stig_rsyslog), the audit tools with rsyslogd (host.stig_audit_tools), AIDE's report setting on Debian/Ubuntu
and USBGuard's audit backend (host.stig_audit_misc). Files come from the sections of checks/host/facts_cis_b.sh
(rsyslog) and checks/host/facts_stig_audit.sh."""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import config_lines, require, truncated_reason
from checks.host.parsers.logconf import _PARAM, _line_of, _rsyslog
from checks.host.parsers.statlines import id_names, installed_packages, parse_stat_lines
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

#: The audit tools of the RHEL 9 STIG (ComplianceAsCode file_audit_tools_*), in the order it lists them.
AUDIT_TOOLS = ("/sbin/auditctl", "/sbin/aureport", "/sbin/ausearch", "/sbin/autrace", "/sbin/auditd",
               "/sbin/rsyslogd", "/sbin/augenrules")
_LEGACY = re.compile(r"^\s*([^\s$#][^\s]*\.[^\s]+)\s+(\S.*?)\s*$")
_ACTION = re.compile(r"\baction\s*\(([^)]*)\)", re.S)


def _facilities(selector: str) -> set[str]:
    """The facilities a legacy selector logs at every priority (``auth,authpriv.*;mail.none`` -> auth, authpriv)."""
    out: set[str] = set()
    for part in selector.split(";"):
        fac, _, prio = part.partition(".")
        if prio == "*":
            out.update(f.strip() for f in fac.split(","))
    return out


def _is_file_target(target: str) -> bool:
    t = target.lstrip("-")
    return t.startswith("/") or bool(re.match(r'action\s*\(.*\btype\s*=\s*"omfile"', target, re.I | re.S))


def rsyslog_facts(chunks: list[FileChunk]) -> dict[str, Any]:
    """What the STIG rules read from the rsyslog files (in the order rsyslog reads them)."""
    to_file: dict[str, list[str]] = {}
    cron_file: list[str] = []
    remote: list[dict[str, Any]] = []
    legacy: dict[str, tuple[str, str]] = {}
    script: dict[str, tuple[str, str]] = {}
    for c in chunks:
        text = "\n".join(ln.split("#", 1)[0] for ln in c.text.split("\n"))
        # RainerScript actions: `selector action(type=... )` (possibly over several lines)
        for m in _ACTION.finditer(text):
            params = {k.lower(): v for k, v in _PARAM.findall(m.group(1))}
            start = text.rfind("\n", 0, m.start()) + 1
            selector = text[start:m.start()].strip()
            where = f"{c.path}:{_line_of(text, m.start())}"
            kind = params.get("type", "").lower()
            if kind == "omfile" and params.get("file"):
                for fac in _facilities(selector):
                    to_file.setdefault(fac, []).append(where)
                if "cron" in _facilities(selector) and params.get("file") == "/var/log/cron":
                    cron_file.append(where)
            if kind == "omfwd" and params.get("target") and selector == "*.*":
                remote.append({"file": c.path, "line": _line_of(text, m.start()), "text": f"action(type=\"omfwd\" "
                               f"target=\"{params['target'][:80]}\")"})
            for key, name in (("streamdrivermode", "stream_driver_mode"), ("streamdriverauthmode",
                                                                          "stream_driver_auth_mode")):
                if key in params and kind == "omfwd":
                    script[name] = (params[key], where)
        for m in re.finditer(r"\bglobal\s*\(([^)]*)\)", text, re.S):
            params = {k.lower(): v for k, v in _PARAM.findall(m.group(1))}
            if "defaultnetstreamdriver" in params:
                script["default_netstream_driver"] = (params["defaultnetstreamdriver"],
                                                      f"{c.path}:{_line_of(text, m.start())}")
        for n, line in enumerate(text.split("\n"), 1):
            d = re.match(r"^\s*\$(DefaultNetstreamDriver|ActionSendStreamDriverMode|ActionSendStreamDriverAuthMode)"
                         r"\s+(\S+)\s*$", line, re.I)
            if d:
                name = {"defaultnetstreamdriver": "default_netstream_driver", "actionsendstreamdrivermode":
                        "stream_driver_mode", "actionsendstreamdriverauthmode": "stream_driver_auth_mode"}[d.group(1).lower()]
                legacy[name] = (d.group(2), f"{c.path}:{n}")
                continue
            m2 = _LEGACY.match(line)
            if not m2 or "(" in m2.group(1) or m2.group(2).startswith("action"):
                continue
            selector, target = m2.group(1), m2.group(2)
            facs = _facilities(selector)
            if _is_file_target(target):
                for fac in facs:
                    to_file.setdefault(fac, []).append(f"{c.path}:{n}")
                if "cron" in facs and target.lstrip("-") == "/var/log/cron":
                    cron_file.append(f"{c.path}:{n}")
            if selector == "*.*" and re.match(r"^(@@?|:omrelp:)\S", target):
                remote.append({"file": c.path, "line": n, "text": f"*.* {target[:80]}"})
    settings = {**legacy, **script}
    return {
        "facilities_to_file": {k: v for k, v in sorted(to_file.items())},
        "logged_to_file": sorted(to_file),
        "cron_to_var_log_cron": cron_file,
        "remote_all": remote,
        **{k: settings[k][0] if k in settings else None for k in ("default_netstream_driver", "stream_driver_mode",
                                                                   "stream_driver_auth_mode")},
    }


def parse_stig_rsyslog(out: Output) -> list[Resource]:
    """``host.stig_rsyslog``: one resource (id ``stig_rsyslog``)."""
    pkgs, why = installed_packages(out)
    if pkgs is None:
        raise FactError(f"whether rsyslog is installed is unknown: {why}")
    attrs: dict[str, Any] = {"installed": "rsyslog" in pkgs}
    if not attrs["installed"]:
        return [Resource("stig_rsyslog", "host.stig_rsyslog", attrs)]
    _, chunks = split_files(require(out.get("rsyslog"), "rsyslog configuration"), out.marker)
    files = {c.path: c for c in chunks}
    if (files.get("/etc/rsyslog.conf") or FileChunk("", "missing")).state == "missing":
        raise FactError("rsyslog is installed but /etc/rsyslog.conf does not exist")
    seen, problems = _rsyslog(files)
    if problems:
        raise FactError("; ".join(problems[:3]))
    attrs["files"] = [c.path for c in seen]
    attrs.update(rsyslog_facts(seen))
    return [Resource("stig_rsyslog", "host.stig_rsyslog", attrs)]


def parse_stig_audit_tools(out: Output) -> list[Resource]:
    """``host.stig_audit_tools``: one resource (id ``stig_audit_tools``): mode and owners of each tool present."""
    pkgs, why = installed_packages(out)
    if pkgs is None:
        raise FactError(f"whether auditd is installed is unknown: {why}")
    if "auditd" not in pkgs and "audit" not in pkgs:
        return [Resource("stig_audit_tools", "host.stig_audit_tools", {"installed": False})]
    sec = require(out.get("stig_audit_tools"), "audit tool metadata")
    res = parse_stat_lines(sec.split("\n"), id_names(out))
    if res.problems:
        raise FactError("; ".join(res.problems[:3]))
    found = [e for e in res.entries if e["path"] in AUDIT_TOOLS]
    if len(found) + len(res.missing) != len(AUDIT_TOOLS):
        raise FactError("the audit tool listing is incomplete")
    return [Resource("stig_audit_tools", "host.stig_audit_tools",
                     {"installed": True, "tools": found, "missing": sorted(res.missing)})]


def _key_values(chunk: FileChunk) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in config_lines(chunk.text):
        k, sep, v = line.partition("=")
        if sep:
            out[k.strip()] = v.strip().strip('"').strip("'")
    return out


_AIDE_GROUP = re.compile(r"^([A-Z][A-Za-z_]*)\s*=\s*([A-Za-z0-9+]*)$")
_NON_FIPS = re.compile(r"^[A-Z][a-zA-Z_]*\s*=\s*.*(sha1|rmd160|sha256|whirlpool|tiger|haval|gost|crc32)")


def aide_groups(text: str) -> dict[str, Any]:
    """The rule group definitions of RHEL's /etc/aide.conf (``NAME = a+b+c``) and which lack what the RHEL 9 STIG
    rules ask of every group (acl, xattrs, sha512, with the groups a group names expanded; ComplianceAsCode reads
    the line literally), and every group line naming a non-FIPS hash (literally, as ComplianceAsCode does: an
    unused ALLXTRAHASHES line with sha1 fails too)."""
    groups: list[dict[str, Any]] = []
    non_fips: list[str] = []
    for n, line in enumerate(text.split("\n"), 1):
        m = _AIDE_GROUP.match(line)
        if m:
            groups.append({"name": m.group(1), "value": m.group(2), "line": n})
        if _NON_FIPS.match(line):
            non_fips.append(f"/etc/aide.conf:{n}: {line.strip()[:80]}")
    from checks.host.parsers.aide import _expand

    defined = {g["name"]: g["value"] for g in groups}
    full = {g["name"]: _expand(g["value"], defined) for g in groups}  # NORMAL = FIPSR+sha512 has FIPSR's acl
    mine = [g for g in groups if g["name"] != "ALLXTRAHASHES"]
    return {
        "aide_groups": [g["name"] for g in groups],
        "aide_groups_without_acl": [g["name"] for g in mine if "acl" not in full[g["name"]]],
        "aide_groups_without_xattrs": [g["name"] for g in mine if "xattrs" not in full[g["name"]]],
        "aide_groups_without_sha512": [g["name"] for g in groups if "sha512" not in full[g["name"]]],
        "aide_non_fips_hashes": non_fips,
    }


def parse_stig_audit_misc(out: Output) -> list[Resource]:
    """``host.stig_audit_misc``: one resource (id ``stig_audit_misc``): /etc/default/aide SILENTREPORTS, RHEL's
    /etc/aide.conf rule groups and USBGuard's AuditBackend."""
    pkgs, why = installed_packages(out)
    if pkgs is None:
        raise FactError(f"the package list could not be read: {why}")
    pre, chunks = split_files(require(out.get("stig_audit_misc"), "AIDE defaults and USBGuard configuration"),
                              out.marker)
    by = {c.path: c for c in chunks}
    attrs: dict[str, Any] = {"aide_installed": "aide" in pkgs, "usbguard_installed": "usbguard" in pkgs}
    lost: dict[str, str] = {}
    dbs = [ln.split() for ln in pre.split("\n") if ln.startswith("GS_AIDE_DB ")]
    attrs["aide_databases"] = [d[1] for d in dbs if len(d) == 3 and d[2] == "ok"]
    if len(dbs) != 2 or (not attrs["aide_databases"] and any(d[-1] != "missing" for d in dbs)):
        lost["aide_databases"] = f"the AIDE database could not be looked for ({NOT_ROOT_HINT})"
    for path, keys in (("/etc/default/aide", (("SILENTREPORTS", "aide_silentreports"),)),
                       ("/etc/usbguard/usbguard-daemon.conf", (("AuditBackend", "usbguard_audit_backend"),))):
        c = by.get(path) or FileChunk(path, "missing")
        if c.state in ("unreadable", "truncated"):
            why_c = truncated_reason(path) if c.state == "truncated" else f"{path} not readable ({NOT_ROOT_HINT})"
            lost.update({attr: why_c for _, attr in keys})
            continue
        values = _key_values(c) if c.state == "ok" else {}
        for key, attr in keys:
            attrs[attr] = values.get(key)
    conf = by.get("/etc/aide.conf") or FileChunk("/etc/aide.conf", "missing")
    names = ("aide_groups", "aide_groups_without_acl", "aide_groups_without_xattrs", "aide_groups_without_sha512",
             "aide_non_fips_hashes")
    if conf.state in ("unreadable", "truncated"):
        why_c = (truncated_reason(conf.path) if conf.state == "truncated"
                 else f"{conf.path} not readable ({NOT_ROOT_HINT})")
        lost.update({a: why_c for a in names})
    else:
        attrs["aide_conf_exists"] = conf.state == "ok"
        attrs.update(aide_groups(conf.text if conf.state == "ok" else ""))
    return [Resource("stig_audit_misc", "host.stig_audit_misc", attrs, attr_errors=lost)]
