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


@resources.register("host.stig_rsyslog")
class StigRsyslog(HostKind):
    description = ("rsyslog as the DISA STIGs read it (one per host, id `stig_rsyslog`): which facilities are "
                   "logged to files, forwarding of all messages, TLS settings of the forwarding. An include the "
                   "fact script did not read makes the resource an error.")
    attributes = (
        A("installed", "boolean", "the rsyslog package is installed"),
        A("files", "list", "rsyslog files read, in order"),
        A("logged_to_file", "list", "facilities logged at every priority (`fac.*`) to a file"),
        A("facilities_to_file", "map", "facility -> `file:line` of each such rule"),
        A("cron_to_var_log_cron", "list", "`file:line` of each `cron.* /var/log/cron` rule"),
        A("remote_all", "list", "[{file, line, text}] rules forwarding `*.*` (@, @@, :omrelp:, omfwd)"),
        A("default_netstream_driver", "string", "$DefaultNetstreamDriver / global(DefaultNetstreamDriver=)"),
        A("stream_driver_mode", "string", "$ActionSendStreamDriverMode / omfwd StreamDriverMode"),
        A("stream_driver_auth_mode", "string", "$ActionSendStreamDriverAuthMode / omfwd StreamDriverAuthMode"),
    )
    commands = ("cat /etc/rsyslog.conf /etc/rsyslog.d/*.conf", "dpkg-query -W")
    sections = ("rsyslog", "packages")
    parser = "stig_audit_logs.parse_stig_rsyslog"


@resources.register("host.stig_audit_tools")
class StigAuditTools(HostKind):
    description = ("The audit tools the RHEL 9 STIG lists (auditctl aureport ausearch autrace auditd rsyslogd "
                   "augenrules under /sbin) with mode and owners (one per host, id `stig_audit_tools`).")
    attributes = (
        A("installed", "boolean", "the audit(d) package is installed"),
        A("tools", "list", "{path, type, mode, perms, uid, gid, owner, group} of each tool present"),
        A("missing", "list", "tools that do not exist"),
    )
    commands = ("stat /sbin/auditctl /sbin/rsyslogd ...",)
    sections = ("stig_audit_tools", "packages", "passwd", "group")
    parser = "stig_audit_logs.parse_stig_audit_tools"


@resources.register("host.stig_audit_misc")
class StigAuditMisc(HostKind):
    description = ("AIDE's /etc/default/aide SILENTREPORTS (Debian/Ubuntu), the rule groups of RHEL's "
                   "/etc/aide.conf and USBGuard's AuditBackend (one per host, id `stig_audit_misc`).")
    attributes = (
        A("aide_installed", "boolean", "the aide package is installed"),
        A("aide_databases", "list", "which of /var/lib/aide/aide.db and aide.db.gz exist"),
        A("aide_silentreports", "string", "SILENTREPORTS of /etc/default/aide (null when unset or no file)"),
        A("aide_conf_exists", "boolean", "/etc/aide.conf (RHEL) exists"),
        A("aide_groups", "list", "rule groups defined in /etc/aide.conf (`NAME = a+b+c`)"),
        A("aide_groups_without_acl", "list", "groups (but ALLXTRAHASHES) without acl"),
        A("aide_groups_without_xattrs", "list", "groups (but ALLXTRAHASHES) without xattrs"),
        A("aide_groups_without_sha512", "list", "groups without sha512"),
        A("aide_non_fips_hashes", "list", "`file:line: text` of group lines naming sha1, rmd160, sha256, whirlpool, "
          "tiger, haval, gost or crc32"),
        A("usbguard_installed", "boolean", "the usbguard package is installed"),
        A("usbguard_audit_backend", "string", "AuditBackend of /etc/usbguard/usbguard-daemon.conf"),
    )
    commands = ("cat /etc/default/aide /etc/aide.conf /etc/usbguard/usbguard-daemon.conf", "dpkg-query -W")
    sections = ("stig_audit_misc", "packages")
    parser = "stig_audit_logs.parse_stig_audit_misc"
