"""Commands that read the store: ``scans``, ``findings``, ``report``."""

from __future__ import annotations

import json
import sys

import click

from scanner.cli.common import db_option, guarded, report_option, report_renderers, write_reports

STATUS_CHOICES = ["pass", "fail", "error", "notapplicable", "notchecked", "waived"]
SEVERITY_CHOICES = ["critical", "high", "medium", "low", "info"]


@click.command()
@db_option
@click.option("-n", "--limit", default=20, show_default=True, help="How many scans, newest first.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@guarded
def scans(db_path: str, limit: int, as_json: bool) -> None:
    """List stored scans, newest first."""
    from reports.text import clean
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
    click.echo(f"{'id':<10} {'started':<21} {'status':<12} {'gate':<7} {'fail':>5} {'error':>5} {'pass':>5}  profile / targets")
    for r in rows:
        summary = json.loads(r["summary"]) if r["summary"] else {}
        gate = json.loads(r["gate"]) if r["gate"] else {}
        n = {s: sum(summary.get(s, {}).values()) for s in ("fail", "error", "pass")}
        verdict = "-" if not gate else ("passed" if gate.get("passed") else "failed")
        targets = ", ".join(json.loads(r["targets_spec"] or "[]"))
        click.echo(f"{r['id'][:8]:<10} {r['started']:<21} {r['status']:<12} {verdict:<7} {n['fail']:>5} {n['error']:>5} "
                   f"{n['pass']:>5}  {clean(r['profile'])} / {clean(targets)[:60]}")


@click.command()
@click.argument("scan", required=False)
@db_option
@click.option("-s", "--status", "statuses", multiple=True, type=click.Choice(STATUS_CHOICES), help="Repeatable.")
@click.option("--severity", "severities", multiple=True, type=click.Choice(SEVERITY_CHOICES), help="Repeatable.")
@click.option("--min-severity", type=click.Choice(SEVERITY_CHOICES), help="This severity and above.")
@click.option("-c", "--control", help="Control id glob.")
@click.option("-r", "--resource", help="Resource id glob.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines (with evidence) instead of a table.")
@guarded
def findings(scan: str | None, db_path: str, statuses: tuple[str, ...], severities: tuple[str, ...],
             min_severity: str | None, control: str | None, resource: str | None, as_json: bool) -> None:
    """List findings of a scan (default: the latest), filtered.

    \b
    Example: govscan findings --status fail --severity high
    """
    from reports.text import clean
    from scanner.store import Store

    view = Store(db_path, create=False).view(scan)
    sev = list(severities)
    if min_severity:
        sev += SEVERITY_CHOICES[: SEVERITY_CHOICES.index(min_severity) + 1]
    count = 0
    for f in view.findings(status=statuses or None, severity=sev or None, control=control, resource=resource):
        count += 1
        if as_json:
            f = dict(f)
            f["evidence"] = view.evidence(f["evidence_sha256"])
            click.echo(json.dumps(f, default=str, ensure_ascii=False))
        else:
            click.echo(f"{f['status']:<8} {f['severity']:<9} {clean(f['control_id']):<40} "
                       f"{clean(f['target_id'])}  {clean(f['resource_id'])}\n    {clean(f['message'])}")
    if not as_json:
        click.echo(f"{count} finding{'s' if count != 1 else ''} (scan {view.id})", err=True)


@click.command()
@click.argument("scan", required=False)
@db_option
@click.option("-f", "--format", "formats", multiple=True, default=["table"], show_default=True,
              help="table, json, markdown, csv, html, sarif, junit, oscal-ar, oscal-ap, oscal-poam, ocsf (repeatable).")
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(dir_okay=False),
              help="Output file for the matching -f (default: stdout).")
@report_option
@guarded
def report(scan: str | None, db_path: str, formats: tuple[str, ...], outputs: tuple[str, ...],
           report_options: tuple[str, ...]) -> None:
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
    write_reports(store, store.resolve_scan(scan), formats, outputs, report_options)
    sys.stdout.flush()
