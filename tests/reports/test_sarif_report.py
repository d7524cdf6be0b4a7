"""SARIF renderer: valid against the OASIS 2.1.0 schema, DESIGN.md section 6 mapping, golden file."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest

from reports.catalog import fingerprint
from reports.sarif import FINGERPRINT_KEY, SarifRenderer
from scanfactory import (
    ACCOUNT, BUCKET_IMG, BUCKET_LAPSED, BUCKET_XSS, DOWN, EXPECTED, TOOL_VERSION, XSS_SCRIPT, assert_golden, build_scan,
    new_scan,
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
    return {(r["ruleId"], r["properties"]["resource"]): r for r in doc["runs"][0]["results"]}


@pytest.fixture(scope="module")
def all_doc(factory_view):
    return json.loads(render(SarifRenderer({"passes": "true"}), factory_view))


def test_by_default_only_results_needing_attention(doc):
    """fail (expired waiver included), error, waived; passes and the rest only counted (issue 13)."""
    kinds = {"fail": "fail", "waived": "fail", "error": "fail"}
    results = doc["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"]["resource"], r["kind"]) for r in results] == [
        (c, rid, kinds[s]) for c, rid, s in EXPECTED if s in kinds
    ]
    assert all(r["level"] in ("error", "warning", "note") for r in results)
    notes = [n["message"]["text"] for n in doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    n_pass = sum(1 for *_, s in EXPECTED if s == "pass")
    assert any(t.startswith(f"Not emitted (no attention needed): 1 notchecked, {n_pass} pass") for t in notes), notes


def test_passes_option_emits_one_result_per_finding_with_kind_per_design(all_doc, validator):
    assert _errors(validator, all_doc) == []
    kinds = {"pass": "pass", "fail": "fail", "waived": "fail", "error": "fail",
             "notapplicable": "notApplicable", "notchecked": "open"}
    results = all_doc["runs"][0]["results"]
    assert [(r["ruleId"], r["properties"]["resource"], r["kind"]) for r in results] == [
        (c, rid, kinds[s]) for c, rid, s in EXPECTED
    ]
    for r in results:
        assert (r["level"] != "none") == (r["kind"] == "fail"), r


def test_report_option_errors_are_usage_errors(factory_view):
    from scanner.errors import UsageError

    with pytest.raises(UsageError, match="no option 'pass'"):
        SarifRenderer({"pass": "true"})
    with pytest.raises(UsageError, match="expected true or false"):
        SarifRenderer({"passes": "maybe"})
    with pytest.raises(UsageError, match="expected 1 to 25000"):
        SarifRenderer({"max-results": "30000"})


def test_fail_level_and_evidence_in_message(doc):
    r = _by_resource(doc)[("aws-s3-encryption-at-rest", BUCKET_XSS)]
    assert r["level"] == "error"  # high severity
    assert r["message"]["text"] == (f"{XSS_SCRIPT}: no default encryption "
                                    "(expected server_side_encryption.algorithm eq 'aws:kms'; found (missing))")
    ssh = _by_resource(doc)[("host-sshd-no-root-login", "web01:sshd")]
    assert ssh["level"] == "warning" and ssh["properties"]["found"] == "yes"
    loc = r["locations"][0]
    assert loc["logicalLocations"] == [{"name": ACCOUNT, "fullyQualifiedName": ACCOUNT, "kind": "target"},
                                       {"name": BUCKET_XSS, "fullyQualifiedName": f"{ACCOUNT}/{BUCKET_XSS}",
                                        "kind": "resource"}]
    # no file is known for an S3 bucket: the artifact is the resource itself, under the TARGETS base
    assert loc["physicalLocation"]["artifactLocation"] == {
        "uri": f"{quote(ACCOUNT, safe='')}/{quote(BUCKET_XSS, safe='')}", "uriBaseId": "TARGETS"}


def test_a_finding_with_evidence_locations_points_at_the_file_and_line(doc):
    r = _by_resource(doc)[("host-sshd-no-root-login", "web01:sshd")]
    assert r["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "ssh%3A%2F%2Fadmin%40web01%3A22/etc/ssh/sshd_config", "uriBaseId": "TARGETS"},
        "region": {"startLine": 33}}
    assert r["locations"][0]["logicalLocations"][1]["fullyQualifiedName"] == "ssh://admin@web01:22/web01:sshd"


def test_physical_locations_from_evidence_locations():
    from reports.sarif import physical_locations

    ev = {"locations": [{"attribute": "permitrootlogin", "path": "/etc/ssh/sshd_config", "line": 33},
                        {"attribute": "permitrootlogin", "path": "/etc/ssh/sshd_config", "line": 33},
                        {"attribute": "ports", "path": "scans/dmz.xml", "line": 12}]}
    assert physical_locations("ssh://admin@web01:22", "sshd", ev) == [
        {"physicalLocation": {"artifactLocation": {"uri": "ssh%3A%2F%2Fadmin%40web01%3A22/etc/ssh/sshd_config",
                                                   "uriBaseId": "TARGETS"}, "region": {"startLine": 33}},
         "message": {"text": "permitrootlogin read here"}},
        {"physicalLocation": {"artifactLocation": {"uri": "scans/dmz.xml"}, "region": {"startLine": 12}},
         "message": {"text": "ports read here"}},
    ]


def test_waived_is_accepted_suppression_and_expired_is_rejected(doc):
    waived = _by_resource(doc)[("aws-s3-encryption-at-rest", BUCKET_IMG)]
    assert waived["kind"] == "fail"
    [sup] = waived["suppressions"]
    assert (sup["kind"], sup["status"], sup["properties"]["waiver"]) == ("external", "accepted", "WVR-2026-014")
    assert sup["properties"]["poam"] == "V-2026-0042"
    lapsed = _by_resource(doc)[("aws-s3-encryption-at-rest", BUCKET_LAPSED)]
    [sup] = lapsed["suppressions"]
    assert sup["status"] == "rejected" and sup["justification"].startswith("waiver WVR-2025-003 expired on 2025-06-30")
    unwaived = [r for r in doc["runs"][0]["results"] if "suppressions" not in r and r["properties"]["status"] == "fail"]
    assert len(unwaived) == sum(1 for _, _, s in EXPECTED if s == "fail") - 1


def test_errors_are_failing_results_and_one_notification_per_cause(doc):
    errors = [r for r in doc["runs"][0]["results"] if r["properties"]["status"] == "error"]
    assert [(r["ruleId"], r["properties"]["resource"], r["kind"]) for r in errors] == [
        ("host-sshd-no-root-login", DOWN, "fail"), ("host-auditd-enabled", "ssh://admin@web01:22/host.auditd", "fail")]
    assert errors[0]["message"]["text"].startswith("Could not be evaluated: ")
    notes = [n for n in doc["runs"][0]["invocations"][0]["toolExecutionNotifications"] if n["level"] == "error"]
    assert [n["descriptor"]["id"] for n in notes] == ["host-sshd-no-root-login", "host-auditd-enabled"]
    assert notes[0]["message"]["text"] == f"{DOWN}: db01: host key verification failed (key not in known_hosts)"


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
        d = json.loads(render(SarifRenderer({"passes": "true"}), store.view(sid)))
        fps.append([r["partialFingerprints"][FINGERPRINT_KEY] for r in d["runs"][0]["results"]])
    assert fps[0] == fps[1]
    assert len(set(fps[0])) == len(fps[0])  # distinct findings never collide
    assert fps[0][0] == fingerprint("aws-s3-encryption-at-rest", ACCOUNT, "arn:aws:s3:::agency-logs")
    store.close()


def test_golden(factory_view):
    text = render(SarifRenderer(), factory_view).replace(f'"{TOOL_VERSION}"', '"TOOL-VERSION"')
    assert_golden("sarif/report.sarif", normalise(text, factory_view))


def test_large_scan_stays_within_github_code_scanning_limits(tmp_path, validator):
    """GitHub's documented limits (docs/reports.md): 10 MB gzipped, 25,000 results per run (5,000 shown),
    25,000 rules, 20 runs, 10 tags per rule shown, 100 locations per result shown. A scan with more
    results needing attention than GitHub shows is truncated by severity, deterministically, and says so."""
    import gzip

    from reports.catalog import SEVERITY_RANK
    from reports.sarif import MAX_RESULTS

    view = new_scan(tmp_path, bulk=15_000)
    attention = sum(1 for f in view.findings(status=["fail", "error", "waived"]))
    assert attention > MAX_RESULTS
    text = render(SarifRenderer(), view)
    assert render(SarifRenderer(), view) == text  # deterministic
    assert len(gzip.compress(text.encode("utf-8"))) < 10 * 1024 * 1024
    doc = json.loads(text)
    assert _errors(validator, doc) == []
    assert len(doc["runs"]) <= 20
    run = doc["runs"][0]
    assert len(run["results"]) == MAX_RESULTS
    assert len(run["tool"]["driver"]["rules"]) <= 25_000
    assert all(len(r["properties"]["tags"]) <= 10 for r in run["tool"]["driver"]["rules"])
    assert all(1 <= len(r["locations"]) <= 100 for r in run["results"])
    kept = {r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"]}
    dropped = [f for f in view.findings(status=["fail", "error", "waived"])
               if fingerprint(f["control_id"], f["target_id"], f["resource_id"]) not in kept]
    assert len(dropped) == attention - MAX_RESULTS
    lowest_kept = min(SEVERITY_RANK[r["properties"]["severity"]] for r in run["results"])
    assert all(SEVERITY_RANK[f["severity"]] <= lowest_kept for f in dropped)  # most severe first
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any(t.startswith(f"Results truncated to {MAX_RESULTS}") and f"{len(dropped)} lower-severity" in t
               for t in notes), notes
