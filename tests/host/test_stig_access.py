"""DISA STIG access content (policies/controls/host/stig_access.yaml, policies/stig/mapping-access.json): each new
control proven both ways.

- Debian/Ubuntu-shaped ``rootfs:`` trees laid out here (a STIG-configured one and a weak one), scanned through the
  CLI: Ctrl-Alt-Del, the DoD banner text (compared after whitespace normalisation; a missing file fails), login.defs,
  pwquality, pam_faildelay, pam_unix rounds and hashing in common-password, maxlogins, root locked, packages.
- RHEL 9-shaped trees (tests/host/rhel_tree.py) with the STIG settings and without: system.conf, logind, the
  rescue/emergency units, libuser, csh/bash umask, faillock, pwquality, system-auth/password-auth, packages.
- A real sshd on loopback (tests/host/sshd_fixture.py) for what only ``sshd -T`` shows (RekeyLimit) and the
  algorithm lists in the STIG's order.
- The coverage ``govscan policy list -p`` prints went up, and a CKLB of a scan lists these Vuln IDs with the status
  their findings give.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import rhel_tree
import treefs

from checks.host.parsers.stig_access import normalise_text, parse_stig_access, time_span
from checks.host.script import Output, Section

ROOT = Path(__file__).resolve().parents[2]
DOD = (ROOT / "policies" / "controls" / "host" / "stig_access.yaml").read_text()


def dod_banner() -> str:
    """The DoD banner as the control's input holds it (YAML folded), as plain text."""
    import yaml

    docs = [d for d in yaml.safe_load_all(DOD) if d]
    ctl = next(d for d in docs if d["metadata"]["id"] == "stig-banner-issue-dod")
    return str(ctl["inputs"][0]["default"])


def govscan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from scanner.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


def scan(tree: Path, db: Path, *select: str) -> dict[str, list[tuple[str, str, str]]]:
    run = govscan("scan", f"rootfs:{tree}", "--db", str(db), "-q", "--gate", "none", *select)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(x) for x in govscan("findings", "--db", str(db), "--json").stdout.splitlines() if x]
    return treefs.by_control(rows)


def dpkg_status(*names: str) -> str:
    return "".join(f"Package: {n}\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n"
                   f"Maintainer: test\nDescription: stand-in\n\n" for n in names)


def wrapped(text: str) -> str:
    """The banner as a site writes it: paragraphs on their own lines, long lines broken, trailing blank lines."""
    out = text.replace(": -", ":\n\n-").replace(". -", ".\n\n-")
    words, lines, cur = out.split(" "), [], ""
    for w in words:
        if len(cur) + len(w) > 70:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    return "\n".join([*lines, cur]) + "\n\n"


DEBIAN_BASE: dict[str, Any] = {
    "/etc/os-release": 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
    "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\n",
    "/etc/group": "root:x:0:\nadmin:x:1000:\n", "/root": "/", "/home/admin": "/",
    "/etc/pam.d/common-account": "account required pam_unix.so\n",
    "/etc/pam.d/common-session": "session required pam_unix.so\n",
}
DEBIAN_STIG: dict[str, Any] = {
    **DEBIAN_BASE,
    "/etc/systemd/system/ctrl-alt-del.target": "-> /dev/null",
    "/etc/shadow": ("root:!*:19800:1:60:7:35::\nadmin:$6$salt$hash:19800:1:60:7:35::\n", 0o640),
    "/etc/login.defs": "PASS_MAX_DAYS 60\nUMASK 077\nENCRYPT_METHOD SHA512\nCREATE_HOME yes\n",
    "/etc/pam.d/common-auth": "auth required pam_faildelay.so delay=4000000\nauth [success=1 default=ignore] "
                              "pam_unix.so\nauth requisite pam_deny.so\n",
    "/etc/pam.d/common-password": "password requisite pam_pwquality.so retry=3 enforcing=1\n"
                                  "password [success=1 default=ignore] pam_unix.so obscure use_authtok sha512 "
                                  "shadow rounds=100000\npassword requisite pam_deny.so\n",
    "/etc/security/pwquality.conf": "ucredit = -1\nlcredit = -1\ndcredit = -1\nocredit = -1\nminlen = 15\n",
    "/etc/security/limits.conf": "*  hard  maxlogins  100\n",
    "/etc/security/limits.d/90-stig.conf": "* hard maxlogins 10\n",
    "/var/lib/dpkg/status": dpkg_status("vlock", "libpam-pkcs11", "libpam-pwquality", "login"),
}
DEBIAN_WEAK: dict[str, Any] = {
    **DEBIAN_BASE,
    "/etc/issue.net": "Debian GNU/Linux 12\n",
    "/etc/shadow": ("root:$y$j9T$salt$hash:19800:0:99999:7:::\n", 0o640),
    "/etc/login.defs": "PASS_MAX_DAYS 99999\nUMASK 022\n",
    "/etc/pam.d/common-auth": "auth optional pam_faildelay.so delay=4000000\nauth [success=1 default=ignore] "
                              "pam_unix.so\n",
    "/etc/pam.d/common-password": "password requisite pam_pwquality.so retry=5\n"
                                  "password [success=1 default=ignore] pam_unix.so obscure use_authtok yescrypt "
                                  "sha512 rounds=5000\n",
    "/etc/security/pwquality.conf": "ucredit = 0\nlcredit = 1\n",
    "/etc/security/limits.d/90-local.conf": "* hard maxlogins 10\n@staff - maxlogins 2\n* soft maxlogins 3\n",
    "/etc/security/limits.d/99-late.conf": "* - maxlogins 50\n",
    "/var/lib/dpkg/status": dpkg_status("libpam-pwquality", "login"),
}
DEBIAN_CONTROLS = ("stig-ctrl-alt-del-masked", "stig-banner-issue-net-dod", "stig-login-defs-umask",
                   "stig-pam-faildelay", "stig-pam-unix-rounds-common-password", "stig-pam-unix-sha512-common-password",
                   "stig-pam-pwquality-ucredit", "stig-pam-pwquality-lcredit", "stig-pam-pwquality-dcredit",
                   "stig-pam-pwquality-ocredit", "stig-pam-pwquality-retry", "stig-max-concurrent-sessions",
                   "stig-pkg-vlock", "stig-pkg-libpam-pkcs11")


