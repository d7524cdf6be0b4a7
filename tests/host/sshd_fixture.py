"""Real sshd servers on loopback for the SSH transport and fleet tests.

Each :class:`SshdHost` is a real ``/usr/sbin/sshd -D`` with its own freshly generated ed25519 host
key, listening on a loopback address (127.0.0.x all route to ``lo``) and a free port, with key-only
login (``UsePAM no``) for a dedicated test user and, where a test needs it, for root. Authorized keys,
pid file and log live in the host's own temp directory, never in the system's sshd configuration.

A host can be given its *own* ``/etc/ssh/sshd_config``, ``/etc/login.defs`` and ``/etc/sudoers``:
sshd then runs in a private mount namespace (``unshare -m``) where those files are bind-mounted, so
the sessions it spawns (and the fact script's ``sshd -T``) see that host's files, not the machine's.
That is how one machine serves a compliant and a deliberately non-compliant host at once. The
declared ``/etc/ssh/sshd_config`` is what the scanner audits; the sshd serving the test connections
runs with its own minimal config, so a declared weak or PAM-dependent setting never breaks the tests' login.

Everything here is plain helpers; the pytest fixtures at the bottom are imported by ``conftest.py``.
"""

from __future__ import annotations

import base64
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

SSHD = "/usr/sbin/sshd"
TEST_USER = "govscan-ssh"
"""A dedicated system user the tests log in as (created if absent; password field ``*``)."""

# The settings both fixture kinds share: where this fixture's keys and files are, key-only login.
_BASE_CONFIG = """\
ListenAddress {address}
Port {port}
HostKey {root}/ssh_host_ed25519_key
PidFile {root}/sshd.pid
AuthorizedKeysFile {root}/authorized_keys/%u
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes yes
"""

# What each host *declares* in its /etc/ssh/sshd_config (what `sshd -T` on that host reports, i.e. what
# govscan audits). The sshd process serving the test connections runs with its own minimal config
# (_BASE_CONFIG: key-only, UsePAM no because PAM sessions need audit privileges a container lacks), so
# a declared setting such as UsePAM yes or weak key exchange never changes how the tests connect.
COMPLIANT_SSHD = """\
HostKey {root}/ssh_host_ed25519_key
PermitRootLogin no
MaxAuthTries 4
PermitEmptyPasswords no
HostbasedAuthentication no
IgnoreRhosts yes
LogLevel VERBOSE
Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512,hmac-sha2-256
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group16-sha512
ClientAliveInterval 300
ClientAliveCountMax 3
Banner /etc/issue.net
DisableForwarding yes
X11Forwarding no
AllowTcpForwarding no
GSSAPIAuthentication no
LoginGraceTime 60
MaxSessions 10
MaxStartups 10:30:60
PermitUserEnvironment no
UsePAM yes
StrictModes yes
PrintLastLog yes
RequiredRSASize 3072
PasswordAuthentication no
AllowGroups sshusers
"""
"""Hardened settings (CIS / STIG style): every host-sshd-* control passes."""

NONCOMPLIANT_SSHD = """\
HostKey {root}/ssh_host_ed25519_key
PermitRootLogin yes
MaxAuthTries 10
PermitEmptyPasswords yes
HostbasedAuthentication yes
IgnoreRhosts no
LogLevel QUIET
Ciphers aes128-cbc,3des-cbc,aes256-ctr
MACs hmac-sha1-96,hmac-md5,hmac-sha2-256
KexAlgorithms diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,curve25519-sha256
ClientAliveInterval 0
ClientAliveCountMax 0
Banner none
DisableForwarding no
X11Forwarding yes
AllowTcpForwarding yes
GSSAPIAuthentication yes
LoginGraceTime 600
MaxSessions 64
MaxStartups 100:30:200
PermitUserEnvironment yes
UsePAM no
StrictModes no
PrintLastLog no
RequiredRSASize 1024
PasswordAuthentication yes
"""
"""Deliberately weak settings: every host-sshd-* control fails (password-auth policy included: its
default allows only `no`)."""

COMPLIANT_LOGIN_DEFS = """\
PASS_MAX_DAYS 365
PASS_MIN_DAYS 1
PASS_WARN_AGE 7
UMASK 027
ENCRYPT_METHOD YESCRYPT
"""

NONCOMPLIANT_LOGIN_DEFS = """\
PASS_MAX_DAYS 99999
PASS_MIN_DAYS 0
PASS_WARN_AGE 0
UMASK 000
ENCRYPT_METHOD MD5
"""


