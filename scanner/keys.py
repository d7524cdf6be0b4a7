"""Ed25519 signing keys for evidence packs (cryptography).

Private keys are PKCS#8 PEM, encrypted with the passphrase when one is given
(``BestAvailableEncryption``), written mode 0600 and never overwritten; public keys are
SubjectPublicKeyInfo PEM, the form ``openssl pkeyutl -verify -pubin`` reads. A passphrase is only
ever passed in memory: never logged, never stored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PASSPHRASE_ENV = "GOVSCAN_KEY_PASSPHRASE"


def key_paths(output: Path) -> tuple[Path, Path]:
    """``signing`` or ``signing.key`` -> (``signing.key``, ``signing.pub``)."""
    output = Path(output)
    stem = output.name.removesuffix(".key")
    return output.with_name(stem + ".key"), output.with_name(stem + ".pub")


def generate(output: Path, passphrase: bytes | None = None) -> tuple[Path, Path]:
    """Create a new key pair ``<stem>.key`` and ``<stem>.pub`` (see :func:`key_paths`); returns both."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private, public = key_paths(output)
    for p in (private, public):
        if p.exists():
            raise UsageError(f"{p}: already exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    _write(private, pem, 0o600)
    _write(public, pub, 0o644)
    return private, public


def _write(path: Path, data: bytes, mode: int) -> None:
    # O_EXCL + mode at creation: the private key is never readable by others, not even briefly
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise UsageError(f"{path}: cannot create: {exc.strerror}") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)  # the umask may have narrowed it


def is_encrypted(private: Path) -> bool:
    """True if the PEM private key at ``private`` needs a passphrase."""
    return b"ENCRYPTED PRIVATE KEY" in _read(private)


def load_private(private: Path, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key; a wrong or missing passphrase is one clear error."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    data = _read(private)
    if is_encrypted(private) and not passphrase:
        raise UsageError(f"{private}: the key is encrypted; give its passphrase "
                         f"(--passphrase-file or {PASSPHRASE_ENV})")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if is_encrypted(private) else None)
    except (ValueError, TypeError) as exc:
        reason = "wrong passphrase or not a PEM private key" if is_encrypted(private) else "not a PEM private key"
        raise UsageError(f"{private}: cannot load the private key ({reason})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{private}: not an Ed25519 key ({type(key).__name__})")
    return key


def load_public(public: Path) -> Ed25519PublicKey:
    """Load an Ed25519 public key (SPKI PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(_read(public))
    except ValueError as exc:
        raise UsageError(f"{public}: not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{public}: not an Ed25519 public key ({type(key).__name__})")
    return key


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read key: {exc.strerror}") from exc
