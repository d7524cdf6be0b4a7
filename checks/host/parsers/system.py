"""Parsers for host.os, host.packages and host.services (host.sshd: :mod:`checks.host.parsers.sshd`)."""

from __future__ import annotations

import shlex
from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import int_or_none, preamble, require
from checks.host.script import Output, split_files
from scanner.model import Resource

_FAMILIES = {"debian": "debian", "ubuntu": "debian", "rhel": "rhel", "fedora": "rhel", "centos": "rhel",
             "rocky": "rhel", "almalinux": "rhel", "ol": "rhel", "amzn": "rhel", "suse": "suse",
             "sles": "suse", "opensuse": "suse", "alpine": "alpine", "arch": "arch"}

def parse_os(out: Output) -> list[Resource]:
    """``host.os``: distribution, family, kernel, and whether facts were read as root."""
    notes, lines = preamble(require(out.get("os"), "os-release"))
    rel: dict[str, str] = {}
    for line in lines:
        k, sep, v = line.partition("=")
        if sep and k.strip():
            try:
                rel[k.strip()] = " ".join(shlex.split(v)) if v else ""
            except ValueError:
                rel[k.strip()] = v.strip().strip('"')
    os_id = rel.get("ID", "").lower()
    like = rel.get("ID_LIKE", "").lower().split()
    family = next((_FAMILIES[x] for x in [os_id, *like] if x in _FAMILIES), "other")
    uid = int_or_none(notes.get("GS_UID"))
    attrs = {
        "hostname": notes.get("GS_HOSTNAME", ""), "id": os_id, "id_like": like, "family": family,
        "name": rel.get("NAME", ""), "pretty_name": rel.get("PRETTY_NAME", ""),
        "version_id": rel.get("VERSION_ID", ""), "kernel": notes.get("GS_KERNEL", ""),
        "arch": notes.get("GS_ARCH", ""), "uid": uid, "is_root": uid == 0,
    }
    return [Resource("os", "host.os", attrs)]


def parse_packages(out: Output) -> list[Resource]:
    """``host.packages``: one resource per host with every installed package and its version."""
    notes, lines = preamble(require(out.get("packages"), "installed packages"))
    installed: dict[str, str] = {}
    for line in lines:
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        name, version, status = parts[0], parts[1], parts[2].strip()
        # dpkg status abbreviation: desired, state, error. State n (not) / c (config-files) = absent.
        if len(status) >= 2 and status[1] not in ("n", "c"):
            installed[name] = version
    if not installed:
        raise FactError("installed packages could not be read: the package database listed nothing")
    attrs = {
        "manager": notes.get("GS_MANAGER", ""),
        "installed": installed,
        "names": sorted(installed),
        "packages": [{"name": n, "version": installed[n]} for n in sorted(installed)],
        "count": len(installed),
    }
    return [Resource("packages", "host.packages", attrs)]


#: Unit-file states in which a unit cannot start. Every other state (enabled, enabled-runtime, static,
#: indirect, generated for SysV scripts, alias, linked, transient, bad...) lets it run in some way.
_OFF_STATES = frozenset({"disabled", "masked", "masked-runtime"})


def parse_services(out: Output) -> list[Resource]:
    """``host.services``: every systemd unit with its enablement and (when systemd runs) activity."""
    sec = out.get("units")
    _, chunks = split_files(sec.stdout, out.marker)
    by = {c.path: c for c in chunks}
    units: dict[str, dict[str, Any]] = {}
    lost: dict[str, str] = {}
    if out.root:  # a file tree: enablement from its unit files and links (nothing runs there)
        from checks.host.parsers.units_tree import tree_units

        units, lost = tree_units(out)
    else:
        if "unit-files" not in by or ("units" not in by and not sec.ok):
            require(sec, "systemd unit files")
        for line in by["unit-files"].text.split("\n"):
            f = line.split()
            if len(f) >= 2 and "." in f[0]:
                units[f[0]] = {"name": f[0], "enabled": f[1], "active": None, "sub": None}
    running = "units" in by and sec.ok and not out.root
    if running:
        for line in by["units"].text.split("\n"):
            f = line.split()
            if len(f) >= 4 and "." in f[0]:
                u = units.setdefault(f[0], {"name": f[0], "enabled": None, "active": None, "sub": None})
                u["active"], u["sub"] = f[2], f[3]
    if not units and not out.root:
        raise FactError("systemd unit files could not be read: systemctl listed no units")
    for u in units.values():
        # a unit only list-units knows (no unit file state) counts through its activity alone
        u["enabled_any"] = u["enabled"] is not None and u["enabled"] not in _OFF_STATES
        u["running"] = u["active"] in ("active", "activating", "reloading", "deactivating")
    names = sorted(units)
    attrs: dict[str, Any] = {
        "systemd_running": running,
        "units": [units[n] for n in names],
        "enabled": [n for n in names if units[n]["enabled"] in ("enabled", "enabled-runtime")],
        "masked": [n for n in names if units[n]["enabled"] in ("masked", "masked-runtime")],
        "active": [n for n in names if units[n]["active"] == "active"] if running else None,
        "enabled_any": [n for n in names if units[n]["enabled_any"]],
        "enabled_or_running": [n for n in names if units[n]["enabled_any"] or units[n]["running"]],
    }
    from checks.host.parsers.cron import cron_attrs

    cron, cron_lost = cron_attrs(out)
    return [Resource("services", "host.services", {**attrs, **cron}, attr_errors={**lost, **cron_lost})]

