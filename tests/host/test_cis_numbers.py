"""Every CIS Debian 12 number a shipped host control carries is a real CIS Debian Linux 12 Benchmark v1.1.0 id,
and the right one.

The list of valid ids (tests/data/cis_debian12_v1.1.0.csv) was written from the ComplianceAsCode Debian 12
datastream by ``python bench/ssg_datastream.py --write-ids``: the ids its rules carry as CIS benchmark
references, plus the few recommendations no rule carries (named, with the reason, in that script). Each row
lists the SSG rules carrying the id; :data:`SAME_AS` pairs each mapped control with the SSG rule that checks
the same thing, so a control that carries a wrong but existing number (7.2.8 for "system accounts have no
login shell", which is "no duplicate group names") fails here.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pytest

from scanner.policy.loader import load

ROOT = Path(__file__).resolve().parents[2]
IDS = ROOT / "tests" / "data" / "cis_debian12_v1.1.0.csv"
FRAMEWORK = "cis-debian-12"

#: control -> the SSG rule (datastream short name) checking the same thing; "" where no rule of the datastream
#: carries the control's CIS id (the csv row says in_datastream=no). Reviewed by hand against each rule's title.
SAME_AS: dict[str, str] = {
    "host-apparmor-bootloader": "grub2_enable_apparmor",
    "host-apparmor-installed": "package_apparmor_installed",
    "host-apparmor-profiles-enforce": "all_apparmor_profiles_enforced",
    "host-apparmor-profiles-enforce-or-complain": "all_apparmor_profiles_in_enforce_complain_mode",
    "host-apport-disabled": "",
    "host-aide-audit-tools": "aide_check_audit_tools",
    "host-aide-installed": "package_aide_installed",
    "host-aide-scheduled": "aide_periodic_checking_systemd_timer",
    "host-audit-admin-space-left": "auditd_data_retention_admin_space_left_action",
    "host-audit-backlog-limit": "grub2_audit_backlog_limit_argument",
    "host-audit-boot-param": "grub2_audit_argument",
    "host-audit-config-group": "file_groupownership_audit_configuration",
    "host-audit-config-mode": "file_permissions_etc_audit_auditd",
    "host-audit-config-owner": "file_ownership_audit_configuration",
    "host-audit-disk-full": "auditd_data_disk_full_action",
    "host-audit-enabled": "service_auditd_enabled",
    "host-audit-identity": "audit_rules_usergroup_modification_passwd",
    "host-audit-immutable": "audit_rules_immutable",
    "host-audit-installed": "package_audit_installed",
    "host-audit-keep-logs": "auditd_data_retention_max_log_file_action",
    "host-audit-log-dir-mode": "directory_permissions_var_log_audit",
    "host-audit-log-file-group": "file_group_ownership_var_log_audit",
    "host-audit-log-file-mode": "file_permissions_var_log_audit",
    "host-audit-log-file-owner": "file_ownership_var_log_audit_stig",
    "host-audit-logins": "audit_rules_login_events_lastlog",
    "host-audit-mac-policy": "audit_rules_networkconfig_modification",
    "host-audit-max-log-file": "auditd_data_retention_max_log_file",
    "host-audit-modules": "audit_rules_kernel_module_loading_delete",
    "host-audit-rules-access": "audit_rules_unsuccessful_file_modification_open",
    "host-audit-rules-chacl": "audit_rules_execution_chacl",
    "host-audit-rules-chcon": "audit_rules_execution_chcon",
    "host-audit-rules-delete": "audit_rules_file_deletion_events_unlink",
    "host-audit-rules-identity": "audit_rules_usergroup_modification_passwd",
    "host-audit-rules-logins": "audit_rules_login_events_lastlog",
    "host-audit-rules-mac-policy": "audit_rules_mac_modification_etc_apparmor",
    "host-audit-rules-modules": "audit_rules_kernel_module_loading_delete",
    "host-audit-rules-mounts": "audit_rules_media_export",
    "host-audit-rules-network": "audit_rules_networkconfig_modification",
    "host-audit-rules-perm-mod": "audit_rules_dac_modification_chmod",
    "host-audit-rules-privileged": "audit_rules_privileged_commands",
    "host-audit-rules-session": "audit_rules_session_events",
    "host-audit-rules-setfacl": "audit_rules_execution_setfacl",
    "host-audit-rules-sudo-log": "audit_sudo_log_events",
    "host-audit-rules-sudoers": "audit_rules_sysadmin_actions",
    "host-audit-rules-time-change": "audit_rules_time_adjtimex",
    "host-audit-rules-user-emulation": "audit_rules_suid_auid_privilege_function",
    "host-audit-rules-usermod": "audit_rules_privileged_commands_usermod",
    "host-audit-sudoers": "audit_rules_sysadmin_actions",
    "host-audit-time-change": "audit_rules_time_adjtimex",
    "host-audit-tools-group": "file_groupownership_audit_binaries",
    "host-audit-tools-mode": "file_permissions_audit_binaries",
    "host-audit-tools-owner": "file_ownership_audit_binaries",
    "host-banner-issue-net-no-os-info": "banner_etc_issue_net_cis",
    "host-banner-issue-no-os-info": "banner_etc_issue_cis",
    "host-banner-motd-no-os-info": "banner_etc_motd_cis",
    "host-chrony-enabled": "",
    "host-chrony-sources": "chronyd_configure_pool_and_server",
    "host-chrony-user": "chronyd_run_as_chrony_user",
    # part of 1.5.3 (core dumps restricted); the datastream has no rule for coredump.conf itself
    "host-coredump-systemd": "disable_users_coredumps",
    "host-file-at-allow": "file_at_allow_exists",
    "host-file-at-deny": "file_permissions_at_deny",
    "host-file-cron-allow-exists": "file_permissions_cron_allow",
    "host-file-cron-d": "file_groupowner_cron_d",
    "host-file-cron-daily": "file_groupowner_cron_daily",
    "host-file-cron-hourly": "file_groupowner_cron_hourly",
    "host-file-cron-monthly": "file_groupowner_cron_monthly",
    "host-file-cron-weekly": "file_groupowner_cron_weekly",
    "host-file-crontab": "file_permissions_crontab",
    "host-file-group": "file_groupowner_etc_group",
    "host-file-group-backup": "file_groupowner_backup_etc_group",
    "host-file-grub-cfg": "file_permissions_grub2_cfg",
    "host-file-gshadow": "file_groupowner_etc_gshadow",
    "host-file-gshadow-backup": "file_groupowner_backup_etc_gshadow",
    "host-file-issue": "file_groupowner_etc_issue",
    "host-file-issue-net": "file_groupowner_etc_issue_net",
    "host-file-motd": "file_groupowner_etc_motd",
    "host-file-no-unowned": "no_files_unowned_by_user",
    "host-file-opasswd": "file_groupowner_etc_security_opasswd",
    "host-file-passwd": "file_groupowner_etc_passwd",
    "host-file-passwd-backup": "file_groupowner_backup_etc_passwd",
    "host-file-shadow": "file_groupowner_etc_shadow",
    "host-file-shadow-backup": "file_groupowner_backup_etc_shadow",
    "host-file-shells": "file_permissions_etc_shells",
    "host-file-ssh-private-host-keys": "file_permissions_sshd_private_key",
    "host-file-ssh-public-host-keys": "file_permissions_sshd_pub_key",
    "host-file-sshd-config": "file_groupowner_sshd_config",
    "host-file-world-writable": "file_permissions_unauthorized_world_writable",
    "host-file-world-writable-dirs-sticky": "file_permissions_unauthorized_world_writable",
    "host-fw-ipt-default-deny": "set_iptables_default_rule",
    "host-fw-ipt-default-deny-ipv6": "set_ip6tables_default_rule",
    "host-fw-ipt-installed": "package_iptables-persistent_installed",
    "host-fw-ipt-loopback": "set_loopback_traffic",
    "host-fw-ipt-loopback-ipv6": "set_ipv6_loopback_traffic",
    "host-fw-ipt-no-nftables": "service_nftables_disabled",
    "host-fw-ipt-no-ufw": "package_ufw_removed",
    "host-fw-ipt-open-ports": "iptables_rules_for_open_ports",
    "host-fw-ipt-open-ports-ipv6": "ip6tables_rules_for_open_ports",
    "host-fw-nft-base-chains": "set_nftables_base_chain",
    "host-fw-nft-default-deny": "nftables_ensure_default_deny_policy",
    "host-fw-nft-enabled": "service_nftables_enabled",
    "host-fw-nft-installed": "package_nftables_installed",
    "host-fw-nft-loopback": "set_nftables_loopback_traffic",
    "host-fw-nft-no-ufw": "package_ufw_removed",
    "host-fw-nft-persistent": "nftables_rules_permanent",
    "host-fw-nft-table": "set_nftables_table",
    "host-fw-single-utility": "firewall_single_service_active",
    "host-fw-ufw-default-deny": "set_ufw_default_rule",
    "host-fw-ufw-enabled": "service_ufw_enabled",
    "host-fw-ufw-installed": "package_ufw_installed",
    "host-fw-ufw-loopback": "set_ufw_loopback_traffic",
    "host-fw-ufw-no-iptables-persistent": "package_iptables-persistent_removed",
    "host-fw-ufw-open-ports": "ufw_rules_for_open_ports",
    "host-gdm-automount-disabled": "dconf_gnome_disable_automount",
    "host-gdm-automount-locked": "dconf_gnome_disable_automount_open",
    "host-gdm-autorun-locked": "dconf_gnome_disable_autorun",
    "host-gdm-autorun-never": "dconf_gnome_disable_autorun",
    "host-gdm-disable-user-list": "dconf_gnome_disable_user_list",
    "host-gdm-login-banner": "dconf_gnome_banner_enabled",
    "host-gdm-no-xdmcp": "gnome_gdm_disable_xdmcp",
    "host-gdm-screen-lock": "dconf_gnome_screensaver_idle_delay",
    "host-gdm-screen-lock-locked": "dconf_gnome_screensaver_lock_delay",
    "host-group-shadow-empty": "ensure_shadow_group_empty",
    "host-group-unique-gid": "group_unique_id",
    "host-group-unique-name": "group_unique_name",
    "host-grub-password": "grub2_password",
    "host-group-gid0-root-only": "groups_no_zero_gid_except_root",
    "host-home-directories": "file_permissions_home_directories",
    "host-home-dot-files": "no_rsh_trust_files",
    "host-journal-remote-installed": "package_systemd-journal-remote_installed",
    "host-journal-remote-not-listening": "socket_systemd-journal-remote_disabled",
    "host-journal-upload-enabled": "service_systemd-journal-upload_enabled",
    "host-journald-compress": "journald_compress",
    "host-journald-enabled": "service_systemd-journald_enabled",
    "host-journald-forward-to-rsyslog": "journald_forward_to_syslog",
    "host-journald-no-forward-to-syslog": "journald_disable_forward_to_syslog",
    "host-journald-persistent": "journald_storage",
    "host-kmod-cramfs": "kernel_module_cramfs_disabled",
    "host-kmod-dccp": "kernel_module_dccp_disabled",
    "host-kmod-freevxfs": "kernel_module_freevxfs_disabled",
    "host-kmod-hfs": "kernel_module_hfs_disabled",
    "host-kmod-hfsplus": "kernel_module_hfsplus_disabled",
    "host-kmod-jffs2": "kernel_module_jffs2_disabled",
    "host-kmod-overlayfs": "kernel_module_overlayfs_disabled",
    "host-kmod-rds": "kernel_module_rds_disabled",
    "host-kmod-sctp": "kernel_module_sctp_disabled",
    "host-kmod-squashfs": "",
    "host-kmod-tipc": "kernel_module_tipc_disabled",
    "host-kmod-udf": "kernel_module_udf_disabled",
    "host-kmod-usb-storage": "kernel_module_usb-storage_disabled",
    "host-log-files-permissions": "permissions_local_var_log",
    "host-logging-single-system": "logging_services_active",
    "host-login-defs-encrypt-method": "set_password_hashing_algorithm_logindefs",
    "host-login-defs-inactive": "account_disable_post_pw_expiration",
    "host-login-defs-pass-max-days": "accounts_maximum_age_login_defs",
    "host-login-defs-pass-min-days": "accounts_minimum_age_login_defs",
    "host-login-defs-pass-warn-age": "accounts_password_warn_age_login_defs",
    "host-mount-dev-shm-nodev": "mount_option_dev_shm_nodev",
    "host-mount-dev-shm-noexec": "mount_option_dev_shm_noexec",
    "host-mount-dev-shm-nosuid": "mount_option_dev_shm_nosuid",
    "host-mount-dev-shm-separate": "partition_for_dev_shm",
    "host-mount-home-nodev": "mount_option_home_nodev",
    "host-mount-home-nosuid": "mount_option_home_nosuid",
    "host-mount-home-separate": "partition_for_home",
    "host-mount-tmp-nodev": "mount_option_tmp_nodev",
    "host-mount-tmp-noexec": "mount_option_tmp_noexec",
    "host-mount-tmp-nosuid": "mount_option_tmp_nosuid",
    "host-mount-tmp-separate": "partition_for_tmp",
    "host-mount-var-log-audit-nodev": "mount_option_var_log_audit_nodev",
    "host-mount-var-log-audit-noexec": "mount_option_var_log_audit_noexec",
    "host-mount-var-log-audit-nosuid": "mount_option_var_log_audit_nosuid",
    "host-mount-var-log-audit-separate": "partition_for_var_log_audit",
    "host-mount-var-log-nodev": "mount_option_var_log_nodev",
    "host-mount-var-log-noexec": "mount_option_var_log_noexec",
    "host-mount-var-log-nosuid": "mount_option_var_log_nosuid",
    "host-mount-var-log-separate": "partition_for_var_log",
    "host-mount-var-nodev": "mount_option_var_nodev",
    "host-mount-var-nosuid": "mount_option_var_nosuid",
    "host-mount-var-separate": "partition_for_var",
    "host-mount-var-tmp-nodev": "mount_option_var_tmp_nodev",
    "host-mount-var-tmp-noexec": "mount_option_var_tmp_noexec",
    "host-mount-var-tmp-nosuid": "mount_option_var_tmp_nosuid",
    "host-mount-var-tmp-separate": "partition_for_var_tmp",
    "host-mta-local-only": "postfix_network_listening_disabled",
    "host-net-no-wireless": "wireless_disable_interfaces",
    "host-pam-faillock-deny": "accounts_passwords_pam_faillock_deny",
    "host-pam-faillock-enabled": "accounts_passwords_pam_faillock_enabled",
    "host-pam-faillock-root": "accounts_passwords_pam_faillock_root_unlock_time",
    "host-pam-faillock-unlock-time": "accounts_passwords_pam_faillock_unlock_time",
    "host-pam-no-nullok": "no_empty_passwords_unix",
    "host-pam-password-history": "accounts_password_pam_pwhistory_remember",
    "host-pam-pwhistory-enabled": "accounts_password_pam_pwhistory_enabled",
    "host-pam-pwhistory-enforce-root": "accounts_password_pam_pwhistory_enforce_root",
    "host-pam-pwhistory-use-authtok": "accounts_password_pam_pwhistory_use_authtok",
    "host-pam-pwquality-dictcheck": "accounts_password_pam_dictcheck",
    "host-pam-pwquality-difok": "accounts_password_pam_difok",
    "host-pam-pwquality-enabled": "accounts_password_pam_pwquality_enabled",
    "host-pam-pwquality-enforce-root": "accounts_password_pam_enforce_root",
    "host-pam-pwquality-enforcing": "accounts_password_pam_enforcing",
    "host-pam-pwquality-maxrepeat": "accounts_password_pam_maxrepeat",
    "host-pam-pwquality-maxsequence": "accounts_password_pam_maxsequence",
    "host-pam-pwquality-minclass": "accounts_password_pam_minclass",
    "host-pam-pwquality-minlen": "accounts_password_pam_minlen",
    "host-pam-strong-hashing": "set_password_hashing_algorithm_systemauth",
    "host-pam-unix-enabled": "accounts_password_pam_unix_enabled",
    "host-pam-unix-no-remember": "accounts_password_pam_unix_no_remember",
    "host-pam-unix-use-authtok": "accounts_password_pam_unix_authtok",
    "host-pkg-no-ftp-client": "package_ftp_removed",
    "host-pkg-no-gdm": "package_gdm_removed",
    "host-pkg-no-ldap-client": "package_openldap-clients_removed",
    "host-pkg-no-nis": "package_nis_removed",
    "host-pkg-no-prelink": "",
    "host-pkg-no-rsh": "package_rsh_removed",
    "host-pkg-no-talk": "package_talk_removed",
    "host-pkg-no-telnet-client": "package_telnet_removed",
    "host-pkg-no-x-server": "package_xorg-x11-server-common_removed",
    "host-pkg-no-xinetd": "package_xinetd_removed",
    "host-pkg-pam-modules": "package_pam_modules_installed",
    "host-pkg-pam-pwquality": "package_pam_pwquality_installed",
    "host-pkg-pam-runtime": "package_pam_runtime_installed",
    "host-rsyslog-enabled": "service_rsyslog_enabled",
    "host-rsyslog-file-create-mode": "rsyslog_filecreatemode",
    "host-rsyslog-installed": "package_rsyslog_installed",
    "host-rsyslog-no-remote-input": "rsyslog_nolisten",
    "host-shadow-change-in-past": "accounts_password_last_change_is_in_past",
    "host-shadow-inactive": "accounts_set_post_pw_existing",
    "host-shadow-invalid-shell-locked": "no_invalid_shell_accounts_unlocked",
    "host-shadow-max-days": "accounts_password_set_max_life_existing",
    "host-shadow-min-days": "accounts_password_set_min_life_existing",
    "host-shadow-no-empty-password": "no_empty_passwords_etc_shadow",
    "host-shadow-root-access-controlled": "ensure_root_access_controlled",
    "host-shadow-warn-days": "accounts_password_warn_age_login_defs",
    "host-shell-nologin-not-listed": "no_nologin_in_shells",
    "host-shell-root-umask": "accounts_umask_root",
    "host-shell-timeout": "accounts_tmout",
    "host-shell-umask": "accounts_umask_etc_profile",
    "host-sshd-access-limited": "sshd_limit_user_access",
    "host-sshd-banner": "sshd_enable_warning_banner_net",
    "host-sshd-ciphers": "sshd_use_strong_ciphers",
    "host-sshd-client-alive-count-max": "sshd_set_keepalive",
    "host-sshd-client-alive-interval": "sshd_set_idle_timeout",
    "host-sshd-disable-forwarding": "sshd_disable_forwarding",
    "host-sshd-ignore-rhosts": "sshd_disable_rhosts",
    "host-sshd-kex": "sshd_use_strong_kex",
    "host-sshd-log-level": "sshd_set_loglevel_info",
    "host-sshd-login-grace-time": "sshd_set_login_grace_time",
    "host-sshd-macs": "sshd_use_strong_macs",
    "host-sshd-max-auth-tries": "sshd_set_max_auth_tries",
    "host-sshd-max-sessions": "sshd_set_max_sessions",
    "host-sshd-max-startups": "sshd_set_maxstartups",
    "host-sshd-no-empty-passwords": "sshd_disable_empty_passwords",
    "host-sshd-no-gssapi": "sshd_disable_gssapi_auth",
    "host-sshd-no-hostbased-auth": "disable_host_auth",
    "host-sshd-no-root-login": "sshd_disable_root_login",
    "host-sshd-no-user-environment": "sshd_do_not_permit_user_env",
    "host-sshd-use-pam": "sshd_enable_pam",
    "host-su-restricted": "use_pam_wheel_group_for_su",
    "host-sudo-installed": "package_sudo_installed",
    "host-sudo-logfile": "sudo_custom_logfile",
    "host-sudo-no-nopasswd": "sudo_require_authentication",
    "host-sudo-reauthentication": "sudo_remove_no_authenticate",
    "host-sudo-timestamp-timeout": "sudo_require_reauthentication",
    "host-sudo-use-pty": "sudo_add_use_pty",
    "host-svc-cron-enabled": "service_cron_enabled",
    "host-svc-no-autofs": "package_autofs_removed",
    "host-svc-no-avahi": "package_avahi_removed",
    "host-svc-no-bluetooth": "service_bluetooth_disabled",
    "host-svc-no-cups": "package_cups_removed",
    "host-svc-no-dhcp-server": "package_dhcp_removed",
    "host-svc-no-dns-server": "package_bind_removed",
    "host-svc-no-dnsmasq": "package_dnsmasq_removed",
    "host-svc-no-ftp-server": "package_vsftpd_removed",
    "host-svc-no-ldap-server": "package_openldap-servers_removed",
    "host-svc-no-mail-access": "package_dovecot_removed",
    "host-svc-no-nfs-server": "package_nfs-kernel-server_removed",
    "host-svc-no-nis-server": "package_ypserv_removed",
    "host-svc-no-rpcbind": "package_rpcbind_removed",
    "host-svc-no-rsync-daemon": "package_rsync_removed",
    "host-svc-no-samba": "package_samba_removed",
    "host-svc-no-snmp": "package_net-snmp_removed",
    "host-svc-no-tftp": "package_tftp-server_removed",
    "host-svc-no-web-proxy": "package_squid_removed",
    "host-svc-no-web-server": "package_httpd_removed",
    "host-svc-no-xinetd": "package_xinetd_removed",
    "host-sysctl-accept-ra": "sysctl_net_ipv6_conf_all_accept_ra",
    "host-sysctl-accept-redirects": "sysctl_net_ipv4_conf_all_accept_redirects",
    "host-sysctl-accept-redirects-ipv6": "sysctl_net_ipv6_conf_all_accept_redirects",
    "host-sysctl-aslr": "sysctl_kernel_randomize_va_space",
    "host-sysctl-icmp-bogus": "sysctl_net_ipv4_icmp_ignore_bogus_error_responses",
    "host-sysctl-icmp-broadcast": "sysctl_net_ipv4_icmp_echo_ignore_broadcasts",
    "host-sysctl-ip-forward": "sysctl_net_ipv4_ip_forward",
    "host-sysctl-ipv6-forward": "sysctl_net_ipv6_conf_all_forwarding",
    "host-sysctl-log-martians": "sysctl_net_ipv4_conf_all_log_martians",
    "host-sysctl-ptrace-scope": "sysctl_kernel_yama_ptrace_scope",
    "host-sysctl-rp-filter": "sysctl_net_ipv4_conf_all_rp_filter",
    "host-sysctl-secure-redirects": "sysctl_net_ipv4_conf_all_secure_redirects",
    "host-sysctl-send-redirects": "sysctl_net_ipv4_conf_all_send_redirects",
    "host-sysctl-source-route": "sysctl_net_ipv4_conf_all_accept_source_route",
    "host-sysctl-source-route-ipv6": "sysctl_net_ipv6_conf_all_accept_source_route",
    "host-sysctl-suid-dumpable": "sysctl_fs_suid_dumpable",
    "host-sysctl-syncookies": "sysctl_net_ipv4_tcp_syncookies",
    "host-time-single-daemon": "ntp_single_service_active",
    "host-timesyncd-enabled": "",
    "host-timesyncd-servers": "service_timesyncd_configured",
    "host-user-primary-group-exists": "gid_passwd_group_same",
    "host-user-root-gid-0": "accounts_root_gid_zero",
    "host-user-root-path": "root_path_no_dot",
    "host-user-shadowed-password": "accounts_password_all_shadowed",
    "host-user-system-no-shell": "no_shelllogin_for_systemaccounts",
    "host-user-uid0-root-only": "accounts_no_uid_except_zero",
    "host-user-unique-name": "account_unique_name",
    "host-user-unique-uid": "account_unique_id",
}


@cache
def ids() -> dict[str, dict[str, str]]:
    with open(IDS, newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(line for line in fh if not line.startswith("#"))}


@cache
def mapped() -> dict[str, tuple[str, ...]]:
    """control id -> its cis-debian-12 ids, for every shipped host control, through the project's loader."""
    pset = load([ROOT / "policies" / "controls" / "host"], builtin=False)
    assert not pset.errors, pset.errors
    return {cid: c.mappings[FRAMEWORK] for cid, c in pset.controls.items() if FRAMEWORK in c.mappings}


