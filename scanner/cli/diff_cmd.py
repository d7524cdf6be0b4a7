"""``govscan diff A B``: compare two stored scans, optionally gate on the result."""

from __future__ import annotations

import sys

import click

from scanner.cli.common import db_option, guarded, quiet_option
from scanner.errors import UsageError


@click.command("diff")
@click.argument("scan_a", metavar="A")
@click.argument("scan_b", metavar="B", required=False, default="latest")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table",
              show_default=True, help="markdown suits a pull-request comment.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--gate", "gate_spec", default="none", show_default=True, metavar="new|SEVERITY|none",
              help="Exit 1 on any new failure or error (new), or on any fail at or above SEVERITY or any error in B.")
@db_option
@quiet_option
@guarded
def diff(scan_a: str, scan_b: str, fmt: str, output: str | None, gate_spec: str, db_path: str,
         quiet: bool) -> None:
    """Compare scan A (before) with scan B (after, default: the latest).

    Scans are ids, unique id prefixes, `latest` or `latest~N`. Findings match on control, target and
    resource id whatever their status; an error on a whole target (unreachable host) stands for each
    resource of that control on that target in the other scan. Categories: new, waiver-expired, severity-changed, still-failing, newly-waived,
    fixed, not-assessed. Exit codes: 0 gate passed, 1 gate failed, 2 usage error.
    """
    from scanner.diff import RENDERERS, gate
    from scanner.diff import diff as compare
    from scanner.store import Store

    store = Store(db_path, create=False)
    try:
        result = compare(store.view(scan_a), store.view(scan_b))
    finally:
        store.close()
    verdict = gate(result, gate_spec)
    shown = verdict if gate_spec.lower() != "none" else None
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                RENDERERS[fmt](result, fh, shown)
        except OSError as exc:
            raise UsageError(f"{output}: cannot write: {exc.strerror}") from exc
    elif not quiet or fmt != "table":
        RENDERERS[fmt](result, sys.stdout, shown)
    if not verdict[0]:
        if quiet:
            click.echo(f"govscan: gate failed: {verdict[1]}", err=True)
        sys.exit(1)
