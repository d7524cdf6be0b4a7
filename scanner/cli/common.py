"""Shared CLI pieces: options used by several commands, error handling, output helpers."""

from __future__ import annotations

import sys
from typing import Any, Callable

import click

from scanner.errors import GovscanError, PolicyError

db_option = click.option(
    "--db", "db_path", envvar="GOVSCAN_DB", default="govscan.db", show_default=True,
    type=click.Path(dir_okay=False), help="SQLite database (env GOVSCAN_DB).",
)
quiet_option = click.option("-q", "--quiet", is_flag=True,
                            help="No progress, summary or `wrote FILE` lines: errors only, and one line when the gate fails.")

oscal_version_option = click.option("--oscal-version", type=click.Choice(["1.1.3", "1.1.2"]),
                                     help="OSCAL version of oscal-ar and oscal-poam (default 1.1.3; 1.1.2 for "
                                          "importers that still require it).")


def echo_err(message: str) -> None:
    """One line on stderr, terminal-safe: anything in it that came from a target, a file or the store
    (escape sequences, line breaks, bidi overrides) is shown escaped (scanner.cli.terminal.clean)."""
    from scanner.cli.terminal import clean

    click.echo(clean(message), err=True)


def fail(exc: GovscanError) -> int:
    """Print a library error as one message per problem; return its exit code."""
    if isinstance(exc, PolicyError):
        for d in exc.diagnostics:
            echo_err(str(d))
        n = len(exc.diagnostics)
        echo_err(f"govscan: {n} problem{'s' if n != 1 else ''} found")
    else:
        echo_err(f"govscan: error: {exc}")
    return exc.exit_code


def run_cli(group: click.Group, argv: list[str] | None) -> int:
    """Run the click group; map errors to exit codes (2 usage, 3 scan could not run)."""
    try:
        rv = group.main(args=argv, prog_name="govscan", standalone_mode=False)
    except GovscanError as exc:
        return fail(exc)
    except click.exceptions.Abort:
        echo_err("govscan: aborted")
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        echo_err("govscan: interrupted")
        return 130
    except BrokenPipeError:
        # the reader went away (`govscan findings | head`): stop quietly, as other command-line tools do;
        # stdout is pointed at /dev/null so the interpreter's final flush cannot fail again
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except SystemExit as exc:  # commands exit with their code (gate, lint)
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return rv if isinstance(rv, int) else 0


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for command bodies: a GovscanError becomes its exit code via click's ctx.exit."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GovscanError as exc:
            sys.exit(fail(exc))

    return wrapper


def parse_inputs(pairs: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; values are YAML (so ``4``, ``[22, 443]``, ``true`` are typed)."""
    from scanner.errors import UsageError
    from scanner.policy.yamlpos import MAX_INPUT_BYTES, load_documents

    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--input {pair!r}: expected NAME=VALUE")
        if len(raw.encode("utf-8", "surrogatepass")) > MAX_INPUT_BYTES:
            raise UsageError(f"--input {name.strip()}: refused: value larger than {MAX_INPUT_BYTES // 1024} KiB")
        docs, problems = load_documents(raw, f"--input {name.strip()}")
        if problems:
            raise UsageError(str(problems[0]))
        out[name.strip()] = docs[0].data if docs else ""
    return out


report_option = click.option(
    "-O", "--report-option", "report_options", multiple=True, metavar="[FORMAT.]NAME=VALUE",
    help="Option for a report format, e.g. sarif.passes=true or system-id=F01234567 (repeatable; docs/reports.md).",
)


def report_renderers(formats: tuple[str, ...] | list[str], options: tuple[str, ...] | list[str] = ()) -> list[Any]:
    """One renderer per format with its options; unknown formats or options are usage errors."""
    from reports.base import split_options
    from scanner import registry

    classes = [registry.report(fmt) for fmt in formats]
    per_format = split_options(list(formats), list(options), classes)
    return [cls(opts) for cls, opts in zip(classes, per_format)]


def write_reports(store: Any, scan_id: str, formats: tuple[str, ...] | list[str],
                  outputs: tuple[str, ...] | list[str], options: tuple[str, ...] | list[str] = (), *,
                  quiet: bool = False, sort: str | None = None, oscal_version: str | None = None) -> int:
    """Render each format; to its -o file (written atomically) or to stdout when there is no -o.

    Each format is independent: one that fails (a renderer bug, a full disk) is named in one line
    and the others are still written. Returns 0, or the exit code of the worst failure (4 internal
    error, 5 cannot write: see :mod:`scanner.cli.crash`). Each file written is announced on stderr
    (path, format, size, the scan and its finding count) unless ``quiet``. ``sort`` orders the
    findings of the renderers that list them in an order (table, markdown: those with a ``sort``
    attribute).
    """
    from scanner.cli.crash import report

    view = store.view(scan_id)
    code = 0
    for i, (fmt, renderer) in enumerate(zip(formats, report_renderers(formats, options))):
        path = outputs[i] if i < len(outputs) else None
        try:
            _write_report(view, renderer, path, sort, oscal_version)
        except GovscanError as exc:
            code = max(code, fail(exc))
            continue
        except BrokenPipeError:
            raise  # the reader of stdout went away: not a renderer failure (run_cli ends quietly)
        except Exception as exc:
            code = max(code, report(exc, f"{fmt} report to {path or 'stdout'}"))
            continue
        if path not in (None, "-") and not quiet:
            import os

            n = view.finding_count()
            echo_err(f"wrote {path} ({fmt}, {os.path.getsize(path)} bytes; scan {view.id[:8]}, "
                     f"{n} finding{'s' if n != 1 else ''})")
    return code


def _write_report(view: Any, renderer: Any, path: str | None, sort: str | None = None,
                  oscal_version: str | None = None) -> None:
    if sort is not None and hasattr(renderer, "sort"):
        renderer.sort = sort
    if oscal_version is not None and hasattr(renderer, "oscal_version"):  # oscal-ar, oscal-poam
        renderer.oscal_version = oscal_version
    if path is None or path == "-":
        stream = sys.stdout.buffer if renderer.binary else sys.stdout
        renderer.render(view, stream)
        stream.flush()
        return
    write_atomically(path, lambda fh: renderer.render(view, fh), binary=renderer.binary)


def write_atomically(path: str, write: Callable[[Any], None], *, binary: bool = False) -> None:
    """Write ``path`` through ``write(fh)`` into a temporary file beside it, then rename it into place:
    a reader never sees half a file, and a failure leaves what was there before (mode 0644)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".govscan-", suffix=".tmp")
    try:
        fh: Any = os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")
        with fh:
            write(fh)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
