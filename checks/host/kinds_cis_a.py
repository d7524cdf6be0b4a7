"""Host resource types for CIS Debian 12 v1.1.0 sections 1-4 that the core types do not cover: the host
firewall (ufw, nftables, iptables), the boot loader, AppArmor, time synchronisation, core dumps, GDM and
wireless interfaces. Sections: checks/host/facts_cis_a.sh; parsers: checks/host/parsers/{firewall,nft,
boot,timesync,desktop}.py. Runtime-only attributes are marked so in their description.
"""

from __future__ import annotations

from checks.host.resources import HostKind
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_RT = " (runtime only)"
_NFT = ("{tables, base_chains, base_chains_missing (hooks input/forward/output without a filter base chain, "
        "per IPv4/IPv6), hooks_without_drop_policy, loopback_missing}")
_IPT = "{policies (filter chains), policies_not_deny, loopback_missing, ports_with_rules (`tcp/22`)}"


@resources.register("host.firewall")
class Firewall(HostKind):
    description = ("Host firewall (one per host, id `firewall`): which utility is in use (ufw, nftables, iptables), "
                   "their configuration files and the live rulesets (CIS Debian 12 section 4).")
    attributes = (
        A("in_use", "list", "firewall utilities in use: ufw (installed, and ufw.service enabled or running or ufw.conf "
          "ENABLED=yes), nftables (nftables.service enabled or running), iptables (netfilter-persistent/iptables "
          "service enabled or running)"),
        A("applies", "list", "the utilities whose CIS section applies: in_use, or every installed one when none is in use"),
        *(A(k, "boolean", f"package {p} is installed") for k, p in (
            ("ufw_installed", "ufw"), ("nftables_installed", "nftables"), ("iptables_installed", "iptables"),
            ("iptables_persistent_installed", "iptables-persistent"))),
        A("ufw_service_enabled", "boolean", "ufw.service is enabled"),
        A("nftables_service_enabled", "boolean", "nftables.service is enabled"),
        A("ufw_conf_enabled", "boolean", "/etc/ufw/ufw.conf says ENABLED=yes"),
        A("ufw_status_active", "boolean", "`ufw status` says active" + _RT),
        A("ufw_default", "map", "{input, output, forward}: DEFAULT_*_POLICY of /etc/default/ufw"),
        A("ufw_default_not_deny", "list", "directions whose default policy is neither DROP nor REJECT"),
        A("ufw_ipv6", "boolean", "IPV6=yes in /etc/default/ufw"),
        A("ufw_loopback_missing", "list", "loopback rules CIS 4.2.4 wants that ufw's rules lack"),
        A("ufw_rule_ports", "list", "ports (`tcp/22`) an incoming ufw rule names"),
        A("ufw_unruled_ports", "list", "open ports no ufw rule names" + _RT),
        A("nft_conf", "map", "/etc/nftables.conf and its includes: " + _NFT),
        A("nft_live", "map", "`nft list ruleset`: " + _NFT + _RT),
        A("ipt_live", "map", "`iptables-save`: " + _IPT + _RT), A("ip6t_live", "map", "`ip6tables-save`: " + _IPT + _RT),
        A("ipt_conf", "map", "/etc/iptables/rules.v4: " + _IPT), A("ip6t_conf", "map", "/etc/iptables/rules.v6: " + _IPT),
        A("ipt_unruled_ports", "list", "open IPv4 ports no iptables INPUT rule names" + _RT),
        A("ip6t_unruled_ports", "list", "open IPv6 ports no ip6tables INPUT rule names" + _RT),
        A("open_ports", "list", "listening ports not bound to loopback (`tcp/22`)" + _RT),
        A("ipv6_enabled", "boolean", "IPv6 is enabled in the running kernel" + _RT),
    )
    commands = ("cat /etc/nftables.conf /etc/ufw/* /etc/default/ufw /etc/iptables/rules.v*", "nft list ruleset",
                "iptables-save", "ip6tables-save", "ufw status verbose", "ss -Htulnp")
    runtime_sections = ("fw_live",)
    runtime_attributes = ("ufw_status_active", "ufw_unruled_ports", "nft_live", "ipt_live", "ip6t_live",
                          "ipt_unruled_ports", "ip6t_unruled_ports", "open_ports", "ipv6_enabled")
    sections = ("fw_files", "fw_live", "packages", "units", "listening")
    parser = "firewall.parse_firewall"


