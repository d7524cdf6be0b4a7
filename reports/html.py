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
import re
from pathlib import Path
from typing import IO, Any

from reports import coverage, ledger_section
from reports.base import Renderer
from reports.catalog import (
    NIST, SEVERITIES, STATUSES, evidence_text, framework_label, nist_catalog, nist_display,
)
from scanner.store import ScanView
from scanner.store_view import ControlRecord

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

STATUS_LABELS = {"pass": "Passed", "fail": "Failed", "error": "Error", "notapplicable": "Not applicable",
                 "notchecked": "Not checked", "waived": "Waived"}


_INLINE = re.compile(r"`([^`\n]{1,2000})`|\\(n)|\\([a-zA-Z0])")
_BREAK = re.compile(r"([/:@=,\-]+)")


def rich(value: Any) -> Any:
    """Text for display: every character escaped; Markdown code spans become ``<code>``, an escaped line
    break (the ``\\n`` the engine writes for a newline in a value) a real line break, other backslash
    escapes (``\\l`` in /etc/issue) a visibly literal token. Nothing from the data is ever markup."""
    from markupsafe import Markup, escape

    text = "" if value is None else str(value)
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(escape(text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(Markup("<code>%s</code>") % m.group(1))
        elif m.group(2):
            out.append(Markup('<span class="esc" title="line break">\u21b5</span><br>'))
        else:
            out.append(Markup('<code class="esc">\\%s</code>') % m.group(3))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def ident(value: Any) -> Any:
    """An identifier (resource id, ARN, target) escaped, with line-break opportunities only after its
    separators (/ : @ = , -), so narrow columns never break it mid-word (nor an address mid-number)."""
    from markupsafe import Markup, escape

    parts = _BREAK.split("" if value is None else str(value))
    return Markup("").join(escape(p) + (Markup("<wbr>") if i % 2 else "") for i, p in enumerate(parts))


def _humanise(key: str) -> str:
    return str(key).replace("_", " ").replace("-", " ")


def _plain_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_humanise(k)}: {_plain_value(v)}" for k, v in sorted(value.items()))
    return str(value)


def pairs(mapping: Any) -> list[tuple[str, str]]:
    """A JSON object as (label, text) rows for a definition list, instead of raw JSON."""
    if not isinstance(mapping, dict):
        return []
    first = [k for k in ("passed", "reason") if k in mapping]
    keys = first + sorted(k for k in mapping if k not in first)
    return [(_humanise(k), _plain_value(mapping[k])) for k in keys]


def _env() -> Any:
    import jinja2  # heavy-ish: imported only when an HTML report is rendered

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["tojson_text"] = lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    env.filters["nist"] = nist_display
    env.filters["fw"] = framework_label
    env.filters["rich"] = rich
    env.filters["ident"] = ident
    env.filters["pairs"] = pairs
    return env


_OTHER = ("notapplicable", "notchecked")


def trend(view: ScanView, width: int = 64, height: int = 120) -> list[dict[str, Any]]:
    """The last scans of the same targets (this one last): per scan its status totals and the geometry
    of a stacked column (pass at the bottom, then waived, error, fail; heights proportional to the
    largest scan)."""
    rows = []
    for h in view.history():
        totals = {s: sum((h["summary"].get(s) or {}).values()) for s in STATUSES}
        rows.append({**h, "totals": totals, "other": sum(totals[s] for s in _OTHER),
                     "all": sum(totals.values())})
    top = max([r["all"] for r in rows] + [1])
    for i, r in enumerate(rows):
        y, segments = float(height), []
        for key in ("pass", "waived", "error", "fail"):
            hgt = height * r["totals"][key] / top
            if hgt:
                y -= hgt
                segments.append({"key": key, "y": round(y, 2), "h": round(hgt, 2), "n": r["totals"][key]})
        r.update(x=10 + i * (width + 14), w=width, segments=segments, current=r["id"] == view.id)
    return rows


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
    per_target: dict[str, dict[str, str]] = {}
    results, target_counts, waiver_findings = coverage.collect(view, max_rows=max_rows, per_target=per_target)
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
        "attention": [r for r in attention if r.counts["fail"] or r.counts["waived"]],
        "unevaluated": [r for r in attention if not (r.counts["fail"] or r.counts["waived"])],
        "control_states": {s: sum(1 for r in ordered if r.state == s) for s in STATUSES},
        "frameworks": coverage.frameworks(ordered),
        "families": coverage.nist_families(ordered),
        "fedramp": coverage.fedramp_levels(ordered),
        "nist_titles": {cid: c["title"] for cid, c in catalog["controls"].items()},
        "NIST": NIST,
        "waivers_active": [w for w in view.waivers if w.state != "expired"],
        "waivers_expired": [w for w in view.waivers if w.state == "expired"],
        "waiver_findings": waiver_findings,
        "exclusions": view.exclusions,
        "targets": view.targets,
        "target_counts": target_counts,
        "target_failing": {tid: _failing_list(per_target.get(tid, {}), results) for tid in
                           {t["id"] for t in view.targets} | set(per_target)},
        "trend": trend(view),
        "max_rows": max_rows,
        "gate": scan.get("gate") or {},
        "ledger": ledger_section.context(view),
    }


def _failing_list(states: dict[str, str], results: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One target's controls by state (fail, waived, error), most severe first."""
    out: dict[str, list[dict[str, Any]]] = {"fail": [], "waived": [], "error": []}
    for cid, state in states.items():
        res = results.get(cid)
        control = res.control if res is not None else ControlRecord.missing(cid, "info")
        out[state].append({"id": cid, "title": control.title or cid, "severity": control.severity})
    rank = {sev: i for i, sev in enumerate(SEVERITIES)}
    for rows in out.values():
        rows.sort(key=lambda c: (rank.get(c["severity"], 9), c["id"]))
    return out


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
