"""The resource types the host provider produces, with every attribute a control may read.

``govscan resources`` prints these; the policy lint rejects a host control that reads a top-level
attribute not declared here.
"""

from __future__ import annotations

from typing import Any, ClassVar

from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import Identity, ResourceKind, resources

# sshd -T keywords (OpenSSH 8.x-9.x). Comma lists become lists; repeatable keywords become lists.
SSHD_KEYWORDS = ["acceptenv", "addressfamily", "allowagentforwarding", "allowgroups", "allowstreamlocalforwarding", "allowtcpforwarding", "allowusers", "authenticationmethods", "authorizedkeyscommand", "authorizedkeyscommanduser", "authorizedkeysfile", "authorizedprincipalscommand", "authorizedprincipalscommanduser", "authorizedprincipalsfile", "banner", "casignaturealgorithms", "channeltimeout", "chrootdirectory", "ciphers", "clientalivecountmax", "clientaliveinterval", "compression", "denygroups", "denyusers", "disableforwarding", "exposeauthinfo", "fingerprinthash", "forcecommand", "gatewayports", "gssapiauthentication", "gssapicleanupcredentials", "gssapikexalgorithms", "gssapikeyexchange", "gssapistorecredentialsonrekey", "gssapistrictacceptorcheck", "hostbasedacceptedalgorithms", "hostbasedauthentication", "hostbasedusesnamefrompacketonly", "hostcertificate", "hostkey", "hostkeyagent", "hostkeyalgorithms", "ignorerhosts", "ignoreuserknownhosts", "include", "ipqos", "kbdinteractiveauthentication", "kerberosauthentication", "kerberosorlocalpasswd", "kerberosticketcleanup", "kexalgorithms", "listenaddress", "logingracetime", "loglevel", "macs", "maxauthtries", "maxsessions", "maxstartups", "modulifile", "passwordauthentication", "permitemptypasswords", "permitlisten", "permitopen", "permitrootlogin", "permittty", "permittunnel", "permituserenvironment", "permituserrc", "persourcemaxstartups", "persourcenetblocksize", "pidfile", "port", "printlastlog", "printmotd", "pubkeyacceptedalgorithms", "pubkeyacceptedkeytypes", "pubkeyauthentication", "pubkeyauthoptions", "rekeylimit", "requiredrsasize", "revokedkeys", "securitykeyprovider", "setenv", "streamlocalbindmask", "streamlocalbindunlink", "strictmodes", "subsystem", "syslogfacility", "tcpkeepalive", "trustedusercakeys", "unusedconnectiontimeout", "usedns", "usepam", "versionaddendum", "x11displayoffset", "x11forwarding", "x11uselocalhost", "xauthlocation"]
_SSHD_LISTS = {"ciphers", "macs", "kexalgorithms", "hostkeyalgorithms", "pubkeyacceptedalgorithms",
               "pubkeyacceptedkeytypes", "hostbasedacceptedalgorithms", "casignaturealgorithms",
               "gssapikexalgorithms", "listenaddress", "hostkey", "acceptenv", "subsystem", "authorizedkeysfile",
               "setenv", "permitopen", "permitlisten", "include", "hostcertificate", "allowusers", "denyusers",
               "allowgroups", "denygroups", "port", "channeltimeout", "authenticationmethods"}

_CRON = ("a cron daemon is installed: a cron binary (cron, crond, fcron) on PATH or a cron package (cron, cronie, "
         "systemd-cron, bcron, fcron, dcron); an error when neither was found and the package list could not be read")
_PERMS = "permission bits set, as names: suid sgid sticky ur uw ux gr gw gx or ow ox"


