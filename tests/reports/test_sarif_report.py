"""SARIF renderer: valid against the OASIS 2.1.0 schema, DESIGN.md section 6 mapping, golden file."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reports.catalog import fingerprint
from reports.sarif import FINGERPRINT_KEY, SarifRenderer
from scanfactory import (
    ACCOUNT, BUCKET_IMG, BUCKET_LAPSED, BUCKET_XSS, DOWN, EXPECTED, TOOL_VERSION, XSS_SCRIPT, assert_golden, build_scan,
    normalise, render,
)
from scanner.store import Store

SCHEMA = Path(__file__).resolve().parent.parent / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


@pytest.fixture(scope="module")
def doc(factory_view):
    return json.loads(render(SarifRenderer(), factory_view))


def _errors(validator, doc):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_valid_against_official_schema(validator, doc):
    assert _errors(validator, doc) == []


def test_validator_rejects_a_broken_document(validator, doc):
    broken = json.loads(json.dumps(doc))
    broken["runs"][0]["results"][0]["kind"] = "failed"  # not a SARIF kind
    del broken["runs"][0]["tool"]["driver"]["name"]
    errors = _errors(validator, broken)
    assert any("results/0/kind" in e for e in errors) and any("'name' is a required property" in e for e in errors)


def _by_resource(doc):
    return {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]): r for r in doc["runs"][0]["results"]}


def test_one_result_per_finding_with_kind_per_design(doc):
    kinds = {"pass": "pass", "fail": "fail", "waived": "fail", "error": "review",
             "notapplicable": "notApplicable", "notchecked": "open"}
    results = doc["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"], r["kind"]) for r in results] == [
        (c, rid, kinds[s]) for c, rid, s in EXPECTED
    ]
    for r in results:
        assert (r["level"] != "none") == (r["kind"] == "fail"), r


def test_fail_level_and_evidence_in_message(doc):
    r = _by_resource(doc)[("aws-s3-encryption-at-rest", BUCKET_XSS)]
    assert r["level"] == "error"  # high severity
    assert r["message"]["text"] == (f"{XSS_SCRIPT}: no default encryption "
                                    "(expected server_side_encryption.algorithm eq 'aws:kms'; found (missing))")
    ssh = _by_resource(doc)[("host-sshd-no-root-login", "web01:sshd")]
    assert ssh["level"] == "warning" and ssh["properties"]["found"] == "yes"
    loc = r["locations"][0]["logicalLocations"][0]
    assert loc == {"name": BUCKET_XSS, "fullyQualifiedName": f"{ACCOUNT}/{BUCKET_XSS}", "kind": "resource"}


def test_waived_is_accepted_suppression_and_expired_is_rejected(doc):
    waived = _by_resource(doc)[("aws-s3-encryption-at-rest", BUCKET_IMG)]
    assert waived["kind"] == "fail"
    [sup] = waived["suppressions"]
    assert (sup["kind"], sup["status"], sup["properties"]["waiver"]) == ("external", "accepted", "WVR-2026-014")
    assert sup["properties"]["poam"] == "V-2026-0042"
    lapsed = _by_resource(doc)[("aws-s3-encryption-at-rest", BUCKET_LAPSED)]
    [sup] = lapsed["suppressions"]
    assert sup["status"] == "rejected" and sup["justification"].startswith("waiver WVR-2025-003 expired on 2025-06-30")
    unwaived = [r for r in doc["runs"][0]["results"] if "suppressions" not in r and r["kind"] == "fail"]
    assert len(unwaived) == sum(1 for _, _, s in EXPECTED if s == "fail") - 1


def test_errors_become_tool_notifications(doc):
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["descriptor"]["id"], n["locations"][0]["logicalLocations"][0]["name"]) for n in notes] == [
        ("host-sshd-no-root-login", DOWN), ("host-auditd-enabled", "ssh://admin@web01:22/host.auditd"),
    ]
    assert notes[0]["message"]["text"] == "db01: host key verification failed (key not in known_hosts)"


def test_rules_carry_framework_tags_and_nist_taxonomy(doc):
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    s3 = rules["aws-s3-encryption-at-rest"]
    assert {"nist-800-53-rev5/sc-28", "fedramp-rev5/sc-28.1", "cis-aws-3.0/2.1.1"} <= set(s3["properties"]["tags"])
    assert s3["defaultConfiguration"]["level"] == "error"
    assert s3["properties"]["security-severity"] == "8.0"
    assert "Remediation: Enable default SSE-KMS encryption on the bucket." in s3["help"]["text"]
    taxa = run["taxonomies"][0]["taxa"]
    targets = [taxa[rel["target"]["index"]]["id"] for rel in s3["relationships"]]
    assert targets == ["sc-28", "sc-28.1"]
    assert taxa[s3["relationships"][1]["target"]["index"]]["name"] == "SC-28(1)"
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_fingerprints_stable_across_scans(tmp_path, doc):
    store = Store(tmp_path / "two.db")
    a, b = build_scan(store), build_scan(store)
    fps = []
    for sid in (a, b):
        d = json.loads(render(SarifRenderer(), store.view(sid)))
        fps.append([r["partialFingerprints"][FINGERPRINT_KEY] for r in d["runs"][0]["results"]])
    assert fps[0] == fps[1]
    assert len(set(fps[0])) == len(fps[0])  # distinct findings never collide
    assert fps[0][0] == fingerprint("aws-s3-encryption-at-rest", ACCOUNT, "arn:aws:s3:::agency-logs")
    store.close()


def test_golden(factory_view):
    text = render(SarifRenderer(), factory_view).replace(f'"{TOOL_VERSION}"', '"TOOL-VERSION"')
    assert_golden("sarif/report.sarif", normalise(text, factory_view))
