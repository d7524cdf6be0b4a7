"""STIG Viewer 3 checklists (``-f cklb``) from a real scan: one per target, statuses, evidence, waivers,
and the structure of the real STIG Viewer 3 file in tests/data/cklb."""

from __future__ import annotations

import json
import zipfile

import pytest

from reports.cklb import rule_status
from stigscan import LOCAL, ROOT, SHIPPED, govscan, real_scan

SAMPLE = ROOT / "tests" / "data" / "cklb" / "Single-Vuln-Pass-With-Comment.cklb"
CKLB_STATUS = {"pass": "not_a_finding", "fail": "open", "waived": "open", "notapplicable": "not_applicable"}


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stig-scan")
    db, down = real_scan(folder)
    r = govscan("report", "--db", str(db), "-f", "cklb", "-o", str(folder / "checklists.zip"))
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(folder / "checklists.zip") as zf:
        members = {n: json.loads(zf.read(n)) for n in zf.namelist()}
    return db, down, members, folder


def _rules(doc):
    return {r["group_id"]: r for s in doc["stigs"] for r in s["rules"]}


def test_one_checklist_per_target_in_a_zip(scan):
    _db, down, members, _ = scan
    names = sorted(members)
    assert len(names) == 2
    assert names[0].startswith("001-local") and names[0].endswith(".cklb")
    assert names[1] == "002-" + down.replace("://", "_").replace("@", "_").replace(":", "_") + ".cklb"
    assert members[names[1]]["target_data"]["ip_address"] == "127.0.0.1"


def test_statuses_evidence_and_waiver_comment(scan):
    _db, _down, members, _ = scan
    local = _rules(members[sorted(members)[0]])
    for control, (vuln, status) in LOCAL.items():
        rule = local[vuln]
        assert rule["status"] == CKLB_STATUS[status], (control, rule["status"])
        assert f"[{status}] {control} on host.users user:root" in rule["finding_details"]
        assert rule["rule_id_src"] == f"S{vuln}r1_rule" and rule["rule_id"] == f"S{vuln}r1"
        assert rule["ccis"] == ["CCI-000366"]
    assert local["V-999002"]["severity"] == "high" and local["V-999003"]["severity"] == "low"
    assert "expected: uid eq 1" in local["V-999002"]["finding_details"]
    assert "root has UID 0 <&>" in local["V-999002"]["finding_details"]  # JSON carries text as is
    waived = local["V-999003"]
    assert waived["comments"].startswith("Waiver WVR-STIG-1 (risk-adjustment, active, expires ")
    assert "Accepted for the test <script>alert(1)</script>. (POA&M P-42)" in waived["comments"]
    assert local["V-999001"]["comments"] is None
    # the shipped controls carry the Ubuntu 22.04 STIG identities
    for vuln, stig_id in SHIPPED.items():
        assert local[vuln]["rule_version"] == stig_id and local[vuln]["status"] in {*CKLB_STATUS.values(), "not_reviewed"}
    assert local["V-260526"]["severity"] == "high"  # CAT I


def test_unreachable_target_is_not_reviewed_never_not_a_finding(scan):
    _db, _down, members, _ = scan
    down = _rules(members[sorted(members)[1]])
    assert {r["status"] for r in down.values()} == {"not_reviewed"}
    assert "connection refused" in down["V-999001"]["finding_details"]
    assert "[error] stig-test-pass" in down["V-999001"]["finding_details"]


def test_statuses_read_back_match_the_store(scan):
    """Round trip: the checklists read back give, per target and rule, the statuses govscan stored."""
    db, down, members, _ = scan
    r = govscan("findings", "--db", str(db), "--json", "-c", "stig-test-*")
    stored = [json.loads(line) for line in r.stdout.splitlines()]
    by_target = {"local": _rules(members[sorted(members)[0]]), down: _rules(members[sorted(members)[1]])}
    for f in stored:
        rules = by_target["local" if f["target_id"].startswith("local") else down]
        vuln = LOCAL[f["control_id"]][0]
        assert rules[vuln]["status"] == CKLB_STATUS.get(f["status"], "not_reviewed")
        assert f["message"] in rules[vuln]["finding_details"]
    assert len(stored) == 8


def test_structure_of_stig_viewer_3(scan):
    """Every key of the real STIG Viewer 3 file is there, with the JSON type it has there."""
    sample = json.loads(SAMPLE.read_text())
    _db, _down, members, _ = scan
    doc = members[sorted(members)[0]]
    srule = sample["stigs"][0]["rules"][0]

    def same_shape(ours, theirs, where):
        assert set(theirs) <= set(ours), (where, set(theirs) - set(ours))
        for k, v in theirs.items():
            if v is not None and ours[k] is not None:
                assert type(ours[k]) is type(v), (where, k, ours[k], v)

    same_shape(doc, sample, "root")
    same_shape(doc["target_data"], sample["target_data"], "target_data")
    for stig in doc["stigs"]:
        same_shape(stig, sample["stigs"][0], "stig")
        for rule in stig["rules"]:
            same_shape(rule, srule, rule["group_id"])
            assert set(rule) == set(srule)  # the 37 keys, no more
            assert rule["stig_uuid"] == rule["STIGUuid"] == stig["uuid"]
            assert rule["status"] in {"not_reviewed", "not_a_finding", "open", "not_applicable"}
    # the shipped sshd/sysctl controls carry rules of both STIGs (policies/stig/mapping.json)
    assert [st["stig_id"] for st in doc["stigs"]] == ["RHEL_9_STIG", "CAN_Ubuntu_22-04_LTS_STIG"]


