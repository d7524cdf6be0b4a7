"""Plain-text renderers: ``table`` for terminals and ``markdown`` for pull-request comments.

Resource data is attacker-controlled: the table strips terminal control characters, the markdown
escapes every character that markdown or HTML would interpret.
"""

from __future__ import annotations

import re
from typing import IO, Any, Mapping

from reports.base import Renderer

STATUSES = ("pass", "fail", "error", "waived", "notapplicable", "notchecked")
SEVERITIES = ("critical", "high", "medium", "low", "info")
SORTS = ("severity", "status", "control", "resource", "target")
"""``--sort`` keys of ``findings`` and of the table and markdown reports; ``severity`` is the default."""
# what needs attention first: a failure, then what could not be evaluated, then the rest
_STATUS_RANK = {s: i for i, s in enumerate(("fail", "error", "waived", "notchecked", "notapplicable", "pass"))}
_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def clean(text: Any) -> str:
    """Text safe for a terminal: every character that is not printable (C0/C1 controls such as ESC
    and newlines, bidi overrides and other format characters, line separators, unassigned code
    points) shown as ``\\xNN``/``\\uNNNN``/``\\UNNNNNNNN``, so one value cannot forge another line,
    rewrite the screen or reorder what is shown. The one function the CLI and text reports use for
    anything that came from a target, a file or the store."""
    s = "" if text is None else str(text)
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else _escape(c) for c in s)


def _escape(c: str) -> str:
    code = ord(c)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def md(text: Any) -> str:
    """Text safe inside markdown (and the HTML a markdown viewer renders): nothing is interpreted."""
    s = clean(text).replace("\n", " ")
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # a cell starting with a formula character stays inert if pasted into a spreadsheet
    return s


def sort_key(by: str = "severity") -> Any:
    """Sort key for finding rows: by ``by`` first, then most severe first, then status (fail, error,
    waived, ...), control id, resource id and target id."""
    if by not in SORTS:
        raise ValueError(f"sort by one of {', '.join(SORTS)}")

    def key(f: Mapping[str, Any]) -> tuple[Any, ...]:
        parts = {"severity": _SEVERITY_RANK.get(f.get("severity") or "", len(SEVERITIES)),
                 "status": _STATUS_RANK.get(f.get("status") or "", len(_STATUS_RANK)),
                 "control": f.get("control_id") or "", "resource": f.get("resource_id") or "",
                 "target": f.get("target_id") or ""}
        return (parts[by],) + tuple(parts[k] for k in SORTS)

    return key


def status_severity_table(counts: Mapping[str, Mapping[str, int]]) -> str:
    """A status x severity count grid."""
    head = f"{'status':<14}" + "".join(f"{s:>10}" for s in SEVERITIES) + f"{'total':>10}"
    lines = [head, "-" * len(head)]
    for status in STATUSES:
        row = counts.get(status, {})
        total = sum(row.values())
        if not total:
            continue
        lines.append(f"{status:<14}" + "".join(f"{row.get(s, 0):>10}" for s in SEVERITIES) + f"{total:>10}")
    return "\n".join(lines)


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
