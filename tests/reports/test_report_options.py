"""``-O/--report-option``: how a renderer option reaches a renderer, and every way to get it wrong."""

from __future__ import annotations

import json

import pytest

from realscan import govscan


@pytest.mark.parametrize("option,message", [
    ("sarif.nope=1", "sarif has no option 'nope' (its options: max-results, passes)"),
    ("junit.passes=true", "format 'junit' is not among the -f formats"),
    ("colour=red", "no selected format (sarif) has option 'colour'"),
    ("passes", "expected [FORMAT.]NAME=VALUE"),
])
def test_bad_report_options_are_usage_errors(real_scan, tmp_path, option, message):
    res = govscan(["report", "--db", str(real_scan.db), "-f", "sarif", "-o", "x.sarif", "-O", option], tmp_path)
    assert res.returncode == 2 and message in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert not (tmp_path / "x.sarif").exists()


def test_bad_option_on_scan_is_refused_before_scanning(tmp_path):
    res = govscan(["scan", "local", "--db", str(tmp_path / "g.db"), "-f", "sarif", "-o", "x.sarif",
                   "-O", "sarif.passes=maybe", "-c", "host-file-passwd"], tmp_path)
    assert res.returncode == 2 and "expected true or false" in res.stderr, res.stderr
    assert not (tmp_path / "g.db").exists()  # nothing was scanned or stored


def test_unscoped_option_reaches_every_format_that_has_it(real_scan, tmp_path):
    res = govscan(["report", "--db", str(real_scan.db), "-f", "oscal-poam", "-o", "p.json", "-f", "sarif",
                   "-o", "s.sarif", "-f", "oscal-ap", "-o", "ap.json", "-O", "system-id=F09999999",
                   "-O", "ssp=https://ssp.example/ssp.json", "-O", "sarif.passes=yes"], tmp_path)
    assert res.returncode == 0, res.stderr
    poam = json.loads((tmp_path / "p.json").read_text())["plan-of-action-and-milestones"]
    assert poam["system-id"]["id"] == "F09999999" and poam["import-ssp"]["href"] == "https://ssp.example/ssp.json"
    ap = json.loads((tmp_path / "ap.json").read_text())["assessment-plan"]
    assert ap["import-ssp"] == {"href": "https://ssp.example/ssp.json"}
    sarif = json.loads((tmp_path / "s.sarif").read_text())
    assert {r["properties"]["status"] for r in sarif["runs"][0]["results"]} >= {"pass", "notapplicable"}
