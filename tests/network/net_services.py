"""Loopback services the network tests scan: TLS (weak and strong), HTTP, telnet/FTP banners, sshd.

Every server binds 127.0.0.1 on a free port chosen by the kernel and runs in daemon threads (sshd
as a child process), so nmap only ever scans loopback. Certificates are generated with
``cryptography`` for each test session.
"""

from __future__ import annotations

import datetime as dt
import http.server
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "govscan tests")])


def make_cert(directory: Path, stem: str, *, self_signed: bool, expired: bool,
              ca: tuple[x509.Certificate, rsa.RSAPrivateKey] | None = None) -> tuple[Path, Path]:
    """Write ``stem.crt`` / ``stem.key``: self-signed, or signed by ``ca``; expired or valid."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    if expired:
        not_before, not_after = now - dt.timedelta(days=400), now - dt.timedelta(days=35)
    else:
        not_before, not_after = now - dt.timedelta(days=1), now + dt.timedelta(days=365)
    subject = _name(f"{stem}.govscan.test")
    issuer_cert, issuer_key = (None, key) if self_signed or ca is None else ca
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(subject if issuer_cert is None else issuer_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after)
               .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False))
    cert = builder.sign(issuer_key, hashes.SHA256())
    crt, pem = directory / f"{stem}.crt", directory / f"{stem}.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def make_ca(directory: Path) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """A throwaway CA so the strong server's certificate is not self-signed."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.timezone.utc)
    name = _name("govscan test CA")
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


class _Quiet:
    """Mix-in: scanners send garbage; do not print tracebacks for it."""

    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


class RedirectHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(301)
        self.send_header("Location", f"https://localhost:{self.server.https_port}/")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args) -> None:
        pass


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><head><title>govscan test page</title></head><body>plain</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


class HTTPServer(_Quiet, http.server.ThreadingHTTPServer):
    """Threaded HTTP server; ``tls`` wraps each accepted socket (handshake in the handler thread)."""

    def __init__(self, handler, tls: ssl.SSLContext | None = None, https_port: int = 0, port: int = 0):
        self.tls, self.https_port = tls, https_port
        super().__init__((LOOPBACK, port), handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls is not None:
            # do the handshake lazily in the worker thread so a slow probe cannot block accept()
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


class _BannerHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(self.server.banner)
        self.request.settimeout(2)
        try:
            while self.request.recv(1024):
                if self.server.reply:
                    self.request.sendall(self.server.reply)
        except OSError:
            pass


class BannerServer(_Quiet, socketserver.ThreadingTCPServer):
    """Sends a fixed banner on connect (and a fixed reply to anything), like telnetd or an FTP server."""

    def __init__(self, banner: bytes, reply: bytes = b""):
        self.banner, self.reply = banner, reply
        super().__init__((LOOPBACK, 0), _BannerHandler)


# Telnet option negotiation (IAC DO TERMINAL-TYPE, IAC DO TSPEED, ...) as Linux telnetd sends it
TELNET_BANNER = b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"
FTP_BANNER = b"220 (vsFTPd 3.0.3)\r\n"
FTP_REPLY = b"530 Please login with USER and PASS.\r\n"


def weak_tls_context(crt: Path, key: Path) -> ssl.SSLContext:
    """TLS 1.0/1.1 only, CBC and 3DES ciphers (SECLEVEL=0 so OpenSSL 3 allows them)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():  # deprecated on purpose: this server must be non-compliant
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("AES128-SHA:NULL-SHA:@SECLEVEL=0")
    ctx.load_cert_chain(crt, key)
    return ctx


def strong_tls_context(crt: Path, key: Path) -> ssl.SSLContext:
    """TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305")
    ctx.load_cert_chain(crt, key)
    return ctx


def serve(server: socketserver.BaseServer) -> int:
    """Run ``server`` in a daemon thread; return its port."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


WEAK_SSH = """KexAlgorithms diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,curve25519-sha256
Ciphers 3des-cbc,aes128-cbc,aes128-ctr
MACs hmac-md5,hmac-sha1,hmac-sha2-256
"""
STRONG_SSH = """KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com
"""


@dataclass
class Sshd:
    """A real sshd on loopback; only its banner and algorithm lists are scanned (nobody logs in)."""

    port: int
    proc: subprocess.Popen

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start_sshd(directory: Path, algorithms: str, port: int = 0) -> Sshd:
    """Start ``/usr/sbin/sshd -D`` on 127.0.0.1 with its own host key and the given algorithms."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    directory.mkdir(parents=True, exist_ok=True)
    hostkey = directory / "ssh_host_ed25519_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(hostkey)], check=True)
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation directory
    port = port or free_port()
    config = directory / "sshd_config"
    config.write_text(f"Port {port}\nListenAddress {LOOPBACK}\nHostKey {hostkey}\nUsePAM no\n"
                      f"PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                      f"PidFile {directory}/sshd.pid\n{algorithms}")
    proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-2.0"):
                    return Sshd(port, proc)
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"sshd did not start on port {port}")
