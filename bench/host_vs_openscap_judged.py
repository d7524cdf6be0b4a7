"""Judged disagreements of bench/host_vs_openscap.py: SSG rule -> (which tool is right, why).

The judge is the audit procedure of CIS Debian Linux 12 Benchmark v1.1.0 for the recommendation (what it
runs and what it accepts) and what the setting means on the system; the ComplianceAsCode v0.1.81 rule's
description and OVAL are what OpenSCAP does (the bench prints the rule's audit text for any disagreement not
judged here). A key ``rule@mode`` judges that rule in one OpenSCAP mode only (machine-as-is,
machine-host-like, tree-minimal, tree-hardened) and wins over the plain ``rule`` key.
"""

_SSHD = ("CIS 5.1.x audits run `sshd -T` and grep the effective value, which includes OpenSSH's compiled-in "
         "defaults and the /etc/ssh/sshd_config.d/*.conf drop-ins Debian's sshd_config Includes on its first line. "
         "SSG's OVAL wants the keyword written in /etc/ssh/sshd_config itself (of the datastream's sshd checks only "
         "the AllowUsers/DenyUsers ones read sshd_config.d). Here the value sshd runs with is "
         "compliant ({v}), from {src}: the CIS audit passes, as govscan does")
_DEFAULT = "OpenSSH 9.2's default"
_DROPIN = "the tree's sshd_config.d/50-cis.conf drop-in"
_UNIT = ("OpenSCAP returns `unknown` (an error): its systemd probes query the running systemd and see nothing of a "
         "chroot, so it decides nothing. govscan reads the tree's unit files and links ({what}), which is what "
         "`systemctl is-enabled` decides on a booted copy of the tree: only govscan evaluates it")
_PWQ = ("CIS 5.3.3.2.x audits grep /etc/security/pwquality.conf AND /etc/security/pwquality.conf.d/*.conf (and "
        "pam_pwquality's arguments); the hardened tree sets {k} in pwquality.conf.d/60-cis.conf, which libpwquality "
        "1.4.5 reads. SSG's OVAL reads pwquality.conf only: govscan is right")
_PWQ_DEFAULT = ("CIS {n} only fails when {k} is set to 0 (in pwquality.conf, pwquality.conf.d or pam_pwquality's "
                "arguments): unset, libpwquality's default ({k}=1) applies and the audit returns nothing, a pass. "
                "SSG's OVAL wants an explicit `{k} = 1`: govscan is right")
_KMOD = ("CIS 1.1.1.x's audit script first looks for the module under /lib/modules/**/kernel/; where no installed "
         "kernel ships it the result is PASS (\"doesn't exist\"), and only otherwise does it ask for `install {m} "
         "/bin/false` and `blacklist {m}`. This machine has no /lib/modules at all and modprobe cannot find {m}: "
         "govscan's \"not loaded, not loadable\" pass is the CIS result. SSG's OVAL always wants the modprobe.d "
         "lines (stricter: it would also cover a kernel installed later)")
_BANNER = ("The audit greps {f} case-insensitively for \\v, \\r, \\m, \\s and the OS ID from /etc/os-release "
           "(`debian`) and fails on any match; {f} names Debian here. SSG's OVAL only looks for the getty escapes, "
           "so it misses the OS name the audit also forbids: govscan is right")

