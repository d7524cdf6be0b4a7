"""Fixtures for the host provider tests (local facts, parsers, SSH transport and fleet scans)."""

from sshd_fixture import closed_port, silent_listener, ssh_fleet  # noqa: F401  (real sshd fixtures)
