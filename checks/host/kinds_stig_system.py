"""Host resource types of the DISA STIG system rules: kernel arguments in the boot loader configuration
(``host.stig_boot``), chrony's configuration (``host.chrony``) and single settings of other services'
configuration files (``host.stig_conf``). Files only: each is decided on a file tree (``rootfs:``) too.
Facts: checks/host/facts_stig_system.sh; parsers: checks/host/parsers/stig_system.py.
"""

from __future__ import annotations

from scanner.provider import Attribute as A
from scanner.resource_types import resources

from checks.host.resources import HostKind


@resources.register("host.stig_boot")
class StigBoot(HostKind):
    description = ("Kernel arguments as the boot loader configuration sets them (one per host, id `stig-boot`): "
                   "/etc/default/grub, the BLS entries of /boot/loader/entries (`$kernelopts` from /boot/grub2/grubenv), "
                   "and grub.cfg's superusers.")
    attributes = (
        A("default_grub_exists", "boolean", "/etc/default/grub exists"),
        A("cmdline_linux", "list", "the words of GRUB_CMDLINE_LINUX"),
        A("cmdline_linux_default", "list", "the words of GRUB_CMDLINE_LINUX_DEFAULT"),
        A("disable_recovery", "boolean", "GRUB_DISABLE_RECOVERY=true"),
        A("entries", "list", "[{file, options}] one per /boot/loader/entries/*.conf: the words of its options lines"),
        A("confirm_spawn_at", "list", "`file:line` of every systemd.confirm_spawn=1|yes|true|on (interactive boot)"),
        A("grub_cfg", "string", "the grub.cfg read, null when none"),
        A("superusers", "list", "`set superusers=` names of grub.cfg (the last one)"),
        A("superusers_clash", "list", "superusers named root, admin, administrator or like an account of /etc/passwd"),
        A("noexec_off_at", "list", "`file:line` of noexec=off or noexec32=off (NX disabled) in /etc/default/grub, the "
          "boot entries or grub.cfg"),
    )
    commands = ("cat /etc/default/grub /boot/grub2/grubenv /boot/grub2/grub.cfg /boot/loader/entries/*.conf /etc/passwd",)
    sections = ("stig_boot",)
    parser = "stig_system.parse_stig_boot"


@resources.register("host.chrony")
class Chrony(HostKind):
    description = ("chrony's configuration (one per host, id `chrony`): /etc/chrony.conf or /etc/chrony/chrony.conf, "
                   "/etc/chrony.d, /etc/chrony/conf.d (*.conf) and the *.sources files.")
    attributes = (
        A("config_exists", "boolean", "a main chrony.conf exists"),
        A("files", "list", "the files read"),
        A("sources", "list", "[{directive, host, maxpoll, file, line}] every server, pool and peer line"),
        A("servers", "list", "the `server` lines (same shape)"), A("pools", "list", "the `pool` lines (same shape)"),
        A("port", "integer", "`port` (NTP server port; 0: chronyd serves no client); null when unset"),
        A("cmdport", "integer", "`cmdport` (0: chronyc only over the Unix socket); null when unset"),
        A("makestep", "string", "`makestep` arguments as written, e.g. `1 -1`; null when unset"),
        A("chrony_wait_installed", "boolean", "/usr/lib/systemd/system/chrony-wait.service exists"),
        A("chrony_wait_exec_start", "string", "ExecStart= of /etc/systemd/system/chrony-wait.service (the override); null when none"),
    )
    commands = ("cat /etc/chrony.conf /etc/chrony/chrony.conf /etc/chrony.d/*.conf /etc/chrony/conf.d/*.conf",)
    sections = ("stig_chrony",)
    parser = "stig_system.parse_chrony"


