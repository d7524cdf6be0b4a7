"""DISA STIG Viewer 2 checklists (``.ckl``, XML, checklist schema 2.5): one per target.

The same checklists as :mod:`reports.cklb` (which rules, how a status is decided, finding details,
waivers as comments, one file or a zip of one per target), in the older XML form: ``ASSET`` then
``STIGS/iSTIG`` with ``STIG_INFO`` and one ``VULN`` per rule. Statuses are written as CKL spells
them: NotAFinding, Open, Not_Applicable, Not_Reviewed. Text is escaped; characters XML 1.0 forbids
are shown as ``\\xNN``.
"""

from __future__ import annotations

from typing import IO, Any

from reports.base import Renderer
from reports.cklb import Checklist, checklist_uid, benchmark_info, rule_fields, target_fields, write_checklists
from reports.junit import xml_text
from scanner.store import ScanView

CKL_STATUS = {"not_a_finding": "NotAFinding", "open": "Open", "not_applicable": "Not_Applicable",
              "not_reviewed": "Not_Reviewed"}


def _el(tag: str, value: Any, indent: str) -> str:
    text = xml_text(value)
    return f"{indent}<{tag}>{text}</{tag}>\n" if text else f"{indent}<{tag}></{tag}>\n"


def ckl_document(view: ScanView, cl: Checklist) -> bytes:
    t = cl.target
    tf = target_fields(t, cl.left_out, view)
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<!--DISA STIG Viewer :: 2.17 (written by govscan)-->\n',
           "<CHECKLIST>\n\t<ASSET>\n"]
    for tag, value in (("ROLE", "None"), ("ASSET_TYPE", "Computing"), ("MARKING", "CUI"),
                       ("HOST_NAME", tf["host_name"]), ("HOST_IP", tf["ip_address"]), ("HOST_MAC", ""),
                       ("HOST_FQDN", tf["fqdn"]), ("TARGET_COMMENT", tf["comments"]), ("TECH_AREA", "UNIX OS"),
                       ("TARGET_KEY", ""), ("WEB_OR_DATABASE", "false"), ("WEB_DB_SITE", ""), ("WEB_DB_INSTANCE", "")):
        out.append(_el(tag, value, "\t\t"))
    out.append("\t</ASSET>\n\t<STIGS>\n")
    for bench, rules in cl.rules.items():
        info = benchmark_info(bench)
        suid = checklist_uid(view, "stig", t["id"], bench)
        out.append("\t\t<iSTIG>\n\t\t\t<STIG_INFO>\n")
        for name, value in (("version", info.get("version", "")), ("classification", "UNCLASSIFIED"),
                            ("customname", ""), ("stigid", info["stig_id"]),
                            ("description", f"govscan checks of the {info['title']}"),
                            ("filename", f"govscan-{bench}"), ("releaseinfo", info.get("release", "")),
                            ("title", info["title"]), ("uuid", suid), ("notice", ""), ("source", info.get("source", ""))):
            out.append("\t\t\t\t<SI_DATA>\n\t\t\t\t\t<SID_NAME>" + name + "</SID_NAME>\n")
            if value:
                out.append(_el("SID_DATA", value, "\t\t\t\t\t"))
            out.append("\t\t\t\t</SI_DATA>\n")
        out.append("\t\t\t</STIG_INFO>\n")
        for r in rules:
            rf = rule_fields(r)
            out.append("\t\t\t<VULN>\n")
            attrs: list[tuple[str, Any]] = [
                ("Vuln_Num", rf["group_id"]), ("Severity", rf["severity"]), ("Group_Title", rf["group_title"]),
                ("Rule_ID", rf["rule_id_src"]), ("Rule_Ver", rf["rule_version"]), ("Rule_Title", rf["rule_title"]),
                ("Vuln_Discuss", rf["discussion"]), ("IA_Controls", ""), ("Check_Content", rf["check_content"]),
                ("Fix_Text", rf["fix_text"]), ("False_Positives", ""), ("False_Negatives", ""),
                ("Documentable", "false"), ("Mitigations", ""), ("Potential_Impact", ""), ("Third_Party_Tools", ""),
                ("Mitigation_Control", ""), ("Responsibility", ""), ("Security_Override_Guidance", ""),
                ("Check_Content_Ref", "M"), ("Weight", "10.0"), ("Class", "Unclass"),
                ("STIGRef", f"{info['title']} :: Version {info.get('version', '')}, {info.get('release', '')}"),
                ("TargetKey", ""), ("STIG_UUID", suid), ("LEGACY_ID", ""),
            ] + [("CCI_REF", cci) for cci in rf["ccis"]]
            for name, value in attrs:
                out.append(f"\t\t\t\t<STIG_DATA>\n\t\t\t\t\t<VULN_ATTRIBUTE>{name}</VULN_ATTRIBUTE>\n"
                           + _el("ATTRIBUTE_DATA", value, "\t\t\t\t\t") + "\t\t\t\t</STIG_DATA>\n")
            out.append(f"\t\t\t\t<STATUS>{CKL_STATUS[r.status]}</STATUS>\n")
            out.append(_el("FINDING_DETAILS", r.details, "\t\t\t\t"))
            out.append(_el("COMMENTS", r.comments, "\t\t\t\t"))
            out.append("\t\t\t\t<SEVERITY_OVERRIDE></SEVERITY_OVERRIDE>\n\t\t\t\t<SEVERITY_JUSTIFICATION></SEVERITY_JUSTIFICATION>\n")
            out.append("\t\t\t</VULN>\n")
        out.append("\t\t</iSTIG>\n")
    out.append("\t</STIGS>\n</CHECKLIST>\n")
    return "".join(out).encode("utf-8")


class CklRenderer(Renderer):
    """STIG Viewer 2 checklist (XML) per target (a zip of them when the scan has several targets)."""

    name = "ckl"
    extension = "ckl"
    binary = True
    description = "DISA STIG Viewer checklist (CKL XML; a zip of one per target for several targets)"

    def render(self, view: ScanView, out: IO) -> None:
        write_checklists(view, out, "ckl", ckl_document)
