"""Every registered report format, written by a real ``govscan scan`` run as a non-root user, read by the
tool that consumes it (issue 9: the HTML renderer and the evidence pack crashed on every scan with an
``error`` finding, so ``scan -f sarif -f html -f junit`` wrote only the SARIF).

The scan (``real_scan`` in conftest.py, built once per session by realscan.py) covers local + an
unreachable host with an active and an expired waiver: pass, fail, error, notapplicable, waived and a
fail under an expired waiver all occur. Consumers: the OASIS SARIF schema and sarif-tools; JUnit.xsd
and junitparser; the official OSCAL schemas and compliance-trestle; the OCSF 1.8 class files; headless
Chromium for the HTML; Python's csv and json readers.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from realscan import ACTIVE_WAIVER, EXPIRED_WAIVER, LAPSED_CONTROL, WAIVED_CONTROL, govscan
from scanner import registry

DATA = Path(__file__).resolve().parent.parent / "data"
BIN = Path(sys.executable).parent


def _rows(scan, sql: str, *args):
    with sqlite3.connect(f"file:{scan.db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def _statuses(scan) -> Counter:
    return Counter(dict(_rows(scan, "SELECT status, count(*) FROM findings GROUP BY status")))


def test_scan_as_non_root_writes_every_registered_format(real_scan):
    assert "Traceback" not in real_scan.run.stderr, real_scan.run.stderr
    assert real_scan.run.returncode == 1, real_scan.run.stderr  # the gate failed; nothing crashed
    formats = registry.names(registry.REPORTS)
    assert {"html", "sarif", "junit", "oscal-ap", "oscal-ar", "oscal-poam", "ocsf", "csv"} <= set(formats)
    for fmt in formats:
        path = real_scan.outputs[fmt]
        assert path.exists() and path.stat().st_size > 200, fmt
        if os.geteuid() == 0:
            assert path.stat().st_uid == 65534, f"{fmt} was not written by the non-root scan"


def test_the_real_scan_holds_every_status(real_scan):
    st = _statuses(real_scan)
    assert {"pass", "fail", "error", "notapplicable", "waived"} <= set(st), st
    waived = _rows(real_scan, "SELECT control_id, resource_id, waiver_id FROM findings WHERE status='waived'")
    assert waived == [(WAIVED_CONTROL, "/etc/passwd", ACTIVE_WAIVER)]
    lapsed = _rows(real_scan, "SELECT control_id, resource_id, status FROM findings WHERE waiver_id=?", EXPIRED_WAIVER)
    assert lapsed == [(LAPSED_CONTROL, "/etc/group", "fail")]
    down = _rows(real_scan, "SELECT DISTINCT status, message FROM findings WHERE target_id=?", real_scan.unreachable)
    assert len(down) == 1 and down[0][0] == "error" and "connection refused" in down[0][1], down
    if os.geteuid() == 0:  # as uid 65534 /etc/shadow cannot be read: error, never pass
        shadow = _rows(real_scan, "SELECT DISTINCT status FROM findings WHERE resource_type='host.shadow' "
                                  "AND target_id LIKE 'local:%'")
        assert ("pass",) not in shadow and ("error",) in shadow


@pytest.fixture(scope="module")
def sarif_doc(real_scan):
    return json.loads(real_scan.outputs["sarif"].read_text(encoding="utf-8"))


def test_sarif_valid_and_what_sarif_tools_summarises(real_scan, sarif_doc):
    import jsonschema

    schema = json.loads((DATA / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    assert [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(sarif_doc)] == []
    st = _statuses(real_scan)
    results = sarif_doc["runs"][0]["results"]
    assert Counter(r["properties"]["status"] for r in results) == {s: st[s] for s in ("fail", "error", "waived")}
    sarif_cli = BIN / "sarif" if (BIN / "sarif").exists() else Path(shutil.which("sarif") or "sarif")
    out = subprocess.run([str(sarif_cli), "summary", str(real_scan.outputs["sarif"])],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "none:" not in out.stdout  # issue 13: 401 passes were summarised as "none: 401"
    levels = Counter(r["level"] for r in results)
    for level, n in levels.items():
        assert f"{level}: {n}" in out.stdout, out.stdout
    assert sum(levels.values()) == st["fail"] + st["error"] + st["waived"]


def test_sarif_every_location_is_physical_and_suppressions_follow_the_waivers(sarif_doc):
    results = sarif_doc["runs"][0]["results"]
    assert all(loc["physicalLocation"]["artifactLocation"]["uri"] for r in results for loc in r["locations"])
    by = {(r["ruleId"], r["properties"]["resource"]): r for r in results}
    assert by[(WAIVED_CONTROL, "/etc/passwd")]["suppressions"][0]["status"] == "accepted"
    assert by[(LAPSED_CONTROL, "/etc/group")]["suppressions"][0]["status"] == "rejected"
    notes = sarif_doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert any("pass" in n["message"]["text"] and "sarif.passes=true" in n["message"]["text"] for n in notes)


def test_junit_valid_and_counted_by_junitparser(real_scan):
    from junitparser import Error, Failure, JUnitXml, Skipped
    from lxml import etree

    path = real_scan.outputs["junit"]
    schema = etree.XMLSchema(etree.parse(str(DATA / "junit" / "JUnit.xsd")))
    assert schema.validate(etree.parse(str(path))), schema.error_log
    kinds: Counter = Counter()
    for suite in JUnitXml.fromfile(str(path)):
        for case in suite:
            for res in case.result:
                kinds[type(res).__name__] += 1
            if not case.result:
                kinds["passed"] += 1
    st = _statuses(real_scan)
    assert kinds[Failure.__name__] == st["fail"]
    assert kinds[Error.__name__] == st["error"]
    assert kinds[Skipped.__name__] == st["waived"] + st["notapplicable"] + st["notchecked"]
    assert kinds["passed"] == st["pass"]


OSCAL_SCHEMAS = {"oscal-ap": "oscal_assessment-plan_schema.json", "oscal-ar": "oscal_assessment-results_schema.json",
                 "oscal-poam": "oscal_poam_schema.json"}


@pytest.mark.parametrize("fmt", sorted(OSCAL_SCHEMAS))
def test_oscal_valid_and_imported_by_compliance_trestle(real_scan, fmt, tmp_path):
    import jsonschema_rs

    doc = json.loads(real_scan.outputs[fmt].read_text(encoding="utf-8"))
    validator = jsonschema_rs.validator_for(json.loads((DATA / "oscal" / OSCAL_SCHEMAS[fmt]).read_text()))
    assert [e.message for e in validator.iter_errors(doc)] == []
    trestle = shutil.which("trestle", path=str(BIN)) or shutil.which("trestle")
    if trestle is None:
        pytest.skip("compliance-trestle is not installed (pip install -e '.[test]')")
    src = tmp_path / {"oscal-ap": "assessment-plan.json", "oscal-ar": "assessment-results.json",
                      "oscal-poam": "poam.json"}[fmt]
    shutil.copy(real_scan.outputs[fmt], src)
    ws = tmp_path / "workspace"
    ws.mkdir()
    assert subprocess.run([trestle, "init"], cwd=ws, capture_output=True, text=True, timeout=120).returncode == 0
    res = subprocess.run([trestle, "import", "-f", str(src), "-o", "govscan"], cwd=ws, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    imported = list(ws.glob("*/govscan/*.json"))
    assert len(imported) == 1, res.stdout + res.stderr
    res = subprocess.run([trestle, "validate", "-f", str(imported[0])], cwd=ws, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0 and "VALID" in res.stdout, res.stdout + res.stderr


def test_oscal_names_the_system_and_references_resolve_in_place(real_scan):
    ar = json.loads(real_scan.outputs["oscal-ar"].read_text())["assessment-results"]
    resources = {r["uuid"] for r in ar["back-matter"]["resources"]}
    assert ar["import-ap"]["href"][1:] in resources
    assert not any("href" in e for o in ar["results"][0]["observations"] for e in o.get("relevant-evidence", []))
    poam = json.loads(real_scan.outputs["oscal-poam"].read_text())["plan-of-action-and-milestones"]
    assert poam["system-id"] == {"identifier-type": "http://fedramp.gov/ns/oscal", "id": "F00000001"}
    titles = [i["title"] for i in poam["poam-items"]]
    counts = _statuses(real_scan)
    n_unassessed = counts["error"] + counts.get("notchecked", 0)
    assert f"{n_unassessed} results could not be evaluated" in titles and "No open items" not in titles


def test_html_opens_in_chromium_with_every_failing_control(real_scan, tmp_path):
    from chromium import Chromium, find_chromium

    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (tests/run.sh installs the Debian package 'chromium')")
    path = tmp_path / "report.html"
    shutil.copy(real_scan.outputs["html"], path)
    (tmp_path / "profile").mkdir()
    probe = ("[[...document.querySelectorAll('#failing article')].map(a => a.id),"
             " [...document.querySelectorAll('#failing table.unevaluated tr[id]')].map(a => a.id)]")
    with Chromium(binary, tmp_path / "profile") as browser:
        page, (cards, unevaluated) = browser.load(path.as_uri(), evaluate=probe)
    assert page.exceptions == [] and page.console == [] and page.requests == [path.as_uri()]
    failing = {c for (c,) in _rows(real_scan, "SELECT DISTINCT control_id FROM findings "
                                              "WHERE status IN ('fail','waived')")}
    errors = {c for (c,) in _rows(real_scan, "SELECT DISTINCT control_id FROM findings WHERE status='error'")}
    assert sorted(cards) == sorted(f"control-{c}" for c in failing)
    assert sorted(unevaluated) == sorted(f"control-{c}" for c in errors - failing)


def test_csv_json_ocsf_and_text_formats_carry_every_finding(real_scan):
    from ocsf_validator import validate_event

    n = sum(_statuses(real_scan).values())
    with open(real_scan.outputs["csv"], newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n and Counter(r["status"] for r in rows) == _statuses(real_scan)
    doc = json.loads(real_scan.outputs["json"].read_text(encoding="utf-8"))
    assert len(doc["findings"]) == n
    events = json.loads(real_scan.outputs["ocsf"].read_text(encoding="utf-8"))
    assert events and all(validate_event(e) == [] for e in events)
    for fmt in ("table", "markdown"):
        text = real_scan.outputs[fmt].read_text(encoding="utf-8")
        if fmt == "markdown":  # markdown escapes its special characters
            text = text.replace("\\", "")
        assert LAPSED_CONTROL in text and real_scan.unreachable in text, fmt


def test_evidence_pack_of_the_real_scan_signs_and_verifies(real_scan, tmp_path):
    key = tmp_path / "key"
    assert govscan(["keys", "generate", "-o", str(key), "-q"], tmp_path).returncode == 0
    pack = tmp_path / "pack.zip"
    res = govscan(["evidence", "pack", "--db", str(real_scan.db), "--sign", str(key) + ".key", "-o", str(pack)],
                  tmp_path)
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    res = govscan(["evidence", "verify", str(pack), "--pubkey", str(key) + ".pub"], tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
