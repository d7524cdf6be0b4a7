"""Batch inserts of findings (the store's hot path): what goes in reads back identically, in order,
each row hashed with the documented formula, and verify-db finds the chain intact."""

import hashlib
import json
import os
import subprocess
import sys

import scanner.store as store_mod
from scanner.model import Finding, ScanStatus, Severity, Status
from scanner.store import Store


def _reference_hash(row):
    """The finding hash formula as documented, written out independently of the store's code."""
    cols = ("control_id", "target_id", "resource_id", "resource_type", "region", "status", "severity",
            "message", "evidence_sha256", "waiver_id", "time")
    text = "".join("-;" if row[k] is None else f"{len(str(row[k]))}:{row[k]};" for k in cols)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _findings():
    out = []
    for i, (status, severity) in enumerate((s, v) for s in Status for v in Severity):
        out.append(Finding(
            control_id=f"ctl-{i % 4}", target_id="local:t" if i % 2 else "aws:123456789012",
            resource_id=f"res-{i}-é", resource_type="host.files", status=status, severity=severity,
            message=f"message {i}: ünïcode; 12:colons;-;", region=None if i % 3 else "us-east-1",
            evidence={"observed": {"n": i, "z": [1, 2.5, None]}, "a": "x"} if i % 5 else {},
            waiver_id="WVR-1" if status is Status.WAIVED else None))
    return out


