"""``govscan inventory discover``: live hosts with their SSH ports, as an inventory scans can load."""

from __future__ import annotations

import yaml
from nethelp import govscan

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
    assert doc["groups"]["lab"] == {"vars": {"zone": "lab"}, "targets": [
        {"target": f"ssh://audit@127.0.0.1:{p}", "name": "127.0.0.1", "ssh_ports": ssh_ports} for p in ssh_ports]}
    entries, _ = inventory.load(out)  # the engine's own loader accepts what discover wrote
    assert [(e.spec, e.options["zone"], e.options["ssh_ports"]) for e in entries] == [
        (f"ssh://audit@127.0.0.1:{p}", "lab", ssh_ports) for p in ssh_ports]


def test_discover_refuses_a_bad_network(capsys):
    assert govscan("inventory", "discover", "127.0.0.1;reboot") == 2
    assert capsys.readouterr().err.strip() == ("govscan: error: nmap target '127.0.0.1;reboot': expected an IP "
                                               "address, a CIDR (192.0.2.0/28) or a host name")
