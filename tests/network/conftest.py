"""Fixtures for the network provider tests: loopback services and one live nmap scan of them.

Only 127.0.0.1 is ever scanned, and only the ports these fixtures opened (an explicit ``ports``
list), so the scan stays fast and touches nothing else.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import net_services as S

DATA = Path(__file__).parent / "data"


@dataclass
class Services:
    """Ports of the loopback services, by role."""

    weak_tls: int
    strong_tls: int
    redirect_http: int
    plain_http: int
    telnet: int
    ftp: int
    weak_ssh: int
    strong_ssh: int

    def all(self) -> list[int]:
        return sorted(vars(self).values())


@pytest.fixture(scope="session")
def services(tmp_path_factory) -> Services:
    if shutil.which("nmap") is None:
        pytest.fail("nmap is not installed: tests/run.sh installs it (apt-get install nmap)")
    d = tmp_path_factory.mktemp("netsvc")
    ca = S.make_ca(d)
    weak_crt, weak_key = S.make_cert(d, "weak", self_signed=True, expired=True)
    strong_crt, strong_key = S.make_cert(d, "strong", self_signed=False, expired=False, ca=ca)
    servers = [
        S.HTTPServer(S.PageHandler, S.weak_tls_context(weak_crt, weak_key)),
        S.HTTPServer(S.PageHandler, S.strong_tls_context(strong_crt, strong_key)),
    ]
    weak_tls, strong_tls = (S.serve(s) for s in servers)
    more = [S.HTTPServer(S.RedirectHandler, https_port=strong_tls), S.HTTPServer(S.PageHandler),
            S.BannerServer(S.TELNET_BANNER), S.BannerServer(S.FTP_BANNER, S.FTP_REPLY)]
    redirect, plain, telnet, ftp = (S.serve(s) for s in more)
    weak_ssh = S.start_sshd(d / "weak-sshd", S.WEAK_SSH)
    strong_ssh = S.start_sshd(d / "strong-sshd", S.STRONG_SSH)
    yield Services(weak_tls, strong_tls, redirect, plain, telnet, ftp, weak_ssh.port, strong_ssh.port)
    weak_ssh.stop()
    strong_ssh.stop()
    for s in servers + more:
        s.shutdown()
        s.server_close()
