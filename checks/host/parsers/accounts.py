"""Parsers for host.users, host.groups, host.shadow and host.login_defs."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import (config_lines, int_or_none, perms_of, preamble, require, to_int,
                                        truncated_reason)
from checks.host.script import Output, split_files
from scanner.model import Resource

#: Shells that do not give an interactive login. Not the empty field: passwd(5) says an empty shell
#: means /bin/sh, so such an account can log in.
NOLOGIN_SHELLS = frozenset({"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false",
                            "/bin/sync", "/sbin/shutdown", "/sbin/halt", "/usr/bin/nologin"})


def _passwd(out: Output) -> list[list[str]]:
    rows = [ln.split(":") for ln in require(out.get("passwd"), "/etc/passwd").split("\n") if ln.strip()]
    rows = [r for r in rows if len(r) >= 7 and not r[0].startswith(("+", "-"))]
    if not rows:
        raise FactError("/etc/passwd could not be read: no accounts listed")
    return rows


def _groups(out: Output) -> list[list[str]]:
    rows = [ln.split(":") for ln in require(out.get("group"), "/etc/group").split("\n") if ln.strip()]
    return [r for r in rows if len(r) >= 4]


#: Attributes computed from UID_MIN: unread when /etc/login.defs could not be read.
_UID_MIN_ATTRS = ("system",)


def _uid_min(out: Output) -> tuple[int | None, str | None]:
    """UID_MIN from /etc/login.defs, or (None, why) when the file could not be read.

    1000 (the shadow utilities' built-in default) only when the file was read and does not set it,
    or does not exist: never because it could not be read.
    """
    sec = out.get("login_defs")
    if not sec.ok:
        return None, f"UID_MIN unknown: /etc/login.defs could not be read: {sec.reason()}"
    defs, states = _login_defs_values(sec.stdout, out.marker)
    state = states.get("/etc/login.defs")
    if state == "truncated":
        return None, "UID_MIN unknown: " + truncated_reason("/etc/login.defs")
    if state not in ("ok", "missing"):
        return None, f"UID_MIN unknown: /etc/login.defs not readable ({NOT_ROOT_HINT})"
    v = defs.get("uid_min")
    if v is None:
        return 1000, None
    if not isinstance(v, int):
        return None, f"UID_MIN unknown: /etc/login.defs sets it to {str(v)[:40]!r}, not a number"
    return v, None


def _is_system(uid: int | None, uid_min: int | None) -> bool:
    return uid is not None and uid_min is not None and (uid < uid_min or uid == 65534)


def parse_users(out: Output) -> list[Resource]:
    """``host.users``: one resource per account of /etc/passwd (id ``user:<name>``)."""
    rows = _passwd(out)
    groups = _groups(out)
    gid_name = {int_or_none(g[2]): g[0] for g in groups}
    supplementary: dict[str, list[str]] = defaultdict(list)
    for g in groups:
        for member in filter(None, g[3].split(",")):
            supplementary[member.strip()].append(g[0])
    uid_min, uid_min_lost = _uid_min(out)
    lost = {a: uid_min_lost for a in _UID_MIN_ATTRS} if uid_min_lost else {}
    names = Counter(r[0] for r in rows)
    by_uid: dict[int | None, list[str]] = defaultdict(list)
    for r in rows:
        by_uid[int_or_none(r[2])].append(r[0])
    res: dict[str, Resource] = {}
    for r in rows:
        name, pw, uid, gid, shell = r[0], r[1], int_or_none(r[2]), int_or_none(r[3]), r[6].strip()
        attrs: dict[str, Any] = {
            "name": name, "uid": uid, "gid": gid, "home": r[5], "shell": shell,
            "effective_shell": shell or "/bin/sh",
            "interactive_shell": shell not in NOLOGIN_SHELLS,
            "system": _is_system(uid, uid_min),
            "password_shadowed": pw == "x",
            "duplicate_name": names[name] > 1,
            "uid_shared_with": sorted(n for n in by_uid[uid] if n != name),
            "primary_group": gid_name.get(gid), "primary_group_exists": gid in gid_name,
            "groups": sorted(supplementary.get(name, [])),
        }
        res.setdefault(f"user:{name}", Resource(f"user:{name}", "host.users", attrs, attr_errors=lost))
    return list(res.values())


def parse_groups(out: Output) -> list[Resource]:
    """``host.groups``: one resource per group of /etc/group (id ``group:<name>``)."""
    groups = _groups(out)
    if not groups:
        raise FactError("/etc/group could not be read: no groups listed")
    users = _passwd(out)
    names = Counter(g[0] for g in groups)
    by_gid: dict[int | None, list[str]] = defaultdict(list)
    for g in groups:
        by_gid[int_or_none(g[2])].append(g[0])
    res: dict[str, Resource] = {}
    for g in groups:
        gid = int_or_none(g[2])
        attrs = {
            "name": g[0], "gid": gid, "password_shadowed": g[1] == "x",
            "members": [m.strip() for m in g[3].split(",") if m.strip()],
            "primary_members": sorted(u[0] for u in users if int_or_none(u[3]) == gid),
            "duplicate_name": names[g[0]] > 1,
            "gid_shared_with": sorted(n for n in by_gid[gid] if n != g[0]),
        }
        res.setdefault(f"group:{g[0]}", Resource(f"group:{g[0]}", "host.groups", attrs))
    return list(res.values())


def _algorithm(hash_: str) -> str | None:
    for prefix, name in (("$y$", "yescrypt"), ("$gy$", "gost-yescrypt"), ("$7$", "scrypt"), ("$6$", "sha512"),
                         ("$5$", "sha256"), ("$2", "bcrypt"), ("$1$", "md5")):
        if hash_.startswith(prefix):
            return name
    return "des" if len(hash_) == 13 else None


def parse_shadow(out: Output) -> list[Resource]:
    """``host.shadow``: password state and ageing per account of /etc/shadow (id ``shadow:<name>``).

    A separate type from host.users so that, run as non-root, only the controls that need
    /etc/shadow become ``error`` while passwd-based controls still evaluate.
    """
    sec = out.get("shadow")
    if not sec.ok:
        if "Permission denied" in sec.stderr or sec.rc == 1:
            raise FactError(f"/etc/shadow not readable: {NOT_ROOT_HINT}")
        require(sec, "/etc/shadow")
    notes, lines = preamble(sec.stdout)
    today = int_or_none(notes.get("GS_NOW"))
    today_days = today // 86400 if today is not None else None
    rows = _passwd(out)
    uids = {r[0]: int_or_none(r[2]) for r in rows}
    shells = {r[0]: r[6].strip() or "/bin/sh" for r in rows}
    uid_min, uid_min_lost = _uid_min(out)
    lost = {a: uid_min_lost for a in _UID_MIN_ATTRS} if uid_min_lost else {}
    valid, shells_lost = _valid_shells(out)
    if shells_lost:
        lost["shell_valid"] = shells_lost
    if today_days is None:
        why = "the host's clock could not be read (date +%s printed no number)"
        lost.update({a: why for a in ("days_since_change", "last_change_in_future")})
    res: dict[str, Resource] = {}
    for line in lines:
        f = line.split(":")
        if len(f) < 8 or not f[0]:
            continue
        name, pw = f[0], f[1]
        status = "empty" if pw == "" else "locked" if pw.startswith(("!", "*")) else "set"
        last = int_or_none(f[2])
        uid = uids.get(name)
        attrs: dict[str, Any] = {
            "name": name, "uid": uid, "in_passwd": name in uids,
            "system": _is_system(uid, uid_min),
            "password_status": status,
            "algorithm": _algorithm(pw.lstrip("!")) if pw.lstrip("!") not in ("", "*") else None,
            "last_change": last, "min_days": int_or_none(f[3]), "max_days": int_or_none(f[4]),
            "warn_days": int_or_none(f[5]), "inactive_days": int_or_none(f[6]), "expire": int_or_none(f[7]),
            "days_since_change": (today_days - last) if today_days is not None and last is not None else None,
        }
        attrs["shell"] = shells.get(name)
        attrs["shell_valid"] = None if valid is None else shells.get(name) in valid
        attrs["last_change_in_future"] = (None if today_days is None else
                                          attrs["days_since_change"] is not None and attrs["days_since_change"] < 0)
        res.setdefault(f"shadow:{name}", Resource(f"shadow:{name}", "host.shadow", attrs, attr_errors=lost))
    if not res:
        raise FactError("/etc/shadow could not be read: no accounts listed")
    return list(res.values())


def _valid_shells(out: Output) -> tuple[frozenset[str] | None, str | None]:
    """The shells /etc/shells lists (none when it does not exist), or (None, why) when it could not be read."""
    sec = out.get("shellrc")
    if not sec.ok:
        return None, f"/etc/shells could not be read: {sec.reason()}"
    chunk = next((c for c in split_files(sec.stdout, out.marker)[1] if c.path == "/etc/shells"), None)
    if chunk is None or chunk.state not in ("ok", "missing"):
        return None, f"/etc/shells not readable ({NOT_ROOT_HINT})"
    return frozenset(ln.strip() for ln in chunk.text.split("\n") if ln.strip() and not ln.strip().startswith("#")), None


def _login_defs_values(stdout: str, marker: str) -> tuple[dict[str, Any], dict[str, str]]:
    _, chunks = split_files(stdout, marker)
    defs: dict[str, Any] = {}
    states = {c.path: c.state for c in chunks}
    for c in chunks:
        if c.path == "/etc/login.defs":
            for line in config_lines(c.text):
                key, _, value = line.partition(" ") if " " in line else line.partition("\t")
                value = value.strip().strip('"')
                # UMASK is octal: keep the text; other numbers become integers.
                defs[key.strip().lower()] = value if key.strip() == "UMASK" else to_int(value)
        elif c.path == "/etc/default/useradd":
            for line in config_lines(c.text):
                key, _, value = line.partition("=")
                if key.strip() == "INACTIVE":
                    defs["useradd_inactive"] = int_or_none(value.strip().strip('"'))
    return defs, states


def parse_login_defs(out: Output) -> list[Resource]:
    """``host.login_defs``: /etc/login.defs (keys lower-case) plus useradd's INACTIVE default."""
    defs, states = _login_defs_values(require(out.get("login_defs"), "/etc/login.defs"), out.marker)
    state = states.get("/etc/login.defs", "missing")
    if state == "unreadable":
        raise FactError(f"/etc/login.defs not readable: {NOT_ROOT_HINT}")
    if state == "truncated":
        raise FactError(truncated_reason("/etc/login.defs"))
    lost: dict[str, str] = {}
    useradd = states.get("/etc/default/useradd")
    if useradd == "truncated":
        lost["useradd_inactive"] = truncated_reason("/etc/default/useradd")
    elif useradd == "unreadable":
        lost["useradd_inactive"] = f"/etc/default/useradd not readable: {NOT_ROOT_HINT}"
    attrs: dict[str, Any] = {"exists": state == "ok", **defs}
    umask = defs.get("umask")
    if isinstance(umask, str) and umask.isdigit():
        # Permission bits a new file/directory may get under this umask (0777 & ~umask).
        attrs["umask_allows"] = perms_of(0o777 & ~int(umask, 8))
    return [Resource("login.defs", "host.login_defs", attrs, attr_errors=lost)]
