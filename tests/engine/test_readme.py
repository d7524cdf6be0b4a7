"""The README's examples are real: every govscan/v1 YAML block in it loads and lints clean."""

import re
from pathlib import Path

import pytest

from scanner import inventory
from scanner.policy import collect

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = [b for b in re.findall(r"```yaml\n(.*?)```", README.read_text(), re.S) if "apiVersion: govscan/v1" in b]


def test_readme_has_one_example_of_each_kind():
    kinds = sorted(re.search(r"^kind: (\w+)", b, re.M).group(1) for b in BLOCKS)
    assert kinds == ["Control", "Inventory", "Profile", "Waiver"]


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: re.search(r"^kind: (\w+)", b, re.M).group(1))
def test_readme_example_is_valid(block, tmp_path):
    path = tmp_path / "example.yaml"
    path.write_text(block)
    kind = re.search(r"^kind: (\w+)", block, re.M).group(1)
    if kind == "Inventory":
        entries, _ = inventory.load(path)
        assert [e.spec for e in entries][-1] == "local"
        assert [str(d) for d in collect([path]).diagnostics] == []  # what `policy lint` says of it
        return
    # the example control is the shipped one: lint it alone; profiles and waivers refer to the pack
    pset = collect([path], builtin=kind != "Control")
    assert [str(d) for d in pset.diagnostics] == []


TOUR = re.search(r"## A tour of the command line\n\n```sh\n(.*?)```", README.read_text(), re.S).group(1)


@pytest.mark.parametrize("line", [ln.split("#")[0].strip() for ln in TOUR.splitlines() if ln.startswith("govscan ")])
def test_tour_commands_and_their_long_options_exist(line):
    """Each command of the README's tour exists and knows every --option the line gives it."""
    import subprocess
    import sys

    words = line.split()[1:]
    command = [w for w in words[:2] if not w.startswith("-") and re.fullmatch(r"[a-z-]+", w)]
    proc = subprocess.run([sys.executable, "-m", "scanner", *command, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    if command and command[0] in ("policy", "evidence", "keys", "inventory") and len(command) < 2:
        return
    for option in re.findall(r"(?<!\S)(--[a-z][a-z-]*)", line):
        assert option in proc.stdout, f"{line}: {option} not in `govscan {' '.join(command)} --help`"
