"""Host key verification for the SSH transport: known_hosts lookup, refusal messages, accept-new.

A host is trusted only when its key is in known_hosts. An unknown key is refused unless the operator
chose ``--accept-new-host-keys`` (OpenSSH's ``StrictHostKeyChecking accept-new``), which appends it;
a key that differs from the recorded one is always refused, and so is a key listed ``@revoked``.
``@cert-authority`` lines are skipped (certificate host keys are not supported yet). Parsed known_hosts files are cached by
(path, mtime, size) so a fleet scan parses each file once, not once per host. paramiko is imported
inside functions: this module sits on the path of ``govscan scan`` but never of ``govscan --help``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from checks.host.transport import TransportError

if TYPE_CHECKING:  # pragma: no cover
    import paramiko

# Host key algorithms a known key of a given type allows (an RSA key signs with rsa-sha2-*).
_ALGORITHMS_FOR_KEY_TYPE = {
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
}

_cache_lock = threading.Lock()
_cache: dict[tuple[tuple[str, int, int], ...], "KnownHosts"] = {}
_write_lock = threading.Lock()


def fingerprint(key: "paramiko.PKey") -> str:
    """OpenSSH's ``SHA256:<base64, no padding>`` fingerprint of a key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def describe(key: "paramiko.PKey") -> str:
    """``ssh-ed25519 SHA256:...``: the key type and fingerprint as ``ssh-keygen -l`` shows them."""
    return f"{key.get_name()} {fingerprint(key)}"


def known_hosts_name(hostname: str, port: int) -> str:
    """The name a host is recorded under in known_hosts (``[host]:port`` unless port 22)."""
    return hostname if port == 22 else f"[{hostname}]:{port}"


@dataclass(frozen=True)
class KnownHosts:
    """The merged known_hosts files: plain entries (a paramiko ``HostKeys``) and ``@revoked`` keys."""

    keys: "paramiko.HostKeys"
    revoked: tuple[tuple[tuple[str, ...], "paramiko.PKey", str], ...] = ()
    """(host patterns, key, ``file:line``) of every ``@revoked`` line."""
    cert_authorities: int = 0
    """``@cert-authority`` lines skipped (certificate host keys are not supported yet)."""

    def lookup(self, name: str) -> Any:
        """The recorded keys of ``name`` by key type, or None (paramiko's ``HostKeys.lookup``)."""
        return self.keys.lookup(name)

    def revoked_at(self, name: str, key: "paramiko.PKey") -> str | None:
        """``file:line`` of an ``@revoked`` line listing ``key`` for a pattern matching ``name``, else None."""
        blob = key.asbytes()
        for patterns, bad, where in self.revoked:
            if bad.asbytes() == blob and _host_matches(patterns, name):
                return where
        return None


def _host_matches(patterns: tuple[str, ...], name: str) -> bool:
    """OpenSSH host pattern matching: ``*``/``?`` wildcards, ``!`` negation, hashed ``|1|salt|hash``."""
    import fnmatch

    import paramiko

    hit = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern[1:] if negated else pattern
        if pattern.startswith("|1|"):
            ok = paramiko.HostKeys.hash_host(name, pattern) == pattern
        else:
            ok = fnmatch.fnmatchcase(name.lower(), pattern.lower())
        if ok and negated:
            return False
        hit = hit or ok
    return hit


def _parse_file(path: str, keys: "paramiko.HostKeys", revoked: list[tuple[tuple[str, ...], Any, str]]) -> int:
    """Add one known_hosts file's entries to ``keys`` and ``revoked``; returns the @cert-authority count.

    paramiko's own ``HostKeys.load`` raises on marker lines (``@revoked host type key`` reads as host
    ``@revoked`` with key ``type``), so markers are split off here; a malformed line is refused with
    file:line rather than skipped, because the line might have been meant to revoke a key.
    """
    import paramiko
    from paramiko.hostkeys import HostKeyEntry, InvalidHostKey

    skipped = 0
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = f"{path}:{lineno}"
            marker = None
            if line.startswith("@"):
                marker, _, line = line.replace("\t", " ").partition(" ")
                line = line.strip()
                if marker == "@cert-authority":
                    skipped += 1  # certificate host keys are not supported yet: never trusted, never fatal
                    continue
                if marker != "@revoked":
                    raise TransportError(f"{where}: unknown known_hosts marker {marker!r} "
                                         "(OpenSSH knows @revoked and @cert-authority)")
            fields = line.split()
            if len(fields) < 3:
                raise TransportError(f"{where}: malformed known_hosts line: expected host patterns, key type and key")
            try:
                entry = HostKeyEntry.from_line(" ".join(fields[:3]), lineno)
            except (InvalidHostKey, paramiko.SSHException, ValueError) as exc:
                raise TransportError(f"{where}: malformed known_hosts line: {fields[1]} key is not valid "
                                     f"({type(exc).__name__})") from None
            if entry is None:
                continue  # a key type paramiko does not know: OpenSSH also ignores what it cannot use
            if marker == "@revoked":
                revoked.append((tuple(fields[0].split(",")), entry.key, where))
                continue
            # as HostKeys.load: a name already recorded with this very key is not added twice
            entry.hostnames = [h for h in entry.hostnames if not keys.check(h, entry.key)]
            if entry.hostnames:
                keys._entries.append(entry)
    return skipped


