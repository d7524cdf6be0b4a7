"""Real nmap against services these tests start on 127.0.0.1 (never anything else)."""

from __future__ import annotations

import os

import pytest
from nethelp import findings, govscan, statuses, table

from checks.network import resources as res
from checks.network.provider import NetworkProvider
from checks.network.runner import ScanError, ScanOptions
from scanner.errors import UsageError
from scanner.provider import CollectContext


@pytest.fixture(scope="session")
def live(services, tmp_path_factory):
    """One `govscan scan` of the loopback services through an inventory zone; its findings."""
    d = tmp_path_factory.mktemp("live")
    ports = ",".join(map(str, services.all()))
    approved = [services.strong_tls, services.redirect_http, services.strong_ssh, services.weak_ssh,
                services.weak_tls, services.plain_http, services.ftp]
    inv = d / "inventory.yaml"
    inv.write_text(f"""apiVersion: govscan/v1
kind: Inventory
groups:
  dmz:
    vars: {{approved_ports: {approved}}}
    targets:
      - {{target: "nmap://127.0.0.1", ports: "{ports}"}}
""")
    db = d / "live.db"
    rc = govscan("scan", "-i", str(inv), "-p", "network-baseline", "--db", str(db), "-q")
    return rc, findings(db)


def udp_hint(port: int) -> str:
    """What a notchecked UDP control tells root (who can scan UDP) and everyone else."""
    if os.geteuid() == 0:
        return f"set --input udp_ports={port} to scan it (nmap -sU)"
    return f"set --input udp_ports={port} and run as root (a UDP scan, nmap -sU, needs root)"


def test_live_scan_exact_failures(services, live):
    rc, rows = live
    s = services
    scanned = res.format_ranges(res.parse_ranges(",".join(map(str, s.all()))))
    assert rc == 1
    assert {r["target_id"] for r in rows} == {"nmap://127.0.0.1"}
    assert table(rows) == {
        ("net-no-telnet", "127.0.0.1"): ("fail", f"127.0.0.1: telnet open on {s.telnet}/tcp (Linux telnetd)"),
        ("net-no-cleartext-ftp", "127.0.0.1"): ("fail", f"127.0.0.1: clear-text FTP open on {s.ftp}/tcp (vsftpd)"),
        ("net-only-approved-ports", "127.0.0.1"): (
            "fail", f"127.0.0.1: open but not approved for zone dmz: {s.telnet}/tcp (telnet) "
                    f"(approved: {', '.join(map(str, [s.strong_tls, s.redirect_http, s.strong_ssh, s.weak_ssh, s.weak_tls, s.plain_http, s.ftp]))})"),
        ("net-tls-min-version", f"127.0.0.1:{s.weak_tls}/tcp"): (
            "fail", f"127.0.0.1:{s.weak_tls}: offers TLS versions TLSv1.0, TLSv1.1; allowed: TLSv1.2, TLSv1.3"),
        ("net-tls-cipher-grade", f"127.0.0.1:{s.weak_tls}/tcp"): (
            "fail", f"127.0.0.1:{s.weak_tls}: cipher TLS_RSA_WITH_NULL_SHA (TLSv1.0) graded F; allowed grades A"),
        ("net-tls-cert-not-self-signed", f"127.0.0.1:{s.weak_tls}/tcp"): (
            "fail", f"127.0.0.1:{s.weak_tls}: certificate commonName=weak.govscan.test/organizationName=govscan "
                    "tests is self-signed"),
        ("net-tls-cert-not-expired", f"127.0.0.1:{s.weak_tls}/tcp"): next(
            (r["status"], r["message"]) for r in rows
            if r["control_id"] == "net-tls-cert-not-expired" and r["resource_id"] == f"127.0.0.1:{s.weak_tls}/tcp"),
        ("net-ssh-no-weak-kex", f"127.0.0.1:{s.weak_ssh}/tcp"): (
            "fail", f"127.0.0.1:{s.weak_ssh}: weak key exchange diffie-hellman-group1-sha1 offered"),
        ("net-ssh-no-weak-ciphers", f"127.0.0.1:{s.weak_ssh}/tcp"): (
            "fail", f"127.0.0.1:{s.weak_ssh}: weak cipher 3des-cbc offered"),
        ("net-ssh-no-weak-macs", f"127.0.0.1:{s.weak_ssh}/tcp"): (
            "fail", f"127.0.0.1:{s.weak_ssh}: weak MAC hmac-md5 offered"),
        ("net-http-redirects-to-https", f"127.0.0.1:{s.plain_http}/tcp"): (
            "fail", f"127.0.0.1:{s.plain_http}: serves plain HTTP without redirecting to HTTPS "
                    "(redirect: none, title: govscan test page)"),
        # only the services' ports were scanned: the controls about other ports name them
        ("net-no-r-services", "127.0.0.1"): (
            "error", f"127.0.0.1: TCP ports 512-514 were not scanned (scanned: {scanned}): add them to the input "
                     "ports (--input ports=...)"),
        ("net-no-unencrypted-vnc", "127.0.0.1"): (
            "error", f"127.0.0.1: TCP ports 5900-5906 were not scanned (scanned: {scanned}): add them to the input "
                     "ports (--input ports=...)"),
        ("net-no-database-ports-outside-zone", "127.0.0.1"): (
            "error", "127.0.0.1: TCP ports 1433,1521,3306,5432,5984,6379,9200,9300,11211,27017 were not scanned "
                     f"(scanned: {scanned}): add them to the input ports (--input ports=...)"),
    }
    # udp_ports is not set: UDP was not requested, so the UDP-only controls are not assessed (never a pass)
    assert table(rows, ("notchecked",)) == {
        ("net-no-tftp", "127.0.0.1"): ("notchecked", f"127.0.0.1: not checked: UDP was not scanned (not requested), "
                                                     f"so UDP port 69 was not assessed; {udp_hint(69)}"),
        ("net-no-snmp-v1-v2c", "127.0.0.1"): (
            "notchecked", f"127.0.0.1: not checked: UDP was not scanned (not requested), so UDP port 161 was not "
                          f"assessed; {udp_hint(161)}"),
    }
    [expired] = [r for r in rows if r["control_id"] == "net-tls-cert-not-expired" and r["status"] == "fail"]
    assert expired["resource_id"] == f"127.0.0.1:{s.weak_tls}/tcp"
    assert expired["message"].startswith(f"127.0.0.1:{s.weak_tls}: certificate commonName=weak.govscan.test/"
                                         "organizationName=govscan tests expired on ")