@resources.register("host.boot")
class Boot(HostKind):
    description = "GRUB configuration (one per host, id `boot`): /boot/grub/grub.cfg and user.cfg."
    attributes = (
        A("grub_cfg_exists", "boolean", "/boot/grub/grub.cfg exists"),
        A("superusers", "list", "`set superusers=` values"), A("passwords", "list", "`password[_pbkdf2] <user>` entries"),
        A("pbkdf2_password", "boolean", "a password_pbkdf2 entry exists"),
        A("linux_lines", "integer", "number of `linux` lines in grub.cfg"),
        A("linux_lines_without_apparmor", "list", "`grub.cfg:line` of linux lines lacking apparmor=1 or security=apparmor"),
    )
    commands = ("cat /boot/grub/grub.cfg /boot/grub/user.cfg /etc/default/grub",)
    sections = ("boot",)
    parser = "boot.parse_boot"


@resources.register("host.apparmor")
class AppArmor(HostKind):
    description = "AppArmor (one per host, id `apparmor`): packages and the profiles loaded in the kernel."
    attributes = (
        A("installed", "boolean", "package apparmor is installed"),
        A("utils_installed", "boolean", "package apparmor-utils is installed"),
        A("enabled", "boolean", "/sys/module/apparmor/parameters/enabled is Y" + _RT),
        A("profiles", "integer", "number of loaded profiles" + _RT),
        A("enforce", "list", "profiles in enforce mode" + _RT), A("complain", "list", "profiles in complain mode" + _RT),
        A("not_enforce_or_complain", "list", "profiles in another mode (unconfined, kill...)" + _RT),
        A("not_enforce", "list", "profiles not in enforce mode" + _RT),
    )
    commands = ("cat /sys/kernel/security/apparmor/profiles", "dpkg-query -W")
    runtime_sections = ("apparmor",)
    runtime_attributes = ("enabled", "profiles", "enforce", "complain", "not_enforce_or_complain", "not_enforce")
    sections = ("apparmor", "packages")
    parser = "boot.parse_apparmor"


@resources.register("host.timesync")
class Timesync(HostKind):
    description = "Time synchronisation (one per host, id `timesync`): chrony and systemd-timesyncd."
    attributes = (
        A("in_use", "list", "time daemons enabled or running: chrony, systemd-timesyncd, ntp, ntpsec, openntpd"),
        A("applies", "list", "daemons whose CIS section applies: in_use, or the installed ones when none is in use"),
        A("chrony_installed", "boolean", "package chrony"), A("timesyncd_installed", "boolean", "systemd-timesyncd"),
        A("ntp_installed", "boolean", "ntp, ntpsec or openntpd"),
        A("chrony_service", "map", "{enabled, active} of chrony.service"),
        A("timesyncd_service", "map", "{enabled, active} of systemd-timesyncd.service"),
        A("systemd_running", "boolean", "systemd runs (activity is known)"),
        A("chrony_active", "boolean", "chrony.service is active" + _RT),
        A("timesyncd_active", "boolean", "systemd-timesyncd.service is active" + _RT),
        A("chrony_sources", "list", "`server|pool|peer <host>` lines of chrony.conf, conf.d and sources.d"),
        A("chrony_user", "string", "the user chronyd is configured to run as (`user`, DAEMON_OPTS -u; default _chrony)"),
        A("chrony_running_users", "list", "users running chronyd now" + _RT),
        A("timesyncd_servers", "list", "NTP= and FallbackNTP= of timesyncd.conf and its drop-ins"),
    )
    commands = ("cat /etc/chrony/chrony.conf /etc/systemd/timesyncd.conf", "ps -C chronyd -o user=")
    runtime_attributes = ("chrony_active", "timesyncd_active", "chrony_running_users", "systemd_running")
    sections = ("timesync", "units", "packages")
    parser = "timesync.parse_timesync"


