"""RHEL 9 shaped file trees for ``rootfs:`` tests. No RHEL machine runs here: the files are written from
RHEL 9's documented layouts (the RHEL 9 "Security hardening", "Using SELinux", "Configuring firewalls",
"Managing software with the DNF tool" and authselect guides, and the files the RHEL 9 packages ship:
crypto-policies, openssh-server's sshd_config and 50-redhat.conf, authselect's sssd profile, grub2's
01_users block, firewalld.conf, dnf.conf, BLS entries).

:func:`build` writes the ``default`` tree (RHEL 9 as installed: DEFAULT crypto policy, SELinux enforcing,
firewalld enabled, gpgcheck on, authselect sssd profile without faillock or pwhistory, no boot password)
or the ``hardened`` one (CIS RHEL 9 settings) or ``weak`` (LEGACY policy, SELinux permissive and disabled
on the kernel command line, a repository with gpgcheck=0, sshd crypto override, trusted default zone).
The package database is a real rpm database (``rpm --dbpath``) of stand-in packages built with rpmbuild
(names and versions of RHEL 9.4's), when rpm and rpmbuild are installed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import treefs

OS_RELEASE = """NAME="Red Hat Enterprise Linux"
VERSION="9.4 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.4 (Plow)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
"""
PASSWD = """root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
nobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin
sshd:x:74:74:Privilege-separated SSH:/usr/share/empty.sshd:/sbin/nologin
chrony:x:992:987:chrony system user:/var/lib/chrony:/sbin/nologin
admin:x:1000:1000:admin:/home/admin:/bin/bash
"""
GROUP = """root:x:0:
bin:x:1:
daemon:x:2:
wheel:x:10:admin
ssh_keys:x:101:
sshd:x:74:
chrony:x:987:
nobody:x:65534:
admin:x:1000:
"""
SHADOW = """root:!!:19800:0:99999:7:::
bin:*:19800:0:99999:7:::
daemon:*:19800:0:99999:7:::
nobody:*:19800:0:99999:7:::
sshd:!!:19800::::::
chrony:!!:19800::::::
admin:$6$rounds=5000$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijk:19800:0:99999:7:::
"""
SSHD_CONFIG = """#	$OpenBSD: sshd_config,v 1.104 2021/07/02 05:11:21 dtucker Exp $

