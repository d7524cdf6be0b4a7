"""Commands that read the store: ``scans``, ``findings``, ``report``."""

from __future__ import annotations

import json
import sys

import click

from scanner.cli.common import (
    db_option, guarded, oscal_version_option, quiet_option, report_option, report_renderers, write_reports,
)
from scanner.model import SORTS

STATUS_CHOICES = ["pass", "fail", "error", "notapplicable", "notchecked", "waived"]
SEVERITY_CHOICES = ["critical", "high", "medium", "low", "info"]


@click.command()
@db_option
@click.option("-n", "--limit", default=20, show_default=True, help="How many scans, newest first.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@guarded
def scans(db_path: str, limit: int, as_json: bool) -> None:
    """List stored scans, newest first."""
    from scanner.cli.terminal import clean
    from scanner.store import Store

    rows = Store(db_path, create=False).scans(limit)
    if as_json:
        for r in rows:
            click.echo(json.dumps({k: r[k] for k in ("id", "started", "finished", "status", "profile", "hash",
                                                      "gate", "summary", "targets_spec")}, default=str))
        return
    if not rows:
        click.echo("no scans stored yet (run 'govscan scan')")
        return
    click.echo(f"{'id':<10} {'started':<21} {'status':<12} {'gate':<7} {'fail':>5} {'error':>5} {'pass':>5} "
               f"{'notchecked':>10}  profile / targets")
    for r in rows:
        summary = json.loads(r["summary"]) if r["summary"] else {}
        gate = json.loads(r["gate"]) if r["gate"] else {}
        n = {s: sum(summary.get(s, {}).values()) for s in ("fail", "error", "pass", "notchecked")}
        verdict = "-" if not gate else ("passed" if gate.get("passed") else "failed")
        targets = ", ".join(json.loads(r["targets_spec"] or "[]"))
        click.echo(f"{clean(r['id'][:8]):<10} {clean(r['started']):<21} {clean(r['status']):<12} {verdict:<7} "
                   f"{n['fail']:>5} {n['error']:>5} {n['pass']:>5} {n['notchecked']:>10}  {clean(r['profile'])} / "
                   f"{clean(targets)[:60]}")


SORT_CHOICES = list(SORTS)
sort_option = click.option("--sort", default="severity", show_default=True, type=click.Choice(SORT_CHOICES),
                           help="Order of findings: most severe first, then status (fail, error, waived...), "
                                "control, resource; or by one of the other keys first.")


@click.command()
@click.argument("scan", required=False)
@db_option
@click.option("-s", "--status", "statuses", multiple=True, type=click.Choice(STATUS_CHOICES), help="Repeatable.")
@click.option("--severity", "severities", multiple=True, type=click.Choice(SEVERITY_CHOICES), help="Repeatable.")
@click.option("--min-severity", type=click.Choice(SEVERITY_CHOICES), help="This severity and above.")
@click.option("-c", "--control", help="Control id glob.")
@click.option("-r", "--resource", help="Resource id glob.")
@sort_option
@click.option("--json", "as_json", is_flag=True, help="JSON lines (with evidence) instead of a table.")
@guarded
def findings(scan: str | None, db_path: str, statuses: tuple[str, ...], severities: tuple[str, ...],
             min_severity: str | None, control: str | None, resource: str | None, sort: str, as_json: bool) -> None:
    """List findings of a scan (default: the latest), filtered, most severe first.

    \b
    Example: govscan findings --status fail --severity high
    """
    from scanner.cli.terminal import clean
    from scanner.model import sort_key
    from scanner.store import Store

    view = Store(db_path, create=False).view(scan)
    sev = list(severities)
    if min_severity:
        sev += SEVERITY_CHOICES[: SEVERITY_CHOICES.index(min_severity) + 1]
    rows = sorted(view.findings(status=statuses or None, severity=sev or None, control=control, resource=resource),
                  key=sort_key(sort))
    if not as_json and rows:
        click.echo(f"{'status':<13} {'severity':<9} {'control':<40} {'target':<24} resource\n    message")
    for f in rows:
        if as_json:
            evidence = view.evidence(f.evidence_sha256)
            row = {**f, "evidence": dict(evidence) if evidence is not None else None}
            # ASCII JSON: the same data, and no raw escape sequence or bidi override reaches a terminal
            click.echo(json.dumps(row, default=str, ensure_ascii=True))
        else:
            click.echo(f"{clean(f['status']):<13} {clean(f['severity']):<9} {clean(f['control_id']):<40} "
                       f"{clean(f['target_id']):<24} {clean(f['resource_id'])}\n    {clean(f['message'])}")
    if not as_json:
        count = len(rows)
        click.echo(f"{count} finding{'s' if count != 1 else ''} (scan {clean(view.id)})", err=True)


@click.command()
@click.argument("scan", required=False)
@db_option
@click.option("-f", "--format", "formats", multiple=True, default=["table"], show_default=True,
              help="table, json, markdown, csv, html, sarif, junit, oscal-ap, oscal-ar, oscal-poam, ocsf, hdf, cklb, "
                   "ckl, fedramp-vdr (repeatable).")
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Output file for the matching -f (default: stdout).")
@sort_option
@report_option
@oscal_version_option
@quiet_option
@guarded
def report(scan: str | None, db_path: str, formats: tuple[str, ...], outputs: tuple[str, ...], sort: str,
           report_options: tuple[str, ...], oscal_version: str | None, quiet: bool) -> None:
    """Render a stored scan (default: the latest) in one or more formats.

    SCAN is a scan id, a unique prefix of one, `latest` or `latest~N`.
    """
    from scanner.errors import UsageError
    from scanner.store import Store

    if outputs and len(outputs) != len(formats):
        raise UsageError(f"{len(formats)} -f but {len(outputs)} -o: give one -o per -f")
    if len(formats) > 1 and not outputs:
        raise UsageError("several -f formats need one -o file each")
    report_renderers(formats, report_options)
    store = Store(db_path, create=False)
    code = write_reports(store, store.resolve_scan(scan), formats, outputs, report_options, quiet=quiet, sort=sort,
                         oscal_version=oscal_version)
    sys.stdout.flush()
    if code:
        sys.exit(code)
