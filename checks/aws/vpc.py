"""VPC collectors: subnets, VPC endpoints and peering connections (with the routes that use them)."""

from __future__ import annotations

import ipaddress
from typing import Any

from checks.aws.api import Api
from checks.aws.ec2_reach import igw_route, route_table_of
from checks.aws.kind import AwsKind
from checks.aws.policy_public import public_statements
from checks.aws.session import ApiFailure
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources


def _tags(items: Any) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def collect_subnets(api: Api, region: str | None) -> list[Resource]:
    subnets = api.list("ec2", region, "DescribeSubnets", "Subnets")
    tables, reason = None, None
    if api.wants("aws.vpc.subnet", "internet_gateway_route"):
        try:
            tables = api.list("ec2", region, "DescribeRouteTables", "RouteTables")
        except ApiFailure as failure:
            reason = str(failure)
    out = []
    for sn in subnets:
        attrs: dict[str, Any] = {k: sn.get(k) for k in ("SubnetId", "VpcId", "CidrBlock", "AvailabilityZone",
                                                        "MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation",
                                                        "DefaultForAz")}
        attrs["Tags"] = _tags(sn.get("Tags"))
        lost = {}
        if not isinstance(sn.get("MapPublicIpOnLaunch"), bool):
            lost["MapPublicIpOnLaunch"] = "DescribeSubnets gave no MapPublicIpOnLaunch"
        if tables is not None:
            table = route_table_of(tables, sn["SubnetId"], sn.get("VpcId"))
            attrs["internet_gateway_route"] = igw_route(table, "ipv4")
        elif reason:
            lost["internet_gateway_route"] = reason
        arn = api.arn("ec2", region, f"subnet/{sn['SubnetId']}")
        out.append(Resource(arn, "aws.vpc.subnet", attrs, region=region, attr_errors=lost))
    return out


def collect_endpoints(api: Api, region: str | None) -> list[Resource]:
    out = []
    for ep in api.list("ec2", region, "DescribeVpcEndpoints", "VpcEndpoints"):
        attrs: dict[str, Any] = {k: ep.get(k) for k in ("VpcEndpointId", "VpcId", "ServiceName", "VpcEndpointType",
                                                        "State", "PolicyDocument")}
        attrs["Tags"] = _tags(ep.get("Tags"))
        lost = {}
        if ep.get("PolicyDocument") is not None:
            public = public_statements(ep["PolicyDocument"])
            attrs["public_statements"] = public
            attrs["policy_public"] = None if public is None else bool(public)
            if public is None:
                lost = dict.fromkeys(("public_statements", "policy_public"), unknown_reason("the endpoint policy"))
        out.append(Resource(api.arn("ec2", region, f"vpc-endpoint/{ep['VpcEndpointId']}"), "aws.vpc.endpoint",
                            attrs, region=region, attr_errors=lost))
    return out


def _blocks(info: dict[str, Any]) -> list[str]:
    blocks = [info.get("CidrBlock")] + [b.get("CidrBlock") for b in info.get("CidrBlockSet") or []]
    blocks += [b.get("Ipv6CidrBlock") for b in info.get("Ipv6CidrBlockSet") or []]
    return list(dict.fromkeys(b for b in blocks if b))


def _covers(dest: str, blocks: list[str]) -> bool:
    try:
        net = ipaddress.ip_network(dest, strict=False)
        return any(net.version == (b := ipaddress.ip_network(c, strict=False)).version
                   and net.supernet_of(b) for c in blocks)  # type: ignore[arg-type]
    except ValueError:
        return True  # an unreadable destination is not shown to be narrow


