"""Host resource types for CIS Debian 12 sections 5-7: sudo and su, shell start-up files, root's PATH, logging
(journald, rsyslog), log file permissions, the CIS audit rule set, audit file permissions, AIDE, home directories.
Sections: checks/host/facts_cis_b.sh; parsers: checks/host/parsers/{sudo,shellrc,logconf,logfiles,audit_rules,
aide,homes}.py."""

from __future__ import annotations

from typing import Any

from checks.host.resources import HostKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_ENTRY = "{path, type, mode, perms, uid, gid, owner, group} (owner and group named from the scanned system)"
_PKG_ERR = "; an error when the package list could not be read"


@resources.register("host.sudo")
class Sudo(HostKind):
    description = ("sudo: /etc/sudoers and every file it includes (@includedir /etc/sudoers.d, #include), one per "
                   "host (id `sudo`). An include the fact script did not read, or a file it could not read, makes "
                   "every sudoers attribute an error.")
    attributes = (
        A("installed", "boolean", "the sudo or sudo-ldap package is installed" + _PKG_ERR),
        A("sudoers_exists", "boolean", "/etc/sudoers exists"), A("files", "list", "sudoers files read, in order"),
        A("defaults", "list", "[{scope, name, negated, value, file, line}] every Defaults entry"),
        A("use_pty", "boolean", "`Defaults use_pty` is set for everyone and no Defaults entry negates it"),
        A("use_pty_disabled", "list", "`file:line` of each `!use_pty`"),
        A("logfile", "string", "the log file of `Defaults logfile=` (null when unset)"),
        A("timestamp_timeout", "number", "minutes; sudo's default 15 when no Defaults line sets it"),
        A("timestamp_timeout_set", "boolean", "a Defaults line sets timestamp_timeout"),
        A("nopasswd", "list", "[{file, line, text}] rules with a NOPASSWD tag"),
        A("no_authenticate", "list", "[{file, line, text}] Defaults entries with !authenticate"),
    )
    commands = ("cat /etc/sudoers /etc/sudoers.d/*", "dpkg-query -W")
    sections = ("sudo", "packages")
    parser = "sudo.parse_sudo"


@resources.register("host.su")
class Su(HostKind):
    description = "Who may use su: pam_wheel in /etc/pam.d/su and its group's members (one per host, id `su`)."
    attributes = (
        A("pam_su_exists", "boolean", "/etc/pam.d/su exists"),
        A("wheel", "string", "`file:line` of the `auth required|requisite pam_wheel.so` line, null when none"),
        A("wheel_group", "string", "its group= argument (null when it names none)"),
        A("wheel_use_uid", "boolean", "it has use_uid"),
        A("wheel_group_exists", "boolean", "the group exists in /etc/group"),
        A("wheel_group_members", "list", "its members, and accounts whose primary group it is"),
    )
    commands = ("cat /etc/pam.d/su /etc/group /etc/passwd",)
    sections = ("sudo", "group", "passwd")
    parser = "sudo.parse_su"


@resources.register("host.shell")
class Shell(HostKind):
    description = ("Shell start-up settings (one per host, id `shell`): umask and TMOUT in /etc/profile, "
                   "/etc/profile.d/*.sh, /etc/bash.bashrc, /etc/bashrc (umask also from login.defs UMASK and "
                   "pam_umask), root's own start-up files, and /etc/shells.")
    attributes = (
        A("umask_settings", "list", "[{file, line, value, allows}]: each umask set for every user; allows: the "
          "permission bits a new directory may get"),
        A("root_umask_settings", "list", "the same for /root/.bash_profile, .bash_login, .profile, .bashrc"),
        A("tmout_settings", "list", "[{file, line, value}] each TMOUT assignment"),
        A("tmout_readonly", "boolean", "TMOUT is made readonly"), A("tmout_exported", "boolean", "TMOUT is exported"),
        A("shells_exists", "boolean", "/etc/shells exists"), A("shells", "list", "the shells /etc/shells lists"),
        A("nologin_shells", "list", "the nologin entries of /etc/shells"),
    )
    commands = ("cat /etc/profile /etc/profile.d/*.sh /etc/bash.bashrc /etc/shells /root/.profile /root/.bashrc",)
    sections = ("shellrc", "login_defs")
    parser = "shellrc.parse_shell"


