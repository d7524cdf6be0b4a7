"""Host resource types for the DISA STIG audit rules (Ubuntu 22.04, RHEL 9): the audit rules one by one as the
ComplianceAsCode rules behind the STIG name them. Sections: the audit sections of checks/host/facts.sh; parser:
checks/host/parsers/stig_audit.py."""

from __future__ import annotations

from typing import Any

from checks.host.resources import HostKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources


@resources.register("host.stig_audit_rules")
class StigAuditRules(HostKind):
    description = ("The audit rules the DISA STIGs require one by one (one item per ComplianceAsCode rule, e.g. "
                   "`audit_rules_dac_modification_fchmod`), missing on disk (/etc/audit/rules.d) and in the running "
                   "kernel (auditctl -l); the failure mode and auditd.conf's space_left percentages (one per host, "
                   "id `stig_audit_rules`). Items of privileged programs need the filesystem walk: without it they "
                   "are not checked.")
    attributes = (
        A("installed", "boolean", "the auditd package is installed; an error when the package list could not be read"),
        A("disk_missing", "map", "ComplianceAsCode rule -> the rules missing from rules.d ([] when present)"),
        A("loaded_missing", "map", "the same for the running rules"),
        A("failure_flag_disk", "integer", "the last `-f N` of the rules on disk (null when none)"),
        A("failure_mode_loaded", "integer", "auditctl -s failure"),
        A("space_left", "string", "auditd.conf space_left as written"),
        A("space_left_percent", "integer", "space_left when given as a percentage (`25%`), else null"),
        A("admin_space_left", "string", "auditd.conf admin_space_left as written"),
        A("admin_space_left_percent", "integer", "admin_space_left when given as a percentage, else null"),
    )
    commands = ("auditctl -l", "auditctl -s", "cat /etc/audit/auditd.conf /etc/audit/rules.d/*.rules",
                "find / -xdev -perm /6000")
    runtime_attributes = ("loaded_missing", "failure_mode_loaded")
    sections = ("audit_status", "audit_rules", "audit_conf", "packages", "walk")

    @classmethod
    def build(cls, out: Any, **options: Any) -> list[Resource]:
        from checks.host.parsers.stig_audit import parse_stig_audit_rules

        return parse_stig_audit_rules(out, walk=bool(options.get("walk")))
