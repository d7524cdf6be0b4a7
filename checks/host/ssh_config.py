"""SSH targets: parsing ``ssh://`` specs and resolving how to reach a host.

``parse_ssh_target`` turns ``ssh://[user@]host[:port]`` plus inventory/CLI options into a
:class:`~scanner.model.Target`; ``plan_connection`` resolves, at connect time, the address, user,
port, identity files and jump hosts from the target's options and ``~/.ssh/config`` (paramiko's
``SSHConfig``), in OpenSSH's order of precedence: what the spec says, then the inventory, then the
ssh config, then defaults.
"""

from __future__ import annotations

import getpass
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import unquote, urlsplit

from checks.host.names import host_problem, user_problem
from scanner.errors import UsageError
from scanner.model import Target

CONNECTION_OPTIONS = frozenset(
    {
        "user", "port", "key", "jump", "sudo", "known_hosts", "accept_new_host_keys", "connect_timeout",
        "script_timeout", "ssh_config", "agent", "passphrase_env", "handshakes_per_host", "max_output_mib",
    }
)
"""Options the SSH transport understands; every other option becomes a target variable."""

DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_SCRIPT_TIMEOUT = 120.0
DEFAULT_MAX_OUTPUT_MIB = 64
"""MiB a host may send on the script's stdout (and, separately, on its stderr) before it is an error."""
DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
SYSTEM_KNOWN_HOSTS = Path("/etc/ssh/ssh_known_hosts")


@dataclass(frozen=True)
class Hop:
    """One SSH server on the way to a host (a jump host or the host itself)."""

    alias: str
    """The name as written (spec, inventory or ProxyJump)."""
    hostname: str
    """What to connect to (ssh config ``HostName``, else the alias)."""
    port: int
    user: str
    key_files: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.user}@{self.hostname}:{self.port}"


@dataclass(frozen=True)
class ConnectionPlan:
    """Everything needed to open one host's SSH connection (no secrets: passphrases stay in env)."""

    host: Hop
    jumps: tuple[Hop, ...]
    known_hosts: Path
    """The user known_hosts file: read, and appended to by accept-new."""
    extra_known_hosts: tuple[Path, ...]
    """Read-only known_hosts files (the system-wide one)."""
    accept_new_host_keys: bool
    connect_timeout: float
    sudo: bool
    allow_agent: bool
    passphrase_env: str | None
    handshakes_per_host: int
    max_output: int = DEFAULT_MAX_OUTPUT_MIB * 1024 * 1024
    """Bytes the host may send on stdout, and on stderr, per script run."""


def parse_ssh_target(spec: str, options: Mapping[str, Any]) -> Target:
    """Parse ``ssh://[user@]host[:port]`` into a host target (UsageError if malformed).

    ``options`` are the inventory entry's fields merged with group and scan-wide options; the ones in
    :data:`CONNECTION_OPTIONS` go to ``Target.options`` (with ``user`` and ``port`` resolved), the rest
    to ``Target.vars``.
    """
    try:
        url = urlsplit(spec)
        url_port = url.port
    except ValueError as exc:
        raise UsageError(f"{_shown(spec)}: not a valid ssh:// target ({exc})") from None
    if url.scheme != "ssh" or not url.hostname:
        raise UsageError(f"{_shown(spec)}: expected ssh://[user@]host[:port]")
    if url.path not in ("", "/") or url.query or url.fragment or url.password is not None:
        raise UsageError(f"{_shown(spec)}: expected ssh://[user@]host[:port] (no path, query or password)")
    host = url.hostname
    opts = {k: v for k, v in options.items() if k in CONNECTION_OPTIONS}
    variables = {k: v for k, v in options.items() if k not in CONNECTION_OPTIONS and k != "name"}
    # Names are checked before anything interprets them (ssh config `Match exec %h`, known_hosts...).
    _check_names(spec, host, unquote(url.username) if url.username else None)
    _validate(spec, opts)
    config = ssh_config_for(opts.get("ssh_config"), host)
    user = unquote(url.username) if url.username else (opts.get("user") or config.get("user") or _local_user())
    port = url_port or _int(opts.get("port")) or _int(config.get("port")) or 22
    opts.update(user=str(user), port=int(port))
    name = str(options.get("name") or host)
    shown = f"[{host}]" if ":" in host else host  # IPv6 literal
    return Target(
        id=f"ssh://{user}@{shown}:{port}", kind="host", address=host, name=name, options=opts, vars=variables
    )


