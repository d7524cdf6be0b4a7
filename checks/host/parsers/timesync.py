"""Parsers for host.timesync (chrony, systemd-timesyncd) and host.coredump (systemd-coredump, apport).

CIS Debian 12 2.3: exactly one time daemon in use; chrony with ``server``/``pool`` sources and running
as ``_chrony``; systemd-timesyncd with ``NTP=``/``FallbackNTP=``; the daemon enabled and running. The
section of a daemon applies when it is in use (enabled or running), or, when none is, when it is
installed. Files that could not be read are attribute errors; a configuration that does not exist sets
nothing (no source, so the checks on it fail, never pass).
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import require
from checks.host.parsers.firewall import unread_reason
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

_CHRONY_DIRS = ("/etc/chrony/conf.d/", "/etc/chrony/sources.d/")
_TIMESYNCD_DROPINS = ("/etc/systemd/timesyncd.conf.d/", "/run/systemd/timesyncd.conf.d/",
                      "/usr/local/lib/systemd/timesyncd.conf.d/", "/usr/lib/systemd/timesyncd.conf.d/")


def _unread(chunks: list[FileChunk]) -> str | None:
    for c in chunks:
        why = unread_reason(c, c.path.rstrip("/")) if c.state not in ("ok", "missing") else None
        if why:
            return why
    return None


def systemd_dropins(chunks: list[FileChunk], main: str, dirs: tuple[str, ...]) -> list[FileChunk]:
    """The main file, then the drop-ins in lexical order of their names (an earlier directory masks a
    later one's file of the same name), as systemd reads ``*.conf.d`` (systemd.unit(5))."""
    by_name: dict[str, FileChunk] = {}
    for c in chunks:
        if c.state == "ok" and c.path.startswith(dirs) and not c.path.endswith("/"):
            by_name.setdefault(c.path.rsplit("/", 1)[-1], c)
    first = [c for c in chunks if c.path == main and c.state == "ok"]
    return first + [by_name[n] for n in sorted(by_name)]


def ini_values(files: list[FileChunk], section: str, keys: tuple[str, ...]) -> dict[str, tuple[str, str, int]]:
    """key -> (value, file, line) of the last assignment in ``[section]`` across ``files``."""
    out: dict[str, tuple[str, str, int]] = {}
    for c in files:
        cur = None
        for n, raw in enumerate(c.text.split("\n"), 1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("[") and line.endswith("]"):
                cur = line[1:-1].strip()
            elif cur == section and "=" in line:
                k, _, v = line.partition("=")
                if k.strip() in keys:
                    out[k.strip()] = (v.strip(), c.path, n)
    return out


def parse_timesync(out: Output) -> list[Resource]:
    from checks.host.parsers.system import parse_packages, parse_services

    installed = parse_packages(out)[0].attrs["installed"]
    units = {u["name"]: u for u in parse_services(out)[0].attrs["units"]}

    def on(unit: str) -> bool:
        u = units.get(unit) or {}
        return bool(u.get("enabled_any") or u.get("running"))

    def enabled_running(unit: str) -> dict[str, Any]:
        u = units.get(unit) or {}
        return {"enabled": u.get("enabled"), "active": u.get("active")}

    attrs: dict[str, Any] = {
        "chrony_installed": "chrony" in installed,
        "timesyncd_installed": "systemd-timesyncd" in installed or "systemd-timesyncd.service" in units,
        "ntp_installed": any(p in installed for p in ("ntp", "ntpsec", "openntpd")),
    }
    in_use = [d for d, unit in (("chrony", "chrony.service"), ("systemd-timesyncd", "systemd-timesyncd.service"),
                                ("ntp", "ntp.service"), ("ntpsec", "ntpsec.service"), ("openntpd", "openntpd.service"))
              if on(unit)]
    attrs["in_use"] = in_use
    attrs["applies"] = in_use or [d for d, k in (("chrony", "chrony_installed"), ("systemd-timesyncd", "timesyncd_installed"))
                                  if attrs[k]]
    attrs["chrony_service"] = enabled_running("chrony.service")
    attrs["timesyncd_service"] = enabled_running("systemd-timesyncd.service")
    attrs["systemd_running"] = parse_services(out)[0].attrs["systemd_running"]
    lost: dict[str, str] = {}
    for d, unit in (("chrony", "chrony.service"), ("timesyncd", "systemd-timesyncd.service")):
        if attrs["systemd_running"]:
            attrs[f"{d}_active"] = (units.get(unit) or {}).get("active") == "active"
        else:
            lost[f"{d}_active"] = f"systemd does not run: whether {unit} is running is unknown (runtime state)"
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    _, chunks = split_files(require(out.get("timesync"), "time synchronisation configuration"), out.marker)
    files = [c for c in chunks if not c.path.startswith("live:")]
    chrony = [c for c in files if c.path.startswith("/etc/chrony/") or c.path == "/etc/default/chrony"]
    why = _unread(chrony)
    if why:
        lost.update({a: why for a in ("chrony_sources", "chrony_user")})
    else:
        srcs, locs, user = [], [], None
        for c in chrony:
            if c.state != "ok" or c.path == "/etc/default/chrony" or c.path.endswith("/"):
                continue
            for n, raw in enumerate(c.text.split("\n"), 1):
                f = raw.split("#", 1)[0].split("!", 1)[0].split()
                if len(f) >= 2 and f[0] in ("server", "pool", "peer"):
                    srcs.append(f"{f[0]} {f[1]}")
                    locs.append({"path": c.path, "line": n})
                elif len(f) >= 2 and f[0] == "user" and c.path == "/etc/chrony/chrony.conf":
                    user = (f[1], c.path, n)
        default = next((c for c in chrony if c.path == "/etc/default/chrony" and c.state == "ok"), None)
        if default is not None:
            m = re.search(r'^\s*DAEMON_OPTS\s*=\s*(.*)$', default.text, re.M)
            try:
                opts = shlex.split(m.group(1)) if m else []
                opts = shlex.split(" ".join(opts))
            except ValueError:
                opts = ["?"]
            if "-u" in opts[:-1]:
                user = (opts[opts.index("-u") + 1], default.path, 0)
        attrs["chrony_sources"] = srcs
        sources["chrony_sources"] = tuple(locs)
        # Debian builds chronyd with _chrony as its default user (chronyd(8) -u)
        attrs["chrony_user"] = user[0] if user else "_chrony"
        if user and user[2]:
            sources["chrony_user"] = ({"path": user[1], "line": user[2]},)
    live = next((c for c in chunks if c.path == "live:chronyd-user"), None)
    notchecked: dict[str, str] = {}
    if live is None:
        notchecked["chrony_running_users"] = "the users chronyd runs as are runtime state (ps): not read (a file tree, or no ps on the host)"
    else:
        attrs["chrony_running_users"] = sorted({u.strip() for u in live.text.split("\n") if u.strip()})
    tsd = [c for c in files if "timesyncd" in c.path]
    why = _unread(tsd)
    if why:
        lost["timesyncd_servers"] = why
    else:
        vals = ini_values(systemd_dropins(tsd, "/etc/systemd/timesyncd.conf", _TIMESYNCD_DROPINS), "Time",
                          ("NTP", "FallbackNTP"))
        attrs["timesyncd_servers"] = [s for k in ("NTP", "FallbackNTP") if k in vals for s in vals[k][0].split()]
        sources["timesyncd_servers"] = tuple({"path": v[1], "line": v[2]} for v in vals.values())
    # what only a daemon's own controls read is not reported when its section does not apply (an unreadable
    # value of a daemon not in use is no error: those controls are not applicable)
    for d, prefix in (("chrony", "chrony_"), ("systemd-timesyncd", "timesyncd_")):
        if d not in attrs["applies"]:
            for a in [a for a in lost if a.startswith(prefix)]:
                del lost[a]
            notchecked = {a: v for a, v in notchecked.items() if not a.startswith(prefix)}
    return [Resource("timesync", "host.timesync", attrs, attr_errors=lost, sources=sources,
                     attr_notchecked=notchecked)]


_COREDUMP_DROPINS = ("/etc/systemd/coredump.conf.d/", "/run/systemd/coredump.conf.d/",
                     "/usr/local/lib/systemd/coredump.conf.d/", "/usr/lib/systemd/coredump.conf.d/")


def parse_coredump(out: Output) -> list[Resource]:
    from checks.host.parsers.system import parse_packages, parse_services

    installed = parse_packages(out)[0].attrs["installed"]
    attrs: dict[str, Any] = {"systemd_coredump_installed": "systemd-coredump" in installed,
                             "apport_installed": "apport" in installed}
    lost: dict[str, str] = {}
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    _, chunks = split_files(require(out.get("coredump"), "core dump configuration"), out.marker)
    cd = [c for c in chunks if "coredump" in c.path]
    why = _unread(cd)
    if why:
        lost["storage"] = lost["process_size_max"] = why
    else:
        vals = ini_values(systemd_dropins(cd, "/etc/systemd/coredump.conf", _COREDUMP_DROPINS), "Coredump",
                          ("Storage", "ProcessSizeMax"))
        # coredump.conf(5) defaults: Storage=external, ProcessSizeMax=2G (or 32G)
        attrs["storage"] = vals["Storage"][0] if "Storage" in vals else "external"
        attrs["process_size_max"] = vals["ProcessSizeMax"][0] if "ProcessSizeMax" in vals else "2G"
        for a, k in (("storage", "Storage"), ("process_size_max", "ProcessSizeMax")):
            if k in vals:
                sources[a] = ({"path": vals[k][1], "line": vals[k][2]},)
    ap = next((c for c in chunks if c.path == "/etc/default/apport"), None)
    why = unread_reason(ap, "/etc/default/apport")
    if why:
        lost["apport_enabled"] = why
    else:
        m = re.search(r"^\s*enabled\s*=\s*(\S+)", ap.text if ap else "", re.M)
        # apport's init script runs unless /etc/default/apport says enabled=0
        attrs["apport_enabled"] = attrs["apport_installed"] and not (m and m.group(1).strip("\"'") == "0")
    try:
        svc = parse_services(out)[0].attrs
        units = {u["name"]: u for u in svc["units"]}
        if not attrs["apport_installed"]:
            attrs["apport_active"] = False  # not installed: it cannot run
        elif svc["systemd_running"]:
            attrs["apport_active"] = (units.get("apport.service") or {}).get("active") == "active"
        else:
            lost["apport_active"] = "systemd does not run: whether apport is active is unknown"
    except FactError as exc:
        lost["apport_active"] = str(exc)
    return [Resource("coredump", "host.coredump", attrs, attr_errors=lost, sources=sources)]
