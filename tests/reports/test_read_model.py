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


# -- the policy layout stays behind the records ---------------------------------------------------

ROOT = SCANNER.parent
#: Where a snapshot's ``document`` may be read: the store and its read model (the records are built
#: there), and the evidence pack writer, which writes each document's canonical JSON as stored.
DOCUMENT_READERS = {"scanner/store.py", "scanner/store_sql.py", "scanner/store_read.py", "scanner/store_view.py",
                    "scanner/evidence.py"}
#: ``.documents()`` (each document as stored, opaque): the pack writer, the integrity check (hashes
#: them), and the json format, which dumps each waiver's document whole without reading into it.
OPAQUE_DOCUMENTS = {"scanner/evidence.py", "scanner/integrity.py", "reports/jsonout.py"}


def _document_reads(path: Path, rel: str) -> list[str]:
    """Places in ``path`` that read a ``document`` key (``x["document"]``, ``x.get("document")``,
    ``"document" in x``...) or call ``.documents(``; a dict literal's ``"document":`` key (what the
    engine writes into a snapshot) is not a read."""
    tree = ast.parse(path.read_text(), str(path))
    keys = {id(k) for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys if k is not None}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value == "document" and id(node) not in keys:
            out.append((node.lineno, "reads 'document'"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "documents"
              and rel not in OPAQUE_DOCUMENTS):
            out.append((node.lineno, "calls .documents()"))
    return [f"{rel}:{line}: {what}" for line, what in sorted(out)]


def test_only_the_store_and_its_records_read_a_snapshots_policy_document():
    """Renderers, the ledger and diff read ControlRecord / WaiverRecord, never the govscan/v1 layout of a
    stored snapshot: the policy schema is not the report contract (scanner/policy/ loads policy
    documents, never a snapshot)."""
    bad = []
    for folder in ("reports", "scanner"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in DOCUMENT_READERS or rel.startswith("scanner/policy/"):
                continue
            bad += _document_reads(path, rel)
    for path in sorted((ROOT / "reports" / "templates").glob("*.j2")):
        bad += [f"{path.relative_to(ROOT).as_posix()}:{n}: reads document" for n, line in
                enumerate(path.read_text().splitlines(), 1) if "document" in line]
    assert bad == []


def test_the_document_check_sees_every_kind_of_read(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text('a = c.get("document")\nb = row["document"]\nd = {k: v for k, v in r.items() if k != "document"}\n'
                      'e = {"document": doc}\nf = view.documents("waivers")\n')
    assert _document_reads(sample, "reports/m.py") == [
        "reports/m.py:1: reads 'document'", "reports/m.py:2: reads 'document'", "reports/m.py:3: reads 'document'",
        "reports/m.py:5: calls .documents()"]


def test_control_and_waiver_snapshots_are_frozen_typed_records(factory_view):
    from scanner.store_view import ControlRecord, Remediation, WaiverRecord

    controls = factory_view.controls
    assert controls and all(isinstance(c, ControlRecord) for c in controls.values())
    c = controls["host-sshd-no-root-login"]
    stored = next(r for r in factory_view.store.snapshot_rows(factory_view.id, "controls") if r["id"] == c.id)
    import json

    doc = json.loads(stored["document"])
    assert (c.title, c.severity, c.sha256) == (stored["title"], stored["severity"], stored["sha256"])
    assert c.description == doc["metadata"]["description"]
    assert isinstance(c.remediation, Remediation) and c.remediation.text == doc["remediation"]["text"]
    assert c.check == doc["assert"] and c.nist == tuple(sorted(x.lower() for x in doc["mappings"]["nist-800-53-rev5"]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.title = "x"  # type: ignore[misc]
    waivers = {w.id: w for w in factory_view.waivers}
    assert all(isinstance(w, WaiverRecord) for w in waivers.values())
    assert waivers["WVR-2026-014"].state == "active" and waivers["WVR-2025-003"].state == "expired"
    assert waivers["WVR-2026-014"].justification and factory_view.waiver("WVR-2026-014") is waivers["WVR-2026-014"]
    assert factory_view.waiver("nope") is None and factory_view.control("nope").title == "nope"
