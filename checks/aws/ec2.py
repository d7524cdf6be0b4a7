"""EC2 and VPC collectors: security groups, network ACLs, instances, volumes, VPCs, region settings."""

from __future__ import annotations

from typing import Any, Iterable

from checks.aws.api import Api
from checks.aws.exposure import (FAMILIES, PORT_PROTOCOLS, WORLD, acl_exposure, open_inputs, port_inputs,
                                 ports_of_interest, sg_exposure)
from checks.aws.kind import AwsKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_OPEN = (
    A("world_open_rules", "list",
      "the ingress rules that open something to the whole internet, as port ranges: every rule from a /0 "
      "source, plus narrower rules whose sources together cover the whole address space (0.0.0.0/1 + "
      "128.0.0.0/1): {family: ipv4|ipv6, protocol: tcp|udp|-1 (all)|<number>, from, to (null for "
      "protocols without ports), cidr; network ACLs add rule and action}"),
    A("world_ports_checked", "list",
      "the ports world_open_ports_* were computed for: the baseline list plus every port any selected "
      "control's inputs name"),
    A("world_open_inputs", "map",
      "per port-list input of the selected controls (admin_ports, database_ports...): {ipv4: [...], "
      "ipv6: [...]}, the ports of that input reachable from the whole internet"),
) + tuple(
    A(f"world_open_ports_{proto}_{fam}", "list",
      f"checked {proto.upper()} ports reachable from every {fam.upper()} address ({WORLD[fam]}, however split)")
    for proto in PORT_PROTOCOLS for fam in FAMILIES
) + tuple(
    A(f"world_open_ports_{fam}", "list", f"checked ports reachable from every {fam.upper()} address over "
      "TCP or UDP (a rule for all protocols opens every port)")
    for fam in FAMILIES
) + tuple(
    A(f"world_all_ports_{fam}", "list", f"[all] when every protocol is allowed from {WORLD[fam]}, else the "
      "protocols (tcp, udp) whose every port 0-65535 is; empty when none")
    for fam in FAMILIES
) + tuple(A(f"world_all_traffic_{fam}", "boolean",
            f"every protocol, or every TCP or UDP port, allowed from {WORLD[fam]} (world_all_ports_{fam} not empty)")
          for fam in FAMILIES)



