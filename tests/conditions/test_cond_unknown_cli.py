"""Missing data through ``govscan scan``: custom controls on this machine's real ``host.sysctl``.

``kernel.govscan_absent_param`` is a kernel parameter no kernel has, so it is missing from the collected
resource exactly as an unset option would be. Each control below passed (or was not applicable) before
conditions were three-valued; now none of them is ``pass`` or ``notapplicable``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ABSENT = "kernel.govscan_absent_param"
HEAD = "apiVersion: govscan/v1\nkind: Control\n"


def _control(cid: str, body: str) -> str:
    return (f"{HEAD}metadata: {{id: {cid}, version: 1.0.0, title: {cid}, severity: high}}\n"
            f"target:\n  provider: host\n  resource: host.sysctl\n{body}")


CONTROLS = {
    # `not` over a group: any(FALSE, UNKNOWN) is UNKNOWN, and so is its negation
    "cond-not-group": f"""assert:
  not:
    any:
      - {{key: kernel, op: absent}}
      - {{key: {ABSENT}, op: eq, value: 1}}
""",
    # quantifiers over a missing list
    "cond-all-of-missing": f"assert: {{all_of: {{path: {ABSENT}, where: {{op: eq, value: 1}}}}}}\n",
    "cond-none-of-missing": f"assert: {{none_of: {{path: {ABSENT}, where: {{op: eq, value: 1}}}}}}\n",
    "cond-not-any-of-missing": f"assert: {{not: {{any_of: {{path: {ABSENT}, where: {{op: eq, value: 1}}}}}}}}\n",
    # the one case the old code already handled keeps its visible result
    "cond-not-leaf": f"assert: {{not: {{key: {ABSENT}, op: eq, value: 1}}}}\n",
    # scope.where UNKNOWN: assessed, never dropped (the assert is FALSE on real data)
    "cond-scope-unknown": f"""  scope:
    where: {{key: {ABSENT}, op: ne, value: 1}}
assert: {{key: kernel, op: absent}}
""",
    # applies_if UNKNOWN: error naming the key, never notapplicable
    "cond-applies-unknown": f"""  applies_if: {{key: {ABSENT}, op: eq, value: 1}}
assert: {{key: kernel, op: exists}}
""",
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict[str, dict]]:
    tmp = tmp_path_factory.mktemp("unknown")
    policies = tmp / "ctl"
    policies.mkdir()
    (policies / "cond.yaml").write_text("---\n".join(_control(cid, body) for cid, body in CONTROLS.items()))
    db = tmp / "scan.db"
    run = lambda *a: subprocess.run([sys.executable, "-m", "scanner", *a], capture_output=True, text=True,  # noqa: E731
                                    cwd=tmp)
    lint = run("policy", "lint", str(policies))
    assert lint.returncode == 0, lint.stdout + lint.stderr
    proc = run("scan", "local", "--policies", str(policies), "-c", "cond-*", "--db", str(db), "-q")
    rows = run("findings", "--db", str(db), "--json")
    assert rows.returncode == 0, rows.stderr
    found = [json.loads(line) for line in rows.stdout.splitlines()]
    assert {r["target_id"] for r in found} == {f"local:{socket.gethostname()}"}
    return proc, {r["control_id"]: r for r in found}


def test_scan_fails_the_gate_without_a_traceback(scanned):
    proc, rows = scanned
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(rows) == sorted(CONTROLS)
    assert not [cid for cid, r in rows.items() if r["status"] in ("pass", "notapplicable")]


@pytest.mark.parametrize("cid, message", [
    ("cond-not-group", f"sysctl: expected {ABSENT} eq 1, found missing"),
    ("cond-all-of-missing", f"sysctl: expected all_of {ABSENT}: @ eq 1, found missing"),
    ("cond-none-of-missing", f"sysctl: expected none_of {ABSENT}: @ eq 1, found missing"),
    ("cond-not-any-of-missing", f"sysctl: expected any_of {ABSENT}: @ eq 1, found missing"),
    ("cond-not-leaf", f"sysctl: expected {ABSENT} eq 1, found missing"),
])
def test_an_assert_left_unknown_by_a_missing_key_fails_saying_so(scanned, cid, message):
    row = scanned[1][cid]
    assert (row["resource_id"], row["status"], row["message"]) == ("sysctl", "fail", message)
    assert row["evidence"]["undecided"] == f"{ABSENT} is missing"
    assert row["evidence"]["found"] is None
    assert [c for c in row["evidence"]["checks"] if c["key"] == ABSENT][0]["missing"] is True


def test_scope_where_unknown_assesses_the_resource(scanned):
    row = scanned[1]["cond-scope-unknown"]
    assert (row["resource_id"], row["status"]) == ("sysctl", "fail")
    assert row["message"].startswith("sysctl: expected kernel absent, found {")
    assert row["evidence"]["scope_undecided"] == f"{ABSENT} is missing ({ABSENT} ne 1)"
    assert "undecided" not in row["evidence"]  # the assert itself was decided by data


def test_applies_if_unknown_is_an_error_naming_the_key(scanned):
    row = scanned[1]["cond-applies-unknown"]
    message = (f"sysctl: cannot tell whether cond-applies-unknown applies: {ABSENT} is missing "
               f"(applies_if {ABSENT} eq 1)")
    assert (row["resource_id"], row["status"], row["message"]) == ("sysctl", "error", message)
    assert row["evidence"]["error"] == message


def test_the_controls_are_real_policy_files(tmp_path: Path):
    """The YAML above is what a user writes: it lints clean (guards the test itself)."""
    (tmp_path / "c.yaml").write_text(_control("cond-x", CONTROLS["cond-not-group"]))
    proc = subprocess.run([sys.executable, "-m", "scanner", "policy", "lint", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("ok:"), proc.stdout + proc.stderr


NET_CONTROL = """apiVersion: govscan/v1
kind: Control
metadata: {id: cond-net-tls-everywhere, version: 1.0.0, title: every open port is TLS, severity: high}
target: {provider: network, resource: network.host}
assert:
  none_of:
    path: ports
    where:
      all:
        - {key: state, op: eq, value: open}
        - {key: service.tunnel, op: ne, value: ssl}
result:
  fail: "{resource.address}: {matched.portid}/{matched.protocol} is not proven to be TLS"
"""


def test_unknown_inside_a_where_never_passes_on_a_real_nmap_file(tmp_path: Path):
    """Plain-text ports carry no ``tunnel``: ``tunnel ne ssl`` is UNKNOWN on them, so the none_of is not
    proven (before, a missing key was simply false inside ``where`` and this control passed)."""
    (tmp_path / "ctl").mkdir()
    (tmp_path / "ctl" / "c.yaml").write_text(NET_CONTROL)
    xml = Path(__file__).resolve().parents[1] / "network" / "data" / "nmap-7.93-loopback.xml"
    run = lambda *a: subprocess.run([sys.executable, "-m", "scanner", *a], capture_output=True, text=True,  # noqa: E731
                                    cwd=tmp_path)
    scan = run("scan", f"nmap-xml:{xml}", "--policies", "ctl", "-c", "cond-*", "--db", "s.db", "-q")
    assert scan.returncode == 1, scan.stderr
    (row,) = [json.loads(line) for line in run("findings", "--db", "s.db", "--json").stdout.splitlines()]
    assert (row["resource_id"], row["status"]) == ("127.0.0.1", "fail")
    assert row["message"] == "127.0.0.1: 33587/tcp is not proven to be TLS"  # the first open port
    assert row["evidence"]["undecided"] == "ports[1].service.tunnel is missing"
    assert row["evidence"]["matched"]["portid"] == 33587