def load(paths: list[Path]) -> KnownHosts:
    """The merged host keys of the given known_hosts files (missing files count as empty).

    Cached until one of the files changes (mtime or size): the result is shared between threads
    and must be treated as read-only.
    """
    import paramiko

    stamps: list[tuple[str, int, int]] = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise TransportError(f"cannot read known_hosts {path}: {exc.strerror}") from None
        stamps.append((str(path), stat.st_mtime_ns, stat.st_size))
    key = tuple(stamps)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    keys = paramiko.HostKeys()
    revoked: list[tuple[tuple[str, ...], Any, str]] = []
    skipped = 0
    for name, _, _ in stamps:
        try:
            skipped += _parse_file(name, keys, revoked)  # appends this file's entries to the ones already loaded
        except (OSError, UnicodeDecodeError) as exc:
            raise TransportError(f"cannot read known_hosts {name}: {exc}") from None
    known = KnownHosts(keys, tuple(revoked), skipped)
    with _cache_lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = known
    return known


def host_key_algorithms(known: KnownHosts, name: str) -> list[str] | None:
    """The host key algorithms to negotiate with a known host (the types on record), else None.

    Like OpenSSH, a client that knows a host's ed25519 key must ask for ed25519, otherwise a server
    that also has an ECDSA key would look like a changed key.
    """
    entry = known.lookup(name)
    if not entry:
        return None
    algorithms: list[str] = []
    for key_type in entry.keys():
        for algorithm in _ALGORITHMS_FOR_KEY_TYPE.get(key_type, (key_type,)):
            if algorithm not in algorithms:
                algorithms.append(algorithm)
    return algorithms


def verifying_policy(
    known: KnownHosts,
    name: str,
    *,
    accept_new: bool,
    append_to: Path,
    note: Callable[[str], None],
) -> "paramiko.MissingHostKeyPolicy":
    """A paramiko policy that checks the server's key against ``known`` before authentication.

    The client is given no host keys of its own, so paramiko asks this policy about every server
    key; it raises :class:`TransportError` to refuse the host.
    """
    import paramiko

    class Verify(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client: Any, hostname: str, key: "paramiko.PKey") -> None:
            check(known, name, key, accept_new=accept_new, append_to=append_to, note=note)

    return Verify()


def check(
    known: KnownHosts,
    name: str,
    key: "paramiko.PKey",
    *,
    accept_new: bool,
    append_to: Path,
    note: Callable[[str], None],
) -> None:
    """Accept ``key`` for ``name`` or raise :class:`TransportError` naming host and fingerprints."""
    revoked = known.revoked_at(name, key)
    if revoked:  # before everything else: a revoked key is refused even under --accept-new-host-keys
        raise TransportError(
            f"host key for {name} is REVOKED ({describe(key)}, @revoked at {revoked}): refusing to connect; "
            "the host must get a new key, recorded after checking it out of band"
        )
    recorded = known.lookup(name)
    if recorded:
        expected = recorded.get(key.get_name())
        if expected is not None and expected == key:
            return
        if expected is None:
            expected = next(iter(recorded.values()))
        raise TransportError(
            f"HOST KEY CHANGED for {name}: expected {describe(expected)}, got {describe(key)}; "
            "someone may be intercepting the connection, or the host was reinstalled: verify the new key "
            "and replace the old entry in known_hosts"
        )
    if not accept_new:
        ca = " (@cert-authority lines are skipped: certificate host keys are not supported yet)" \
            if known.cert_authorities else ""
        raise TransportError(
            f"host key for {name} not in known_hosts ({describe(key)}); "
            f"verify it and add it, or pass --accept-new-host-keys{ca}"
        )
    append(append_to, name, key)  # the file changes, so the next load() sees the new key
    note(f"added host key for {name} ({describe(key)}) to {append_to}")


def append(path: Path, name: str, key: "paramiko.PKey") -> None:
    """Append ``name keytype base64`` to a known_hosts file, creating it (0600, dir 0700) if needed."""
    import fcntl

    line = f"{name} {key.get_name()} {key.get_base64()}\n"
    with _write_lock:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a") as out:
                fcntl.flock(out, fcntl.LOCK_EX)  # other govscan processes may append at once
                out.write(line)
        except OSError as exc:
            raise TransportError(f"cannot record the host key of {name} in {path}: {exc.strerror}") from None
