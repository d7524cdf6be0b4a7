"""JUnit XML report (the Apache Ant format CI servers read), valid against JUnit.xsd.

One ``testsuite`` per control, one ``testcase`` per resource it was evaluated on:
pass -> plain testcase; fail -> ``failure``; error -> ``error``; notapplicable, notchecked and
waived -> ``skipped`` with the reason (DESIGN.md section 6). Per-finding durations are not
measured, so ``time`` is 0. XML 1.0 cannot carry most control characters at all; any in resource
data are written as visible ``\\xNN`` escapes rather than dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

from reports.base import Renderer
from reports.catalog import evidence_text
from scanner.store import ScanView
from scanner.store_view import ControlRecord, FindingRecord, WaiverState

# Characters XML 1.0 forbids (C0 controls except tab/newline/CR, lone surrogates, U+FFFE/U+FFFF).
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """``value`` as XML character data: escaped, with forbidden characters made visible."""
    text = "" if value is None else str(value)
    return escape(_XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", text))


def xml_attr(value: Any) -> str:
    """``value`` as a quoted XML attribute (newlines and tabs kept as character references)."""
    text = "" if value is None else str(value)
    text = _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return quoteattr(text, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _glob_literal(text: str) -> str:
    """Quote SQLite GLOB metacharacters so a control id matches only itself."""
    return re.sub(r"([\[\]*?])", r"[\1]", text)


class JunitRenderer(Renderer):
    """JUnit XML: a suite per control, a testcase per resource; failures and errors carry evidence."""

    name = "junit"
    extension = "xml"
    description = "JUnit XML for CI test dashboards"

    def render(self, view: ScanView, out: IO) -> None:
        counts: dict[str, Counter[str]] = {}
        for f in view.findings():
            counts.setdefault(f["control_id"], Counter())[f["status"]] += 1
        scan = view.scan
        stamp = (scan.get("started") or "1970-01-01T00:00:00Z")[:19]
        host = (scan.get("hostname") or "").strip() or "localhost"
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n')
        control_ids = list(view.controls) + sorted(set(counts) - set(view.controls))
        for index, cid in enumerate(control_ids):
            control = view.control(cid, "medium")
            c = counts.get(cid, Counter())
            skipped = c["notapplicable"] + c["notchecked"] + c["waived"]
            out.write(
                f"  <testsuite name={xml_attr(cid)} package=\"govscan\" id=\"{index}\" timestamp=\"{stamp}\""
                f" hostname={xml_attr(host)} tests=\"{sum(c.values())}\" failures=\"{c['fail']}\""
                f" errors=\"{c['error']}\" skipped=\"{skipped}\" time=\"0\">\n"
            )
            out.write("    <properties>\n")
            for key, value in self._properties(view, control):
                out.write(f"      <property name={xml_attr(key)} value={xml_attr(value)}/>\n")
            out.write("    </properties>\n")
            for f in view.findings(control=_glob_literal(cid)):
                out.write(self._testcase(view, control, f))
            out.write(f"    <system-out>{xml_text(control.title)}</system-out>\n"
                      "    <system-err></system-err>\n  </testsuite>\n")
        out.write("</testsuites>\n")

    @staticmethod
    def _properties(view: ScanView, control: ControlRecord) -> list[tuple[str, Any]]:
        props: list[tuple[str, Any]] = [
            ("title", control.title), ("severity", control.severity),
            ("version", control.version), ("sha256", control.sha256),
            ("scan_id", view.id), ("scan_hash", view.scan.get("hash")), ("profile", view.scan.get("profile")),
        ]
        for fw, ids in sorted(control.mappings.items()):
            props.append((f"mapping.{fw}", " ".join(ids)))
        return [(k, v) for k, v in props if v]

    @staticmethod
    def _testcase(view: ScanView, control: ControlRecord, f: FindingRecord) -> str:
        name = f["resource_id"] if f["resource_id"] == f["target_id"] else f"{f['resource_id']} [{f['target_id']}]"
        head = f"    <testcase name={xml_attr(name)} classname={xml_attr(f['control_id'])} time=\"0\""
        status = f["status"]
        if status == "pass":
            return head + "/>\n"
        waiver = view.waiver(f.waiver_id)
        if status in ("fail", "error"):
            expected, found = evidence_text(view.evidence(f.get("evidence_sha256")))
            lines = [f["message"], f"control: {f['control_id']} ({control.title})",
                     f"severity: {f['severity']}", f"resource: {f['resource_type']} {f['resource_id']}",
                     f"target: {f['target_id']}" + (f" region {f['region']}" if f.get("region") else "")]
            if expected or found:
                lines.append(f"expected: {expected}\nfound: {found}")
            if waiver is not None and f.waiver_state is WaiverState.EXPIRED:
                lines.append(f"waiver {waiver.id} expired on {waiver.expires}: it no longer applies")
            remediation = control.remediation.text
            if remediation and status == "fail":
                lines.append(f"remediation: {remediation}")
            tag, kind = ("failure", f["severity"]) if status == "fail" else ("error", "collection-error")
            return (head + f">\n      <{tag} message={xml_attr(f['message'])} type={xml_attr(kind)}>"
                    f"{xml_text(chr(10).join(lines))}</{tag}>\n    </testcase>\n")
        if status == "waived" and waiver is not None:
            reason = f"waived by {waiver.id} (expires {waiver.expires}): {f['message']}"
        else:
            reason = {"notapplicable": "not applicable", "notchecked": "not checked"}.get(status, status)
            reason = f"{reason}: {f['message']}"
        return head + f">\n      <skipped message={xml_attr(reason)}/>\n    </testcase>\n"
