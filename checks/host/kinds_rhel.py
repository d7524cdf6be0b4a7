"""Host resource types of the RHEL family (RHEL 9, Rocky, Alma): crypto-policies, SELinux, firewalld,
dnf/yum signature checking, the GRUB 2 password. Their controls are ``platforms: [rhel]`` (not applicable
on another family). Facts: checks/host/facts_rhel.sh; parsers: checks/host/parsers/rhel.py.
"""

from __future__ import annotations

from scanner.provider import Attribute as A
from scanner.resource_types import resources

from checks.host.resources import HostKind


@resources.register("host.crypto_policy")
class CryptoPolicy(HostKind):
    description = ("The system-wide cryptographic policy (one per host, id `crypto-policy`): "
                   "/etc/crypto-policies/config as update-crypto-policies(8) writes it, and sshd's opt-out.")
    attributes = (
        A("configured", "boolean", "/etc/crypto-policies/config exists"),
        A("policy", "string", "the policy as written, e.g. DEFAULT:NO-SHA1"),
        A("base", "string", "the policy without its modules, upper-case: DEFAULT, LEGACY, FUTURE, FIPS, ..."),
        A("modules", "list", "the subpolicy modules, upper-case (NO-SHA1, OSPP...)"),
        A("policy_at", "string", "`file:line` of the policy"),
        A("sshd_override", "boolean", "CRYPTO_POLICY= is set in /etc/sysconfig/sshd (sshd ignores the system policy)"),
        A("sshd_override_at", "string", "`file:line` of that assignment"),
        A("fips_enabled", "boolean", "the running kernel is in FIPS mode (/proc/sys/crypto/fips_enabled)"),
    )
    commands = ("cat /etc/crypto-policies/config /etc/sysconfig/sshd /proc/sys/crypto/fips_enabled",)
    sections = ("crypto_policy",)
    parser = "rhel.parse_crypto_policy"
    runtime_attributes = ("fips_enabled",)


@resources.register("host.selinux")
class Selinux(HostKind):
    description = ("SELinux (one per host, id `selinux`): /etc/selinux/config, the kernel command lines "
                   "configured for boot, and the running mode.")
    attributes = (
        A("config_exists", "boolean", "/etc/selinux/config exists"),
        A("mode", "string", "SELINUX= (enforcing, permissive, disabled), lower-case; absent when not set"),
        A("mode_at", "string", "`file:line` of SELINUX="),
        A("policy_type", "string", "SELINUXTYPE= (targeted, mls, minimum), lower-case"),
        A("policy_type_at", "string", "`file:line` of SELINUXTYPE="),
        A("bootloader_disables", "list", "`file:line: selinux=0|enforcing=0` in GRUB_CMDLINE_LINUX* of "
          "/etc/default/grub, /etc/kernel/cmdline, /boot/loader/entries/*.conf options, grubenv kernelopts"),
        A("current_mode", "string", "the running mode: enforcing, permissive, or disabled (no selinuxfs)"),
    )
    commands = ("cat /etc/selinux/config /etc/default/grub /etc/kernel/cmdline /boot/loader/entries/*.conf",
                "cat /sys/fs/selinux/enforce")
    sections = ("selinux",)
    parser = "rhel.parse_selinux"
    runtime_attributes = ("current_mode",)


@resources.register("host.firewalld")
class Firewalld(HostKind):
    description = "firewalld's configuration (one per host, id `firewalld`): /etc/firewalld/firewalld.conf."
    attributes = (
        A("config_exists", "boolean", "/etc/firewalld/firewalld.conf exists"),
        A("default_zone", "string", "DefaultZone (public when the file does not set it)"),
        A("default_zone_at", "string", "`file:line` of DefaultZone, or that it is firewalld's default"),
    )
    commands = ("cat /etc/firewalld/firewalld.conf",)
    sections = ("firewalld",)
    parser = "rhel.parse_firewalld"


@resources.register("host.dnf")
class Dnf(HostKind):
    description = ("dnf/yum package signature checking (one per host, id `dnf`): [main] of /etc/dnf/dnf.conf "
                   "(or /etc/yum.conf) and every repository of /etc/yum.repos.d/*.repo.")
    attributes = (
        A("conf", "string", "the main configuration file read, null when there is none"),
        A("gpgcheck", "integer|string", "gpgcheck of [main]: 1, 0 (or the text written); absent when not set"),
        A("gpgcheck_at", "string", "`file:line` of it"),
        A("repos", "list", "[{id, file, line, enabled, gpgcheck, gpgcheck_set}] one per repository: gpgcheck its "
          "own value, else [main]'s, else 0 (dnf.conf(5)); line: where gpgcheck is set, else the repository starts"),
    )
    commands = ("cat /etc/dnf/dnf.conf /etc/yum.conf /etc/yum.repos.d/*.repo",)
    sections = ("dnf",)
    parser = "rhel.parse_dnf"


@resources.register("host.grub")
class Grub(HostKind):
    description = ("The GRUB 2 boot loader password (one per host, id `grub`): /boot/grub2/user.cfg "
                   "(GRUB2_PASSWORD, as grub2-setpassword writes it) or password_pbkdf2 in grub.cfg.")
    attributes = (
        A("grub_cfg", "string", "the grub.cfg read (/boot/grub2 or /boot/grub), null when none"),
        A("user_cfg_exists", "boolean", "/boot/grub2/user.cfg exists"),
        A("password_set", "boolean", "a PBKDF2 password hash is configured (the hash itself is not kept)"),
        A("password_at", "string", "`file:line` of it"),
        A("superusers", "string", "`set superusers=` as written in grub.cfg"),
    )
    commands = ("cat /boot/grub2/user.cfg /boot/grub2/grub.cfg /boot/grub/grub.cfg",)
    sections = ("grub",)
    parser = "rhel.parse_grub"
