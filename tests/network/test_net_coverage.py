"""What the scan covered: timed-out hosts, hosts without a port table, and protocols not scanned.

An absent result must never read as "nothing exposed": every file here is real nmap output on
127.0.0.1 (``no-port-table.xml`` is the host-timeout file with its ``timedout`` attribute removed),
and each test asserts the exact status and message of the controls that would otherwise pass.
"""

from __future__ import annotations

import os

import pytest
from nethelp import DATA, findings, govscan, statuses

from checks.network import resources as res
from checks.network.provider import NetworkProvider
from checks.network.xmlparse import parse_file
from scanner.provider import CollectContext

BOTH = frozenset({res.HOST, res.SERVICE})
HOST_CONTROLS = ("net-no-telnet", "net-no-r-services", "net-no-cleartext-ftp", "net-no-tftp",
                 "net-no-unencrypted-vnc", "net-no-snmp-v1-v2c", "net-only-approved-ports",
                 "net-no-database-ports-outside-zone")
SERVICE_CONTROLS = ("net-tls-min-version", "net-tls-cipher-grade", "net-tls-cert-not-expired",
                    "net-tls-cert-not-self-signed", "net-tls-cert-key-size", "net-ssh-no-weak-kex",
                    "net-ssh-no-weak-ciphers", "net-ssh-no-weak-macs", "net-ssh-protocol-2-only",
                    "net-http-redirects-to-https")
TIMEOUT = "nmap host timeout after 50ms: results incomplete (raise host_timeout)"
NO_TABLE = "nmap reported no port table for this host although a port scan ran: results incomplete"
PING_ONLY = "no port scan in this nmap output (host discovery only, nmap -sn): ports were not checked"


def collect(path):
    prov = NetworkProvider()
    [target] = prov.parse_target(f"nmap-xml:{path}", {})
    return prov.collect(target, BOTH, CollectContext())


def test_parser_reads_timedout_and_scaninfo():
    run = parse_file(DATA / "nmap-7.93-host-timeout.xml")
    assert run.scaninfo == [{"type": "connect", "protocol": "tcp", "numservices": 65535, "services": "1-65535"}]
    [host] = run.hosts
    assert host["timedout"] is True and host["has_ports"] is False and host["state"] == "up"
    closed = parse_file(DATA / "nmap-7.93-all-closed-tcp-udp.xml")
    assert [(s["protocol"], s["numservices"], s["services"]) for s in closed.scaninfo] == [
        ("tcp", 50, "1-50"), ("udp", 2, "69,161")]
    [host] = closed.hosts
    assert host["timedout"] is False and host["has_ports"] is True and host["ports"] == []
    assert host["extraports"] == [{"state": "closed", "count": 52}]


@pytest.mark.parametrize("name,why", [
    ("nmap-7.93-host-timeout.xml", TIMEOUT),
    ("no-port-table.xml", NO_TABLE),
    ("nmap-7.93-ping-only.xml", PING_ONLY),
])
def test_host_without_port_results_is_an_error_for_every_control(tmp_path, name, why):
    path = DATA / name
    coll = collect(path)
    [host] = coll.resources[res.HOST]
    assert host.error == why
    # its services are unknown too: one error per service control for that host
    assert [(e.resource_type, e.message, e.scope) for e in coll.errors] == [(res.SERVICE, why, "127.0.0.1")]
    db = tmp_path / "g.db"
    assert govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(db), "-q") == 1
    rows = findings(db)
    tid = f"nmap-xml:{path}"
    assert {(r["control_id"], r["resource_id"]): (r["status"], r["message"]) for r in rows} == {
        **{(c, "127.0.0.1"): ("error", f"127.0.0.1: could not be read: {why}") for c in HOST_CONTROLS},
        **{(c, f"{tid}/127.0.0.1"): ("error", f"network.service not collected (127.0.0.1): {why}")
           for c in SERVICE_CONTROLS},
    }


