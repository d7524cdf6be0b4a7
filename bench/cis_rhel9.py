"""CIS Red Hat Enterprise Linux 9 Benchmark v2.0.0 numbers (mapping key ``cis-rhel-9``) for the host controls.

The ComplianceAsCode RHEL 9 datastream (``/work/shared/data/ssg/ssg-rhel9-ds.xml.xz``, or ``GOVSCAN_SSG_RHEL9_DS``;
its ``cis`` profile is "CIS Red Hat Enterprise Linux 9 Benchmark for Level 2 - Server", v2.0.0) gives every rule
the CIS ids it implements. :data:`SAME_AS` pairs each govscan control with the SSG rule that checks the same
thing (reviewed by hand against the rule's title and description); the control's ``cis-rhel-9`` numbers are
that rule's ids (:data:`PICK` narrows a rule carrying several to the one the control implements).

    python bench/cis_rhel9.py --write-ids      # tests/data/cis_rhel9_v2.0.0.csv: every id, with its rules
    python bench/cis_rhel9.py --write-controls # put the numbers in policies/controls/host/*.yaml
    python bench/cis_rhel9.py                  # print control -> numbers

tests/host/test_cis_rhel9.py checks the controls against the csv and :data:`SAME_AS`.
"""

from __future__ import annotations

import argparse
import csv
import lzma
import os
import re
import sys
from functools import cache
from pathlib import Path
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[1]
DS = Path(os.environ.get("GOVSCAN_SSG_RHEL9_DS", "/work/shared/data/ssg/ssg-rhel9-ds.xml.xz"))
X = "{http://checklists.nist.gov/xccdf/1.2}"
RULE = "xccdf_org.ssgproject.content_rule_"
PROFILE = "xccdf_org.ssgproject.content_profile_"
CIS_HREF = "https://www.cisecurity.org/benchmark/red_hat_linux/"
IDS_CSV = ROOT / "tests" / "data" / "cis_rhel9_v2.0.0.csv"
CONTROLS = ROOT / "policies" / "controls" / "host"
KEY = "cis-rhel-9"