class HostKind(ResourceKind):
    """A host resource type: built by a parser from sections of the fact script (``facts.sh``)."""

    identity = Identity(id="fixed per type (`os`, `sshd`) or `<kind>:<name>`", account=None)
    commands: ClassVar[tuple[str, ...]] = ()
    """What the sections run or read on the host (shown by ``govscan resources``)."""
    sections: ClassVar[tuple[str, ...]] = ()
    """The fact-script sections the parser reads."""
    parser: ClassVar[str] = ""
    """``module.function`` under :mod:`checks.host.parsers` that builds the resources."""
    # What needs a running system (a file tree, ``rootfs:``, has none): declared here, applied by the
    # provider (``HostProvider.parse``), never decided per control. See docs/host.md "Golden images".
    runtime_only: ClassVar[bool] = False
    """The whole type needs a running system: on a file tree its sections do not run, it has no resource
    and every control on it is ``notchecked`` ("needs a running system (rootfs: target)")."""
    runtime_attributes: ClassVar[tuple[str, ...]] = ()
    """Attribute paths only a running system has (a ``*`` part matches every key of a map, e.g.
    ``modules.*.loaded``): on a file tree they are removed and ``notchecked``, so a control reading one is
    ``notchecked`` while controls reading only persisted attributes are decided on the files."""
    runtime_sections: ClassVar[tuple[str, ...]] = ()
    """Sections of this type that read only the running system: not run on a file tree."""

    @classmethod
    def collected_with(cls) -> tuple[str, ...]:
        return cls.commands

    @classmethod
    def build(cls, out: Any, **options: Any) -> list[Resource]:
        """The resources of this type in the parsed script output (raises FactError)."""
        import importlib

        module, _, func = cls.parser.rpartition(".")
        return list(getattr(importlib.import_module(f"checks.host.parsers.{module}"), func)(out))


@resources.register("host.os")
class Os(HostKind):
    description = "The operating system (one per host, id `os`)."
    attributes = (
        A("hostname", "string", "kernel host name"), A("id", "string", "os-release ID, e.g. debian, rhel"),
        A("id_like", "list", "os-release ID_LIKE words"),
        A("family", "string", "debian | rhel | suse | alpine | arch | other"),
        A("name", "string", "os-release NAME"), A("pretty_name", "string", "os-release PRETTY_NAME"),
        A("version_id", "string", "os-release VERSION_ID"), A("kernel", "string", "uname -r"),
        A("arch", "string", "uname -m"), A("uid", "integer", "uid the fact script ran as"),
        A("is_root", "boolean", "whether the facts were read as root"),
    )
    commands = ("cat /etc/os-release", "uname", "id -u")
    sections = ("os",)
    runtime_attributes = ("kernel", "arch")
    parser = "system.parse_os"


@resources.register("host.sshd")
class Sshd(HostKind):
    description = ("Effective OpenSSH server configuration: id `sshd` for the global one (`sshd -T`, or "
                 "the configuration files and OpenSSH's defaults when `sshd -T` cannot run), and one resource "
                 "`sshd[Match <criteria>]` per Match block with the configuration a connection matching it gets. "
                 "Keywords are lower-case; numbers are integers; algorithm lists and repeatable keywords are lists.")
    attributes = (A("installed", "boolean", "whether an sshd binary exists"),
                  A("source", "string", "where the values come from: `sshd -T` or `config-files`"),
                  A("sshd_t_error", "string", "why sshd -T could not run (source config-files)"),
                  A("version", "string", "OpenSSH version (sshd -V)"),
                  A("match", "string", "the Match criteria as written, e.g. `Address *` (Match resources only)"),
                  A("match_location", "string", "file:line of the Match line (Match resources only)"),
                  A("config_files", "list", "the configuration files sshd reads, in order: sshd_config and every "
                    "file its Include lines pull in (e.g. RHEL's crypto-policies back-end)"),
                  A("maxstartups_start", "integer", "first number of MaxStartups (start:rate:full)"),
                  A("maxstartups_full", "integer", "last number of MaxStartups"),
                  *(A(k, "list" if k in _SSHD_LISTS else "string|integer", f"sshd -T `{k}`") for k in SSHD_KEYWORDS))
    commands = ("sshd -T", "sshd -V", "cat /etc/ssh/sshd_config and its Include files")
    sections = ("sshd",)
    parser = "sshd.parse_sshd"


@resources.register("host.packages")
class Packages(HostKind):
    description = "Installed packages (one per host, id `packages`)."
    attributes = (
        A("manager", "string", "dpkg | rpm"), A("installed", "map", "package name -> version"),
        A("names", "list", "installed package names, sorted"),
        A("packages", "list", "[{name, version}] for quantifiers (`matched.name` in messages)"),
        A("count", "integer", "number of installed packages"),
    )
    commands = ("dpkg-query -W", "rpm -qa")
    sections = ("packages",)
    parser = "system.parse_packages"


