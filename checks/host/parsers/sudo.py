"""Parsers for host.sudo (/etc/sudoers and what it includes) and host.su (pam_wheel in /etc/pam.d/su)."""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT
from checks.host.parsers.common import require, truncated_reason
from checks.host.parsers.statlines import installed_packages
from checks.host.script import FileChunk, Output, split_files
from scanner.model import Resource

#: sudo's own default for timestamp_timeout (minutes), used when no Defaults line sets it.
SUDO_TIMESTAMP_DEFAULT = 15
MAX_DEPTH = 8
SUDO_PACKAGES = ("sudo", "sudo-ldap")
_INCLUDE = re.compile(r"^[#@](include|includedir)\s+(\S.*)$")
_DEFAULTS = re.compile(r"^Defaults([:>!@]\S+)?\s+(.*)$")
_SUDO_DIR = "/etc/sudoers.d"


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with backslash continuations joined; comments kept for #include."""
    out: list[tuple[int, str]] = []
    buf, start = "", 0
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip()
        if not buf:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            out.append((start, buf.strip()))
        buf = ""
    if buf.strip():
        out.append((start, buf.strip()))
    return out


def _split_defaults(body: str) -> list[str]:
    """``a, b="x, y", !c`` -> ["a", 'b="x, y"', "!c"] (commas inside quotes kept)."""
    parts, cur, quoted = [], "", False
    for ch in body:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return [p for p in parts if p]


def _installed(out: Output) -> tuple[bool | None, str | None]:
    pkgs, why = installed_packages(out)
    return (None, why) if pkgs is None else (any(p in pkgs for p in SUDO_PACKAGES), None)


def parse_sudo(out: Output) -> list[Resource]:
    """``host.sudo``: one resource (id ``sudo``): Defaults and rules of sudoers with its includes."""
    _, chunks = split_files(require(out.get("sudo"), "sudo configuration"), out.marker)
    files = {c.path: c for c in chunks if not c.path.startswith("/etc/pam.d/")}
    installed, why = _installed(out)
    attrs: dict[str, Any] = {"installed": installed}
    lost: dict[str, str] = {"installed": why} if why else {}
    problems: list[str] = []
    read: list[str] = []
    defaults: list[dict[str, Any]] = []
    nopasswd: list[dict[str, Any]] = []
    sources: dict[str, tuple[dict[str, Any], ...]] = {}

    def visit(path: str, depth: int) -> None:
        c = files.get(path)
        if c is None:
            problems.append(f"{path} (included) was not read by the fact script")
            return
        if c.state == "missing":
            if depth == 0:
                return
            problems.append(f"{path} is included but does not exist")
            return
        if c.state == "unreadable":
            problems.append(f"{path} not readable: {NOT_ROOT_HINT}")
            return
        if c.state == "truncated":
            problems.append(truncated_reason(path))
            return
        if depth > MAX_DEPTH:
            problems.append(f"{path}: includes nested deeper than {MAX_DEPTH}")
            return
        read.append(path)
        for n, line in _logical_lines(c.text):
            inc = _INCLUDE.match(line)
            if inc:
                target = inc.group(2).strip().strip('"')
                if not target.startswith("/"):
                    target = path.rsplit("/", 1)[0] + "/" + target
                if "%" in target:
                    problems.append(f"{path}:{n}: include {target!r} depends on the host name: not followed")
                elif inc.group(1) == "include":
                    visit(target, depth + 1)
                else:
                    _includedir(target.rstrip("/"), depth + 1, f"{path}:{n}")
                continue
            if line.startswith("#"):
                continue
            line = line.split("#", 1)[0].strip() if '"' not in line else line
            m = _DEFAULTS.match(line)
            if m:
                for item in _split_defaults(m.group(2)):
                    name, sep, value = item.partition("=")
                    name = name.strip().rstrip("+-")
                    neg = name.startswith("!")
                    defaults.append({"scope": m.group(1) or "", "name": name.lstrip("!"), "negated": neg,
                                     "value": value.strip().strip('"') if sep else None, "file": path, "line": n})
            elif re.search(r"\bNOPASSWD\s*:", line):
                nopasswd.append({"file": path, "line": n, "text": line[:200]})

    def _includedir(d: str, depth: int, where: str) -> None:
        if d != _SUDO_DIR:
            problems.append(f"{where}: includedir {d} is not read by the fact script")
            return
        listing = files.get(_SUDO_DIR + "/")
        if listing is None or listing.state != "ok":
            if listing is not None and listing.state == "missing":
                return
            problems.append(f"{_SUDO_DIR} could not be listed ({NOT_ROOT_HINT})")
            return
        for p in sorted(files):
            name = p[len(_SUDO_DIR) + 1:]
            if not p.startswith(_SUDO_DIR + "/") or not name or "/" in name or "*" in name:
                continue
            if "." in name or name.endswith("~"):
                continue  # sudo skips these names in an includedir
            visit(p, depth)

    main = files.get("/etc/sudoers")
    visit("/etc/sudoers", 0)
    attrs["sudoers_exists"] = main is not None and main.state != "missing"
    attrs["files"] = read
    glob = [d for d in defaults if d["scope"] == ""]

    def last(name: str) -> dict[str, Any] | None:
        return next((d for d in reversed(glob) if d["name"] == name), None)

    pty = last("use_pty")
    pty_off = [d for d in defaults if d["name"] == "use_pty" and d["negated"]]
    log = last("logfile")
    ts = last("timestamp_timeout")
    ts_value: Any = SUDO_TIMESTAMP_DEFAULT
    if ts is not None:
        try:
            ts_value = float(ts["value"]) if ts["value"] is not None else None
        except ValueError:
            ts_value = None
            problems.append(f"{ts['file']}:{ts['line']}: timestamp_timeout={ts['value']!r} is not a number")
    noauth = [d for d in defaults if d["name"] == "authenticate" and d["negated"]]
    attrs.update({
        "defaults": defaults,
        "use_pty": pty is not None and not pty["negated"] and not pty_off,
        "use_pty_disabled": [f"{d['file']}:{d['line']} Defaults{d['scope']} !use_pty" for d in pty_off],
        "logfile": None if log is None or log["negated"] else log["value"],
        "timestamp_timeout": ts_value, "timestamp_timeout_set": ts is not None,
        "nopasswd": nopasswd, "no_authenticate": [{"file": d["file"], "line": d["line"],
                                                  "text": f"Defaults{d['scope']} !authenticate"} for d in noauth],
    })
    for attr, d in (("use_pty", pty), ("logfile", log), ("timestamp_timeout", ts)):
        if d is not None:
            sources[attr] = ({"path": d["file"], "line": d["line"]},)
    if nopasswd:
        sources["nopasswd"] = tuple({"path": e["file"], "line": e["line"]} for e in nopasswd[:20])
    if problems:
        why = "; ".join(problems[:3])
        lost.update({a: why for a in ("defaults", "use_pty", "use_pty_disabled", "logfile", "timestamp_timeout",
                                      "timestamp_timeout_set", "nopasswd", "no_authenticate", "files")})
    return [Resource("sudo", "host.sudo", attrs, attr_errors=lost, sources=sources)]


