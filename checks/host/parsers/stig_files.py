"""Parsers for the DISA STIG file rules (checks/host/facts_stig_files.sh): host.stig_paths, host.sshd_drop_ins,
host.journal_files and the opt-in host.system_files walk."""

from __future__ import annotations

import re
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import denied_reason, require
from checks.host.parsers.statlines import StatList, id_names, parse_stat_lines
from checks.host.script import Output, split_files
from scanner.model import Resource

#: The fixed paths the stig_files section stats (one host.stig_paths resource each).
STIG_PATHS = ("/var/log/syslog", "/var/log/messages", "/usr/bin/journalctl", "/etc/ssh/sshd_config.d",
              "/etc/ssh/sshd_config.d/50-redhat.conf", "/run/log/journal", "/var/log/journal")
_JOURNAL_DIRS = ("/run/log/journal", "/var/log/journal")
_STAT = ("exists", "type", "mode", "perms", "owner", "group", "uid", "gid")


def _chunks(out: Output) -> dict[str, list[str]]:
    text = require(out.get("stig_files"), "STIG file metadata (stat)")
    _, chunks = split_files(text, out.marker)
    return {c.path: c.text.split("\n") for c in chunks}


_LINE = re.compile(r"^(?:[a-z ]+\|[0-7]+\|\d+\|\d+\|/.*|/.*\|(?:missing|unreadable)|GS_(?:LIMIT|DENIED) .*)$")


def _listing(lines: list[str], out: Output) -> StatList:
    """The stat records of ``lines``; a line of no known form makes the listing an error (never a skipped entry)."""
    lines = [ln for ln in lines if ln.strip()]
    res = parse_stat_lines([ln for ln in lines if not ln.startswith("GS_BADNAME ")], id_names(out),
                           " (the fact script's limit)")
    odd = [ln for ln in lines if not ln.startswith("GS_BADNAME ") and not _LINE.match(ln)]
    if odd:
        res.problems.append(f"{len(odd)} lines of the listing could not be parsed, e.g. {odd[0][:120]!r}")
    res.problems += [f"a name under {ln[11:]} holds a newline: the listing is not evaluated"
                     for ln in lines if ln.startswith("GS_BADNAME ")]
    return res


def _names_lost(out: Output) -> str | None:
    for sec in ("passwd", "group"):
        if not out.get(sec).ok:
            return f"owner and group names unknown: /etc/{sec} could not be read ({NOT_ROOT_HINT})"
    return None


def parse_stig_paths(out: Output) -> list[Resource]:
    """``host.stig_paths``: mode, owner and group of each path of :data:`STIG_PATHS` (id = the path)."""
    paths = _listing(_chunks(out).get("paths", []), out)
    names = _names_lost(out)
    by_path = {e["path"]: e for e in paths.entries}
    res = []
    for p in STIG_PATHS:
        if p in by_path:
            lost = {a: names for a in ("owner", "group")} if names else {}
            res.append(Resource(p, "host.stig_paths", {**by_path[p], "exists": True}, attr_errors=lost))
        elif p in paths.missing:
            res.append(Resource(p, "host.stig_paths", {"path": p, "exists": False, "type": None, "mode": None,
                                                       "perms": [], "owner": None, "group": None, "uid": None,
                                                       "gid": None}))
        else:
            res.append(Resource(p, "host.stig_paths", {"path": p}, attr_errors={a: denied_reason(p) for a in _STAT}))
    return res


def _dir_state(out: Output, dirs: tuple[str, ...]) -> tuple[bool | None, str | None]:
    """Whether any of ``dirs`` exists (None when one could not be examined), and why not known."""
    paths = _listing(_chunks(out).get("paths", []), out)
    found = {e["path"] for e in paths.entries if e["type"] == "directory"}
    if found & set(dirs):
        return True, None
    if all(d in paths.missing or d in {e["path"] for e in paths.entries} for d in dirs):
        return False, None
    return None, "; ".join(paths.problems) or f"{', '.join(dirs)} could not be examined ({NOT_ROOT_HINT})"