@resources.register("host.services")
class Services(HostKind):
    description = "systemd units: services, sockets, timers (one per host, id `services`)."
    attributes = (
        A("systemd_running", "boolean", "whether systemd runs (activity is known)"),
        A("units", "list", "[{name, enabled, active, sub, enabled_any, running}]: enabled is the unit-file state "
          "(enabled, disabled, static, masked, ...), active null when systemd does not run; enabled_any: the "
          "state is neither disabled nor masked; running: active, activating, reloading or deactivating"),
        A("enabled", "list", "names of units whose unit-file state is enabled or enabled-runtime, e.g. chrony.service"),
        A("enabled_any", "list", "names of units enabled in any form: every unit-file state but disabled, masked "
          "(static, indirect, generated (SysV), alias, linked, ... included)"),
        A("enabled_or_running", "list", "enabled_any plus every unit running now (even if disabled)"),
        A("masked", "list", "names of masked units"),
        A("active", "list", "names of active units; null when systemd does not run"),
        A("cron_installed", "boolean", _CRON), A("cron_installed_reason", "string", "how cron_installed was decided"),
    )
    commands = ("systemctl list-unit-files", "systemctl list-units")
    sections = ("units", "packages", "cron")
    runtime_attributes = ("active", "systemd_running")
    parser = "system.parse_services"


@resources.register("host.sysctl")
class Sysctl(HostKind):
    description = ("Running kernel parameters from /proc/sys (one per host, id `sysctl`), as a "
                 "nested map: key `net.ipv4.ip_forward` reads /proc/sys/net/ipv4/ip_forward. Integers are "
                 "integers; parameters the kernel lacks are absent. `persisted` holds the values the sysctl "
                 "configuration applies at boot (systemd-sysctl precedence, see docs/host.md).")
    attributes = (
        A("net", "map", "net.* parameters"), A("kernel", "map", "kernel.* parameters"),
        A("fs", "map", "fs.* parameters"), A("dev", "map", "dev.* parameters"),
        A("user", "map", "user.* parameters"), A("vm", "map", "vm.* parameters"),
        A("missing", "list", "requested parameters this kernel does not have"),
        A("unreadable", "list", "parameters that exist but could not be read"),
        A("persisted", "map", "the value each parameter gets at boot from /etc/sysctl.d, /run/sysctl.d, "
          "/usr/local/lib/sysctl.d, /usr/lib/sysctl.d, /lib/sysctl.d (*.conf) and /etc/sysctl.conf, same "
          "nesting (`persisted.kernel.randomize_va_space`); absent when no file sets it; an error when a "
          "file or directory could not be read"),
        A("persisted_at", "map", "`file:line` of the assignment that wins, same nesting as persisted"),
        A("core_hard_limit", "string|integer", "hard core-size limit of every user (`*` hard|- core) from "
          "/etc/security/limits.conf and limits.d/*.conf (last entry wins; `unlimited` as text); absent when unset"),
        A("core_hard_limit_at", "string", "`file:line` of that limits entry"),
    )
    commands = ("read /proc/sys/*", "cat /etc/sysctl.d/*.conf /etc/sysctl.conf", "cat /etc/security/limits.conf")
    sections = ("sysctl", "sysctl_conf", "limits")
    runtime_attributes = ("net", "kernel", "fs", "dev", "user", "vm", "missing", "unreadable")
    runtime_sections = ("sysctl",)
    parser = "kernel.parse_sysctl"


@resources.register("host.files")
class Files(HostKind):
    description = ("Metadata of security-relevant paths (one per path, id = the path; missing "
                 "paths have exists false). Extra paths through the `extra_files` input.")
    attributes = (
        A("path", "string", "absolute path"), A("exists", "boolean", "whether the path exists"),
        A("type", "string", "file | directory | symlink | socket | fifo | char-device | block-device"),
        A("mode", "string", "octal mode, 4 digits, e.g. 0640"), A("perms", "list", _PERMS),
        A("owner", "string", "owner name"), A("group", "string", "group name"),
        A("uid", "integer", "owner uid"), A("gid", "integer", "group gid"),
        A("cron_installed", "boolean", "cron paths only (/etc/crontab, /etc/cron.*): " + _CRON),
        A("cron_installed_reason", "string", "cron paths only: how cron_installed was decided"),
        A("at_installed", "boolean", "/etc/at.allow and /etc/at.deny only: package at is installed"),
    )
    commands = ("stat -c",)
    sections = ("files", "packages", "cron")
    parser = "files.parse_files"


