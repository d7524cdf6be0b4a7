"""Parsers for host.gdm (GNOME Display Manager settings, CIS Debian 12 1.7.x) and host.wireless (3.1.2).

host.gdm reads the dconf keyfiles of /etc/dconf/db/*.d (the system databases ``dconf update`` compiles)
and their ``locks`` files, and /etc/gdm3/custom.conf. When the gdm3 package is not installed the
controls are not applicable (``installed`` false names why). host.wireless lists the network interfaces
with a wireless extension (runtime only: /sys/class/net).
"""

from __future__ import annotations

from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import require
from checks.host.parsers.firewall import unread_reason
from checks.host.parsers.timesync import ini_values
from checks.host.script import Output, split_files
from scanner.model import Resource

#: attribute -> (dconf path, key)
SETTINGS = {
    "banner_message_enable": ("org/gnome/login-screen", "banner-message-enable"),
    "banner_message_text": ("org/gnome/login-screen", "banner-message-text"),
    "disable_user_list": ("org/gnome/login-screen", "disable-user-list"),
    "idle_delay": ("org/gnome/desktop/session", "idle-delay"),
    "lock_delay": ("org/gnome/desktop/screensaver", "lock-delay"),
    "automount": ("org/gnome/desktop/media-handling", "automount"),
    "automount_open": ("org/gnome/desktop/media-handling", "automount-open"),
    "autorun_never": ("org/gnome/desktop/media-handling", "autorun-never"),
}


def _value(text: str) -> Any:
    """A GVariant text value: ``true``, ``uint32 900``, ``'text'``."""
    v = text.strip()
    if v in ("true", "false"):
        return v == "true"
    for prefix in ("uint32 ", "int32 ", "uint64 ", "int64 "):
        if v.startswith(prefix):
            v = v[len(prefix):].strip()
    if v.lstrip("-").isdigit():
        return int(v)
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


def gdm_package(out: Output) -> str | None:
    """The installed GDM package (``gdm3`` on Debian, ``gdm`` on RHEL), or None."""
    from checks.host.parsers.system import parse_packages

    installed = parse_packages(out)[0].attrs["installed"]
    return next((p for p in ("gdm3", "gdm") if p in installed), None)


def parse_gdm(out: Output) -> list[Resource]:
    gdm = gdm_package(out)
    attrs: dict[str, Any] = {"installed": gdm is not None,
                             "installed_reason": f"package {gdm} is installed" if gdm else
                             "GDM is not installed (no gdm3 or gdm package)"}
    if gdm is None:
        return [Resource("gdm", "host.gdm", attrs)]
    _, chunks = split_files(require(out.get("gdm"), "GDM configuration"), out.marker)
    for c in chunks:
        if c.state not in ("ok", "missing"):
            raise FactError(f"GDM configuration: {unread_reason(c, c.path)}")
    keyfiles = sorted((c for c in chunks if c.path.startswith("/etc/dconf/db/") and "/locks/" not in c.path
                       and not c.path.endswith("/") and c.state == "ok"), key=lambda c: c.path)
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    for attr, (path, key) in SETTINGS.items():
        vals = ini_values(keyfiles, path, (key,))
        if key in vals:
            attrs[attr] = _value(vals[key][0])
            sources[attr] = ({"path": vals[key][1], "line": vals[key][2]},)
    locked: set[str] = set()
    for c in chunks:
        if "/locks/" in c.path and c.state == "ok":
            locked.update(ln.strip().lstrip("/") for ln in c.text.split("\n") if ln.strip() and not ln.startswith("#"))
    attrs["locked"] = sorted(locked)
    custom = next((c for c in chunks if c.path == "/etc/gdm3/custom.conf" and c.state == "ok"), None)
    xd = ini_values([custom] if custom else [], "xdmcp", ("Enable",))
    attrs["xdmcp_enabled"] = bool(xd) and xd["Enable"][0].lower() in ("true", "1", "yes")
    if xd:
        sources["xdmcp_enabled"] = ({"path": xd["Enable"][1], "line": xd["Enable"][2]},)
    return [Resource("gdm", "host.gdm", attrs, sources=sources)]


def parse_wireless(out: Output) -> list[Resource]:
    text = require(out.get("wireless"), "network interfaces (/sys/class/net)")
    ifaces = [ln.split()[1] for ln in text.split("\n") if ln.startswith("wireless ") and len(ln.split()) >= 2]
    return [Resource("wireless", "host.wireless", {"interfaces": sorted(ifaces)})]