#: control -> the SSG RHEL 9 rule checking the same thing. Controls absent here carry no cis-rhel-9 number:
#: their SSG counterpart has no CIS RHEL 9 id (prelink, NIS, rsh, talk, xinetd, suid_dumpable: not in v2.0.0),
#: or nothing in the datastream checks it (the sshd crypto-policy opt-out, firewalld's default zone, the
#: allowed crypto policy).
SAME_AS: dict[str, str] = {
    "host-audit-admin-space-left": "auditd_data_retention_admin_space_left_action",
    "host-audit-backlog-limit": "grub2_audit_backlog_limit_argument",
    "host-audit-boot-param": "grub2_audit_argument",
    "host-audit-disk-full": "auditd_data_disk_full_action",
    "host-audit-enabled": "service_auditd_enabled",
    "host-audit-identity": "audit_rules_usergroup_modification_passwd",
    "host-audit-immutable": "audit_rules_immutable",
    "host-audit-installed": "package_audit_installed",
    "host-audit-keep-logs": "auditd_data_retention_max_log_file_action",
    "host-audit-logins": "audit_rules_login_events_lastlog",
    "host-audit-mac-policy": "audit_rules_networkconfig_modification",
    "host-audit-max-log-file": "auditd_data_retention_max_log_file",
    "host-audit-modules": "audit_rules_kernel_module_loading_delete",
    "host-audit-sudoers": "audit_rules_sysadmin_actions",
    "host-audit-time-change": "audit_rules_time_adjtimex",
    "host-banner-issue-net-no-os-info": "banner_etc_issue_net_cis",
    "host-banner-issue-no-os-info": "banner_etc_issue_cis",
    "host-banner-motd-no-os-info": "banner_etc_motd_cis",
    "host-crypto-policy-not-legacy": "configure_custom_crypto_policy_cis",
    "host-dnf-gpgcheck": "ensure_gpgcheck_globally_activated",
    "host-dnf-repo-gpgcheck": "ensure_gpgcheck_never_disabled",
    "host-file-cron-allow-exists": "file_cron_allow_exists",
    "host-file-cron-d": "file_permissions_cron_d",
    "host-file-cron-daily": "file_permissions_cron_daily",
    "host-file-cron-hourly": "file_permissions_cron_hourly",
    "host-file-cron-monthly": "file_permissions_cron_monthly",
    "host-file-cron-weekly": "file_permissions_cron_weekly",
    "host-file-crontab": "file_permissions_crontab",
    "host-file-group": "file_permissions_etc_group",
    "host-file-group-backup": "file_permissions_backup_etc_group",
    "host-file-grub2-cfg": "file_permissions_grub2_cfg",
    "host-file-grub2-user-cfg": "file_permissions_user_cfg",
    "host-file-gshadow": "file_permissions_etc_gshadow",
    "host-file-gshadow-backup": "file_permissions_backup_etc_gshadow",
    "host-file-issue": "file_permissions_etc_issue",
    "host-file-issue-net": "file_permissions_etc_issue_net",
    "host-file-motd": "file_permissions_etc_motd",
    "host-file-no-unowned": "no_files_unowned_by_user",
    "host-file-passwd": "file_permissions_etc_passwd",
    "host-file-passwd-backup": "file_permissions_backup_etc_passwd",
    "host-file-shadow": "file_permissions_etc_shadow",
    "host-file-shadow-backup": "file_permissions_backup_etc_shadow",
    "host-file-ssh-private-host-keys": "file_permissions_sshd_private_key",
    "host-file-ssh-public-host-keys": "file_permissions_sshd_pub_key",
    "host-file-sshd-config": "file_permissions_sshd_config",
    "host-file-world-writable": "file_permissions_unauthorized_world_writable",
    "host-file-world-writable-dirs-sticky": "file_permissions_unauthorized_world_writable",
    "host-grub2-password": "grub2_password",
    "host-group-unique-gid": "group_unique_id",
    "host-group-unique-name": "group_unique_name",
    "host-kmod-cramfs": "kernel_module_cramfs_disabled",
    "host-kmod-dccp": "kernel_module_dccp_disabled",
    "host-kmod-freevxfs": "kernel_module_freevxfs_disabled",
    "host-kmod-hfs": "kernel_module_hfs_disabled",
    "host-kmod-hfsplus": "kernel_module_hfsplus_disabled",
    "host-kmod-jffs2": "kernel_module_jffs2_disabled",
    "host-kmod-rds": "kernel_module_rds_disabled",
    "host-kmod-sctp": "kernel_module_sctp_disabled",
    "host-kmod-squashfs": "kernel_module_squashfs_disabled",
    "host-kmod-tipc": "kernel_module_tipc_disabled",
    "host-kmod-udf": "kernel_module_udf_disabled",
    "host-kmod-usb-storage": "kernel_module_usb-storage_disabled",
    "host-login-defs-encrypt-method": "set_password_hashing_algorithm_logindefs",
    "host-login-defs-inactive": "account_disable_post_pw_expiration",
    "host-login-defs-pass-max-days": "accounts_maximum_age_login_defs",
    "host-login-defs-pass-min-days": "accounts_minimum_age_login_defs",
    "host-login-defs-pass-warn-age": "accounts_password_warn_age_login_defs",
    "host-mount-dev-shm-nodev": "mount_option_dev_shm_nodev",
    "host-mount-dev-shm-noexec": "mount_option_dev_shm_noexec",
    "host-mount-dev-shm-nosuid": "mount_option_dev_shm_nosuid",
    "host-mount-dev-shm-separate": "partition_for_dev_shm",
    "host-mount-tmp-nodev": "mount_option_tmp_nodev",
    "host-mount-tmp-noexec": "mount_option_tmp_noexec",
    "host-mount-tmp-nosuid": "mount_option_tmp_nosuid",
    "host-mount-tmp-separate": "partition_for_tmp",
    "host-mount-var-tmp-nodev": "mount_option_var_tmp_nodev",
    "host-mount-var-tmp-noexec": "mount_option_var_tmp_noexec",
    "host-mount-var-tmp-nosuid": "mount_option_var_tmp_nosuid",
    "host-mount-var-tmp-separate": "partition_for_var_tmp",
    "host-pam-authselect": "accounts_password_pam_modules_in_authselect_profile",
    "host-pam-faillock-deny": "accounts_passwords_pam_faillock_deny",
    "host-pam-faillock-enabled": "account_password_pam_faillock_system_auth",
    "host-pam-faillock-unlock-time": "accounts_passwords_pam_faillock_unlock_time",
    "host-pam-no-nullok": "no_empty_passwords",
    "host-pam-password-history": "accounts_password_pam_pwhistory_remember_system_auth",
    "host-pam-pwquality-dictcheck": "accounts_password_pam_dictcheck",
    "host-pam-pwquality-difok": "accounts_password_pam_difok",
    "host-pam-pwquality-maxrepeat": "accounts_password_pam_maxrepeat",
    "host-pam-pwquality-minclass": "accounts_password_pam_minclass",
    "host-pam-pwquality-minlen": "accounts_password_pam_minlen",
    "host-pam-strong-hashing": "set_password_hashing_algorithm_systemauth",
    "host-pkg-firewalld": "package_firewalld_installed",
    "host-pkg-libselinux": "package_libselinux_installed",
    "host-pkg-no-ftp-client": "package_ftp_removed",
    "host-pkg-no-ftp-server": "package_vsftpd_removed",
    "host-pkg-no-ldap-client": "package_openldap-clients_removed",
    "host-pkg-no-mcstrans": "package_mcstrans_removed",
    "host-pkg-no-setroubleshoot": "package_setroubleshoot_removed",
    "host-pkg-no-telnet-client": "package_telnet_removed",
    "host-pkg-no-telnet-server": "package_telnet-server_removed",
    "host-pkg-no-tftp-server": "package_tftp-server_removed",
    "host-pkg-no-x-server": "package_xorg-x11-server-common_removed",
    "host-selinux-bootloader": "grub2_enable_selinux",
    "host-selinux-enforcing": "selinux_state",
    "host-selinux-not-disabled": "selinux_not_disabled",
    "host-selinux-policy-type": "selinux_policytype",
    "host-shadow-change-in-past": "accounts_password_last_change_is_in_past",
    "host-shadow-inactive": "accounts_set_post_pw_existing",
    "host-shadow-max-days": "accounts_password_set_max_life_existing",
    "host-shadow-min-days": "accounts_password_set_min_life_existing",
    "host-shadow-no-empty-password": "no_empty_passwords_etc_shadow",
    "host-shadow-warn-days": "accounts_password_warn_age_login_defs",
    "host-sshd-banner": "sshd_enable_warning_banner_net",
    "host-sshd-ciphers": "configure_custom_crypto_policy_cis",
    "host-sshd-client-alive-count-max": "sshd_set_keepalive",
    "host-sshd-client-alive-interval": "sshd_set_idle_timeout",
    "host-sshd-disable-forwarding": "sshd_disable_forwarding",
    "host-sshd-ignore-rhosts": "sshd_disable_rhosts",
    "host-sshd-kex": "configure_custom_crypto_policy_cis",
    "host-sshd-log-level": "sshd_set_loglevel_verbose",
    "host-sshd-login-grace-time": "sshd_set_login_grace_time",
    "host-sshd-macs": "configure_custom_crypto_policy_cis",
    "host-sshd-max-auth-tries": "sshd_set_max_auth_tries",
    "host-sshd-max-sessions": "sshd_set_max_sessions",
    "host-sshd-max-startups": "sshd_set_maxstartups",
    "host-sshd-no-empty-passwords": "sshd_disable_empty_passwords",
    "host-sshd-no-gssapi": "sshd_disable_gssapi_auth",
    "host-sshd-no-hostbased-auth": "disable_host_auth",
    "host-sshd-no-root-login": "sshd_disable_root_login",
    "host-sshd-no-user-environment": "sshd_do_not_permit_user_env",
    "host-sshd-use-pam": "sshd_enable_pam",
    "host-svc-cron-enabled": "service_crond_enabled",
    "host-svc-firewalld-enabled": "service_firewalld_enabled",
    "host-svc-no-autofs": "service_autofs_disabled",
    "host-svc-no-avahi": "service_avahi-daemon_disabled",
    "host-svc-no-cups": "service_cups_disabled",
    "host-svc-no-dhcp-server": "package_dhcp_removed",
    "host-svc-no-dns-server": "package_bind_removed",
    "host-svc-no-dnsmasq": "service_dnsmasq_disabled",
    "host-svc-no-ftp-server": "package_vsftpd_removed",
    "host-svc-no-mail-access": "package_dovecot_removed",
    "host-svc-no-nfs-server": "service_nfs_disabled",
    "host-svc-no-rpcbind": "service_rpcbind_disabled",
    "host-svc-no-rsync-daemon": "package_rsync_removed",
    "host-svc-no-samba": "package_samba_removed",
    "host-svc-no-snmp": "package_net-snmp_removed",
    "host-svc-no-tftp": "package_tftp-server_removed",
    "host-svc-no-web-proxy": "package_squid_removed",
    "host-svc-no-web-server": "package_httpd_removed",
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
    "host-sysctl-syncookies": "sysctl_net_ipv4_tcp_syncookies",
    "host-user-primary-group-exists": "gid_passwd_group_same",
    "host-user-shadowed-password": "accounts_password_all_shadowed",
    "host-user-system-no-shell": "no_shelllogin_for_systemaccounts",
    "host-user-uid0-root-only": "accounts_no_uid_except_zero",
    "host-user-unique-name": "account_unique_name",
    "host-user-unique-uid": "account_unique_id",
}
#: Controls whose rule carries several ids: the one the control implements. configure_custom_crypto_policy_cis
#: covers 1.6.1 (policy not LEGACY), 1.6.3-1.6.5 and the sshd Ciphers / KexAlgorithms / MACs recommendations
#: 5.1.4 / 5.1.5 / 5.1.6 (v2.0.0 orders 5.1.x alphabetically by keyword, as the datastream's other 5.1 rules show).
PICK: dict[str, tuple[str, ...]] = {
    "host-crypto-policy-not-legacy": ("1.6.1",),
    "host-sshd-ciphers": ("5.1.4",),
    "host-sshd-kex": ("5.1.5",),
    "host-sshd-macs": ("5.1.6",),
}