@resources.register("host.root_path")
class RootPath(HostKind):
    description = ("root's PATH as root's login shell sets it (runtime: not on a file tree), and each directory "
                   "in it (one per host, id `root_path`).")
    attributes = (
        A("path", "string", "the PATH"), A("dirs", "list", "[{dir, exists, type, owner, perms}]"),
        A("empty_entries", "boolean", "an empty entry (`::`, leading or trailing `:`): the current directory"),
        A("relative_entries", "list", "entries that are not absolute paths (`.`)"),
        A("not_directories", "list", "entries that are not existing directories"),
        A("not_root_owned", "list", "directories root does not own"),
        A("group_or_world_writable", "list", "directories writable by group or others"),
    )
    commands = ("env -i $SHELL -l -c 'echo $PATH'", "stat")
    runtime_only = True
    sections = ("root_path", "passwd", "group")
    parser = "shellrc.parse_root_path"


@resources.register("host.logging")
class Logging(HostKind):
    description = ("System logging (one per host, id `logging`): journald's effective settings (journald.conf and "
                   "its drop-ins), rsyslog's configuration with its includes, and the logging services.")
    attributes = (
        A("method", "string", "`rsyslog` when the rsyslog package is installed, else `journald` (CIS 6.1.2 or 6.1.3)"),
        A("journald_storage", "string", "effective Storage="), A("journald_compress", "string", "effective Compress="),
        A("journald_forward_to_syslog", "string", "effective ForwardToSyslog= (the distribution's documented default "
          "when unset)"),
        A("journald_set", "list", "the [Journal] keys a file sets"),
        A("journal_dir_exists", "boolean", "/var/log/journal exists"),
        A("journald_enabled", "boolean", "systemd-journald.service is enabled (static) or running"),
        A("journal_remote_installed", "boolean", "systemd-journal-remote is installed" + _PKG_ERR),
        A("journal_upload_enabled", "boolean", "systemd-journal-upload.service is enabled"),
        A("journal_remote_listening", "list", "systemd-journal-remote socket/service enabled or running"),
        A("rsyslog_installed", "boolean", "rsyslog is installed" + _PKG_ERR),
        A("rsyslog_files", "list", "rsyslog files read, in order"),
        A("rsyslog_file_create_modes", "list", "[{file, line, value, perms}] each $FileCreateMode / fileCreateMode"),
        A("rsyslog_remote_inputs", "list", "[{file, line, text}] modules and inputs receiving logs over the network"),
        A("syslog_daemons", "list", "syslog daemons enabled or running (rsyslog, syslog-ng)"),
        A("logging_systems", "list", "the syslog daemons, or journald alone when there is none"),
    )
    commands = ("cat /etc/systemd/journald.conf{,.d/*.conf} /etc/rsyslog.conf /etc/rsyslog.d/*.conf",
                "systemctl list-unit-files", "dpkg-query -W")
    sections = ("journald", "rsyslog", "units", "packages")
    parser = "logconf.parse_logging"


@resources.register("host.log_files")
class LogFiles(HostKind):
    description = ("Files under /var/log (one per host, id `log_files`; at most 20000 files, more is an error) "
                   "that break CIS 6.1.4.1's mode, owner and group rules for their name.")
    attributes = (
        A("files_count", "integer", "files examined"),
        A("violations", "list", "[{path, mode, owner, group, why}] (first 1000)"),
        A("violations_count", "integer", "their number"),
    )
    commands = ("find /var/log -printf",)
    sections = ("logfiles", "passwd", "group")
    parser = "logfiles.parse_log_files"


