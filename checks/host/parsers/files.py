"""Parsers for host.files, host.banners and host.filesystem (the opt-in filesystem walk)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.cron import CRON_PATHS, cron_attrs
from checks.host.parsers.common import denied_reason, perms_of, require, truncated_reason
from checks.host.script import Output, split_files
from scanner.model import Resource

_TYPES = {"regular file": "file", "regular empty file": "file", "directory": "directory",
          "symbolic link": "symlink", "socket": "socket", "fifo": "fifo",
          "character special file": "char-device", "block special file": "block-device"}

#: host.files attributes that come from stat: all lost when stat was denied.
_STAT_ATTRS = ("exists", "type", "mode", "perms", "owner", "group", "uid", "gid")

#: host.filesystem attributes only the walk produces (not checked when it is off).
WALK_ATTRS = tuple(f"{n}{suffix}" for n in ("world_writable_files", "world_writable_dirs_without_sticky",
                                            "unowned_files", "ungrouped_files") for suffix in ("", "_count"))

#: How many paths of each kind the walk keeps (the count is always exact).
WALK_LIMIT = 1000


def parse_files(out: Output) -> list[Resource]:
    """``host.files``: mode, owner and group of each security-relevant path (one resource per path)."""
    text = require(out.get("files"), "file metadata (stat)")
    res: dict[str, Resource] = {}
    # a file tree: owner and group names come from its own passwd and group, unknown when unreadable
    names_lost = "GS_NAMES=unreadable" in text.split("\n")
    for line in text.split("\n"):
        if line.endswith("|unreadable"):
            # stat was refused (e.g. /boot/grub2 is 0700 and we are not root): whether the path exists is
            # unknown, so every stat attribute is an error; never exists false (that reads as notapplicable).
            path = line[: -len("|unreadable")]
            why = denied_reason(path)
            res[path] = Resource(path, "host.files", {"path": path}, attr_errors={a: why for a in _STAT_ATTRS})
            continue
        if line.endswith("|missing"):
            path = line[: -len("|missing")]
            if "*" in path or "?" in path or "[" in path:
                continue  # an unmatched glob names no file
            res[path] = Resource(path, "host.files", {"path": path, "exists": False, "type": None, "mode": None,
                                                      "perms": [], "owner": None, "group": None,
                                                      "uid": None, "gid": None})
            continue
        f = line.rsplit("|", 6)
        if len(f) != 7:
            continue
        path, mode, owner, group, uid, gid, ftype = f
        m = int(mode, 8)
        lost = ({a: "the tree's /etc/passwd or /etc/group could not be read: owner and group names unknown "
                 f"({NOT_ROOT_HINT})" for a in ("owner", "group")} if names_lost else {})
        res[path] = Resource(path, "host.files", {
            "path": path, "exists": True, "type": _TYPES.get(ftype, ftype), "mode": f"{m:04o}",
            "perms": perms_of(m), "owner": owner, "group": group, "uid": int(uid), "gid": int(gid),
        }, attr_errors=lost)
    if not res:
        raise FactError("file metadata (stat) could not be read: no output")
    if CRON_PATHS & set(res):
        cron, lost = cron_attrs(out)
        for p in CRON_PATHS & set(res):
            r = res[p]
            res[p] = replace(r, attrs={**r.attrs, **cron}, attr_errors={**r.attr_errors, **lost})
    if AT_PATHS & set(res):
        from checks.host.parsers.system import parse_packages

        try:
            at: dict[str, Any] = {"at_installed": "at" in parse_packages(out)[0].attrs["installed"]}
            at_lost: dict[str, str] = {}
        except FactError as exc:
            at, at_lost = {}, {"at_installed": f"whether at is installed is unknown: {exc}"}
        for p in AT_PATHS & set(res):
            r = res[p]
            res[p] = replace(r, attrs={**r.attrs, **at}, attr_errors={**r.attr_errors, **at_lost})
    return [res[p] for p in sorted(res)]


#: host.files paths that belong to at (they carry ``at_installed``: CIS 2.4.2.1 applies when at is installed).
AT_PATHS = frozenset({"/etc/at.allow", "/etc/at.deny"})


def parse_banners(out: Output) -> list[Resource]:
    """``host.banners``: content of /etc/issue, /etc/issue.net and /etc/motd (one resource per file)."""
    _, chunks = split_files(require(out.get("banners"), "login banners"), out.marker)
    res = []
    for c in chunks:
        attrs = {"path": c.path, "exists": c.state != "missing", "content": c.text}
        err = f"{c.path} not readable: {NOT_ROOT_HINT}" if c.state == "unreadable" else None
        lost = {"content": truncated_reason(c.path)} if c.state == "truncated" else {}
        res.append(Resource(f"banner:{c.path}", "host.banners", attrs, error=err, attr_errors=lost))
    return res


def parse_walk(out: Output | None, timeout: int = 0) -> list[Resource]:
    """``host.filesystem``: world-writable and unowned paths, or ``walked: false`` when not opted in."""
    if out is None:
        # Deliberately not collected: every walk result is "not checked", never "nothing found".
        why = "the filesystem walk is off (run with --input filesystem_walk=true to check)"
        return [Resource("filesystem", "host.filesystem", {"walked": False},
                         attr_notchecked={a: why for a in WALK_ATTRS})]
    sec = out.get("walk")
    if sec.rc in (124, 137) or sec.rc is None:
        raise FactError(f"filesystem walk did not finish within {timeout}s (raise filesystem_walk_timeout)")
    if sec.rc != 0:
        denied = sum(1 for ln in sec.stderr.split("\n") if "Permission denied" in ln)
        why = f"{denied} paths unreadable ({NOT_ROOT_HINT})" if denied else sec.reason()
        raise FactError(f"filesystem walk incomplete: {why}")
    found: dict[str, list[str]] = {"ww": [], "wwd": [], "nouser": [], "nogroup": []}
    for line in sec.stdout.split("\n"):
        kind, _, path = line.partition("\t")
        if kind in found and path:
            found[kind].append(path)
    attrs: dict[str, Any] = {"walked": True}
    for kind, name in (("ww", "world_writable_files"), ("wwd", "world_writable_dirs_without_sticky"),
                       ("nouser", "unowned_files"), ("nogroup", "ungrouped_files")):
        paths = sorted(found[kind])
        attrs[name] = paths[:WALK_LIMIT]
        attrs[name + "_count"] = len(paths)
    return [Resource("filesystem", "host.filesystem", attrs)]
