"""Helpers for the network tests: run the govscan CLI in-process and read findings back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scanner.cli import cli
from scanner.cli.common import run_cli
from scanner.store import Store

DATA = Path(__file__).parent / "data"


def govscan(*argv: str) -> int:
    """Run ``govscan ARGV`` in this process; return its exit code."""
    try:
        return run_cli(cli, list(argv))
    except SystemExit as exc:  # commands end with sys.exit(code)
        return exc.code if isinstance(exc.code, int) else 1


def findings(db: Path) -> list[dict[str, Any]]:
    """Every finding of the latest scan in ``db``."""
    store = Store(db)
    try:
        return list(store.view().findings())
    finally:
        store.close()


def table(rows: list[dict[str, Any]], statuses: tuple[str, ...] = ("fail", "error")) -> dict[tuple[str, str], tuple[str, str]]:
    """(control, resource) -> (status, message) for rows with the given statuses."""
    return {(r["control_id"], r["resource_id"]): (r["status"], r["message"]) for r in rows if r["status"] in statuses}


def statuses(rows: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """(control, resource) -> status for every row."""
    return {(r["control_id"], r["resource_id"]): r["status"] for r in rows}