def test_batch_insert_reads_back_identically_with_every_status(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "BATCH", 7)  # 30 findings: five batches of 7 and one of 2
    findings = _findings()
    assert {f.status for f in findings} == set(Status) and len(findings) == 30
    store = Store(tmp_path / "g.db")
    sid = store.begin_scan(profile="p", profile_sha256="x", tool_version="0")
    assert store.add_findings(sid, iter(findings)) == 30
    digest = store.finish_scan(sid, ScanStatus.COMPLETE)

    view = store.view(sid)
    rows = list(view.findings())
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)  # insertion order is the chain order
    for f, row in zip(findings, rows, strict=True):
        assert (row["control_id"], row["target_id"], row["resource_id"], row["resource_type"], row["region"],
                row["status"], row["severity"], row["message"], row["waiver_id"]) == (
            f.control_id, f.target_id, f.resource_id, f.resource_type, f.region, f.status.value,
            f.severity.value, f.message, f.waiver_id)
        assert row["hash"] == _reference_hash(row)
        if f.evidence:
            assert view.evidence(row["evidence_sha256"]) == f.evidence
            assert row["evidence_sha256"] == hashlib.sha256(
                json.dumps(f.evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
        else:
            assert row["evidence_sha256"] is None
    assert view.counts()["waived"] == {s.value: 1 for s in Severity}
    # the scan hash covers every finding hash in id order
    assert store.scan_digest(store.scan_row(sid)) == digest
    store.close()

    code = "import sys; from scanner.cli import main; sys.argv[0] = 'govscan'; main()"
    ok = subprocess.run([sys.executable, "-c", code, "verify-db", "--db", str(tmp_path / "g.db")],
                        capture_output=True, text=True, env=dict(os.environ))
    assert ok.returncode == 0 and "chain intact: 1 scans, 30 findings" in ok.stdout, ok.stdout + ok.stderr


def test_interleaved_scans_read_back_their_own_findings_in_order_without_a_sort(tmp_path, monkeypatch):
    from scanner.integrity import verify_db
    from scanner.store_read import findings_in_order

    monkeypatch.setattr(store_mod, "BATCH", 4)
    store = Store(tmp_path / "g.db")
    a = store.begin_scan(profile="a", profile_sha256="x", tool_version="0")
    b = store.begin_scan(profile="b", profile_sha256="x", tool_version="0")
    fs = _findings()
    for i in range(0, 30, 5):  # two writers taking turns: the ids of a and b interleave
        store.add_findings(a, fs[i:i + 5])
        store.add_findings(b, fs[i:i + 3])
    store.finish_scan(a, ScanStatus.COMPLETE)
    store.finish_scan(b, ScanStatus.COMPLETE)
    got_a = [r["resource_id"] for r in store.view(a).findings()]
    got_b = [r["resource_id"] for r in store.view(b).findings()]
    assert got_a == [f.resource_id for f in fs]
    assert got_b == [f.resource_id for i in range(0, 30, 5) for f in fs[i:i + 3]]
    assert verify_db(store).problems == []
    assert [r[0] for r in findings_in_order(store.conn, "no-such-scan", "id")] == []
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    list(store.view(a).findings())
    store.conn.set_trace_callback(None)
    plans = [str(store.conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
             for sql in statements if "FROM findings" in sql]
    assert plans and not [p for p in plans if "TEMP B-TREE" in p]  # walked in rowid order, never sorted
    # an edited finding of b is still found by verify-db after the interleaving
    store.conn.execute("UPDATE findings SET status = 'pass' WHERE scan_id = ? AND status = 'fail'", (b,))
    problems = verify_db(store).problems
    assert problems and all(f"scan {b}" in p for p in problems)


def test_stored_row_hashes_equal_the_formula_for_every_kind_of_value(tmp_path):
    """The batch writer builds each row's hash inline (pieces cached per batch); verify-db recomputes it
    with finding_hash from the stored row: both must agree for NULLs, empty strings, non-ASCII and
    length-prefix look-alikes, repeated and unique values."""
    from scanner.model import Finding, ScanStatus, Severity, Status
    from scanner.store import Store, finding_hash

    store = Store(str(tmp_path / "g.db"))
    sid = store.begin_scan(profile="p", profile_sha256="0" * 64, tool_version="t")
    odd = ["", "3:ab;", "é—☃", "a;b", "-;", "x" * 300]
    findings = [Finding(f"c-{i % 3}", odd[i % 6], odd[(i + 1) % 6] or "r", odd[(i + 2) % 6], Status.FAIL,
                        Severity.HIGH, odd[(i + 3) % 6], {"k": odd[i % 6]} if i % 2 else {},
                        region=None if i % 3 else odd[(i + 4) % 6], waiver_id=None if i % 4 else odd[(i + 5) % 6])
                for i in range(60)]
    assert store.add_findings(sid, findings) == 60
    store.finish_scan(sid, ScanStatus.COMPLETE)
    cur = store.conn.execute("SELECT * FROM findings WHERE scan_id = ?", (sid,))
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur]
    assert len(rows) == 60 and all(r["hash"] == finding_hash(r) for r in rows)
    from scanner.integrity import verify_db

    report = verify_db(store)
    assert (report.problems, report.findings) == ([], 60)


def test_evidence_text_is_canonical_json_and_orjson_only_where_documented():
    """evidence_json (orjson) writes what canonical_json writes for every value evidence holds in
    practice; the documented differences are exponent floats and NaN; what orjson refuses (big integers) falls back."""
    from scanner.model import canonical_json, evidence_json

    corpus = [
        {"observed": {"permitrootlogin": "no", "port": [22, 2222]}, "expected": "eq 'no'", "found": "yes"},
        {"z": 1, "a": {"y": None, "b": [True, False, 0, -1, 2.5, 0.1, 100.0, 123456789.125]}},
        {"name": "é—☃ \u2028 \x00\x1f \"quoted\" back\\slash", "emoji": "😀", "": "empty key"},
        {"locations": [{"attribute": "x", "path": "/etc/ssh/sshd_config", "line": 12}], "checks": []},
        {"big": 2 ** 63 - 1, "neg": -(2 ** 63)},
    ]
    for doc in corpus:
        assert evidence_json(doc) == canonical_json(doc), doc
    assert (evidence_json({"f": 1e16}), canonical_json({"f": 1e16})) == ('{"f":1e16}', '{"f":1e+16}')
    assert evidence_json({"n": float("nan")}) == '{"n":null}'
    huge = {"n": 2 ** 70, "s": [2 ** 64]}  # beyond 64 bits: json's text
    assert evidence_json(huge) == canonical_json(huge)
