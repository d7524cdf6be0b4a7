"""``govscan scan nmap-xml:FILE`` end to end: controls evaluated on imported files, findings stored."""

from __future__ import annotations

import pytest
from nethelp import DATA, findings, govscan, statuses, table

LOOPBACK = DATA / "nmap-7.93-loopback.xml"


def test_loopback_import_exact_failures(tmp_path, capsys):
    db = tmp_path / "g.db"
    rc = govscan("scan", f"nmap-xml:{LOOPBACK}", "-p", "network-baseline", "--db", str(db), "-q")
    assert rc == 1  # high-severity failures fail the profile's gate
    rows = findings(db)
    tid = f"nmap-xml:{LOOPBACK}"
    assert {r["target_id"] for r in rows} == {tid}
    scanned = "32805,33587,39695,40283,41919,45631,52345,53583"
    assert table(rows, ("fail", "error", "notchecked")) == {
        ("net-no-telnet", "127.0.0.1"): ("fail", "127.0.0.1: telnet open on 41919/tcp (Linux telnetd)"),
        ("net-no-cleartext-ftp", "127.0.0.1"): ("fail", "127.0.0.1: clear-text FTP open on 33587/tcp (vsftpd)"),
        # every unapproved port in one finding, not just the first
        ("net-only-approved-ports", "127.0.0.1"): (
            "fail", "127.0.0.1: open but not approved for zone none: 32805/tcp (http), 33587/tcp (ftp), "
                    "39695/tcp (http), 40283/tcp (http), 41919/tcp (telnet), 45631/tcp (http), 52345/tcp (ssh), "
                    "53583/tcp (ssh) (approved: 22, 443)"),
        ("net-tls-min-version", "127.0.0.1:32805/tcp"): (
            "fail", "127.0.0.1:32805: offers TLS versions TLSv1.0, TLSv1.1; allowed: TLSv1.2, TLSv1.3"),
        ("net-tls-cipher-grade", "127.0.0.1:32805/tcp"): (
            "fail", "127.0.0.1:32805: cipher TLS_RSA_WITH_NULL_SHA (TLSv1.0) graded F; allowed grades A"),
        ("net-tls-cert-not-expired", "127.0.0.1:32805/tcp"): (
            "fail", "127.0.0.1:32805: certificate commonName=weak.govscan.test/organizationName=govscan tests "
                    "expired on 2026-10-17T16:42:26"),
        ("net-tls-cert-not-self-signed", "127.0.0.1:32805/tcp"): (
            "fail", "127.0.0.1:32805: certificate commonName=weak.govscan.test/organizationName=govscan tests "
                    "is self-signed"),
        ("net-ssh-no-weak-kex", "127.0.0.1:52345/tcp"): (
            "fail", "127.0.0.1:52345: weak key exchange diffie-hellman-group1-sha1 offered"),
        ("net-ssh-no-weak-ciphers", "127.0.0.1:52345/tcp"): ("fail", "127.0.0.1:52345: weak cipher 3des-cbc offered"),
        ("net-ssh-no-weak-macs", "127.0.0.1:52345/tcp"): ("fail", "127.0.0.1:52345: weak MAC hmac-md5 offered"),
        ("net-http-redirects-to-https", "127.0.0.1:45631/tcp"): (
            "fail", "127.0.0.1:45631: serves plain HTTP without redirecting to HTTPS "
                    "(redirect: none, title: govscan test page)"),
        # the file scanned 8 TCP ports: the controls about other ports say which were not scanned
        ("net-no-r-services", "127.0.0.1"): (
            "error", f"127.0.0.1: TCP ports 512-514 were not scanned (scanned: {scanned}): scan with nmap -p T:512-514"),
        ("net-no-unencrypted-vnc", "127.0.0.1"): (
            "error", f"127.0.0.1: TCP ports 5900-5906 were not scanned (scanned: {scanned}): "
                     "scan with nmap -p T:5900-5906"),
        ("net-no-database-ports-outside-zone", "127.0.0.1"): (
            "error", "127.0.0.1: TCP ports 1433,1521,3306,5432,5984,6379,9200,9300,11211,27017 were not scanned "
                     f"(scanned: {scanned}): scan with nmap -p T:1433,1521,3306,5432,5984,6379,9200,9300,11211,27017"),
        # the file is a TCP-only scan: TFTP and SNMP could not be seen, so they are not a pass
        ("net-no-tftp", "127.0.0.1"): (
            "notchecked", "127.0.0.1: not checked: this nmap XML has no UDP scan, so UDP port 69 was not assessed; "
                          "scan with nmap -sU -p U:69 (as root)"),
        ("net-no-snmp-v1-v2c", "127.0.0.1"): (
            "notchecked", "127.0.0.1: not checked: this nmap XML has no UDP scan, so UDP port 161 was not assessed; "
                          "scan with nmap -sU -p U:161 (as root)"),
    }
    st = statuses(rows)
    # the compliant services pass the same controls
    for control in ("net-tls-min-version", "net-tls-cipher-grade", "net-tls-cert-not-expired",
                    "net-tls-cert-not-self-signed", "net-tls-cert-key-size"):
        assert st[(control, "127.0.0.1:39695/tcp")] == "pass"
    for control in ("net-ssh-no-weak-kex", "net-ssh-no-weak-ciphers", "net-ssh-no-weak-macs",
                    "net-ssh-protocol-2-only"):
        assert st[(control, "127.0.0.1:53583/tcp")] == "pass"
    assert st[("net-http-redirects-to-https", "127.0.0.1:40283/tcp")] == "pass"
    # scope: a TLS control never looks at SSH or plain services
    assert not any(r["control_id"].startswith("net-tls-") and r["resource_id"].endswith(("52345/tcp", "45631/tcp"))
                   for r in rows)


