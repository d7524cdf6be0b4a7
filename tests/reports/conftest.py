"""Shared fixtures for the reports tests: a stored scan with every status and hostile text.

The scan builder lives in ``scanfactory.py`` (importable from any test in this folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scanfactory import new_scan
from scanner.store import ScanView


@pytest.fixture(scope="session")
def factory_view(tmp_path_factory: pytest.TempPathFactory) -> ScanView:
    """One factory scan shared by the whole session (read-only: do not write to its store)."""
    return new_scan(tmp_path_factory.mktemp("factory-scan"))


@pytest.fixture
def fresh_view(tmp_path: Path) -> ScanView:
    """A factory scan in a store of its own, for tests that need isolation."""
    return new_scan(tmp_path)


@pytest.fixture(scope="session")
def real_scan():
    """One real ``govscan scan`` (local + an unreachable host, waivers) run as uid 65534, every format
    written by the scan itself (see realscan.py)."""
    from realscan import make_real_scan, remove
    from scanner import registry

    scan = make_real_scan(registry.names(registry.REPORTS), ["-O", "system-id=F00000001"])
    try:
        yield scan
    finally:
        remove(scan)