def collect_peering(api: Api, region: str | None) -> list[Resource]:
    conns = api.list("ec2", region, "DescribeVpcPeeringConnections", "VpcPeeringConnections")
    routes_wanted = api.wants("aws.vpc.peering_connection", "peering_routes", "whole_vpc_routes")
    tables: list[dict[str, Any]] = []
    lost: dict[str, str] = {}
    if conns and routes_wanted:
        try:
            tables = api.list("ec2", region, "DescribeRouteTables", "RouteTables")
        except ApiFailure as failure:
            lost = dict.fromkeys(("peering_routes", "whole_vpc_routes"), str(failure))
    out = []
    for pc in conns:
        pid = pc["VpcPeeringConnectionId"]
        req, acc = pc.get("RequesterVpcInfo") or {}, pc.get("AccepterVpcInfo") or {}
        attrs: dict[str, Any] = {"VpcPeeringConnectionId": pid, "Status": (pc.get("Status") or {}).get("Code"),
                                 "RequesterVpcId": req.get("VpcId"), "AccepterVpcId": acc.get("VpcId"),
                                 "RequesterCidrBlocks": _blocks(req), "AccepterCidrBlocks": _blocks(acc),
                                 "Tags": _tags(pc.get("Tags"))}
        if routes_wanted and not lost:
            blocks = _blocks(req) + _blocks(acc)
            routes = [{"route_table": t.get("RouteTableId"),
                       "destination": r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock")
                       or r.get("DestinationPrefixListId")}
                      for t in tables for r in t.get("Routes") or [] if r.get("VpcPeeringConnectionId") == pid]
            attrs["peering_routes"] = routes
            attrs["whole_vpc_routes"] = [r for r in routes if _covers(str(r["destination"]), blocks)]
        out.append(Resource(api.arn("ec2", region, f"vpc-peering-connection/{pid}"), "aws.vpc.peering_connection",
                            attrs, region=region, attr_errors=lost))
    return out


@resources.register("aws.vpc.subnet")
class VpcSubnet(AwsKind):
    description = "A VPC subnet: public address assignment and its route to an internet gateway."
    attributes = (A("SubnetId", "string", "subnet id"), A("VpcId", "string", "VPC"), A("CidrBlock", "string", "CIDR"),
                  A("AvailabilityZone", "string", "zone"),
                  A("MapPublicIpOnLaunch", "boolean", "instances launched here get a public IPv4 address"),
                  A("AssignIpv6AddressOnCreation", "boolean", "network interfaces get an IPv6 address"),
                  A("DefaultForAz", "boolean", "the default subnet of its zone (default VPC)"),
                  A("internet_gateway_route", "map", "the route of its route table (explicit, else the VPC's "
                    "main table) sending 0.0.0.0/0 to an internet gateway: {route_table, destination, gateway}; "
                    "null when none"),
                  A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeSubnets", "ec2:DescribeRouteTables")
    build = staticmethod(collect_subnets)


@resources.register("aws.vpc.endpoint")
class VpcEndpoint(AwsKind):
    description = "A VPC endpoint and its endpoint policy."
    attributes = (A("VpcEndpointId", "string", "endpoint id"), A("VpcId", "string", "VPC"),
                  A("ServiceName", "string", "com.amazonaws.<region>.s3..."),
                  A("VpcEndpointType", "string", "Gateway, Interface, GatewayLoadBalancer..."),
                  A("State", "string", "available..."), A("PolicyDocument", "string", "the endpoint policy (JSON); "
                    "absent for endpoint types that take none"),
                  A("public_statements", "list", "Sids (or #index) of Allow statements for every principal that "
                    "no condition narrows to known accounts, organisations, networks or sources"),
                  A("policy_public", "boolean", "public_statements is not empty"),
                  A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeVpcEndpoints",)
    build = staticmethod(collect_endpoints)


@resources.register("aws.vpc.peering_connection")
class VpcPeeringConnection(AwsKind):
    description = "A VPC peering connection and the routes of this account's route tables that use it."
    attributes = (A("VpcPeeringConnectionId", "string", "pcx id"), A("Status", "string", "active, pending-acceptance..."),
                  A("RequesterVpcId", "string", "requester VPC"), A("AccepterVpcId", "string", "accepter VPC"),
                  A("RequesterCidrBlocks", "list", "the requester VPC's CIDR blocks"),
                  A("AccepterCidrBlocks", "list", "the accepter VPC's CIDR blocks"),
                  A("peering_routes", "list", "routes through the connection: {route_table, destination}"),
                  A("whole_vpc_routes", "list", "those whose destination covers a whole VPC CIDR block of "
                    "either side (or more, such as 0.0.0.0/0)"),
                  A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeVpcPeeringConnections", "ec2:DescribeRouteTables")
    build = staticmethod(collect_peering)
