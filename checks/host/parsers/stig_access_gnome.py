"""Parser for ``host.stig_gnome``: the GNOME settings the DISA STIGs require, as dconf gives them to user sessions
and to the GDM greeter (section ``stig_gnome`` of checks/host/facts_stig_access.sh, and ``packages``).

dconf reads the databases its profile lists (``/etc/dconf/profile/user`` for sessions, ``/etc/dconf/profile/gdm``
for the greeter): ``system-db:NAME`` is compiled from the keyfiles of ``/etc/dconf/db/NAME.d`` (later files win)
and its ``locks/`` files; an earlier database in the profile wins over a later one, and a key locked in any system
database cannot be changed by the user. A key no listed database sets is unset (null), so a control requiring it
fails; without a profile no system database applies at all.
"""

from __future__ import annotations

from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import require
from checks.host.parsers.desktop import _value
from checks.host.parsers.stig_access import normalise_text, unread_why
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

DB = "/etc/dconf/db/"
#: attribute -> (profile, dconf path, key)
SETTINGS = {
    "logout": ("user", "org/gnome/settings-daemon/plugins/media-keys", "logout"),
    "lock_enabled": ("user", "org/gnome/desktop/screensaver", "lock-enabled"),
    "picture_uri": ("user", "org/gnome/desktop/screensaver", "picture-uri"),
    "removal_action": ("user", "org/gnome/settings-daemon/peripherals/smartcard", "removal-action"),
    "disable_restart_buttons": ("gdm", "org/gnome/login-screen", "disable-restart-buttons"),
    "banner_message_text": ("gdm", "org/gnome/login-screen", "banner-message-text"),
}


def _profile_dbs(chunk: FileChunk | None) -> list[str]:
    if chunk is None or chunk.state != "ok":
        return []
    return [ln.split(":", 1)[1].strip() for ln in chunk.text.split("\n") if ln.strip().startswith("system-db:")]


def _keyfile(chunk: FileChunk) -> dict[str, tuple[str, int]]:
    """``path/key`` -> (raw value, line) of one dconf keyfile."""
    out: dict[str, tuple[str, int]] = {}
    group = ""
    for n, raw in enumerate(chunk.text.split("\n"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip().strip("/")
        elif "=" in line and group:
            k, _, v = line.partition("=")
            out[f"{group}/{k.strip()}"] = (v.strip(), n)
    return out


def _banner(raw: Any) -> Any:
    """The banner text as the STIG compares it: GVariant ``\\n`` escapes are line breaks, whitespace collapsed."""
    return normalise_text(raw.replace("\\n", "\n")) if isinstance(raw, str) else raw


def parse_stig_gnome(out: Output) -> list[Resource]:
    """``host.stig_gnome``: one resource per host (id `stig_gnome`)."""
    from checks.host.parsers.desktop import gdm_package

    gdm = gdm_package(out)
    attrs: dict[str, Any] = {"gdm_installed": gdm is not None,
                             "gdm_installed_reason": f"package {gdm} is installed" if gdm else
                             "GDM is not installed (no gdm3 or gdm package): the STIG's GNOME rules do not apply"}
    if gdm is None:
        return [Resource("stig_gnome", "host.stig_gnome", attrs)]
    _, chunks = split_files(require(out.get("stig_gnome"), "GNOME configuration"), out.marker)
    for c in chunks:
        if c.state in ("unreadable", "truncated"):
            raise FactError(f"GNOME configuration: {unread_why(c)}")
    by_path = {c.path: c for c in chunks}
    keyfiles: dict[str, dict[str, tuple[str, str, int]]] = {}
    locks: dict[str, set[str]] = {}
    for c in sorted(chunks, key=lambda c: c.path):
        if not c.path.startswith(DB) or c.path.endswith("/") or c.state != "ok":
            continue
        db, _, rest = c.path[len(DB):].partition(".d/")
        if rest.startswith("locks/"):
            locks.setdefault(db, set()).update(ln.strip().strip("/") for ln in c.text.split("\n")
                                               if ln.strip() and not ln.strip().startswith("#"))
        elif rest and "/" not in rest:
            for key, (value, line) in _keyfile(c).items():
                keyfiles.setdefault(db, {})[key] = (value, c.path, line)
    profiles = {p: _profile_dbs(by_path.get(f"/etc/dconf/profile/{p}")) for p in ("user", "gdm")}
    attrs["user_profile_dbs"], attrs["gdm_profile_dbs"] = profiles["user"], profiles["gdm"]
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    for attr, (profile, path, key) in SETTINGS.items():
        full = f"{path}/{key}"
        found = next((keyfiles[db][full] for db in profiles[profile] if full in keyfiles.get(db, {})), None)
        setting = _value(found[0]) if found else None
        attrs[attr] = _banner(setting) if attr == "banner_message_text" else setting
        attrs[f"{attr}_locked"] = any(full in locks.get(db, set()) for db in profiles[profile])
        if found:
            sources[attr] = ({"path": found[1], "line": found[2]},)
    attrs["session_idle_delay_locked"] = any("org/gnome/desktop/session/idle-delay" in locks.get(db, set())
                                             for db in profiles["user"])
    attrs["screensaver_lock_delay_locked"] = any("org/gnome/desktop/screensaver/lock-delay" in locks.get(db, set())
                                                 for db in profiles["user"])
    custom = next((by_path[p] for p in ("/etc/gdm/custom.conf", "/etc/gdm3/custom.conf")
                   if p in by_path and by_path[p].state == "ok"), None)
    auto = _keyfile(custom).get("daemon/AutomaticLoginEnable") if custom else None
    attrs["automatic_login_enable"] = auto[0] if auto else None
    if auto and custom:
        sources["automatic_login_enable"] = ({"path": custom.path, "line": auto[1]},)
    attrs["stale_databases"] = _stale(by_path.get("mtimes:/etc/dconf/db"))
    return [Resource("stig_gnome", "host.stig_gnome", attrs, sources=sources)]


def _stale(chunk: FileChunk | None) -> list[str]:
    """Databases older than one of their keyfiles (or never compiled): what ``dconf update`` has not applied."""
    if chunk is None:
        return []
    lines = [ln for ln in chunk.text.split("\n") if "|" in ln]
    if len(lines) > 2000:
        raise FactError("/etc/dconf/db holds more than 2000 files: not evaluated")
    times: dict[str, float] = {}
    for ln in lines:
        stamp, _, rel = ln.partition("|")
        try:
            times[rel] = float(stamp)
        except ValueError:
            raise FactError(f"/etc/dconf/db: unreadable modification time {stamp!r}") from None
    newest: dict[str, float] = {}
    for rel, when in times.items():
        db, sep, _ = rel.partition(".d/")
        if sep:
            newest[db] = max(newest.get(db, 0.0), when)
    return sorted(db for db, when in newest.items() if db not in times or times[db] < when)