def test_id_list_is_cis_debian12_v110() -> None:
    rows = ids()
    l1 = [r for r in rows.values() if r["l1_server"] == "yes"]
    assert len(l1) == 251  # the benchmark's Level 1 Server recommendations
    assert sum(r["in_datastream"] == "yes" for r in l1) == 230  # the ids the SSG L1 Server profile selects
    assert all(re.fullmatch(r"[1-7](\.\d+){1,4}", i) for i in rows)
    assert rows["5.4.2.7"]["ssg_rules"] == "no_shelllogin_for_systemaccounts"
    assert rows["7.2.8"]["ssg_rules"] == "group_unique_name"


def test_every_cis_id_of_the_controls_exists() -> None:
    bad = {cid: [i for i in cis if i not in ids()] for cid, cis in mapped().items()}
    assert not {k: v for k, v in bad.items() if v}, "CIS Debian 12 v1.1.0 has no such recommendation"


def test_every_mapped_control_is_reviewed() -> None:
    assert sorted(mapped()) == sorted(SAME_AS), "add the control to SAME_AS with the SSG rule it matches"


@pytest.mark.parametrize("control", sorted(SAME_AS))
def test_cis_id_is_the_one_of_the_same_check(control: str) -> None:
    cis = mapped()[control]
    rule = SAME_AS[control]
    if rule:
        carrying = [i for i in cis if rule in ids()[i]["ssg_rules"].split()]
        assert carrying, f"{control} carries {list(cis)}, but the SSG rule {rule} is under " + \
            str([i for i, row in ids().items() if rule in row["ssg_rules"].split()])
    else:
        assert all(ids()[i]["in_datastream"] == "no" for i in cis)


