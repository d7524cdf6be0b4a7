"""Derived EC2 instance attributes: internet reachability, age, stop time.

An instance is reachable from the internet over a family (IPv4, IPv6) when three things hold at
once: it has a public address of that family, the union of its security groups' ingress rules
opens something to the whole address space (``exposure.sg_exposure``: ``/0`` or ranges covering
it), and the route table of its subnet (the explicitly associated one, else the VPC's main table)
sends the whole address space to an internet gateway (a ``0.0.0.0/0`` route, or routes whose
destinations together cover it). Network ACLs are not considered: they can only narrow what is
reported (the control may over-report, never under-report).
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from checks.aws.api import Api
from checks.aws.exposure import FAMILIES, WORLD, open_inputs, port_inputs, ports_of_interest, sg_exposure
from checks.aws.session import ApiFailure

REACH_ATTRS = ("internet_reachable", "internet_reachable_ipv4", "internet_reachable_ipv6", "internet_exposure",
               "reachable_ports_ipv4", "reachable_ports_ipv6", "reachable_ports_checked", "reachable_inputs",
               "internet_route")
_STOPPED = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")


def iso(value: Any) -> str | None:
    """A boto3 timestamp (datetime) or text as ISO 8601 text; None when absent."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    return str(value)


def stopped_since(inst: Mapping[str, Any]) -> str | None:
    """When a stopped instance stopped, from StateTransitionReason "User initiated (2024-01-02 03:04:05 GMT)"."""
    match = _STOPPED.search(str(inst.get("StateTransitionReason") or ""))
    if not match:
        return None
    try:
        when = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return when.isoformat()


def covers_world(cidrs: Iterable[str], family: str) -> bool:
    nets = []
    for c in cidrs:
        try:
            net = ipaddress.ip_network(c, strict=False)
        except ValueError:
            continue
        if f"ipv{net.version}" == family:
            nets.append(net)
    return [str(n) for n in ipaddress.collapse_addresses(nets)] == [WORLD[family]]  # type: ignore[type-var]


def igw_route(table: Mapping[str, Any] | None, family: str) -> dict[str, Any] | None:
    """The route(s) of ``table`` sending the whole ``family`` space to an internet gateway, or None."""
    if not table:
        return None
    key = "DestinationCidrBlock" if family == "ipv4" else "DestinationIpv6CidrBlock"
    routes = [r for r in table.get("Routes") or []
              if str(r.get("GatewayId") or "").startswith("igw-") and r.get("State", "active") == "active"
              and r.get(key)]
    if not covers_world((r[key] for r in routes), family):
        return None
    whole = [r for r in routes if r[key] == WORLD[family]] or routes
    return {"route_table": table.get("RouteTableId"), "destination": ", ".join(r[key] for r in whole),
            "gateway": ", ".join(sorted({r["GatewayId"] for r in whole}))}


def route_table_of(tables: list[dict[str, Any]], subnet: str | None, vpc: str | None) -> dict[str, Any] | None:
    """The subnet's explicitly associated route table, else the VPC's main one."""
    for t in tables:
        if any(a.get("SubnetId") == subnet for a in t.get("Associations") or []) and subnet:
            return t
    for t in tables:
        if t.get("VpcId") == vpc and any(a.get("Main") for a in t.get("Associations") or []):
            return t
    return None


def _rule_text(row: Mapping[str, Any]) -> str:
    proto = row.get("protocol")
    if proto == "-1":
        return "all traffic"
    if row.get("from") is None:
        return f"protocol {proto}"
    lo, hi = row.get("from"), row.get("to")
    return f"{proto} {lo}" if lo == hi else f"{proto} {lo}-{hi}"


def _interfaces(inst: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each network interface as {addresses per family, subnet, groups}; the instance's own fields when
    DescribeInstances lists no interface. Every interface counts: a secondary one with an Elastic IP in
    another subnet exposes the instance as much as the primary."""
    enis = inst.get("NetworkInterfaces") or []
    if not enis:
        return [{"ipv4": [inst["PublicIpAddress"]] if inst.get("PublicIpAddress") else [], "ipv6": [],
                 "subnet": inst.get("SubnetId"), "groups": [g.get("GroupId") for g in inst.get("SecurityGroups") or []]}]
    out = []
    for eni in enis:
        v4 = [(eni.get("Association") or {}).get("PublicIp")]
        if (eni.get("Attachment") or {}).get("DeviceIndex") == 0 or len(enis) == 1:
            v4.append(inst.get("PublicIpAddress"))
        v6 = [a.get("Ipv6Address") for a in eni.get("Ipv6Addresses") or []]
        out.append({"ipv4": sorted({a for a in v4 if a}), "ipv6": sorted({a for a in v6 if a}),
                    "subnet": eni.get("SubnetId") or inst.get("SubnetId"),
                    "groups": [g.get("GroupId") for g in eni.get("Groups") or []]})
    return out


def reachability(api: Api, region: str | None, inst: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The instance's reachability attributes, or ({}, reason) when they cannot be known."""
    try:
        groups = {g["GroupId"]: g for g in api.list("ec2", region, "DescribeSecurityGroups", "SecurityGroups")}
        tables = api.list("ec2", region, "DescribeRouteTables", "RouteTables")
    except ApiFailure as failure:
        return {}, str(failure)
    enis = _interfaces(inst)
    missing = sorted({g for e in enis for g in e["groups"] if g not in groups})
    if missing:
        return {}, f"security group {missing[0]} of the instance is not in DescribeSecurityGroups"
    ports = ports_of_interest(api.inputs)
    out: dict[str, Any] = {"reachable_ports_checked": list(ports), "internet_exposure": [], "internet_route": None}
    open_ports: dict[str, set[int]] = {fam: set() for fam in FAMILIES}
    for eni in enis:
        exposure = sg_exposure([p for g in dict.fromkeys(eni["groups"]) for p in groups[g].get("IpPermissions") or []],
                               ports)
        table = route_table_of(tables, eni["subnet"], inst.get("VpcId"))
        for fam in FAMILIES:
            rules = [r for r in exposure["world_open_rules"] if r["family"] == fam]
            route = igw_route(table, fam)
            if not (eni[fam] and rules and route):
                continue
            open_ports[fam].update(exposure[f"world_open_ports_{fam}"])
            out["internet_route"] = out["internet_route"] or route
            out["internet_exposure"].append({
                "family": fam, "address": ", ".join(eni[fam]),
                "open": ", ".join(dict.fromkeys(_rule_text(r) for r in rules)),
                "route": f"{route['destination']} -> {route['gateway']} in {route['route_table']}"})
    for fam in FAMILIES:
        out[f"internet_reachable_{fam}"] = any(e["family"] == fam for e in out["internet_exposure"])
        out[f"reachable_ports_{fam}"] = sorted(open_ports[fam])
    out["internet_reachable"] = out["internet_reachable_ipv4"] or out["internet_reachable_ipv6"]
    out["reachable_inputs"] = open_inputs({f"world_open_ports_{f}": out[f"reachable_ports_{f}"] for f in FAMILIES},
                                          port_inputs(api.inputs))
    return out, None
