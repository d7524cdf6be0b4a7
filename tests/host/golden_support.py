"""Evaluate the linux-baseline profile on golden fact-script outputs (shared by the golden test)."""

from __future__ import annotations

import functools
from pathlib import Path

from checks.host.provider import HostProvider
from checks.host.script import parse_output
from scanner.evaluate import evaluate_control
from scanner.model import Finding, Target
from scanner.policy.loader import load
from scanner.policy.tailor import select

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
MARKER = "==GOVSCAN:test=="
TARGET = Target(id="local:golden", kind="host", address="localhost", name="golden")


@functools.cache
def baseline():
    """The controls linux-baseline selects, from the project's own policy files."""
    pset = load([ROOT / "policies" / "controls" / "host", ROOT / "policies" / "profiles" / "linux-baseline.yaml"],
                builtin=False)
    return select(pset, ["linux-baseline"])


@functools.cache
def evaluate_golden(case: str) -> tuple[Finding, ...]:
    """Every linux-baseline finding on ``golden/<case>.out``."""
    sel = baseline()
    out = parse_output((GOLDEN / f"{case}.out").read_text(), MARKER)
    types = sorted({c.resource for c in sel.controls.values()} | {"host.os"})
    assert set(types) <= {k.name for k in HostProvider().kinds()}
    coll = HostProvider.parse(out, types, walk="walk" in out.sections, walk_timeout=300)
    findings: list[Finding] = []
    for cid in sorted(sel.controls):
        findings.extend(evaluate_control(sel.controls[cid], TARGET, coll, sel.inputs.get(cid)))
    return tuple(findings)
