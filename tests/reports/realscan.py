"""Real scans for the renderer tests: ``govscan scan`` run through its CLI as an ordinary user.

A first scan on a GitHub-hosted runner is not root: shadow and ``sshd -T`` cannot be read (``error``),
and an unreachable host is ``error`` for every control. ``real_scan`` produces such a scan once per
session: ``local`` plus an ``ssh://`` target on a closed loopback port, with an active waiver (a
``waived`` finding) and an expired one (a ``fail`` carrying the lapsed waiver), so every status a real
scan yields is there: pass, fail, error, notapplicable, waived, fail under an expired waiver.

Running as uid 65534: the interpreter and its packages live under root's home (mode 0700 here), so
``setpriv`` cannot start them as another user. :data:`SHIM` therefore imports govscan as root, runs one
warm-up scan (so every lazily imported module is loaded), then drops to uid/gid 65534 without
supplementary groups (what ``setpriv --reuid=65534 --regid=65534 --clear-groups`` does) and runs the
CLI; everything the scan executes (the fact script, sshd -T, file reads) runs as 65534. When the tests
already run as a non-root user the CLI is simply run as that user.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534
ACTIVE_WAIVER = "WVR-REAL-ACTIVE"
EXPIRED_WAIVER = "WVR-REAL-LAPSED"
WAIVED_CONTROL = "host-file-passwd"
LAPSED_CONTROL = "host-file-group"
# Inputs that make two controls fail on every Linux host (passwd and group are 0644): allow owner read only.
INPUTS = (f"{WAIVED_CONTROL}.allowed_perms=[ur]", f"{LAPSED_CONTROL}.allowed_perms=[ur]")

SHIM = r"""
import importlib, os, pkgutil, sys, tempfile
sys.path.insert(0, sys.argv[1])
for pkg in ("scanner", "checks", "reports"):
    mod = importlib.import_module(pkg)
    for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
import click._textwrap, encodings.idna, jinja2, jsonschema, paramiko, yaml  # noqa: F401
from scanner import registry
from scanner.cli import main
scratch = tempfile.mkdtemp()
warm = ["scan", "local", "ssh://nobody@127.0.0.1:1", "--db", scratch + "/warm.db", "-c", "host-file-passwd",
        "--connect-timeout", "1", "--known-hosts", scratch + "/known_hosts"]
for fmt in registry.names(registry.REPORTS):
    warm += ["-f", fmt, "-o", f"{scratch}/warm.{fmt}"]
import contextlib, io
try:
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        main(warm)
except SystemExit:
    pass
import shutil
shutil.rmtree(scratch, ignore_errors=True)
os.setgroups([]); os.setgid(%(uid)d); os.setuid(%(uid)d)
os.environ["HOME"] = os.getcwd()
main(sys.argv[2:])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_waivers(path: Path, today: dt.date) -> None:
    def waiver(wid: str, control: str, approved: dt.date, expires: dt.date) -> dict:
        return {"apiVersion": "govscan/v1", "kind": "Waiver",
                "metadata": {"id": wid, "title": f"test waiver {wid}"},
                "controls": [control], "match": {"resources": ["/etc/*"]}, "type": "operational-requirement",
                "justification": f"Real-scan renderer test ({wid}).", "poam_id": f"V-{wid}",
                "approved_by": {"name": "Jane Roe", "role": "AO", "date": approved.isoformat()},
                "expires": expires.isoformat()}

    docs = [waiver(ACTIVE_WAIVER, WAIVED_CONTROL, today - dt.timedelta(days=30), today + dt.timedelta(days=60)),
            waiver(EXPIRED_WAIVER, LAPSED_CONTROL, today - dt.timedelta(days=200), today - dt.timedelta(days=5))]
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")


@dataclass
class CliRun:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def govscan(args: list[str], cwd: Path, *, as_nobody: bool = False, timeout: float = 300) -> CliRun:
    """Run the govscan CLI in a subprocess (as uid 65534 when ``as_nobody`` and we are root)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(cwd), "NO_COLOR": "1"}
    if as_nobody and os.geteuid() == 0:
        cmd = [sys.executable, "-c", SHIM % {"uid": NOBODY}, str(REPO), *args]
    else:
        cmd = [sys.executable, "-c", "from scanner.cli import main; main()", *args]
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return CliRun(args, res.returncode, res.stdout, res.stderr)


@dataclass
class RealScan:
    """A stored real scan and the reports its ``govscan scan`` run wrote."""

    dir: Path
    db: Path
    run: CliRun
    unreachable: str
    outputs: dict[str, Path] = field(default_factory=dict)
    """Format -> the file ``govscan scan -f FORMAT -o FILE`` wrote (as the non-root user)."""


def make_real_scan(formats: list[str], extra: list[str] = ()) -> RealScan:  # type: ignore[assignment]
    """Scan ``local`` and a closed loopback port as a non-root user, writing every format in ``formats``."""
    work = Path(tempfile.mkdtemp(prefix="govscan-realscan-"))
    work.chmod(0o755)
    if os.geteuid() == 0:
        os.chown(work, NOBODY, NOBODY)
    waivers = work / "waivers.yaml"
    write_waivers(waivers, dt.date.today())
    port = free_port()
    unreachable = f"ssh://nobody@127.0.0.1:{port}"
    args = ["scan", "local", unreachable, "--db", str(work / "govscan.db"), "-w", str(waivers),
            "--connect-timeout", "3", "--known-hosts", str(work / "known_hosts")]
    for i in INPUTS:
        args += ["--input", i]
    outputs = {}
    for fmt in formats:
        outputs[fmt] = work / f"report-{fmt}.out"
        args += ["-f", fmt, "-o", str(outputs[fmt])]
    args += list(extra)
    run = govscan(args, work, as_nobody=True)
    return RealScan(work, work / "govscan.db", run, unreachable, outputs)


def remove(scan: RealScan) -> None:
    shutil.rmtree(scan.dir, ignore_errors=True)