@resources.register("host.audit_rules")
class AuditRules(HostKind):
    description = ("The CIS Debian 12 6.2.3.x audit rules missing on disk (/etc/audit/rules.d) and in the running "
                   "kernel (auditctl -l), per item (one per host, id `audit_rules`). Privileged commands need the "
                   "filesystem walk (setuid/setgid programs): without it those items are not checked.")
    attributes = (
        A("installed", "boolean", "the auditd package is installed" + _PKG_ERR),
        A("disk_missing", "map", "item -> rules missing from rules.d: sudoers user_emulation sudo_log time_change "
          "network privileged access identity perm_mod mounts session logins delete mac_policy chcon setfacl chacl "
          "usermod modules"),
        A("loaded_missing", "map", "the same for the running rules"),
        A("privileged_commands", "list", "setuid/setgid programs the walk found"),
    )
    commands = ("auditctl -l", "cat /etc/audit/rules.d/*.rules", "find / -xdev -perm /6000")
    runtime_attributes = ("loaded_missing",)
    sections = ("audit_status", "audit_rules", "audit_conf", "sudo", "packages", "walk")

    @classmethod
    def build(cls, out: Any, **options: Any) -> list[Resource]:
        from checks.host.parsers.audit_rules import parse_audit_rules

        return parse_audit_rules(out, walk=bool(options.get("walk")))


@resources.register("host.audit_files")
class AuditFiles(HostKind):
    description = ("Audit logs, configuration and tools (one per host, id `audit_files`): the directory of "
                   "auditd.conf's log_file and its files, .conf/.rules files under /etc/audit, the audit tools.")
    attributes = (
        A("installed", "boolean", "the auditd package is installed"),
        A("log_file", "string", "auditd.conf log_file"), A("log_dir", "map", "its directory: " + _ENTRY),
        A("log_files", "list", "files in it: " + _ENTRY), A("config_files", "list", _ENTRY),
        A("tools", "list", "auditctl auditd ausearch aureport autrace augenrules: " + _ENTRY),
        A("tools_missing", "list", "audit tools that do not exist"),
    )
    commands = ("stat /var/log/audit /etc/audit /sbin/audit*",)
    sections = ("audit_files", "packages", "passwd", "group")
    parser = "logfiles.parse_audit_files"


@resources.register("host.aide")
class Aide(HostKind):
    description = "AIDE file integrity checking (one per host, id `aide`)."
    attributes = (
        A("installed", "boolean", "aide and aide-common are installed" + _PKG_ERR),
        A("database_exists", "boolean", "/var/lib/aide/aide.db(.gz) exists"),
        A("schedule", "list", "where a periodic check is scheduled: cron lines (`file:line`), cron.daily/weekly "
          "scripts, enabled aide timers"),
        A("audit_tools_unchecked", "list", "`tool: attributes` AIDE does not check on an audit tool (CIS 6.3.3: "
          "p i n u g s b acl xattrs sha512)"),
    )
    commands = ("cat /etc/aide/aide.conf /etc/aide/aide.conf.d/* /etc/crontab /etc/cron.d/*",)
    sections = ("aide", "packages", "units", "passwd", "group")
    parser = "aide.parse_aide"


@resources.register("host.homes")
class Homes(HostKind):
    description = ("Home directory and dot files of each account whose shell is not nologin/false (id "
                   "`home:<name>`; at most 1000 accounts and 500 dot files each).")
    attributes = (
        A("name", "string", "account"), A("uid", "integer", "uid"), A("home", "string", "home directory"),
        A("exists", "boolean", "it exists"), A("is_directory", "boolean", "it is a directory"),
        A("owner", "string", "its owner"), A("owned_by_user", "boolean", "the account owns it"),
        A("mode", "string", "octal mode"), A("perms", "list", "permission bits as names"),
        A("dotfile_problems", "list", "[{path, why}]: .forward/.rhosts present, a dot file not owned by the account, "
          ".netrc/.bash_history readable by others, a dot file writable by group or others"),
        A("netrc", "boolean", "a .netrc exists"),
    )
    commands = ("stat $HOME", "find $HOME -maxdepth 1 -name '.*'")
    sections = ("homes", "passwd", "group")
    parser = "homes.parse_homes"