def cis_key(cis_id: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in cis_id.split("."))


@cache
def rules() -> dict[str, tuple[str, ...]]:
    """rule short name -> the CIS RHEL 9 ids it carries (every rule of the datastream)."""
    if not DS.exists():
        raise SystemExit(f"{DS} not found (set GOVSCAN_SSG_RHEL9_DS to the RHEL 9 datastream)")
    with lzma.open(DS, "rb") if DS.suffix == ".xz" else open(DS, "rb") as fh:
        root = ET.parse(fh).getroot()
    out = {}
    for r in root.iter(f"{X}Rule"):
        ids = tuple(e.text or "" for e in r.findall(f"{X}reference") if (e.get("href") or "").startswith(CIS_HREF))
        out[(r.get("id") or "")[len(RULE):]] = tuple(i for i in ids if re.fullmatch(r"\d+(\.\d+)+", i))
    return out


def numbers() -> dict[str, tuple[str, ...]]:
    """control -> its cis-rhel-9 ids."""
    out = {}
    for control, rule in SAME_AS.items():
        ids = rules().get(rule, ())
        if not ids:
            raise SystemExit(f"{control}: the SSG rule {rule} carries no CIS RHEL 9 id")
        pick = PICK.get(control, ids)
        if not set(pick) <= set(ids):
            raise SystemExit(f"{control}: {pick} are not ids of {rule} ({ids})")
        out[control] = tuple(sorted(pick, key=cis_key))
    return out


