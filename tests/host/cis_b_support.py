"""Run the real fact script on a Debian file tree for the CIS 5-7 content (sudo, PAM, shell, logging, audit, AIDE,
homes) and evaluate controls on what it collected.

The sections of checks/host/facts_cis_b.sh read the tree through ``GS_ROOT``. The older sections that read fixed
paths (``cat /etc/passwd``, ``dpkg-query``, ``systemctl list-unit-files``) are pointed at the tree by bind mounts in
a private mount namespace (tests/host/hostfs.py): the tree's passwd/group/shadow, dpkg database and systemd unit
directories. Nothing on the machine changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import hostfs
from golden_support import TARGET, baseline

from checks.host.provider import HostProvider
from checks.host.script import Output, build_script, parse_output, sections_for
from scanner.evaluate import evaluate_control
from scanner.model import Collection

#: Paths the tree replaces for the sections that do not read through GS_ROOT.
TREE_BINDS = ("/etc/passwd", "/etc/group", "/etc/shadow", "/var/lib/dpkg", "/etc/systemd/system",
              "/usr/lib/systemd/system")
TYPES = ("host.sudo", "host.su", "host.shell", "host.logging", "host.log_files", "host.audit_rules",
         "host.audit_files", "host.aide", "host.homes", "host.pam", "host.shadow", "host.groups", "host.users",
         "host.files", "host.packages")


def collect(tree: Path, types: Iterable[str] = TYPES, *, replace: Mapping[str, str] | None = None,
            walk: bool = False, cat_max: int | None = None) -> Collection:
    """The collection of ``types`` on ``tree``; ``replace`` substitutes a section's stdout (recorded command output
    for what only a running system has, e.g. ``audit_rules``: ``auditctl -l``)."""
    types = list(types)
    secs = [s for s in sections_for(["host.os", *types]) if s != "walk"]
    script, marker = build_script(secs, root=str(tree), **({"cat_max": cat_max} if cat_max else {}))
    binds = {p: tree / p.lstrip("/") for p in TREE_BINDS if Path(p).exists() and (tree / p.lstrip("/")).exists()}
    out: Output = parse_output(hostfs.run_script(binds, script), marker)
    if "units" in secs:  # unit states as this machine's systemctl reads the tree's unit files bound in place
        # (with GS_ROOT the script would read the tree as a rootfs: target does; these tests judge a running
        # system whose files are the tree's)
        units_script, units_marker = build_script(["units"])
        out.sections["units"] = parse_output(hostfs.run_script(binds, units_script), units_marker).get("units")
        out.sections["units"].stdout = out.sections["units"].stdout.replace(units_marker, marker)
    for name, text in (replace or {}).items():
        sec = out.get(name)
        sec.stdout, sec.rc, sec.stderr = text, 0, ""
        out.sections[name] = sec
        if name == "walk":
            out.sections[name].name = "walk"
    return HostProvider.parse(out, types, walk=walk)


def statuses(coll: Collection, controls: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
    """control -> [(resource id, status, message)] on the collection."""
    sel = baseline()
    return {cid: [(f.resource_id, f.status.value, f.message) for f in
                  evaluate_control(sel.controls[cid], TARGET, coll, sel.inputs.get(cid))] for cid in controls}


BASE_FILES: dict[str, str] = {
    "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
    "/etc/group": "root:x:0:\ndaemon:x:1:\nadm:x:4:\nutmp:x:43:\nshadow:x:42:\n",
    "/etc/shadow": "root:*:19700:0:99999:7:::\ndaemon:*:19700:0:99999:7:::\n",
    "/etc/shells": "/bin/sh\n/bin/bash\n/usr/bin/bash\n",
    "/etc/login.defs": "UMASK 022\nUID_MIN 1000\n",
    "/etc/pam.d/common-session": "session required pam_unix.so\n",
}


def make_tree(root: Path, files: Mapping[str, str], packages: Iterable[str] = ()) -> Path:
    """A small Debian-like tree: :data:`BASE_FILES` overridden by ``files`` (a value ``None``-like ``"!"``
    removes the file), a dpkg status listing ``packages``, /root 0700."""
    import os

    merged = {**BASE_FILES, **files}
    for path, content in merged.items():
        if content == "!":
            continue
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        target.chmod(0o644)
    (root / "root").mkdir(exist_ok=True)
    (root / "root").chmod(0o700)
    (root / "var/log").mkdir(parents=True, exist_ok=True)
    dpkg = root / "var/lib/dpkg"
    (dpkg / "updates").mkdir(parents=True, exist_ok=True)
    (dpkg / "info").mkdir(exist_ok=True)
    (dpkg / "status").write_text("".join(
        f"Package: {p}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\n"
        for p in ("base-files", *packages)))
    os.chmod(root, 0o755)
    return root