def plan_connection(target: Target, scan_options: Mapping[str, Any]) -> ConnectionPlan:
    """Resolve how to reach ``target``: target options win over scan-wide options over ssh config."""
    opts = {**{k: v for k, v in scan_options.items() if k in CONNECTION_OPTIONS and v is not None},
            **{k: v for k, v in target.options.items() if v is not None}}
    config_path = opts.get("ssh_config")
    config = ssh_config_for(config_path, target.address)
    keys = _key_list(opts.get("key")) + tuple(config.get("identityfile", ()))
    host = Hop(
        alias=target.address,
        hostname=config.get("hostname", target.address),
        port=int(opts.get("port") or config.get("port") or 22),
        user=str(opts.get("user") or config.get("user") or _local_user()),
        key_files=_existing(keys, explicit=_key_list(opts.get("key"))),
    )
    jump_spec = opts.get("jump") or config.get("proxyjump")
    jumps = () if not jump_spec or str(jump_spec).lower() == "none" else _parse_jumps(
        str(jump_spec), config_path, _key_list(opts.get("key"))
    )
    known = opts.get("known_hosts") or _first_word(config.get("userknownhostsfile")) or DEFAULT_KNOWN_HOSTS
    extra = (SYSTEM_KNOWN_HOSTS,) if not opts.get("known_hosts") else ()
    return ConnectionPlan(
        host=host,
        jumps=jumps,
        known_hosts=Path(os.path.expanduser(str(known))),
        extra_known_hosts=extra,
        accept_new_host_keys=bool(opts.get("accept_new_host_keys", False)),
        connect_timeout=float(opts.get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT),
        sudo=bool(opts.get("sudo", False)) and host.user != "root",
        allow_agent=bool(opts.get("agent", True)),
        passphrase_env=opts.get("passphrase_env"),
        handshakes_per_host=int(opts.get("handshakes_per_host") or 4),
        max_output=int(opts.get("max_output_mib") or DEFAULT_MAX_OUTPUT_MIB) * 1024 * 1024,
    )


def _parse_jumps(spec: str, config_path: str | None, keys: tuple[str, ...]) -> tuple[Hop, ...]:
    """``[user@]host[:port][,...]`` or ``ssh://...`` hops, each resolved through the ssh config.

    A hop offers its ssh-config identity files, then the target's own key files.
    """
    hops = []
    for part, url, port in _jump_urls(spec):
        config = ssh_config_for(config_path, url.hostname or "")
        hops.append(
            Hop(
                alias=url.hostname,
                hostname=config.get("hostname", url.hostname),
                port=port or _int(config.get("port")) or 22,
                user=unquote(url.username) if url.username else str(config.get("user") or _local_user()),
                key_files=_existing(tuple(config.get("identityfile", ())) + keys, explicit=keys),
            )
        )
    return tuple(hops)


def _jump_urls(spec: str, target: str = "") -> list[tuple[str, Any, int | None]]:
    """Each hop of a jump spec as (text, split URL, port), names checked (UsageError otherwise)."""
    where = f"{_shown(target)}: " if target else ""
    out = []
    for part in spec.split(","):
        part = part.strip()
        try:
            url = urlsplit(part if part.startswith("ssh://") else f"ssh://{part}")
            port = url.port
        except ValueError:
            raise UsageError(f"{where}jump host {_shown(part)!r}: invalid port") from None
        if not url.hostname:
            raise UsageError(f"{where}jump host {_shown(part)!r}: expected [user@]host[:port]")
        problem = host_problem(url.hostname) or (user_problem(unquote(url.username)) if url.username else None)
        if problem:
            raise UsageError(f"{where}jump host: {problem}")
        out.append((part, url, port))
    return out


_config_lock = threading.Lock()
_config_cache: dict[tuple[str, int], Any] = {}