def _listed(out: Output, chunk: str, dirs: tuple[str, ...], rid: str, rtype: str) -> Resource:
    exists, why = _dir_state(out, dirs)
    lst = _listing(_chunks(out).get(chunk, []), out)
    entries = [e for e in lst.entries]
    attrs: dict[str, Any] = {"exists": exists, "dirs": [e for e in entries if e["type"] == "directory"],
                             "files": [e for e in entries if e["type"] == "file"]}
    lost: dict[str, str] = {}
    if exists is None:
        lost["exists"] = why or "unknown"
    problems = lst.problems + ([n] if (n := _names_lost(out)) else [])
    if problems:
        lost.update({"dirs": "; ".join(problems), "files": "; ".join(problems)})
    return Resource(rid, rtype, attrs, attr_errors=lost)


def parse_sshd_drop_ins(out: Output) -> list[Resource]:
    """``host.sshd_drop_ins``: the files directly in /etc/ssh/sshd_config.d (id ``sshd_config.d``)."""
    r = _listed(out, "sshd_drop_ins", ("/etc/ssh/sshd_config.d",), "sshd_config.d", "host.sshd_drop_ins")
    top = "/etc/ssh/sshd_config.d/"
    files = [e for e in r.attrs["files"] if "/" not in e["path"][len(top):]]
    return [Resource(r.id, r.type, {**r.attrs, "files": files}, attr_errors=r.attr_errors)]


def parse_journal_files(out: Output) -> list[Resource]:
    """``host.journal_files``: /run/log/journal and /var/log/journal, their subdirectories and files."""
    r = _listed(out, "journal", _JOURNAL_DIRS, "journal", "host.journal_files")
    paths = _listing(_chunks(out).get("paths", []), out)
    tops = [e for e in paths.entries if e["path"] in _JOURNAL_DIRS and e["type"] == "directory"]
    return [Resource(r.id, r.type, {**r.attrs, "dirs": tops + r.attrs["dirs"]}, attr_errors=r.attr_errors)]


#: host.system_files: attribute -> the walk kinds it counts (see sec_stig_walk).
WALK_KINDS: dict[str, tuple[str, ...]] = {
    "binary_dirs_writable": ("bdir_perm",), "binary_dirs_not_root_owned": ("bdir_owner",),
    "binary_dirs_not_root_group": ("bdir_group",), "binary_files_writable": ("bfile_perm",),
    "binary_paths_not_root_owned": ("bdir_owner", "xdir_owner", "bfile_owner"),
    "binary_files_group_not_system": ("bfile_group",),
    "library_dirs_writable": ("ldir_perm",), "library_dirs_not_root_owned": ("ldir_owner",),
    "library_dirs_not_root_group": ("ldir_group",), "library_files_writable": ("lfile_perm",),
    "library_files_not_root_owned": ("lfile_owner",), "library_files_not_root_group": ("lfile_group",),
    "shosts_equiv_files": ("shosts_equiv",), "shosts_files": ("shosts",),
    "world_writable_dirs_user_owned": ("wwdir_user",),
}
WALK_ATTRS = tuple(f"{a}{s}" for a in WALK_KINDS for s in ("", "_count"))


def parse_system_files(out: Output | None, timeout: int = 0) -> list[Resource]:
    """``host.system_files``: what breaks the STIG rules in the system command and library directories and on
    the local filesystems (one per host, id ``system-files``), or ``walked: false`` when the walk is off."""
    if out is None:
        why = "the filesystem walk is off (run with --input filesystem_walk=true to check)"
        return [Resource("system-files", "host.system_files", {"walked": False},
                         attr_notchecked={a: why for a in WALK_ATTRS})]
    sec = out.get("stig_walk")
    text = require(sec, "the STIG system directory walk")
    lines = text.split("\n")
    if "GS_WALK_OFF" in lines:
        raise FactError("the STIG system directory walk did not run although the filesystem walk was asked for")
    found: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    walked: list[str] = []
    for line in lines:
        f = line.split("\t")
        if f[0] == "GS_RC" and len(f) == 3:
            if f[2] in ("124", "137"):
                raise FactError(f"the walk of {f[1]} did not finish within {timeout}s (raise filesystem_walk_timeout)")
            if f[2] != "0":
                denied = sum(1 for ln in sec.stderr.split("\n") if "Permission denied" in ln)
                why = f"{denied} paths unreadable ({NOT_ROOT_HINT})" if denied else " ".join(sec.stderr.split())[:300]
                raise FactError(f"the walk of {f[1]} is incomplete (exit status {f[2]}){': ' + why if why else ''}")
        elif f[0] == "GS_DIR" and len(f) == 3:
            walked.append(f[2])
        elif f[0] == "GS_COUNT" and len(f) == 3 and f[2].isdigit():
            counts[f[1]] = int(f[2])
        elif len(f) == 2 and not f[0].startswith("GS_"):
            found.setdefault(f[0], []).append(f[1])
    if counts.get("badname"):
        raise FactError("a path under the walked directories holds a newline: the walk is not evaluated")
    if not any(ln.startswith("GS_RC\tlocal filesystems\t") for ln in lines):
        raise FactError("the STIG walk output is incomplete (no end of the local filesystem pass)")
    attrs: dict[str, Any] = {"walked": True, "walked_dirs": sorted(set(walked))}
    for attr, kinds in WALK_KINDS.items():
        attrs[attr] = sorted(p for k in kinds for p in found.get(k, []))
        attrs[attr + "_count"] = sum(counts.get(k, len(found.get(k, []))) for k in kinds)
    return [Resource("system-files", "host.system_files", attrs)]


