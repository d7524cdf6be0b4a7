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


def collect(tree: Path, types: Iterable[str] = TYPES, *, replace: Mapping[str, str] | None = None) -> Collection:
    """The collection of ``types`` on ``tree``; ``replace`` substitutes a section's stdout (recorded command output
    for what only a running system has, e.g. ``audit_rules``: ``auditctl -l``)."""
    types = list(types)
    secs = [s for s in sections_for(["host.os", *types]) if s != "walk"]
    script, marker = build_script(secs, root=str(tree))
    binds = {p: tree / p.lstrip("/") for p in TREE_BINDS if Path(p).exists() and (tree / p.lstrip("/")).exists()}
    out: Output = parse_output(hostfs.run_script(binds, script), marker)
    for name, text in (replace or {}).items():
        sec = out.get(name)
        sec.stdout, sec.rc, sec.stderr = text, 0, ""
        out.sections[name] = sec
    return HostProvider.parse(out, types)


def statuses(coll: Collection, controls: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
    """control -> [(resource id, status, message)] on the collection."""
    sel = baseline()
    return {cid: [(f.resource_id, f.status.value, f.message) for f in
                  evaluate_control(sel.controls[cid], TARGET, coll, sel.inputs.get(cid))] for cid in controls}