def test_zones_inventory_applies_each_zones_approved_ports(tmp_path):
    inv = tmp_path / "inventory.yaml"
    xml = DATA / "zones-mixed.xml"
    inv.write_text(f"""apiVersion: govscan/v1
kind: Inventory
groups:
  dmz:
    vars: {{approved_ports: [443]}}
    targets:
      - {{target: "nmap-xml:{xml}", networks: [192.0.2.8/29]}}
  data:
    vars: {{approved_ports: [5432]}}
    targets:
      - {{target: "nmap-xml:{xml}", networks: [198.51.100.8/30]}}
""")
    db = tmp_path / "g.db"
    assert govscan("scan", "-i", str(inv), "-p", "network-baseline", "--db", str(db), "-q") == 1
    rows = findings(db)
    dmz, data = f"nmap-xml:{xml}#dmz", f"nmap-xml:{xml}#data"
    assert {(r["target_id"], r["control_id"], r["resource_id"]): (r["status"], r["message"])
            for r in rows if r["status"] in ("fail", "error")} == {
        (dmz, "net-only-approved-ports", "192.0.2.10"): (
            "fail", "192.0.2.10: open but not approved for zone dmz: 5432/tcp (postgresql) (approved: 443)"),
        # every unapproved port of the host in one finding
        (dmz, "net-only-approved-ports", "192.0.2.11"): (
            "fail", "192.0.2.11: open but not approved for zone dmz: 514/tcp (shell), 5900/tcp (vnc) (approved: 443)"),
        (dmz, "net-no-database-ports-outside-zone", "192.0.2.10"): (
            "fail", "192.0.2.10: database port 5432/tcp (postgresql) open in zone dmz"),
        (dmz, "net-no-snmp-v1-v2c", "192.0.2.10"): (
            "fail", "192.0.2.10: SNMP v1/v2c on 161/udp (SNMPv1 server; net-snmp SNMPv3 server)"),
        (dmz, "net-no-r-services", "192.0.2.11"): ("fail", "192.0.2.11: r-service open on 514/tcp (shell)"),
        (dmz, "net-no-tftp", "192.0.2.11"): ("fail", "192.0.2.11: TFTP open on 69/udp"),
        (dmz, "net-no-unencrypted-vnc", "192.0.2.11"): (
            "fail", "192.0.2.11: unencrypted VNC open on 5900/tcp (RealVNC Personal)"),
        # ssl-enum-ciphers and ssl-cert failed on 443: every TLS control that needed
        # their data is an error naming the script (never a pass, and not a fail on made-up data)
        (dmz, "net-tls-min-version", "192.0.2.10:443/tcp"): (
            "error", "192.0.2.10:443/tcp: tls.versions could not be read: nmap script ssl-enum-ciphers: "
                     "ERROR: Script execution failed (use -d to debug)"),
        (dmz, "net-tls-cipher-grade", "192.0.2.10:443/tcp"): (
            "error", "192.0.2.10:443/tcp: tls.ciphers could not be read: nmap script ssl-enum-ciphers: "
                     "ERROR: Script execution failed (use -d to debug)"),
        (dmz, "net-tls-cert-not-expired", "192.0.2.10:443/tcp"): (
            "error", "192.0.2.10:443/tcp: tls.cert could not be read: nmap script ssl-cert: "
                     "ERROR: Script execution failed (use -d to debug)"),
        (dmz, "net-tls-cert-not-self-signed", "192.0.2.10:443/tcp"): (
            "error", "192.0.2.10:443/tcp: tls.cert could not be read: nmap script ssl-cert: "
                     "ERROR: Script execution failed (use -d to debug)"),
        (dmz, "net-tls-cert-key-size", "192.0.2.10:443/tcp"): (
            "error", "192.0.2.10:443/tcp: tls.cert could not be read: nmap script ssl-cert: "
                     "ERROR: Script execution failed (use -d to debug)"),
    }
    st = {(r["target_id"], r["control_id"], r["resource_id"]): r["status"] for r in rows}
    # the data zone: its database port is approved and expected there
    assert st[(data, "net-only-approved-ports", "198.51.100.9")] == "pass"
    assert st[(data, "net-no-database-ports-outside-zone", "198.51.100.9")] == "notapplicable"
    # a host that is down is out of scope: no finding names it
    assert not any(r["resource_id"].startswith("192.0.2.9") for r in rows)


