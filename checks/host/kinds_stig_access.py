"""Host resource type for the DISA STIG access rules no other type reports: Ctrl-Alt-Del, the default target,
logind's idle session limit, the rescue and emergency units, pam_limits maxlogins, libuser, the C shell's and
bash's umask, the PAM settings the STIGs read per file (rounds, hashing, pwquality, faillock, faildelay) and the
login banners' text as the STIG compares it. Section: checks/host/facts_stig_access.sh; parser:
checks/host/parsers/stig_access.py."""

from __future__ import annotations

from checks.host.resources import HostKind
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_PAM_KEYS = "keys system_auth, password_auth, common_password, common_auth (the files that exist)"
_UMASKS = "[{file, line, value, allows}] each `umask` line; allows: the permission bits a new directory may get"


@resources.register("host.stig_access")
class StigAccess(HostKind):
    description = ("DISA STIG access settings read from files (one per host, id `stig_access`). A file that "
                   "could not be read makes the attributes it feeds an error; a missing file or setting is null.")
    attributes = (
        A("ctrl_alt_del_link", "string", "target of the /etc/systemd/system/ctrl-alt-del.target link (null: none)"),
        A("ctrl_alt_del_masked", "boolean", "ctrl-alt-del.target is a link to /dev/null (masked)"),
        A("default_target_link", "string", "target of the /etc/systemd/system/default.target link (null: none)"),
        A("default_target", "string", "its file name, e.g. multi-user.target"),
        A("ctrl_alt_del_burst_action", "string", "effective CtrlAltDelBurstAction= of system.conf and its drop-ins"),
        A("stop_idle_session_sec", "integer", "effective StopIdleSessionSec= of logind.conf and its drop-ins, "
          "seconds; infinity (no limit) is 0; the text when it is not a time span"),
        A("stop_idle_session", "string", "StopIdleSessionSec= as written"),
        A("rescue_exec_start", "string", "effective ExecStart= of rescue.service (unit file and drop-ins)"),
        A("emergency_exec_start", "string", "effective ExecStart= of emergency.service"),
        A("maxlogins", "integer", "maxlogins pam_limits applies to every user (`*` hard or -; limits.conf then "
          "limits.d/*.conf, the last entry wins); null when unset"),
        A("libuser_exists", "boolean", "/etc/libuser.conf exists"),
        A("libuser_crypt_style", "string", "crypt_style of [defaults] in /etc/libuser.conf"),
        A("csh_umask", "list", "/etc/csh.cshrc: " + _UMASKS), A("cshrc_exists", "boolean", "/etc/csh.cshrc exists"),
        A("bashrc_umask", "list", "/etc/bashrc: " + _UMASKS), A("bashrc_exists", "boolean", "/etc/bashrc exists"),
        *(A(f"crypto_policy_{who}_{kw.lower()}", "list", f"{kw} of /etc/crypto-policies/back-ends/{f} (the "
            f"crypto policy's OpenSSH {who == 'sshd' and 'server' or 'client'} settings); null when the file or line "
            "is missing") for who, f in (("sshd", "opensshserver.config"), ("ssh", "openssh.config"))
          for kw in ("Ciphers", "MACs")),
        A("unix_rounds", "map", "rounds= of pam_unix in the password stack, per file: " + _PAM_KEYS),
        A("unix_hashes", "map", "hashing options of pam_unix in the password stack, per file: " + _PAM_KEYS),
        A("pwquality_in", "map", "`password required|requisite pam_pwquality.so` is in the file: " + _PAM_KEYS),
        A("faillock_in", "map", "pam_faillock.so preauth and authfail in auth and pam_faillock.so in account: "
          + _PAM_KEYS),
        A("faildelay", "integer", "delay= of `auth required pam_faildelay.so` in /etc/pam.d/common-auth"),
        A("interactive_umask_lines", "list", "[{user, file, line, text}] `umask` lines in the dot files of the home "
          "directory of each interactive (not system) account with a login shell"),
        A("issue_text", "string", "/etc/issue with whitespace runs as one space (null: missing)"),
        A("issue_net_text", "string", "/etc/issue.net with whitespace runs as one space (null: missing)"),
    )
    commands = ("readlink /etc/systemd/system/{ctrl-alt-del,default}.target",
                "cat /etc/systemd/{system,logind}.conf{,.d/*.conf} rescue.service emergency.service "
                "/etc/security/limits.conf /etc/libuser.conf /etc/csh.cshrc /etc/bashrc /etc/pam.d/* /etc/issue*")
    sections = ("stig_access", "pam", "banners", "stig_dotfiles", "passwd", "group", "login_defs")
    parser = "stig_access.parse_stig_access"