GNOME_GOOD: dict[str, Any] = {
    "/etc/dconf/profile/user": "user-db:user\nsystem-db:local\n",
    "/etc/dconf/profile/gdm": "user-db:user\nsystem-db:gdm\nfile-db:/usr/share/gdm/greeter-dconf-defaults\n",
    "/etc/dconf/db/local.d/00-security-settings": (
        "[org/gnome/settings-daemon/plugins/media-keys]\nlogout=['']\n\n[org/gnome/desktop/screensaver]\n"
        "lock-enabled=true\npicture-uri=string ''\nlock-delay=uint32 0\n\n"
        "[org/gnome/settings-daemon/peripherals/smartcard]\nremoval-action='lock-screen'\n"),
    "/etc/dconf/db/local.d/locks/00-security-settings-lock": (
        "/org/gnome/settings-daemon/plugins/media-keys/logout\n/org/gnome/desktop/screensaver/lock-enabled\n"
        "/org/gnome/desktop/screensaver/picture-uri\n/org/gnome/desktop/screensaver/lock-delay\n"
        "/org/gnome/desktop/session/idle-delay\n/org/gnome/settings-daemon/peripherals/smartcard/removal-action\n"),
    "/etc/dconf/db/gdm.d/01-banner-message": (
        "[org/gnome/login-screen]\nbanner-message-enable=true\ndisable-restart-buttons=true\n"
        "banner-message-text='" + dod_banner().replace(": -", ":\\n-").replace(". -", ".\\n-") + "'\n"),
    "/etc/dconf/db/gdm.d/locks/01-login-screen": (
        "/org/gnome/login-screen/banner-message-text\n/org/gnome/login-screen/disable-restart-buttons\n"),
    "/etc/dconf/db/local": "GVariant stand-in\n", "/etc/dconf/db/gdm": "GVariant stand-in\n",
    "/etc/gdm3/custom.conf": "[daemon]\nAutomaticLoginEnable=false\n\n[security]\n",
}
GNOME_BAD: dict[str, Any] = {
    **GNOME_GOOD,
    "/etc/dconf/db/local.d/locks/00-security-settings-lock": "# nothing locked\n",
    "/etc/dconf/db/gdm.d/locks/01-login-screen": "\n",
    "/etc/dconf/db/gdm.d/01-banner-message": "[org/gnome/login-screen]\nbanner-message-text='x'\n"
                                             "disable-restart-buttons=true\n",
    "/etc/gdm3/custom.conf": "[daemon]\nAutomaticLoginEnable=true\nAutomaticLogin=admin\n",
}
SSSD_GOOD = """[sssd]
services = nss, pam
domains = example.mil
certificate_verification = ocsp_dgst=sha512

[domain/example.mil]
id_provider = ldap
ldap_user_certificate = userCertificate;binary
certificate_verification = ca_cert,ocsp

[pam]
pam_cert_auth = True
offline_credentials_expiration = 2

[certmap/example.mil/rule1]
matchrule = <SAN>.*EDIPI@mil
"""
AUTH_GOOD: dict[str, Any] = {
    "/etc/pam.d/common-auth": "auth [success=2 default=ignore] pam_pkcs11.so\n" + DEBIAN_STIG["/etc/pam.d/common-auth"],
    "/etc/pam_pkcs11/pam_pkcs11.conf": "pam_pkcs11 {\n  use_first_pass = false;\n"
                                       "  cert_policy = ca,signature,ocsp_on, crl_auto;\n  # cert_policy = none;\n}\n",
    "/etc/sssd/sssd.conf": (SSSD_GOOD, 0o600),
    "/etc/sssd/conf.d/90-stig.conf": ("[pam]\noffline_credentials_expiration = 1\n", 0o600),
    "/etc/sudoers": ("root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n", 0o440),
}
AUTH_WEAK: dict[str, Any] = {
    "/etc/pam.d/common-auth": DEBIAN_WEAK["/etc/pam.d/common-auth"] + "auth optional pam_pkcs11.so\n",
    "/etc/pam_pkcs11/pam_pkcs11.conf": "cert_policy = ca,ocsp_on,crl_auto;\ncert_policy = signature;\n",
    "/etc/sssd/sssd.conf": (SSSD_GOOD.replace("nss, pam", "nss").replace("ocsp_dgst=sha512", "ocsp_dgst=sha1")
                            .replace("ca_cert,ocsp", "no_ocsp").replace("True", "False")
                            .replace("userCertificate;binary", "userCertificate")
                            .replace("[certmap/example.mil/rule1]", "[certmap/example.mil]"), 0o600),
    "/etc/sssd/conf.d/90-stig.conf": ("[pam]\n", 0o600),
    "/etc/sudoers": ("root ALL=(ALL:ALL) ALL\n", 0o440),
    "/etc/sudoers.d/50-everyone": ("ALL  ALL=(ALL:ALL)  ALL\n", 0o440),
}
DEBIAN_TREES: dict[str, dict[str, Any]] = {
    # everything the STIGs require (GDM installed with the STIG's dconf settings, smart cards configured)
    "stig": {**DEBIAN_STIG, **GNOME_GOOD, **AUTH_GOOD, "/etc/issue.net": wrapped(dod_banner()),
             "/var/lib/dpkg/status": dpkg_status("vlock", "libpam-pkcs11", "libpam-pwquality", "login", "gdm3",
                                                   "sudo")},
    # the same settings weakened (GDM installed, its keys unlocked, automatic login on)
    "weak": {**DEBIAN_WEAK, **GNOME_BAD, **AUTH_WEAK,
             "/var/lib/dpkg/status": dpkg_status("libpam-pwquality", "login", "gdm3")},
    # no GDM, no smart card configuration, a banner with one word changed
    "absent": {**DEBIAN_STIG, "/etc/issue.net": dod_banner().replace("routinely", "sometimes")},
}