def _group_members(out: Output) -> tuple[dict[str, list[str]], dict[str, str]]:
    sec_g, sec_p = out.get("group"), out.get("passwd")
    members: dict[str, list[str]] = {}
    gids: dict[str, str] = {}
    for line in require(sec_g, "/etc/group").split("\n"):
        f = line.split(":")
        if len(f) >= 4:
            members.setdefault(f[0], [m.strip() for m in f[3].split(",") if m.strip()])
            gids.setdefault(f[2], f[0])
    for line in require(sec_p, "/etc/passwd").split("\n"):
        f = line.split(":")
        if len(f) >= 7 and f[3] in gids:
            members[gids[f[3]]].append(f"{f[0]} (primary group)")
    return members, gids


def parse_su(out: Output) -> list[Resource]:
    """``host.su``: pam_wheel in /etc/pam.d/su and the members of the group it allows (id ``su``)."""
    _, chunks = split_files(require(out.get("sudo"), "su PAM configuration"), out.marker)
    c: FileChunk | None = next((x for x in chunks if x.path == "/etc/pam.d/su"), None)
    if c is None or c.state in ("unreadable", "truncated"):
        why = (truncated_reason("/etc/pam.d/su") if c is not None and c.state == "truncated"
               else f"/etc/pam.d/su not readable: {NOT_ROOT_HINT}")
        return [Resource("su", "host.su", {"pam_su_exists": None}, error=why)]
    attrs: dict[str, Any] = {"pam_su_exists": c.state == "ok", "wheel": None, "wheel_group": None,
                             "wheel_use_uid": False, "wheel_group_exists": None, "wheel_group_members": None}
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    for n, raw in enumerate(c.text.split("\n"), 1):
        f = raw.split("#", 1)[0].split()
        if len(f) >= 3 and f[0] == "auth" and f[2].rsplit("/", 1)[-1] == "pam_wheel.so" and f[1] in ("required", "requisite"):
            args = dict((a.partition("=")[0], a.partition("=")[2]) for a in f[3:])
            attrs.update({"wheel": f"{c.path}:{n}", "wheel_group": args.get("group") or None,
                          "wheel_use_uid": "use_uid" in args})
            sources["wheel_group"] = ({"path": c.path, "line": n},)
            break
    if attrs["wheel"] is not None:
        members, _ = _group_members(out)
        group = attrs["wheel_group"]
        if group is not None:
            attrs["wheel_group_exists"] = group in members
            attrs["wheel_group_members"] = sorted(members.get(group, []))
    return [Resource("su", "host.su", attrs, sources=sources)]
