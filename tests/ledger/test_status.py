"""`govscan status` through the CLI over real scans of this machine: staleness against the class's
max_age (--as-of), --gate stale, the chain head, POA&M items opening and closing across three scans,
and the fedramp-vdr output valid against FedRAMP's schema."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest

from scanner.store import Store
from tests.ledger.vdr_schema import errors

CONTROL = """\
apiVersion: govscan/v1
kind: Control
metadata:
  id: test-ledger-uid
  version: 1.0.0
  title: The fact script runs with a uid at or above min_uid
  severity: medium
mappings:
  nist-800-53-rev5: [cm-6]
  fedramp-20x: [KSI-MLA-EVC]
target: {provider: host, resource: host.os}
inputs:
- {name: min_uid, type: integer, default: 0}
assert: {key: uid, op: ge, value: {input: min_uid}}
result:
  pass: uid {value}
  fail: 'uid {value} is below {inputs.min_uid}'
"""
CID = "test-ledger-uid"


def govscan(*args, env=None):
    full = {k: v for k, v in os.environ.items() if k != "GOVSCAN_FEDRAMP_PACKAGE_URI"}
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, env=full)


def scan(db, policy, min_uid: int) -> dict:
    """One real `govscan scan local` of the test control; returns the sealed scan row."""
    proc = govscan("scan", "local", "--db", str(db), "--policies", str(policy), "-c", CID, "-q", "--gate", "none",
                   "--input", f"{CID}.min_uid={min_uid}")
    assert proc.returncode == 0, proc.stderr
    return Store(db, create=False).scans(1)[0]


def status(db, policy, *args, env=None):
    return govscan("status", "--db", str(db), "--policies", str(policy), "-c", CID, *args, env=env)


def as_json(proc) -> dict:
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def plus(stamp: str, **delta) -> str:
    t = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) + dt.timedelta(**delta)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture()
def policy(tmp_path):
    path = tmp_path / "ctl.yaml"
    path.write_text(CONTROL)
    return path


def test_four_days_old_is_stale_under_class_c_and_fresh_under_class_b(tmp_path, policy):
    db = tmp_path / "g.db"
    row = scan(db, policy, 0)
    later = plus(row["finished"], days=4)
    c = as_json(status(db, policy, "-p", "fedramp-20x-class-c", "--as-of", later, "-f", "json"))
    b = as_json(status(db, policy, "-p", "fedramp-20x-class-b", "--as-of", later, "-f", "json"))
    (rc,), (rb,) = c["controls"], b["controls"]
    assert (rc["control"], rc["target"], rc["latest_result"]) == (CID, "local:" + os.uname().nodename, "pass")
    assert rc["last_validated"] == rb["last_validated"] == row["finished"]
    assert (rc["state"], rc["stale"], rc["max_age_days"]) == ("stale", True, 3)
    assert (rb["state"], rb["stale"], rb["max_age_days"]) == ("pass", False, 7)
    assert c["class_max_age_rule"] == "FRR.VDR.data.20x.TFR.VDR-TFR-MVX.varies_by_class.c"
    ksi = {k["ksi"]: k for k in c["ksis"]}["KSI-MLA-EVC"]
    assert ksi["state"] == "failing" and ksi["failing"] == [CID]
    # the gate: stale fails under C, passes under B; the table says which
    gate_c = status(db, policy, "-p", "fedramp-20x-class-c", "--as-of", later, "--gate", "stale")
    assert gate_c.returncode == 1
    assert "govscan: gate stale failed: 1 validation stale or failing (1 stale, 0 failing" in gate_c.stderr
    assert f"stale         {CID}" in gate_c.stdout
    gate_b = status(db, policy, "-p", "fedramp-20x-class-b", "--as-of", later, "--gate", "stale")
    assert gate_b.returncode == 0, gate_b.stderr
    assert f"pass          {CID}" in gate_b.stdout
    # a control may ask for fresher evidence than its class (never staler): 1d makes it stale under B
    policy.write_text(CONTROL.replace("target:", "max_age: 1d\ntarget:", 1))
    strict = as_json(status(db, policy, "-p", "fedramp-20x-class-b", "--as-of", later, "-f", "json"))
    assert (strict["controls"][0]["state"], strict["controls"][0]["max_age_days"]) == ("stale", 1)
    # before the scan was sealed the ledger holds nothing: never validated, failing
    before = as_json(status(db, policy, "-p", "fedramp-20x-class-b", "--as-of", plus(row["finished"], days=-1),
                            "-f", "json"))
    assert before["controls"][0]["state"] == "never" and before["chain_head"] is None


def test_status_json_carries_the_chain_head_it_was_computed_from(tmp_path, policy):
    db = tmp_path / "g.db"
    first = scan(db, policy, 0)
    time.sleep(1.1)  # stored times have one-second resolution: the two scans must not finish in the same second
    second = scan(db, policy, 0)
    out = as_json(status(db, policy, "-f", "json"))
    assert out["chain_head"] == {"scan": second["id"], "seq": second["seq"], "status": "complete",
                                 "hash": second["hash"], "finished": second["finished"], "hash_version": 2,
                                 "signature": None}
    assert second["prev_hash"] == first["hash"]
    at_first = as_json(status(db, policy, "-f", "json", "--as-of", first["finished"]))
    assert at_first["chain_head"]["scan"] == first["id"]  # as of then, the first scan was the head
    assert at_first["class"] is None and at_first["class_max_age_days"] == 7  # no profile: Class B rules


def test_bad_as_of_is_a_usage_error(tmp_path, policy):
    db = tmp_path / "g.db"
    scan(db, policy, 0)
    proc = status(db, policy, "--as-of", "next tuesday")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("govscan: error: --as-of 'next tuesday': expected an ISO 8601 date or time "
                                   "such as 2026-12-05 or 2026-12-05T10:00:00Z")


def test_poam_items_open_and_close_across_three_real_scans(tmp_path, policy):
    db = tmp_path / "g.db"
    s1 = scan(db, policy, 1)  # uid 0 < 1: fails
    items = as_json(status(db, policy, "-p", "fedramp-20x-class-c", "--poam", "-f", "json"))["poam"]
    assert [(i["control"], i["status"], i["reason"], i["first_seen"]) for i in items] == \
        [(CID, "open", "fail", s1["finished"])]
    # deadline: first seen + VDR-TFR-PVR Class C, N3 (medium), internet-reachable likely exploitable: 16 days
    assert items[0]["deadline"] == plus(s1["finished"], days=16)
    s2 = scan(db, policy, 1)  # still failing: the same item, first seen unchanged, two results
    (item,) = as_json(status(db, policy, "-p", "fedramp-20x-class-c", "--poam", "-f", "json"))["poam"]
    assert (item["status"], item["first_seen"]) == ("open", s1["finished"])
    assert [(h["scan"], h["result"]) for h in item["history"]] == [(s1["id"], "fail"), (s2["id"], "fail")]
    s3 = scan(db, policy, 0)  # passes again: closed by the third scan
    out = as_json(status(db, policy, "-p", "fedramp-20x-class-c", "--poam", "-f", "json", "--gate", "stale"))
    (item,) = out["poam"]
    assert (item["status"], item["closed"], item["first_seen"]) == ("closed", s3["finished"], s1["finished"])
    assert [(h["scan"], h["result"]) for h in item["history"]] == \
        [(s1["id"], "fail"), (s2["id"], "fail"), (s3["id"], "pass")]
    assert out["controls"][0]["state"] == "pass"
    table = status(db, policy, "-p", "fedramp-20x-class-c", "--poam")
    assert f"{item['id']:<30} closed  {s1['finished']}" in table.stdout
    # the VDR of the same ledger: the item, fully mitigated, valid against FedRAMP's schema
    vdr = status(db, policy, "-p", "fedramp-20x-class-c", "-f", "fedramp-vdr",
                 "--package-uri", "https://agency.example.gov/package/overview")
    doc = json.loads(vdr.stdout)
    assert errors(doc) == []
    (v,) = doc["vulnerabilities"]
    assert v["providerTrackingId"] == item["id"] and v["finalDisposition"] == "Fully Mitigated"
    assert v["detection"]["detectedAt"] == s1["finished"]
    assert doc["reportPeriod"] == {"from": s1["finished"], "to": doc["reportPeriod"]["to"]}
    # ... and stale once the class's 3 days pass with no scan: a new open item, first seen when it expired
    late = as_json(status(db, policy, "-p", "fedramp-20x-class-c", "--poam", "-f", "json",
                          "--as-of", plus(s3["finished"], days=5)))["poam"]
    assert [(i["status"], i["reason"], i["first_seen"]) for i in late] == \
        [("open", "stale", plus(s3["finished"], days=3)), ("closed", "fail", s1["finished"])]


def test_report_fedramp_vdr_is_valid_and_needs_the_package_uri(tmp_path, policy):
    db = tmp_path / "g.db"
    s1 = scan(db, policy, 1)
    proc = govscan("report", "--db", str(db), "-f", "fedramp-vdr")
    assert proc.returncode == 2
    assert "fedramp-vdr needs the certification package overview URI" in proc.stderr
    assert "Traceback" not in proc.stderr
    out = tmp_path / "vdr.json"
    proc = govscan("report", "--db", str(db), "-f", "fedramp-vdr", "-o", str(out),
                   env={"GOVSCAN_FEDRAMP_PACKAGE_URI": "https://agency.example.gov/package"})
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert errors(doc) == []
    (v,) = doc["vulnerabilities"]
    assert v["detection"]["detectedAt"] == s1["finished"] and "finalDisposition" not in v
    assert f"govscan control {CID} (" in v["vulnerabilityDescription"] and " fails on local:" in \
        v["vulnerabilityDescription"]
    assert v["overdueStatus"] == {"isOverdue": False}
    bad = govscan("status", "--db", str(db), "-f", "fedramp-vdr", "--package-uri", "not a uri")
    assert bad.returncode == 2 and "expected an absolute URI" in bad.stderr
    # the same as a report option, like any other format's
    by_option = tmp_path / "vdr-option.json"
    proc = govscan("report", "--db", str(db), "-f", "fedramp-vdr", "-o", str(by_option),
                   "-O", "package-uri=https://agency.example.gov/package")
    assert proc.returncode == 0, proc.stderr
    assert by_option.read_bytes() == out.read_bytes()


def test_a_profile_extending_a_class_keeps_its_class_and_may_tighten_max_age(tmp_path, policy):
    policy.write_text(CONTROL + """---