_NOLOGIN = {"/sbin/nologin", "/usr/sbin/nologin", "/bin/false", "/usr/bin/false"}


def parse_home_groups(out: Output) -> list[Resource]:
    """``host.home_groups``: the group of the home directory of each interactive account (uid 1000 or more, a
    login shell), against its primary group (id ``home-group:<name>``)."""
    text = require(out.get("stig_homes"), "home directories (stat)")
    passwd = require(out.get("passwd"), "/etc/passwd")
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if "GS_LIMIT" in lines:
        raise FactError("more than 1000 home directories: not evaluated on a partial list")
    _, groups = id_names(out)
    stats: dict[str, dict[str, Any]] = {}
    for ln in lines:
        f = ln.split("|", 4)
        if len(f) == 5 and f[1].isdigit() and f[3].isdigit():
            stats[f[4]] = {"exists": True, "home_gid": int(f[3]), "home_group": groups.get(int(f[3]), f[3]),
                           "home_type": "directory" if f[0] == "directory" else f[0]}
        elif len(f) == 2 and f[0] in ("missing", "unreadable"):
            stats[f[1]] = {"exists": False} if f[0] == "missing" else {}
        else:
            raise FactError(f"home directory listing: a line of no known form: {ln[:120]!r}")
    res = []
    for line in passwd.split("\n"):
        f = line.split(":")
        if len(f) < 7 or not f[2].isdigit() or not f[3].isdigit() or int(f[2]) < 1000 or int(f[2]) == 65534:
            continue
        if f[6].strip() in _NOLOGIN or not f[5].startswith("/"):
            continue
        st = stats.get(f[5])
        attrs: dict[str, Any] = {"name": f[0], "uid": int(f[2]), "gid": int(f[3]), "home": f[5],
                                 "primary_group": groups.get(int(f[3]), f[3])}
        lost: dict[str, str] = {}
        if st is None or not st:
            lost = {a: denied_reason(f[5]) for a in ("exists", "home_gid", "home_group", "group_is_primary")}
        else:
            attrs.update(st)
            if st.get("exists"):
                attrs["group_is_primary"] = st["home_gid"] == int(f[3])
        res.append(Resource(f"home-group:{f[0]}", "host.home_groups", attrs, attr_errors=lost))
    return res


def _table(text: str) -> list[dict[str, Any]]:
    from checks.host.parsers.kernel import _unescape

    rows = []
    for n, line in enumerate(text.split("\n"), 1):
        f = line.split()
        if len(f) < 2 or f[0].startswith("#"):
            continue
        rows.append({"device": _unescape(f[0]), "mountpoint": _unescape(f[1]), "fstype": f[2] if len(f) > 2 else "",
                     "options": (f[3] if len(f) > 3 else "defaults").split(","), "line": n})
    return rows


