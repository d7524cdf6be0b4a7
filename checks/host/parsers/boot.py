"""Parsers for host.boot (GRUB: password, AppArmor on the kernel command line) and host.apparmor.

host.boot reads /boot/grub/grub.cfg (and user.cfg) as CIS Debian 12 1.4.1 and 1.3.1.2 audit it: a
``set superusers=`` and a ``password_pbkdf2`` line; ``apparmor=1`` and ``security=apparmor`` on every
``linux`` line. A grub.cfg that does not exist is not compliant (no proof of either), so the attributes are
false with the reason, never "not applicable". host.apparmor reads the kernel's loaded profiles (runtime
only: /sys/kernel/security/apparmor/profiles) and the apparmor packages.
"""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import require
from checks.host.parsers.firewall import unread_reason
from checks.host.script import Output, split_files
from scanner.model import Resource

_PROFILE_ATTRS = ("profiles", "enforce", "complain", "not_enforce_or_complain", "not_enforce")
GRUB_CFG = "/boot/grub/grub.cfg"
USER_CFG = "/boot/grub/user.cfg"


def parse_boot(out: Output) -> list[Resource]:
    _, chunks = split_files(require(out.get("boot"), "boot loader configuration"), out.marker)
    files = {c.path: c for c in chunks}
    cfg = files.get(GRUB_CFG)
    why = unread_reason(cfg, GRUB_CFG)
    if why:
        raise FactError(f"boot loader configuration: {why}")
    assert cfg is not None
    attrs: dict[str, Any] = {"grub_cfg_exists": cfg.state != "missing"}
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    superusers: list[str] = []
    passwords: list[str] = []
    linux: list[tuple[int, str]] = []
    texts = [(GRUB_CFG, cfg.text)]
    user = files.get(USER_CFG)
    if user is not None and user.state == "ok":
        texts.append((USER_CFG, user.text))
    elif unread_reason(user, USER_CFG) and user is not None and user.state != "missing":
        raise FactError(f"boot loader configuration: {unread_reason(user, USER_CFG)}")
    for path, text in texts:
        for n, raw in enumerate(text.split("\n"), 1):
            line = raw.strip()
            m = re.match(r"set\s+superusers\s*=\s*\"?([^\"]*)\"?", line)
            if m and m.group(1).strip():
                superusers.append(m.group(1).strip())
                sources.setdefault("superusers", ())
                sources["superusers"] += ({"path": path, "line": n},)
            f = line.split()
            if len(f) >= 3 and f[0] in ("password_pbkdf2", "password"):
                passwords.append(f"{f[1]} ({'pbkdf2' if f[0] == 'password_pbkdf2' else 'plain text'})")
                sources.setdefault("passwords", ())
                sources["passwords"] += ({"path": path, "line": n},)
            if path == GRUB_CFG and f and f[0] in ("linux", "linuxefi", "linux16"):
                linux.append((n, line))
    attrs["superusers"] = superusers
    attrs["passwords"] = passwords
    attrs["pbkdf2_password"] = any(p.endswith("(pbkdf2)") for p in passwords)
    attrs["linux_lines"] = len(linux)
    attrs["linux_lines_without_apparmor"] = [
        f"{GRUB_CFG}:{n}" for n, line in linux
        if not re.search(r"(^|\s)apparmor=1(\s|$)", line) or not re.search(r"(^|\s)security=apparmor(\s|$)", line)]
    return [Resource("boot", "host.boot", attrs, sources=sources)]


def parse_apparmor(out: Output) -> list[Resource]:
    from checks.host.parsers.system import parse_packages

    installed = parse_packages(out)[0].attrs["installed"]
    attrs: dict[str, Any] = {"installed": "apparmor" in installed, "utils_installed": "apparmor-utils" in installed}
    lost: dict[str, str] = {}
    sec = out.get("apparmor")
    if not sec.ok:
        lost.update({a: sec.reason() for a in ("enabled", *_PROFILE_ATTRS)})
        return [Resource("apparmor", "host.apparmor", attrs, attr_errors=lost)]
    files = {c.path: c for c in split_files(sec.stdout, out.marker)[1]}
    en = files.get("live:enabled")
    attrs["enabled"] = bool(en and en.state == "ok" and en.text.strip().upper().startswith("Y"))
    prof = files.get("live:profiles")
    if prof is None or prof.state in ("unreadable", "truncated"):
        why = "the loaded AppArmor profiles could not be read (/sys/kernel/security/apparmor/profiles)"
        lost.update({a: why for a in _PROFILE_ATTRS})
        return [Resource("apparmor", "host.apparmor", attrs, attr_errors=lost)]
    modes: dict[str, str] = {}
    if prof.state == "ok":
        for line in prof.text.split("\n"):
            m = re.match(r"^(.*) \(([a-z]+)\)\s*$", line)
            if m:
                modes[m.group(1)] = m.group(2)
            elif line.strip():
                lost.update({a: f"unexpected line in the AppArmor profile list: {line[:80]!r}" for a in _PROFILE_ATTRS})
    if "profiles" not in lost:
        attrs["profiles"] = len(modes)
        attrs["enforce"] = sorted(p for p, m in modes.items() if m == "enforce")
        attrs["complain"] = sorted(p for p, m in modes.items() if m == "complain")
        attrs["not_enforce_or_complain"] = sorted(f"{p} ({m})" for p, m in modes.items() if m not in ("enforce", "complain"))
        attrs["not_enforce"] = sorted(f"{p} ({m})" for p, m in modes.items() if m != "enforce")
    return [Resource("apparmor", "host.apparmor", attrs, attr_errors=lost)]