def test_live_scan_compliant_services_pass(services, live):
    _, rows = live
    s, st = services, statuses(live[1])
    for control in ("net-tls-min-version", "net-tls-cipher-grade", "net-tls-cert-not-expired",
                    "net-tls-cert-not-self-signed", "net-tls-cert-key-size"):
        assert st[(control, f"127.0.0.1:{s.strong_tls}/tcp")] == "pass"
    for control in ("net-ssh-no-weak-kex", "net-ssh-no-weak-ciphers", "net-ssh-no-weak-macs", "net-ssh-protocol-2-only"):
        assert st[(control, f"127.0.0.1:{s.strong_ssh}/tcp")] == "pass"
    assert st[("net-ssh-protocol-2-only", f"127.0.0.1:{s.weak_ssh}/tcp")] == "pass"
    assert st[("net-http-redirects-to-https", f"127.0.0.1:{s.redirect_http}/tcp")] == "pass"
    assert [r["message"] for r in rows if r["control_id"] == "net-http-redirects-to-https"
            and r["status"] == "pass"] == [f"127.0.0.1:{s.redirect_http}: redirects to https://localhost:{s.strong_tls}/"]
    assert sorted(r["control_id"] for r in rows if r["status"] == "notchecked") == ["net-no-snmp-v1-v2c", "net-no-tftp"]


def test_nmap_missing_is_a_fatal_error_not_a_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no nmap on it
    prov = NetworkProvider()
    [target] = prov.parse_target("nmap://127.0.0.1", {"ports": "1"})
    coll = prov.collect(target, frozenset({res.HOST}), CollectContext())
    assert coll.fatal == "nmap not found: install it (apt-get install nmap)"
    db = tmp_path / "g.db"
    rc = govscan("scan", "nmap://127.0.0.1", "-c", "net-only-approved-ports", "--input", "ports=1,2", "--db", str(db), "-q")
    assert rc == 3
    assert [(r["status"], r["message"]) for r in findings(db)] == [
        ("error", "nmap://127.0.0.1: nmap not found: install it (apt-get install nmap)")]


