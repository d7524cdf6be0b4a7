"""JUnit renderer: valid against JUnit.xsd, one testcase per control and resource, golden file."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from reports.junit import JunitRenderer, xml_attr, xml_text
from scanfactory import (
    ANSI, BUCKET_IMG, BUCKET_LAPSED, BUCKET_XSS, CDATA_END, EXPECTED, XSS_SCRIPT, assert_golden, normalise, render,
)

XSD = Path(__file__).resolve().parent.parent / "data" / "junit" / "JUnit.xsd"


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.fixture(scope="module")
def text(factory_view):
    return render(JunitRenderer(), factory_view)


@pytest.fixture(scope="module")
def root(text):
    return etree.fromstring(text.encode("utf-8"))


def test_valid_against_xsd(schema, root):
    assert schema.validate(root), schema.error_log


def test_xsd_rejects_a_broken_document(schema, root):
    broken = etree.fromstring(etree.tostring(root))
    case = broken.find(".//testcase")
    del case.attrib["classname"]
    assert not schema.validate(broken)
    assert "classname" in str(schema.error_log)


def _case_name(resource, target):
    return resource if resource == target else f"{resource} [{target}]"


def test_one_testcase_per_control_and_resource(root):
    got = []
    for case in root.iter("testcase"):
        child = case[0].tag if len(case) else "pass"
        got.append((case.get("classname"), case.get("name"), child))
    outcome = {"pass": "pass", "fail": "failure", "error": "error", "waived": "skipped",
               "notapplicable": "skipped", "notchecked": "skipped"}
    # XML 1.0 cannot hold ESC: the renderer writes it as a visible \x1b.
    expected_cases = sorted((c, rid.replace("\x1b", "\\x1b"), outcome[s]) for c, rid, s in EXPECTED)
    assert sorted((c, n.split(" [")[0], o) for c, n, o in got) == expected_cases


def test_suite_counts(root):
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    s3 = suites["aws-s3-encryption-at-rest"]
    assert (s3.get("tests"), s3.get("failures"), s3.get("errors"), s3.get("skipped")) == ("6", "4", "0", "1")
    ssh = suites["host-sshd-no-root-login"]
    assert (ssh.get("tests"), ssh.get("failures"), ssh.get("errors")) == ("3", "1", "1")
    props = {p.get("name"): p.get("value") for p in s3.iter("property")}
    assert props["mapping.nist-800-53-rev5"] == "sc-28 sc-28.1" and props["severity"] == "high"
    assert [int(s.get("id")) for s in root.iter("testsuite")] == list(range(len(suites)))


def _case(root, control, resource_prefix):
    return next(c for c in root.iter("testcase")
                if c.get("classname") == control and c.get("name").startswith(resource_prefix))


def test_failure_carries_evidence_and_remediation(root):
    fail = _case(root, "aws-s3-encryption-at-rest", BUCKET_XSS).find("failure")
    assert fail.get("message") == f"{XSS_SCRIPT}: no default encryption"
    assert fail.get("type") == "high"
    assert "expected: server_side_encryption.algorithm eq 'aws:kms'\nfound: (missing)" in fail.text
    assert "remediation: Enable default SSE-KMS encryption on the bucket." in fail.text
    lapsed = _case(root, "aws-s3-encryption-at-rest", BUCKET_LAPSED).find("failure")
    assert "waiver WVR-2025-003 expired on 2025-06-30: it no longer applies" in lapsed.text
    err = _case(root, "host-auditd-enabled", "ssh://").find("error")
    assert "found: auditctl -s: Permission denied (sudo -n not allowed)" in err.text


def test_skipped_reasons(root):
    waived = _case(root, "aws-s3-encryption-at-rest", BUCKET_IMG).find("skipped")
    assert waived.get("message").startswith("waived by WVR-2026-014 (expires 2099-02-28): ")
    na = _case(root, "host-tmp-noexec", "ssh://").find("skipped")
    assert na.get("message") == "not applicable: web01: /tmp is not a separate mount"


def test_hostile_text_round_trips_and_control_chars_are_visible(root, text):
    names = [c.get("name") for c in root.iter("testcase")]
    assert f"{BUCKET_XSS} [aws:123456789012]" in names  # parsed back exactly: escaped, not interpreted
    assert "web01:sshd]]>\\x1b[31mred\\x1b[0m [ssh://admin@web01:22]" in names
    assert "\x1b" not in text and "<script>" not in text and "<img" not in text
    assert xml_text(CDATA_END + ANSI + "<&>") == "]]&gt;\\x1b[31mred\\x1b[0m&lt;&amp;&gt;"
    tricky = 'a"b\n<c>'
    assert etree.fromstring("<t a=" + xml_attr(tricky) + "/>").get("a") == tricky


def test_golden(factory_view, text):
    assert_golden("junit/report.xml", normalise(text, factory_view))