@dataclass
class SshdHost:
    """One running sshd fixture and what a client needs to reach it."""

    name: str
    address: str
    port: int
    root: Path
    """The host's private temp directory (config, keys, pid, log)."""
    host_key_line: str
    """``ssh-ed25519 AAAA...`` of the host's public key."""
    known_hosts: Path
    """A known_hosts file holding only this host's key."""
    proc: subprocess.Popen[bytes] | None = None
    extra_users: tuple[str, ...] = ()

    @property
    def log(self) -> str:
        """sshd's log so far (for assertion messages)."""
        path = self.root / "sshd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def known_hosts_entry(self) -> str:
        """The known_hosts line for this host (``[addr]:port keytype base64``)."""
        return f"[{self.address}]:{self.port} {self.host_key_line}\n"

    def spec(self, user: str = TEST_USER) -> str:
        """The ``ssh://`` target spec for this host."""
        return f"ssh://{user}@{self.address}:{self.port}"

    def fingerprint(self) -> str:
        """OpenSSH-style ``SHA256:...`` fingerprint of the host key."""
        return sha256_fingerprint(self.host_key_line)

    def stop(self) -> None:
        """Stop sshd by its pid and wait for it (nothing else reaps it)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def sha256_fingerprint(key_line: str) -> str:
    """``SHA256:<base64 without padding>`` of a public key line, as ssh-keygen -l prints it."""
    import hashlib

    blob = base64.b64decode(key_line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def ensure_test_user(name: str = TEST_USER) -> pwd.struct_passwd:
    """Create the dedicated login user if absent; its password field is ``*`` (no password, not locked)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    subprocess.run(
        ["useradd", "--system", "--create-home", "--home-dir", f"/var/lib/{name}", "--shell", "/bin/sh", name],
        check=True,
        capture_output=True,
    )
    # useradd leaves "!" (locked); without PAM, sshd refuses locked accounts even for key login.
    subprocess.run(["usermod", "-p", "*", name], check=True, capture_output=True)
    return pwd.getpwnam(name)


def keygen(path: Path, comment: str = "govscan-test") -> str:
    """Generate an unencrypted ed25519 key pair at ``path``; return the public key line."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


def free_port(address: str) -> int:
    """A TCP port currently free on ``address``."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


FIXTURE_BASE = Path("/run/govscan-test-sshd")
"""Parent of the fixtures' directories: StrictModes refuses paths under a world-writable /tmp."""


def make_root(prefix: str) -> Path:
    """A temp directory sshd can traverse as the login user (StrictModes: 0755, root-owned path)."""
    FIXTURE_BASE.mkdir(mode=0o755, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=FIXTURE_BASE))
    root.chmod(0o755)
    return root


def start_sshd(
    name: str,
    address: str,
    client_pubkeys: dict[str, list[str]],
    settings: str = "",
    etc_files: dict[str, str] | None = None,
) -> SshdHost:
    """Start one sshd fixture and wait until it accepts connections.

    ``client_pubkeys`` maps login user -> authorized public key lines. ``settings`` are extra lines
    for the config the fixture's sshd runs with. ``etc_files`` maps a system path
    (``/etc/ssh/sshd_config``, ``/etc/login.defs``, ``/etc/sudoers``) to the content this host shows in
    its place (private mount namespace); ``{root}`` in it becomes the host's directory.
    """
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    root = make_root(f"govscan-sshd-{name}-")
    host_key_line = keygen(root / "ssh_host_ed25519_key", comment=f"{name}-host")
    keys_dir = root / "authorized_keys"
    keys_dir.mkdir(mode=0o755)
    for user, lines in client_pubkeys.items():
        (keys_dir / user).write_text("".join(line.strip() + "\n" for line in lines))
        (keys_dir / user).chmod(0o644)
    port = free_port(address)
    config = root / "sshd_config"
    config.write_text(_BASE_CONFIG.format(address=address, port=port, root=root) + settings)
    argv = [SSHD, "-D", "-f", str(config), "-E", str(root / "sshd.log")]
    if etc_files:
        argv = _in_mount_namespace(root, etc_files, argv)
    known_hosts = root / "known_hosts"
    host = SshdHost(name, address, port, root, host_key_line, known_hosts)
    known_hosts.write_text(host.known_hosts_entry())
    host.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _wait_listening(host)
    return host


def _in_mount_namespace(root: Path, etc_files: dict[str, str], argv: list[str]) -> list[str]:
    """Wrap ``argv`` so sshd runs in a private mount namespace with ``etc_files`` bind-mounted."""
    mounts = []
    for i, (target, content) in enumerate(sorted(etc_files.items())):
        if not Path(target).exists():
            continue  # e.g. /etc/sudoers without sudo installed: nothing to stand in for
        source = root / f"etc-{i}-{Path(target).name}"
        source.write_text(content.replace("{root}", str(root)))
        source.chmod(0o440 if target == "/etc/sudoers" else 0o644)
        mounts.append(f"mount --bind {source} {target}")
    script = " && ".join([*mounts, 'exec "$@"'])
    # unshare without --fork execs the shell, which execs sshd: the Popen pid is sshd's pid.
    return ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", *argv]