@resources.register("host.coredump")
class Coredump(HostKind):
    description = "Core dump handlers (one per host, id `coredump`): systemd-coredump and apport."
    attributes = (
        A("systemd_coredump_installed", "boolean", "package systemd-coredump"),
        A("storage", "string", "Storage= of coredump.conf and drop-ins (default external)"),
        A("process_size_max", "string", "ProcessSizeMax= (default 2G)"),
        A("apport_installed", "boolean", "package apport"),
        A("apport_enabled", "boolean", "apport installed and /etc/default/apport not enabled=0"),
        A("apport_active", "boolean", "apport.service is active" + _RT),
    )
    commands = ("cat /etc/systemd/coredump.conf /etc/default/apport",)
    runtime_attributes = ("apport_active",)
    sections = ("coredump", "packages", "units")
    parser = "timesync.parse_coredump"


@resources.register("host.gdm")
class Gdm(HostKind):
    description = "GNOME Display Manager settings (one per host, id `gdm`): dconf keyfiles and /etc/gdm3/custom.conf."
    attributes = (
        A("installed", "boolean", "gdm3 (or gdm) is installed"), A("installed_reason", "string", "how it was decided"),
        *(A(k, "boolean|integer|string", f"dconf {p}/{key}") for k, (p, key) in {
            "banner_message_enable": ("org/gnome/login-screen", "banner-message-enable"),
            "banner_message_text": ("org/gnome/login-screen", "banner-message-text"),
            "disable_user_list": ("org/gnome/login-screen", "disable-user-list"),
            "idle_delay": ("org/gnome/desktop/session", "idle-delay"),
            "lock_delay": ("org/gnome/desktop/screensaver", "lock-delay"),
            "automount": ("org/gnome/desktop/media-handling", "automount"),
            "automount_open": ("org/gnome/desktop/media-handling", "automount-open"),
            "autorun_never": ("org/gnome/desktop/media-handling", "autorun-never")}.items()),
        A("locked", "list", "dconf keys locked by /etc/dconf/db/*.d/locks (`org/gnome/desktop/session/idle-delay`)"),
        A("xdmcp_enabled", "boolean", "[xdmcp] Enable=true in /etc/gdm3/custom.conf"),
    )
    commands = ("cat /etc/dconf/db/*.d/* /etc/gdm3/custom.conf",)
    sections = ("gdm", "packages")
    parser = "desktop.parse_gdm"


@resources.register("host.wireless")
class Wireless(HostKind):
    description = "Wireless network interfaces (one per host, id `wireless`)" + _RT + "."
    attributes = (A("interfaces", "list", "interfaces with a wireless extension (/sys/class/net/*/wireless)"),)
    commands = ("ls /sys/class/net/*/wireless",)
    runtime_only = True
    sections = ("wireless",)
    parser = "desktop.parse_wireless"


@resources.register("host.apt")
class Apt(HostKind):
    description = "APT package sources and options (one per host, id `apt`): signature checking."
    attributes = (
        A("unsigned_sources", "list", "`file:line: entry` of sources trusted without a signature (trusted=yes, Trusted: yes)"),
        A("insecure_options", "list", "`file:line: option` of apt.conf options accepting unauthenticated packages "
          "(AllowUnauthenticated, AllowInsecureRepositories, AllowDowngradeToInsecureRepositories)"),
    )
    commands = ("cat /etc/apt/sources.list /etc/apt/sources.list.d/* /etc/apt/apt.conf /etc/apt/apt.conf.d/*",)
    sections = ("apt",)
    parser = "apt.parse_apt"
