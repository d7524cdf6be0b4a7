"""The end-of-scan summary: counts by status and severity, the failing controls, the gate."""

from __future__ import annotations

from typing import Any

import click

from scanner.cli.terminal import clean, status_severity_table
from scanner.gate import describe

MAX_FAILING = 25


def print_summary(view: Any, outcome: Any, db_path: str, *, err: bool = False) -> None:
    echo = lambda s="": click.echo(s, err=err)  # noqa: E731
    echo()
    counts = view.counts()
    echo(status_severity_table(counts))
    unassessed = sum((counts.get("notchecked") or {}).values())
    if unassessed:
        echo(f"Not assessed: {unassessed} finding{'s' if unassessed != 1 else ''} notchecked (a check that did not "
             "run is not a pass): govscan findings --status notchecked")
    failing = view.store.failing_controls(view.id)
    if failing:
        echo()
        echo(f"Failing controls ({len(failing)}):")
        for cid, sev, n, title in failing[:MAX_FAILING]:
            echo(f"  {clean(sev):<8} {clean(cid):<44} {n:>4}  {clean(title)}")
        if len(failing) > MAX_FAILING:
            echo(f"  ... and {len(failing) - MAX_FAILING} more: govscan findings --status fail")
    echo()
    n_targets = len(view.targets)
    down = len(outcome.unreachable)
    echo(f"Targets: {n_targets} ({n_targets - down} scanned, {down} unreachable: errors above)" if down
         else f"Targets: {n_targets} scanned")
    verdict = "PASSED" if outcome.gate.passed else "FAILED"
    echo(f"gate: {clean(describe(outcome.gate.policy))}")
    echo(f"Gate {verdict}: {clean(outcome.gate.reason)}")
    echo(f"Scan {clean(view.id)} stored in {clean(db_path)} ({outcome.status.value})")