@resources.register("host.users")
class Users(HostKind):
    description = "Accounts of /etc/passwd (one per account, id `user:<name>`)."
    attributes = (
        A("name", "string", "login name"), A("uid", "integer", "uid"), A("gid", "integer", "primary gid"),
        A("home", "string", "home directory"), A("shell", "string", "login shell field as written (may be empty)"),
        A("effective_shell", "string", "the shell login runs: the field, or /bin/sh when it is empty (passwd(5))"),
        A("interactive_shell", "boolean", "shell is not nologin/false/sync/shutdown/halt (an empty field is /bin/sh: true)"),
        A("system", "boolean", "uid below login.defs UID_MIN, or 65534"),
        A("password_shadowed", "boolean", "password field is `x` (hash kept in /etc/shadow)"),
        A("duplicate_name", "boolean", "the name appears more than once in /etc/passwd"),
        A("uid_shared_with", "list", "other accounts with the same uid"),
        A("primary_group", "string", "name of the primary group, null if it does not exist"),
        A("primary_group_exists", "boolean", "the primary gid exists in /etc/group"),
        A("groups", "list", "supplementary groups"),
    )
    commands = ("cat /etc/passwd /etc/group",)
    sections = ("passwd", "group", "login_defs")
    parser = "accounts.parse_users"


@resources.register("host.groups")
class Groups(HostKind):
    description = "Groups of /etc/group (one per group, id `group:<name>`)."
    attributes = (
        A("name", "string", "group name"), A("gid", "integer", "gid"),
        A("password_shadowed", "boolean", "password field is `x`"),
        A("members", "list", "supplementary members"),
        A("primary_members", "list", "accounts whose primary group this is"),
        A("duplicate_name", "boolean", "the name appears more than once"),
        A("gid_shared_with", "list", "other groups with the same gid"),
    )
    commands = ("cat /etc/group /etc/passwd",)
    sections = ("group", "passwd")
    parser = "accounts.parse_groups"


@resources.register("host.shadow")
class Shadow(HostKind):
    description = ("Password state and ageing from /etc/shadow (one per account, id "
                 "`shadow:<name>`). Needs root: otherwise every control on it is error.")
    attributes = (
        A("name", "string", "login name"), A("uid", "integer", "uid from /etc/passwd (null if absent)"),
        A("in_passwd", "boolean", "the account exists in /etc/passwd"),
        A("system", "boolean", "uid below UID_MIN, or 65534"),
        A("password_status", "string", "set | locked (! or *) | empty (no password at all)"),
        A("algorithm", "string", "hash algorithm: yescrypt sha512 sha256 bcrypt md5 des; null when none"),
        A("last_change", "integer", "days since 1970-01-01 of the last change"),
        A("days_since_change", "integer", "days since the last change, by the host's clock"),
        A("last_change_in_future", "boolean", "last change is after the host's today"),
        A("min_days", "integer", "minimum days between changes"), A("max_days", "integer", "maximum password age"),
        A("warn_days", "integer", "warning days"), A("inactive_days", "integer", "days after expiry until lock"),
        A("expire", "integer", "account expiry (days since epoch)"),
        A("shell", "string", "login shell from /etc/passwd (an empty field is /bin/sh)"),
        A("shell_valid", "boolean", "/etc/shells lists the shell (false for every shell when /etc/shells does not exist)"),
    )
    commands = ("cat /etc/shadow /etc/shells",)
    sections = ("shadow", "passwd", "login_defs", "shellrc")
    parser = "accounts.parse_shadow"


@resources.register("host.login_defs")
class LoginDefs(HostKind):
    description = ("/etc/login.defs (one per host, id `login.defs`), keys lower-case: "
                 "pass_max_days, pass_min_days, pass_warn_age, umask, encrypt_method, uid_min, ...")
    attributes = (
        A("exists", "boolean", "the file exists"),
        *(A(k, "integer", f"{k.upper()}") for k in (
            "pass_max_days", "pass_min_days", "pass_warn_age", "pass_min_len", "uid_min", "uid_max",
            "sys_uid_min", "sys_uid_max", "gid_min", "gid_max", "login_retries", "login_timeout",
            "fail_delay", "sha_crypt_min_rounds", "sha_crypt_max_rounds", "yescrypt_cost_factor")),
        A("umask", "string", "UMASK (octal text)"), A("encrypt_method", "string", "ENCRYPT_METHOD"),
        A("umask_allows", "list", "permission bits a new file may get under UMASK (" + _PERMS + ")"),
        A("create_home", "string", "CREATE_HOME"), A("usergroups_enab", "string", "USERGROUPS_ENAB"),
        A("useradd_inactive", "integer", "INACTIVE from /etc/default/useradd"),
    )
    open_attributes = "every other login.defs key, lower-case (string or integer)"
    commands = ("cat /etc/login.defs /etc/default/useradd",)
    sections = ("login_defs",)
    parser = "accounts.parse_login_defs"


