"""docs/fedramp-20x.md's examples are real: the systemd units pass `systemd-analyze verify` (or parse, where
systemd is absent), the GitHub Actions workflow parses with a valid schedule, every govscan command line
in the page names a command and options that exist, its YAML fragments lint, and its deadline table is
the rule's numbers."""

from __future__ import annotations

import configparser
import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import policies

DOC = (Path(__file__).resolve().parents[2] / "docs" / "fedramp-20x.md").read_text()
UNITS = dict(re.findall(r"`/etc/systemd/system/([\w.-]+)`:\n\n```ini\n(.*?)```", DOC, re.S))
WORKFLOW = re.search(r"### CI schedule \(GitHub Actions\).*?```yaml\n(.*?)```", DOC, re.S).group(1)


def _govscan_exe() -> str:
    local = Path(sys.executable).parent / "govscan"
    return str(local) if local.exists() else (shutil.which("govscan") or "")


def _commands() -> list[str]:
    """Every govscan command line of the page: shell blocks, ExecStart= lines, workflow run: lines."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", DOC, re.S):
        lines += [ln.split(" #")[0].strip() for ln in block.splitlines()]
    lines += [ln.split("=", 1)[1] for ln in "".join(UNITS.values()).splitlines() if ln.startswith("ExecStart=")]
    lines += [ln.split("run:", 1)[1] for ln in WORKFLOW.splitlines() if "run: govscan" in ln]
    out = []
    for ln in lines:
        words = ln.split()
        while words and not words[0].endswith("govscan"):
            words = words[1:]  # VAR=value prefixes
        if words:
            out.append(" ".join(words))
    return out


def test_units_are_found():
    assert sorted(UNITS) == ["govscan-ledger.service", "govscan-ledger.timer"]


def test_systemd_units_verify(tmp_path):
    exe = _govscan_exe()
    assert exe, "the govscan console script is not installed"
    for name, body in UNITS.items():
        (tmp_path / name).write_text(body.replace("/usr/local/bin/govscan", exe))
    if shutil.which("systemd-analyze") is None:  # no systemd here: parse, and check the keys we rely on
        for name, body in UNITS.items():
            parser = configparser.ConfigParser(strict=False, interpolation=None)
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            parser.read_string(body)
            assert "Unit" in parser
        pytest.skip("systemd-analyze not installed: units parsed only")
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in sorted(UNITS))],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr.strip() == "", proc.stderr  # unknown keys warn on stderr
    timer = UNITS["govscan-ledger.timer"]
    assert "Persistent=true" in timer and "OnCalendar=daily" in timer  # daily fits Class C's 3 days


def test_workflow_parses_with_a_schedule_and_gates_on_the_ledger():
    wf = yaml.safe_load(WORKFLOW)
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as true
    (cron,) = [s["cron"] for s in on["schedule"]]
    fields = cron.split()
    assert len(fields) == 5 and all(re.fullmatch(r"[\d*/,-]+", f) for f in fields), cron
    steps = wf["jobs"]["ledger"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[-1] == "govscan status -p fedramp-20x-class-c -f json -o status.json --gate stale"
    assert any("verify-db --export-anchor" in r for r in runs)
    assert steps[-1]["if"] == "always()" and "anchor.json" in steps[-1]["with"]["path"]


@functools.lru_cache(maxsize=None)
def _help(*command: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "scanner", *command, "--help"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("line", _commands())
def test_command_lines_name_real_commands_and_options(line):
    words = line.split()[1:]
    command = [w for w in words[:2] if re.fullmatch(r"[a-z-]+", w)]
    if command and command[0] not in ("policy", "evidence", "keys", "inventory"):
        command = command[:1]
    text = _help(*command)
    for option in re.findall(r"(?<!\S)(--?[a-z][a-z-]*)", line):
        assert option in text, f"{line}: {option} not in `govscan {' '.join(command)} --help`"


def test_yaml_fragments_are_schema_valid(tmp_path):
    control = tmp_path / "c.yaml"
    mapping = re.search(r"```yaml\n(mappings:.*?)```", DOC, re.S).group(1)
    control.write_text("apiVersion: govscan/v1\nkind: Control\nmetadata: {id: doc-ctl, version: 1.0.0, "
                       "title: doc example, severity: low}\n" + mapping +
                       "max_age: 1d\ntarget: {provider: host, resource: host.os}\n"
                       "assert: {key: uid, op: ge, value: 0}\n")
    proc = subprocess.run([sys.executable, "-m", "scanner", "policy", "lint", "--no-builtin", str(control)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    shipped = yaml.safe_load((policies.PROFILES / "fedramp-20x-class-c.yaml").read_text())
    fragment = yaml.safe_load(re.search(r"```yaml\n(certification:.*?)```", DOC, re.S).group(1))
    assert fragment == {k: shipped[k] for k in ("certification", "select")}


def test_deadline_table_is_the_rule():
    fw = json.loads((policies.FRAMEWORKS / "fedramp-20x.json").read_text())
    rows = re.findall(r"^\| (\w+) \(N(\d)\) \| (\d+ days|none) \| (\d+ days|none) \|$", DOC, re.M)
    assert [r[0] for r in rows] == ["critical", "high", "medium", "low", "info"]
    for _, n, b, c in rows:
        for klass, cell in (("b", b), ("c", c)):
            frame = fw["classes"][klass]["remediation"][n].get("irv_lev")
            assert cell == (f"{frame['timeframe_num']} days" if frame else "none"), (n, klass)
