"""The ``rootfs:`` target: a filesystem tree on this machine, scanned without running its programs.

A mounted disk image, an unpacked container image or a chroot is read by the same fact script as a
running host, with ``GS_ROOT`` set to the tree: files are read through ``gs_path``, which resolves every
symbolic link inside the tree (``checks/host/facts.sh``), package databases by this machine's
``dpkg-query --admindir`` / ``rpm --dbpath``, unit enablement from the unit files and links
(:mod:`checks.host.parsers.units_tree`). What needs a running system is declared on each host type
(``HostKind.runtime_only``, ``runtime_attributes``, ``runtime_sections``) and comes out ``notchecked``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from scanner.errors import UsageError
from scanner.model import Resource, Target

RUNTIME_REASON = "needs a running system (rootfs: target)"
"""Why an attribute or type is not checked on a file tree."""

_KNOWN_OPTIONS = {"sudo", "accept_new_host_keys", "known_hosts", "jobs", "name"}


def parse_rootfs_target(spec: str, options: Mapping[str, Any]) -> Target:
    """``rootfs:/mnt/image`` -> a host target reading that tree; UsageError (exit 2) naming the problem."""
    from checks.host.script import _NAME_RE

    path = spec[len("rootfs:"):]
    if not path.startswith("/"):
        raise UsageError(f"{spec!r}: a rootfs: target needs an absolute path, e.g. rootfs:/mnt/image")
    shown = "/" + os.path.normpath(path).lstrip("/")
    real = os.path.realpath(shown)
    if not _NAME_RE.match(real):
        raise UsageError(f"rootfs:{shown}: the path holds characters the fact script does not accept "
                         "(spaces, quotes...): mount or link the tree at a plain path")
    sudo = bool(options.get("sudo"))
    denied = f"rootfs:{shown}: cannot be read (permission denied): run as root or with sudo"
    try:
        mode = os.stat(real).st_mode
    except PermissionError:
        if sudo:
            mode = stat.S_IFDIR
        else:
            raise UsageError(denied) from None
    except OSError:
        raise UsageError(f"rootfs:{shown}: no such directory") from None
    if not stat.S_ISDIR(mode):
        raise UsageError(f"rootfs:{shown}: not a directory")
    if not sudo and not os.access(real, os.R_OK | os.X_OK):
        raise UsageError(denied)
    if not sudo and not os.path.isdir(os.path.join(real, "etc")):
        raise UsageError(f"rootfs:{shown}: not a filesystem tree (it has no etc/ directory)")
    opts: dict[str, Any] = {"root": real}
    if sudo:
        opts["sudo"] = True
    return Target(id=f"rootfs:{shown}", kind="host", address=shown, name=str(options.get("name") or shown),
                  options=opts, vars={k: v for k, v in options.items() if k not in _KNOWN_OPTIONS})


def _matches(path: str, pattern: str) -> bool:
    """``modules.cramfs.loaded`` matches ``modules.*.loaded`` (``*`` is one whole segment)."""
    a, b = path.split("."), pattern.split(".")
    return len(a) == len(b) and all(q in ("*", p) for p, q in zip(a, b))


def _expand(path: str, attrs: Mapping[str, Any]) -> list[str]:
    """``modules.*.loaded`` -> one path per key of ``attrs["modules"]``; a plain path as it is."""
    if "*" not in path.split("."):
        return [path]
    head, _, tail = path.partition(".*")
    node: Any = attrs
    for part in head.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        return []
    return [p for key in sorted(node) for p in _expand(f"{head}.{key}{tail}", attrs)]


def _drop(attrs: dict[str, Any], path: str) -> dict[str, Any]:
    """A copy of ``attrs`` without the value at dotted ``path`` (copying the maps on the way)."""
    head, _, rest = path.partition(".")
    if head not in attrs:
        return attrs
    out = dict(attrs)
    if not rest:
        del out[head]
    elif isinstance(out[head], dict):
        out[head] = _drop(out[head], rest)
    return out


def without_runtime(resources: Sequence[Resource], paths: Iterable[str]) -> list[Resource]:
    """Each resource with the runtime ``paths`` removed and ``notchecked`` (a file tree has no running system)."""
    paths = tuple(paths)
    if not paths:
        return list(resources)
    out = []
    for r in resources:
        attrs = dict(r.attrs)
        skipped = dict(r.attr_notchecked)
        # a runtime attribute a parser could not read on a tree (its runtime section does not run there) is
        # notchecked like the others, not an error
        errors = {k: v for k, v in r.attr_errors.items() if not any(_matches(k, pattern) for pattern in paths)}
        for pattern in paths:
            for p in _expand(pattern, r.attrs):
                attrs = _drop(attrs, p)
                skipped.setdefault(p, RUNTIME_REASON)
        for k in set(r.attr_errors) - set(errors):
            skipped.setdefault(k, RUNTIME_REASON)
        out.append(replace(r, attrs=attrs, attr_notchecked=skipped, attr_errors=errors))
    return out
