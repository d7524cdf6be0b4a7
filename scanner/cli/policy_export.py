"""``govscan policy export``: the control library in a format other tools import."""

from __future__ import annotations

import click

from scanner.cli.common import echo_err, guarded, write_atomically

EXPORT_FORMATS = ["oscal-component"]


@click.command()
@click.option("-f", "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="oscal-component", show_default=True,
              help="oscal-component: an OSCAL 1.1.3 component definition (each NIST control an implemented "
                   "requirement, each govscan control a rule).")
@click.option("-p", "--profile", "profiles", multiple=True, help="Only controls this profile selects (repeatable).")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(), help="Extra policy paths.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (default: stdout).")
@guarded
def export(fmt: str, profiles: tuple[str, ...], policy_paths: tuple[str, ...], output: str | None) -> None:
    """Export controls (all, or those PROFILE selects) for GRC tools.

    \b
    Example: govscan policy export -f oscal-component -p linux-baseline -o govscan-component.json
    """
    import json

    import scanner
    from reports.oscal_component import component_definition
    from scanner.policy import load
    from scanner.policy.tailor import select

    pset = load(policy_paths)
    controls = select(pset, profiles).controls if profiles else pset.controls
    title = "govscan controls" + (f": profile {', '.join(profiles)}" if profiles else "")
    text = json.dumps(component_definition(controls.values(), title=title, version=scanner.__version__),
                      ensure_ascii=False, indent=1) + "\n"
    if not output or output == "-":
        click.echo(text, nl=False)
        return
    write_atomically(output, lambda fh: fh.write(text))
    echo_err(f"wrote {output} ({fmt}, {len(controls)} controls)")
