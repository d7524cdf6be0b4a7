"""nmap XML that lacks required fields, or is built to exhaust the parser (issue 9).

A host whose state or port table is incomplete is an error for every control on it, never a pass
or not applicable; a file that is not nmap output at all, or exceeds a limit, stops the command
with ``file:line:col`` and exit 2, quickly.
"""

from __future__ import annotations

import time

import pytest
from nethelp import DATA, findings, govscan

from checks.network import xmlparse

INVALID = DATA / "invalid-hosts"
HOST_CONTROLS = ("net-no-telnet", "net-no-r-services", "net-no-cleartext-ftp", "net-no-tftp",
                 "net-no-unencrypted-vnc", "net-no-snmp-v1-v2c", "net-only-approved-ports",
                 "net-no-database-ports-outside-zone")
SERVICE_CONTROLS = ("net-tls-min-version", "net-tls-cipher-grade", "net-tls-cert-not-expired",
                    "net-tls-cert-not-self-signed", "net-tls-cert-key-size", "net-ssh-no-weak-kex",
                    "net-ssh-no-weak-ciphers", "net-ssh-no-weak-macs", "net-ssh-protocol-2-only",
                    "net-http-redirects-to-https")

# file -> (resource id, the problem named after "invalid nmap output: FILE:")
MISSING = {
    # used to pass net-no-telnet: a telnet port with no state read as "not open"
    "port-without-state.xml": ("127.0.0.1", "15: port 23/tcp without <state state=...>: whether it is open is unknown"),
    # used to make the SSH controls "not applicable": the open ssh port had no number, so no service
    "port-without-portid.xml": ("127.0.0.1", "15: <port> without a valid portid (found None)"),
    # used to make every host control "not applicable": a host of unknown state was out of scope
    "host-without-status.xml": ("127.0.0.1", "10: <host> without <status state=...>: whether the host is up is unknown"),
    "host-without-address.xml": ("(host at line 10)", "10: <host> without <address addr=...>: the host cannot be "
                                                      "identified"),
}


def test_every_invalid_host_file_has_a_test():
    assert sorted(p.name for p in INVALID.iterdir()) == sorted(MISSING)


@pytest.mark.parametrize("name", sorted(MISSING))
def test_missing_required_fields_make_the_host_an_error_for_every_control(tmp_path, name):
    path = INVALID / name
    rid, problem = MISSING[name]
    why = f"invalid nmap output: {path}:{problem}"
    db = tmp_path / "g.db"
    assert govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(db), "-q") == 1
    tid = f"nmap-xml:{path}"
    assert {(r["control_id"], r["resource_id"]): (r["status"], r["message"]) for r in findings(db)} == {
        **{(c, rid): ("error", f"{rid}: could not be read: {why}") for c in HOST_CONTROLS},
        **{(c, f"{tid}/{rid}"): ("error", f"network.service not collected ({rid}): {why}") for c in SERVICE_CONTROLS},
    }


# Limits: each file is refused at the position of the offending construct, in well under a second.
def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path, capsys):
    path = DATA / "broken" / "deep-nesting.xml"  # 5,000 nested <table> in a script: RecursionError before
    started = time.monotonic()
    rc = govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(tmp_path / "g.db"))
    err = capsys.readouterr().err
    assert rc == 2 and time.monotonic() - started < 5
    assert err.strip() == (f"govscan: error: {path}:14:593: elements nested more than {xmlparse.MAX_DEPTH} deep: "
                           "not nmap output (refusing a possible resource-exhaustion attack)")


def test_a_200_mb_attribute_is_refused_after_one_mib(tmp_path, capsys):
    path = tmp_path / "huge-attribute.xml"
    head = (DATA / "nmap-7.93-p80.xml").read_bytes().split(b"<host ")[0]
    with path.open("wb") as fh:
        fh.write(head + b'<host comment="')
        block = b"A" * (1 << 20)
        for _ in range(200):
            fh.write(block)
        fh.write(b'"></host></nmaprun>\n')
    started = time.monotonic()
    rc = govscan("scan", f"nmap-xml:{path}", "-p", "network-baseline", "--db", str(tmp_path / "g.db"))
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert rc == 2 and elapsed < 2, elapsed
    assert err.strip() == (f"govscan: error: {path}:9:1: more than {xmlparse.MAX_TOKEN_BYTES} bytes in one tag or "
                           "text (an attribute value or text nmap never writes): refusing a possible "
                           "resource-exhaustion attack")


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, capsys):
    path = tmp_path / "sparse.xml"
    with path.open("wb") as fh:  # sparse: no disk used, nothing read
        fh.truncate(xmlparse.MAX_FILE_BYTES + 1)
    started = time.monotonic()
    rc = govscan("scan", f"nmap-xml:{path}", "-c", "net-no-telnet", "--db", str(tmp_path / "g.db"))
    err = capsys.readouterr().err
    assert rc == 2 and time.monotonic() - started < 2
    assert err.strip() == (f"govscan: error: {path}:1:1: {xmlparse.MAX_FILE_BYTES + 1} bytes is larger than "
                           f"{xmlparse.MAX_FILE_BYTES} bytes, the most govscan reads from one nmap XML file: "
                           "split the scan")


def test_too_many_hosts_is_refused_at_the_first_extra_host(tmp_path, capsys):
    path = tmp_path / "many.xml"
    host = b'<host><status state="down" reason="no-response"/><address addr="10.0.0.1" addrtype="ipv4"/></host>\n'
    with path.open("wb") as fh:
        fh.write(b'<?xml version="1.0"?>\n<nmaprun version="7.93">\n')
        fh.write(host * (xmlparse.MAX_HOSTS + 1))
        fh.write(b'<runstats><finished exit="success"/></runstats></nmaprun>\n')
    started = time.monotonic()
    rc = govscan("scan", f"nmap-xml:{path}", "-c", "net-no-telnet", "--db", str(tmp_path / "g.db"))
    err = capsys.readouterr().err
    assert rc == 2 and time.monotonic() - started < 30
    line = xmlparse.MAX_HOSTS + 3
    assert err.strip() == (f"govscan: error: {path}:{line}:1: more than {xmlparse.MAX_HOSTS} <host> elements: split "
                           "the scan into several files (or targets with networks:)")
