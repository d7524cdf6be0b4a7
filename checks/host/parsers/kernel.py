"""Parsers for host.sysctl, host.kernel_modules and host.mounts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import require, to_int
from checks.host.parsers.persist import persisted_attrs
from checks.host.script import DEFAULT_MODULES, DEFAULT_SYSCTLS, Output, split_files
from scanner.model import Resource

#: Mount points ``host.mounts`` always reports, mounted or not.
MOUNT_POINTS: tuple[str, ...] = ("/tmp", "/dev/shm", "/var", "/var/tmp", "/var/log", "/var/log/audit", "/home")

_DISABLING = re.compile(r"^(/usr)?/bin/(true|false)$")


def parse_sysctl(out: Output, wanted: Iterable[str] = DEFAULT_SYSCTLS) -> list[Resource]:
    """``host.sysctl``: running kernel parameters as a nested map (``net.ipv4.ip_forward`` -> 0), the
    values the configuration persists (``persisted``, ``persisted_at``) and the core hard limit."""
    tree: dict[str, Any] = {}
    if out.root:  # a file tree has no running kernel: only the persisted values (the provider marks the rest)
        persisted, lost, sources = persisted_attrs(out, wanted)
        return [Resource("sysctl", "host.sysctl", {"missing": [], "unreadable": [], **persisted},
                         attr_errors=lost, sources=sources)]
    lines = require(out.get("sysctl"), "kernel parameters (/proc/sys)").split("\n")
    missing: list[str] = []
    unreadable: list[str] = []
    for line in lines:
        if not line.startswith("/proc/sys/"):
            continue
        if "=" in line:
            path, _, value = line.partition("=")
        else:
            path, _, state = line.partition("!")
            (unreadable if state == "unreadable" else missing).append(_name(path))
            continue
        node = tree
        parts = _name(path).split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = to_int(" ".join(value.split()))
    if not tree:
        raise FactError("kernel parameters (/proc/sys) could not be read: none was readable")
    persisted, lost, sources = persisted_attrs(out, wanted)
    return [Resource("sysctl", "host.sysctl", {**tree, "missing": missing, "unreadable": unreadable, **persisted},
                     attr_errors=lost, sources=sources)]


def _name(path: str) -> str:
    return path[len("/proc/sys/"):].replace("/", ".")


def parse_kernel_modules(out: Output, wanted: Iterable[str] = DEFAULT_MODULES) -> list[Resource]:
    """``host.kernel_modules``: loaded modules and, per module of interest, whether it can load."""
    sec = out.get("modules")
    _, chunks = split_files(require(sec, "kernel modules"), out.marker)
    # a file tree: modules load when it holds a kernel with a module directory (`loaded` is not checked)
    supported = bool(out.root) and any(c.path.startswith("/lib/modules/") and c.state == "ok" for c in chunks)
    loaded: list[str] = []
    install: dict[str, str] = {}
    blacklisted: set[str] = set()
    files: set[str] = set()
    builtin: set[str] = set()
    for c in chunks:
        if c.path == "/proc/modules":
            supported = c.state == "ok"
            loaded = sorted({ln.split()[0] for ln in c.text.split("\n") if ln.strip()})
        elif c.path.startswith("/lib/modules/"):
            for ln in c.text.split("\n"):
                f = ln.split()
                if len(f) >= 2 and f[0] == "file":
                    files.add(_norm(f[1]))
                elif len(f) >= 2 and f[0] == "builtin":
                    builtin.add(_norm(f[1]))
        else:
            for ln in c.text.split("\n"):
                f = ln.split()
                if len(f) >= 2 and f[0] == "blacklist":
                    blacklisted.add(_norm(f[1]))
                elif len(f) >= 3 and f[0] == "install":
                    install.setdefault(_norm(f[1]), " ".join(f[2:]))  # first definition wins, as modprobe
    modules: dict[str, dict[str, Any]] = {}
    for name in (_norm(m) for m in wanted):
        cmd = install.get(name)
        disabled = bool(cmd and _DISABLING.match(cmd.split()[0]))
        available = name in files or name in builtin
        modules[name] = {
            "loaded": name in loaded, "available": available, "builtin": name in builtin,
            "install_command": cmd, "disabled": disabled, "blacklisted": name in blacklisted,
            # Built-in code cannot be kept out by modprobe configuration.
            "loadable": name in builtin or (supported and available and not disabled),
        }
    attrs = {"modules_supported": supported, "loaded": loaded, "modules": modules}
    return [Resource("kernel_modules", "host.kernel_modules", attrs)]


def _norm(module: str) -> str:
    """The kernel treats ``-`` and ``_`` in module names alike; keys use ``_``."""
    return module.replace("-", "_")


def _unescape(field: str) -> str:
    """/proc/mounts escapes space, tab, newline and backslash as octal (``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mounts(out: Output, points: Iterable[str] = MOUNT_POINTS) -> list[Resource]:
    """``host.mounts``: one resource per mount point of interest; absent ones have ``mounted: false``."""
    if out.root:
        return _fstab_mounts(out, points)
    text = require(out.get("mounts"), "mount table (/proc/self/mounts)")
    table: dict[str, tuple[str, str, list[str]]] = {}
    for line in text.split("\n"):
        f = line.split()
        if len(f) >= 4:
            table[_unescape(f[1])] = (_unescape(f[0]), f[2], f[3].split(","))  # last mount wins
    if "/" not in table:
        raise FactError("mount table (/proc/self/mounts) could not be read: no root filesystem listed")
    res = []
    for mp in points:
        if mp in table:
            src, fstype, opts = table[mp]
            attrs: dict[str, Any] = {"mountpoint": mp, "mounted": True, "source": src, "fstype": fstype,
                                     "options": opts, "nodev": "nodev" in opts, "nosuid": "nosuid" in opts,
                                     "noexec": "noexec" in opts}
        else:
            attrs = {"mountpoint": mp, "mounted": False, "source": None, "fstype": None, "options": [],
                     "nodev": False, "nosuid": False, "noexec": False}
        res.append(Resource(f"mount:{mp}", "host.mounts", attrs))
    return res


#: What a tree's boot mounts without an /etc/fstab line, with options that are not in the tree's files.
_SYSTEMD_MOUNTS = {"/dev/shm": "systemd mounts /dev/shm at boot with its built-in options (no /etc/fstab line)",
                   "/tmp": "the tree has a tmp.mount unit (systemd mounts /tmp with that unit's options, not fstab's)"}


def _fstab_mounts(out: Output, points: Iterable[str]) -> list[Resource]:
    """A file tree: what its /etc/fstab mounts at boot. No line for a point: not a separate filesystem
    (``mounted`` false), except where systemd mounts it itself (:data:`_SYSTEMD_MOUNTS`): then every
    attribute is notchecked (decided at boot, not by the tree's files). A ``noauto`` line is not mounted at boot. Missing or unreadable fstab: FactError."""
    text = require(out.get("mounts"), "/etc/fstab of the tree")
    _, chunks = split_files(text, out.marker)
    files = {c.path: c for c in chunks}
    fstab = files.get("/etc/fstab")
    if fstab is None or fstab.state != "ok":
        state = "not read" if fstab is None else fstab.state
        raise FactError(f"/etc/fstab of the tree could not be read ({state}): its mount options are unknown")
    tmp_unit = bool(files.get("tmp.mount") and files["tmp.mount"].text.strip())
    table: dict[str, tuple[str, str, list[str], int]] = {}
    for n, line in enumerate(fstab.text.split("\n"), 1):
        f = line.split()
        if len(f) < 3 or f[0].startswith("#"):
            continue
        opts = (f[3] if len(f) > 3 else "defaults").split(",")
        mp = _unescape(f[1]).rstrip("/") or "/"
        table[mp] = (_unescape(f[0]), f[2], opts, n)  # the last line for a point wins, as mount -a does
    res = []
    for mp in points:
        names = ("mounted", "source", "fstype", "options", "nodev", "nosuid", "noexec")
        if mp in table and "noauto" not in table[mp][2]:
            src, fstype, opts, n = table[mp]
            attrs: dict[str, Any] = {"mountpoint": mp, "mounted": True, "source": src, "fstype": fstype,
                                     "options": opts, "nodev": "nodev" in opts, "nosuid": "nosuid" in opts,
                                     "noexec": "noexec" in opts}
            where = ({"path": "/etc/fstab", "line": n},)
            res.append(Resource(f"mount:{mp}", "host.mounts", attrs, sources={k: where for k in names}))
        elif mp == "/dev/shm" or (mp == "/tmp" and tmp_unit):
            res.append(Resource(f"mount:{mp}", "host.mounts", {"mountpoint": mp},
                                attr_notchecked={k: _SYSTEMD_MOUNTS[mp] for k in names}))
        else:
            res.append(Resource(f"mount:{mp}", "host.mounts", {
                "mountpoint": mp, "mounted": False, "source": None, "fstype": None, "options": [],
                "nodev": False, "nosuid": False, "noexec": False}))
    return res
