"""Parser for host.logging: journald's effective configuration, rsyslog's, and which logging services run."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import perms_of, require, truncated_reason
from checks.host.parsers.statlines import installed_packages
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

JOURNALD_MAIN = "/etc/systemd/journald.conf"
JOURNALD_DIRS = ("/etc/systemd/journald.conf.d", "/run/systemd/journald.conf.d",
                 "/usr/local/lib/systemd/journald.conf.d", "/usr/lib/systemd/journald.conf.d")
#: journald.conf(5) defaults of upstream systemd; a distribution's own default is the commented `#Key=value`
#: line of its journald.conf (Debian documents ForwardToSyslog=yes there), which wins over these.
JOURNALD_DEFAULTS = {"Storage": "auto", "Compress": "yes", "ForwardToSyslog": "no"}
RSYSLOG_DIR = "/etc/rsyslog.d"
MAX_DEPTH = 8
SYSLOG_UNITS = ("rsyslog.service", "syslog-ng.service")


def _journald(files: dict[str, FileChunk]) -> tuple[dict[str, Any], dict[str, tuple[dict[str, Any], ...]], list[str]]:
    """Effective [Journal] settings: main file, then drop-ins by name (an earlier directory's file masks a later
    one of the same name), each later assignment winning."""
    problems: list[str] = []
    order: list[FileChunk] = []
    main = files.get(JOURNALD_MAIN)
    defaults = dict(JOURNALD_DEFAULTS)
    if main is not None and main.state == "ok":
        order.append(main)
        for line in main.text.split("\n"):
            m = re.match(r"^#\s*(Storage|Compress|ForwardToSyslog)=(\S+)\s*$", line)
            if m:
                defaults[m.group(1)] = m.group(2)
    elif main is not None and main.state != "missing":
        problems.append(f"{JOURNALD_MAIN}: {main.state}")
    by_name: dict[str, FileChunk] = {}
    for d in JOURNALD_DIRS:
        listing = files.get(d + "/")
        if listing is not None and listing.state == "unreadable":
            problems.append(f"{d} could not be listed ({NOT_ROOT_HINT})")
        for p, c in files.items():
            if p.startswith(d + "/") and p.endswith(".conf") and "*" not in p:
                by_name.setdefault(p.rsplit("/", 1)[1], c)
    for name in sorted(by_name):
        c = by_name[name]
        if c.state == "ok":
            order.append(c)
        elif c.state != "missing":
            problems.append(truncated_reason(c.path) if c.state == "truncated" else f"{c.path} not readable ({NOT_ROOT_HINT})")
    values: dict[str, Any] = {}
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    for c in order:
        section = ""
        for n, raw in enumerate(c.text.split("\n"), 1):
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line
                continue
            k, sep, v = line.partition("=")
            if sep and section == "[Journal]":
                values[k.strip()] = v.strip()
                sources[k.strip()] = ({"path": c.path, "line": n},)
    return {**defaults, **values, "_set": sorted(values)}, sources, problems


_INCLUDE_LEGACY = re.compile(r"^\$IncludeConfig\s+(\S+)", re.M)
_INCLUDE_RS = re.compile(r"\binclude\s*\(([^)]*)\)", re.S)
_PARAM = re.compile(r'(\w+)\s*=\s*"([^"]*)"')


def _rsyslog(files: dict[str, FileChunk]) -> tuple[list[FileChunk], list[str]]:
    """rsyslog.conf and every file it includes (in order), and what could not be followed."""
    problems: list[str] = []
    seen: list[FileChunk] = []

    def targets(pattern: str, where: str) -> list[str]:
        d = pattern.rsplit("/", 1)[0]
        if d != RSYSLOG_DIR:
            problems.append(f"{where}: include {pattern} is outside {RSYSLOG_DIR}: not read by the fact script")
            return []
        listing = files.get(RSYSLOG_DIR + "/")
        if listing is None or listing.state != "ok":
            if listing is None or listing.state != "missing":
                problems.append(f"{RSYSLOG_DIR} could not be listed ({NOT_ROOT_HINT})")
            return []
        if not pattern.endswith(".conf") and not pattern.endswith("*"):
            problems.append(f"{where}: include {pattern} names files the fact script does not read")
        return sorted(p for p in files if p.startswith(RSYSLOG_DIR + "/") and "*" not in p[len(RSYSLOG_DIR):]
                      and fnmatch.fnmatchcase(p, pattern))

    def visit(path: str, depth: int) -> None:
        c = files.get(path)
        if c is None or c.state == "missing":
            if depth:
                problems.append(f"{path} is included but was not found")
            return
        if c.state != "ok":
            problems.append(truncated_reason(path) if c.state == "truncated" else f"{path} not readable ({NOT_ROOT_HINT})")
            return
        if depth > MAX_DEPTH or c in seen:
            problems.append(f"{path}: includes nested deeper than {MAX_DEPTH} or circular")
            return
        seen.append(c)
        text = "\n".join(ln.split("#", 1)[0] for ln in c.text.split("\n"))
        for m in _INCLUDE_LEGACY.finditer(text):
            for t in targets(m.group(1), path):
                visit(t, depth + 1)
        for m in _INCLUDE_RS.finditer(text):
            params = dict(_PARAM.findall(m.group(1)))
            if "file" in params:
                for t in targets(params["file"], path):
                    visit(t, depth + 1)
            elif "text" not in params:
                problems.append(f"{path}: include({m.group(1).strip()[:60]}) not understood")

    visit("/etc/rsyslog.conf", 0)
    return seen, problems


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _rsyslog_facts(chunks: list[FileChunk]) -> dict[str, Any]:
    modes: list[dict[str, Any]] = []
    remote: list[dict[str, Any]] = []
    for c in chunks:
        text = "\n".join(ln.split("#", 1)[0] for ln in c.text.split("\n"))
        for m in re.finditer(r"^\s*\$FileCreateMode\s+([0-7]{3,4})", text, re.M):
            v = int(m.group(1), 8)
            modes.append({"file": c.path, "line": _line_of(text, m.start()), "value": f"{v:04o}", "perms": perms_of(v)})
        for m in re.finditer(r"\b(module|action)\s*\(([^)]*)\)", text, re.S):
            params = {k.lower(): v for k, v in _PARAM.findall(m.group(2))}
            if "filecreatemode" in params and params["filecreatemode"].isdigit():
                v = int(params["filecreatemode"], 8)
                modes.append({"file": c.path, "line": _line_of(text, m.start()), "value": f"{v:04o}", "perms": perms_of(v)})
            if m.group(1) == "module" and params.get("load") in ("imtcp", "imudp", "imrelp"):
                remote.append({"file": c.path, "line": _line_of(text, m.start()), "text": f"module(load=\"{params['load']}\")"})
        for m in re.finditer(r"\binput\s*\(([^)]*)\)", text, re.S):
            params = {k.lower(): v for k, v in _PARAM.findall(m.group(1))}
            if params.get("type") in ("imtcp", "imudp", "imrelp"):
                remote.append({"file": c.path, "line": _line_of(text, m.start()), "text": f"input(type=\"{params['type']}\")"})
        for m in re.finditer(r"^\s*\$(ModLoad\s+(imtcp|imudp|imrelp)|InputTCPServerRun\b.*|UDPServerRun\b.*|InputRELPServerRun\b.*)",
                             text, re.M | re.I):
            remote.append({"file": c.path, "line": _line_of(text, m.start()), "text": m.group(0).strip()[:80]})
    return {"rsyslog_file_create_modes": modes, "rsyslog_remote_inputs": remote}


def parse_logging(out: Output) -> list[Resource]:
    """``host.logging``: one resource (id ``logging``)."""
    lost: dict[str, str] = {}
    _, jchunks = split_files(require(out.get("journald"), "journald configuration"), out.marker)
    jfiles = {c.path: c for c in jchunks}
    journald, sources, jproblems = _journald(jfiles)
    jattrs = ("journald_storage", "journald_compress", "journald_forward_to_syslog", "journald_set")
    if jproblems:
        lost.update({a: "; ".join(jproblems[:3]) for a in jattrs})
    attrs: dict[str, Any] = {
        "journald_storage": journald["Storage"], "journald_compress": journald["Compress"],
        "journald_forward_to_syslog": journald["ForwardToSyslog"], "journald_set": journald["_set"],
        "journal_dir_exists": (jfiles.get("/var/log/journal/") or FileChunk("", "missing")).state != "missing",
    }
    src = {f"journald_{a}": sources[k] for k, a in (("Storage", "storage"), ("Compress", "compress"),
                                                      ("ForwardToSyslog", "forward_to_syslog")) if k in sources}
    pkgs, why = installed_packages(out)
    if pkgs is None:
        for a in ("rsyslog_installed", "journal_remote_installed", "method"):
            lost[a] = why or "package list unread"
    else:
        attrs["rsyslog_installed"] = "rsyslog" in pkgs
        attrs["journal_remote_installed"] = "systemd-journal-remote" in pkgs
        attrs["method"] = "rsyslog" if "rsyslog" in pkgs else "journald"
    _, rchunks = split_files(require(out.get("rsyslog"), "rsyslog configuration"), out.marker)
    rfiles = {c.path: c for c in rchunks}
    rattrs = ("rsyslog_file_create_modes", "rsyslog_remote_inputs", "rsyslog_files")
    if (rfiles.get("/etc/rsyslog.conf") or FileChunk("", "missing")).state == "missing":
        attrs.update({"rsyslog_files": [], "rsyslog_file_create_modes": [], "rsyslog_remote_inputs": []})
    else:
        seen, rproblems = _rsyslog(rfiles)
        attrs.update(_rsyslog_facts(seen))
        attrs["rsyslog_files"] = [c.path for c in seen]
        if rproblems:
            lost.update({a: "; ".join(rproblems[:3]) for a in rattrs})
    for a in ("rsyslog_file_create_modes", "rsyslog_remote_inputs"):
        if attrs.get(a):
            src[a] = tuple({"path": e["file"], "line": e["line"]} for e in attrs[a][:20])
    from checks.host.parsers.system import parse_services

    try:
        svc = parse_services(out)[0].attrs
        on = set(svc["enabled_or_running"])
        attrs["journald_enabled"] = "systemd-journald.service" in on
        attrs["journal_upload_enabled"] = "systemd-journal-upload.service" in set(svc["enabled"])
        attrs["journal_remote_listening"] = sorted(u for u in ("systemd-journal-remote.socket",
                                                               "systemd-journal-remote.service") if u in on)
        daemons = [u for u in SYSLOG_UNITS if u in on]
        attrs["syslog_daemons"] = daemons
        attrs["logging_systems"] = daemons or (["systemd-journald.service"] if attrs["journald_enabled"] else [])
    except FactError as exc:
        for a in ("journald_enabled", "journal_upload_enabled", "journal_remote_listening", "syslog_daemons",
                  "logging_systems"):
            lost[a] = str(exc)
    return [Resource("logging", "host.logging", attrs, attr_errors=lost, sources=src)]