@pytest.fixture(scope="module")
def debian_scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[tuple[str, str, str]]]]:
    import os

    base = tmp_path_factory.mktemp("stig-access-debian")
    out = {}
    for name, tree in DEBIAN_TREES.items():
        root = treefs.build(tree, base / name)
        stamp = 2_000_000_000 if name == "stig" else 1_000_000_000  # compiled after / before the keyfiles
        for db in ("local", "gdm"):
            if (root / "etc/dconf/db" / db).exists():
                os.utime(root / "etc/dconf/db" / db, (stamp, stamp) if db == "local" else (2_000_000_000,) * 2)
        out[name] = scan(root, base / f"{name}.db", "-c", "stig-*", "-c", "host-sshd-*", "-c", "host-sudo-*")
    return out


def test_debian_stig_tree_passes(debian_scans):
    got = debian_scans["stig"]
    for cid in DEBIAN_CONTROLS:
        assert [s for _, s, _ in got[cid]] == ["pass"], (cid, got[cid])
    assert got["stig-ctrl-alt-del-masked"] == [("stig_access", "pass", "ctrl-alt-del.target is masked (-> /dev/null)")]
    assert got["stig-banner-issue-net-dod"] == [("stig_access", "pass", "/etc/issue.net is the required banner text")]
    assert got["stig-max-concurrent-sessions"] == [("stig_access", "pass", "maxlogins is 10")]  # limits.d wins
    assert got["stig-pam-unix-rounds-common-password"] == [
        ("stig_access", "pass", "pam_unix rounds = 100000 in common-password")]
    assert ("shadow:root", "pass", "root's password is locked") in got["stig-root-login-locked"]
    # no /etc/issue on this tree: the RHEL banner control fails, it never passes on a missing file
    assert got["stig-banner-issue-dod"] == [
        ("stig_access", "fail", "/etc/issue is not the required banner text (found: no file)")]


def test_debian_weak_tree_fails(debian_scans):
    got = debian_scans["weak"]
    for cid in DEBIAN_CONTROLS:
        assert [s for _, s, _ in got[cid]] == ["fail"], (cid, got[cid])
    assert got["stig-ctrl-alt-del-masked"] == [("stig_access", "fail", "ctrl-alt-del.target is not masked "
                                                "(/etc/systemd/system/ctrl-alt-del.target -> none)")]
    assert got["stig-banner-issue-net-dod"] == [
        ("stig_access", "fail", "/etc/issue.net is not the required banner text (found: Debian GNU/Linux 12)")]
    assert got["stig-pam-faildelay"] == [("stig_access", "fail", "pam_faildelay delay = unset in "
                                          "/etc/pam.d/common-auth (required: 4000000 us or more)")]  # optional, not required
    assert got["stig-pam-unix-sha512-common-password"] == [("stig_access", "fail", "pam_unix hashing options in "
                                                           "/etc/pam.d/common-password: yescrypt, sha512 (required: sha512 alone)")]
    assert got["stig-pam-pwquality-retry"] == [("pam", "fail", "pwquality retry = 5 (required: 1 to 3)")]
    assert got["stig-max-concurrent-sessions"] == [("stig_access", "fail", "maxlogins is 50 (required: 1 to 10)")]
    assert got["stig-login-defs-umask"][0][1:] == ("fail", "UMASK is 022: new files get ur, uw, ux, gr, gx, or, ox "
                                                   "(allowed ur, uw, ux)")
    assert ("shadow:root", "fail", "root's password is set (required: locked)") in got["stig-root-login-locked"]
    assert got["stig-pkg-vlock"] == [("packages", "fail", "vlock is not installed")]


def test_banner_with_one_word_changed_fails(debian_scans):
    assert debian_scans["absent"]["stig-banner-issue-net-dod"][0][1] == "fail"