def write_ids(path: Path = IDS_CSV) -> int:
    by_id: dict[str, list[str]] = {}
    for rule, ids in rules().items():
        for i in ids:
            by_id.setdefault(i, []).append(rule)
    with open(path, "w", newline="") as fh:
        fh.write("# CIS Red Hat Enterprise Linux 9 Benchmark v2.0.0 ids carried by the rules of ssg-rhel9-ds.xml\n"
                 "# (ComplianceAsCode), written by `python bench/cis_rhel9.py --write-ids`.\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "ssg_rules"])
        for i in sorted(by_id, key=cis_key):
            w.writerow([i, " ".join(sorted(by_id[i]))])
    return len(by_id)


def _after_mappings(text: str, wanted: dict[str, tuple[str, ...]]) -> str:
    """Put each control's cis-rhel-9 line as the last line of its mappings block."""
    docs = text.split("\n---\n")
    out = []
    for doc in docs:
        m = re.search(r"^  id: (\S+)$", doc, re.M)
        lines = [ln for ln in doc.split("\n") if not ln.startswith(f"  {KEY}:")]
        if m and m.group(1) in wanted and "mappings:" in lines:
            i = lines.index("mappings:") + 1
            while i < len(lines) and lines[i].startswith("  "):
                i += 1
            lines.insert(i, f"  {KEY}: [{', '.join(wanted[m.group(1)])}]")
        out.append("\n".join(lines))
    return "\n---\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write-ids", action="store_true")
    ap.add_argument("--write-controls", action="store_true")
    args = ap.parse_args(argv)
    if args.write_ids:
        print(f"{IDS_CSV.relative_to(ROOT)}: {write_ids()} ids")
    if args.write_controls:
        wanted = numbers()
        for path in sorted(CONTROLS.glob("*.yaml")):
            text = path.read_text()
            new = _after_mappings(text, wanted)
            if new != text:
                path.write_text(new)
                print(f"{path.relative_to(ROOT)}: updated")
    if not (args.write_ids or args.write_controls):
        for control, ids in sorted(numbers().items()):
            print(f"{control}\t{' '.join(ids)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
