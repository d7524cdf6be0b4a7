"""Unit enablement of a file tree (``rootfs:``), worked out from its unit files as ``systemctl is-enabled``
would, without running systemctl (this machine's would read this machine's units).

The ``units`` section lists the tree's unit directories, highest precedence first: ``/etc/systemd/system``,
``/usr/local/lib/systemd/system``, ``/usr/lib/systemd/system`` (``/lib/systemd/system`` when it is not
the same directory), with every entry two levels deep (links not followed) and the ``[Install]`` lines of
the unit files; and ``/etc/init.d`` with ``/etc/rc[2-5].d``. For each ``.service``, ``.socket`` and
``.timer`` unit the first directory holding it decides, and its state is:

- ``masked``: the unit file is a link to ``/dev/null``;
- ``alias``: a link to a unit file of another name (``sshd.service -> ssh.service``);
- ``enabled``: a link named after it in a ``*.wants``, ``*.requires`` or ``*.upholds`` directory of
  ``/etc/systemd/system`` (for a template ``x@.service``: a link to its ``DefaultInstance``; links to other
  instances only make it ``indirect``);
- otherwise ``disabled`` when its ``[Install]`` section has ``WantedBy``, ``RequiredBy``, ``UpheldBy`` or
  ``Alias``, ``indirect`` when it has only ``Also`` (or ``DefaultInstance``), ``static`` when it has none;
  ``linked`` when the unit file is a link of the same name to a file outside the unit directories;
- ``generated``: a SysV script of ``/etc/init.d`` without a unit of its name and with a start link
  ``/etc/rc[2-5].d/S??name`` (what systemd-sysv-generator turns into an enabled unit).

Not resolved (documented in docs/host.md): presets (a tree booting for the first time, its
``/etc/machine-id`` missing or ``uninitialized``, gets ``systemctl preset-all``: its enablement is then an
attribute error), drop-ins, generators other than SysV, runtime units (``/run``), user units, and links in
the vendor directories' ``*.wants`` (a vendor dependency, which ``systemctl is-enabled`` reports as
``static``/``disabled`` too).
"""

from __future__ import annotations

from typing import Any

from checks.host.parsers import NOT_ROOT_HINT, FactError
from checks.host.parsers.common import require
from checks.host.script import FileChunk, Output, split_files

UNIT_DIRS = ("/etc/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
             "/lib/systemd/system")
CONFIG_DIR = "/etc/systemd/system"
_SUFFIXES = (".service", ".socket", ".timer")
_RULES = ("WantedBy", "RequiredBy", "UpheldBy", "Alias")
_ENABLING = (".wants", ".requires", ".upholds")
#: Unit attributes that depend on the enablement (an attribute error on a first-boot tree).
ENABLEMENT_ATTRS = ("units", "enabled", "enabled_any", "enabled_or_running", "masked")


def _listing(chunk: FileChunk) -> dict[str, tuple[str, str]]:
    """``name`` (or ``dir/name``) -> (kind, link target) from ``l/f/d`` lines."""
    out: dict[str, tuple[str, str]] = {}
    for line in chunk.text.split("\n"):
        f = line.split("\t")
        if len(f) >= 2 and f[0] in ("l", "f", "d") and f[1]:
            out[f[1]] = (f[0], f[2] if f[0] == "l" and len(f) > 2 else "")
    return out


def _install(chunk: FileChunk) -> dict[str, dict[str, str]]:
    """unit name -> the [Install] keys it sets with a value (the last value of each)."""
    out: dict[str, dict[str, str]] = {}
    for line in chunk.text.split("\n"):
        f = line.split("\t")
        if len(f) == 3 and f[2].strip():
            out.setdefault(f[0], {})[f[1]] = f[2].strip()
    return out


