"""HTML renderer: structure, escaping of hostile text, scale limits, golden file, headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lxml import html as lxml_html

from chromium import Chromium, find_chromium
from reports.html import CSP, HtmlRenderer, build_context
from scanfactory import (
    BUCKET_IMG, BUCKET_XSS, FORMULA, TOOL_VERSION, XSS_IMG, XSS_SCRIPT, assert_golden, new_scan, normalise, render,
)

SECTIONS = ["summary", "trend", "coverage", "failing", "controls", "waivers", "exclusions", "targets", "provenance"]


@pytest.fixture(scope="module")
def text(factory_view):
    return render(HtmlRenderer(), factory_view)


@pytest.fixture(scope="module")
def doc(text):
    return lxml_html.fromstring(text)


def _text(el) -> str:
    return " ".join(el.text_content().split())


def test_self_contained_and_script_free(doc):
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp == [CSP] and "default-src 'none'" in CSP
    assert doc.xpath("//script | //img | //iframe | //object | //embed | //link | //form | //base") == []
    for el in doc.iter():
        attrs = [a for a in el.attrib if a.lower().startswith("on")]
        assert attrs == [], (el.tag, attrs)
    refs = doc.xpath("//@href | //@src | //@xlink:href", namespaces={"xlink": "http://www.w3.org/1999/xlink"})
    assert all(r.startswith("#") for r in refs), refs  # only in-page links


def test_hostile_text_shown_as_text(doc, text):
    assert XSS_SCRIPT not in text and XSS_IMG not in text  # never raw in the markup
    cells = [_text(td) for td in doc.xpath("//td")]
    assert any(c.startswith(f"{BUCKET_XSS} (us-west-2)") for c in cells)  # escaped, then read back verbatim
    assert any(c.startswith(f"{BUCKET_IMG} (us-east-1)") for c in cells)
    assert f"web01 {XSS_IMG}" in cells  # target name
    assert any(FORMULA in c for c in cells)


def test_sections_and_summary(doc):
    assert [s.get("id") for s in doc.xpath("//section")] == SECTIONS
    cards = {_text(c.xpath("div")[1]): _text(c.xpath("div")[0]) for c in doc.xpath("//div[contains(@class,'card ')]")}
    assert cards == {"Failed": "6", "Error": "2", "Waived": "1", "Passed": "4", "Not applicable": "1",
                     "Not checked": "1"}
    rows = {_text(r.xpath("th")[0]): [_text(td) for td in r.xpath("td")] for r in doc.xpath("//table[@class='matrix']/tbody/tr")}
    assert rows["Failed"] == ["1", "4", "1", "0", "0", "6"]  # critical high medium low info total


def test_failing_controls_with_evidence_and_remediation(doc):
    articles = doc.xpath("//section[@id='failing']/article")
    assert [a.get("id") for a in articles] == [
        "control-net-no-cleartext-admin-services", "control-aws-s3-encryption-at-rest",
        "control-host-sshd-no-root-login",
    ]  # most severe first
    # a control with only errors is listed in the compact "could not be evaluated" table, not as a failure
    assert doc.xpath("//table[contains(@class,'unevaluated')]//tr/@id") == ["control-host-auditd-enabled"]
    s3 = articles[1]
    assert "Enable default SSE-KMS encryption on the bucket." in _text(s3.xpath(".//div[@class='remediation']")[0])
    assert "NIST SP 800-53 Rev. 5: SC-28, SC-28(1)" in _text(s3)
    rows = {_text(r.xpath("td")[1]): [_text(td) for td in r.xpath("td")] for r in s3.xpath(".//tbody/tr")}
    bad = rows["arn:aws:s3:::open-data-2024 (us-east-1)"]
    assert bad[0] == "fail" and bad[4] == "server_side_encryption.algorithm eq 'aws:kms'" and bad[5].startswith("AES256")
    assert rows["arn:aws:s3:::legacy-open-data-archive (us-east-1)"][0] == "fail WVR-2025-003 expired"
    assert rows[f"{BUCKET_IMG} (us-east-1)"][0] == "waived WVR-2026-014"
    ssh = doc.xpath("//article[@id='control-host-sshd-no-root-login']//tbody/tr")[0]
    assert _text(ssh.xpath(".//div[@class='where']")[0]) == "/etc/ssh/sshd_config:33"  # where it was read


def test_coverage_by_family_and_fedramp(doc):
    fam = {_text(r.xpath("td")[0]): [_text(td) for td in r.xpath("td")] for r in doc.xpath("//table[@class='families']/tbody/tr")}
    assert len(fam) == 20
    sc = fam["SC System and Communications Protection"]
    assert sc[2] == "3" and sc[4:7] == ["0", "3", "0"]  # sc-28, sc-28.1, sc-8 automated; all failing
    ia = fam["IA Identification and Authentication"]
    assert ia[2] == "2" and ia[4:7] == ["1", "1", "0"]  # ia-2.1 passes, ia-2.5 (sshd) fails
    au = fam["AU Audit and Accountability"]
    assert au[4:7] == ["0", "0", "2"]
    assert "FedRAMP Moderate" in _text(doc.xpath("//section[@id='coverage']")[0])


def test_waivers_exclusions_provenance(doc, factory_view):
    waivers = _text(doc.xpath("//section[@id='waivers']")[0])
    assert waivers.index("In force") < waivers.index("WVR-2026-014") < waivers.index("Expired") < waivers.index("WVR-2025-003")
    assert f"Buckets hold only published open data {XSS_SCRIPT}." in waivers
    excl = [[_text(td) for td in tr.xpath("td")] for tr in doc.xpath("//section[@id='exclusions']//tbody/tr")]
    assert excl == [["aws-cloudtrail-kms", "Trails are encrypted by the organisation trail in the management "
                     "account (SSP 10.2).", "agency-fedramp-moderate"]]
    prov = _text(doc.xpath("//section[@id='provenance']")[0])
    for value in (factory_view.id, factory_view.scan["hash"], "agency-fedramp-moderate", "a" * 64,
                  f"govscan {TOOL_VERSION}", "ci-operator", factory_view.controls["host-sshd-no-root-login"].sha256):
        assert value in prov


def test_large_scan_is_paginated_and_capped(tmp_path):
    view = new_scan(tmp_path, bulk=6000)
    ctx = build_context(view, page_size=50, max_rows=300)
    s3 = next(r for r in ctx["attention"] if r.id == "aws-s3-encryption-at-rest")
    assert len(s3.rows) == 300 and len(s3.pages) == 6 and s3.hidden == s3.attention - 300 > 0
    renderer = HtmlRenderer()
    renderer.max_rows = 300
    out = lxml_html.fromstring(render(renderer, view))
    article = out.xpath("//article[@id='control-aws-s3-encryption-at-rest']")[0]
    assert len(article.xpath("./table//tbody/tr")) == 50  # first page open
    assert [_text(s) for s in article.xpath("./div[@class='fold']/label")][0:1] == [
        f"Resources 51–100 of {s3.attention}"]
    assert f"{s3.hidden} more failing, error or waived resources" in _text(article)


def test_golden(factory_view, text):
    assert_golden("html/report.html", normalise(text.replace(TOOL_VERSION, "TOOL-VERSION"), factory_view))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (tests/run.sh installs the Debian package 'chromium')")
    with Chromium(binary, tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


def _artifacts(tmp_path_factory) -> Path:
    path = Path(os.environ.get("GOVSCAN_TEST_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


PROBE = """({
  sections: [...document.querySelectorAll('section[id]')].map(s => s.id),
  scripts: document.scripts.length, images: document.images.length,
  onattrs: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))
            .filter(n => n.startsWith('on')).length,
  failing: document.querySelectorAll('#failing article').length,
  xss: document.body.innerText.includes(%s),
})"""


def test_renders_in_headless_chromium(browser, text, tmp_path_factory):
    out = _artifacts(tmp_path_factory)
    page_file = out / "report.html"
    page_file.write_text(text, encoding="utf-8")
    import json

    page, probe = browser.load(page_file.as_uri(), screenshot=out / "report.png",
                               evaluate=PROBE % json.dumps(XSS_SCRIPT))
    assert page.exceptions == [] and page.console == [] and page.dialogs == []
    assert [e for e in page.log if e.get("level") in ("error", "warning")] == []
    assert page.requests == [page_file.as_uri()]  # the document itself, nothing else
    assert probe == {"sections": SECTIONS, "scripts": 0, "images": 0, "onattrs": 0, "failing": 3, "xss": True}
    assert (out / "report.png").stat().st_size > 10_000
    print(f"screenshot: {out / 'report.png'}")


def test_harness_sees_scripts_requests_and_dialogs(browser, tmp_path):
    """The browser checks can fail: an unprotected page that misbehaves is caught on every count."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><img src='http://127.0.0.1:9/x.png'>"
                   "<script>console.error('boom'); alert('xss'); undefinedFunction();</script></body></html>")
    page, _ = browser.load(bad.as_uri())
    assert [c["type"] for c in page.console] == ["error"]
    assert page.dialogs == ["xss"]
    assert page.exceptions and "undefinedFunction" in str(page.exceptions[0])
    assert "http://127.0.0.1:9/x.png" in page.requests


def test_rich_text_escapes_inside_code_spans_and_escapes():
    """The markdown-ish rendering of messages never lets data become markup: in a code span, after a
    backslash, and in identifiers split for wrapping."""
    from reports.html import ident, rich

    out = str(rich("a `<script>x</script>` b \\<img src=x onerror=y> \\n c <b>"))
    assert "<script>" not in out and "<img" not in out and "<b>" not in out
    assert "<code>&lt;script&gt;x&lt;/script&gt;</code>" in out
    assert str(ident('arn:aws:iam::1:role/<svg onload="x">')).count("<svg") == 0
