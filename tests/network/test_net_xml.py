"""nmap XML import: saved outputs of several nmap versions, and a corpus of broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.network import resources as res
from checks.network.provider import NetworkProvider
from checks.network.xmlparse import parse_bytes, parse_file
from scanner.errors import InputFileError, UsageError
from scanner.provider import CollectContext

BOTH = frozenset({res.HOST, res.SERVICE})
DATA = Path(__file__).parent / "data"

# file -> (line, col, message) each broken input must produce
BROKEN = {
    "empty.xml": (1, 1, "empty file: expected nmap XML output (nmap -oX)"),
    "binary.xml": (1, 1, "not nmap XML (not well-formed (invalid token)): expected nmap XML output (nmap -oX)"),
    "normal-output.txt.xml": (1, 1, "not nmap XML (syntax error): expected nmap XML output (nmap -oX)"),
    "html-root.xml": (2, 1, "not an nmap XML file: root element is <html>, expected <nmaprun>"),
    "truncated-mid-tag.xml": (68, 18, "truncated nmap XML: the file ends before </nmaprun> (was the scan interrupted?)"),
    "truncated-after-host.xml": (220, 1, "truncated nmap XML: the file ends before </nmaprun> (was the scan interrupted?)"),
    "mismatched-tag.xml": (5, 3, "malformed XML: mismatched tag"),
    "two-roots.xml": (3, 1, "malformed XML: junk after document element"),
    "entity-expansion.xml": (3, 13, "entity declarations are not allowed in nmap XML "
                                    "(refusing a possible entity-expansion or external-entity attack)"),
    "external-entity.xml": (3, 42, "entity declarations are not allowed in nmap XML "
                                   "(refusing a possible entity-expansion or external-entity attack)"),
    # well-formed, but not a whole nmap run: nmap ends every run with <runstats><finished/>
    "no-runstats.xml": (18, 1, "not complete nmap output: no <runstats><finished/> before </nmaprun> (nmap writes it "
                               "at the end of every run; was the file cut or edited?)"),
    "deep-nesting.xml": (14, 593, "elements nested more than 64 deep: not nmap output (refusing a possible "
                                  "resource-exhaustion attack)"),
}


def collect(path, **options):
    prov = NetworkProvider()
    [target] = prov.parse_target(f"nmap-xml:{path}", options)
    return target, prov.collect(target, BOTH, CollectContext())


def by_id(coll, rtype):
    return {r.id: r for r in coll.resources[rtype]}


def test_every_broken_file_in_the_corpus_has_a_test():
    assert sorted(p.name for p in (DATA / "broken").iterdir()) == sorted(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_xml_is_bad_input_with_position(name):
    line, col, message = BROKEN[name]
    path = DATA / "broken" / name
    with pytest.raises(InputFileError) as info:
        NetworkProvider().parse_target(f"nmap-xml:{path}", {})
    assert str(info.value) == f"{path}:{line}:{col}: {message}"


def test_missing_file_and_directory():
    with pytest.raises(InputFileError) as info:
        NetworkProvider().parse_target("nmap-xml:/nonexistent/scan.xml", {})
    assert str(info.value) == "/nonexistent/scan.xml:0:0: cannot read nmap XML: No such file or directory"
    with pytest.raises(InputFileError) as info:
        NetworkProvider().parse_target(f"nmap-xml:{DATA}", {})
    assert str(info.value) == f"{DATA}:0:0: is a directory, expected an nmap XML file"
    with pytest.raises(UsageError, match="give the nmap XML file"):
        NetworkProvider().parse_target("nmap-xml:", {})


def test_external_entity_is_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doc = (f'<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<nmaprun><host><status state="up"/><address addr="&x;"/></host></nmaprun>').encode()
    with pytest.raises(InputFileError) as info:
        parse_bytes(doc, "hostile.xml")
    assert "TOPSECRET" not in str(info.value)
    assert "entity declarations are not allowed" in str(info.value)


def test_nmap_793_loopback_scan_resources():
    target, coll = collect(DATA / "nmap-7.93-loopback.xml")
    assert target.id == f"nmap-xml:{DATA / 'nmap-7.93-loopback.xml'}"
    assert coll.fatal is None and coll.errors == []
    [host] = coll.resources[res.HOST]
    assert host.id == "127.0.0.1"
    assert host.attrs["state"] == "up" and host.attrs["source"] == "import"
    assert host.attrs["open_ports"] == [32805, 33587, 39695, 40283, 41919, 45631, 52345, 53583]
    svc = by_id(coll, res.SERVICE)
    weak, strong = svc["127.0.0.1:32805/tcp"].attrs, svc["127.0.0.1:39695/tcp"].attrs
    assert weak["is_tls"] and weak["tls"]["versions"] == ["TLSv1.0", "TLSv1.1"]
    assert {(c["name"], c["version"], c["grade"]) for c in weak["tls"]["ciphers"]} == {
        ("TLS_RSA_WITH_AES_128_CBC_SHA", "TLSv1.0", "A"), ("TLS_RSA_WITH_NULL_SHA", "TLSv1.0", "F"),
        ("TLS_RSA_WITH_AES_128_CBC_SHA", "TLSv1.1", "A"), ("TLS_RSA_WITH_NULL_SHA", "TLSv1.1", "F")}
    assert weak["tls"]["least_grade"] == "F"
    assert weak["tls"]["cert"]["self_signed"] is True and weak["tls"]["cert"]["expired"] is True
    assert weak["tls"]["cert"]["subject"] == "commonName=weak.govscan.test/organizationName=govscan tests"
    assert strong["tls"]["versions"] == ["TLSv1.2", "TLSv1.3"] and strong["tls"]["least_grade"] == "A"
    assert strong["tls"]["cert"]["self_signed"] is False and strong["tls"]["cert"]["expired"] is False
    assert strong["tls"]["cert"]["issuer"] == "commonName=govscan test CA/organizationName=govscan tests"
    ssh = svc["127.0.0.1:52345/tcp"].attrs["ssh"]
    assert ssh["kex"][:2] == ["diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1"]
    assert ssh["ciphers"] == ["3des-cbc", "aes128-cbc", "aes128-ctr"]
    assert ssh["macs"] == ["hmac-md5", "hmac-sha1", "hmac-sha2-256"]
    assert ssh["protocol_versions"] == ["2"]
    assert svc["127.0.0.1:40283/tcp"].attrs["http"]["redirect_url"] == "https://localhost:39695/"
    assert svc["127.0.0.1:40283/tcp"].attrs["http"]["redirects_to_https"] is True
    assert svc["127.0.0.1:45631/tcp"].attrs["http"]["redirects_to_https"] is False
    assert svc["127.0.0.1:41919/tcp"].attrs["service"] == "telnet"
    assert svc["127.0.0.1:33587/tcp"].attrs["product"] == "vsftpd"
    assert all(s.attrs["script_errors"] == {} for s in svc.values())


def test_nmap_601_text_only_script_output():
    _, coll = collect(DATA / "nmap-6.01-text-scripts.xml")
    svc = by_id(coll, res.SERVICE)
    tls = svc["192.0.2.20:443/tcp"].attrs["tls"]
    assert tls["versions"] == ["SSLv3", "TLSv1.0"]
    # old grade words: strong -> A, weak -> C, broken -> F
    assert [(c["name"], c["grade"]) for c in tls["ciphers"]] == [
        ("TLS_RSA_WITH_RC4_128_SHA", "A"), ("TLS_RSA_WITH_DES_CBC_SHA", "C"),
        ("TLS_RSA_WITH_AES_128_CBC_SHA", "A"), ("TLS_RSA_EXPORT_WITH_RC4_40_MD5", "F")]
    assert tls["least_grade"] == "F"
    assert tls["cert"]["key_bits"] == 1024 and tls["cert"]["key_type"] == "rsa"
    assert tls["cert"]["expired"] is True and tls["cert"]["self_signed"] is False
    assert tls["cert"]["not_after"] == "2011-01-01 00:00:00"
    ssh = svc["192.0.2.20:22/tcp"].attrs["ssh"]
    assert ssh["kex"][-1] == "diffie-hellman-group1-sha1" and ssh["ciphers"] == ["aes128-ctr", "aes128-cbc", "arcfour"]
    assert ssh["protocol_versions"] == ["1", "2"]  # banner "protocol 1.99"
    # plain HTTP on 80 without http-title in the file: the gap is named, not guessed
    http = svc["192.0.2.20:80/tcp"].attrs
    assert http["http"] is None
    assert http["script_errors"] == {
        "http-title": "not in the nmap XML (scan with --script http-title to check this)"}


def test_hosts_down_filtered_ports_and_script_errors():
    _, coll = collect(DATA / "zones-mixed.xml")
    hosts = by_id(coll, res.HOST)
    assert sorted(hosts) == ["192.0.2.10", "192.0.2.11", "192.0.2.9", "198.51.100.9"]
    assert hosts["192.0.2.9"].attrs["state"] == "down" and hosts["192.0.2.9"].attrs["ports"] == []
    web = hosts["192.0.2.10"].attrs
    assert web["open_ports"] == [161, 443, 5432] and web["open_tcp_ports"] == [443, 5432]
    assert {"portid": 1433, "protocol": "tcp", "state": "filtered", "reason": "no-response",
            "service": {"name": "ms-sql-s", "product": None, "version": None, "extrainfo": None,
                        "tunnel": None}, "display": "1433/tcp (ms-sql-s)"} in web["ports"]
    assert web["extraports"] == [{"state": "filtered", "count": 3}]
    assert web["addresses"]["mac"] == "52:54:00:12:34:56"
    svc = by_id(coll, res.SERVICE)
    assert "192.0.2.10:1433/tcp" not in svc  # filtered: not a service
    https = svc["192.0.2.10:443/tcp"].attrs
    assert https["is_tls"] and https["tls"] is None
    assert https["script_errors"] == {"ssl-enum-ciphers": "ERROR: Script execution failed (use -d to debug)",
                                      "ssl-cert": "ERROR: Script execution failed (use -d to debug)"}
    assert not any(r.attrs["host"] == "192.0.2.9" for r in svc.values())


def test_networks_option_takes_one_zone_of_a_file():
    target, coll = collect(DATA / "zones-mixed.xml", group="data", networks=["198.51.100.8/30"],
                           approved_ports=[5432])
    assert target.id == f"nmap-xml:{DATA / 'zones-mixed.xml'}#data"
    assert target.vars["zone"] == "data" and target.vars["approved_ports"] == [5432]
    assert [r.id for r in coll.resources[res.HOST]] == ["198.51.100.9"]
    assert coll.resources[res.HOST][0].attrs["zone"] == "data"
    with pytest.raises(UsageError, match="networks entry 'ten' is not a CIDR"):
        NetworkProvider().parse_target(f"nmap-xml:{DATA / 'zones-mixed.xml'}", {"networks": ["ten"]})


def test_nmap_exit_error_is_an_error_not_a_pass():
    _, coll = collect(DATA / "exit-error.xml")
    assert {(e.resource_type, e.message) for e in coll.errors} == {
        (t, "nmap reported an error in this file: pcap_open_live(eth0, 262144, 1, 100) FAILED. Reported error: "
            "eth0: You don't have permission to capture on that device") for t in BOTH}


def test_large_file_streams_hosts(tmp_path):
    hosts = "".join(f'<host><status state="up" reason="syn-ack"/><address addr="10.0.{i // 250}.{i % 250 + 1}" '
                    f'addrtype="ipv4"/><ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/>'
                    f'<service name="ssh"/></port></ports></host>\n' for i in range(2000))
    path = tmp_path / "big.xml"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE nmaprun>\n<nmaprun version="7.93">{hosts}'
                    '<runstats><finished exit="success"/></runstats></nmaprun>')
    seen = []
    run = parse_file(path, seen.append)
    assert run.host_count == 2000 and run.hosts == [] and len(seen) == 2000
    assert seen[-1]["address"] == "10.0.7.250" and seen[-1]["ports"][0]["portid"] == 22