def test_system_accounts_without_shell_is_5_4_2_7() -> None:
    assert mapped()["host-user-system-no-shell"] == ("5.4.2.7",)
    assert "host-user-system-no-shell" not in [c for c, cis in mapped().items() if "7.2.8" in cis]


COVERAGE_ROWS = (
    ("automated", "oval", "Automated; the SSG datastream checks it (OVAL)"),
    ("automated", "ocil-only", "Automated; the SSG datastream asks an auditor (OCIL only)"),
    ("automated", "none", "Automated; no check in the SSG datastream (no rule, or a rule without one)"),
    ("manual", "oval", "Manual; the SSG datastream checks it anyway (OVAL)"),
    ("manual", "none", "Manual; no check in the SSG datastream"),
)


def coverage_table(level: str = "l1_server") -> str:
    """The Markdown table docs/host.md shows: recommendations of a level, and how many a control carries."""
    rows = [r for r in ids().values() if r[level] == "yes"]
    carried = {i for cis in mapped().values() for i in cis}
    lines = ["| CIS Debian 12 v1.1.0 Level 1 Server | recommendations | carried by a govscan control |",
             "|---|---:|---:|"]
    for status, check, label in COVERAGE_ROWS:
        group = [r for r in rows if (r["cis_status"], r["ssg_check"]) == (status, check)]
        lines.append(f"| {label} | {len(group)} | {sum(r['id'] in carried for r in group)} |")
    lines.append(f"| **All** | **{len(rows)}** | **{sum(r['id'] in carried for r in rows)}** |")
    return "\n".join(lines)