@resources.register("host.pam")
class Pam(HostKind):
    description = ("PAM password, authentication and lockout configuration (one per host, id `pam`) "
                 "from common-* (Debian) or system-auth/password-auth (RHEL family).")
    attributes = (
        A("layout", "string", "debian | rhel"), A("files", "list", "files read"),
        A("auth", "list", "[{file, type, control, module, args}] auth stack"),
        A("account", "list", "account stack"), A("password", "list", "password stack"),
        A("session", "list", "session stack"),
        A("pwquality_enabled", "boolean", "pam_pwquality (or pam_cracklib) is in the password stack"),
        A("pwquality", "map", "pwquality.conf (+ .d) overridden by module arguments: minlen, minclass, "
          "dcredit, ucredit, lcredit, ocredit, maxrepeat, maxsequence, dictcheck, difok, enforce_for_root"),
        A("faillock_enabled", "boolean", "pam_faillock (or pam_tally2) is in the auth stack"),
        A("faillock", "map", "faillock.conf overridden by module arguments: deny, unlock_time, fail_interval, "
          "even_deny_root, root_unlock_time"),
        A("pwhistory_enabled", "boolean", "password reuse is limited (pam_pwhistory or pam_unix remember)"),
        A("pwhistory_remember", "integer", "number of old passwords remembered"),
        A("pwhistory", "map", "pwhistory.conf overridden by pam_pwhistory arguments: remember, enforce_for_root, ..."),
        A("unix_hashing", "string", "hash option of pam_unix in the password stack (yescrypt, sha512, ...)"),
        A("nullok", "boolean", "pam_unix accepts empty passwords (nullok) in auth or password"),
        A("authselect_profile", "string", "the authselect profile selected (/etc/authselect/authselect.conf), "
          "e.g. sssd or custom/cis; null when authselect is not configured"),
        A("authselect_features", "list", "the authselect features enabled (with-faillock, with-pwhistory...)"),
        A("authselect_managed", "boolean", "system-auth and password-auth are authselect's links into /etc/authselect"),
    )
    commands = ("cat /etc/pam.d/common-* /etc/pam.d/system-auth /etc/security/*.conf /etc/authselect/authselect.conf",)
    sections = ("pam",)
    parser = "pam.parse_pam"


@resources.register("host.mounts")
class Mounts(HostKind):
    description = ("Mount points of interest: /tmp /dev/shm /var /var/tmp /var/log /var/log/audit "
                 "/home (one per mount point, id `mount:<path>`; not mounted -> mounted false). On a file tree "
                 "(rootfs:) what its /etc/fstab mounts at boot; /dev/shm without an fstab line, and /tmp without "
                 "one where the tree has a tmp.mount unit, are notchecked (systemd mounts them with its own options).")
    attributes = (
        A("mountpoint", "string", "path"), A("mounted", "boolean", "a filesystem is mounted there"),
        A("source", "string", "device or source"), A("fstype", "string", "filesystem type"),
        A("options", "list", "mount options"), A("nodev", "boolean", "nodev set"),
        A("nosuid", "boolean", "nosuid set"), A("noexec", "boolean", "noexec set"),
    )
    commands = ("cat /proc/self/mounts", "cat /etc/fstab (file tree)")
    sections = ("mounts",)
    parser = "kernel.parse_mounts"