def test_scanned_host_with_all_ports_closed_passes_and_records_coverage(tmp_path):
    """The opposite case: every TCP port and UDP 69,161 scanned, all closed: a complete, clean result."""
    path = DATA / "nmap-7.93-all-closed-full-tcp.xml"
    coll = collect(path)
    [host] = coll.resources[res.HOST]
    assert host.error is None and host.attr_errors == {}
    a = host.attrs
    assert (a["scanned_protocols"], a["scanned_tcp_ports"], a["scanned_tcp_port_count"],
            a["scanned_udp_ports"], a["scanned_udp_port_count"], a["udp_scanned"], a["timed_out"]) == (
        ["tcp", "udp"], "1-65535", 65535, "69,161", 2, True, False)
    db = tmp_path / "g.db"
    assert govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(db), "-q") == 0
    rows = findings(db)
    assert {c: s for (c, rid), s in statuses(rows).items() if rid == "127.0.0.1"} == dict.fromkeys(HOST_CONTROLS, "pass")
    msgs = {r["control_id"]: r["message"] for r in rows}
    assert msgs["net-no-tftp"] == "127.0.0.1: no TFTP service open on the UDP ports scanned (69,161)"
    assert msgs["net-no-snmp-v1-v2c"] == "127.0.0.1: no SNMP v1/v2c service detected on the UDP ports scanned (69,161)"
    assert msgs["net-no-telnet"] == "127.0.0.1: no telnet service open on the TCP ports scanned (1-65535)"
    assert msgs["net-only-approved-ports"] == "127.0.0.1: all 65535 TCP ports scanned; only approved ports open (none)"


# nmap -sT -p 80 127.0.0.1 (issue 9): every control about a port that was not scanned used to pass
P80 = {
    "net-no-telnet": ("error", "127.0.0.1: TCP port 23 was not scanned (scanned: 80): scan with nmap -p T:23"),
    "net-no-cleartext-ftp": ("error", "127.0.0.1: TCP port 21 was not scanned (scanned: 80): scan with nmap -p T:21"),
    "net-no-r-services": ("error", "127.0.0.1: TCP ports 512-514 were not scanned (scanned: 80): "
                                   "scan with nmap -p T:512-514"),
    "net-no-unencrypted-vnc": ("error", "127.0.0.1: TCP ports 5900-5906 were not scanned (scanned: 80): "
                                        "scan with nmap -p T:5900-5906"),
    "net-no-database-ports-outside-zone": (
        "error", "127.0.0.1: TCP ports 1433,1521,3306,5432,5984,6379,9200,9300,11211,27017 were not scanned "
                 "(scanned: 80): scan with nmap -p T:1433,1521,3306,5432,5984,6379,9200,9300,11211,27017"),
    "net-only-approved-ports": ("error", "127.0.0.1: only 1 of 65535 TCP ports were scanned (80); this control is "
                                         "about every TCP port: scan with nmap -p T:1-65535"),
    # UDP was not asked for in this file: not assessed (never a pass), and not a gate-failing error
    "net-no-tftp": ("notchecked", "127.0.0.1: not checked: this nmap XML has no UDP scan, so UDP port 69 was not "
                                  "assessed; scan with nmap -sU -p U:69 (as root)"),
    "net-no-snmp-v1-v2c": ("notchecked", "127.0.0.1: not checked: this nmap XML has no UDP scan, so UDP port 161 was "
                                         "not assessed; scan with nmap -sU -p U:161 (as root)"),
}


def test_ports_nmap_never_scanned_are_errors_not_passes(tmp_path):
    path = DATA / "nmap-7.93-p80.xml"
    db = tmp_path / "g.db"
    assert govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(db), "-q") == 1
    rows = findings(db)
    assert {r["control_id"]: (r["status"], r["message"]) for r in rows if r["resource_id"] == "127.0.0.1"} == P80
    # no TLS, SSH or HTTP service was seen, but only port 80 was looked at: not "not applicable"
    tid = f"nmap-xml:{path}"
    unseen = (f"{tid}: not checked: no network.service resource in scope among those collected, but only 1 of 65535 "
              "TCP ports were scanned (80), so services on the others were not seen: scan with nmap -p-")
    assert {r["control_id"]: (r["resource_id"], r["status"], r["message"]) for r in rows
            if r["resource_id"] != "127.0.0.1"} == {c: (tid, "notchecked", unseen) for c in SERVICE_CONTROLS}


def test_a_partial_tcp_scan_names_the_unscanned_ports_of_each_control(tmp_path):
    """TCP 1-50 and UDP 69,161 scanned: telnet and FTP are proven, the rest names what is missing."""
    path = DATA / "nmap-7.93-all-closed-tcp-udp.xml"
    db = tmp_path / "g.db"
    assert govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(db), "-q") == 1
    got = {r["control_id"]: (r["status"], r["message"]) for r in findings(db) if r["resource_id"] == "127.0.0.1"}
    assert got == {
        "net-no-telnet": ("pass", "127.0.0.1: no telnet service open on the TCP ports scanned (1-50)"),
        "net-no-cleartext-ftp": ("pass", "127.0.0.1: no clear-text FTP service open on the TCP ports scanned (1-50)"),
        "net-no-tftp": ("pass", "127.0.0.1: no TFTP service open on the UDP ports scanned (69,161)"),
        "net-no-snmp-v1-v2c": ("pass", "127.0.0.1: no SNMP v1/v2c service detected on the UDP ports scanned (69,161)"),
        **{c: (s, m.replace("(scanned: 80)", "(scanned: 1-50)")) for c, (s, m) in P80.items()
           if c in ("net-no-r-services", "net-no-unencrypted-vnc", "net-no-database-ports-outside-zone")},
        "net-only-approved-ports": ("error", "127.0.0.1: only 50 of 65535 TCP ports were scanned (1-50); this "
                                             "control is about every TCP port: scan with nmap -p T:1-65535"),
    }


