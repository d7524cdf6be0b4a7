"""Heimdall Data Format (``-f hdf``) from a real scan: valid against MITRE's HDF schema, read by
``saf view summary`` and ``saf validate threshold``, and shown by Heimdall Lite in headless Chromium."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import threading
import time
import zipfile
from pathlib import Path

import jsonschema
import pytest

from chromium import Chromium, find_chromium
from stigscan import ROOT, STIG_CONTROLS, govscan, heimdall_dist, node_bin, real_scan, saf

SCHEMA = json.loads((ROOT / "tests" / "data" / "hdf" / "exec-json.json").read_text())


@pytest.fixture(scope="module")
def hdf(tmp_path_factory):
    """HDF files of a scan of the test controls only (deterministic counts): local, unreachable."""
    folder = tmp_path_factory.mktemp("hdf-scan")
    db, down = real_scan(folder)
    only = folder / "only.db"
    waiver = folder / "waiver.yaml"
    r = govscan("scan", "--db", str(only), "-q", "--gate", "none", "--policies", str(STIG_CONTROLS), "-w", str(waiver),
                "-c", "stig-test-*", "local", down)
    assert r.returncode == 0, r.stderr
    paths = {}
    for name, store in (("full", db), ("only", only)):
        r = govscan("report", "--db", str(store), "-f", "hdf", "-o", str(folder / f"{name}.zip"))
        assert r.returncode == 0, r.stderr
        with zipfile.ZipFile(folder / f"{name}.zip") as zf:
            names = sorted(zf.namelist())
            assert len(names) == 2 and all(n.endswith(".json") for n in names)
            for n in names:
                (folder / name).mkdir(exist_ok=True)
                (folder / name / n).write_bytes(zf.read(n))
            paths[name] = [folder / name / n for n in names]
    return folder, paths


def _controls(path: Path) -> dict:
    doc = json.loads(path.read_text())
    [profile] = doc["profiles"]
    return {c["id"]: c for c in profile["controls"]}


def test_valid_against_the_hdf_schema(hdf):
    _folder, paths = hdf
    validator = jsonschema.Draft7Validator(SCHEMA)
    for path in paths["full"] + paths["only"]:
        assert [e.message for e in validator.iter_errors(json.loads(path.read_text()))] == [], path
    # the validator does reject a broken document
    bad = json.loads(paths["only"][0].read_text())
    bad["profiles"][0]["controls"][0]["results"][0]["status"] = "pass"
    del bad["platform"]
    assert len(list(validator.iter_errors(bad))) == 2


def test_results_statuses_impact_waiver_and_tags(hdf):
    _folder, paths = hdf
    local, down = (_controls(p) for p in paths["only"])
    assert [r["status"] for r in local["stig-test-pass"]["results"]] == ["passed"]
    assert [r["status"] for r in local["stig-test-fail"]["results"]] == ["failed"]
    assert [r["status"] for r in local["stig-test-waived"]["results"]] == ["failed"]  # a waiver is no pass
    assert "WVR-STIG-1: Accepted for the test" in local["stig-test-waived"]["waiver_data"]["justification"]
    assert local["stig-test-waived"]["waiver_data"]["run"] is True
    na = local["stig-test-na"]
    assert na["impact"] == 0 and [r["status"] for r in na["results"]] == ["skipped"]
    assert na["results"][0]["skip_message"].startswith("not applicable:")
    assert local["stig-test-fail"]["impact"] == 0.7 and local["stig-test-waived"]["impact"] == 0.3
    assert local["stig-test-fail"]["tags"]["nist"] == ["AC-6", "CM-6"]
    assert local["stig-test-fail"]["tags"]["gid"] == "V-999002"
    assert "expected: uid eq 1" in local["stig-test-fail"]["results"][0]["message"]
    assert {r["status"] for c in down.values() for r in c["results"]} == {"error"}
    full_local = _controls(paths["full"][0])
    assert full_local["host-sshd-no-empty-passwords"]["tags"]["stig_id"] == "UBTU-22-255025"


@pytest.fixture(scope="module")
def have_saf():
    if node_bin("saf") is None:
        pytest.skip("MITRE SAF CLI not installed (tests/run.sh installs npm @mitre/saf)")


def test_saf_view_summary(hdf, have_saf):
    folder, paths = hdf
    r = saf("view", "summary", "-i", str(paths["only"][0]), "-f", "json", cwd=folder)
    [summary] = json.loads(r.stdout)
    assert summary["compliance"] == 33  # 1 passed of 3 (the not applicable one does not count)
    assert summary["passed"]["medium"] == 1 and summary["passed"]["total"] == 1
    assert summary["failed"]["high"] == 1 and summary["failed"]["low"] == 1 and summary["failed"]["total"] == 2
    assert summary["no_impact"]["total"] == 1 and summary["error"]["total"] == 0
    r = saf("view", "summary", "-i", str(paths["only"][1]), "-f", "json", cwd=folder)
    [down] = json.loads(r.stdout)
    assert down["error"]["total"] == 4 and down["passed"]["total"] == 0 and down["compliance"] == 0


def test_saf_validate_threshold(hdf, have_saf, tmp_path):
    folder, paths = hdf
    ok = tmp_path / "ok.yml"
    ok.write_text("compliance:\n  min: 33\npassed:\n  total:\n    min: 1\nfailed:\n  total:\n    max: 2\n"
                  "error:\n  total:\n    max: 0\n")
    r = saf("validate", "threshold", "-i", str(paths["only"][0]), "-T", str(ok), cwd=folder)
    assert r.returncode == 0 and "All validation tests passed" in r.stdout, r.stdout + r.stderr
    strict = tmp_path / "strict.yml"
    strict.write_text("compliance:\n  min: 34\n")
    r = saf("validate", "threshold", "-i", str(paths["only"][0]), "-T", str(strict), cwd=folder)
    assert r.returncode != 0 and "compliance minimum was not satisfied" in r.stdout + r.stderr
    r = saf("validate", "threshold", "-i", str(paths["only"][1]), "-T", str(ok), cwd=folder)
    assert r.returncode != 0  # the unreachable target can never meet a threshold


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_heimdall_lite_shows_the_controls(hdf, tmp_path):
    dist, binary = heimdall_dist(), find_chromium()
    if dist is None or binary is None:
        pytest.skip("Heimdall Lite (npm @mitre/heimdall-lite) or chromium not installed (tests/run.sh installs both)")
    _folder, paths = hdf
    out = Path(os.environ.get("GOVSCAN_TEST_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(dist)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    (tmp_path / "profile").mkdir()
    try:
        with Chromium(binary, tmp_path / "profile") as b:
            target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Page", "DOM", "Network"):
                b.send(f"{domain}.enable", session=s)
            # loopback only: Heimdall's update check and any other outside request is blocked
            b.send("Network.setBlockedURLs", {"urls": ["https://*", "ws://*", "wss://*", "ftp://*"]}, session=s)
            b.send("Emulation.setDeviceMetricsOverride",
                   {"width": 1400, "height": 1500, "deviceScaleFactor": 1, "mobile": False}, session=s)
            b.send("Page.navigate", {"url": f"http://127.0.0.1:{server.server_address[1]}/"}, session=s)
            b.wait_event("Page.loadEventFired", s)

            def js(expr: str):
                res = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=s)
                return res.get("result", {}).get("value")

            deadline = time.monotonic() + 60
            while not js("document.querySelectorAll('input[type=file]').length") and time.monotonic() < deadline:
                time.sleep(0.5)
            root = b.send("DOM.getDocument", {"depth": -1, "pierce": True}, session=s)["root"]["nodeId"]
            node = b.send("DOM.querySelector", {"nodeId": root, "selector": "input[type=file]"}, session=s)["nodeId"]
            b.send("DOM.setFileInputFiles", {"nodeId": node, "files": [str(paths["only"][0])]}, session=s)
            while "stig-test-waived" not in (js("document.body.innerText") or "") and time.monotonic() < deadline:
                time.sleep(0.5)
            js("[...document.querySelectorAll('*')].find(e => !e.children.length && "
               "e.textContent.trim() == 'Results View Data').scrollIntoView()")
            time.sleep(2)
            text = js("document.body.innerText") or ""
            shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
            (out / "heimdall.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        server.shutdown()
        server.server_close()
    for cid in ("stig-test-pass", "stig-test-fail", "stig-test-waived", "stig-test-na"):
        assert cid in text
    assert "Passed: 1" in text and "Failed: 2" in text and "Not Applicable: 1" in text
    assert (out / "heimdall.png").stat().st_size > 20_000
    print(f"screenshot: {out / 'heimdall.png'}")
