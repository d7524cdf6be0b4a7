"""CIS Debian 12 v1.1.0 sections 1-3 controls (boot loader, AppArmor, core dumps, apport, GDM, time
synchronisation, at, mount points, wireless) both ways.

Files come from a tree through the real fact script (GS_ROOT, tests/host/cis_a_support.py); runtime state the
test machine does not have (packages, unit states, /proc/self/mounts, the kernel's AppArmor profiles, stat of
/etc/at.allow) is recorded output in the documented formats.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cis_a_support import build_tree, evaluate, netns_usable, packages, replace, run, statuses, units

from checks.host.script import Output

pytestmark = pytest.mark.skipif(netns_usable() is not None, reason=str(netns_usable()))

GRUB_GOOD = """\
set superusers="root"
password_pbkdf2 root grub.pbkdf2.sha512.10000.ABCDEF.123456
menuentry 'Debian GNU/Linux' {
\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1234 ro quiet apparmor=1 security=apparmor
\tinitrd\t/boot/initrd.img-6.1.0-18-amd64
}
"""
GRUB_BAD = """\
menuentry 'Debian GNU/Linux' {
\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1234 ro quiet
}
menuentry 'Debian GNU/Linux (recovery)' {
\tlinux\t/boot/vmlinuz-6.1.0-18-amd64 root=UUID=1234 ro single apparmor=1 security=apparmor
}
"""


def facts(tmp_path: Path, types: list[str], tree: dict[str, str], pkgs: tuple[str, ...] = (),
          enabled: dict[str, str] | None = None, active: dict[str, str] | None = None) -> Output:
    out = run(types, build_tree(tmp_path / "tree", tree))
    replace(out, "packages", packages(*pkgs))
    replace(out, "units", units(out.marker, enabled or {"ssh.service": "enabled"}, active))
    return out


def test_grub_password_and_apparmor_on_every_kernel_line(tmp_path):
    ids = ["host-grub-password", "host-apparmor-bootloader"]
    good = evaluate(facts(tmp_path / "g", ["host.boot"], {"/boot/grub/grub.cfg": GRUB_GOOD}), ids)
    assert good == {"host-grub-password": [("pass", "GRUB superusers root with a pbkdf2 password")],
                    "host-apparmor-bootloader": [("pass", "every linux line of /boot/grub/grub.cfg (1) has apparmor=1 "
                                                          "security=apparmor")]}
    bad = evaluate(facts(tmp_path / "b", ["host.boot"], {"/boot/grub/grub.cfg": GRUB_BAD}), ids)
    assert bad["host-grub-password"] == [("fail", "/boot/grub/grub.cfg: superusers none; passwords none (required: set "
                                                  "superusers and a password_pbkdf2 entry; grub.cfg exists: true)")]
    assert bad["host-apparmor-bootloader"] == [("fail", "/boot/grub/grub.cfg: 2 linux lines; without apparmor=1 "
                                                        "security=apparmor: /boot/grub/grub.cfg:2 (grub.cfg exists: true)")]
    # no grub.cfg proves neither: fail, never not applicable
    none = evaluate(facts(tmp_path / "n", ["host.boot"], {"/etc/hostname": "x\n"}), ids)
    assert statuses(none) == {"host-grub-password": ["fail"], "host-apparmor-bootloader": ["fail"]}


def test_systemd_coredump_and_apport(tmp_path):
    ids = ["host-coredump-systemd", "host-apport-disabled"]
    tree = {"/etc/systemd/coredump.conf": "[Coredump]\n#Storage=external\n",
            "/etc/systemd/coredump.conf.d/60-cis.conf": "[Coredump]\nStorage=none\nProcessSizeMax=0\n",
            "/etc/default/apport": "enabled=0\n"}
    good = evaluate(facts(tmp_path / "g", ["host.coredump"], tree, ("systemd-coredump", "apport"),
                          {"apport.service": "enabled"}, {"apport.service": "inactive"}), ids)
    assert good == {"host-coredump-systemd": [("pass", "systemd-coredump: Storage=none, ProcessSizeMax=0")],
                    "host-apport-disabled": [("pass", "apport is not installed, or disabled and not running")]}
    bad_tree = {"/etc/systemd/coredump.conf": "[Coredump]\n#Storage=external\n", "/etc/default/apport": "enabled=1\n"}
    bad = evaluate(facts(tmp_path / "b", ["host.coredump"], bad_tree, ("systemd-coredump", "apport"),
                         {"apport.service": "enabled"}, {"apport.service": "active"}), ids)
    assert bad == {"host-coredump-systemd": [("fail", "systemd-coredump: Storage=external, ProcessSizeMax=2G (required: "
                                                      "Storage=none, ProcessSizeMax=0)")],
                   "host-apport-disabled": [("fail", "apport is installed: enabled true (/etc/default/apport), active true")]}
    absent = evaluate(facts(tmp_path / "a", ["host.coredump"], {"/etc/hostname": "x\n"}), ids)
    assert absent == {"host-coredump-systemd": [("notapplicable", "coredump: not applicable (systemd-coredump is not "
                                                                  "installed)")],
                      "host-apport-disabled": [("pass", "apport is not installed, or disabled and not running")]}


CHRONY = "C"
TS = ["host-time-single-daemon", "host-chrony-sources", "host-chrony-user", "host-chrony-enabled",
      "host-timesyncd-servers", "host-timesyncd-enabled"]


def test_chrony_in_use_configured_and_running(tmp_path):
    tree = {"/etc/chrony/chrony.conf": "confdir /etc/chrony/conf.d\nsourcedir /etc/chrony/sources.d\n",
            "/etc/chrony/sources.d/site.sources": "server ntp1.agency.example iburst\n",
            "/etc/default/chrony": 'DAEMON_OPTS="-F 1"\n'}
    got = evaluate(facts(tmp_path, ["host.timesync"], tree, ("chrony",), {"chrony.service": "enabled"},
                         {"chrony.service": "active"}), TS)
    assert statuses(got) == {"host-time-single-daemon": ["pass"], "host-chrony-sources": ["pass"],
                             "host-chrony-user": ["notchecked"], "host-chrony-enabled": ["pass"],
                             "host-timesyncd-servers": ["notapplicable"], "host-timesyncd-enabled": ["notapplicable"]}
    assert got["host-chrony-sources"][0][1] == "chrony sources: server ntp1.agency.example"
    # which user chronyd runs as is runtime state: not checked on a file tree, never passed
    assert got["host-chrony-user"][0][1] == ("timesync: not checked: the users chronyd runs as are runtime state (ps): "
                                             "not read (a file tree, or no ps on the host)")
    assert got["host-timesyncd-servers"][0][1] == ("timesync: not applicable (systemd-timesyncd is not the time daemon "
                                                   "in use: chrony)")


def test_chrony_without_sources_running_as_root_beside_timesyncd_fails(tmp_path):
    tree = {"/etc/chrony/chrony.conf": "user root\ndriftfile /var/lib/chrony/chrony.drift\n",
            "/etc/systemd/timesyncd.conf": "[Time]\n#NTP=\n"}
    got = evaluate(facts(tmp_path, ["host.timesync"], tree, ("chrony", "systemd-timesyncd"),
                         {"chrony.service": "disabled", "systemd-timesyncd.service": "enabled"},
                         {"chrony.service": "active", "systemd-timesyncd.service": "active"}), TS)
    assert got["host-time-single-daemon"] == [("fail", "time daemons in use (enabled or running): chrony, "
                                                       "systemd-timesyncd (exactly one required)")]
    assert got["host-chrony-sources"] == [("fail", "no server or pool line in chrony.conf, conf.d or sources.d")]
    assert got["host-chrony-enabled"] == [("fail", "chrony.service: disabled, active true")]
    assert got["host-timesyncd-servers"] == [("fail", "timesyncd.conf and its drop-ins set no NTP= or FallbackNTP= server")]
    assert statuses(got)["host-timesyncd-enabled"] == ["pass"]


def test_timesyncd_servers_from_a_drop_in(tmp_path):
    tree = {"/etc/systemd/timesyncd.conf": "[Time]\n#NTP=\n",
            "/etc/systemd/timesyncd.conf.d/60-site.conf": "[Time]\nNTP=ntp1.agency.example ntp2.agency.example\n"}
    got = evaluate(facts(tmp_path, ["host.timesync"], tree, ("systemd-timesyncd",),
                         {"systemd-timesyncd.service": "enabled"}), ["host-timesyncd-servers", "host-timesyncd-enabled"])
    assert got["host-timesyncd-servers"] == [("pass", "systemd-timesyncd servers: ntp1.agency.example, "
                                                      "ntp2.agency.example")]
    # systemd does not run (no list-units): whether it is running is unknown, an error, never a pass
    assert got["host-timesyncd-enabled"][0][0] == "error"


GDM = ["host-pkg-no-gdm", "host-gdm-login-banner", "host-gdm-disable-user-list", "host-gdm-screen-lock",
       "host-gdm-screen-lock-locked", "host-gdm-automount-disabled", "host-gdm-automount-locked", "host-gdm-autorun-never",
       "host-gdm-autorun-locked", "host-gdm-no-xdmcp"]


def test_gdm_settings_both_ways_and_not_applicable_without_gdm(tmp_path):
    tree = {"/etc/dconf/db/gdm.d/01-banner": "[org/gnome/login-screen]\nbanner-message-enable=true\n"
                                             "banner-message-text='Authorized uses only'\ndisable-user-list=true\n",
            "/etc/dconf/db/local.d/00-screensaver": "[org/gnome/desktop/session]\nidle-delay=uint32 900\n"
                                                    "[org/gnome/desktop/screensaver]\nlock-delay=uint32 5\n",
            "/etc/dconf/db/local.d/00-media": "[org/gnome/desktop/media-handling]\nautomount=false\n"
                                              "automount-open=false\nautorun-never=true\n",
            "/etc/dconf/db/local.d/locks/00-locks": "/org/gnome/desktop/session/idle-delay\n"
                                                    "/org/gnome/desktop/screensaver/lock-delay\n"
                                                    "/org/gnome/desktop/media-handling/automount\n"
                                                    "/org/gnome/desktop/media-handling/automount-open\n"
                                                    "/org/gnome/desktop/media-handling/autorun-never\n",
            "/etc/gdm3/custom.conf": "[daemon]\n[xdmcp]\n"}
    good = evaluate(facts(tmp_path / "g", ["host.gdm"], tree, ("gdm3",)), GDM)
    assert statuses(good) == {c: ["fail"] if c == "host-pkg-no-gdm" else ["pass"] for c in GDM}, good
    assert good["host-pkg-no-gdm"][0][1] == "package gdm3 is installed"
    bad = evaluate(facts(tmp_path / "b", ["host.gdm"], {"/etc/gdm3/custom.conf": "[xdmcp]\nEnable=true\n"}, ("gdm3",)), GDM)
    assert statuses(bad) == {c: ["fail"] for c in GDM}, bad
    assert bad["host-gdm-screen-lock"] == [("fail", "idle-delay=unset, lock-delay=unset (required: 1-900 s, lock-delay "
                                                    "at most 5 s)")]
    assert bad["host-gdm-no-xdmcp"] == [("fail", "/etc/gdm3/custom.conf enables XDMCP ([xdmcp] Enable=true)")]
    none = evaluate(facts(tmp_path / "n", ["host.gdm"], {"/etc/hostname": "x\n"}), GDM)
    assert none["host-pkg-no-gdm"] == [("pass", "GDM is not installed (no gdm3 or gdm package)")]
    assert none["host-gdm-login-banner"] == [("notapplicable", "gdm: not applicable (GDM is not installed (no gdm3 or "
                                                               "gdm package))")]


def test_apparmor_profiles_from_the_kernel_list(tmp_path):
    ids = ["host-apparmor-installed", "host-apparmor-profiles-enforce-or-complain", "host-apparmor-profiles-enforce"]
    out = facts(tmp_path, ["host.apparmor"], {"/etc/hostname": "x\n"}, ("apparmor", "apparmor-utils"))
    m = out.marker
    replace(out, "apparmor", f"{m} FILE live:enabled ok\nY\n\n{m} FILE live:profiles ok\n"
                             "/usr/sbin/chronyd (enforce)\nnvidia_modprobe (complain)\nlsb_release (enforce)\n\n")
    got = evaluate(out, ids)
    assert got["host-apparmor-installed"] == [("pass", "apparmor and apparmor-utils are installed")]
    assert got["host-apparmor-profiles-enforce-or-complain"] == [
        ("pass", "3 profiles loaded, all in enforce or complain mode")]
    assert got["host-apparmor-profiles-enforce"] == [("fail", "AppArmor enabled: true; 3 profiles loaded; not "
                                                              "enforcing: nvidia_modprobe (complain)")]
    replace(out, "apparmor", f"{m} FILE live:enabled ok\nY\n\n{m} FILE live:profiles ok\n/usr/bin/man (unconfined)\n\n")
    got = evaluate(out, ids)
    assert got["host-apparmor-profiles-enforce-or-complain"] == [
        ("fail", "AppArmor enabled: true; 1 profiles loaded; in another mode: /usr/bin/man (unconfined)")]
    replace(out, "apparmor", f"{m} FILE live:enabled ok\nY\n\n{m} FILE live:profiles unreadable\n")
    got = evaluate(out, ids)
    assert got["host-apparmor-profiles-enforce"][0][0] == "error"


def test_mount_points_home_var_log_audit(tmp_path):
    ids = ["host-mount-home-separate", "host-mount-home-nodev", "host-mount-home-nosuid", "host-mount-var-log-noexec",
           "host-mount-var-log-audit-separate", "host-mount-var-nosuid"]
    out = facts(tmp_path, ["host.mounts"], {"/etc/hostname": "x\n"})
    replace(out, "mounts", "/dev/sda1 / ext4 rw,relatime 0 0\n/dev/sda2 /home ext4 rw,nodev,relatime 0 0\n"
                           "/dev/sda3 /var/log ext4 rw,nodev,nosuid,noexec 0 0\n/dev/sda4 /var ext4 rw 0 0\n")
    got = evaluate(out, ids)
    assert got == {
        "host-mount-home-separate": [("pass", "/home is mounted from /dev/sda2 (ext4)")],
        "host-mount-home-nodev": [("pass", "/home is mounted with nodev")],
        "host-mount-home-nosuid": [("fail", "/home is mounted without nosuid (options: rw, nodev, relatime)")],
        "host-mount-var-log-noexec": [("pass", "/var/log is mounted with noexec")],
        "host-mount-var-log-audit-separate": [("fail", "/var/log/audit is not a separate filesystem")],
        "host-mount-var-nosuid": [("fail", "/var is mounted without nosuid (options: rw)")],
    }


def test_at_allow_when_at_is_installed(tmp_path):
    ids = ["host-file-at-allow", "host-file-at-deny"]
    out = facts(tmp_path, ["host.files"], {"/etc/hostname": "x\n"}, ("at",))
    replace(out, "files", "/etc/at.allow|640|root|daemon|0|1|regular file\n/etc/at.deny|missing\n")
    got = evaluate(out, ids)
    assert got == {"host-file-at-allow": [("pass", "/etc/at.allow is 0640 root:daemon")],
                   "host-file-at-deny": [("notapplicable", "/etc/at.deny: not applicable (at is not installed, or the "
                                                           "file does not exist)")]}
    replace(out, "files", "/etc/at.allow|missing\n/etc/at.deny|644|root|root|0|0|regular file\n")
    got = evaluate(out, ids)
    assert got["host-file-at-allow"] == [("fail", "/etc/at.allow: exists false, mode none none:none (required: exists, "
                                                  "bits within ur, uw, gr, owner root, group root, daemon)")]
    assert got["host-file-at-deny"] == [("fail", "/etc/at.deny is 0644 root:root (allowed bits ur, uw, gr; owner root; "
                                                 "group root, daemon)")]
    replace(out, "packages", packages())
    got = evaluate(out, ids)
    assert got["host-file-at-allow"] == [("notapplicable", "/etc/at.allow: not applicable (at is not installed)")]


def test_apt_signature_checking(tmp_path):
    from cis_a_support import profile

    control = profile().controls.get("host-apt-signed-packages")
    assert control is None  # no CIS number: 1.2.1.x are manual, so the CIS profiles report them not assessed
    from golden_support import TARGET

    from checks.host.provider import HostProvider
    from scanner.evaluate import evaluate_control
    from scanner.policy.loader import load

    ctl = load([Path(__file__).resolve().parents[2] / "policies/controls/host/apt.yaml"], builtin=False).controls[
        "host-apt-signed-packages"]

    def check(tree: dict[str, str]) -> list[tuple[str, str]]:
        out = run(["host.apt"], build_tree(tmp_path / str(len(list(tmp_path.iterdir()))), tree))
        coll = HostProvider.parse(out, ["host.os", "host.apt"])
        return [(f.status.value, f.message) for f in evaluate_control(ctl, TARGET, coll)]

    good = {"/etc/apt/sources.list.d/debian.sources": "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n"
                                                      "Components: main\nSigned-By: /usr/share/keyrings/debian.gpg\n",
            "/etc/apt/apt.conf.d/70debconf": 'DPkg::Pre-Install-Pkgs {"/usr/sbin/dpkg-preconfigure --apt || true";};\n'}
    assert check(good) == [("pass", "no source is trusted without a signature and no option accepts unauthenticated "
                                    "packages")]
    bad = {"/etc/apt/sources.list": "deb [arch=amd64 trusted=yes] http://repo.example/debian bookworm main\n",
           "/etc/apt/apt.conf.d/99insecure": 'APT::Get::AllowUnauthenticated "true";\n'}
    assert check(bad) == [("fail", "APT accepts unsigned packages: sources /etc/apt/sources.list:1: deb [arch=amd64 "
                                   "trusted=yes] http://repo.example/debian bookworm main; options "
                                   '/etc/apt/apt.conf.d/99insecure:1: APT::Get::AllowUnauthenticated "true";')]
