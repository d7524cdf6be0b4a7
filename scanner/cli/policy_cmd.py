"""``govscan policy lint|list|show`` and ``govscan resources``."""

from __future__ import annotations

import json
import sys

import click

from scanner.cli.common import echo_err, guarded


@click.group()
def policy() -> None:
    """Check and browse controls, profiles and waivers."""


@policy.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--no-builtin", is_flag=True, help="Do not load the built-in control pack alongside PATHS.")
@click.option("--strict", is_flag=True, help="Treat warnings (such as expired waivers) as errors.")
@guarded
def lint(paths: tuple[str, ...], no_builtin: bool, strict: bool) -> None:
    """Validate policy files: schema, operators, resource types, inputs, framework ids, references.

    Prints `file:line:col: message` for every problem; exits 2 if there is any error.
    With no PATHS, lints the built-in pack.
    """
    from scanner.policy import collect

    pset = collect(paths, builtin=not no_builtin)
    problems = sorted(pset.diagnostics, key=lambda d: (d.file, d.line, d.col, d.message))
    for d in problems:
        echo_err(str(d))
    errors = [d for d in problems if d.level == "error" or strict]
    n_docs = len(pset.controls) + len(pset.profiles) + len(pset.waivers)
    if errors:
        echo_err(f"govscan: {len(errors)} problem{'s' if len(errors) != 1 else ''} found")
        sys.exit(2)
    click.echo(f"ok: {len(pset.controls)} controls, {len(pset.profiles)} profiles, {len(pset.waivers)} waivers"
               f" ({n_docs} documents)" + (f", {len(problems)} warnings" if problems else ""))


@policy.command("list")
@click.option("-p", "--profile", "profiles", multiple=True, help="Only controls this profile selects.")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(), help="Extra policy paths.")
@click.option("--json", "as_json", is_flag=True)
@guarded
def list_(profiles: tuple[str, ...], policy_paths: tuple[str, ...], as_json: bool) -> None:
    """List controls (id, severity, resource type, title) and profiles."""
    from scanner.cli.terminal import clean
    from scanner.policy import load
    from scanner.policy.tailor import select

    pset = load(policy_paths)
    selection = select(pset, profiles) if profiles else None
    controls = selection.controls if selection is not None else pset.controls
    klass = None
    if profiles:
        from scanner.ksi import lineage, profile_class

        klass = profile_class(lineage(pset, profiles))
    for cid in sorted(controls):
        c = controls[cid]
        if as_json:
            click.echo(json.dumps({"id": c.id, "version": c.version, "severity": c.severity.value,
                                   "resource": c.resource, "title": c.title,
                                   "mappings": {k: list(v) for k, v in c.mappings.items()}}))
        else:
            click.echo(f"{clean(c.id):<46} {c.severity.value:<9} {clean(c.resource):<24} {clean(c.title)}")
    if not as_json:
        click.echo(f"{len(controls)} controls; profiles: {clean(', '.join(sorted(pset.profiles)))}", err=True)
    if selection is not None and selection.benchmark is not None:
        # a benchmark profile: recommendations of its level automated and covered, manual, not yet covered
        from scanner.policy.benchmark import coverage as benchmark_coverage

        cov = benchmark_coverage(*selection.benchmark, controls.values(), selection.manual)
        if as_json:
            click.echo(json.dumps(cov.as_dict()))
        else:
            click.echo("\n".join(clean(line) for line in cov.lines()))
    if selection is not None and selection.stig is not None:
        # a STIG profile: rules implemented by a control / not (reported notchecked), per CAT
        from scanner.policy.stig import coverage as stig_coverage

        scov = stig_coverage(selection.stig, controls.values())
        if as_json:
            click.echo(json.dumps(scov.as_dict()))
        else:
            click.echo("\n".join(clean(line) for line in scov.lines()))
    if klass is not None:  # a FedRAMP 20x profile: per KSI, methods govscan has / methods the class requires
        from scanner.ksi import coverage, coverage_lines

        rows = coverage(controls, klass)
        if as_json:
            for r in rows:
                click.echo(json.dumps(r.as_dict()))
        else:
            click.echo("\n".join(coverage_lines(rows, klass)))


@policy.command()
@click.argument("ident")
@click.option("--policies", "policy_paths", multiple=True, type=click.Path(), help="Extra policy paths.")
@guarded
def show(ident: str, policy_paths: tuple[str, ...]) -> None:
    """Show a control, profile or waiver document and where it comes from."""
    import yaml

    from scanner.cli.terminal import clean
    from scanner.errors import UsageError
    from scanner.policy import load
    from scanner.suggest import did_you_mean

    pset = load(policy_paths)
    for table in (pset.controls, pset.profiles, pset.waivers):
        if ident in table:
            item = table[ident]
            click.echo(f"# {clean(item.source)}  sha256 {item.sha256}")
            # allow_unicode=False: anything outside ASCII is written as a YAML escape (still valid YAML)
            click.echo(yaml.safe_dump(dict(item.document), sort_keys=False, allow_unicode=False).rstrip())
            return
    raise UsageError(f"no control, profile or waiver {ident!r}"
                     f"{did_you_mean(ident, [*pset.controls, *pset.profiles, *pset.waivers])}")


@click.command()
@click.argument("types", nargs=-1)
@click.option("--provider", help="Only this provider's resource types.")
@click.option("--json", "as_json", is_flag=True)
@guarded
def resources(types: tuple[str, ...], provider: str | None, as_json: bool) -> None:
    """List every resource type with the attributes a control can read (and the calls behind it)."""
    import fnmatch

    from scanner import registry
    from scanner.errors import UsageError
    from scanner.suggest import did_you_mean

    all_types = registry.resource_types()
    chosen = [rt for name, rt in sorted(all_types.items())
              if (not provider or name.startswith(provider + "."))
              and (not types or any(fnmatch.fnmatchcase(name, t) for t in types))]
    if types and not chosen:
        raise UsageError(f"no resource type {types[0]!r}{did_you_mean(types[0], all_types)}")
    for rt in chosen:
        if as_json:
            click.echo(json.dumps({"name": rt.name, "description": rt.description, "api_calls": list(rt.api_calls),
                                   "attributes": [vars(a) for a in rt.attributes]}))
            continue
        click.echo(f"{rt.name}: {rt.description}")
        if rt.api_calls:
            click.echo(f"  collected with: {', '.join(rt.api_calls)}")
        for a in rt.attributes:
            click.echo(f"  {a.name:<40} {a.type:<10} {a.description}")
        click.echo()


from scanner.cli.policy_export import export  # noqa: E402  (the export command lives in its own module)

policy.add_command(export)
