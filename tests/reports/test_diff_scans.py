"""`govscan diff A B`: every category on known keys, the gates, and hostile names in every format."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scanfactory import (
    BUCKET_BAD,
    BUCKET_FORMULA,
    BUCKET_IMG,
    BUCKET_LAPSED,
    BUCKET_XSS,
    DOWN,
    WEB,
    _control_row,
    _findings,
    _target_rows,
    _waiver_rows,
    build_scan,
)

from scanner import diff as lib
from scanner.model import ScanStatus, Severity, Status
from scanner.store import Store, canonical

GOLDEN = Path(__file__).parent / "golden" / "diff"
S3, SSH, NET = "aws-s3-encryption-at-rest", "host-sshd-no-root-login", "net-no-cleartext-admin-services"
ROOT = "arn:aws:iam::123456789012:root"
NEW_BUCKET = "arn:aws:s3:::new|bucket<img src=x onerror=alert(1)>\n`x`\x1b[2J"


def _build_b(store: Store) -> str:
    """The factory scan, a week later: see EXPECTED for what changed."""
    out = []
    for f in _findings():
        key = (f.control_id, f.resource_id)
        if key == (S3, BUCKET_BAD):
            f = dataclasses.replace(f, status=Status.PASS, message="open-data-2024: encrypted with aws:kms")
        elif key == (S3, BUCKET_FORMULA):
            f = dataclasses.replace(f, status=Status.WAIVED, waiver_id="WVR-2026-020")
        elif key == (S3, BUCKET_IMG):
            f = dataclasses.replace(f, status=Status.FAIL, message="legacy-open-data: waiver WVR-2026-014 expired")
        elif key == (SSH, "web01:sshd"):
            f = dataclasses.replace(f, severity=Severity.HIGH)
        elif key == (NET, "127.0.0.1:23/tcp"):
            continue
        elif key == ("aws-iam-root-mfa", ROOT):
            f = dataclasses.replace(f, status=Status.ERROR, message="iam: AccessDenied on GetAccountSummary")
        out.append(f)
    out.append(dataclasses.replace(out[1], resource_id=NEW_BUCKET, status=Status.FAIL,
                                   message=f"{NEW_BUCKET}: no default encryption"))
    sid = store.begin_scan(profile="agency-fedramp-moderate", profile_sha256="a" * 64, tool_version="0.1.0")
    store.add_rows("targets", _target_rows(sid))
    from scanfactory import _CONTROLS

    store.add_rows("controls", [_control_row(sid, c) for c in _CONTROLS])
    waivers = _waiver_rows(sid)
    waivers[0] = {**waivers[0], "state": "expired", "expires": "2026-01-01"}   # WVR-2026-014 lapsed
    doc = {"metadata": {"id": "WVR-2026-020"}, "expires": "2099-01-01"}
    waivers.append({"scan_id": sid, "id": "WVR-2026-020", "state": "active", "expires": "2099-01-01",
                    "sha256": __import__("hashlib").sha256(canonical(doc).encode()).hexdigest(),
                    "document": canonical(doc)})
    store.add_rows("waivers", waivers)
    store.add_findings(sid, out)
    store.finish_scan(sid, ScanStatus.COMPLETE)
    return sid


EXPECTED = {
    "new": {("aws-iam-root-mfa", ROOT), (S3, NEW_BUCKET)},
    "waiver-expired": {(S3, BUCKET_IMG)},
    "severity-changed": {(SSH, "web01:sshd")},
    "still-failing": {(S3, BUCKET_XSS), (S3, BUCKET_LAPSED), (SSH, DOWN), ("host-auditd-enabled", f"{WEB}/host.auditd")},
    "newly-waived": {(S3, BUCKET_FORMULA)},
    "fixed": {(S3, BUCKET_BAD)},
    "not-assessed": {(NET, "127.0.0.1:23/tcp")},
}


@pytest.fixture(scope="module")
def two_scans(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, str, str]:
    store = Store(tmp_path_factory.mktemp("diff") / "govscan.db")
    a = build_scan(store)
    return store, a, _build_b(store)


@pytest.fixture(scope="module")
def result(two_scans) -> lib.Diff:
    store, a, b = two_scans
    return lib.diff(store.view(a), store.view(b))


def test_every_category_holds_exactly_the_expected_keys(result):
    got = {cat: {(c.control_id, c.resource_id) for c in result.changes[cat]} for cat in lib.CATEGORIES}
    assert got == EXPECTED
    assert result.unchanged == 5     # three passes, the notapplicable and the notchecked
    sev = result.changes["severity-changed"][0]
    assert (sev.before.severity, sev.after.severity) == ("medium", "high")
    expired = result.changes["waiver-expired"][0]
    assert (expired.before.status, expired.after.status, expired.after.waiver_state) == ("waived", "fail", "expired")
    assert result.changes["new"][0].resource_id == ROOT   # critical sorts before high


def test_classify_edge_cases():
    s = lib.Side
    lapsed = s("fail", "high", "m", "W1", "expired")
    assert lib.classify(s("fail", "high", "m", "W1", "expired"), lapsed) == "still-failing"  # same lapse
    assert lib.classify(s("fail", "high", "m", None, None), lapsed) == "waiver-expired"     # lapsed since
    assert lib.classify(None, s("error", "low", "m", None, None)) == "new"                  # error never passes
    assert lib.classify(s("fail", "low", "m", None, None), s("notchecked", "low", "m", None, None)) == "not-assessed"
    assert lib.classify(s("pass", "low", "m", None, None), s("notapplicable", "low", "m", None, None)) is None


def test_gates(result, two_scans):
    assert lib.gate(result, "new") == (False, "3 new failure(s)")
    assert lib.gate(result, "high") == (False, "5 failing result(s) at or above high, 3 error(s)")
    assert lib.gate(result, "critical") == (False, "0 failing result(s) at or above critical, 3 error(s)")
    assert lib.gate(result, "none") == (True, "no gate")
    store, a, _ = two_scans
    same = lib.diff(store.view(a), store.view(a))
    assert lib.gate(same, "new") == (True, "no new failures")
    only_fixed = lib.Diff({}, {"id": "b", "status": "complete"})
    only_fixed.changes["fixed"] = result.changes["fixed"]
    only_fixed.changes["newly-waived"] = result.changes["newly-waived"]
    assert lib.gate(only_fixed, "info") == (True, "nothing failing at or above info, no errors")
    # an interrupted scan B proves nothing: its missing findings are not "fixed"
    cut_short = lib.Diff({}, {"id": "bbbbbbbb-1", "status": "interrupted"})
    cut_short.changes["fixed"] = result.changes["fixed"]
    assert lib.gate(cut_short, "new") == (False, "scan B bbbbbbbb is interrupted, not complete: nothing to gate on")
    with pytest.raises(Exception, match="expected none, new or a severity"):
        lib.gate(result, "hgih")


def test_markdown_is_a_safe_pull_request_comment(result):
    out = io.StringIO()
    lib.render_markdown(result, out, lib.gate(result, "new"))
    text = out.getvalue()
    assert "**Gate FAILED**: 3 new failure(s)" in text
    body = text.split("**Gate", 1)[1]          # after the header's own code spans
    assert "\x1b" not in text and re.search(r"(?<!\\)[<`]", body) is None   # no HTML, no code-span breakout
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Control")
            and not line.startswith("| New failures") and not line.startswith("| 2 ")]
    assert len(rows) == 11     # one row per changed key
    for line in rows:
        assert len(re.findall(r"(?<!\\)\|", line)) == 7, line   # 6 cells: a name cannot add a column


def test_table_and_json_keep_terminals_safe(result):
    table, js = io.StringIO(), io.StringIO()
    lib.render_table(result, table)
    lib.render_json(result, js, lib.gate(result, "new"))
    assert "\x1b" not in table.getvalue() and "\\x1b[2J" in table.getvalue()
    doc = json.loads(js.getvalue())
    assert doc["summary"]["new"] == 2 and doc["gate"] == {"passed": False, "reason": "3 new failure(s)"}
    assert NEW_BUCKET in {c["resource_id"] for c in doc["changes"]["new"]}   # JSON keeps the exact id


def test_markdown_golden(result, two_scans):
    _, a, b = two_scans
    out = io.StringIO()
    lib.render_markdown(result, out, lib.gate(result, "new"))
    text = out.getvalue().replace(a[:12], "SCAN-A").replace(b[:12], "SCAN-B")
    path = GOLDEN / "diff.md"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"{path} was missing and has been written; check it in")
    assert text == path.read_text(encoding="utf-8")


def _cli(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from scanner.cli import main; sys.argv[0] = 'govscan'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=dict(os.environ))


def test_cli_exit_codes(two_scans):
    store, a, b = two_scans
    db = str(store.path)
    r = _cli("diff", a, b, "--db", db, "--gate", "new", "-f", "json")
    assert r.returncode == 1 and json.loads(r.stdout)["gate"]["passed"] is False
    r = _cli("diff", a, a, "--db", db, "--gate", "new", "-q")
    assert (r.returncode, r.stdout) == (0, "")
    r = _cli("diff", "latest~1", "--db", db, "--gate", "none", "-f", "markdown")   # B defaults to latest
    assert r.returncode == 0 and "#### New failures (2)" in r.stdout
    r = _cli("diff", a, b, "--db", db, "--gate", "bogus")
    assert r.returncode == 2 and "--gate 'bogus': expected none, new or a severity" in r.stderr
    r = _cli("diff", "nosuchscan", b, "--db", db)
    assert r.returncode == 2 and "no scan matches 'nosuchscan'" in r.stderr and "Traceback" not in r.stderr