def ssh_config_for(path: str | None, host: str) -> dict[str, Any]:
    """paramiko's ``SSHConfig.lookup(host)`` for the given config file (default ``~/.ssh/config``)."""
    file = Path(os.path.expanduser(path or "~/.ssh/config"))
    try:
        stamp = file.stat().st_mtime_ns
    except OSError:
        if path:
            raise UsageError(f"ssh config {file} cannot be read") from None
        return {}
    with _config_lock:
        parsed = _config_cache.get((str(file), stamp))
    if parsed is None:
        paramiko = load_paramiko()
        try:
            parsed = paramiko.SSHConfig.from_path(str(file))
        except (OSError, ValueError, paramiko.ConfigParseError) as exc:
            raise UsageError(f"{file}: cannot parse ssh config: {exc}") from None
        with _config_lock:
            _config_cache[(str(file), stamp)] = parsed
    try:
        return dict(parsed.lookup(host))
    except ImportError:  # a `Match exec` line needs invoke, which load_paramiko() left out: load it, redo
        import invoke  # noqa: F401  (not installed: the ImportError stands, as with plain paramiko)
        import paramiko.config  # type: ignore[no-redef]

        paramiko.config.invoke = sys.modules["invoke"]
        return dict(parsed.lookup(host))


_paramiko_lock = threading.Lock()


def load_paramiko() -> Any:
    """Import paramiko without its optional ``invoke`` dependency and return the module.

    paramiko.config imports invoke (and through it asyncio, unittest.mock...) only to run ``Match
    exec`` lines, ~0.15 s of every SSH scan's start-up; :func:`ssh_config_for` loads it when a config
    file actually has such a line. Nothing else of paramiko changes.
    """
    with _paramiko_lock:
        if "paramiko" not in sys.modules:
            hidden = "invoke" not in sys.modules
            if hidden:
                sys.modules["invoke"] = None  # type: ignore[assignment]  # makes `import invoke` fail
            try:
                import paramiko  # noqa: F401
            finally:
                if hidden and "invoke" in sys.modules and sys.modules["invoke"] is None:
                    del sys.modules["invoke"]
    import paramiko

    return paramiko


def _check_names(spec: str, host: str, user: str | None) -> None:
    """UsageError unless the host is a plain host name or IP literal and the user a plain login name."""
    problem = host_problem(host) or (user_problem(user) if user is not None else None)
    if problem:
        raise UsageError(f"{_shown(spec)}: {problem}")


def _shown(text: str) -> str:
    """A spec as a message may show it: control characters escaped (it reaches the terminal)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _validate(spec: str, opts: Mapping[str, Any]) -> None:
    user = opts.get("user")
    if user is not None and (not isinstance(user, str) or user_problem(user)):
        raise UsageError(f"{_shown(spec)}: user: {user_problem(str(user)) if isinstance(user, str) else 'must be a string'}")
    jump = opts.get("jump")
    if jump is not None:
        if not isinstance(jump, str):
            raise UsageError(f"{_shown(spec)}: jump must be a string: [user@]host[:port][,...]")
        if jump.lower() != "none":
            _jump_urls(jump, spec)
    port = opts.get("port")
    if port is not None and (_int(port) is None or not 0 < int(port) < 65536):
        raise UsageError(f"{_shown(spec)}: port must be a number from 1 to 65535, not {port!r}")
    for name in ("sudo", "accept_new_host_keys", "agent"):
        if name in opts and not isinstance(opts[name], bool):
            raise UsageError(f"{_shown(spec)}: {name} must be true or false, not {opts[name]!r}")
    for name in ("connect_timeout", "script_timeout"):
        value = opts.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise UsageError(f"{_shown(spec)}: {name} must be a positive number of seconds, not {value!r}")
    cap = opts.get("max_output_mib")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or not 0 < cap <= 65536):
        raise UsageError(f"{_shown(spec)}: max_output_mib must be a whole number of MiB from 1 to 65536, not {cap!r}")
    key = opts.get("key")
    if key is not None and not (isinstance(key, str) or (isinstance(key, list) and all(isinstance(k, str) for k in key))):
        raise UsageError(f"{_shown(spec)}: key must be a path or a list of paths")


def _key_list(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _existing(keys: tuple[str, ...], explicit: tuple[str, ...]) -> tuple[str, ...]:
    """Key files to offer: explicit ones must exist (UsageError); config ones are skipped if absent."""
    out: list[str] = []
    for key in keys:
        path = os.path.expanduser(key)
        if not os.path.exists(path):
            if key in explicit:
                raise UsageError(f"SSH key file {path} does not exist")
            continue
        if path not in out:
            out.append(path)
    return tuple(out)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _first_word(value: Any) -> str | None:
    if not value:
        return None
    return str(value).split()[0]


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "root" if os.geteuid() == 0 else str(os.geteuid())
