"""EC2 and VPC collectors: security groups, network ACLs, instances, volumes, VPCs, region settings."""

from __future__ import annotations

from typing import Any, Iterable

from checks.aws.api import Api
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.provider import ResourceType

# Ports for which "open to the world" is computed; controls pick theirs from this list (an input
# whose `allowed` is this list, so the lint rejects a port nothing computes).
WATCHED_PORTS = (20, 21, 22, 23, 25, 110, 135, 137, 139, 143, 445, 1433, 1521, 2375, 2376, 3306, 3389,
                 5432, 5601, 5900, 5985, 5986, 6379, 7199, 8888, 9042, 9092, 9200, 9300, 11211, 27017)
WORLD = {"ipv4": "0.0.0.0/0", "ipv6": "::/0"}

_OPEN = tuple(
    A(f"world_open_ports_{fam}", "list", f"watched TCP ports reachable from {cidr} ({', '.join(map(str, WATCHED_PORTS[:6]))}...)")
    for fam, cidr in WORLD.items()
) + tuple(A(f"world_all_traffic_{fam}", "boolean", f"all protocols and ports allowed from {cidr}")
          for fam, cidr in WORLD.items())

TYPES = (
    ResourceType(
        "aws.ec2.security_group", "A VPC security group and the ports it opens to the internet.",
        (A("GroupId", "string", "sg id"), A("GroupName", "string", "name"), A("VpcId", "string", "VPC"),
         A("IpPermissions", "list", "ingress rules"), A("IpPermissionsEgress", "list", "egress rules"),
         A("is_default", "boolean", "the VPC's default security group")) + _OPEN,
        ("ec2:DescribeSecurityGroups",),
    ),
    ResourceType(
        "aws.ec2.network_acl", "A VPC network ACL and the ports its ingress entries open to the internet.",
        (A("NetworkAclId", "string", "acl id"), A("VpcId", "string", "VPC"),
         A("IsDefault", "boolean", "the VPC's default ACL"), A("Entries", "list", "ACL entries")) + _OPEN,
        ("ec2:DescribeNetworkAcls",),
    ),
    ResourceType(
        "aws.ec2.instance", "An EC2 instance: metadata service options, public address, profile.",
        (A("InstanceId", "string", "instance id"), A("State", "string", "running, stopped..."),
         A("MetadataOptions", "map", "HttpTokens, HttpEndpoint..."),
         A("imdsv2_required", "boolean", "HttpTokens is required or the metadata endpoint is disabled"),
         A("PublicIpAddress", "string", "public IPv4 address; null when none"),
         A("has_public_ip", "boolean", "the instance has a public IPv4 address"),
         A("IamInstanceProfile", "map", "instance profile; null when none"),
         A("VpcId", "string", "VPC"), A("Tags", "map", "tags as {key: value}")),
        ("ec2:DescribeInstances",),
    ),
    ResourceType(
        "aws.ec2.volume", "An EBS volume.",
        (A("VolumeId", "string", "volume id"), A("Encrypted", "boolean", "encrypted at rest"),
         A("KmsKeyId", "string", "KMS key"), A("State", "string", "in-use, available..."),
         A("Tags", "map", "tags as {key: value}")),
        ("ec2:DescribeVolumes",),
    ),
    ResourceType(
        "aws.ec2.region_settings", "Per-region EC2 account settings.",
        (A("Region", "string", "region"),
         A("EbsEncryptionByDefault", "boolean", "new EBS volumes are encrypted by default")),
        ("ec2:GetEbsEncryptionByDefault",),
    ),
    ResourceType(
        "aws.vpc", "A VPC with its flow logs.",
        (A("VpcId", "string", "vpc id"), A("IsDefault", "boolean", "the region's default VPC"),
         A("CidrBlock", "string", "primary CIDR"), A("FlowLogs", "list", "flow logs on the VPC"),
         A("flow_logs_enabled", "boolean", "an active flow log exists for the VPC")),
        ("ec2:DescribeVpcs", "ec2:DescribeFlowLogs"),
    ),
)