apiVersion: govscan/v1
kind: Profile
metadata: {id: agency-20x, title: agency tailoring of Class C}
extends: [fedramp-20x-class-c]
max_age: 2d
""")
    db = tmp_path / "g.db"
    row = scan(db, policy, 0)
    out = as_json(status(db, policy, "-p", "agency-20x", "--as-of", plus(row["finished"], days=2, hours=1), "-f", "json"))
    assert out["class"] == "c"
    assert (out["controls"][0]["state"], out["controls"][0]["max_age_days"]) == ("stale", 2)
    listed = govscan("policy", "list", "--policies", str(policy), "-p", "agency-20x")
    assert "FedRAMP 20x Class C KSI coverage" in listed.stdout


def test_html_report_has_the_ledger_section_for_a_20x_scan(tmp_path, policy):
    db = tmp_path / "g.db"
    proc = govscan("scan", "local", "--db", str(db), "--policies", str(policy), "-p", "fedramp-20x-class-c",
                   "-c", CID, "-q", "--gate", "none", "--input", f"{CID}.min_uid=1")
    assert proc.returncode == 0, proc.stderr
    row = Store(db, create=False).scans(1)[0]
    out = tmp_path / "r.html"
    assert govscan("report", "--db", str(db), "-f", "html", "-o", str(out)).returncode == 0
    html = out.read_text()
    section = html[html.index('<section id="ledger">'):]
    section = section[:section.index("</section>")]
    assert f"as of {row['finished']}" in section and row["hash"] in section and "Class C rules" in section
    assert "1 of 1 validations stale or failing (0 stale)" in section and "1 open POA&amp;M items" in section
    assert '<td class="mono">KSI-MLA-EVC</td><td>Evaluating Configurations</td><td>failing</td>' in section
    assert f'<td>fail</td><td class="mono">{CID}</td>' in section