@resources.register("host.stig_gnome")
class StigGnome(HostKind):
    description = ("GNOME settings the DISA STIGs require (one per host, id `stig_gnome`), as dconf gives them: "
                   "user-session keys from the system databases of /etc/dconf/profile/user, greeter keys from those "
                   "of /etc/dconf/profile/gdm (the first database listed wins; a key locked in any of them is "
                   "locked). Without the gdm3 or gdm package only gdm_installed is reported.")
    attributes = (
        A("gdm_installed", "boolean", "gdm3 or gdm is installed"), A("gdm_installed_reason", "string", "why"),
        A("user_profile_dbs", "list", "system-db names of /etc/dconf/profile/user"),
        A("gdm_profile_dbs", "list", "system-db names of /etc/dconf/profile/gdm"),
        *(A(a, "string|boolean", f"dconf {k}") for a, k in (
            ("logout", "org/gnome/settings-daemon/plugins/media-keys/logout (as written, e.g. ['']"),
            ("lock_enabled", "org/gnome/desktop/screensaver/lock-enabled"),
            ("picture_uri", "org/gnome/desktop/screensaver/picture-uri (`string ''` as written)"),
            ("removal_action", "org/gnome/settings-daemon/peripherals/smartcard/removal-action"),
            ("disable_restart_buttons", "org/gnome/login-screen/disable-restart-buttons (greeter)"),
            ("banner_message_text", "org/gnome/login-screen/banner-message-text (greeter), \\n escapes and "
             "whitespace runs as one space"))),
        *(A(f"{a}_locked", "boolean", f"the {a} key is locked") for a in (
            "logout", "lock_enabled", "picture_uri", "removal_action", "disable_restart_buttons",
            "banner_message_text")),
        A("session_idle_delay_locked", "boolean", "org/gnome/desktop/session/idle-delay is locked"),
        A("screensaver_lock_delay_locked", "boolean", "org/gnome/desktop/screensaver/lock-delay is locked"),
        A("automatic_login_enable", "string", "[daemon] AutomaticLoginEnable of GDM's custom.conf (null: unset)"),
        A("stale_databases", "list", "dconf databases older than one of their keyfiles (dconf update not run)"),
    )
    commands = ("cat /etc/dconf/profile/* /etc/dconf/db/*.d/* /etc/gdm/custom.conf /etc/gdm3/custom.conf",
                "find /etc/dconf/db -printf %T@")
    sections = ("stig_gnome", "packages")
    parser = "stig_access_gnome.parse_stig_gnome"


@resources.register("host.stig_auth")
class StigAuth(HostKind):
    description = ("Smart card authentication (pam_pkcs11, SSSD) and sudo rules granting everyone everything, as the "
                   "DISA STIGs check them (one per host, id `stig_auth`). SSSD: sssd.conf, then conf.d/*.conf by "
                   "name (a later file wins). A file that could not be read makes the attributes it feeds an error.")
    attributes = (
        A("pkcs11_conf_exists", "boolean", "/etc/pam_pkcs11/pam_pkcs11.conf exists"),
        A("pkcs11_cert_policies", "list", "[{line, value, items}] each cert_policy line of pam_pkcs11.conf"),
        A("pkcs11_in_common_auth", "boolean", "`auth [...] pam_pkcs11.so` in /etc/pam.d/common-auth"),
        A("sssd_conf_exists", "boolean", "an SSSD configuration file exists"),
        A("sssd_services", "list", "[sssd] services"),
        A("sssd_certificate_verification", "string", "[sssd] certificate_verification"),
        A("sssd_pam_cert_auth", "string", "[pam] pam_cert_auth, lower-case"),
        A("sssd_offline_credentials_expiration", "integer", "[pam] offline_credentials_expiration (days)"),
        A("sssd_domain_certificate_verification", "list", "certificate_verification of each [domain/*] section"),
        A("sssd_ldap_user_certificate", "list", "ldap_user_certificate of each section setting it"),
        A("sssd_certmap_rules", "list", "[certmap/DOMAIN/RULE] section names"),
        A("system_auth_sss_cert_auth", "boolean", "pam_sss.so in the auth stack of /etc/pam.d/system-auth has "
          "try_cert_auth or require_cert_auth"),
        A("smartcard_auth_allow_missing_name", "boolean", "pam_sss.so in the auth stack of /etc/pam.d/smartcard-auth "
          "has allow_missing_name"),
        A("sudo_all_all", "list", "[{file, line, text}] `ALL ALL=(ALL) ALL` or `ALL ALL=(ALL:ALL) ALL` in /etc/sudoers "
          "and the files of /etc/sudoers.d"),
    )
    commands = ("cat /etc/pam_pkcs11/pam_pkcs11.conf /etc/sssd/sssd.conf /etc/sssd/conf.d/*.conf "
                "/etc/pam.d/{common-auth,system-auth,smartcard-auth} /etc/sudoers /etc/sudoers.d/*",)
    sections = ("stig_auth", "pam", "sudo")
    parser = "stig_access_auth.parse_stig_auth"