def parse_fstab(out: Output) -> list[Resource]:
    """``host.fstab``: the entries of /etc/fstab and the running mount table (id ``fstab``)."""
    from checks.host.parsers.common import truncated_reason

    _, chunks = split_files(require(out.get("stig_fstab"), "/etc/fstab"), out.marker)
    c = next((c for c in chunks if c.path == "/etc/fstab"), None)
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    if c is None or c.state == "unreadable":
        lost.update({"exists": denied_reason("/etc/fstab"), "entries": denied_reason("/etc/fstab")})
    elif c.state == "truncated":
        attrs["exists"] = True
        lost["entries"] = truncated_reason("/etc/fstab")
    else:
        attrs["exists"] = c.state == "ok"
        attrs["entries"] = _table(c.text) if c.state == "ok" else []
    sec = out.get("mounts")
    if sec.ok and any(r["mountpoint"] == "/" for r in _table(sec.stdout)):
        attrs["mounts"] = [{k: v for k, v in r.items() if k != "line"} for r in _table(sec.stdout)]
    elif not getattr(out, "root", ""):
        lost["mounts"] = f"the mount table (/proc/self/mounts) could not be read: {sec.reason()}"
    return [Resource("fstab", "host.fstab", attrs, attr_errors=lost)]


_DOTFILE = re.compile(r"^\.[\w\- ]+$")
_ROOTFILES = (".bash_logout", ".bash_profile", ".bashrc", ".cshrc", ".tcshrc")
_ROOTFILE_LINE = re.compile(r"^C[ \t]+/root/(\.[\w]+)[ \t]+(\d{3})[ \t]+root[ \t]+root[ \t]+-[ \t]+/usr/share/rootfiles/(\.[\w]+)$")


def parse_user_init_files(out: Output) -> list[Resource]:
    """``host.user_init_files``: the dot files of the interactive accounts' home directories and RHEL's rootfiles
    tmpfiles.d entries (one per host, id ``user-init-files``)."""
    from checks.host.parsers.common import perms_of

    text = require(out.get("stig_init_files"), "dot files of the home directories")
    _, chunks = split_files(text, out.marker)
    users, groups = id_names(out)
    lost: dict[str, str] = {}
    files: list[dict[str, Any]] = []
    homes = next((c for c in chunks if c.path == "homes"), None)
    if homes is None:
        raise FactError("dot files of the home directories: no listing")
    home = ""
    for ln in homes.text.split("\n"):
        if not ln.strip():
            continue
        if ln.startswith("GS_HOME\t"):
            home = ln[8:]
        elif ln.startswith(("GS_LIMIT", "GS_DENIED", "GS_BADNAME")):
            lost["files"] = {"GS_LIMIT": "more home directories or dot files than the fact script lists: not "
                             "evaluated on a partial list", "GS_BADNAME": "a dot file name holds a newline"}.get(
                ln.split(" ", 1)[0], f"{ln[10:]} ({NOT_ROOT_HINT})")
        else:
            f = ln.split("|", 3)
            if len(f) != 4 or not all(x.isdigit() for x in f[:3]) or not home:
                lost["files"] = f"a line of the dot file listing of no known form: {ln[:120]!r}"
                continue
            if not _DOTFILE.match(f[3]):
                continue
            mode, uid, gid = int(f[0], 8), int(f[1]), int(f[2])
            files.append({"path": f"{home.rstrip('/')}/{f[3]}", "home": home, "mode": f"{mode:04o}",
                          "perms": perms_of(mode), "uid": uid, "gid": gid, "owner": users.get(uid, str(uid)),
                          "group": groups.get(gid, str(gid))})
    tmp = [c for c in chunks if c.path.startswith("/etc/tmpfiles.d/")]
    entries: list[dict[str, Any]] = []
    for c in tmp:
        if c.state in ("unreadable", "truncated"):
            lost["rootfiles_configured"] = f"{c.path} could not be read in full ({NOT_ROOT_HINT})"
            continue
        for n, line in enumerate(c.text.split("\n"), 1):
            m = _ROOTFILE_LINE.match(line)
            if m and m.group(1) == m.group(3):
                entries.append({"file": c.path, "line": n, "name": m.group(1), "mode": m.group(2)})
    d = next((c for c in chunks if c.path == "/etc/tmpfiles.d/"), None)
    if d is not None and d.state == "unreadable":
        lost["rootfiles_configured"] = denied_reason("/etc/tmpfiles.d")
    configured = all(any(e["name"] == f for e in entries) for f in _ROOTFILES) and all(e["mode"] == "600" for e in entries)
    attrs = {"files": files, "rootfiles_entries": entries, "rootfiles_configured": configured,
             "rootfiles_missing": [f for f in _ROOTFILES if not any(e["name"] == f and e["mode"] == "600" for e in entries)]}
    return [Resource("user-init-files", "host.user_init_files", attrs, attr_errors=lost)]
