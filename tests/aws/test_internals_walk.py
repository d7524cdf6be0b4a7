"""docs/internals.md walks one finding from YAML to SQLite to OSCAL in 8 files: the walk is run here,
on the seeded moto account, and the files and names it cites exist."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from .conftest import Seeded

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "internals.md").read_text()
WALK = DOC[DOC.index("## One finding, from YAML to SQLite to OSCAL (8 files)"):]


def test_the_walk_cites_eight_files_that_exist_and_the_names_it_uses():
    files = re.findall(r"^\d\. `([^`]+)`", WALK, re.M)
    assert len(files) == 8 and len(set(files)) == 8
    assert all((ROOT / f).is_file() for f in files), files
    from checks.aws.s3 import S3Bucket, collect_buckets
    from reports.oscal import OscalBuilder
    from scanner import engine, evaluate
    from scanner.store import Store
    from scanner.store_view import ScanView

    names = {a.name for a in S3Bucket.attributes}
    assert {"versioning_enabled", "Versioning", "Name"} <= names and "s3:GetBucketVersioning" in S3Bucket.permissions
    assert S3Bucket.build is collect_buckets and S3Bucket.regional is False
    for obj, attr in ((engine, "plan"), (engine, "collect_target"), (engine, "evaluate_target"),
                      (evaluate, "evaluate_control"), (evaluate._Evaluator, "on_resource"), (Store, "add_findings"),
                      (Store, "finish_scan"), (Store, "control_results"), (ScanView, "findings"),
                      (OscalBuilder, "_observation")):
        assert hasattr(obj, attr), attr


def test_the_walk_on_moto(seeded: Seeded, tmp_path):
    from scanner import registry
    from scanner.engine import ScanRequest, run_scan
    from scanner.store import Store
    from scanner.store_view import ControlRecord, Evidence, FindingRecord

    store = Store(tmp_path / "scan.db")
    outcome = run_scan(ScanRequest(targets=["aws:///us-east-1"], controls=["aws-s3-versioning"]), store)
    view = store.view(outcome.scan_id)
    f = next(f for f in view.findings() if f.resource_id == "arn:aws:s3:::gs-logs")
    assert isinstance(f, FindingRecord)
    assert (f.control_id, f.status, f.waiver_state) == ("aws-s3-versioning", "fail", None)
    assert f.message == "Bucket gs-logs versioning is never enabled" and f"(\"{f.message}\")" in WALK
    ev = view.evidence(f.evidence_sha256)
    assert isinstance(ev, Evidence) and set(ev.observed) == {"Name", "Versioning"}
    out = io.StringIO()
    registry.report("oscal-ar")().render(view, out)
    result = json.loads(out.getvalue())["assessment-results"]["results"][0]
    obs = next(o for o in result["observations"] if o["title"] == "aws-s3-versioning on arn:aws:s3:::gs-logs: fail")
    assert obs["description"].startswith(f.message)
    assert any(x["title"] == "cp-9: not-satisfied" for x in result["findings"])
    c = view.controls["aws-s3-versioning"]  # the control as it ran, read from its snapshot once
    assert isinstance(c, ControlRecord) and c.nist == ("cp-9", "cp-10") and c.rationale and c.remediation.text
    risk = next(r for r in result["risks"] if r["title"].startswith("aws-s3-versioning:"))
    assert f"Rationale: {c.rationale}" in risk["statement"].replace("\\", "")
    assert risk["remediations"][0]["description"].replace("\\", "") == c.remediation.text
