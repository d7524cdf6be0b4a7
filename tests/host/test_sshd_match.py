"""sshd ``Match`` blocks are evaluated (issue 9): `govscan scan ssh://...` against a real sshd fixture.

The host's ``sshd_config`` is hardened globally (every host-sshd-* control passes on ``sshd``) and
ends with ``Match Address *`` turning on PermitRootLogin, PermitEmptyPasswords, PasswordAuthentication
and MaxAuthTries 10: exactly those four controls fail, on the resource ``sshd[Match Address *]``, with
the criteria and the file:line in the evidence. A Match block in an Included file is read too, and a
compliant Match block passes everything.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from scanner.store import Store
from sshd_fixture import COMPLIANT_SSHD, TEST_USER, SshdHost, SshFleet, start_sshd

CONFIG = COMPLIANT_SSHD + """\
Include {incdir}/*.conf
Match Group staff
    X11Forwarding no
    MaxAuthTries 3
Match Address *
    PermitRootLogin yes
    PermitEmptyPasswords yes
    PasswordAuthentication yes
    MaxAuthTries 10
"""
INCLUDED = "# deploy may forward\nMatch User deploy\n    AllowTcpForwarding yes\n"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if line.strip() == needle)


class MatchScan:
    def __init__(self, fleet: SshFleet, tmp: Path):
        self.incdir = tmp / "sshd_config.d"
        self.incdir.mkdir()
        (self.incdir / "50-deploy.conf").write_text(INCLUDED)
        self.config = CONFIG.replace("{incdir}", str(self.incdir))
        pub = " ".join(fleet.key.with_suffix(".pub").read_text().split()[:2])
        self.host: SshdHost = start_sshd("match", "127.0.0.51", {TEST_USER: [pub], "root": [pub]},
                                         "PermitRootLogin prohibit-password\n", {"/etc/ssh/sshd_config": self.config})
        inventory = tmp / "inventory.yaml"
        inventory.write_text(f"apiVersion: govscan/v1\nkind: Inventory\nvars: {{key: '{fleet.key}'}}\n"
                             f"targets: ['{self.host.spec('root')}']\n")
        self.db = tmp / "scan.db"
        self.result = subprocess.run(
            [sys.executable, "-c", "from scanner.cli import main; main()", "scan", "-i", str(inventory),
             "--db", str(self.db), "--known-hosts", str(self.host.known_hosts), "-c", "host-sshd-*",
             "--gate", "medium", "--quiet"], capture_output=True, text=True, timeout=120)
        store = Store(str(self.db), create=False)
        try:
            view = store.view()
            self.rows: dict[tuple[str, str], dict[str, Any]] = {
                (r["resource_id"], r["control_id"]): {**r, "evidence": view.evidence(r["evidence_sha256"])}
                for r in view.findings()}
        finally:
            store.close()

    def statuses(self, resource: str) -> dict[str, str]:
        return {cid: r["status"] for (rid, cid), r in self.rows.items() if rid == resource}


@pytest.fixture(scope="module")
def match_scan(ssh_fleet: SshFleet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatchScan]:
    scan = MatchScan(ssh_fleet, tmp_path_factory.mktemp("match"))
    try:
        yield scan
    finally:
        scan.host.stop()
        shutil.rmtree(scan.host.root, ignore_errors=True)


FOUR = {"host-sshd-no-root-login", "host-sshd-no-empty-passwords", "host-sshd-password-auth-policy",
        "host-sshd-max-auth-tries"}


def test_one_resource_per_match_block(match_scan: MatchScan) -> None:
    assert match_scan.result.returncode == 1, match_scan.result.stderr  # the gate sees the failures
    assert {rid for rid, _ in match_scan.rows} == {
        "sshd", "sshd[Match Address *]", "sshd[Match Group staff]", "sshd[Match User deploy]"}


def test_global_configuration_passes(match_scan: MatchScan) -> None:
    got = match_scan.statuses("sshd")
    assert len(got) == 26 and set(got.values()) == {"pass"}


def test_match_address_fails_exactly_the_four_controls_with_criteria_and_line(match_scan: MatchScan) -> None:
    got = match_scan.statuses("sshd[Match Address *]")
    assert len(got) == 26
    assert {cid for cid, status in got.items() if status == "fail"} == FOUR
    assert {status for cid, status in got.items() if cid not in FOUR} == {"pass"}
    row = match_scan.rows[("sshd[Match Address *]", "host-sshd-no-root-login")]
    assert row["message"] == "PermitRootLogin is yes (allowed: no)"
    assert row["evidence"]["locations"] == [{
        "attribute": "permitrootlogin", "path": "/etc/ssh/sshd_config",
        "line": line_of(match_scan.config, "PermitRootLogin yes"),
        "match": "Address *", "match_line": line_of(match_scan.config, "Match Address *")}]
    row = match_scan.rows[("sshd[Match Address *]", "host-sshd-max-auth-tries")]
    assert row["message"] == "MaxAuthTries is 10, above 4"
    assert row["evidence"]["locations"][0]["line"] == line_of(match_scan.config, "MaxAuthTries 10")


def test_match_block_in_an_included_file(match_scan: MatchScan) -> None:
    got = match_scan.statuses("sshd[Match User deploy]")
    assert {cid for cid, status in got.items() if status != "pass"} == {"host-sshd-no-tcp-forwarding"}
    row = match_scan.rows[("sshd[Match User deploy]", "host-sshd-no-tcp-forwarding")]
    assert row["status"] == "fail"
    assert row["evidence"]["locations"] == [{
        "attribute": "allowtcpforwarding", "path": str(match_scan.incdir / "50-deploy.conf"), "line": 3,
        "match": "User deploy", "match_line": 2}]


def test_compliant_match_block_passes(match_scan: MatchScan) -> None:
    got = match_scan.statuses("sshd[Match Group staff]")
    assert len(got) == 26 and set(got.values()) == {"pass"}
    row = match_scan.rows[("sshd[Match Group staff]", "host-sshd-max-auth-tries")]
    assert row["message"] == "MaxAuthTries is 3"


def test_global_findings_point_at_their_line(match_scan: MatchScan) -> None:
    row = match_scan.rows[("sshd", "host-sshd-no-root-login")]
    assert row["evidence"]["locations"] == [{
        "attribute": "permitrootlogin", "path": "/etc/ssh/sshd_config",
        "line": line_of(match_scan.config, "PermitRootLogin no"), "source": "sshd -T"}]


def test_the_location_example_in_the_docs_has_the_real_shape(match_scan: MatchScan) -> None:
    import json
    import re

    doc = (Path(__file__).resolve().parents[2] / "docs" / "host.md").read_text()
    [example] = re.findall(r"```json\n(\{\"attribute\".*?\})\n```", doc)
    real = match_scan.rows[("sshd[Match Address *]", "host-sshd-no-root-login")]["evidence"]["locations"][0]
    shown = json.loads(example)
    assert set(shown) == set(real)
    assert {k: shown[k] for k in ("attribute", "path", "match")} == {k: real[k] for k in ("attribute", "path", "match")}