RHEL_STIG_AUTH = (rhel_tree.SYSTEM_AUTH_CIS.replace("pam_unix.so sha512 shadow use_authtok",
                                                    "pam_unix.so sha512 shadow use_authtok rounds=100000")
                  .replace("auth        sufficient                                   pam_unix.so",
                           "auth        sufficient                                   pam_unix.so\n"
                           "auth        [success=done default=die]                   pam_sss.so try_cert_auth"))
RHEL_STIG: dict[str, Any] = {
    "/etc/systemd/system/ctrl-alt-del.target": "-> /dev/null",
    "/etc/systemd/system/default.target": "-> /usr/lib/systemd/system/multi-user.target",
    "/etc/systemd/system.conf": "[Manager]\n#CtrlAltDelBurstAction=reboot-force\nCtrlAltDelBurstAction=none\n",
    "/etc/systemd/logind.conf.d/50-stig.conf": "[Login]\nStopIdleSessionSec=10min\n",
    "/usr/lib/systemd/system/rescue.service": "[Service]\nExecStart=-/usr/lib/systemd/systemd-sulogin-shell rescue\n",
    "/usr/lib/systemd/system/emergency.service": "[Service]\nExecStart=-/usr/lib/systemd/systemd-sulogin-shell "
                                                 "emergency\n",
    "/etc/libuser.conf": "[import]\nlogin_defs = /etc/login.defs\n[defaults]\ncrypt_style = sha512\n",
    "/etc/csh.cshrc": "if ($uid > 199) then\n    umask 077\nelse\n    umask 077\nendif\n",
    "/etc/bashrc": "umask 077\n",
    "/etc/login.defs": "PASS_MAX_DAYS 60\nUMASK 077\nENCRYPT_METHOD SHA512\nCREATE_HOME yes\nFAIL_DELAY 4\n",
    "/etc/security/faillock.conf": "deny = 3\neven_deny_root\nfail_interval = 900\ndir = /var/log/faillock\n",
    "/etc/security/pwquality.conf": "minlen = 15\nucredit = -1\nlcredit = -1\ndcredit = -1\nocredit = -1\n"
                                    "maxclassrepeat = 4\nretry = 3\n",
    "/etc/authselect/system-auth": RHEL_STIG_AUTH, "/etc/authselect/password-auth": RHEL_STIG_AUTH,
    "/etc/sssd/sssd.conf": ("[sssd]\nservices = nss, pam\n\n[pam]\npam_cert_auth = True\n", 0o600),
    "/etc/authselect/smartcard-auth": "auth sufficient pam_sss.so allow_missing_name require_cert_auth\n",
    "/etc/pam.d/smartcard-auth": "-> /etc/authselect/smartcard-auth",
    "/usr/share/crypto-policies/FIPS/opensshserver.txt": (
        "Ciphers aes256-gcm@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr\n"
        "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512\n"),
    "/usr/share/crypto-policies/FIPS/openssh.txt": (
        "Ciphers aes256-gcm@openssh.com,aes256-ctr,aes128-gcm@openssh.com,aes128-ctr\n"
        "MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512\n"),
    "/etc/crypto-policies/back-ends/opensshserver.config": "-> /usr/share/crypto-policies/FIPS/opensshserver.txt",
    "/etc/crypto-policies/back-ends/openssh.config": "-> /usr/share/crypto-policies/FIPS/openssh.txt",
    "/home/admin/.bashrc": "# .bashrc\n# umask 022 (commented)\nalias ll='ls -l'\n",
    "/root/.bashrc": "umask 022\n",  # root is a system account: not an interactive user's file
}
WEAK_AUTH = "\n".join(ln for ln in rhel_tree.SYSTEM_AUTH_CIS.split("\n") if "pam_pwquality" not in ln
                      and "authfail" not in ln).replace("sha512 shadow", "md5 shadow")
RHEL_WEAK: dict[str, Any] = {
    "/etc/systemd/system/ctrl-alt-del.target": "-> /usr/lib/systemd/system/reboot.target",
    "/etc/systemd/system/default.target": "-> /usr/lib/systemd/system/graphical.target",
    "/etc/systemd/logind.conf": "[Login]\nStopIdleSessionSec=infinity\n",
    "/usr/lib/systemd/system/rescue.service": "[Service]\nExecStart=-/usr/lib/systemd/systemd-sulogin-shell rescue\n",
    "/etc/systemd/system/rescue.service.d/override.conf": "[Service]\nExecStart=\nExecStart=-/bin/sh\n",
    "/etc/libuser.conf": "[defaults]\ncrypt_style = md5\n",
    "/etc/csh.cshrc": "if ($uid > 199) then\n    umask 002\nelse\n    umask 022\nendif\n",
    "/etc/bashrc": "# no umask here\n",
    "/etc/security/faillock.conf": "deny = 3\nfail_interval = 60\ndir = /var/run/faillock\n",
    "/etc/security/pwquality.conf": "maxclassrepeat = 0\nretry = 3\nucredit = -1\n",
    "/etc/authselect/system-auth": WEAK_AUTH, "/etc/authselect/password-auth": WEAK_AUTH,
    "/etc/ssh/sshd_config.d/50-redhat.conf": ("# the crypto policy include removed\nPrintMotd no\n", 0o600),
    "/home/admin/.bash_profile": "export PATH\n  umask 022\n",
    "/etc/passwd": rhel_tree.PASSWD + "scratch:x:1001:1001::/tmp:/bin/bash\n",
}
RHEL_CONTROLS = ("stig-ctrl-alt-del-masked", "stig-ctrl-alt-del-burst-none", "stig-default-target-multi-user",
                 "stig-logind-idle-session", "stig-rescue-mode-auth", "stig-emergency-mode-auth",
                 "stig-libuser-sha512", "stig-csh-umask", "stig-bashrc-umask", "stig-login-defs-fail-delay",
                 "stig-login-defs-create-home", "stig-pam-faillock-deny-root", "stig-pam-faillock-interval",
                 "stig-pam-faillock-dir", "stig-pam-pwquality-maxclassrepeat", "stig-pam-pwquality-system-auth",
                 "stig-pam-pwquality-password-auth", "stig-pam-faillock-password-auth",
                 "stig-pam-unix-rounds-system-auth", "stig-pam-unix-rounds-password-auth",
                 "stig-pam-unix-sha512-password-auth", "stig-pkg-openssl-pkcs11", "stig-pkg-no-xorg-server",
                 "stig-sssd-smartcards-rhel", "stig-crypto-policy-sshd-ciphers", "stig-crypto-policy-sshd-macs",
                 "stig-crypto-policy-ssh-ciphers", "stig-crypto-policy-ssh-macs", "stig-sshd-includes-crypto-policy",
                 "stig-interactive-umask-not-set")