@resources.register("host.auditd")
class Auditd(HostKind):
    description = "Linux audit: daemon, rules and kernel command line (one per host, id `auditd`)."
    attributes = (
        A("installed", "boolean", "auditctl exists"), A("enabled", "integer", "auditctl -s enabled (0, 1, 2)"),
        A("failure", "integer", "auditctl -s failure mode"), A("backlog_limit", "integer", "auditctl -s backlog_limit"),
        A("status", "map", "all auditctl -s values"), A("conf", "map", "auditd.conf, keys lower-case"),
        A("rule_files", "list", "files under /etc/audit/rules.d"),
        A("rules", "list", "on-disk rules (rules.d), one line each"), A("rules_text", "string", "on-disk rules joined by newlines"),
        A("loaded_rules", "list", "auditctl -l"), A("loaded_rules_text", "string", "auditctl -l joined by newlines"),
        A("immutable", "boolean", "rules end with -e 2 (or the kernel reports enabled 2)"),
        A("cmdline", "string", "/proc/cmdline"), A("cmdline_audit", "integer", "audit= on the kernel command line"),
        A("cmdline_backlog_limit", "integer", "audit_backlog_limit= on the kernel command line"),
    )
    commands = ("auditctl -s", "auditctl -l", "cat /etc/audit/auditd.conf /etc/audit/rules.d/*.rules /proc/cmdline")
    sections = ("audit_status", "audit_rules", "audit_conf")
    runtime_attributes = ("enabled", "failure", "backlog_limit", "status", "loaded_rules", "loaded_rules_text",
                          "cmdline", "cmdline_audit", "cmdline_backlog_limit")
    runtime_sections = ("audit_rules",)
    parser = "audit.parse_auditd"


@resources.register("host.kernel_modules")
class KernelModules(HostKind):
    description = ("Kernel modules (one per host, id `kernel_modules`). `modules` has an entry "
                 "per module of interest (cramfs freevxfs hfs hfsplus jffs2 squashfs udf usb_storage dccp sctp rds "
                 "tipc firewire_core bluetooth overlay atm can; `-` written `_`).")
    attributes = (
        A("modules_supported", "boolean", "the kernel loads modules (/proc/modules exists)"),
        A("loaded", "list", "loaded module names"),
        A("modules", "map", "name -> {loaded, available (module file or built in), builtin, install_command, "
          "disabled (install /bin/false|true), blacklisted, loadable}"),
    )
    commands = ("cat /proc/modules", "grep install|blacklist /etc/modprobe.d", "find /lib/modules/$(uname -r)")
    sections = ("modules",)
    runtime_attributes = ("loaded", "modules.*.loaded")
    parser = "kernel.parse_kernel_modules"


@resources.register("host.listening")
class Listening(HostKind):
    description = "Listening TCP and UDP sockets (one per socket, id `<proto>:<address>:<port>`)."
    attributes = (
        A("protocol", "string", "tcp | udp"), A("address", "string", "bound address (* or 0.0.0.0 or :: = any)"),
        A("port", "integer", "port"), A("process", "string", "process name (root only)"),
        A("pid", "integer", "process id (root only)"), A("loopback_only", "boolean", "bound to a loopback address"),
    )
    commands = ("ss -Htulnp", "cat /proc/net/tcp /proc/net/udp")
    sections = ("listening",)
    runtime_only = True
    parser = "net.parse_listening"


@resources.register("host.banners")
class Banners(HostKind):
    description = "Login banners /etc/issue, /etc/issue.net, /etc/motd (one per file, id `banner:<path>`)."
    attributes = (
        A("path", "string", "path"), A("exists", "boolean", "the file exists"),
        A("content", "string", "the text (a file over 1 MiB is an error for controls reading it)"),
    )
    commands = ("cat /etc/issue /etc/issue.net /etc/motd",)
    sections = ("banners",)
    parser = "files.parse_banners"


@resources.register("host.filesystem")
class Filesystem(HostKind):
    description = ("Filesystem walk (one per host, id `filesystem`): only when the input "
                 "`filesystem_walk` is true; otherwise walked is false. One `find -xdev` pass per local "
                 "filesystem, bounded by `filesystem_walk_timeout`. Lists keep the first 1000 paths.")
    attributes = (
        A("walked", "boolean", "the walk ran"),
        A("world_writable_files", "list", "regular files writable by others"),
        A("world_writable_files_count", "integer", "their number"),
        A("world_writable_dirs_without_sticky", "list", "directories writable by others without the sticky bit"),
        A("world_writable_dirs_without_sticky_count", "integer", "their number"),
        A("unowned_files", "list", "paths whose uid has no account"), A("unowned_files_count", "integer", "their number"),
        A("ungrouped_files", "list", "paths whose gid has no group"), A("ungrouped_files_count", "integer", "their number"),
    )
    commands = ("find / -xdev -perm -0002 -nouser -nogroup",)
    sections = ("walk",)

    @classmethod
    def build(cls, out: Any, **options: Any) -> list[Resource]:
        from checks.host.parsers.files import parse_walk

        return parse_walk(out if options.get("walk") else None, int(options.get("walk_timeout") or 0))