@resources.register("host.stig_conf")
class StigConf(HostKind):
    description = ("Single settings of configuration files the STIGs check (one per host, id `stig-conf`). A file "
                   "that could not be read makes its attributes an error; a missing one gives null / false / [].")
    attributes = (
        A("dnf_localpkg_gpgcheck", "boolean", "localpkg_gpgcheck of [main] of /etc/dnf/dnf.conf is 1/True/yes; null unset"),
        A("dnf_localpkg_gpgcheck_at", "string", "`file:line` of it"),
        A("dnf_clean_requirements_on_remove", "boolean", "clean_requirements_on_remove of [main] is 1/True/yes; null unset"),
        A("dnf_clean_requirements_on_remove_at", "string", "`file:line` of it"),
        A("firewalld_backend", "string", "FirewallBackend= of /etc/firewalld/firewalld.conf; null unset"),
        A("networkmanager_conf_exists", "boolean", "/etc/NetworkManager/NetworkManager.conf exists"),
        A("networkmanager_dns", "string", "dns= of [main] (conf.d/*.conf override NetworkManager.conf); null unset"),
        A("networkmanager_dns_at", "string", "`file:line` of it"),
        A("resolv_nameservers", "list", "nameserver addresses of /etc/resolv.conf"),
        A("resolv_empty", "boolean", "/etc/resolv.conf is missing or empty"),
        A("nsswitch_hosts_dns", "boolean", "the hosts: line of /etc/nsswitch.conf names dns"),
        A("usbguard_rules", "integer", "rule lines of /etc/usbguard/rules.conf; null when the file is missing"),
        A("postfix_main_cf_exists", "boolean", "/etc/postfix/main.cf exists"),
        A("postfix_smtpd_client_restrictions", "string", "smtpd_client_restrictions, comma-separated; null unset"),
        A("alias_postmaster", "string", "the postmaster: alias of /etc/aliases; null unset"),
        A("pam_sudo_exists", "boolean", "/etc/pam.d/sudo exists"),
        A("pam_sudo_succeed_if", "list", "`file:line` of pam_succeed_if lines in /etc/pam.d/sudo"),
        A("apt_allow_unauthenticated", "list", "`file:line` of AllowUnauthenticated set to anything but \"false\" "
          "in /etc/apt/apt.conf and apt.conf.d"),
        A("apt_remove_unused_dependencies", "boolean", "Unattended-Upgrade::Remove-Unused-Dependencies \"true\""),
        A("apt_remove_unused_kernels", "boolean", "Unattended-Upgrade::Remove-Unused-Kernel-Packages \"true\""),
        A("libreswan_installed", "boolean", "package libreswan is installed"),
        A("ipsec_crypto_policy_include", "boolean", "/etc/ipsec.conf includes /etc/crypto-policies/back-ends/libreswan.config"),
        A("bind_installed", "boolean", "package bind is installed"),
        A("named_crypto_policy_include", "boolean", "/etc/named.conf includes \"/etc/crypto-policies/back-ends/bind.config\""),
        A("pkcs11_use_mappers_pwent", "boolean", "/etc/pam_pkcs11/pam_pkcs11.conf has the line `use_mappers = pwent`"),
        A("fapolicyd_deny_all", "boolean", "the last rule of /etc/fapolicyd/compiled.rules or fapolicyd.rules is "
          "`deny perm=any all : all` (deny_log, deny_audit)"),
        A("fapolicyd_permissive", "integer", "permissive= of /etc/fapolicyd/fapolicyd.conf; null unset"),
        A("localtime_target", "string", "the target of the /etc/localtime link; null when it is not a link"),
        A("timezone_utc", "boolean", "/etc/localtime links to a UTC or GMT zone file"),
        A("crypto_policy_config", "string", "the policy of /etc/crypto-policies/config; null when missing"),
        A("crypto_policy_current", "string", "the policy last applied (/etc/crypto-policies/state/current)"),
        A("crypto_policy_applied", "boolean", "state/current was written no earlier than config (update-crypto-policies "
          "ran after the last change)"),
        A("crypto_nss_backend", "boolean", "/etc/crypto-policies/back-ends/nss.config exists"),
        A("opensc_card_drivers", "list", "the `card_drivers = X;` values of /etc/opensc*.conf"),
        A("gpg_pubkeys", "list", "versions (`keyid-date`) of the gpg-pubkey entries of the rpm database"),
        A("stig_pmod_ssh", "boolean", "policies/modules/STIG.pmod has the STIG's cipher@SSH and mac@SSH lines"),
    )
    commands = ("cat /etc/dnf/dnf.conf /etc/firewalld/firewalld.conf /etc/NetworkManager/NetworkManager.conf "
                "/etc/resolv.conf /etc/nsswitch.conf /etc/usbguard/rules.conf /etc/postfix/main.cf /etc/aliases "
                "/etc/pam.d/sudo /etc/apt/apt.conf /etc/apt/apt.conf.d/*",)
    sections = ("stig_conf", "packages")
    parser = "stig_system.parse_stig_conf"


@resources.register("host.stig_runtime")
class StigRuntime(HostKind):
    description = ("What only a running system shows (one per host, id `stig-runtime`): the CPU's NX flag, the "
                   "running kernel's command line, interfaces in promiscuous mode. Notchecked on a file tree.")
    attributes = (
        A("cpu_nx", "boolean", "the flags line of /proc/cpuinfo has nx"),
        A("cmdline_noexec_off", "boolean", "/proc/cmdline has noexec=off or noexec32=off"),
        A("promisc_interfaces", "list", "interfaces with IFF_PROMISC in /sys/class/net/*/flags"),
    )
    commands = ("cat /proc/cpuinfo /proc/cmdline /sys/class/net/*/flags",)
    sections = ("stig_runtime",)
    runtime_only = True
    parser = "stig_system.parse_stig_runtime"
