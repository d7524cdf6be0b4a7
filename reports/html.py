"""HTML report: one self-contained file for screen and print.

Inline CSS and SVG only; a Content-Security-Policy meta tag forbids every script, font, frame and
remote fetch, so the file renders fully offline and an injected ``<script>`` could not run even if
escaping failed. Jinja2 autoescaping is on and no data value is ever marked safe.

Scale: the summary and coverage are aggregates; per control only the first ``page_size`` failing
resources show open, further pages sit in ``<details>`` blocks, and past ``max_rows`` per control the
report points to the CSV / ``govscan findings`` instead, so a 100,000-finding scan stays a file a
browser opens quickly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from reports import coverage, ledger_section
from reports.base import Renderer
from reports.catalog import (
    NIST, SEVERITIES, STATUSES, control_description, evidence_text, framework_label, nist_catalog, nist_display,
)
from scanner.store import ScanView

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

STATUS_LABELS = {"pass": "Passed", "fail": "Failed", "error": "Error", "notapplicable": "Not applicable",
                 "notchecked": "Not checked", "waived": "Waived"}


def _env() -> Any:
    import jinja2  # heavy-ish: imported only when an HTML report is rendered

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["tojson_text"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    env.filters["nist"] = nist_display
    env.filters["fw"] = framework_label
    return env


def _bars(counts: dict[str, int], keys: tuple[str, ...], width: int = 600) -> list[dict[str, Any]]:
    """Geometry of a horizontal stacked bar: one segment per non-zero key, widths proportional."""
    total = sum(counts.get(k, 0) for k in keys)
    segments, x = [], 0.0
    for k in keys:
        n = counts.get(k, 0)
        if n and total:
            w = width * n / total
            segments.append({"key": k, "x": round(x, 2), "w": round(w, 2), "n": n})
            x += w
    return segments


def _columns(counts: dict[str, int], keys: tuple[str, ...], height: int = 120) -> list[dict[str, Any]]:
    """Geometry of a vertical bar chart with one bar per key."""
    top = max([counts.get(k, 0) for k in keys] + [1])
    return [{"key": k, "n": counts.get(k, 0), "h": round(height * counts.get(k, 0) / top, 2),
             "x": 20 + i * 90} for i, k in enumerate(keys)]


def build_context(view: ScanView, *, page_size: int = 50, max_rows: int = 500) -> dict[str, Any]:
    """Everything the template shows, computed from the scan (exposed for tests)."""
    results, target_counts, waiver_findings = coverage.collect(view, max_rows=max_rows)
    ordered = sorted(results.values(), key=lambda r: r.sort_key)
    matrix = view.counts()
    by_status = {s: sum(matrix.get(s, {}).values()) for s in STATUSES}
    failing_by_sev = {sev: matrix.get("fail", {}).get(sev, 0) for sev in SEVERITIES}
    attention = [r for r in ordered if r.attention]
    for r in attention:
        for row in r.rows:
            row["expected"], row["found"] = evidence_text(row.get("evidence"))
        r.pages = [(i + 1, r.rows[i:i + page_size]) for i in range(0, len(r.rows), page_size)]  # type: ignore[attr-defined]
    scan = view.scan
    catalog = nist_catalog()
    return {
        "csp": CSP,
        "scan": scan,
        "scan_id": view.id,
        "statuses": STATUSES,
        "severities": SEVERITIES,
        "status_labels": STATUS_LABELS,
        "matrix": matrix,
        "by_status": by_status,
        "total": sum(by_status.values()),
        "status_bar": _bars(by_status, STATUSES),
        "severity_columns": _columns(failing_by_sev, SEVERITIES),
        "failing_by_sev": failing_by_sev,
        "controls": ordered,
        "attention": attention,
        "control_states": {s: sum(1 for r in ordered if r.state == s) for s in STATUSES},
        "frameworks": coverage.frameworks(ordered),
        "families": coverage.nist_families(ordered),
        "fedramp": coverage.fedramp_levels(ordered),
        "nist_titles": {cid: c["title"] for cid, c in catalog["controls"].items()},
        "NIST": NIST,
        "describe": control_description,
        "waivers_active": [w for w in view.waivers if w.get("state") != "expired"],
        "waivers_expired": [w for w in view.waivers if w.get("state") == "expired"],
        "waiver_findings": waiver_findings,
        "exclusions": view.exclusions,
        "targets": view.targets,
        "target_counts": target_counts,
        "max_rows": max_rows,
        "gate": scan.get("gate") or {},
        "ledger": ledger_section.context(view),
    }


class HtmlRenderer(Renderer):
    """Self-contained HTML report (inline CSS + SVG, no scripts, no network)."""

    name = "html"
    extension = "html"
    description = "self-contained HTML report for screen and print"
    page_size = 50
    """Failing resources per page of a control."""
    max_rows = 500
    """Failing resources listed per control; beyond that the report says how many more there are."""

    def render(self, view: ScanView, out: IO) -> None:
        context = build_context(view, page_size=self.page_size, max_rows=self.max_rows)
        template = _env().get_template("report.html.j2")
        for chunk in template.generate(**context):
            out.write(chunk)
