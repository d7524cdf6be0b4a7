"""The SSH transport: one verified paramiko connection per host running the batched fact script.

``open_transport`` connects (through jump hosts when configured), verifies the host key against
known_hosts before authenticating (see :mod:`checks.host.ssh_hostkeys`), authenticates with key
files and ssh-agent, and returns an :class:`SshTransport` that runs ``sh -s`` (or ``sudo -n sh -s``)
on one channel per script. Every way a host can fail (DNS, refused, timeout, banner, host key,
authentication, sudo) becomes a :class:`~checks.host.transport.TransportError` whose message is the
reason shown in the finding; nothing is retried forever and nothing fails open.

Connection habits measured in ``/work/shared/TESTING.md``: ``TCP_NODELAY`` (Nagle costs ~42 ms per
channel otherwise), at most a few handshakes in flight per sshd (``MaxStartups`` drops bursts with
"Error reading SSH protocol banner"), and retries with backoff when a banner read is reset.
"""

from __future__ import annotations

import random
import select
import shlex
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from checks.host import ssh_hostkeys
from checks.host.ssh_config import ConnectionPlan, Hop, load_paramiko, parse_ssh_target, plan_connection
from checks.host.transport import SCRIPT_ENV, ScriptResult, Transport, TransportError
from scanner.errors import UsageError
from scanner.model import Target
from scanner.provider import CollectContext

if TYPE_CHECKING:  # pragma: no cover
    import paramiko

__all__ = ["SshTransport", "open_transport", "parse_ssh_target"]

RETRIES = 4
"""Attempts for a handshake the server reset (sshd ``MaxStartups`` drops, not a dead host)."""