SECTIONS = {"1": "Initial setup", "2": "Services", "3": "Network", "4": "Host based firewall", "5": "Access control",
            "6": "Logging and auditing", "7": "System maintenance"}


def section_table() -> str:
    """Per CIS section and level: automated recommendations carried by a control / automated, manual (reported
    notchecked by the CIS profiles), automated not yet carried (docs/host.md)."""
    carried = {i for cis in mapped().values() for i in cis}
    lines = ["| CIS Debian 12 v1.1.0 section | L1 Server: automated carried / automated | L1 manual | L1 not yet "
             "carried | L2 Server: automated carried / automated | L2 manual | L2 not yet carried |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    total: list[int] = [0] * 8
    for sec, name in SECTIONS.items():
        cells: list[int] = []
        for level in ("l1_server", "l2_server"):
            rows = [r for r in ids().values() if r[level] == "yes" and r["id"].split(".")[0] == sec]
            auto = [r["id"] for r in rows if r["cis_status"] == "automated"]
            cells += [sum(i in carried for i in auto), len(auto), sum(r["cis_status"] == "manual" for r in rows),
                      sum(i not in carried for i in auto)]
        total = [a + b for a, b in zip(total, cells)]
        lines.append(f"| {sec} {name} | {cells[0]} / {cells[1]} | {cells[2]} | {cells[3]} | {cells[4]} / {cells[5]} | "
                     f"{cells[6]} | {cells[7]} |")
    lines.append(f"| **All** | **{total[0]} / {total[1]}** | **{total[2]}** | **{total[3]}** | **{total[4]} / {total[5]}** "
                 f"| **{total[6]}** | **{total[7]}** |")
    return "\n".join(lines)


def test_docs_section_table_is_current() -> None:
    text = (ROOT / "docs" / "host.md").read_text()
    block = text.split("<!-- cis-sections:start -->\n", 1)[1].split("\n<!-- cis-sections:end -->", 1)[0]
    assert block == section_table(), "docs/host.md: paste tests.host.test_cis_numbers.section_table()"


def test_sections_1_to_4_automated_recommendations_are_all_carried() -> None:
    """Every automated Level 1 and Level 2 Server recommendation of sections 1-4 is carried by a control."""
    carried = {i for cis in mapped().values() for i in cis}
    missing = [i for i, r in ids().items() if i.split(".")[0] in "1234" and r["cis_status"] == "automated"
               and "yes" in (r["l1_server"], r["l2_server"]) and i not in carried]
    assert missing == []


def test_docs_coverage_table_is_current() -> None:
    text = (ROOT / "docs" / "host.md").read_text()
    block = text.split("<!-- cis-coverage:start -->\n", 1)[1].split("\n<!-- cis-coverage:end -->", 1)[0]
    assert block == coverage_table(), "docs/host.md: paste tests.host.test_cis_numbers.coverage_table()"
