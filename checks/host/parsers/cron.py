"""Whether a cron daemon is installed: CIS (Debian 12 2.4.1) skips the cron section when it is not.

Decided from data actually read: a cron binary on the host's PATH, or a cron package in the package
database. When neither is found and the package database could not be read, it is unknown (an
attribute error), never "not installed" (which would make the cron controls not applicable).
"""

from __future__ import annotations

from checks.host.parsers import FactError
from checks.host.script import Output

#: Packages that install a cron daemon (Debian and RHEL families).
CRON_PACKAGES = ("cron", "cronie", "systemd-cron", "bcron", "fcron", "dcron")

#: host.files paths that belong to cron (they carry ``cron_installed``).
CRON_PATHS = frozenset({"/etc/crontab", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
                        "/etc/cron.monthly", "/etc/cron.d", "/etc/cron.allow", "/etc/cron.deny"})

#: The attributes this module adds.
CRON_ATTRS = ("cron_installed", "cron_installed_reason")


def cron_installed(out: Output) -> tuple[bool | None, str]:
    """``(True|False, how it was decided)`` or ``(None, why it is unknown)``."""
    from checks.host.parsers.system import parse_packages

    sec = out.get("cron")
    binaries = [ln.split(" ", 1)[1] for ln in sec.stdout.split("\n") if ln.startswith("bin ")] if sec.ok else []
    if binaries:
        return True, f"cron is installed: {binaries[0]}"
    try:
        installed = parse_packages(out)[0].attrs["installed"]
    except FactError as exc:
        return None, f"whether cron is installed is unknown: {exc}"
    found = [p for p in CRON_PACKAGES if p in installed]
    if found:
        return True, f"cron is installed: package {found[0]} {installed[found[0]]}"
    if not sec.ok:
        return None, f"whether cron is installed is unknown: {sec.reason()}"
    return False, (f"cron is not installed: no cron package ({', '.join(CRON_PACKAGES)}) and no cron daemon "
                   "(cron, crond, fcron, bcron-start) on PATH")


def cron_attrs(out: Output) -> tuple[dict[str, object], dict[str, str]]:
    """``(attrs, attr_errors)`` for a resource that carries the cron attributes."""
    installed, reason = cron_installed(out)
    if installed is None:
        return {}, {a: reason for a in CRON_ATTRS}
    return {"cron_installed": installed, "cron_installed_reason": reason}, {}
