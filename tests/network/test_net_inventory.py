"""``govscan inventory discover``: live hosts with their SSH ports, as an inventory scans can load."""

from __future__ import annotations

import datetime as dt

import yaml
from nethelp import DATA, findings, govscan

from scanner import inventory


def test_discover_marks_ssh_ports_and_loads_as_inventory(services, tmp_path, capsys):
    out = tmp_path / "inv.yaml"
    ports = f"{services.weak_ssh},{services.strong_ssh},{services.plain_http}"
    rc = govscan("inventory", "discover", "127.0.0.1", "--ports", ports, "--user", "audit", "--zone", "lab",
                 "-o", str(out))
    assert rc == 0
    assert capsys.readouterr().err.strip() == f"1 live host(s), 2 SSH target(s) written to {out}"
    doc = yaml.safe_load(out.read_text())
    ssh_ports = sorted([services.weak_ssh, services.strong_ssh])
    # nmap runs with -n (no reverse DNS): no label; and never a name, which only an operator writes
    assert doc["groups"]["lab"] == {"vars": {"zone": "lab"}, "targets": [
        {"target": f"ssh://audit@127.0.0.1:{p}", "ssh_ports": ssh_ports} for p in ssh_ports]}
    entries, _ = inventory.load(out)  # the engine's own loader accepts what discover wrote
    assert [(e.spec, e.options["zone"], e.options["ssh_ports"]) for e in entries] == [
        (f"ssh://audit@127.0.0.1:{p}", "lab", ssh_ports) for p in ssh_ports]


def test_discover_refuses_a_bad_network(capsys):
    assert govscan("inventory", "discover", "127.0.0.1;reboot") == 2
    assert capsys.readouterr().err.strip() == ("govscan: error: nmap target '127.0.0.1;reboot': expected an IP "
                                               "address, a CIDR (192.0.2.0/28) or a host name")


WAIVER = """apiVersion: govscan/v1
kind: Waiver
metadata: {id: WVR-DB01, title: db01 keeps its legacy telnet console}
controls: [net-no-telnet]
match: {hosts: [db01.agency.example]}
type: operational-requirement
justification: Console server on an isolated management VLAN.
approved_by: {name: Jane Roe, role: AO, date: 2026-01-01}
expires: 2099-01-01
"""


def test_a_ptr_name_from_the_network_never_picks_up_another_hosts_waiver(services, tmp_path, capsys):
    """Issue 9: the attacker controls 127.0.0.1's PTR record and names it after db01, which has a waiver.

    ``inventory discover --from-xml`` of that scan writes the PTR name as a label; scanning the
    inventory, the telnet failure on 127.0.0.1 stays ``fail`` (exit 1). The same waiver does apply
    when an operator names the target db01 in the inventory: what a waiver matches is the operator's.
    """
    xml = tmp_path / "scan.xml"
    xml.write_text((DATA / "nmap-7.93-p80.xml").read_text().replace(
        '<hostname name="localhost" type="PTR"/>', '<hostname name="db01.agency.example" type="PTR"/>'))
    waivers = tmp_path / "waivers.yaml"
    today = dt.date.today()
    waivers.write_text(WAIVER.replace("2026-01-01", today.isoformat())
                       .replace("2099-01-01", (today + dt.timedelta(days=90)).isoformat()))
    inv = tmp_path / "discovered.yaml"
    assert govscan("inventory", "discover", "--from-xml", str(xml), "-o", str(inv)) == 0
    assert yaml.safe_load(inv.read_text())["groups"]["discovered"]["targets"] == [
        {"target": "nmap://127.0.0.1", "label": "db01.agency.example"}]
    db = tmp_path / "g.db"
    # ports is a scan option, declared as an input of net-only-approved-ports: select it too
    scan = ("scan", "-c", "net-no-telnet", "-c", "net-only-approved-ports", "--input", f"ports={services.telnet}",
            "-w", str(waivers), "-q", "--gate", "low")
    assert govscan(*scan, "-i", str(inv), "--db", str(db)) == 1
    [row] = [r for r in findings(db) if r["control_id"] == "net-no-telnet"]
    assert (row["status"], row["waiver_id"], row["message"]) == (
        "fail", None, f"127.0.0.1: telnet open on {services.telnet}/tcp (Linux telnetd)")
    # the operator's own name for the target is what a waiver matches
    named = tmp_path / "named.yaml"
    named.write_text("apiVersion: govscan/v1\nkind: Inventory\ntargets:\n"
                     "  - {target: nmap://127.0.0.1, name: db01.agency.example}\n")
    db2 = tmp_path / "g2.db"
    assert govscan(*scan, "-i", str(named), "--db", str(db2)) == 1  # net-only-approved-ports still fails
    [row] = [r for r in findings(db2) if r["control_id"] == "net-no-telnet"]
    assert (row["status"], row["waiver_id"]) == ("waived", "WVR-DB01")
