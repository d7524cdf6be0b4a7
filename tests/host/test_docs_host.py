"""docs/host.md's example control lints clean and does what the page says on the golden hosts."""

from __future__ import annotations

import re
from pathlib import Path

from golden_support import GOLDEN, MARKER, TARGET

from checks.host.provider import HostProvider
from checks.host.script import parse_output
from scanner.evaluate import evaluate_control
from scanner.policy import collect

DOC = Path(__file__).resolve().parents[2] / "docs" / "host.md"
BLOCKS = [b for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S) if "apiVersion: govscan/v1" in b]


def test_example_control_lints_and_checks_running_and_persisted(tmp_path):
    assert len(BLOCKS) == 1
    path = tmp_path / "example.yaml"
    path.write_text(BLOCKS[0])
    pset = collect([path], builtin=False)
    assert [str(d) for d in pset.diagnostics] == []
    control = pset.controls["example-sysctl-ip-forward"]
    got = {}
    for case in ("compliant", "noncompliant"):
        coll = HostProvider.parse(parse_output((GOLDEN / f"{case}.out").read_text(), MARKER), ["host.os", "host.sysctl"])
        got[case] = [(f.status.value, f.message) for f in evaluate_control(control, TARGET, coll)]
    assert got["compliant"][0][0] == "pass"
    assert got["noncompliant"] == [("fail", "net.ipv4.ip_forward=0; persisted none (no sysctl file sets it) "
                                            "(required: eq 0, running and persisted)")]