def _wait_listening(host: SshdHost, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    assert host.proc is not None
    while time.monotonic() < deadline:
        if host.proc.poll() is not None:
            err = host.proc.stderr.read().decode(errors="replace") if host.proc.stderr else ""
            raise RuntimeError(f"sshd fixture {host.name} exited {host.proc.returncode}: {err}{host.log}")
        try:
            with socket.create_connection((host.address, host.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.005)
    host.stop()
    raise RuntimeError(f"sshd fixture {host.name} did not listen on {host.address}:{host.port}: {host.log}")


class SilentListener:
    """A TCP listener on loopback that accepts connections and never says a word (timeout case)."""

    def __init__(self, address: str = "127.0.0.1"):
        self.sock = socket.socket()
        self.sock.bind((address, 0))
        self.sock.listen(16)
        self.address, self.port = self.sock.getsockname()[:2]
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._held.append(conn)  # keep it open, never send

    def close(self) -> None:
        """Stop listening and drop held connections."""
        self.sock.close()
        for conn in self._held:
            conn.close()


@dataclass
class SshFleet:
    """The session's SSH world: client keys, the hosts, and a combined known_hosts."""

    key: Path
    """The test user's (and root's, where allowed) private key."""
    other_key: Path
    """A key no fixture authorises (wrong-key case)."""
    compliant: SshdHost
    noncompliant: SshdHost
    mirror: SshdHost
    """Uses the machine's own /etc files and allows root by key: local and SSH scans must agree."""
    many: list[SshdHost] = field(default_factory=list)
    known_hosts: Path = Path()

    def all_hosts(self) -> list[SshdHost]:
        return [self.compliant, self.noncompliant, self.mirror, *self.many]


FLEET_SIZE = 6
"""How many plain sshd fixtures the --jobs tests scan at once."""


def start_fleet() -> SshFleet:
    """Start every sshd fixture of the session (about 30 ms each)."""
    ensure_test_user()
    keys = make_root("govscan-sshkeys-")
    keys.chmod(0o700)
    pub = keygen(keys / "id_ed25519", comment="govscan-test-client")
    keygen(keys / "other_ed25519", comment="govscan-unauthorised")
    users = {TEST_USER: [pub]}
    hosts: list[SshdHost] = []
    try:
        sudoers_ok = f"root ALL=(ALL:ALL) ALL\n{TEST_USER} ALL=(root) NOPASSWD: ALL\n"
        sudoers_ask = "root ALL=(ALL:ALL) ALL\n" + f"{TEST_USER} ALL=(root) ALL\n"
        compliant = start_sshd(
            "compliant", "127.0.0.11", users, "AllowTcpForwarding no\n",
            {"/etc/ssh/sshd_config": COMPLIANT_SSHD, "/etc/login.defs": COMPLIANT_LOGIN_DEFS,
             "/etc/default/useradd": "INACTIVE=30\n", "/etc/sudoers": sudoers_ok},
        )
        hosts.append(compliant)
        # Root may log in by key here (its sshd says PermitRootLogin yes anyway): `sshd -T` needs root,
        # and this host's sudo asks for a password (the sudo refusal case).
        noncompliant = start_sshd(
            "noncompliant", "127.0.0.12", {**users, "root": [pub]}, "PermitRootLogin prohibit-password\n",
            {"/etc/ssh/sshd_config": NONCOMPLIANT_SSHD, "/etc/login.defs": NONCOMPLIANT_LOGIN_DEFS,
             "/etc/default/useradd": "INACTIVE=-1\n", "/etc/sudoers": sudoers_ask},
        )
        hosts.append(noncompliant)
        mirror = start_sshd("mirror", "127.0.0.13", {**users, "root": [pub]}, "PermitRootLogin prohibit-password\n")
        hosts.append(mirror)
        many = []
        for i in range(FLEET_SIZE):
            many.append(start_sshd(f"fleet{i}", f"127.0.0.{21 + i}", users))
            hosts.append(many[-1])
    except BaseException:
        for host in hosts:
            host.stop()
        raise
    known = keys / "known_hosts"
    known.write_text("".join(h.known_hosts_entry() for h in hosts))
    return SshFleet(keys / "id_ed25519", keys / "other_ed25519", compliant, noncompliant, mirror, many, known)


def stop_fleet(fleet: SshFleet) -> None:
    """Stop every sshd and remove the temp directories."""
    for host in fleet.all_hosts():
        host.stop()
        shutil.rmtree(host.root, ignore_errors=True)
    shutil.rmtree(fleet.key.parent, ignore_errors=True)


def _usable() -> str | None:
    """Why real sshd fixtures cannot run here, or None."""
    if os.geteuid() != 0:
        return "sshd fixtures need root (useradd, sshd, mount namespaces)"
    if not Path(SSHD).exists():
        return f"{SSHD} not installed (apt-get install openssh-server)"
    return None


@pytest.fixture(scope="session")
def ssh_fleet() -> Iterator[SshFleet]:
    """Every sshd fixture of the session: compliant, non-compliant, mirror, and a small fleet."""
    reason = _usable()
    if reason:
        pytest.skip(reason)
    fleet = start_fleet()
    try:
        yield fleet
    finally:
        stop_fleet(fleet)


@pytest.fixture
def silent_listener() -> Iterator[SilentListener]:
    """A loopback TCP port that accepts and never answers."""
    listener = SilentListener()
    try:
        yield listener
    finally:
        listener.close()


@pytest.fixture
def closed_port() -> tuple[str, int]:
    """A loopback address and port nothing listens on."""
    return "127.0.0.1", free_port("127.0.0.1")