def _tags(items: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def _exposure(api: Api, derived: dict[str, Any]) -> dict[str, Any]:
    """The derived exposure plus, per port input of the selected controls, which of its ports are open."""
    derived["world_open_inputs"] = open_inputs(derived, port_inputs(api.inputs))
    return derived


def collect_security_groups(api: Api, region: str | None) -> list[Resource]:
    out = []
    for sg in api.list("ec2", region, "DescribeSecurityGroups", "SecurityGroups"):
        arn = api.arn("ec2", region, f"security-group/{sg['GroupId']}")
        attrs = {"GroupId": sg["GroupId"], "GroupName": sg.get("GroupName"), "VpcId": sg.get("VpcId"),
                 "Description": sg.get("Description"), "IpPermissions": sg.get("IpPermissions") or [],
                 "IpPermissionsEgress": sg.get("IpPermissionsEgress") or [],
                 "is_default": sg.get("GroupName") == "default", "Tags": _tags(sg.get("Tags")),
                 **_exposure(api, sg_exposure(sg.get("IpPermissions") or [], ports_of_interest(api.inputs)))}
        out.append(Resource(arn, "aws.ec2.security_group", attrs, region=region))
    return out


def collect_network_acls(api: Api, region: str | None) -> list[Resource]:
    out = []
    for acl in api.list("ec2", region, "DescribeNetworkAcls", "NetworkAcls"):
        arn = api.arn("ec2", region, f"network-acl/{acl['NetworkAclId']}")
        attrs = {"NetworkAclId": acl["NetworkAclId"], "VpcId": acl.get("VpcId"),
                 "IsDefault": bool(acl.get("IsDefault")), "Entries": acl.get("Entries") or [],
                 **_exposure(api, acl_exposure(acl.get("Entries") or [], ports_of_interest(api.inputs)))}
        out.append(Resource(arn, "aws.ec2.network_acl", attrs, region=region))
    return out


def _imds_mode(meta: dict[str, Any]) -> str:
    """How the instance metadata service can be reached (``unknown`` never passes)."""
    if meta.get("HttpEndpoint") == "disabled":
        return "disabled"
    if meta.get("HttpTokens") == "required":
        return "IMDSv2 required"
    return "IMDSv1 allowed" if meta.get("HttpTokens") == "optional" else "unknown"


def collect_instances(api: Api, region: str | None) -> list[Resource]:
    out = []
    for res in api.list("ec2", region, "DescribeInstances", "Reservations"):
        for inst in res.get("Instances") or []:
            meta = inst.get("MetadataOptions") or {}
            arn = api.arn("ec2", region, f"instance/{inst['InstanceId']}")
            attrs = {"InstanceId": inst["InstanceId"], "State": (inst.get("State") or {}).get("Name"),
                     "MetadataOptions": meta,
                     "imdsv2_required": _imds_mode(meta) in ("disabled", "IMDSv2 required"),
                     "imds_mode": _imds_mode(meta),
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
    # flow logs: one listing per region, only when a selected control reads them
    flows = api.wants("aws.vpc", "FlowLogs", "flow_logs_enabled")
    logs = api.list("ec2", region, "DescribeFlowLogs", "FlowLogs") if flows else []
    out = []
    for vpc in vpcs:
        arn = api.arn("ec2", region, f"vpc/{vpc['VpcId']}")
        attrs = {"VpcId": vpc["VpcId"], "IsDefault": bool(vpc.get("IsDefault")),
                 "CidrBlock": vpc.get("CidrBlock"), "Tags": _tags(vpc.get("Tags"))}
        if flows:
            mine = [f for f in logs if f.get("ResourceId") == vpc["VpcId"]]
            attrs["FlowLogs"] = [{k: f.get(k) for k in ("FlowLogId", "FlowLogStatus", "TrafficType",
                                                        "LogDestinationType")} for f in mine]
            attrs["flow_logs_enabled"] = any(f.get("FlowLogStatus") == "ACTIVE" for f in mine)
        out.append(Resource(arn, "aws.vpc", attrs, region=region))
    return out


@resources.register("aws.ec2.security_group")
class Ec2SecurityGroup(AwsKind):
    description = "A VPC security group and the ports it opens to the internet."
    attributes = (A("GroupId", "string", "sg id"), A("GroupName", "string", "name"), A("VpcId", "string", "VPC"),
         A("IpPermissions", "list", "ingress rules"), A("IpPermissionsEgress", "list", "egress rules"),
         A("is_default", "boolean", "the VPC's default security group"),
         A("Description", "string", "the group's description"), A("Tags", "map", "tags as {key: value}")) + _OPEN
    permissions = ("ec2:DescribeSecurityGroups",)
    build = staticmethod(collect_security_groups)


@resources.register("aws.ec2.network_acl")
class Ec2NetworkAcl(AwsKind):
    description = "A VPC network ACL and the ports its ingress entries open to the internet."
    attributes = (A("NetworkAclId", "string", "acl id"), A("VpcId", "string", "VPC"),
         A("IsDefault", "boolean", "the VPC's default ACL"), A("Entries", "list", "ACL entries")) + _OPEN
    permissions = ("ec2:DescribeNetworkAcls",)
    build = staticmethod(collect_network_acls)


@resources.register("aws.ec2.instance")
class Ec2Instance(AwsKind):
    description = "An EC2 instance: metadata service options, public address, profile."
    attributes = (A("InstanceId", "string", "instance id"), A("State", "string", "running, stopped..."),
         A("MetadataOptions", "map", "HttpTokens, HttpEndpoint..."),
         A("imdsv2_required", "boolean", "IMDSv1 cannot be used: HttpTokens is required or the metadata "
           "endpoint is disabled"),
         A("imds_mode", "string", "'disabled' (HttpEndpoint disabled), 'IMDSv2 required' (HttpTokens "
           "required), 'IMDSv1 allowed', or 'unknown' when DescribeInstances gave no metadata options"),
         A("PublicIpAddress", "string", "public IPv4 address; null when none"),
         A("has_public_ip", "boolean", "the instance has a public IPv4 address"),
         A("IamInstanceProfile", "map", "instance profile; null when none"),
         A("VpcId", "string", "VPC"), A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeInstances",)
    build = staticmethod(collect_instances)


@resources.register("aws.ec2.volume")
class Ec2Volume(AwsKind):
    description = "An EBS volume."
    attributes = (A("VolumeId", "string", "volume id"), A("Encrypted", "boolean", "encrypted at rest"),
         A("KmsKeyId", "string", "KMS key"), A("State", "string", "in-use, available..."),
         A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeVolumes",)
    build = staticmethod(collect_volumes)


@resources.register("aws.ec2.region_settings")
class Ec2RegionSettings(AwsKind):
    description = "Per-region EC2 account settings."
    attributes = (A("Region", "string", "region"),
         A("EbsEncryptionByDefault", "boolean", "new EBS volumes are encrypted by default"))
    permissions = ("ec2:GetEbsEncryptionByDefault",)
    build = staticmethod(collect_region_settings)


@resources.register("aws.vpc")
class Vpc(AwsKind):
    description = "A VPC with its flow logs."
    attributes = (A("VpcId", "string", "vpc id"), A("IsDefault", "boolean", "the region's default VPC"),
         A("CidrBlock", "string", "primary CIDR"), A("FlowLogs", "list", "flow logs on the VPC"),
         A("flow_logs_enabled", "boolean", "an active flow log exists for the VPC"),
         A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeVpcs", "ec2:DescribeFlowLogs")
    build = staticmethod(collect_vpcs)