@pytest.fixture(scope="module")
def rhel_scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[tuple[str, str, str]]]]:
    if rhel_tree.rpm_usable() is not None:
        pytest.skip(f"RHEL trees need an rpm database: {rhel_tree.rpm_usable()}")
    base = tmp_path_factory.mktemp("stig-access-rhel")
    out = {}
    for name, extra, pkgs in (("stig", RHEL_STIG, {"openssl-pkcs11": "0.4.11-9.el9"}),
                              ("weak", RHEL_WEAK, {"xorg-x11-server-Xwayland": "22.1.9-5.el9"})):
        tree = treefs.build({**rhel_tree.files("hardened"), **extra}, base / name)
        rhel_tree.rpmdb(tree / "var" / "lib" / "rpm", {**rhel_tree.PACKAGES, **pkgs})
        out[name] = scan(tree, base / f"{name}.db", "-c", "stig-*")
    return out


def test_rhel_stig_tree_passes(rhel_scans):
    got = rhel_scans["stig"]
    for cid in RHEL_CONTROLS:
        assert [s for _, s, _ in got[cid]] == ["pass"], (cid, got[cid])
    assert got["stig-logind-idle-session"] == [("stig_access", "pass", "StopIdleSessionSec is 600 s")]
    assert got["stig-csh-umask"] == [("stig_access", "pass", "/etc/csh.cshrc sets umask 077")]
    assert got["stig-rescue-mode-auth"] == [
        ("stig_access", "pass", "rescue.service runs -/usr/lib/systemd/systemd-sulogin-shell rescue")]
    assert ("user:admin", "pass", "admin: home /home/admin") in got["stig-interactive-home-defined"]


def test_rhel_weak_tree_fails(rhel_scans):
    got = rhel_scans["weak"]
    for cid in RHEL_CONTROLS:
        if cid != "stig-pam-pwquality-maxclassrepeat":
            assert [s for _, s, _ in got[cid]] == ["fail"], (cid, got[cid])
    # without pam_pwquality its settings do not apply; the mapping's `requires` joins host-pam-pwquality-enabled to
    # the rule, which fails, so the checklist shows it Open (test_requires_partners)
    assert got["stig-pam-pwquality-maxclassrepeat"][0][1] == "notapplicable"
    assert got["stig-ctrl-alt-del-masked"] == [("stig_access", "fail", "ctrl-alt-del.target is not masked "
                                                "(/etc/systemd/system/ctrl-alt-del.target -> "
                                                "/usr/lib/systemd/system/reboot.target)")]
    assert got["stig-default-target-multi-user"] == [
        ("stig_access", "fail", "default.target is graphical.target (required: multi-user.target)")]
    # the drop-in's empty ExecStart= resets the list: the shell it sets is what rescue.service runs
    assert got["stig-rescue-mode-auth"] == [
        ("stig_access", "fail", "rescue.service runs -/bin/sh (required: systemd-sulogin-shell rescue)")]
    assert got["stig-logind-idle-session"] == [
        ("stig_access", "fail", "StopIdleSessionSec is infinity (required: 1 to 600 s)")]
    assert got["stig-csh-umask"][0][2] == ("/etc/csh.cshrc: umask 002 (line 2) lets new directories get ur, uw, ux, "
                                           "gr, gw, gx, or, ox (allowed ur, uw, ux)")
    assert got["stig-bashrc-umask"][0][1] == "fail"  # no umask line at all
    assert got["stig-pam-faillock-dir"] == [("pam", "fail", "faillock dir = /var/run/faillock (required: "
                                             "/var/log/faillock)")]
    assert got["stig-pkg-no-xorg-server"][0][1] == "fail"
    assert got["stig-interactive-umask-not-set"] == [
        ("stig_access", "fail", "umask set in /home/admin/.bash_profile (first: /home/admin/.bash_profile:2: umask 022)")]
    assert ("user:scratch", "fail", "scratch: home /tmp is not a directory below a parent (e.g. /home/scratch)") in got[
        "stig-interactive-home-defined"]
    # the DEFAULT policy offers chacha20 too; the client back-end does not exist on this tree
    assert got["stig-crypto-policy-sshd-ciphers"][0][2].startswith(
        "opensshserver.config: Ciphers aes256-gcm@openssh.com, chacha20-poly1305@openssh.com,")
    assert got["stig-crypto-policy-ssh-ciphers"] == [
        ("stig_access", "fail", "openssh.config: Ciphers not set (or no such file) (required, in this order: "
         "aes256-gcm@openssh.com, aes256-ctr, aes128-gcm@openssh.com, aes128-ctr)")]


