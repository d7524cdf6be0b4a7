"""``--oscal-version 1.1.2``: assessment results and POA&M of a real scan valid against the official
OSCAL 1.1.2 schemas (tests/data/oscal-1.1.2) and loaded by compliance-trestle."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema_rs
import pytest

from stigscan import ROOT, govscan, real_scan

DATA = ROOT / "tests" / "data"
SCHEMAS = {
    ("1.1.2", "ar"): DATA / "oscal-1.1.2" / "oscal_assessment-results_schema.json",
    ("1.1.2", "poam"): DATA / "oscal-1.1.2" / "oscal_poam_schema.json",
    ("1.1.3", "ar"): DATA / "oscal" / "oscal_assessment-results_schema.json",
    ("1.1.3", "poam"): DATA / "oscal" / "oscal_poam_schema.json",
}


def _validator(version: str, kind: str):
    return jsonschema_rs.validator_for(json.loads(SCHEMAS[(version, kind)].read_text()))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("oscal-112")
    db, _down = real_scan(folder)
    out = {}
    for version in ("1.1.2", "1.1.3"):
        args = ["--oscal-version", version] if version == "1.1.2" else []
        r = govscan("report", "--db", str(db), *args, "-f", "oscal-ar", "-o", str(folder / f"ar-{version}.json"),
                    "-f", "oscal-poam", "-o", str(folder / f"poam-{version}.json"), "-f", "sarif",
                    "-o", str(folder / f"x-{version}.sarif"))
        assert r.returncode == 0, r.stderr
        out[version] = {k: folder / f"{k}-{version}.json" for k in ("ar", "poam")}
    return folder, db, out


def test_schema_ids_are_the_official_1_1_2_ones():
    for kind, short in (("ar", "ar"), ("poam", "poam")):
        schema = json.loads(SCHEMAS[("1.1.2", kind)].read_text())
        assert schema["$id"] == f"http://csrc.nist.gov/ns/oscal/1.1.2/oscal-{short}-schema.json"


def test_valid_against_the_schemas_of_their_version(written):
    _folder, _db, out = written
    for version, files in out.items():
        for kind, path in files.items():
            doc = json.loads(path.read_text())
            (root,) = doc
            assert doc[root]["metadata"]["oscal-version"] == version
            assert [e.message for e in _validator(version, kind).iter_errors(doc)] == [], (version, kind)
    # the 1.1.2 validator rejects what its schema forbids
    bad = json.loads(out["1.1.2"]["ar"].read_text())
    del bad["assessment-results"]["results"][0]["observations"][0]["collected"]
    assert ['"collected" is a required property'] == [e.message for e in _validator("1.1.2", "ar").iter_errors(bad)]


def test_only_the_version_differs(written):
    _folder, _db, out = written
    for kind in ("ar", "poam"):
        a, b = (json.loads(out[v][kind].read_text()) for v in ("1.1.2", "1.1.3"))
        (root,) = a
        a[root]["metadata"]["oscal-version"] = "1.1.3"
        assert a == b


def test_loaded_by_compliance_trestle(written):
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.poam import PlanOfActionAndMilestones

    _folder, _db, out = written
    ar = AssessmentResults.oscal_read(Path(out["1.1.2"]["ar"]))
    poam = PlanOfActionAndMilestones.oscal_read(Path(out["1.1.2"]["poam"]))
    assert ar.metadata.oscal_version.root.root == "1.1.2"
    assert len(ar.results[0].observations) == len(json.loads(out["1.1.2"]["ar"].read_text())
                                                  ["assessment-results"]["results"][0]["observations"])
    assert poam.metadata.oscal_version.root.root == "1.1.2" and poam.poam_items


def test_scan_writes_1_1_2_too(written, tmp_path):
    r = govscan("scan", "--db", str(tmp_path / "s.db"), "-q", "--gate", "none", "-c", "host-sshd-use-pam",
                "--oscal-version", "1.1.2", "-f", "oscal-poam", "-o", str(tmp_path / "poam.json"), "local")
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "poam.json").read_text())
    assert doc["plan-of-action-and-milestones"]["metadata"]["oscal-version"] == "1.1.2"
    assert list(_validator("1.1.2", "poam").iter_errors(doc)) == []


def test_unknown_version_is_a_usage_error(written, tmp_path):
    _folder, db, _out = written
    r = govscan("report", "--db", str(db), "--oscal-version", "1.0.4", "-f", "oscal-ar")
    assert r.returncode == 2 and "1.0.4" in r.stderr and "Traceback" not in r.stderr
