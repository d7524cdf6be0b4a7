"""Parser for host.homes: the home directory and dot files of each account with a login shell."""

from __future__ import annotations

from typing import Any

from checks.host.parsers import FactError
from checks.host.parsers.common import require
from checks.host.parsers.statlines import id_names, parse_stat_lines
from checks.host.script import Output, split_files
from scanner.model import Resource

#: Dot files no account should have (CIS 7.2.10): mail forwarding and rsh trust.
FORBIDDEN = (".forward", ".rhosts")
#: Dot files that must be readable by their owner only.
PRIVATE = (".netrc", ".bash_history")
PER_HOME_LIMIT = 500


def parse_homes(out: Output) -> list[Resource]:
    """``host.homes``: one resource per account whose shell is not nologin/false (id ``home:<name>``)."""
    sec = out.get("homes")
    if not sec.ok and "Permission denied" in sec.stderr:
        raise FactError("/etc/passwd not readable: home directories not examined")
    pre, chunks = split_files(require(sec, "home directories"), out.marker)
    if "GS_LIMIT accounts" in pre or any("GS_LIMIT accounts" in c.text for c in chunks):
        raise FactError("more than 1000 accounts with a login shell: home directories not evaluated on a partial list")
    names = id_names(out)
    uids: dict[str, int] = {}
    s = out.get("passwd")
    for line in require(s, "/etc/passwd").split("\n"):
        f = line.split(":")
        if len(f) >= 7 and f[2].isdigit():
            uids.setdefault(f[0], int(f[2]))
    res = []
    for c in chunks:
        if not c.path.startswith("home:"):
            continue
        user = c.path[5:]
        lines = c.text.split("\n")
        lost: dict[str, str] = {}
        st = parse_stat_lines([ln for ln in lines if not ln.startswith(("GS_SYMLINK", "GS_RELATIVE", "GS_DENIED"))], names)
        home = next((ln.split(" ", 1)[1] for ln in lines if ln.startswith("GS_RELATIVE ")), None)
        head = parse_stat_lines(lines[:1], names) if home is None else None
        if head is not None and head.entries:
            home_path, top = head.entries[0]["path"], head.entries[0]
        else:
            home_path, top = (home or (head.missing[0] if head and head.missing else "")), None
        if head is not None and head.problems:
            lost["exists"] = "; ".join(head.problems)
        entries = st.entries
        uid = uids.get(user)
        attrs: dict[str, Any] = {"name": user, "uid": uid, "home": home_path, "exists": top is not None,
                                 "is_directory": top is not None and top["type"] == "directory",
                                 "owner": top["owner"] if top else None, "mode": top["mode"] if top else None,
                                 "perms": top["perms"] if top else [],
                                 "owned_by_user": top is not None and top["uid"] == uid}
        dots = [e for e in entries if e["path"] != home_path]
        if home is not None:
            lost["exists"] = f"home directory {home!r} is not an absolute path"
        dot_why = None
        if any(ln.startswith("GS_SYMLINK ") for ln in lines):
            dot_why = f"{home_path} is a symbolic link: its dot files were not examined"
        elif any(ln.startswith("GS_DENIED") for ln in lines) or st.problems:
            dot_why = f"{home_path} could not be listed (run as root or with sudo)"
        elif len(dots) > PER_HOME_LIMIT:
            dot_why = f"more than {PER_HOME_LIMIT} dot files in {home_path}: not evaluated on a partial list"
        problems = []
        for e in dots:
            name = e["path"].rsplit("/", 1)[-1]
            if name in FORBIDDEN:
                problems.append({"path": e["path"], "why": f"{name} must not exist"})
            if e["type"] == "symlink":
                continue
            if e["uid"] != uid:
                problems.append({"path": e["path"], "why": f"owned by {e['owner']}, not {user}"})
            if name in PRIVATE and {"gr", "gw", "gx", "or", "ow", "ox"} & set(e["perms"]):
                problems.append({"path": e["path"], "why": f"mode {e['mode']} (at most 0600)"})
            elif e["type"] == "file" and {"gw", "ow"} & set(e["perms"]):
                problems.append({"path": e["path"], "why": f"mode {e['mode']}: writable by group or others"})
        attrs["dotfile_problems"] = problems
        attrs["netrc"] = any(e["path"].endswith("/.netrc") for e in dots)
        if dot_why:
            lost["dotfile_problems"] = lost["netrc"] = dot_why
        res.append(Resource(f"home:{user}", "host.homes", attrs, attr_errors=lost))
    return res