JUDGED: dict[str, tuple[str, str]] = {
    **{f"kernel_module_{m}_disabled": ("govscan", _KMOD.format(m=m))
       for m in ("cramfs", "freevxfs", "hfs", "hfsplus", "jffs2", "usb-storage", "squashfs", "udf")},
    **{r: ("govscan", _SSHD.format(v=v, src=_DEFAULT)) for r, v in (
        ("sshd_use_strong_ciphers", "no CBC, RC4, 3DES, Blowfish or CAST cipher offered; chacha20-poly1305 is "
                                    "patched against CVE-2023-48795 in Debian 12's 9.2p1-2+deb12u2"),
        ("sshd_use_strong_kex", "no SHA-1 key exchange offered"), ("sshd_use_strong_macs", "no weak MAC offered"),
        ("disable_host_auth", "hostbasedauthentication no"), ("sshd_disable_rhosts", "ignorerhosts yes"),
        ("sshd_set_loglevel_info", "loglevel INFO"), ("sshd_set_max_sessions", "maxsessions 10"),
        ("sshd_disable_empty_passwords", "permitemptypasswords no"),
        ("sshd_do_not_permit_user_env", "permituserenvironment no"))},
    **{f"{r}@tree-hardened": ("govscan", _SSHD.format(v=v, src=_DROPIN)) for r, v in (
        ("disable_host_auth", "hostbasedauthentication no"), ("sshd_disable_rhosts", "ignorerhosts yes"),
        ("sshd_set_loglevel_info", "loglevel VERBOSE or INFO"), ("sshd_set_max_sessions", "maxsessions 10 or fewer"),
        ("sshd_disable_empty_passwords", "permitemptypasswords no"), ("sshd_do_not_permit_user_env", "permituserenvironment no"),
        ("sshd_enable_warning_banner_net", "banner /etc/issue.net"), ("sshd_set_idle_timeout", "clientaliveinterval set"),
        ("sshd_set_keepalive", "clientalivecountmax set"), ("sshd_set_login_grace_time", "logingracetime 60"),
        ("sshd_set_max_auth_tries", "maxauthtries 4"), ("sshd_disable_root_login", "permitrootlogin no"))},
    "banner_etc_motd_cis": ("govscan", _BANNER.format(f="/etc/motd")),
    "banner_etc_issue_cis": ("govscan", _BANNER.format(f="/etc/issue")),
    "banner_etc_issue_net_cis": ("govscan", _BANNER.format(f="/etc/issue.net")),
    "set_password_hashing_algorithm_logindefs": (
        "govscan", "CIS 5.4.1.4's audit accepts `ENCRYPT_METHOD` SHA512 or YESCRYPT; login.defs says SHA512 here. The "
                   "SSG profile refines its variable to yescrypt only, stricter than the benchmark"),
    "file_permissions_unauthorized_world_writable": (
        "neither", "the machine is shared and /tmp changes between runs: the two walks, minutes apart, see different "
                   "files other jobs create and delete"),
    "root_path_all_dirs": (
        "govscan", "CIS 5.4.2.5 reads root's login PATH (`sudo -Hiu root env`) and checks each entry is a root-owned "
                   "directory not writable by group or others: all are here. SSG's OVAL reads the PATH of the oscap "
                   "process's own environment (the shell that started the bench), not root's login PATH"),
    "file_permission_user_init_files": (
        "govscan", "CIS 7.2.10 allows dot files up to mode 0644 (mask 0133; .bash_history 0600); SSG's rule wants 0740 "
                   "or less and fails root's 0644 .bashrc/.profile, which the benchmark accepts"),
    "permissions_local_var_log": (
        "govscan", "CIS 6.1.4.1's audit allows lastlog, wtmp and btmp up to 0664 with group utmp (and 0640 for most "
                   "other files); the hardened tree has them at 0660 root:utmp. SSG's rule wants every file at 0640 "
                   "or less"),
    "accounts_password_pam_unix_authtok": (
        "govscan", "CIS 5.3.3.4.4 greps /etc/pam.d/common-password for a `password ... pam_unix.so ... use_authtok` "
                   "line; this machine's line is `pam_unix.so obscure yescrypt` (no use_authtok): the audit fails. "
                   "SSG's OVAL passed it"),
    "socket_systemd-journal-remote_disabled": (
        "govscan", "CIS 6.1.2.1.4 passes when systemd-journal-remote.socket is not enabled; the package is not "
                   "installed here, so there is no socket unit. OpenSCAP's systemd probe answers an error"),
    "aide_build_database": (
        "govscan", "CIS 6.3.1 (\"AIDE is installed\") audits the aide and aide-common packages only; building the "
                   "database is part of its remediation. SSG's profile adds a rule that the database exists"),
    "chronyd_configure_pool_and_server": (
        "govscan", "CIS 2.3.3.1 passes when chrony's configuration has a `server` or a `pool` line; Debian's "
                   "chrony.conf has `pool 2.debian.pool.ntp.org iburst`. SSG's rule wants both kinds"),
    "package_timesyncd_installed": (
        "govscan", "CIS 2.3.1.1 asks that exactly one time daemon is in use; chrony is (enabled), timesyncd is not "
                   "installed. SSG's profile lists the alternatives (chrony or timesyncd) as separate rules, and the "
                   "bench's join requires all rules of an id, so the absent alternative reads as a failure"),
    "file_cron_allow_exists": (
        "govscan", "SSG files this rule under 2.4.1.2 (/etc/crontab permissions), which the crontab's own rules pass "
                   "here; CIS 2.4.1.2 does not ask for /etc/cron.allow (2.4.1.8 does, and there govscan fails it too)"),
    "file_permissions_cron_allow": (
        "govscan", "CIS 2.4.1.8: /etc/cron.allow must exist (mode 0640 or less, root and root/crontab). It does not "
                   "exist in this tree; SSG's permission, owner and group rules pass on a missing file"),
    "sudo_require_reauthentication": (
        "govscan", "CIS 5.2.6 passes when no `timestamp_timeout` above 15 is configured and sudo's built-in default "
                   "(`sudo -V`: 15 minutes on Debian 12) applies; SSG wants the option written in sudoers"),
    "accounts_password_pam_dictcheck": ("govscan", _PWQ_DEFAULT.format(n="5.3.3.2.6", k="dictcheck")),
    "accounts_password_pam_enforcing": ("govscan", _PWQ_DEFAULT.format(n="5.3.3.2.7", k="enforcing")),
    **{f"accounts_password_pam_{k}@tree-hardened": ("govscan", _PWQ.format(k=k)) for k in (
        "difok", "minlen", "dcredit", "lcredit", "minclass", "ocredit", "ucredit", "maxrepeat", "maxsequence",
        "dictcheck", "enforcing", "enforce_root")},
    **{r: ("govscan", "CIS 5.3.2.2/5.3.3.1.x audit /etc/pam.d/common-auth and common-account for pam_faillock.so "
                      "and /etc/security/faillock.conf for deny (5 or less) and unlock_time (0 or 900 and more); the "
                      "hardened tree has all of them, and govscan reads them. SSG's OVAL for Debian does not find "
                      "them in this layout")
       for r in ("accounts_passwords_pam_faillock_enabled", "accounts_passwords_pam_faillock_deny",
                 "accounts_passwords_pam_faillock_unlock_time")},
    "accounts_tmout": ("govscan", "CIS 5.4.3.2 reads /etc/profile, /etc/profile.d/*.sh and /etc/bash.bashrc; the "
                                  "hardened tree sets `TMOUT=900; readonly TMOUT; export TMOUT` in /etc/profile.d. "
                                  "SSG's OVAL does not find it there"),
    "accounts_umask_etc_bashrc": ("govscan", "CIS 5.4.3.3 passes when a default umask of 027 or stricter is set in "
                                             "any of /etc/profile, /etc/profile.d/*.sh, /etc/bash.bashrc, login.defs or "
                                             "pam_umask; the hardened tree sets it in /etc/profile.d. SSG wants it in "
                                             "/etc/bash.bashrc too"),
    "journald_forward_to_syslog@tree-hardened": (
        "govscan", "CIS 6.1.3.3 reads journald.conf with its drop-ins (`systemd-analyze cat-config`); the tree sets "
                   "ForwardToSyslog=yes in journald.conf.d/60-cis.conf. SSG's OVAL reads journald.conf only"),
    "rsyslog_filecreatemode": ("govscan", "CIS 6.1.3.4 reads rsyslog.conf and /etc/rsyslog.d/*.conf; the tree sets "
                                          "$FileCreateMode 0640 in rsyslog.d/60-cis.conf. SSG's OVAL misses it"),
    **{r: ("govscan", _UNIT.format(what=w)) for r, w in (
        ("service_cron_enabled", "cron.service enabled"), ("firewall_single_service_active", "which firewall units are enabled"),
        ("service_nftables_enabled", "nftables.service"), ("service_systemd-journald_enabled", "systemd-journald.service, static"),
        ("logging_services_active", "rsyslog and journald units"), ("service_rsyslog_enabled", "rsyslog.service"),
        ("aide_periodic_checking_systemd_timer", "dailyaidecheck.timer"), ("ntp_single_service_active", "chrony.service"),
        ("service_chronyd_enabled", "chrony.service"))},
    "accounts_password_last_change_is_in_past": (
        "govscan", "OpenSCAP's shadow probe returns `unknown` under oscap-chroot (an error); govscan reads the tree's "
                   "/etc/shadow and finds no last-change date in the future (CIS 5.4.1.6)"),
}