def test_requires_partners():
    from scanner.policy import stig

    rhel, ubuntu = stig.attachments("rhel-9"), stig.attachments("ubuntu-22.04")
    assert set(rhel["V-258113"]) == {"stig-pam-pwquality-maxclassrepeat", "host-pam-pwquality-enabled"}
    assert set(rhel["V-258055"]) == {"stig-pam-faillock-deny-root", "host-pam-faillock-enabled"}
    # one ComplianceAsCode rule, a different file or package per STIG: each STIG gets its own control
    assert set(ubuntu["V-260569"]) == {"stig-pam-unix-rounds-common-password", "stig-pam-unix-sha512-common-password"}
    assert set(rhel["V-258099"]) == {"stig-pam-unix-rounds-password-auth"}
    assert set(ubuntu["V-260573"]) == {"stig-pkg-libpam-pkcs11"} and set(rhel["V-257838"]) == {"stig-pkg-openssl-pkcs11"}
    # the Ubuntu banner rule needs the DoD text in /etc/issue.net and Banner /etc/issue.net, not any banner
    assert set(ubuntu["V-260525"]) == {"stig-banner-issue-net-dod", "stig-sshd-banner-issue-net"}


def _output(**sections: tuple[str, int]) -> Output:
    marker = "==M=="
    out = Output(marker=marker)
    for name, (text, rc) in sections.items():
        out.sections[name] = Section(name, stdout=text.replace("@", marker), rc=rc)
    return out


def test_unreadable_files_are_errors_never_values():
    out = _output(stig_access=("@ FILE links:/etc/systemd/system ok\n@ FILE /etc/systemd/system.conf unreadable\n"
                               "@ FILE /etc/libuser.conf truncated\n@ FILE /etc/security/limits.conf ok\n"
                               "* hard maxlogins 10\n", 0),
                  pam=("", 1), banners=("@ FILE /etc/issue missing\n@ FILE /etc/issue.net unreadable\n", 0))
    [res] = parse_stig_access(out)
    assert res.attrs["maxlogins"] == 10
    assert "not readable" in res.attr_errors["ctrl_alt_del_burst_action"]
    assert "larger than the fact script reads" in res.attr_errors["libuser_crypt_style"]
    assert "could not be read" in res.attr_errors["unix_rounds"]
    assert "not readable" in res.attr_errors["issue_net_text"]
    assert res.attrs["issue_text"] is None and "issue_text" not in res.attr_errors


def test_text_helpers():
    assert normalise_text("  You are\n\taccessing \n") == "You are accessing"
    assert (time_span("600"), time_span("10min"), time_span("1h 30s"), time_span("infinity"), time_span("")) == (
        600, 600, 3630, None, None)


STIG_SSHD = """\
HostKey {root}/ssh_host_ed25519_key
Ciphers aes256-ctr,aes256-gcm@openssh.com,aes128-ctr,aes128-gcm@openssh.com
MACs hmac-sha2-512,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-256-etm@openssh.com
KexAlgorithms ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256
RekeyLimit 1G 1h
X11UseLocalhost yes
PubkeyAuthentication yes
LogLevel VERBOSE
KerberosAuthentication no
Compression no
IgnoreUserKnownHosts yes
Banner /etc/issue.net
"""
WEAK_SSHD = """\
HostKey {root}/ssh_host_ed25519_key
Ciphers aes128-ctr,aes256-ctr,aes256-gcm@openssh.com,aes128-gcm@openssh.com
RekeyLimit 4G
X11UseLocalhost no
LogLevel INFO
Compression delayed
"""
SSHD_CONTROLS = ("stig-sshd-ciphers-ordered", "stig-sshd-macs-ordered", "stig-sshd-kex-ordered", "stig-sshd-rekey-limit",
                 "stig-sshd-x11-use-localhost", "stig-sshd-log-level-verbose", "stig-sshd-no-compression",
                 "stig-sshd-ignore-user-known-hosts", "stig-sshd-banner-issue-net")


