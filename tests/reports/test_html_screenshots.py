"""The HTML report as a person sees it: on screen and printed to PDF by headless Chromium (issue 13).

A real scan history (the session's non-root real scan, then two more scans of the same targets, one
as root) is rendered through the CLI; Chromium loads it, takes screenshots of the page on screen and
prints it to PDF; the PDF's pages become PNGs (pdftoppm). The pictures land in ``tests/artifacts/``
(git-ignored; ``GOVSCAN_TEST_ARTIFACTS`` moves them) for a person to look at; the assertions check
what can be checked mechanically: the printed PDF carries the evidence that is folded on screen,
the trend shows every scan, each target lists its failing controls, no raw JSON in the gate or facts.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from chromium import Chromium, find_chromium
from realscan import govscan

ARTIFACTS = Path(os.environ.get("GOVSCAN_TEST_ARTIFACTS") or Path(__file__).resolve().parents[1] / "artifacts")


@pytest.fixture(scope="module")
def history(real_scan, tmp_path_factory):
    """Three sealed scans of the same targets; the HTML of the last one."""
    work = tmp_path_factory.mktemp("html-history")
    db = work / "govscan.db"
    shutil.copy(real_scan.db, db)
    args, skip = [], 0
    for i, a in enumerate(real_scan.run.args):
        if skip:
            skip -= 1
            continue
        if a in ("-f", "-o", "-O"):
            skip = 1
            continue
        args.append(str(db) if i and real_scan.run.args[i - 1] == "--db" else a)
    for _ in range(2):
        res = govscan(args + ["-q"], work)
        assert res.returncode in (0, 1), res.stderr
    html = work / "report.html"
    res = govscan(["report", "--db", str(db), "-f", "html", "-o", str(html)], work)
    assert res.returncode == 0, res.stderr
    return html


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium is not installed (tests/run.sh installs the Debian package 'chromium')")
    with Chromium(binary, tmp_path_factory.mktemp("chromium-profile")) as b:
        yield b


def _session(browser: Chromium, url: str) -> tuple[str, str]:
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    browser.send("Page.enable", session=session)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    return target, session


def _eval(browser: Chromium, session: str, expr: str):
    res = browser.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session)
    return res.get("result", {}).get("value")


def _shot(browser: Chromium, session: str, path: Path, selector: str, max_height: int = 2400) -> None:
    rect = _eval(browser, session, f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
                                   " return {x: 0, y: r.top + window.scrollY, w: 1280, h: r.height}; })()")
    clip = {"x": 0, "y": rect["y"], "width": 1280, "height": min(rect["h"], max_height), "scale": 1}
    shot = browser.send("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True},
                        session=session)
    path.write_bytes(base64.b64decode(shot["data"]))


def test_screen_and_print_screenshots(history, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target, session = _session(browser, history.as_uri())
    try:
        _shot(browser, session, ARTIFACTS / "html-screen-top.png", "body", 2600)
        _shot(browser, session, ARTIFACTS / "html-screen-failing.png", "#failing", 2400)
        _shot(browser, session, ARTIFACTS / "html-screen-targets.png", "#targets", 2400)
        facts = _eval(browser, session, "document.querySelector('#targets').innerText")
        provenance = _eval(browser, session, "document.querySelector('#provenance').innerText")
        trend_rows = _eval(browser, session, "document.querySelectorAll('#trend table.trend tbody tr').length")
        folded = _eval(browser, session, "[...document.querySelectorAll('.fold-body')]"
                                         ".filter(e => e.offsetParent !== null).length")
        pdf = browser.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                               "displayHeaderFooter": False}, session=session)
    finally:
        browser.send("Target.closeTarget", {"targetId": target})
    assert trend_rows == 3
    assert folded == 0  # on screen the evidence is folded away ...
    assert "{" not in facts and "pretty name" in facts  # facts as label/value, not JSON
    assert '"fail_on_severity"' not in provenance and "fail on severity" in provenance
    assert "failing control" in facts
    pdf_path = ARTIFACTS / "html-print.pdf"
    pdf_path.write_bytes(base64.b64decode(pdf["data"]))
    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils (pdftotext, pdftoppm) not installed")
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    # ... printed, it is open: the observed evidence of a failing finding is in the PDF's text
    assert re.search(r'observed\s+\{"exists": true', text) or re.search(r'observed\s+\{', text), text[:2000]
    for old in ARTIFACTS.glob("html-print-page-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "4", str(pdf_path),
                    str(ARTIFACTS / "html-print-page")], check=True)
    pages = sorted(ARTIFACTS.glob("html-print-page-*.png"))
    assert len(pages) == 4 and all(p.stat().st_size > 10_000 for p in pages)
