"""Persisted kernel settings for host.sysctl: sysctl.d configuration and the pam_limits core limit.

A kernel parameter that is right only at run time reverts at the next boot, so CIS (Debian 12 1.5.x,
3.3.x) asks for it to be set in the configuration too. This module works out what the configuration
applies at boot, as systemd-sysctl does (sysctl.d(5)):

- the ``*.conf`` files of ``/etc/sysctl.d``, ``/run/sysctl.d``, ``/usr/local/lib/sysctl.d``,
  ``/usr/lib/sysctl.d``, ``/lib/sysctl.d``; a file in an earlier directory masks every file of the same
  name in the later ones (a symlink to /dev/null masks with nothing);
- the remaining files are applied in lexical order of their names, then ``/etc/sysctl.conf`` (as
  ``sysctl --system`` does); the last assignment of a key wins;
- an explicit key beats a glob (``net.ipv4.conf.*.rp_filter``) whatever their order.

Anything that could not be read (a directory that cannot be listed, a file unreadable or longer than
the read limit) makes the persisted values unknown: an attribute error, never "not persisted".
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

from checks.host.parsers import NOT_ROOT_HINT
from checks.host.parsers.common import to_int, truncated_reason
from checks.host.script import FileChunk, Output, split_files

#: systemd-sysctl's directories, highest precedence first.
SYSCTL_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d")
SYSCTL_CONF = "/etc/sysctl.conf"
LIMITS_CONF = "/etc/security/limits.conf"
LIMITS_DIR = "/etc/security/limits.d"

Located = tuple[Any, str, int]
"""A value with the file and 1-based line that set it."""


def _is_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def _chunks(out: Output, section: str, what: str) -> tuple[list[FileChunk], str | None]:
    """The files of a multi-file section, or the reason the section as a whole was not read."""
    sec = out.get(section)
    if not sec.ok:
        return [], f"{what} could not be read: {sec.reason()}"
    return split_files(sec.stdout, out.marker)[1], None


def _unread(chunk: FileChunk) -> str | None:
    """Why a file or directory frame means the configuration is not fully known, or None."""
    if chunk.state in ("ok", "missing"):
        return None
    if chunk.state == "truncated":
        return truncated_reason(chunk.path)
    return f"{chunk.path} could not be read ({NOT_ROOT_HINT})"


def sysctl_files(chunks: Iterable[FileChunk]) -> tuple[list[FileChunk], str | None]:
    """The files systemd-sysctl applies, in order, or the reason the set is unknown."""
    by_name: dict[str, FileChunk] = {}
    last: FileChunk | None = None
    for c in chunks:
        if c.path == SYSCTL_CONF:
            why = _unread(c)
            if why:
                return [], why
            last = c if c.state == "ok" else None
            continue
        if c.path.endswith("/"):  # a directory frame
            why = _unread(c)
            if why:
                return [], why
            continue
        if c.state == "missing":  # an unmatched pattern or a dangling symlink: applies nothing
            continue
        name = c.path.rsplit("/", 1)[-1]
        if name in by_name:  # masked by the same name in an earlier directory
            continue
        why = _unread(c)
        if why:
            return [], why
        by_name[name] = c
    ordered = [by_name[n] for n in sorted(by_name, key=lambda n: n.encode())]
    return ordered + ([last] if last is not None else []), None


def _normalise(key: str) -> str:
    """sysctl.d keys use ``.`` or ``/`` as separator; whichever comes first is the separator."""
    slash, dot = key.find("/"), key.find(".")
    if slash >= 0 and (dot < 0 or slash < dot):
        return key.replace(".", "\0").replace("/", ".").replace("\0", "/")
    return key


def _glob_matches(pattern: str, key: str) -> bool:
    """A glob matches per path component, as glob(3) on /proc/sys does (``*`` never spans a ``.``)."""
    p, k = pattern.split("."), key.split(".")
    return len(p) == len(k) and all(fnmatch.fnmatchcase(a, b) for a, b in zip(k, p))


def persisted_values(files: Iterable[FileChunk], wanted: Iterable[str]) -> dict[str, Located]:
    """Key -> (value, file, line) the configuration applies at boot, for the ``wanted`` keys."""
    explicit: dict[str, Located] = {}
    globs: list[tuple[str, Located]] = []
    for c in files:
        for n, raw in enumerate(c.text.split("\n"), start=1):
            line = raw.strip()
            if not line or line[0] in "#;" or "=" not in line:
                continue
            key, _, value = line.partition("=")
            key = _normalise(key.strip().lstrip("-").strip())
            value = " ".join(value.split())
            if not key:
                continue
            located = (to_int(value), c.path, n)
            if _is_glob(key):
                globs.append((key, located))
            else:
                explicit[key] = located  # a later assignment overrides
    out: dict[str, Located] = {}
    for key in wanted:
        if key in explicit:
            out[key] = explicit[key]
        else:
            for pattern, located in reversed(globs):
                if _glob_matches(pattern, key):
                    out[key] = located
                    break
    return out


def core_hard_limit(chunks: Iterable[FileChunk]) -> tuple[Located | None, str | None]:
    """The hard core-size limit pam_limits gives every user (domain ``*``), or the reason it is unknown.

    limits.conf is read first, then limits.d/*.conf in lexical order; a later entry for the same
    domain, type and item wins; type ``-`` sets both soft and hard.
    """
    chunks = list(chunks)
    for c in chunks:
        why = _unread(c)
        if why:
            return None, why
    files = [c for c in chunks if c.path == LIMITS_CONF and c.state == "ok"]
    dropins = [c for c in chunks if c.path.startswith(LIMITS_DIR + "/") and not c.path.endswith("/")
               and c.state == "ok"]
    files += sorted(dropins, key=lambda c: c.path.encode())
    found: Located | None = None
    for c in files:
        for n, raw in enumerate(c.text.split("\n"), start=1):
            f = raw.split("#", 1)[0].split()
            if len(f) == 4 and f[0] == "*" and f[1] in ("hard", "-") and f[2] == "core":
                found = (to_int(f[3]), c.path, n)
    return found, None


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return tree


def persisted_attrs(out: Output, wanted: Iterable[str]) -> tuple[dict[str, Any], dict[str, str],
                                                                 dict[str, tuple[dict[str, Any], ...]]]:
    """host.sysctl's persisted attributes: ``(attrs, attr_errors, sources)``."""
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    sources: dict[str, tuple[dict[str, Any], ...]] = {}
    chunks, why = _chunks(out, "sysctl_conf", "sysctl configuration")
    files, why = sysctl_files(chunks) if why is None else ([], why)
    if why is not None:
        lost["persisted"] = lost["persisted_at"] = why
    else:
        values = persisted_values(files, wanted)
        attrs["persisted"] = nest({k: v for k, (v, _, _) in values.items()})
        attrs["persisted_at"] = nest({k: f"{path}:{line}" for k, (_, path, line) in values.items()})
        sources.update({f"persisted.{k}": ({"path": path, "line": line},) for k, (_, path, line) in values.items()})
    chunks, why = _chunks(out, "limits", "pam_limits configuration")
    core, why = core_hard_limit(chunks) if why is None else (None, why)
    if why is not None:
        lost["core_hard_limit"] = lost["core_hard_limit_at"] = why
    elif core is not None:
        attrs["core_hard_limit"], attrs["core_hard_limit_at"] = core[0], f"{core[1]}:{core[2]}"
        sources["core_hard_limit"] = ({"path": core[1], "line": core[2]},)
    return attrs, lost, sources
