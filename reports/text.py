"""Plain-text renderers: ``table`` for terminals and ``markdown`` for pull-request comments.

Resource data is attacker-controlled: the table strips terminal control characters, the markdown
escapes every character that markdown or HTML would interpret.
"""

from __future__ import annotations

import re
from typing import IO, Any

from reports.base import Renderer
from scanner.cli.terminal import STATUSES, clean, status_severity_table
from scanner.model import SEVERITIES, SORTS, sort_key

__all__ = ["SORTS", "STATUSES", "MarkdownRenderer", "TableRenderer", "clean", "md", "sort_key",
           "status_severity_table"]
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(text: Any) -> str:
    """Text safe inside markdown (and the HTML a markdown viewer renders): nothing is interpreted."""
    s = clean(text).replace("\n", " ")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # a cell starting with a formula character stays inert if pasted into a spreadsheet
    return s


def _scan_header(view: Any) -> list[tuple[str, str]]:
    s = view.scan
    return [("scan", s["id"]), ("status", s["status"]), ("started", s["started"]), ("finished", s["finished"] or ""),
            ("profile", s["profile"]), ("targets", ", ".join(t["id"] for t in view.targets)),
            ("tool", f"govscan {s['tool_version']}"), ("hash", s["hash"] or "")]


def _gate_line(view: Any) -> str:
    g = view.scan.get("gate") or {}
    if not g:
        return "gate: not evaluated"
    setting = ", ".join(str(g[k]) for k in ("fail_on_severity", "source") if g.get(k))
    setting = f" ({setting})" if setting else ""
    return clean(f"gate: {'PASSED' if g.get('passed') else 'FAILED'}{setting}: {g.get('reason')}")


class TableRenderer(Renderer):
    """A terminal report: header, counts, then one line per non-passing finding."""

    name = "table"
    extension = "txt"
    description = "Plain text for a terminal"
    sort = "severity"
    """Order of the findings (one of :data:`SORTS`): most severe first by default."""

    def render(self, view: Any, out: IO[str]) -> None:
        for k, v in _scan_header(view):
            out.write(f"{k:<9} {clean(v)}\n")
        out.write(_gate_line(view) + "\n\n")
        out.write(status_severity_table(view.counts()) + "\n\n")
        rows = sorted(view.findings(status=["fail", "error", "waived"]), key=sort_key(self.sort))
        if not rows:
            out.write("No failing, errored or waived findings.\n")
            return
        out.write(f"{'status':<8} {'severity':<9} {'control':<40} {'resource':<36} message\n")
        for f in rows:
            out.write(f"{f['status']:<8} {f['severity']:<9} {clean(f['control_id']):<40} "
                      f"{clean(f['resource_id'])[:36]:<36} {clean(f['message'])}\n")


class MarkdownRenderer(Renderer):
    """A markdown report, e.g. for a pull-request comment."""

    name = "markdown"
    extension = "md"
    description = "Markdown (pull-request comments, wikis)"
    sort = "severity"
    """Order of the findings (one of :data:`SORTS`): most severe first by default."""

    def render(self, view: Any, out: IO[str]) -> None:
        out.write("# govscan report\n\n")
        out.write("| | |\n|---|---|\n")
        for k, v in _scan_header(view):
            out.write(f"| {k} | {md(v)} |\n")
        out.write(f"\n**{md(_gate_line(view))}**\n\n## Summary\n\n")
        counts = view.counts()
        out.write("| status | " + " | ".join(SEVERITIES) + " | total |\n")
        out.write("|---" * (len(SEVERITIES) + 2) + "|\n")
        for status in STATUSES:
            row = counts.get(status, {})
            if sum(row.values()):
                out.write(f"| {status} | " + " | ".join(str(row.get(x, 0)) for x in SEVERITIES)
                          + f" | {sum(row.values())} |\n")
        rows = sorted(view.findings(status=["fail", "error", "waived"]), key=sort_key(self.sort))
        out.write("\n## Findings\n\n")
        if not rows:
            out.write("No failing, errored or waived findings.\n")
            return
        out.write("| status | severity | control | resource | message |\n|---|---|---|---|---|\n")
        for f in rows:
            out.write(f"| {f['status']} | {f['severity']} | {md(f['control_id'])} | {md(f['resource_id'])} "
                      f"| {md(f['message'])} |\n")