def tree_units(out: Output) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """``(units, attr_errors)``: name -> {name, enabled (state), active None, sub None} for a file tree."""
    pre, chunks = split_files(require(out.get("units"), "systemd unit files of the tree"), out.marker)
    lost = [c for c in chunks if c.state not in ("ok", "missing")]
    if lost:
        raise FactError(f"systemd unit files of the tree could not be read: {lost[0].path.rstrip('/')} "
                        f"could not be read ({NOT_ROOT_HINT})")
    if any(c.text.split("\n").count("x") for c in chunks if c.path.endswith("/") and c.state == "ok"):
        raise FactError("systemd unit files of the tree could not be read: a unit directory holds a name or link "
                        "target with a newline")
    dirs: dict[str, dict[str, tuple[str, str]]] = {}
    install: dict[str, dict[str, str]] = {}
    for c in chunks:
        if c.path.endswith("/#install"):
            for name, keys in _install(c).items():
                install.setdefault(name, keys)  # the first directory's file decides
        elif c.path.endswith("/") and c.state == "ok":
            dirs[c.path.rstrip("/")] = _listing(c)
    units: dict[str, dict[str, Any]] = {}
    config = dirs.get(CONFIG_DIR, {})
    wanted = {name.rsplit("/", 1)[1] for name, (kind, _) in config.items()
              if "/" in name and kind == "l" and name.split("/", 1)[0].endswith(_ENABLING)}
    templates: dict[str, set[str]] = {}  # template -> the instances linked
    for w in wanted:
        if "@" in w and "@." not in w:
            templates.setdefault(w.split("@", 1)[0] + "@." + w.rsplit(".", 1)[-1], set()).add(
                w.split("@", 1)[1].rsplit(".", 1)[0])
    for d in UNIT_DIRS:
        for name, (kind, target) in dirs.get(d, {}).items():
            if "/" in name or not name.endswith(_SUFFIXES) or name in units:
                continue
            units[name] = {"name": name, "enabled": _state(name, kind, target, install, wanted, templates),
                           "active": None, "sub": None}
    scripts = dirs.get("/etc/init.d", {})
    started = {n[3:] for rc in ("/etc/rc2.d", "/etc/rc3.d", "/etc/rc4.d", "/etc/rc5.d")
               for n in dirs.get(rc, {}) if n.startswith("S") and len(n) > 3}
    for script in scripts:
        if "/" not in script and script in started and f"{script}.service" not in units:
            units[f"{script}.service"] = {"name": f"{script}.service", "enabled": "generated", "active": None,
                                          "sub": None}
    errors: dict[str, str] = {}
    notes = dict(ln.split("=", 1) for ln in pre.split("\n") if ln.startswith("GS_") and "=" in ln)
    machine_id = next((c for c in chunks if c.path == "/etc/machine-id"), None)
    first_boot = machine_id is None or machine_id.state == "missing" or machine_id.text.strip() == "uninitialized"
    if notes.get("GS_SYSTEMD") and first_boot:
        why = ("the tree boots for the first time (/etc/machine-id missing or 'uninitialized'), when systemd "
               "applies the unit presets: which units are enabled after boot is not known from the tree")
        errors = {a: why for a in ENABLEMENT_ATTRS}
    return units, errors


def _state(name: str, kind: str, target: str, install: dict[str, dict[str, str]], wanted: set[str],
           templates: dict[str, set[str]]) -> str:
    if kind == "l":
        if target == "/dev/null":
            return "masked"
        base = target.rstrip("/").rsplit("/", 1)[-1]
        if base != name:
            return "alias"
    keys = set(install.get(name, {}))
    if name in wanted:
        return "enabled"
    if name in templates:  # instances linked: enabled when its DefaultInstance is one of them
        return "enabled" if install.get(name, {}).get("DefaultInstance") in templates[name] else "indirect"
    if kind == "l" and not any(target.startswith(u + "/") for u in UNIT_DIRS):
        return "linked"
    if keys & set(_RULES):
        return "disabled"
    if keys & {"Also", "DefaultInstance"}:
        return "indirect"
    return "static"
