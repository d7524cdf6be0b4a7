"""The ``govscan`` command line: a thin layer over the library.

Commands live in their own modules and are imported only when used, so ``govscan --help`` stays
fast. Every command turns :class:`scanner.errors.GovscanError` into one line on stderr and its exit
code; a traceback means a bug.
"""

from __future__ import annotations

import importlib
import sys

import click

from scanner import __version__

# name -> "module:attribute"; a plugin-style table so each command module stays small.
COMMANDS = {
    "scan": "scanner.cli.scan_cmd:scan",
    "scans": "scanner.cli.read_cmd:scans",
    "findings": "scanner.cli.read_cmd:findings",
    "report": "scanner.cli.read_cmd:report",
    "policy": "scanner.cli.policy_cmd:policy",
    "resources": "scanner.cli.policy_cmd:resources",
    "diff": "scanner.cli.diff_cmd:diff",
    "verify-db": "scanner.cli.evidence_cmd:verify_db",
    "evidence": "scanner.cli.evidence_cmd:evidence",
    "keys": "scanner.cli.evidence_cmd:keys",
    "inventory": "scanner.cli.inventory_cmd:inventory",
    "status": "scanner.cli.status_cmd:status",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except ModuleNotFoundError:
            return None  # a command whose module is not built yet is simply absent

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            from scanner.suggest import did_you_mean

            if args and args[0] not in COMMANDS and not args[0].startswith("-"):
                raise click.UsageError(f"No such command {args[0]!r}{did_you_mean(args[0], COMMANDS)}.") from exc
            raise


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        from scanner.cli.crash import DEBUG

        DEBUG["on"] = True
    return value


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="govscan")
@click.option("--debug", is_flag=True, expose_value=False, is_eager=True, callback=_debug,
              help="On an internal error, print the traceback instead of saving it to a file.")
def cli() -> None:
    """govscan: security compliance scanning for AWS accounts, Linux hosts and networks.

    One policy language (YAML controls mapped to NIST SP 800-53, FedRAMP, CIS, STIG), one engine,
    one evidence store. Run `govscan scan` to audit this machine against the Linux baseline.

    Exit codes: 0 gate passed, 1 gate failed, 2 usage or validation error, 3 scan could not run,
    4 internal error (traceback saved to a file), 5 cannot write (disk full, ulimit -f).
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point. An exception no command handled is a bug (or a full disk): one
    line, the traceback saved to a file, exit 4 (5 for a failed write), never a raw traceback and 1."""
    from scanner.cli.common import run_cli

    try:
        code = run_cli(cli, argv)
    except Exception as exc:
        from scanner.cli.crash import report

        code = report(exc)
    sys.exit(code)