def _tags(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def _covers(proto: str, lo: Any, hi: Any, port: int) -> bool:
    if proto in ("-1", "all"):
        return True
    if proto not in ("tcp", "6"):
        return False
    lo = -1 if lo is None else int(lo)
    hi = 65536 if hi is None else int(hi)
    return lo <= port <= hi or lo == -1


def _sg_exposure(perms: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fam, cidr in WORLD.items():
        ranges_key, cidr_key = ("IpRanges", "CidrIp") if fam == "ipv4" else ("Ipv6Ranges", "CidrIpv6")
        world = [p for p in perms if any(r.get(cidr_key) == cidr for r in p.get(ranges_key) or [])]
        out[f"world_all_traffic_{fam}"] = any(str(p.get("IpProtocol")) == "-1" for p in world)
        out[f"world_open_ports_{fam}"] = sorted(
            port for port in WATCHED_PORTS
            if any(_covers(str(p.get("IpProtocol")), p.get("FromPort"), p.get("ToPort"), port) for p in world))
    return out


def _acl_exposure(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Which watched ports the first matching world ingress entry (by rule number) allows."""
    out: dict[str, Any] = {}
    ingress = sorted((e for e in entries if not e.get("Egress")), key=lambda e: e.get("RuleNumber", 0))
    for fam, cidr in WORLD.items():
        key = "CidrBlock" if fam == "ipv4" else "Ipv6CidrBlock"
        world = [e for e in ingress if e.get(key) == cidr]

        def allowed(port: int | None) -> bool:
            for e in world:
                rng = e.get("PortRange") or {}
                proto = str(e.get("Protocol"))
                hit = proto == "-1" if port is None else _covers(proto, rng.get("From"), rng.get("To"), port)
                if hit:
                    return e.get("RuleAction") == "allow"
            return False

        out[f"world_all_traffic_{fam}"] = allowed(None)
        out[f"world_open_ports_{fam}"] = [p for p in WATCHED_PORTS if allowed(p)]
    return out


def collect_security_groups(api: Api, region: str | None) -> list[Resource]:
    out = []
    for sg in api.list("ec2", region, "DescribeSecurityGroups", "SecurityGroups"):
        arn = api.arn("ec2", region, f"security-group/{sg['GroupId']}")
        attrs = {"GroupId": sg["GroupId"], "GroupName": sg.get("GroupName"), "VpcId": sg.get("VpcId"),
                 "Description": sg.get("Description"), "IpPermissions": sg.get("IpPermissions") or [],
                 "IpPermissionsEgress": sg.get("IpPermissionsEgress") or [],
                 "is_default": sg.get("GroupName") == "default", "Tags": _tags(sg.get("Tags")),
                 **_sg_exposure(sg.get("IpPermissions") or [])}
        out.append(Resource(arn, "aws.ec2.security_group", attrs, region=region))
    return out


def collect_network_acls(api: Api, region: str | None) -> list[Resource]:
    out = []
    for acl in api.list("ec2", region, "DescribeNetworkAcls", "NetworkAcls"):
        arn = api.arn("ec2", region, f"network-acl/{acl['NetworkAclId']}")
        attrs = {"NetworkAclId": acl["NetworkAclId"], "VpcId": acl.get("VpcId"),
                 "IsDefault": bool(acl.get("IsDefault")), "Entries": acl.get("Entries") or [],
                 **_acl_exposure(acl.get("Entries") or [])}
        out.append(Resource(arn, "aws.ec2.network_acl", attrs, region=region))
    return out


def collect_instances(api: Api, region: str | None) -> list[Resource]:
    out = []
    for res in api.list("ec2", region, "DescribeInstances", "Reservations"):
        for inst in res.get("Instances") or []:
            meta = inst.get("MetadataOptions") or {}
            arn = api.arn("ec2", region, f"instance/{inst['InstanceId']}")
            attrs = {"InstanceId": inst["InstanceId"], "State": (inst.get("State") or {}).get("Name"),
                     "MetadataOptions": meta,
                     "imdsv2_required": meta.get("HttpTokens") == "required"
                     or meta.get("HttpEndpoint") == "disabled",
                     "PublicIpAddress": inst.get("PublicIpAddress"),
                     "has_public_ip": bool(inst.get("PublicIpAddress")),
                     "IamInstanceProfile": inst.get("IamInstanceProfile"), "VpcId": inst.get("VpcId"),
                     "Tags": _tags(inst.get("Tags"))}
            out.append(Resource(arn, "aws.ec2.instance", attrs, region=region))
    return out


def collect_volumes(api: Api, region: str | None) -> list[Resource]:
    out = []
    for vol in api.list("ec2", region, "DescribeVolumes", "Volumes"):
        arn = api.arn("ec2", region, f"volume/{vol['VolumeId']}")
        attrs = {"VolumeId": vol["VolumeId"], "Encrypted": bool(vol.get("Encrypted")),
                 "KmsKeyId": vol.get("KmsKeyId"), "State": vol.get("State"), "Tags": _tags(vol.get("Tags"))}
        out.append(Resource(arn, "aws.ec2.volume", attrs, region=region))
    return out


def collect_region_settings(api: Api, region: str | None) -> list[Resource]:
    got = api.call("ec2", region, "GetEbsEncryptionByDefault")
    rid = f"{api.account}/{region}/ebs-encryption-by-default"
    attrs = {"Region": region, "EbsEncryptionByDefault": bool(got.get("EbsEncryptionByDefault"))}
    return [Resource(rid, "aws.ec2.region_settings", attrs, region=region)]


def collect_vpcs(api: Api, region: str | None) -> list[Resource]:
    vpcs = api.list("ec2", region, "DescribeVpcs", "Vpcs")
    if not vpcs:
        return []
    logs = api.list("ec2", region, "DescribeFlowLogs", "FlowLogs")
    out = []
    for vpc in vpcs:
        mine = [f for f in logs if f.get("ResourceId") == vpc["VpcId"]]
        arn = api.arn("ec2", region, f"vpc/{vpc['VpcId']}")
        attrs = {"VpcId": vpc["VpcId"], "IsDefault": bool(vpc.get("IsDefault")),
                 "CidrBlock": vpc.get("CidrBlock"),
                 "FlowLogs": [{k: f.get(k) for k in ("FlowLogId", "FlowLogStatus", "TrafficType",
                                                     "LogDestinationType")} for f in mine],
                 "flow_logs_enabled": any(f.get("FlowLogStatus") == "ACTIVE" for f in mine),
                 "Tags": _tags(vpc.get("Tags"))}
        out.append(Resource(arn, "aws.vpc", attrs, region=region))
    return out


COLLECTORS = {
    "aws.ec2.security_group": (collect_security_groups, True),
    "aws.ec2.network_acl": (collect_network_acls, True),
    "aws.ec2.instance": (collect_instances, True),
    "aws.ec2.volume": (collect_volumes, True),
    "aws.ec2.region_settings": (collect_region_settings, True),
    "aws.vpc": (collect_vpcs, True),
}
