"""docs/network.md's examples are real: its inventory loads, its commands parse, its limits are the code's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from nethelp import govscan

from checks.network import xmlparse
from scanner import inventory

DOC = Path(__file__).resolve().parents[2] / "docs" / "network.md"
TEXT = DOC.read_text()
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", TEXT, re.S)
COMMANDS = [line.split("  #")[0].strip() for lang, body in BLOCKS if lang in ("", "sh")
            for line in body.splitlines() if line.startswith("govscan ")]


def test_inventory_example_loads(tmp_path):
    [block] = [body for lang, body in BLOCKS if lang == "yaml" and "kind: Inventory" in body]
    path = tmp_path / "inventory.yaml"
    path.write_text(block)
    entries, _ = inventory.load(path)
    assert [(e.spec, e.group) for e in entries] == [("nmap-xml:scan.xml", "dmz"), ("nmap://198.51.100.0/28", "data")]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_parses(command, capsys):
    """Each command line is accepted by the CLI's parser (``--help`` stops before anything runs)."""
    argv = shlex.split(command)[1:]
    assert govscan(*argv, "--help") == 0, capsys.readouterr().err
    assert "Usage: govscan" in capsys.readouterr().out


def test_limits_in_the_table_are_the_code_s():
    assert "1 GiB (`MAX_FILE_BYTES`)" in TEXT and xmlparse.MAX_FILE_BYTES == 1 << 30
    assert f"{xmlparse.MAX_DEPTH} (`MAX_DEPTH`)" in TEXT
    assert "1 MiB between two `<` (`MAX_TOKEN_BYTES`)" in TEXT and xmlparse.MAX_TOKEN_BYTES == 1 << 20
    assert f"{xmlparse.MAX_HOSTS:,} `<host>` elements (`MAX_HOSTS`)" in TEXT
