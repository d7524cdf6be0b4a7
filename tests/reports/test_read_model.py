"""The read model: renderers get frozen, typed finding records with an explicit waiver state and
versioned evidence; the SQL behind them runs only inside the store."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from scanner.store_view import EVIDENCE_SCHEMA, Evidence, FindingRecord, WaiverState

SCANNER = Path(__file__).resolve().parents[2] / "scanner"


def test_findings_are_frozen_typed_records_with_their_waiver_state(factory_view):
    found = list(factory_view.findings())
    assert found and all(isinstance(f, FindingRecord) for f in found)
    states = {(f.control_id, f.status, f.waiver_id, f.waiver_state) for f in found if f.waiver_id}
    # the active waiver waived its finding; the expired one left its finding failing and is named
    assert ("aws-s3-encryption-at-rest", "waived", "WVR-2026-014", WaiverState.WAIVED) in states
    assert ("aws-s3-encryption-at-rest", "fail", "WVR-2025-003", WaiverState.EXPIRED) in states
    assert all(f.waiver_state is None for f in found if not f.waiver_id)
    f = found[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.status = "pass"  # type: ignore[misc]
    # still a read-only mapping of the stored columns (what a row was)
    assert f["status"] == f.status and "waiver_state" not in dict(f) and list(dict(f))[0] == "id"


def test_evidence_is_a_versioned_record_equal_to_the_stored_document(factory_view):
    f = next(f for f in factory_view.findings() if f.status == "fail" and f.evidence_sha256)
    ev = factory_view.evidence(f.evidence_sha256)
    assert isinstance(ev, Evidence) and ev.schema == EVIDENCE_SCHEMA == 1
    assert ev == dict(ev.document) and ev.expected == ev["expected"] and ev.observed == ev.get("observed", {})
    assert factory_view.evidence(None) is None and factory_view.evidence("0" * 64) is None


def test_no_sql_runs_outside_the_store():
    """Only scanner/store*.py touch the connection: the engine, CLI, evidence pack, integrity and
    anchors call the store's read methods."""
    bad = []
    for path in sorted(SCANNER.rglob("*.py")):
        if path.name.startswith("store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in ("conn", "execute", "executemany"):
                bad.append(f"{path.relative_to(SCANNER.parent)}:{node.lineno}: .{node.attr}")
    assert bad == []
