"""CSV renderer: one row per finding, formula injection neutralised, golden file."""

from __future__ import annotations

import csv
import io

import pytest


from reports.csvout import COLUMNS, CsvRenderer, safe_cell
from scanfactory import assert_golden, render
from scanfactory import BUCKET_FORMULA, BUCKET_LAPSED, BUCKET_XSS, CSV_PREFIXES, EXPECTED, FORMULA, normalise


@pytest.fixture(scope="module")
def rows(factory_view):
    text = render(CsvRenderer(), factory_view)
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("  =1+1", "'  =1+1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("safe=1", "safe=1"),
    ("arn:aws:s3:::b", "arn:aws:s3:::b"), (None, ""), (42, "42"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_one_row_per_finding_in_order(rows):
    assert [(r["control_id"], r["resource_id"], r["status"]) for r in rows] == [
        (c, ("'" + rid) if rid.startswith(("=", "+", "-", "@")) else rid, s) for c, rid, s in EXPECTED
    ]
    assert list(rows[0]) == list(COLUMNS)


def test_no_cell_starts_with_a_formula_character(rows):
    for row in rows:
        for col, value in row.items():
            assert not value.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), (col, value)


def test_hostile_text_survives_as_text(rows):
    by_resource = {r["resource_id"]: r for r in rows}
    formula_row = by_resource[BUCKET_FORMULA]  # "arn:..." prefix: already safe, kept verbatim
    assert formula_row["message"] == "'" + f"{FORMULA}: encryption is AES256"
    assert formula_row["found"] == "'" + FORMULA
    assert by_resource[BUCKET_XSS]["message"].startswith("<script>")  # CSV is not HTML: kept as data
    ssh_pass = next(r for r in rows if r["control_id"] == "host-sshd-no-root-login" and r["status"] == "pass")
    assert CSV_PREFIXES[1] in ssh_pass["message"]  # in the middle of a cell: harmless, kept


def test_evidence_waiver_and_mappings(rows):
    by_resource = {r["resource_id"]: r for r in rows}
    lapsed = by_resource[BUCKET_LAPSED]
    assert (lapsed["status"], lapsed["waiver_id"], lapsed["waiver_state"]) == ("fail", "WVR-2025-003", "expired")
    assert lapsed["expected"] == "server_side_encryption.algorithm eq 'aws:kms'"
    assert lapsed["found"] == "AES256"
    assert lapsed["nist_800_53"] == "sc-28 sc-28.1"
    assert lapsed["other_mappings"] == "cis-aws-3.0: 2.1.1"
    waived = [r for r in rows if r["status"] == "waived"]
    assert [(r["waiver_id"], r["waiver_state"]) for r in waived] == [("WVR-2026-014", "active")]
    err = next(r for r in rows if r["control_id"] == "host-auditd-enabled")
    assert err["found"] == "auditctl -s: Permission denied (sudo -n not allowed)"


def test_golden(factory_view):
    assert_golden("csv/report.csv", normalise(render(CsvRenderer(), factory_view), factory_view))
