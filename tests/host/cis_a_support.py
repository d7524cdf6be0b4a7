"""Run the real fact script for the CIS Debian 12 section 1-4 types on a file tree, in a private network
namespace, and evaluate the CIS profile's controls on what it read.

- Files are read from a tree (``build_script(root=...)``: the sections read through gs_cat with $GS_ROOT).
- The script runs in ``unshare --net``: the live firewall state (``nft list ruleset``, ``iptables-save``) and
  the listening sockets are those of a fresh namespace into which ``setup`` (shell) loads rules and starts
  listeners; nothing on the machine changes.
- What the namespace cannot hold (the installed packages, systemd's unit states, ``ufw status`` where ufw is
  not installed) is replaced by recorded output in the documented formats (``dpkg-query -W``,
  ``systemctl list-unit-files``): :func:`packages` and :func:`units` write it.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from golden_support import TARGET

from checks.host.provider import HostProvider
from checks.host.script import Output, Section, build_script, parse_output, sections_for
from scanner.evaluate import evaluate_control
from scanner.policy.loader import load
from scanner.policy.tailor import select

ROOT = Path(__file__).resolve().parents[2]


def netns_usable() -> str | None:
    """Why namespaced runs cannot work here, or None."""
    if shutil.which("unshare") is None:
        return "unshare not installed"
    res = subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False)
    return None if res.returncode == 0 else f"unshare --net failed: {res.stderr.decode().strip()}"


@functools.cache
def profile():
    """The CIS Debian 12 Level 2 Server selection (Level 1 plus Level 2) from the project's own files."""
    profiles = ROOT / "policies" / "profiles"
    pset = load([ROOT / "policies" / "controls" / "host", profiles / "cis-debian12-l1-server.yaml",
                 profiles / "cis-debian12-l2-server.yaml"], builtin=False)
    return select(pset, ["cis-debian12-l2-server"])


def build_tree(root: Path, tree: Mapping[str, str]) -> Path:
    for path, content in tree.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return root


def run(types: Iterable[str], root: Path, setup: str = "") -> Output:
    """The real fact script for ``types`` on the tree ``root``, in a fresh network namespace after ``setup``."""
    script, marker = build_script(sections_for(["host.os", *types]), root=str(root))
    wrapper = f"ip link set lo up; {setup}\nsh -s\nrc=$?\nkill $(jobs -p) 2>/dev/null\nexit $rc"
    res = subprocess.run(["unshare", "--net", "sh", "-c", wrapper], input=script.encode(), capture_output=True,
                         timeout=60, check=True)
    return parse_output(res.stdout.decode(), marker)


def packages(*names: str) -> str:
    """``dpkg-query -W -f '${Package}\\t${Version}\\t${db:Status-Abbrev}\\n'`` output for these packages."""
    return "GS_MANAGER=dpkg\n" + "".join(f"{n}\t1.0-1\tii \n" for n in ("base-files", *names))


def units(marker: str, enabled: Mapping[str, str], active: Mapping[str, str] | None = None) -> str:
    """The ``units`` section: ``systemctl list-unit-files`` (name state preset) and, when ``active`` is given,
    ``systemctl list-units`` (name load active sub description)."""
    text = f"{marker} FILE unit-files ok\n" + "".join(f"{u} {s} enabled\n" for u, s in enabled.items())
    if active is not None:
        text += f"{marker} FILE units ok\n" + "".join(f"{u} loaded {a} {'running' if a == 'active' else 'dead'} x\n"
                                                       for u, a in active.items())
    return text


def replace(out: Output, name: str, stdout: str) -> Output:
    out.sections[name] = Section(name, stdout=stdout, stderr="", rc=0)
    return out


def evaluate(out: Output, controls: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """control id -> [(status, message)] of the CIS Level 2 profile's controls on ``out``."""
    sel = profile()
    ids = list(controls)
    types = sorted({sel.controls[c].resource for c in ids} | {"host.os"})
    coll = HostProvider.parse(out, types)
    return {cid: [(f.status.value, f.message) for f in evaluate_control(sel.controls[cid], TARGET, coll,
                                                                        sel.inputs.get(cid))] for cid in ids}


def statuses(got: Mapping[str, list[tuple[str, str]]]) -> dict[str, list[str]]:
    return {cid: [s for s, _ in f] for cid, f in got.items()}