@pytest.mark.parametrize("spec,message", [
    ("nmap://", "nmap://: give hosts to scan, e.g. nmap://192.0.2.0/28 or nmap://10.0.0.5,10.0.0.6"),
    ("nmap://-iL/etc/passwd", "nmap target '-iL/etc/passwd': expected an IP address, a CIDR (192.0.2.0/28) or a host name"),
    ("nmap://127.0.0.1 --script=evil", "nmap target '127.0.0.1 --script=evil': expected an IP address, a CIDR "
                                       "(192.0.2.0/28) or a host name"),
    ("nmap://10.0.0.0/8", "nmap target '10.0.0.0/8': 16777216 addresses is more than the 65536 govscan scans in one "
                          "target; split it"),
    ("nmap://10.0.0.300/24", "nmap target '10.0.0.300/24': expected an IP address, a CIDR (192.0.2.0/28) or a host name"),
])
def test_bad_targets_are_refused_before_scanning(spec, message):
    with pytest.raises(UsageError) as info:
        NetworkProvider().parse_target(spec, {})
    assert str(info.value) == message


@pytest.mark.parametrize("options,message", [
    ({"ports": "22,70000"}, "ports='22,70000': expected port numbers and ranges such as 22,80,8000-8100"),
    ({"ports": "22;rm -rf"}, "ports='22;rm-rf': expected port numbers and ranges such as 22,80,8000-8100"),
    ({"timing": 9}, "timing=9: expected a timing template 0-5 (nmap -T0 .. -T5)"),
    ({"host_timeout": "5 minutes"}, "host_timeout='5minutes': expected a duration such as 300s, 5m or 1h"),
    ({"scan_type": "xmas"}, "scan_type='xmas': expected auto, syn or connect"),
])
def test_bad_scan_options_exit_2(tmp_path, capsys, options, message):
    with pytest.raises(UsageError) as info:
        NetworkProvider().parse_target("nmap://127.0.0.1", options)
    assert str(info.value).replace(" ", "") == message.replace(" ", "")


def test_cli_bad_target_exits_2(tmp_path, capsys):
    rc = govscan("scan", "nmap://-oN/tmp/x", "--db", str(tmp_path / "g.db"))
    assert rc == 2
    err = capsys.readouterr().err
    assert "expected an IP address, a CIDR (192.0.2.0/28) or a host name" in err and "Traceback" not in err


def test_syn_scan_needs_root():
    with pytest.raises(ScanError, match=r"a SYN scan \(scan_type=syn, nmap -sS\) needs root privileges"):
        ScanOptions(scan_type="syn").tcp_flag(is_root=False)
    assert ScanOptions().tcp_flag(is_root=False) == "-sT"
    assert ScanOptions().tcp_flag(is_root=True) == "-sS"
    assert ScanOptions(scan_type="connect").tcp_flag(is_root=True) == "-sT"
    with pytest.raises(ScanError, match="a UDP scan"):
        ScanOptions(udp_ports="161").common(is_root=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to an unprivileged user")
def test_unprivileged_nmap_refuses_syn_scan_with_a_clear_error(tmp_path):
    """nmap run as 'nobody' with -sS: python-nmap's error becomes one message, not a traceback."""
    import subprocess
    import sys

    # import everything first: root's Python tree is not readable once we are 'nobody'
    code = ("import os, nmap, concurrent.futures, xml.parsers.expat\n"
            "from checks.network.runner import run_nmap, ScanError\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "try:\n    run_nmap(['127.0.0.1'], '1', ['-sS', '-Pn'], 'nmap')\n"
            "except ScanError as e:\n    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=str(tmp_path), env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert out.stdout.startswith("ERR nmap needs root privileges for this scan: You requested a scan type which "
                                 "requires root privileges."), out.stdout + out.stderr