def test_sshd_settings_on_a_real_sshd(ssh_fleet, tmp_path):
    """`sshd -T` on a real sshd (its /etc/ssh/sshd_config bind-mounted): the STIG configuration passes, the weak one
    fails; RekeyLimit is only known through sshd -T (1G 1h is printed `1073741824 3600`)."""
    from sshd_fixture import TEST_USER, start_sshd

    pub = " ".join(ssh_fleet.key.with_suffix(".pub").read_text().split()[:2])
    got = {}
    for name, address, config in (("stig", "127.0.0.71", STIG_SSHD), ("weak", "127.0.0.72", WEAK_SSHD)):
        host = start_sshd(f"stig-access-{name}", address, {TEST_USER: [pub], "root": [pub]},
                          "PermitRootLogin prohibit-password\n", {"/etc/ssh/sshd_config": config})
        try:
            inv = tmp_path / f"{name}.yaml"
            inv.write_text(f"apiVersion: govscan/v1\nkind: Inventory\nvars: {{key: '{ssh_fleet.key}'}}\n"
                           f"targets: ['{host.spec('root')}']\n")
            db = tmp_path / f"{name}.db"
            run = govscan("scan", "-i", str(inv), "--db", str(db), "--known-hosts", str(host.known_hosts),
                          "-c", "stig-sshd-*", "--gate", "none", "-q")
            assert run.returncode == 0, run.stderr
            rows = [json.loads(x) for x in govscan("findings", "--db", str(db), "--json").stdout.splitlines() if x]
            got[name] = {cid: v for cid, v in treefs.by_control(rows).items()}
        finally:
            host.stop()
            shutil.rmtree(host.root, ignore_errors=True)
    for cid in SSHD_CONTROLS:
        assert [s for rid, s, _ in got["stig"][cid] if rid == "sshd"] == ["pass"], (cid, got["stig"][cid])
        assert [s for rid, s, _ in got["weak"][cid] if rid == "sshd"] == ["fail"], (cid, got["weak"][cid])
    # -c stig-sshd-* also selects controls of other areas on other resources (sshd_config.d modes): left out here
    weak = {cid: next(m for rid, _, m in v if rid == "sshd") for cid, v in got["weak"].items() if cid in SSHD_CONTROLS}
    assert weak["stig-sshd-rekey-limit"] == "RekeyLimit is 4294967296 0 (required: 1073741824 3600)"
    assert weak["stig-sshd-ciphers-ordered"] == (
        "Ciphers is aes128-ctr, aes256-ctr, aes256-gcm@openssh.com, aes128-gcm@openssh.com (required, in this order: "
        "aes256-ctr, aes256-gcm@openssh.com, aes128-ctr, aes128-gcm@openssh.com)")
    assert weak["stig-sshd-no-compression"] == "Compression is yes (required: no)"  # delayed is yes since 7.4


@pytest.mark.parametrize("profile, bench, floor", [("stig-ubuntu2204", "ubuntu-22.04", (4, 64, 2, 70)),
                                                   ("stig-rhel9", "rhel-9", (15, 150, 13, 178))])
def test_policy_list_coverage_went_up(profile, bench, floor):
    """Before this content: Ubuntu 39 (2/36/1 by CAT I/II/III), RHEL 9 107 (6/89/12)."""
    run = govscan("policy", "list", "-p", profile)
    assert run.returncode == 0, run.stderr
    line = next(x for x in run.stdout.splitlines() if x.startswith(f"STIG {bench}:"))
    covered = int(line.split(" rules: ", 1)[1].split(" ", 1)[0])
    cats = [int(line.split(f"{c}: ", 1)[1].split("/", 1)[0]) for c in ("CAT I", "CAT II", "CAT III")]
    assert (*cats, covered) >= floor and all(c >= f for c, f in zip((*cats, covered), floor)), line


def test_cklb_lists_access_vulns(tmp_path):
    """-p stig-ubuntu2204 on the STIG-configured and the weak Debian trees: the checklist shows the access rules
    Not a Finding and Open as their findings say."""
    want = {"V-260469": ("not_a_finding", "open"),   # Ctrl-Alt-Del (CAT I)
            "V-260553": ("not_a_finding", "open"),   # vlock
            "V-260569": ("not_a_finding", "open"),   # pam_unix sha512 + rounds
            "V-260560": ("not_a_finding", "open")}   # ucredit (with pwquality enabled)
    for n, name in enumerate(("stig", "weak")):
        tree = DEBIAN_TREES[name]
        root = treefs.build(tree, tmp_path / name)
        db = tmp_path / f"{name}.db"
        run = govscan("scan", f"rootfs:{root}", "--db", str(db), "-q", "--gate", "none", "-p", "stig-ubuntu2204")
        assert run.returncode == 0, run.stderr
        rep = govscan("report", "--db", str(db), "-f", "cklb")
        assert rep.returncode == 0, rep.stderr
        rules = {r["group_id"]: r for r in json.loads(rep.stdout)["stigs"][0]["rules"]}
        for vuln, statuses in want.items():
            assert rules[vuln]["status"] == statuses[n], (name, vuln, rules[vuln]["status"])


GNOME_CONTROLS = ("stig-gnome-ctrl-alt-del", "stig-gnome-screensaver-lock", "stig-gnome-smartcard-removal-lock",
                  "stig-gnome-screensaver-blank", "stig-gnome-idle-delay-locked", "stig-gnome-lock-delay-locked",
                  "stig-gnome-restart-buttons-disabled", "stig-gnome-login-banner-text", "stig-gdm-no-automatic-login",
                  "stig-dconf-db-up-to-date")