_semaphores: dict[tuple[str, int], threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


def open_transport(target: Target, ctx: CollectContext) -> "SshTransport":
    """Connect to an ``ssh://`` target and return its transport, or raise TransportError(reason)."""
    load_paramiko()  # first, so paramiko is imported without invoke wherever it is imported next
    _quiet_paramiko()
    try:
        plan = plan_connection(target, ctx.options)
    except UsageError as exc:
        raise TransportError(str(exc)) from None
    clients: list[Any] = []
    try:
        sock: Any = None
        for hop in plan.jumps:
            sock = _jump_channel(clients[-1], hop, plan) if clients else None
            clients.append(_connect(hop, plan, ctx, sock, role=f"jump host {hop}"))
        sock = _jump_channel(clients[-1], plan.host, plan) if clients else None
        clients.append(_connect(plan.host, plan, ctx, sock, role=str(plan.host)))
    except BaseException:
        for client in reversed(clients):
            client.close()
        raise
    return SshTransport(target.id, plan, clients)


class SshTransport(Transport):
    """Runs scripts on one host over one authenticated SSH connection (plus its jump connections)."""

    def __init__(self, label: str, plan: ConnectionPlan, clients: list[Any]):
        self.label = label
        self.plan = plan
        self._clients = clients
        self.is_root = plan.host.user == "root" or plan.sudo

    @property
    def client(self) -> "paramiko.SSHClient":
        """The connection to the host itself (the last of the chain)."""
        if not self._clients:
            raise TransportError(f"SSH connection to {self.plan.host} is closed")
        return self._clients[-1]

    def command(self) -> str:
        """The remote command: ``sh -s`` with a fixed locale and PATH, through ``sudo -n`` if asked."""
        env = " ".join(shlex.quote(f"{k}={v}") for k, v in SCRIPT_ENV.items())
        # `env` so it also works when the login shell is not sh-like; sudo -n never prompts.
        return f"{'sudo -n ' if self.plan.sudo else ''}env {env} /bin/sh -s"

    def run_script(self, script: str, timeout: float) -> ScriptResult:
        """Run ``script`` on one new channel; TransportError if it cannot start or exceeds ``timeout``."""
        import paramiko

        deadline = time.monotonic() + timeout
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            raise TransportError(f"SSH connection to {self.plan.host} was lost")
        try:
            channel = transport.open_session(timeout=timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise TransportError(f"cannot open an SSH session on {self.plan.host}: {exc or type(exc).__name__}") from None
        try:
            channel.settimeout(max(0.1, deadline - time.monotonic()))
            channel.exec_command(self.command())
            channel.sendall(script.encode())
            channel.shutdown_write()
            out, err = _drain(channel, deadline, self.plan.max_output, str(self.plan.host))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not channel.status_event.wait(remaining):
                raise TransportError(f"fact script timed out after {timeout:g}s on {self.plan.host}")
            code = channel.recv_exit_status()
        except socket.timeout:
            raise TransportError(f"fact script timed out after {timeout:g}s on {self.plan.host}") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise TransportError(f"SSH session on {self.plan.host} failed: {exc or type(exc).__name__}") from None
        finally:
            channel.close()
        if code == -1:
            raise TransportError(f"the fact script on {self.plan.host} ended without an exit status")
        if self.plan.sudo and code == 1 and not out and b"sudo:" in err:
            reason = err.decode(errors="replace").strip().splitlines()[-1]
            raise TransportError(f"sudo -n refused for {self.plan.host.user} on {self.plan.host.hostname}: {reason}")
        return ScriptResult(stdout=out, stderr=err, exit_code=code)

    def close(self) -> None:
        """Close the host connection, then its jump connections; idempotent."""
        clients, self._clients = self._clients, []
        for client in reversed(clients):
            client.close()


def _drain(channel: Any, deadline: float, cap: int, host: str) -> tuple[bytes, bytes]:
    """Read stdout and stderr until both are closed, or raise TransportError at the deadline.

    Each stream may bring at most ``cap`` bytes: past it the read stops at once (the caller closes the
    channel) and the host is an error naming the cap, so a host cannot exhaust the scanner's memory.
    """
    out: list[bytes] = []
    err: list[bytes] = []
    sizes = {"stdout": 0, "stderr": 0}

    def take(stream: str, chunk: bytes, into: list[bytes]) -> None:
        sizes[stream] += len(chunk)
        if sizes[stream] > cap:
            raise TransportError(
                f"{host} sent more than {cap // (1024 * 1024)} MiB on {stream} (the cap on what a host may send); "
                "raise it with max_output_mib in the inventory or --max-output-mib"
            )
        into.append(chunk)

    while True:
        ready = False
        while channel.recv_stderr_ready():
            take("stderr", channel.recv_stderr(65536), err)
            ready = True
        while channel.recv_ready():
            chunk = channel.recv(65536)
            if not chunk:
                break
            take("stdout", chunk, out)
            ready = True
        if channel.eof_received and not channel.recv_ready() and not channel.recv_stderr_ready():
            return b"".join(out), b"".join(err)
        if ready:
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout()
        # The channel's fileno is a pipe set when either stream gets data or the channel closes.
        select.select([channel], [], [], min(remaining, 1.0))


def _quiet_paramiko() -> None:
    """paramiko logs every failed handshake with a traceback; the reason reaches the finding instead.

    A NullHandler only stops Python's last-resort stderr handler: logging set up by the user
    (``--debug``, root handlers) still receives paramiko's records.
    """
    import logging

    logger = logging.getLogger("paramiko")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def _jump_channel(jump: Any, hop: Hop, plan: ConnectionPlan) -> Any:
    """A direct-tcpip channel from the jump connection to ``hop``: the socket for the next hop."""
    import paramiko

    transport = jump.get_transport()
    try:
        return transport.open_channel(
            "direct-tcpip", (hop.hostname, hop.port), ("127.0.0.1", 0), timeout=plan.connect_timeout
        )
    except paramiko.ChannelException as exc:
        raise TransportError(f"jump host could not reach {hop.hostname}:{hop.port}: {exc.text}") from None
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise TransportError(f"jump host could not reach {hop.hostname}:{hop.port}: {exc or type(exc).__name__}") from None


def _semaphore(hop: Hop, limit: int) -> threading.BoundedSemaphore:
    with _semaphores_lock:
        key = (hop.hostname, hop.port)
        if key not in _semaphores:
            _semaphores[key] = threading.BoundedSemaphore(max(1, limit))
        return _semaphores[key]


def _connect(hop: Hop, plan: ConnectionPlan, ctx: CollectContext, sock: Any, role: str) -> Any:
    """Connect and authenticate to one hop, retrying resets with backoff; at most a few at once per sshd."""
    delay = 0.2
    for attempt in range(1, RETRIES + 1):
        if ctx.cancel.is_set():
            raise TransportError(f"scan interrupted before connecting to {role}")
        try:
            with _semaphore(hop, plan.handshakes_per_host):
                return _connect_once(hop, plan, ctx, sock if attempt == 1 else None, role)
        except _Reset as exc:
            if sock is not None or attempt == RETRIES:  # a jump channel cannot be re-dialled here
                raise TransportError(f"{role}: {exc.reason} ({attempt} attempts)") from None
            time.sleep(delay * (1 + random.random()))  # jitter so a burst does not retry in lockstep
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


class _Reset(Exception):
    """The server dropped the handshake; worth retrying."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _connect_once(hop: Hop, plan: ConnectionPlan, ctx: CollectContext, sock: Any, role: str) -> Any:
    import paramiko

    timeout = plan.connect_timeout
    if sock is None:
        sock = _dial(hop, timeout, role)
    known = ssh_hostkeys.load([*plan.extra_known_hosts, plan.known_hosts])
    name = ssh_hostkeys.known_hosts_name(hop.hostname, hop.port)  # OpenSSH records the HostName
    client = paramiko.SSHClient()
    # No host keys in the client itself: paramiko then hands every server key to our policy, which
    # checks known_hosts (unknown -> refuse or accept-new, changed -> refuse) before authentication.
    client.set_missing_host_key_policy(
        ssh_hostkeys.verifying_policy(
            known, name, accept_new=plan.accept_new_host_keys, append_to=plan.known_hosts, note=ctx.progress
        )
    )
    algorithms = ssh_hostkeys.host_key_algorithms(known, name)
    disabled = None
    if algorithms:
        from paramiko.transport import Transport as _T

        disabled = {"keys": [a for a in _T._preferred_keys if a not in algorithms]}
    passphrase = None
    if plan.passphrase_env:
        import os

        passphrase = os.environ.get(plan.passphrase_env)
    try:
        client.connect(
            hop.hostname,
            port=hop.port,
            username=hop.user,
            key_filename=list(hop.key_files) or None,
            passphrase=passphrase,
            allow_agent=plan.allow_agent,
            look_for_keys=not hop.key_files,
            sock=sock,
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            channel_timeout=timeout,
            disabled_algorithms=disabled,
        )
        return client
    except BaseException as exc:
        transport = client.get_transport()
        banner = bool(transport and transport.remote_version)
        client.close()
        sock.close()
        _raise_reason(exc, hop, plan, role, algorithms, banner)
        raise


def _dial(hop: Hop, timeout: float, role: str) -> socket.socket:
    """Open the TCP connection ourselves: to set TCP_NODELAY and to word each failure."""
    try:
        sock = socket.create_connection((hop.hostname, hop.port), timeout=timeout)
    except socket.gaierror as exc:
        raise TransportError(f"cannot resolve {hop.hostname}: {exc.strerror}") from None
    except ConnectionRefusedError:
        raise TransportError(f"connection refused by {hop.hostname}:{hop.port} ({role})") from None
    except socket.timeout:
        raise TransportError(f"timed out after {timeout:g}s connecting to {hop.hostname}:{hop.port}") from None
    except OSError as exc:
        raise TransportError(f"cannot connect to {hop.hostname}:{hop.port}: {exc.strerror or exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _raise_reason(
    exc: BaseException, hop: Hop, plan: ConnectionPlan, role: str, algorithms: list[str] | None, banner: bool
) -> None:
    """Turn a paramiko failure into TransportError (or _Reset for a retryable dropped handshake)."""
    import paramiko

    where = f"{hop.hostname}:{hop.port}"
    if isinstance(exc, TransportError):
        raise exc
    cause = exc.__context__ or exc.__cause__
    if isinstance(exc, paramiko.PasswordRequiredException):
        raise TransportError(
            f"authentication failed for {hop.user}@{where}: a key file is encrypted; load it into ssh-agent "
            "or name the environment variable holding its passphrase with passphrase_env"
        ) from None
    if isinstance(exc, paramiko.AuthenticationException):
        tried = [*hop.key_files] or ["default keys in ~/.ssh"]
        if plan.allow_agent:
            tried.append("ssh-agent")
        raise TransportError(
            f"authentication failed for {hop.user}@{where} (publickey; tried {', '.join(tried)})"
        ) from None
    timed_out = isinstance(exc, socket.timeout) or isinstance(cause, socket.timeout)
    # paramiko's start_client gives up after `timeout` and connect() then says "No existing session".
    timed_out = timed_out or "No existing session" in str(exc)
    if timed_out and not banner:
        raise TransportError(
            f"{where} accepted the connection but sent no SSH banner within {plan.connect_timeout:g}s"
        ) from None
    if isinstance(exc, paramiko.SSHException) and "protocol banner" in str(exc):
        raise _Reset(f"{where} closed the connection before the SSH banner (sshd MaxStartups?)")
    if isinstance(exc, paramiko.SSHException) and "No authentication methods available" in str(exc):
        raise TransportError(
            f"authentication failed for {hop.user}@{where}: no key to offer (no key file given or found "
            "in ~/.ssh, no ssh-agent keys)"
        ) from None
    if isinstance(exc, (ConnectionResetError, EOFError)) or isinstance(cause, (ConnectionResetError, EOFError)):
        raise _Reset(f"{where} reset the connection during the SSH handshake")
    if isinstance(exc, paramiko.SSHException) and algorithms and "host key" in str(exc).lower():
        raise TransportError(
            f"HOST KEY CHANGED for {where}: known_hosts has {', '.join(algorithms)} but the server offers "
            f"no such key ({exc})"
        ) from None
    if timed_out:
        raise TransportError(f"timed out after {plan.connect_timeout:g}s in the SSH handshake with {where}") from None
    if isinstance(exc, (paramiko.SSHException, OSError)):
        raise TransportError(f"SSH connection to {where} failed: {exc or type(exc).__name__}") from None
