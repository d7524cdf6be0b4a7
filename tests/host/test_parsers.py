"""Parsers on real fact-script output captured on Debian 12 (root and non-root) and a written RHEL 9 sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.host.parsers import FactError, accounts, audit, files, kernel, net, pam, sshd, system
from checks.host.provider import HostProvider
from checks.host.script import Output, parse_output

DATA = Path(__file__).parent / "data"
MARKER = "==GOVSCAN:test=="


def load(name: str) -> Output:
    return parse_output((DATA / name).read_text(), MARKER)


@pytest.fixture(scope="module")
def root() -> Output:
    return load("debian12-root.out")


@pytest.fixture(scope="module")
def nonroot() -> Output:
    return load("debian12-nonroot.out")


@pytest.fixture(scope="module")
def rhel() -> Output:
    return load("rhel9-sample.out")


def by_id(resources):
    return {r.id: r for r in resources}


def test_os_release_debian_and_rhel(root, rhel):
    deb = system.parse_os(root)[0].attrs
    assert (deb["id"], deb["family"], deb["version_id"], deb["is_root"]) == ("debian", "debian", "12", True)
    rh = system.parse_os(rhel)[0].attrs
    assert (rh["id"], rh["family"], rh["id_like"], rh["version_id"]) == ("rhel", "rhel", ["fedora"], "9.4")


def test_sshd_effective_config(root):
    a = sshd.parse_sshd(root)[0].attrs
    assert a["source"] == "sshd -T"
    assert a["installed"] is True
    assert a["permitrootlogin"] == "without-password"
    assert a["maxauthtries"] == 6 and a["clientaliveinterval"] == 0
    assert a["maxstartups"] == "10:30:100" and (a["maxstartups_start"], a["maxstartups_full"]) == (10, 100)
    assert "umac-64@openssh.com" in a["macs"] and a["ciphers"][0] == "chacha20-poly1305@openssh.com"
    assert a["hostkey"] == ["/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key"]
    assert a["port"] == [22] and a["acceptenv"] == ["LANG", "LC_*"]


def test_sshd_as_non_root_reads_the_files_and_says_so(nonroot):
    [res] = sshd.parse_sshd(nonroot)
    a = res.attrs
    assert (a["source"], a["sshd_t_error"]) == (
        "config-files", "sshd -T failed (exit 1): sshd: no hostkeys available -- exiting.")
    assert a["permitrootlogin"] == "without-password" and a["usepam"] == "yes" and a["x11forwarding"] == "yes"
    assert a["acceptenv"] == ["LANG", "LC_*"] and "umac-64@openssh.com" in a["macs"]
    assert res.sources["usepam"] == ({"path": "/etc/ssh/sshd_config", "line": 85, "source": "config-files"},)
    # what only sshd -T knows is an error for the controls reading it, never a guess
    assert res.attr_errors["subsystem"].startswith("set at /etc/ssh/sshd_config:115; govscan reads its value only "
                                                   "through sshd -T")
    assert "hostkey" in res.attr_errors and "hostkey" not in a


def test_dpkg_packages(root):
    a = system.parse_packages(root)[0].attrs
    assert a["manager"] == "dpkg"
    assert a["installed"]["openssh-server"].startswith("1:9.2p1")
    assert a["installed"]["avahi-daemon"] == "0.8-10+deb12u1"
    assert a["count"] == len(a["packages"]) == len(a["names"]) > 500


def test_rpm_packages(rhel):
    a = system.parse_packages(rhel)[0].attrs
    assert a["manager"] == "rpm"
    assert a["installed"] == {"openssh-server": "8.7p1-38.el9", "audit": "3.1.2-2.el9", "libpwquality": "1.4.4-8.el9",
                              "chrony": "4.5-1.el9", "telnet-server": "0.17-85.el9", "gpg-pubkey": "fd431d51-4ae0493b"}


def test_services_without_running_systemd_keep_enablement(root):
    a = system.parse_services(root)[0].attrs
    assert a["systemd_running"] is False and a["active"] is None
    assert "avahi-daemon.service" in a["enabled"]
    assert "cryptdisks.service" in a["masked"]
    assert not {"cron.service", "chrony.service"} & set(a["enabled"])


def test_sysctl_nested_map_and_missing(root):
    a = kernel.parse_sysctl(root)[0].attrs
    assert a["net"]["ipv4"]["ip_forward"] == 0
    assert a["net"]["ipv4"]["conf"]["default"]["accept_source_route"] == 1
    assert a["kernel"]["randomize_va_space"] == 2 and a["kernel"]["kptr_restrict"] == 0
    assert "kernel.yama.ptrace_scope" in a["missing"] and "yama" not in a["kernel"]


def test_stat_files(root):
    r = by_id(files.parse_files(root))
    assert r["/etc/shadow"].attrs == {"path": "/etc/shadow", "exists": True, "type": "file", "mode": "0640",
                                      "perms": ["ur", "uw", "gr"], "owner": "root", "group": "shadow", "uid": 0, "gid": 42}
    assert r["/etc/sudoers"].attrs["mode"] == "0440" and r["/etc/cron.d"].attrs["type"] == "directory"
    assert r["/etc/crontab"].attrs["exists"] is False
    # the glob expanded on the host into one resource per key
    assert {"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ed25519_key.pub"} <= set(r)
    assert not any("*" in p for p in r)


def test_mounts_with_absent_tmp(root):
    r = by_id(kernel.parse_mounts(root))
    assert r["mount:/tmp"].attrs["mounted"] is False
    shm = r["mount:/dev/shm"].attrs
    assert (shm["mounted"], shm["fstype"], shm["nodev"], shm["noexec"]) == (True, "tmpfs", False, False)


def test_login_defs(root):
    a = accounts.parse_login_defs(root)[0].attrs
    assert (a["pass_max_days"], a["pass_min_days"], a["pass_warn_age"]) == (99999, 0, 7)
    assert a["umask"] == "022" and a["encrypt_method"] == "SHA512" and a["uid_min"] == 1000
    assert a["umask_allows"] == ["ur", "uw", "ux", "gr", "gx", "or", "ox"]
    assert "useradd_inactive" not in a  # Debian's /etc/default/useradd leaves INACTIVE commented out


def test_passwd_and_shadow(root):
    users = by_id(accounts.parse_users(root))
    assert users["user:root"].attrs["uid"] == 0 and users["user:root"].attrs["interactive_shell"] is True
    assert users["user:daemon"].attrs["system"] is True and users["user:daemon"].attrs["interactive_shell"] is False
    assert users["user:nobody"].attrs["system"] is True
    assert users["user:cloudsdk"].attrs["system"] is False
    assert users["user:sync"].attrs["primary_group"] == "nogroup"
    shadow = by_id(accounts.parse_shadow(root))
    assert shadow["shadow:root"].attrs["password_status"] == "locked"
    assert shadow["shadow:root"].attrs["max_days"] == 99999
    assert shadow["shadow:cloudsdk"].attrs["max_days"] is None
    assert shadow["shadow:root"].attrs["days_since_change"] >= 0


def test_non_root_keeps_passwd_but_shadow_is_an_error(nonroot):
    users = by_id(accounts.parse_users(nonroot))
    assert users["user:root"].attrs["uid"] == 0
    with pytest.raises(FactError, match=r"^/etc/shadow not readable: run as root or with sudo$"):
        accounts.parse_shadow(nonroot)
    coll = HostProvider.parse(nonroot, ["host.users", "host.shadow", "host.sshd"])
    assert [(e.resource_type, e.message) for e in coll.errors][:1] == [
        ("host.shadow", "/etc/shadow not readable: run as root or with sudo")]
    assert {e.resource_type for e in coll.errors} == {"host.shadow"}
    assert coll.facts["is_root"] is False and len(coll.resources["host.users"]) > 20


def test_pam_debian_defaults(root):
    a = pam.parse_pam(root)[0].attrs
    assert a["layout"] == "debian"
    assert a["unix_hashing"] == "yescrypt" and a["nullok"] is True
    assert a["pwquality_enabled"] is False and a["faillock_enabled"] is False
    assert a["pwhistory_remember"] is None
    assert a["auth"][0]["control"] == "[success=1 default=ignore]" and a["auth"][0]["module"] == "pam_unix.so"


def test_pam_rhel_system_auth_args_override_conf(rhel):
    a = pam.parse_pam(rhel)[0].attrs
    assert a["layout"] == "rhel" and a["unix_hashing"] == "sha512" and a["nullok"] is False
    assert a["pwquality_enabled"] and a["faillock_enabled"]
    # password-auth's module argument minlen=15 overrides pwquality.conf's 14; deny=3 overrides faillock.conf.
    assert a["pwquality"]["minlen"] == 15 and a["pwquality"]["minclass"] == 4
    assert a["faillock"] == {"deny": 3, "unlock_time": 900, "even_deny_root": True, "silent": True}
    assert a["pwhistory_remember"] == 24


def test_auditd_absent_and_kernel_modules(root):
    a = audit.parse_auditd(root)[0].attrs
    assert a["installed"] is False and a["cmdline_audit"] is None
    m = kernel.parse_kernel_modules(root)[0].attrs
    assert m["modules_supported"] is False and m["loaded"] == []
    assert m["modules"]["usb_storage"]["loadable"] is False


def test_kernel_modules_loadable_disabled_and_builtin():
    M = MARKER
    text = (f"{M} BEGIN modules\n{M} FILE /proc/modules ok\nsctp 409600 4 - Live 0x0\nnls_utf8 16384 1 - Live 0x0\n"
            f"{M} FILE /etc/modprobe.d/cis.conf ok\ninstall cramfs /bin/false\nblacklist cramfs\ninstall udf /bin/true\n"
            f"{M} FILE /lib/modules/6.1.0-18-amd64 ok\nfile cramfs /lib/modules/6.1.0-18-amd64/kernel/fs/cramfs/cramfs.ko\n"
            f"file udf /lib/modules/x/udf.ko.xz\nfile dccp /lib/modules/x/dccp.ko.xz\nfile sctp /lib/modules/x/sctp.ko\nbuiltin squashfs\n"
            f"\n{M} STDERR modules\n\n{M} END modules rc=0\n")
    mods = kernel.parse_kernel_modules(parse_output(text, M))[0].attrs["modules"]
    assert mods["cramfs"] == {"loaded": False, "available": True, "builtin": False, "install_command": "/bin/false",
                              "disabled": True, "blacklisted": True, "loadable": False}
    assert mods["udf"]["loadable"] is False and mods["udf"]["blacklisted"] is False
    assert mods["dccp"]["loadable"] is True
    assert mods["sctp"]["loaded"] is True and mods["squashfs"]["loadable"] is True  # built in: cannot be blocked


def test_listening_ss_and_proc_fallback(root):
    socks = by_id(net.parse_listening(root))
    assert socks["tcp:0.0.0.0:2024"].attrs["loopback_only"] is False
    M = MARKER
    text = (f"{M} BEGIN listening\nGS_TOOL=proc\n{M} FILE /proc/net/tcp ok\n"
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            "   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
            "   1: 00000000:0017 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
            "   2: 0100007F:A1B2 0100007F:0CEA 01 00000000:00000000 00:00000000 00000000     0        0 3 1\n"
            f"{M} FILE /proc/net/tcp6 missing\n\n{M} STDERR listening\n\n{M} END listening rc=0\n")
    socks = by_id(net.parse_listening(parse_output(text, M)))
    assert set(socks) == {"tcp:127.0.0.1:3306", "tcp:0.0.0.0:23"}
    assert socks["tcp:127.0.0.1:3306"].attrs["loopback_only"] is True


def test_banners_exact_content(root):
    b = by_id(files.parse_banners(root))
    assert b["banner:/etc/issue.net"].attrs["content"] == "Debian GNU/Linux 12\n"


def test_truncated_output_is_an_error_not_a_pass(root):
    text = (DATA / "debian12-root.out").read_text()
    cut = text[: text.index(f"{MARKER} BEGIN sysctl") + 200]
    coll = HostProvider.parse(parse_output(cut, MARKER), ["host.sysctl", "host.files"])
    msgs = {e.resource_type: e.message for e in coll.errors}
    assert msgs["host.sysctl"] == ("kernel parameters (/proc/sys) could not be read: "
                                   "sysctl: output incomplete (the fact script was interrupted)")
    assert msgs["host.files"].startswith("file metadata (stat) could not be read: files: output incomplete")
    assert "host.sysctl" not in coll.resources


def test_forged_frame_in_file_content_is_ignored():
    M = MARKER
    text = (f"{M} BEGIN banners\n{M} FILE /etc/motd ok\n==GOVSCAN:other== END banners rc=0\nhello\n\n\n"
            f"{M} STDERR banners\n\n{M} END banners rc=0\n")
    b = files.parse_banners(parse_output(text, M))
    assert b[0].attrs["content"] == "==GOVSCAN:other== END banners rc=0\nhello\n"


def test_empty_shell_field_is_bin_sh_and_fails_system_no_shell(root):
    """passwd(5): an empty shell field means /bin/sh, so a system account with one can log in."""
    from golden_support import TARGET, baseline

    from scanner.evaluate import evaluate_control

    text = (DATA / "debian12-root.out").read_text().replace(
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nlegacy:x:998:998:legacy app:/opt/legacy:\n")
    out = parse_output(text, MARKER)
    u = by_id(accounts.parse_users(out))["user:legacy"].attrs
    assert (u["shell"], u["effective_shell"], u["interactive_shell"], u["system"]) == ("", "/bin/sh", True, True)
    sel = baseline()
    cid = "host-user-system-no-shell"
    got = {f.resource_id: (f.status.value, f.message)
           for f in evaluate_control(sel.controls[cid], TARGET, HostProvider.parse(out, ["host.users"]), sel.inputs.get(cid))}
    assert got["user:legacy"] == ("fail", "legacy (UID 998) has login shell /bin/sh")
    assert got["user:daemon"] == ("pass", "daemon: shell /usr/sbin/nologin")


def test_prohibited_service_disabled_but_running_fails():
    """A unit whose file is disabled but which runs now (started by hand) fails host-svc-no-*."""
    from golden_support import TARGET, baseline

    from scanner.evaluate import evaluate_control

    M = MARKER
    text = (f"{M} BEGIN units\n{M} FILE unit-files ok\n"
            "rsync.service                          disabled enabled\n"
            "snmpd.service                          masked   enabled\n"
            "chrony.service                         enabled  enabled\n"
            "avahi-daemon.service                   disabled enabled\n"
            f"{M} FILE units ok\n"
            "chrony.service loaded active running chrony, an NTP client/server\n"
            "rsync.service loaded active running fast remote file copy program daemon\n"
            "snmpd.service masked inactive dead snmpd.service\n"
            "avahi-daemon.service loaded inactive dead Avahi mDNS/DNS-SD Stack\n"
            f"\n{M} STDERR units\n\n{M} END units rc=0\n")
    coll = HostProvider.parse(parse_output(text, M), ["host.services"])
    a = coll.resources["host.services"][0].attrs
    assert a["enabled"] == ["chrony.service"] and a["enabled_any"] == ["chrony.service"]
    assert a["enabled_or_running"] == ["chrony.service", "rsync.service"]
    sel = baseline()

    def run(cid):
        return [(f.status.value, f.message) for f in evaluate_control(sel.controls[cid], TARGET, coll, sel.inputs.get(cid))]

    assert run("host-svc-no-rsync-daemon") == [("fail", "rsync.service is not allowed: unit file disabled, active")]
    assert run("host-svc-no-snmp") == [("pass", "none of snmpd.service is enabled or running")]
    assert run("host-svc-no-avahi") == [("pass", "none of avahi-daemon.service, avahi-daemon.socket is enabled or running")]
