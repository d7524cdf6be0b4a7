"""One path walker: a condition key, a ``result.evidence`` path and a message placeholder read the same value.

Before, ``result.evidence: ["ports[].portid"]`` linted clean but stored ``null`` (evidence had its own
dotted-path reader) while the assert saw the port list. Through ``govscan scan`` on a real nmap XML.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "network" / "data"

CONTROL = """apiVersion: govscan/v1
kind: Control
metadata: {id: cond-net-no-telnet-port, version: 1.0.0, title: no telnet port, severity: high}
target: {provider: network, resource: network.host}
assert: {key: "ports[].portid", op: not-contains, value: 23}
result:
  pass: "{resource.address} ports {resource.ports[].portid}, {length(resource.ports)} in all"
  evidence: ["ports[].portid", "ports[?state=='open'].protocol", "status.state"]
"""


def govscan(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    tmp = tmp_path_factory.mktemp("paths")
    (tmp / "ctl").mkdir()
    (tmp / "ctl" / "c.yaml").write_text(CONTROL)
    lint = govscan("policy", "lint", "ctl", cwd=tmp)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # the same scan as if every TCP and UDP port had been scanned: a port-number check needs that to pass at all
    xml = tmp / "full.xml"
    xml.write_text((DATA / "nmap-7.93-loopback.xml").read_text().replace(
        'numservices="8" services="32805,33587,39695,40283,41919,45631,52345,53583"',
        'numservices="65535" services="1-65535"/><scaninfo type="udp" protocol="udp" numservices="65535" '
        'services="1-65535"'))
    scan = govscan("scan", f"nmap-xml:{xml}", "--policies", "ctl",
                   "-c", "cond-*", "--db", "s.db", "-q", cwd=tmp)
    assert scan.returncode == 0, scan.stderr
    out = govscan("findings", "--db", "s.db", "--json", cwd=tmp)
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_evidence_stores_what_the_assert_saw(rows):
    assert len(rows) == 1 and {r["status"] for r in rows} == {"pass"}
    with_ports = 0
    for row in rows:
        ev = row["evidence"]
        (check,) = [c for c in ev["checks"] if c["key"] == "ports[].portid"]
        assert ev["observed"]["ports[].portid"] == check["actual"]
        assert isinstance(check["actual"], list) and all(isinstance(p, int) for p in check["actual"])
        assert ev["observed"]["status.state"] == "up"
        if check["actual"]:
            with_ports += 1
            assert set(ev["observed"]["ports[?state=='open'].protocol"]) <= {"tcp", "udp"}
        # the message placeholders read through the same walker
        ports = ", ".join(str(p) for p in check["actual"]) or "none"
        assert row["message"] == f"{row['resource_id']} ports {ports}, {len(check['actual'])} in all"
    assert with_ports >= 1


def test_127_0_0_1_ports_are_the_ones_in_the_file(rows):
    (row,) = [r for r in rows if r["resource_id"] == "127.0.0.1"]
    assert row["evidence"]["observed"]["ports[].portid"] == [32805, 33587, 39695, 40283, 41919, 45631, 52345, 53583]


BAD_EVIDENCE = """apiVersion: govscan/v1
kind: Control
metadata: {id: cond-net-bad-paths, version: 1.0.0, title: bad paths, severity: high}
target: {provider: network, resource: network.host}
assert: {key: state, op: eq, value: up}
result:
  fail: "{resource.prots[].portid} {length(resource.ports, value)} {inputs.nope}"
  evidence:
    - "ports[.portid"
    - "prots[].portid"
    - "@"
    - "length(ports)"
"""


def test_lint_checks_evidence_paths_and_placeholders_with_the_same_parser(tmp_path: Path):
    (tmp_path / "ctl").mkdir()
    (tmp_path / "ctl" / "c.yaml").write_text(BAD_EVIDENCE)
    proc = govscan("policy", "lint", "ctl", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "c.yaml:" in line]
    assert [line.split("c.yaml:", 1)[1] for line in lines] == [
        "7:9: invalid placeholder {length(resource.ports, value)} at column 27: function length() takes 1 "
        "arguments, got 2",
        "7:9: unknown attribute 'prots' of network.host in message (did you mean 'ports'?)",
        "7:9: unknown input 'nope' in message",
        "9:7: evidence path: invalid key 'ports[.portid': Expecting: star, got: dot at column 6",
        "10:7: unknown attribute 'prots[].portid' of network.host (did you mean 'ports'?)",
        "11:7: evidence path '@' reads the whole resource: name the attributes to keep",
    ]
