"""OCSF renderer: Compliance Finding events checked against the OCSF 1.8 class/object files."""

from __future__ import annotations

import copy
import json

import pytest

from ocsf_validator import validate_event
from reports.catalog import fingerprint
from reports.ocsf import OcsfRenderer
from scanfactory import (
    ACCOUNT, BUCKET_IMG, BUCKET_LAPSED, BUCKET_XSS, EXPECTED, TOOL_VERSION, XSS_SCRIPT, assert_golden, normalise,
    render,
)


@pytest.fixture(scope="module")
def events(factory_view):
    return json.loads(render(OcsfRenderer(), factory_view))


def test_every_event_passes_the_validator(events):
    assert events
    assert {i: validate_event(e) for i, e in enumerate(events) if validate_event(e)} == {}


@pytest.mark.parametrize("mutate, message", [
    (lambda e: e.pop("finding_info"), "event.finding_info: required by compliance_finding"),
    (lambda e: e.pop("compliance"), "event.compliance: required by compliance_finding"),
    (lambda e: e["finding_info"].pop("uid"), "event.finding_info.uid: required by finding_info"),
    (lambda e: e["compliance"].update(status_id=4), "event.compliance.status_id: 4 not in [1, 2, 3]"),
    (lambda e: e["compliance"].update(status="Passed"), "event.compliance.status: 'Passed' is not the caption"),
    (lambda e: e.update(type_uid=200399), "event.type_uid: 200399, expected class_uid * 100 + activity_id"),
    (lambda e: e.update(class_uid=2001), "event.class_uid: 2001, expected 2003"),
    (lambda e: e.update(time="2026-01-01"), "event.time: expected int, got str"),
    (lambda e: e["metadata"].pop("product"), "event.metadata.product: required by metadata"),
    (lambda e: e["compliance"].update(colour="red"), "event.compliance.colour: not an attribute of compliance"),
    (lambda e: e["compliance"]["checks"][0].update(status_id=7), "event.compliance.checks[0].status_id: 7 not in"),
    (lambda e: e.update(remediation={"references": []}), "event.remediation.desc: required by remediation"),
])
def test_validator_catches(events, mutate, message):
    event = copy.deepcopy(events[1])
    mutate(event)
    assert any(err.startswith(message) for err in validate_event(event)), validate_event(event)


def test_status_mapping_and_notapplicable_omitted(events):
    expected = [(c, rid, s) for c, rid, s in EXPECTED if s != "notapplicable"]
    got = [(e["compliance"]["control"], e["resources"][0]["uid"], e["status_code"]) for e in events]
    assert got == expected
    ids = {"pass": 1, "fail": 3, "waived": 3, "error": 2, "notchecked": 2}
    for e in events:
        assert e["compliance"]["status_id"] == ids[e["status_code"]]
        assert (e["status_id"], e["status"]) == ((3, "Suppressed") if e["status_code"] == "waived" else (1, "New"))


def _event(events, resource):
    return next(e for e in events if e["resources"][0]["uid"] == resource)


def test_failing_event_content(events):
    e = _event(events, BUCKET_XSS)
    assert (e["class_uid"], e["category_uid"], e["type_uid"], e["severity_id"]) == (2003, 2, 200301, 4)
    assert e["message"] == f"{XSS_SCRIPT}: no default encryption"  # JSON string: escaped by the encoder
    assert e["finding_info"]["uid"] == fingerprint("aws-s3-encryption-at-rest", ACCOUNT, BUCKET_XSS)
    assert e["compliance"]["standards"] == ["CIS AWS Foundations Benchmark 3.0", "FedRAMP Rev. 5",
                                            "NIST SP 800-53 Rev. 5"]
    assert "NIST SP 800-53 Rev. 5 SC-28(1)" in e["compliance"]["requirements"]
    assert e["compliance"]["status_details"][:2] == ["expected: server_side_encryption.algorithm eq 'aws:kms'",
                                                     "found: (missing)"]
    assert e["remediation"] == {"desc": "Enable default SSE-KMS encryption on the bucket."}
    assert e["resources"][0] == {"uid": BUCKET_XSS, "type": "aws.s3.bucket", "region": "us-west-2",
                                 "group": {"name": ACCOUNT}}
    assert e["metadata"]["product"] == {"name": "govscan", "vendor_name": "govscan", "version": TOOL_VERSION}


def test_waivers(events):
    assert "waiver WVR-2026-014 (active, expires 2099-02-28)" in _event(events, BUCKET_IMG)["compliance"]["status_details"]
    lapsed = _event(events, BUCKET_LAPSED)
    assert lapsed["status"] == "New" and lapsed["compliance"]["status"] == "Fail"
    assert "waiver WVR-2025-003 (expired, expires 2025-06-30)" in lapsed["compliance"]["status_details"]


def test_golden(factory_view, events):
    stable = copy.deepcopy(events)
    for e in stable:
        e["time"] = e["finding_info"]["created_time"] = 0
        e["metadata"]["product"]["version"] = e["finding_info"]["product"]["version"] = "TOOL-VERSION"
    text = json.dumps(stable, indent=1, ensure_ascii=False) + "\n"
    assert_golden("ocsf/report.ocsf.json", normalise(text, factory_view))
