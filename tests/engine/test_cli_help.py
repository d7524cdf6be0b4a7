"""Every command has help, and `govscan --help` imports no heavy library."""

import subprocess
import sys

import click
import pytest

from scanner.cli import COMMANDS, cli
from scanner.cli.common import run_cli


def walk(group, ctx, prefix=()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, ctx, prefix + (name,))


ALL = list(walk(cli, click.Context(cli)))


def test_every_registered_command_loads():
    assert {path[0] for path, cmd in ALL if cmd is not None} == set(COMMANDS)


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=" ".join)
def test_command_has_help(path, capsys):
    code = run_cli(cli, [*path, "--help"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"Usage: govscan {' '.join(path)}" in out
    cmd = dict(ALL)[path]
    assert (cmd.help or "").strip(), f"govscan {' '.join(path)} has no help text"


def test_help_imports_no_heavy_library():
    code = ("import sys; from scanner.cli.common import run_cli; from scanner.cli import cli; "
            "run_cli(cli, ['--help']); "
            "heavy = [m for m in ('boto3', 'botocore', 'paramiko', 'nmap', 'jinja2', 'sqlite_utils', 'jsonschema', "
            "'cryptography', 'yaml') if m in sys.modules]; print('HEAVY=' + ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert [line for line in out.splitlines() if line.startswith("HEAVY=")] == ["HEAVY="]


def test_unknown_command_suggests(capsys):
    assert run_cli(cli, ["scna"]) == 2
    assert "No such command 'scna' (did you mean 'scan'?)" in capsys.readouterr().err
