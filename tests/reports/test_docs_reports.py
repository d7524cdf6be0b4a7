"""The ``govscan report`` examples of docs/reports.md and docs/evidence.md run as written (against the
session's real scan; ``latest~N`` becomes ``latest`` there, since that database holds one scan)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from realscan import govscan

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = [(doc.name, line.split("#")[0].strip())
            for doc in (DOCS / "reports.md", DOCS / "evidence.md")
            for block in re.findall(r"```sh\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
            for line in block.splitlines() if line.startswith("govscan report")]


def test_the_docs_have_report_examples():
    assert len(EXAMPLES) >= 5 and any("-O sarif.passes=true" in e for _, e in EXAMPLES)


@pytest.mark.parametrize("doc,example", EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_report_example_runs(real_scan, tmp_path, doc, example):
    args = [re.sub(r"^latest~\d+$", "latest", a) for a in shlex.split(example)[1:]]
    res = govscan(args + ["--db", str(real_scan.db)], tmp_path)
    assert res.returncode == 0, f"{doc}: {example}\n{res.stderr}"
    outs = [args[i + 1] for i, a in enumerate(args) if a == "-o"]
    assert outs and all((tmp_path / o).stat().st_size > 100 for o in outs)