# To modify the system-wide sshd configuration, create a  *.conf  file under
#  /etc/ssh/sshd_config.d/  which will be automatically included below
Include /etc/ssh/sshd_config.d/*.conf

#PermitRootLogin prohibit-password
AuthorizedKeysFile	.ssh/authorized_keys
Subsystem	sftp	/usr/libexec/openssh/sftp-server
"""
REDHAT_CONF = """# This system is following system-wide crypto policy. The changes to
# crypto properties (Ciphers, MACs, ...) will not have any effect in
# this or following included files. To override some configuration option,
# write it before this block or include it before this file.
# Please, see manual pages for update-crypto-policies(8) and sshd_config(5).
Include /etc/crypto-policies/back-ends/opensshserver.config

SyslogFacility AUTHPRIV

ChallengeResponseAuthentication no

GSSAPIAuthentication yes
GSSAPICleanupCredentials no

UsePAM yes

X11Forwarding yes

PrintMotd no
"""
OPENSSH_DEFAULT = """Ciphers aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr
MACs hmac-sha2-256-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha1,umac-128@openssh.com,hmac-sha2-512
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512
"""
SYSCONFIG_SSHD = """# Configuration file for the sshd service.

# The server keys are automatically generated if they are missing.
# To change the automatic creation, adjust sshd.service options for
# example using  systemctl enable sshd-keygen@dsa.service  to allow creation
# of DSA key or  systemctl mask sshd-keygen@rsa.service  to disable RSA key
# creation.

# Do not change this option unless you have hardware random
# generator and you REALLY know what you are doing

SSH_USE_STRONG_RNG=0
# SSH_USE_STRONG_RNG=1

# System-wide crypto policy:
# To opt-out, uncomment the following line
# CRYPTO_POLICY=
"""
SELINUX_CONFIG = """
# This file controls the state of SELinux on the system.
# SELINUX= can take one of these three values:
#     enforcing - SELinux security policy is enforced.
#     permissive - SELinux prints warnings instead of enforcing.
#     disabled - No SELinux policy is loaded.
SELINUX={mode}
# SELINUXTYPE= can take one of these three values:
#     targeted - Targeted processes are protected,
#     minimum - Modification of targeted policy. Only selected processes are protected.
#     mls - Multi Level Security protection.
SELINUXTYPE=targeted
"""
DEFAULT_GRUB = """GRUB_TIMEOUT=5
GRUB_DISTRIBUTOR="$(sed 's, release .*$,,g' /etc/system-release)"
GRUB_DEFAULT=saved
GRUB_DISABLE_SUBMENU=true
GRUB_TERMINAL_OUTPUT="console"
GRUB_CMDLINE_LINUX="crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet{extra}"
GRUB_DISABLE_RECOVERY="true"
GRUB_ENABLE_BLSCFG=true
"""
BLS_ENTRY = """title Red Hat Enterprise Linux (5.14.0-427.13.1.el9_4.x86_64) 9.4 (Plow)
version 5.14.0-427.13.1.el9_4.x86_64
linux /vmlinuz-5.14.0-427.13.1.el9_4.x86_64
initrd /initramfs-5.14.0-427.13.1.el9_4.x86_64.img $tuned_initrd
options root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap rhgb quiet{extra}
grub_users $grub_users
grub_arg --unrestricted
grub_class rhel
"""
GRUB_CFG = """#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub2-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#

### BEGIN /etc/grub.d/00_header ###
set pager=1
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/01_users ###
if [ -f ${prefix}/user.cfg ]; then
  source ${prefix}/user.cfg
  if [ -n "${GRUB2_PASSWORD}" ]; then
    set superusers="root"
    export superusers
    password_pbkdf2 root ${GRUB2_PASSWORD}
  fi
fi
### END /etc/grub.d/01_users ###

### BEGIN /etc/grub.d/10_linux ###
insmod part_gpt
blscfg
### END /etc/grub.d/10_linux ###
"""
GRUB_PASSWORD = ("GRUB2_PASSWORD=grub.pbkdf2.sha512.10000." + "A1B2C3D4" * 16 + "." + "0F1E2D3C" * 16 + "\n")
FIREWALLD_CONF = """# firewalld config file

# default zone
# The default zone used if an empty zone string is used.
# Default: public
DefaultZone={zone}

# Clean up on exit
CleanupOnExit=yes
"""
DNF_CONF = """[main]
gpgcheck=1
installonly_limit=3
clean_requirements_on_remove=True
best=True
skip_if_unavailable=False
"""
REDHAT_REPO = """#
# Certificate-Based Repositories
# Managed by (rhsm) subscription-manager
#
[rhel-9-for-x86_64-baseos-rpms]
name = Red Hat Enterprise Linux 9 for x86_64 - BaseOS (RPMs)
baseurl = https://cdn.redhat.com/content/dist/rhel9/$releasever/x86_64/baseos/os
enabled = 1
gpgcheck = 1
gpgkey = file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release
sslverify = 1

[rhel-9-for-x86_64-appstream-rpms]
name = Red Hat Enterprise Linux 9 for x86_64 - AppStream (RPMs)
baseurl = https://cdn.redhat.com/content/dist/rhel9/$releasever/x86_64/appstream/os
enabled = 1
gpgcheck = 1
gpgkey = file:///etc/pki/rpm-gpg/RPM-GPG-KEY-redhat-release
"""
THIRD_PARTY_REPO = """[vendor-tools]
name=Vendor tools
baseurl=https://repo.vendor.example/el9/
enabled=1
gpgcheck=0
"""
SYSTEM_AUTH_SSSD = """auth        required                                     pam_env.so
auth        required                                     pam_faildelay.so delay=2000000
auth        [default=1 ignore=ignore success=ok]         pam_usertype.so isregular
auth        [default=1 ignore=ignore success=ok]         pam_localuser.so
auth        sufficient                                   pam_unix.so nullok
auth        [default=1 ignore=ignore success=ok]         pam_usertype.so isregular
auth        sufficient                                   pam_sss.so forward_pass
auth        required                                     pam_deny.so

account     required                                     pam_unix.so
account     sufficient                                   pam_localuser.so
account     sufficient                                   pam_usertype.so issystem
account     [default=bad success=ok user_unknown=ignore] pam_sss.so
account     required                                     pam_permit.so

password    requisite                                    pam_pwquality.so
password    sufficient                                   pam_unix.so sha512 shadow nullok use_authtok
password    [success=1 default=ignore]                   pam_localuser.so
password    sufficient                                   pam_sss.so use_authtok
password    required                                     pam_deny.so

session     optional                                     pam_keyinit.so revoke
session     required                                     pam_limits.so
-session    optional                                     pam_systemd.so
session     [success=1 default=ignore]                   pam_succeed_if.so service in crond quiet use_uid
session     required                                     pam_unix.so
session     optional                                     pam_sss.so
"""
SYSTEM_AUTH_CIS = """auth        required                                     pam_env.so
auth        required                                     pam_faildelay.so delay=2000000
auth        required                                     pam_faillock.so preauth silent
auth        sufficient                                   pam_unix.so
auth        required                                     pam_faillock.so authfail
auth        required                                     pam_deny.so

account     required                                     pam_faillock.so
account     required                                     pam_unix.so
account     required                                     pam_permit.so

password    requisite                                    pam_pwquality.so
password    required                                     pam_pwhistory.so use_authtok
password    sufficient                                   pam_unix.so sha512 shadow use_authtok
password    required                                     pam_deny.so

session     optional                                     pam_keyinit.so revoke
session     required                                     pam_limits.so
session     required                                     pam_unix.so
"""
UNIT_INSTALL = "[Unit]\nDescription={name}\n\n[Service]\nExecStart=/usr/bin/true\n\n[Install]\nWantedBy=multi-user.target\n"

#: RHEL 9.4 packages (name, version-release) the stand-in rpm database lists.
PACKAGES = {
    "redhat-release": "9.4-0.5.el9", "kernel-core": "5.14.0-427.13.1.el9_4", "libselinux": "3.6-1.el9",
    "selinux-policy-targeted": "38.1.35-2.el9_4", "openssh-server": "8.7p1-38.el9", "crypto-policies": "20240202-1.git283706d.el9",
    "authselect": "1.2.6-2.el9", "firewalld": "1.3.4-1.el9", "dnf": "4.14.0-9.el9", "cronie": "1.5.7-11.el9",
    "chrony": "4.5-1.el9", "audit": "3.1.2-2.el9", "sudo": "1.9.5p2-10.el9_3",
}


def files(kind: str) -> dict[str, object]:
    """The tree: ``default``, ``hardened`` or ``weak``."""
    weak, hardened = kind == "weak", kind == "hardened"
    tree: dict[str, object] = {
        "/bin": "-> usr/bin", "/sbin": "-> usr/sbin", "/lib": "-> usr/lib", "/lib64": "-> usr/lib64",
        "/usr/lib/os-release": OS_RELEASE, "/etc/os-release": "-> ../usr/lib/os-release",
        "/etc/redhat-release": "Red Hat Enterprise Linux release 9.4 (Plow)\n",
        "/etc/hostname": "rhel9-golden\n", "/etc/machine-id": "4c4c4544004a3510804cb4c04f4e3432\n",
        "/etc/passwd": PASSWD, "/etc/group": GROUP, "/etc/shadow": (SHADOW, 0o000), "/etc/gshadow": ("", 0o000),
        "/etc/login.defs": "PASS_MAX_DAYS\t99999\nPASS_MIN_DAYS\t0\nPASS_WARN_AGE\t7\nUID_MIN\t1000\nUMASK\t\t022\n"
                           "ENCRYPT_METHOD SHA512\n",
        "/usr/sbin/sshd": "\x7fELF stand-in OpenSSH_8.7p1, OpenSSL 3.0.7 1 Nov 2022\n",
        "/etc/ssh/sshd_config": (SSHD_CONFIG, 0o600),
        "/etc/ssh/sshd_config.d/50-redhat.conf": (REDHAT_CONF, 0o600),
        "/usr/share/crypto-policies/DEFAULT/opensshserver.txt": OPENSSH_DEFAULT,
        "/usr/share/crypto-policies/LEGACY/opensshserver.txt": OPENSSH_DEFAULT.replace("aes128-ctr", "aes128-ctr,aes256-cbc"),
        "/etc/crypto-policies/back-ends/opensshserver.config":
            f"-> /usr/share/crypto-policies/{'LEGACY' if weak else 'DEFAULT'}/opensshserver.txt",
        "/etc/crypto-policies/config": "LEGACY\n" if weak else "DEFAULT:NO-SHA1\n" if hardened else "DEFAULT\n",
        "/etc/sysconfig/sshd": SYSCONFIG_SSHD + ("CRYPTO_POLICY=\n" if weak else ""),
        "/etc/selinux/config": SELINUX_CONFIG.format(mode="permissive" if weak else "enforcing"),
        "/etc/default/grub": DEFAULT_GRUB.format(extra=" selinux=0" if weak else ""),
        "/etc/kernel/cmdline": "root=/dev/mapper/rhel-root ro rhgb quiet\n",
        "/boot/loader/entries/4c4c4544004a3510804cb4c04f4e3432-5.14.0-427.13.1.el9_4.x86_64.conf":
            BLS_ENTRY.format(extra=" enforcing=0" if weak else ""),
        "/boot/grub2/grub.cfg": (GRUB_CFG, 0o600), "/boot/grub2/grubenv": "# GRUB Environment Block\n",
        "/etc/firewalld/firewalld.conf": FIREWALLD_CONF.format(zone="trusted" if weak else "public"),
        "/etc/dnf/dnf.conf": DNF_CONF, "/etc/yum.conf": "-> dnf/dnf.conf",
        "/etc/yum.repos.d/redhat.repo": REDHAT_REPO,
        "/etc/authselect/authselect.conf": ("custom/cis\nwith-faillock\nwith-pwhistory\nwithout-nullok\n" if hardened
                                            else "sssd\nwith-fingerprint\nwith-silent-lastlog\n"),
        "/etc/authselect/system-auth": SYSTEM_AUTH_CIS if hardened else SYSTEM_AUTH_SSSD,
        "/etc/authselect/password-auth": SYSTEM_AUTH_CIS if hardened else SYSTEM_AUTH_SSSD,
        "/etc/pam.d/system-auth": "-> /etc/authselect/system-auth",
        "/etc/pam.d/password-auth": "-> /etc/authselect/password-auth",
        "/etc/security/pwquality.conf": "# minlen = 8\n" + ("minlen = 14\nminclass = 4\n" if hardened else ""),
        "/etc/security/faillock.conf": "# deny = 3\n" + ("deny = 5\nunlock_time = 900\n" if hardened else ""),
        "/etc/security/pwhistory.conf": "# remember = 5\n" + ("remember = 24\nenforce_for_root\n" if hardened else ""),
        "/usr/lib/systemd/systemd": "\x7fELF stand-in\n",
        "/etc/sysctl.d/99-sysctl.conf": "-> ../sysctl.conf", "/etc/sysctl.conf": "# sysctl settings\n",
    }
    for unit in ("sshd.service", "crond.service", "chronyd.service", "firewalld.service", "auditd.service"):
        tree[f"/usr/lib/systemd/system/{unit}"] = UNIT_INSTALL.format(name=unit)
        if not (weak and unit == "firewalld.service"):
            tree[f"/etc/systemd/system/multi-user.target.wants/{unit}"] = f"-> /usr/lib/systemd/system/{unit}"
    if weak:
        tree["/etc/yum.repos.d/vendor.repo"] = THIRD_PARTY_REPO
    if hardened:
        tree["/boot/grub2/user.cfg"] = (GRUB_PASSWORD, 0o600)
        tree["/etc/ssh/sshd_config.d/40-cis.conf"] = ("PermitRootLogin no\nMaxAuthTries 4\nLogLevel VERBOSE\n", 0o600)
        tree["/etc/sysctl.d/60-cis.conf"] = "net.ipv4.ip_forward = 0\nkernel.randomize_va_space = 2\n"
    return tree


def rpm_usable() -> str | None:
    """Why a stand-in rpm database cannot be made here, or None."""
    missing = [t for t in ("rpm", "rpmbuild") if shutil.which(t) is None]
    return f"{' and '.join(missing)} not installed" if missing else None


def rpmdb(dbpath: Path, packages: dict[str, str]) -> None:
    """A real rpm database at ``dbpath`` listing ``packages`` (empty noarch stand-ins, installed --justdb)."""
    with tempfile.TemporaryDirectory() as work:
        spec = Path(work) / "p.spec"
        spec.write_text("Name: %{pkg}\nVersion: %{ver}\nRelease: %{rel}\nSummary: govscan test stand-in\n"
                        "License: MIT\nBuildArch: noarch\n%description\nstand-in\n%files\n")
        for name, vr in packages.items():
            ver, _, rel = vr.rpartition("-")
            subprocess.run(["rpmbuild", "-bb", "--define", f"_topdir {work}/top", "--define", f"pkg {name}",
                            "--define", f"ver {ver}", "--define", f"rel {rel}", str(spec)],
                           check=True, capture_output=True)
        dbpath.mkdir(parents=True, exist_ok=True)
        subprocess.run(["rpm", "--dbpath", str(dbpath), "--initdb"], check=True, capture_output=True)
        rpms = sorted(str(p) for p in (Path(work) / "top" / "RPMS" / "noarch").glob("*.rpm"))
        subprocess.run(["rpm", "--dbpath", str(dbpath), "-i", "--justdb", "--nodeps", "--noscripts", "--ignorearch",
                        *rpms], check=True, capture_output=True)


def build(kind: str, root: Path, *, packages: dict[str, str] | None = None) -> Path:
    """Write the ``kind`` tree under ``root`` (with its rpm database when rpm and rpmbuild are installed)."""
    treefs.build(files(kind), root)
    (root / "boot" / "grub2").chmod(0o700)  # as grub2-tools leaves it
    (root / "boot" / "loader" / "entries").chmod(0o700)
    if rpm_usable() is None:
        pkgs = dict(PACKAGES if packages is None else packages)
        if kind == "weak":
            pkgs.update({"setroubleshoot-server": "3.3.32-1.el9", "mcstrans": "3.6-1.el9"})
        rpmdb(root / "var" / "lib" / "rpm", pkgs)
    return root