@pytest.mark.parametrize("text,spans", [
    ("1-1000", ((1, 1000),)),
    ("80,22,21-23,5900-5906,5901", ((21, 23), (80, 80), (5900, 5906))),
    ("1,3-4,6-7,9,13", ((1, 1), (3, 4), (6, 7), (9, 9), (13, 13))),
    ("1-65535", ((1, 65535),)),
    ("abc,70000,5-3,,22", ((22, 22),)),  # nonsense covers nothing, never everything
    ("", ()),
])
def test_scaninfo_ranges_are_parsed(text, spans):
    assert res.parse_ranges(text) == spans


def test_tcp_only_file_makes_udp_controls_notchecked_not_passes():
    coll = collect(DATA / "nmap-7.93-loopback.xml")
    [host] = coll.resources[res.HOST]
    assert host.error is None and host.attr_errors == {}
    assert host.attrs["scanned_protocols"] == ["tcp"] and host.attrs["udp_scanned"] is False
    assert host.attrs["scanned_tcp_port_count"] == 8 and host.attrs["scanned_udp_ports"] is None
    gap = host.coverage["udp_ports"].gap({"protocol": None, "portid": frozenset({69})})
    assert (gap.status.value, gap.reason) == (
        "notchecked", "not checked: this nmap XML has no UDP scan, so UDP port 69 was not assessed; "
                      "scan with nmap -sU -p U:69 (as root)")


def test_live_host_timeout_is_an_error_not_a_pass(tmp_path):
    """Real nmap: 65,535 ports cannot be scanned within 1 ms, so nmap gives up on 127.0.0.1."""
    db = tmp_path / "g.db"
    rc = govscan("scan", "nmap://127.0.0.1", "-c", "net-only-approved-ports", "-c", "net-tls-min-version",
                 "--input", "ports=1-65535", "--input", "host_timeout=1ms", "--db", str(db), "-q")
    assert rc == 1
    why = "nmap host timeout after 1ms: results incomplete (raise host_timeout)"
    assert {(r["control_id"], r["resource_id"]): (r["status"], r["message"]) for r in findings(db)} == {
        ("net-only-approved-ports", "127.0.0.1"): ("error", f"127.0.0.1: could not be read: {why}"),
        ("net-tls-min-version", "nmap://127.0.0.1/127.0.0.1"): (
            "error", f"network.service not collected (127.0.0.1): {why}"),
    }


@pytest.mark.skipif(os.geteuid() != 0, reason="a UDP scan needs root")
def test_live_udp_scan_lets_udp_controls_pass(services, tmp_path):
    """With udp_ports set the UDP controls are evaluated; a closed UDP port is a real pass.

    TCP is narrowed to one test service (the default, every TCP port, would probe whatever else
    listens on this shared machine's loopback), so the approved-ports control cannot pass.
    """
    db = tmp_path / "g.db"
    rc = govscan("scan", "nmap://127.0.0.1", "-c", "net-no-tftp", "-c", "net-no-snmp-v1-v2c",
                 "-c", "net-only-approved-ports", "--input", f"ports={services.strong_tls}",
                 "--input", f"approved_ports=[{services.strong_tls}]",
                 "--input", "udp_ports=69,161", "--db", str(db), "-q")
    assert rc == 1
    assert {(r["control_id"], r["status"], r["message"]) for r in findings(db)} == {
        ("net-no-tftp", "pass", "127.0.0.1: no TFTP service open on the UDP ports scanned (69,161)"),
        ("net-no-snmp-v1-v2c", "pass", "127.0.0.1: no SNMP v1/v2c service detected on the UDP ports scanned (69,161)"),
        ("net-only-approved-ports", "error", f"127.0.0.1: only 1 of 65535 TCP ports were scanned "
                                             f"({services.strong_tls}); this control is about every TCP port: "
                                             "scan every port (--input ports=1-65535, the default)"),
    }