def test_gnome_controls_three_ways(debian_scans):
    """GDM with the STIG's dconf settings: pass; GDM with the keys set but not locked, a keyfile newer than its
    compiled database and automatic login on: fail; without GDM: not applicable (as the STIGs say)."""
    got = debian_scans
    for cid in GNOME_CONTROLS:
        assert [s for _, s, _ in got["stig"][cid]] == ["pass"], (cid, got["stig"][cid])
        assert [s for _, s, _ in got["weak"][cid]] == ["fail"], (cid, got["weak"][cid])
        assert [s for _, s, _ in got["absent"][cid]] == ["notapplicable"], (cid, got["absent"][cid])
    assert got["weak"]["stig-gnome-ctrl-alt-del"] == [
        ("stig_gnome", "fail", "media-keys logout is [''] (locked: false; required: [''] and locked)")]
    assert got["weak"]["stig-dconf-db-up-to-date"] == [
        ("stig_gnome", "fail", "dconf databases older than their keyfiles: local")]
    assert got["weak"]["stig-gdm-no-automatic-login"] == [
        ("stig_gnome", "fail", "AutomaticLoginEnable is true (required: false)")]
    assert "GDM is not installed" in got["absent"]["stig-gnome-ctrl-alt-del"][0][2]


AUTH_CONTROLS = ("stig-pam-pkcs11-enabled", "stig-pkcs11-cert-policy-ocsp", "stig-pkcs11-cert-policy-ca",
                 "stig-pkcs11-cert-policy-crl", "stig-sssd-offline-cred-expiration", "stig-sssd-pam-cert-auth",
                 "stig-sssd-pam-service", "stig-sssd-domain-cert-verification", "stig-sssd-ldap-user-certificate",
                 "stig-sssd-ocsp-digest", "stig-sssd-certmap", "stig-sudo-no-all-all")


def test_smart_card_and_sudo_controls_both_ways(debian_scans):
    """pam_pkcs11 and SSSD configured as the STIGs require (a conf.d file overriding sssd.conf's offline expiry):
    pass; the same files weakened, or absent: fail (the STIG requires the settings, a missing file never passes)."""
    got = debian_scans
    for cid in AUTH_CONTROLS:
        assert [s for _, s, _ in got["stig"][cid]] == ["pass"], (cid, got["stig"][cid])
        assert [s for _, s, _ in got["weak"][cid]] == ["fail"], (cid, got["weak"][cid])
        if cid != "stig-sudo-no-all-all":
            assert [s for _, s, _ in got["absent"][cid]] == ["fail"], (cid, got["absent"][cid])
    assert got["weak"]["stig-pkcs11-cert-policy-ocsp"] == [
        ("stig_auth", "fail", "pam_pkcs11.conf cert_policy = signature (line 2) lacks ocsp_on")]
    assert got["weak"]["stig-sudo-no-all-all"] == [
        ("stig_auth", "fail", "/etc/sudoers.d/50-everyone:1: ALL  ALL=(ALL:ALL)  ALL")]
    assert got["stig"]["stig-sssd-offline-cred-expiration"] == [
        ("stig_auth", "pass", "offline_credentials_expiration = 1")]  # conf.d overrides sssd.conf's 2
    assert got["absent"]["stig-sssd-ocsp-digest"] == [
        ("stig_auth", "fail", "certificate_verification = unset (required: ocsp_dgst=sha512)")]
    # the sudoers rule maps an existing control too: NOPASSWD is checked by host-sudo-no-nopasswd
    assert [s for _, s, _ in got["stig"]["host-sudo-no-nopasswd"]] == ["pass"]


def test_smart_card_and_gnome_unreadable_are_errors():
    """An unreadable sssd.conf makes the SSSD attributes errors (never a value); a failed section makes every
    attribute it feeds an error; an unreadable dconf keyfile on a GDM host makes the GNOME resource an error."""
    import pytest as _pytest

    from checks.host.parsers import FactError
    from checks.host.parsers.stig_access_auth import parse_stig_auth
    from checks.host.parsers.stig_access_gnome import parse_stig_gnome

    out = _output(stig_auth=("@ FILE /etc/pam_pkcs11/pam_pkcs11.conf missing\n@ FILE /etc/sssd/sssd.conf unreadable\n"
                             "@ FILE /etc/pam.d/smartcard-auth missing\n", 0),
                  pam=("@ FILE /etc/pam.d/common-auth ok\nauth required pam_unix.so\n", 0),
                  sudo=("@ FILE /etc/sudoers ok\nroot ALL=(ALL) ALL\n", 0))
    [res] = parse_stig_auth(out)
    assert "not readable" in res.attr_errors["sssd_pam_cert_auth"]
    assert res.attrs["pkcs11_conf_exists"] is False and res.attrs["pkcs11_cert_policies"] == []
    assert res.attrs["pkcs11_in_common_auth"] is False and res.attrs["sudo_all_all"] == []
    [res] = parse_stig_auth(_output(stig_auth=("", 1), pam=("", 1), sudo=("", 1)))
    assert set(res.attr_errors) >= {"sssd_services", "pkcs11_cert_policies", "smartcard_auth_allow_missing_name",
                                    "pkcs11_in_common_auth", "sudo_all_all"} and not res.attrs
    gdm = _output(packages=("GS_MANAGER=dpkg\ngdm3\t43.0-3\tii \n", 0),
                  stig_gnome=("@ FILE /etc/dconf/profile/user ok\nsystem-db:local\n"
                              "@ FILE /etc/dconf/db/local.d/00-stig unreadable\n", 0))
    with _pytest.raises(FactError, match="00-stig not readable"):
        parse_stig_gnome(gdm)
