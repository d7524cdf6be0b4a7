"""A real ``govscan scan`` for the checklist and HDF tests, and where the Node consumer tools are.

``real_scan(folder)`` runs the CLI on ``local`` and on an unreachable ``ssh://`` target (a port on
loopback nothing listens on) with the test controls of ``tests/data/stig/stig-test-controls.yaml``
(they read root's /etc/passwd entry, so their results are the same on every Linux host) and a
waiver: the local target gives pass, fail, waived and notapplicable, the unreachable one error.
The shipped STIG-identified sshd and sysctl controls run too (their results depend on the host).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STIG_CONTROLS = ROOT / "tests" / "data" / "stig" / "stig-test-controls.yaml"

#: (control, vuln id, status on the local target) of the test controls.
LOCAL = {
    "stig-test-pass": ("V-999001", "pass"),
    "stig-test-fail": ("V-999002", "fail"),
    "stig-test-waived": ("V-999003", "waived"),
    "stig-test-na": ("V-999004", "notapplicable"),
}
SHIPPED = {"V-260474": "UBTU-22-213020", "V-260522": "UBTU-22-253010", "V-260526": "UBTU-22-255025",
           "V-260534": "UBTU-22-255065"}


def govscan(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    code = "import sys; from scanner.cli import main; sys.argv[0] = 'govscan'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "GOVSCAN_DB": ""}, timeout=300)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def real_scan(folder: Path) -> tuple[Path, str]:
    """Run the scan; return (database, unreachable target id)."""
    db = folder / "stig.db"
    waiver = folder / "waiver.yaml"
    expires = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    waiver.write_text(
        "apiVersion: govscan/v1\nkind: Waiver\nmetadata: {id: WVR-STIG-1, title: Test waiver}\n"
        "controls: [stig-test-waived]\nmatch: {targets: ['local*']}\ntype: risk-adjustment\n"
        "justification: Accepted for the test <script>alert(1)</script>.\npoam_id: P-42\n"
        f"approved_by: {{name: Jane Roe, role: AO, date: {dt.date.today().isoformat()}}}\nexpires: {expires}\n")
    down = f"ssh://nobody@127.0.0.1:{closed_port()}"
    r = govscan("scan", "--db", str(db), "-q", "--gate", "none", "--policies", str(STIG_CONTROLS), "-w", str(waiver),
                "-c", "stig-test-*", "-c", "host-sshd-*", "-c", "host-sysctl-aslr", "-c", "host-sysctl-syncookies",
                "local", down)
    assert r.returncode == 0, r.stderr
    return db, down


def node_bin(name: str) -> str | None:
    """A Node tool installed by tests/run.sh (GOVSCAN_NODE_DIR) or on PATH."""
    base = Path(os.environ.get("GOVSCAN_NODE_DIR") or Path.home() / ".cache" / "govscan-test-node")
    local = base / "node_modules" / ".bin" / name
    return str(local) if local.exists() else shutil.which(name)


def heimdall_dist() -> Path | None:
    """The built Heimdall Lite (its dist/ folder), installed with the SAF CLI."""
    base = Path(os.environ.get("GOVSCAN_NODE_DIR") or Path.home() / ".cache" / "govscan-test-node")
    for root in (base / "node_modules", Path("/usr/local/lib/node_modules"), Path("/usr/lib/node_modules")):
        dist = root / "@mitre" / "heimdall-lite" / "dist"
        if (dist / "index.html").exists():
            return dist
    return None


def saf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = node_bin("saf")
    assert exe is not None
    return subprocess.run([exe, *args], capture_output=True, text=True, cwd=cwd, timeout=300)
