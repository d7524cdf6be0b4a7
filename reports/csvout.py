"""CSV report: one row per finding, safe to open in a spreadsheet.

Resource names, tags and messages are attacker-controlled; a cell that a spreadsheet would read as
a formula (starting with ``= + - @``, or a tab / carriage return that some importers strip first)
is prefixed with a single quote, the OWASP-recommended neutralisation, so it shows as text.
"""

from __future__ import annotations

import csv
from typing import IO, Any

from reports.base import Renderer
from reports.catalog import FEDRAMP, NIST, evidence_text
from scanner.store import ScanView

COLUMNS = (
    "scan_id", "control_id", "control_version", "title", "severity", "status", "target_id",
    "resource_type", "resource_id", "region", "message", "expected", "found", "waiver_id",
    "waiver_state", "nist_800_53", "fedramp", "other_mappings", "time", "finding_hash",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> str:
    """The cell text of ``value``, neutralised if a spreadsheet could evaluate it."""
    text = "" if value is None else str(value)
    # Leading spaces do not stop Excel or LibreOffice from reading "  =1+1" as a formula.
    if text.lstrip(" ").startswith(_FORMULA_START):
        return "'" + text
    return text


class CsvRenderer(Renderer):
    """One row per finding with its control, resource, evidence and waiver (RFC 4180, UTF-8)."""

    name = "csv"
    extension = "csv"
    description = "one row per finding, spreadsheet-safe"

    def render(self, view: ScanView, out: IO) -> None:
        writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(COLUMNS)
        evidence_cache: dict[str, tuple[str, str]] = {}
        for f in view.findings():
            control = view.controls.get(f["control_id"])
            mappings = control.mappings if control is not None else {}
            sha = f.get("evidence_sha256")
            if len(evidence_cache) > 50_000:  # bounded memory on million-finding scans
                evidence_cache.clear()
            if sha and sha not in evidence_cache:
                evidence_cache[sha] = evidence_text(view.evidence(sha))
            expected, found = evidence_cache.get(sha or "", ("", ""))
            waiver = view.waiver(f.waiver_id)
            others = "; ".join(
                f"{fw}: {' '.join(ids)}" for fw, ids in sorted(mappings.items()) if fw not in (NIST, FEDRAMP)
            )
            row = (
                view.id, f["control_id"], control and control.version, control and control.title, f["severity"],
                f["status"], f["target_id"], f["resource_type"], f["resource_id"], f.get("region"),
                f["message"], expected, found, f.get("waiver_id"), waiver.state if waiver else "",
                " ".join(mappings.get(NIST, ())), " ".join(mappings.get(FEDRAMP, ())), others,
                f["time"], f["hash"],
            )
            writer.writerow([safe_cell(v) for v in row])