def test_one_target_gives_the_checklist_itself(tmp_path):
    db = tmp_path / "one.db"
    r = govscan("scan", "--db", str(db), "-q", "--gate", "none", "--policies",
                str(ROOT / "tests/data/stig/stig-test-controls.yaml"), "-c", "stig-test-pass", "local")
    assert r.returncode == 0, r.stderr
    r = govscan("report", "--db", str(db), "-f", "cklb")
    doc = json.loads(r.stdout)
    assert [(x["group_id"], x["status"]) for x in doc["stigs"][0]["rules"]] == [("V-999001", "not_a_finding")]
    assert "not in this checklist" not in doc["target_data"]["comments"]


def test_a_rule_half_checked_is_not_reviewed(tmp_path):
    """V-260526 needs both sshd controls: with one of them only, never Not a Finding."""
    db = tmp_path / "half.db"
    r = govscan("scan", "--db", str(db), "-q", "--gate", "none", "-c", "host-sshd-no-empty-passwords", "local")
    assert r.returncode == 0, r.stderr
    doc = json.loads(govscan("report", "--db", str(db), "-f", "cklb").stdout)
    [ubuntu] = [st for st in doc["stigs"] if st["stig_id"] == "CAN_Ubuntu_22-04_LTS_STIG"]
    [rule] = ubuntu["rules"]
    assert (rule["group_id"], rule["status"]) == ("V-260526", "not_reviewed")
    assert "Not reviewed: control host-sshd-no-user-environment checks part of this rule" in rule["finding_details"]


def test_scan_without_stig_controls_is_refused(tmp_path):
    db = tmp_path / "plain.db"
    assert govscan("scan", "--db", str(db), "-q", "--gate", "none", "-c", "host-sshd-max-auth-tries", "local").returncode == 0
    r = govscan("report", "--db", str(db), "-f", "cklb", "-o", str(tmp_path / "x.cklb"))
    assert r.returncode == 2
    assert "no control of this scan carries a DISA STIG identity" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "x.cklb").exists()


@pytest.mark.parametrize("statuses, complete, expected", [
    ({"pass"}, True, "not_a_finding"),
    ({"pass", "notapplicable"}, True, "not_a_finding"),
    ({"notapplicable"}, True, "not_applicable"),
    ({"pass", "error"}, True, "not_reviewed"),
    ({"pass", "notchecked"}, True, "not_reviewed"),
    ({"notchecked"}, True, "not_reviewed"),
    ({"pass"}, False, "not_reviewed"),
    (set(), True, "not_reviewed"),
    ({"pass", "waived"}, True, "open"),
    ({"error", "fail"}, False, "open"),
    ({"pass", "mystery"}, True, "not_reviewed"),
])
def test_rule_status(statuses, complete, expected):
    assert rule_status(statuses, complete) == expected


def test_zip_member_names_are_safe():
    from reports.cklb import file_name

    assert file_name(3, "../../etc/passwd", "cklb") == "003-etc_passwd.cklb"
    assert file_name(1, "ssh://a@b:22", "ckl") == "001-ssh_a_b_22.ckl"
    assert file_name(2, "...", "cklb") == "002-target.cklb"


def test_targets_of_another_kind_get_no_checklist(tmp_path):
    """A host STIG says nothing about a network: local plus an nmap XML target gives one checklist."""
    db = tmp_path / "mixed.db"
    nmap_xml = ROOT / "tests" / "network" / "data" / "nmap-7.93-loopback.xml"
    r = govscan("scan", "--db", str(db), "-q", "--gate", "none", "--policies",
                str(ROOT / "tests/data/stig/stig-test-controls.yaml"), "-c", "stig-test-pass", "-c", "net-*",
                "local", f"nmap-xml:{nmap_xml}")
    assert r.returncode == 0, r.stderr
    assert "nmap-xml:" in govscan("findings", "--db", str(db)).stdout  # the network target was scanned
    doc = json.loads(govscan("report", "--db", str(db), "-f", "cklb").stdout)  # one checklist, not a zip
    assert doc["target_data"]["comments"].startswith("govscan scan ") and ", target local" in doc["target_data"]["comments"]
    assert [x["group_id"] for x in doc["stigs"][0]["rules"]] == ["V-999001"]