def test_failed_script_evidence_names_the_error(tmp_path):
    db = tmp_path / "g.db"
    govscan("scan", f"nmap-xml:{DATA / 'zones-mixed.xml'}", "-c", "net-tls-min-version", "--db", str(db), "-q")
    from scanner.store import Store

    view = Store(db).view()
    [row] = [r for r in view.findings() if r["resource_id"] == "192.0.2.10:443/tcp"]
    evidence = view.evidence(row["evidence_sha256"])
    assert evidence["observed"]["script_errors"] == {
        "ssl-enum-ciphers": "ERROR: Script execution failed (use -d to debug)",
        "ssl-cert": "ERROR: Script execution failed (use -d to debug)"}


def test_exit_error_file_gives_error_findings(tmp_path):
    db = tmp_path / "g.db"
    govscan("scan", f"nmap-xml:{DATA / 'exit-error.xml'}", "-c", "net-no-telnet", "--db", str(db), "-q")
    rows = findings(db)
    assert any(r["status"] == "error" and "nmap reported an error in this file: pcap_open_live" in r["message"]
               for r in rows)
    assert not any(r["status"] == "pass" for r in rows)


@pytest.mark.parametrize("name,expected", [
    ("truncated-after-host.xml", ":220:1: truncated nmap XML: the file ends before </nmaprun> (was the scan interrupted?)"),
    ("html-root.xml", ":2:1: not an nmap XML file: root element is <html>, expected <nmaprun>"),
])
def test_cli_bad_xml_exits_2_with_one_message(tmp_path, capsys, name, expected):
    path = DATA / "broken" / name
    rc = govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(tmp_path / "g.db"))
    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip() == f"govscan: error: {path}{expected}"
    assert "Traceback" not in err


def test_findings_from_an_nmap_xml_carry_file_and_line(tmp_path):
    """Resource.sources: a host finding points at its <host> and open <port> lines, a service at its <port>."""
    from scanner.store import Store

    db = tmp_path / "g.db"
    govscan("scan", f"nmap-xml:{LOOPBACK}", "-c", "net-no-telnet", "-c", "net-tls-min-version", "--db", str(db), "-q")
    view = Store(db).view()
    got = {(r["control_id"], r["resource_id"]): view.evidence(r["evidence_sha256"]).get("locations")
           for r in view.findings()}
    path = str(LOOPBACK)
    open_port_lines = [14, 88, 89, 164, 167, 168, 171, 195]  # the <port state="open"> elements of the file
    assert got[("net-no-telnet", "127.0.0.1")] == [
        {"attribute": "state", "path": path, "line": 9},
        *({"attribute": "ports", "path": path, "line": n} for n in open_port_lines)]
    assert got[("net-tls-min-version", "127.0.0.1:32805/tcp")] == [
        {"attribute": "is_tls", "path": path, "line": 14}, {"attribute": "tls", "path": path, "line": 14}]
    assert got[("net-tls-min-version", "127.0.0.1:39695/tcp")] == [
        {"attribute": "is_tls", "path": path, "line": 89}, {"attribute": "tls", "path": path, "line": 89}]
