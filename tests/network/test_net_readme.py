"""The README's network example, word for word: ``govscan scan nmap://127.0.0.1 -p network-baseline``.

Issue 13: out of the box it failed its own gate because UDP was not scanned (and told root it "needs
root"). It must exit 0 on this machine as root and as an ordinary user: UDP that nobody asked for is
``notchecked`` (not assessed, never a pass), every TCP port is scanned by default, and the medium
failures of the services it finds are reported without failing the profile's high gate.

The scan runs in a private network namespace (``unshare -n``) with real nmap against services the
test starts there (sshd on 22, HTTPS on 443, an HTTP redirect on 80, a plain HTTP page on 8080), so
the result is exact and nothing else on the machine is scanned.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from nethelp import findings

README = Path(__file__).resolve().parents[2] / "README.md"
SCRIPT = Path(__file__).with_name("readme_netns.py")
COMMAND = "govscan scan nmap://127.0.0.1 -p network-baseline"


def udp(port: int, root: bool) -> str:
    how = (f"set --input udp_ports={port} to scan it (nmap -sU)" if root else
           f"set --input udp_ports={port} and run as root (a UDP scan, nmap -sU, needs root)")
    return f"127.0.0.1: not checked: UDP was not scanned (not requested), so UDP port {port} was not assessed; {how}"


def expected(root: bool) -> dict[tuple[str, str], tuple[str, str]]:
    tcp = "on the TCP ports scanned (1-65535)"
    host = {
        "net-no-telnet": ("pass", f"127.0.0.1: no telnet service open {tcp}"),
        "net-no-r-services": ("pass", f"127.0.0.1: no r-service open {tcp}"),
        "net-no-cleartext-ftp": ("pass", f"127.0.0.1: no clear-text FTP service open {tcp}"),
        "net-no-unencrypted-vnc": ("pass", f"127.0.0.1: no unencrypted VNC service open {tcp}"),
        "net-no-database-ports-outside-zone": (
            "pass", "127.0.0.1: no database port open outside the database zone (TCP ports scanned: 1-65535)"),
        "net-only-approved-ports": (
            "fail", "127.0.0.1: open but not approved for zone none: 80/tcp (http), 8080/tcp (http) (approved: 22, 443)"),
        "net-no-tftp": ("notchecked", udp(69, root)),
        "net-no-snmp-v1-v2c": ("notchecked", udp(161, root)),
    }
    rows = {(c, "127.0.0.1"): v for c, v in host.items()}
    for c in ("net-ssh-no-weak-kex", "net-ssh-no-weak-ciphers", "net-ssh-no-weak-macs", "net-ssh-protocol-2-only"):
        rows[(c, "127.0.0.1:22/tcp")] = ("pass", None)
    for c in ("net-tls-min-version", "net-tls-cipher-grade", "net-tls-cert-not-expired",
              "net-tls-cert-not-self-signed", "net-tls-cert-key-size"):
        rows[(c, "127.0.0.1:443/tcp")] = ("pass", None)
    rows[("net-http-redirects-to-https", "127.0.0.1:80/tcp")] = (
        "pass", "127.0.0.1:80: redirects to https://localhost:443/")
    rows[("net-http-redirects-to-https", "127.0.0.1:8080/tcp")] = (
        "fail", "127.0.0.1:8080: serves plain HTTP without redirecting to HTTPS (redirect: none, title: govscan test page)")
    return rows


def test_readme_shows_the_command_and_its_udp_story():
    text = README.read_text()
    assert COMMAND in text
    assert "udp_ports" in text and "notchecked" in text


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="needs root to create a network namespace and bind ports 22, 80, 443")
def test_readme_network_example_exits_0_as_root_and_as_nobody():
    if shutil.which("nmap") is None:
        pytest.fail("nmap is not installed: tests/run.sh installs it (apt-get install nmap)")
    # pytest's tmp_path sits under a 0700 directory 'nobody' cannot enter: use a fresh one in /tmp
    tmp_path = Path(tempfile.mkdtemp(prefix="govscan-readme-"))
    try:
        tmp_path.chmod(0o755)
        check_runs(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def check_runs(tmp_path: Path) -> None:
    out = subprocess.run(["unshare", "-n", sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True,
                         text=True, timeout=300, cwd=str(tmp_path),
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    runs = dict(re.findall(r"^RUN (\w+) (-?\d+)$", out.stdout, re.M))
    assert runs == {"root": "0", "nobody": "0"}, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Gate PASSED" in out.stdout and "Traceback" not in out.stderr
    for who, root in (("root", True), ("nobody", False)):
        rows = findings(tmp_path / who / "govscan.db")
        got = {(r["control_id"], r["resource_id"]): (r["status"], r["message"]) for r in rows}
        want = expected(root)
        assert {k: v[0] for k, v in got.items()} == {k: v[0] for k, v in want.items()}, who
        assert {k: got[k][1] for k, v in want.items() if v[1]} == {k: v[1] for k, v in want.items() if v[1]}, who
