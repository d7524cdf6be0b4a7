"""docs/scale.md's deployment commands use only options that exist (dask scheduler/worker, govscan scan)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")
ROOT = Path(__file__).resolve().parents[2]

HELP = {
    "dask scheduler": [sys.executable, "-m", "distributed.cli.dask_scheduler", "--help"],
    "dask worker": [sys.executable, "-m", "distributed.cli.dask_worker", "--help"],
    "govscan scan": [sys.executable, "-m", "scanner", "scan", "--help"],
}


def commands() -> list[tuple[str, str]]:
    text = (ROOT / "docs" / "scale.md").read_text()
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.strip()
            for prefix in HELP:
                if line.startswith(prefix):
                    out.append((prefix, line))
    return out


def test_the_doc_has_the_three_commands() -> None:
    assert sorted({p for p, _ in commands()}) == sorted(HELP)


@pytest.mark.parametrize("prefix,line", commands())
def test_every_option_exists(prefix: str, line: str) -> None:
    text = subprocess.run(HELP[prefix], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    for flag in re.findall(r"(?<!\S)(--[a-z][a-z0-9-]*)", line):
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text), f"{prefix}: {flag} is not an option"
