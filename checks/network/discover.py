"""``govscan inventory discover``: find live hosts with nmap and write them as an inventory.

The network provider adds this command to the ``inventory`` group (:meth:`NetworkProvider.commands`).

Hosts with an open SSH port become ``ssh://`` targets a host scan can use (one entry per SSH port,
with ``ssh_ports`` listing them all); live hosts without SSH are listed as ``nmap://`` targets so a
network scan still covers them.

Names learned from the network (reverse DNS, nmap's hostnames) are whatever the owner of a PTR
record says: they are written as ``label`` (shown to people, matched by nothing), never as ``name``,
which waivers match on and only an operator writes.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from scanner.cli.common import guarded

SSH_PORTS = "22,2222"


@click.command()
@click.argument("network", required=False)
@click.option("--from-xml", "from_xml", type=click.Path(dir_okay=False), default=None,
              help="Read the hosts from an existing nmap XML file instead of scanning (NETWORK then filters them).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="-", show_default=True,
              help="Inventory YAML to write ('-' for stdout).")
@click.option("--ports", default=SSH_PORTS, show_default=True, help="TCP ports to probe (nmap -p syntax).")
@click.option("--timing", default="4", show_default=True, help="nmap timing template 0-5.")
@click.option("--host-timeout", default="2m", show_default=True, help="Give up on a host after this long.")
@click.option("--user", default=None, help="SSH user to put in the ssh:// targets.")
@click.option("--zone", default="discovered", show_default=True, help="Group (zone) name for the hosts.")
@guarded
def discover(network: str | None, from_xml: str | None, output: str, ports: str, timing: str, host_timeout: str,
             user: str | None, zone: str) -> None:
    """Scan NETWORK (a CIDR, address or host list a,b,c) and write the live hosts as an inventory.

    \b
    Examples:
      govscan inventory discover 192.0.2.0/28 -o inventory.yaml
      govscan inventory discover 10.1.2.0/24 --ports 22,2222,22022 --user audit -o dmz.yaml
      govscan inventory discover --from-xml scan.xml -o inventory.yaml
    """
    import yaml

    from checks.network.runner import ScanError, ScanOptions, scan, validate_host
    from scanner.errors import ScanFailed

    hosts = [validate_host(h) for h in (network or "").split(",") if h.strip()]
    if from_xml:
        from checks.network.provider import in_networks
        from checks.network.xmlparse import parse_file

        run = parse_file(from_xml)  # InputFileError: exit 2 with file:line:col
        nets = tuple(h if "/" in h else f"{h}/{32 if ':' not in h else 128}" for h in hosts)
        found = [h for h in run.hosts if not h["problems"] and in_networks(h["address"], nets)]
        source = f"nmap XML {from_xml}"
    else:
        if not hosts:
            raise click.UsageError("give a network to discover, e.g. 192.0.2.0/28 (or --from-xml FILE)")
        options = ScanOptions.from_inputs({"ports": ports, "timing": timing, "host_timeout": host_timeout})
        try:
            run, _ = scan(hosts, options, scripts=False)
        except ScanError as exc:
            raise ScanFailed(str(exc)) from None
        found = run.hosts
        source = str(network)
    doc = build_inventory(found, source, zone, user)
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)
    if output == "-":
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    up = sum(1 for h in found if h["state"] == "up")
    ssh = sum(1 for t in doc["groups"][zone]["targets"] if t["target"].startswith("ssh://"))
    click.echo(f"{up} live host(s), {ssh} SSH target(s) written to {output if output != '-' else 'stdout'}",
               err=True)
    sys.exit(0)


def build_inventory(hosts: list[dict[str, Any]], network: str, zone: str, user: str | None) -> dict[str, Any]:
    """The inventory document (plain data) for the hosts nmap found up."""
    targets: list[Any] = []
    for host in hosts:
        if host["state"] != "up":
            continue
        ssh_ports = sorted(p["portid"] for p in host["ports"]
                           if p["state"] == "open" and (p["service"] or {}).get("name") == "ssh")
        # a reverse-DNS name is a label, never the name waivers match on (see the module docstring)
        label = {"label": str(host["hostnames"][0])[:253]} if host["hostnames"] else {}
        for port in ssh_ports:
            who = f"{user}@" if user else ""
            targets.append({"target": f"ssh://{who}{host['address']}:{port}", **label, "ssh_ports": ssh_ports})
        if not ssh_ports:
            targets.append({"target": f"nmap://{host['address']}", **label})
    return {
        "apiVersion": "govscan/v1",
        "kind": "Inventory",
        "metadata": {"generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "source": f"govscan inventory discover {network}"},
        "groups": {zone: {"vars": {"zone": zone}, "targets": targets}},
    }
