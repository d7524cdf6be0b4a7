"""``govscan status``: the ledger over the whole store (see :mod:`scanner.ledger`)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from scanner.cli.common import db_option, guarded

FORMATS = ["table", "json", "fedramp-vdr"]


@click.command()
@db_option
@click.option("-p", "--profile", "profiles", multiple=True,
              help="Report the controls this profile selects (a fedramp-20x-class-* profile sets the class rules).")
@click.option("-c", "--control", "controls", multiple=True, help="Only controls matching this id glob (repeatable).")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(), help="Extra policy paths.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="Compute the ledger at this moment (ISO 8601 date or time, UTC unless an offset is given) "
                   "instead of now: only scans sealed by then count, and staleness is measured from it.")
@click.option("-f", "--format", "fmt", default="table", show_default=True, type=click.Choice(FORMATS))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--poam", is_flag=True, help="List the POA&M items (open and closed) the history opened.")
@click.option("--package-uri", metavar="URI", envvar="GOVSCAN_FEDRAMP_PACKAGE_URI",
              help="Certification package overview URI for -f fedramp-vdr (env GOVSCAN_FEDRAMP_PACKAGE_URI).")
@click.option("--since", metavar="DATE", help="Start of the fedramp-vdr report period (default: the first item).")
@click.option("--gate", type=click.Choice(["stale", "none"]), default="none", show_default=True,
              help="stale: exit 1 when any validation is stale, failing or could not be evaluated.")
@guarded
def status(db_path: str, profiles: tuple[str, ...], controls: tuple[str, ...], policy_paths: tuple[str, ...],
           as_of: str | None, fmt: str, output: str | None, poam: bool, package_uri: str | None, since: str | None,
           gate: str) -> None:
    """Persistent validation: for every control and KSI, the latest result per target, when it was
    last validated, and whether it is stale (no validation within max_age), over every stored scan.

    \b
    Examples:
      govscan status -p fedramp-20x-class-c
      govscan status -p fedramp-20x-class-c --gate stale -f json -o status.json
      govscan status -p fedramp-20x-class-b --as-of 2026-12-09 --poam
    """
    from scanner import ledger as _ledger
    from scanner.ledger_poam import items
    from scanner.store import Store

    when = _ledger.parse_time(as_of) if as_of else None
    start = _ledger.iso(_ledger.parse_time(since, "--since")) if since else None
    store = Store(db_path, create=False)
    if profiles:
        from scanner.policy import load
        from scanner.policy.tailor import select

        pset = load(policy_paths)
        infos, klass, profile_age = _ledger.from_selection(select(pset, profiles), pset, profiles)
        led = _ledger.build(store, as_of=when, controls=infos, klass=klass, profile="+".join(profiles),
                            profile_max_age=profile_age, control_globs=controls)
    else:
        led = _ledger.build(store, as_of=when, control_globs=controls)
    poam_items = items(led)
    if fmt == "fedramp-vdr":
        from reports.fedramp_vdr import document, package_uri as _uri

        text = json.dumps(document(led, poam_items, _uri(package_uri), start), indent=1, ensure_ascii=False) + "\n"
    elif fmt == "json":
        text = json.dumps(_as_json(led, poam_items if poam else None), indent=1, ensure_ascii=True) + "\n"
    else:
        text = "\n".join(_table(led, poam_items if poam else None)) + "\n"
    _write(text, output)
    if gate == "stale" and led.failing:
        from reports.text import clean

        n = len(led.failing)
        stale = sum(1 for r in led.failing if r.state in ("stale", "never"))
        click.echo(clean(f"govscan: gate stale failed: {n} validation{'s' if n != 1 else ''} stale or failing "
                         f"({stale} stale, {n - stale} failing or not evaluated) as of {led.as_of}"), err=True)
        sys.exit(1)


def _write(text: str, output: str | None) -> None:
    if not output or output == "-":
        click.echo(text, nl=False)
        return
    from scanner.cli.common import write_atomically

    write_atomically(output, lambda fh: fh.write(text))


def _as_json(led: Any, poam: list[Any] | None) -> dict[str, Any]:
    from scanner.ksi import class_rules

    rules = class_rules(led.klass)
    out: dict[str, Any] = {
        "as_of": led.as_of, "profile": led.profile, "class": led.klass,
        "class_max_age_days": rules["max_age_days"], "class_max_age_rule": rules["max_age_rule"],
        "chain_head": led.chain_head,
        "summary": {"validations": len(led.rows), "failing": len(led.failing),
                    "stale": sum(1 for r in led.rows if r.stale)},
        "ksis": [{**cov.as_dict(), "state": led.ksi_state(cov, rows),
                  "failing": sorted({r.control for r in rows if r.failing})} for cov, rows in led.ksis],
        "controls": [r.as_dict() for r in led.rows],
    }
    if poam is not None:
        out["poam"] = [i.as_dict(led.as_of) for i in poam]
    return out


def _table(led: Any, poam: list[Any] | None) -> list[str]:
    from reports.text import clean

    head = led.chain_head
    chain = (f"chain head seq {head['seq']} scan {head['scan'][:8]} hash {head['hash'][:16]}"
             f"{' (signed)' if head.get('signature') else ''}") if head else "no sealed scan"
    klass = f"Class {led.klass.upper()}" if led.klass else "no class (Class B rules)"
    lines = [clean(f"ledger as of {led.as_of}; {klass}; {chain}"),
             f"{'state':<13} {'control':<40} {'target':<26} {'last validated':<21} max_age"]
    for r in led.rows:
        lines.append(clean(f"{r.state:<13} {r.control:<40} {(r.target or '-'):<26} {(r.last_validated or 'never'):<21} "
                           f"{r.max_age / 86400:g}d"))
    covered = [(cov, rows) for cov, rows in led.ksis if cov.methods]
    if covered:
        lines.append("")
        lines.append(f"{'KSI':<12} {'state':<12} methods  name")
        for cov, rows in covered:
            req = cov.required if cov.required is not None else "-"
            lines.append(clean(f"{cov.id:<12} {led.ksi_state(cov, rows):<12} {len(cov.methods):>3}/{req:<3}  {cov.name}"))
    n, bad = len(led.rows), len(led.failing)
    lines.append(f"{n} validation{'s' if n != 1 else ''}: {bad} stale or failing")
    if poam is not None:
        lines.append("")
        lines.append(f"{'poam item':<30} {'status':<7} {'first seen':<21} {'deadline':<21} control / target")
        for i in poam:
            lines.append(clean(f"{i.id:<30} {i.status:<7} {i.first_seen:<21} {(i.deadline or '-'):<21} "
                               f"{i.control} / {i.target or '-'} ({i.reason}, {len(i.history)} results"
                               f"{', closed ' + i.closed if i.closed else ''})"))
    return lines
