"""Fixtures for the host provider tests (local facts, parsers, SSH transport and fleet scans)."""

import pytest
from sshd_fixture import closed_port, silent_listener, ssh_fleet  # noqa: F401  (real sshd fixtures)


@pytest.fixture(scope="session")
def debian_trees():
    """Real Debian 12 trees (minimal and CIS-hardened) from debootstrap, built once per machine; skips naming why
    when they cannot be built here (tests/host/debootstrap.py)."""
    import debootstrap

    try:
        return debootstrap.trees()
    except debootstrap.TreesUnavailable as exc:
        pytest.skip(f"debootstrap trees unavailable: {exc}")
