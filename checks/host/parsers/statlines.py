"""Lines of ``gs_stat`` / ``gs_find`` (checks/host/facts_cis_b.sh) as path records, owners named from the scanned
system's own /etc/passwd and /etc/group (not the scanning machine's: a file tree has its own ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.host.parsers.common import perms_of
from checks.host.script import Output

_TYPES = {"regular file": "file", "regular empty file": "file", "directory": "directory", "f": "file",
          "d": "directory", "l": "symlink", "symbolic link": "symlink"}


@dataclass
class StatList:
    """Entries read, and why the list is incomplete (``problems``: never evaluate a partial list as whole)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def id_names(out: Output) -> tuple[dict[int, str], dict[int, str]]:
    """uid -> name and gid -> name from the passwd and group sections (empty when they were not read)."""
    users: dict[int, str] = {}
    groups: dict[int, str] = {}
    for sec, table in (("passwd", users), ("group", groups)):
        s = out.get(sec)
        if not s.ok:
            continue
        for line in s.stdout.split("\n"):
            f = line.split(":")
            if len(f) >= 4 and f[2].isdigit():
                table.setdefault(int(f[2]), f[0])
    return users, groups


def parse_stat_lines(lines: list[str], names: tuple[dict[int, str], dict[int, str]], limit_what: str = "") -> StatList:
    """Records ``{path, type, mode, perms, uid, gid, owner, group}`` from gs_stat/gs_find lines."""
    users, groups = names
    res = StatList()
    for line in lines:
        if not line.strip():
            continue
        if line.startswith("GS_LIMIT "):
            res.problems.append(f"more than the fact script lists under {line[9:]}{limit_what}: not evaluated on "
                                "a partial list")
            continue
        if line.startswith("GS_DENIED "):
            res.problems.append(f"{line[10:]} (permission denied: run as root or with sudo)")
            continue
        head, sep, state = line.rpartition("|")
        if sep and state in ("missing", "unreadable") and head.startswith("/"):
            if state == "missing":
                res.missing.append(head)
            else:
                res.problems.append(f"{head} could not be examined (permission denied: run as root or with sudo)")
            continue
        f = line.split("|", 4)
        if len(f) != 5 or not f[1].isdigit() or not f[2].isdigit() or not f[3].isdigit():
            continue
        mode = int(f[1], 8)
        uid, gid = int(f[2]), int(f[3])
        res.entries.append({"path": f[4], "type": _TYPES.get(f[0], f[0]), "mode": f"{mode:04o}", "perms": perms_of(mode),
                            "uid": uid, "gid": gid, "owner": users.get(uid, str(uid)), "group": groups.get(gid, str(gid))})
    return res


def package_manager(out: Output) -> str:
    """The package manager the package list came from (``dpkg``, ``rpm``; "" when unknown)."""
    from checks.host.parsers import FactError
    from checks.host.parsers.system import parse_packages

    try:
        return str(parse_packages(out)[0].attrs.get("manager") or "")
    except FactError:
        return ""


def installed_packages(out: Output) -> tuple[dict[str, str] | None, str | None]:
    """name -> version of the installed packages (host.packages' parser), or (None, why) when unread."""
    from checks.host.parsers import FactError
    from checks.host.parsers.system import parse_packages

    try:
        return dict(parse_packages(out)[0].attrs["installed"]), None
    except FactError as exc:
        return None, str(exc)
