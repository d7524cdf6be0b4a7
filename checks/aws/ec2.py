"""EC2 and VPC collectors: security groups, network ACLs, instances, volumes, VPCs, region settings."""

from __future__ import annotations

from typing import Any, Iterable

from checks.aws.api import Api
from checks.aws.exposure import (FAMILIES, PORT_PROTOCOLS, WORLD, acl_exposure, open_inputs, port_inputs,
                                 ports_of_interest, sg_exposure)
from checks.aws.ec2_reach import REACH_ATTRS, iso, reachability, stopped_since
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
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


def network_interfaces(api: Api, region: str | None) -> list[dict[str, Any]]:
    """Every network interface of the region (one memoised listing shared by several types)."""
    return api.list("ec2", region, "DescribeNetworkInterfaces", "NetworkInterfaces")


_SG_USE = ("network_interface_count", "referenced_by", "in_use")


def _sg_use(api: Api, region: str | None, groups: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Per group: how many network interfaces carry it and which groups' rules reference it."""
    try:
        enis = network_interfaces(api, region)
    except ApiFailure as failure:
        return {}, str(failure)
    count: dict[str, int] = {}
    for eni in enis:
        for g in eni.get("Groups") or []:
            count[g.get("GroupId")] = count.get(g.get("GroupId"), 0) + 1
    refs: dict[str, set[str]] = {}
    for sg in groups:
        for perm in (sg.get("IpPermissions") or []) + (sg.get("IpPermissionsEgress") or []):
            for pair in perm.get("UserIdGroupPairs") or []:
                if pair.get("GroupId") and pair["GroupId"] != sg["GroupId"]:
                    refs.setdefault(pair["GroupId"], set()).add(sg["GroupId"])
    return {sg["GroupId"]: {"network_interface_count": count.get(sg["GroupId"], 0),
                            "referenced_by": sorted(refs.get(sg["GroupId"], ())),
                            "in_use": bool(count.get(sg["GroupId"]) or refs.get(sg["GroupId"]))}
            for sg in groups}, None


def collect_security_groups(api: Api, region: str | None) -> list[Resource]:
    out = []
    groups = api.list("ec2", region, "DescribeSecurityGroups", "SecurityGroups")
    use, reason = _sg_use(api, region, groups) if api.wants("aws.ec2.security_group", *_SG_USE) else ({}, None)
    for sg in groups:
        arn = api.arn("ec2", region, f"security-group/{sg['GroupId']}")
        ingress, egress = sg.get("IpPermissions") or [], sg.get("IpPermissionsEgress") or []
        attrs = {"GroupId": sg["GroupId"], "GroupName": sg.get("GroupName"), "VpcId": sg.get("VpcId"),
                 "Description": sg.get("Description"), "IpPermissions": ingress,
                 "IpPermissionsEgress": egress,
                 "ingress_rule_count": _rule_count(ingress), "egress_rule_count": _rule_count(egress),
                 "is_default": sg.get("GroupName") == "default", "Tags": _tags(sg.get("Tags")),
                 **use.get(sg["GroupId"], {}),
                 **_exposure(api, sg_exposure(sg.get("IpPermissions") or [], ports_of_interest(api.inputs)))}
        lost = dict.fromkeys(_SG_USE, reason) if reason else {}
        out.append(Resource(arn, "aws.ec2.security_group", attrs, region=region, attr_errors=lost))
    return out


def _rule_count(perms: list[dict[str, Any]]) -> int:
    """Rules as AWS counts them against the quota: one per source (CIDR, prefix list or group)."""
    return sum(max(1, sum(len(p.get(k) or []) for k in ("IpRanges", "Ipv6Ranges", "PrefixListIds",
                                                          "UserIdGroupPairs"))) for p in perms)


def collect_network_acls(api: Api, region: str | None) -> list[Resource]:
    out = []
    for acl in api.list("ec2", region, "DescribeNetworkAcls", "NetworkAcls"):
        arn = api.arn("ec2", region, f"network-acl/{acl['NetworkAclId']}")
        attrs = {"NetworkAclId": acl["NetworkAclId"], "VpcId": acl.get("VpcId"),
                 "IsDefault": bool(acl.get("IsDefault")), "Entries": acl.get("Entries") or [],
                 "associated_subnets": sorted(a["SubnetId"] for a in acl.get("Associations") or []
                                              if a.get("SubnetId")),
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
    reach = api.wants("aws.ec2.instance", *REACH_ATTRS)
    for res in api.list("ec2", region, "DescribeInstances", "Reservations"):
        for inst in res.get("Instances") or []:
            meta = inst.get("MetadataOptions") or {}
            arn = api.arn("ec2", region, f"instance/{inst['InstanceId']}")
            state = (inst.get("State") or {}).get("Name")
            attrs = {"InstanceId": inst["InstanceId"], "State": state,
                     "MetadataOptions": meta,
                     "imdsv2_required": _imds_mode(meta) in ("disabled", "IMDSv2 required"),
                     "imds_mode": _imds_mode(meta),
                     "PublicIpAddress": inst.get("PublicIpAddress"),
                     "has_public_ip": bool(inst.get("PublicIpAddress")),
                     "IamInstanceProfile": inst.get("IamInstanceProfile"), "VpcId": inst.get("VpcId"),
                     "SubnetId": inst.get("SubnetId"), "LaunchTime": iso(inst.get("LaunchTime")),
                     "monitoring_state": (inst.get("Monitoring") or {}).get("State"),
                     "StateTransitionReason": inst.get("StateTransitionReason"),
                     "stopped_since": stopped_since(inst) if state == "stopped" else None,
                     "Tags": _tags(inst.get("Tags"))}
            lost: dict[str, str] = {}
            if state == "stopped" and attrs["stopped_since"] is None:  # stopped, but since when is unknown
                lost["stopped_since"] = "StateTransitionReason gives no stop time"
            if reach:
                derived, reason = reachability(api, region, inst)
                attrs.update(derived)
                lost.update(dict.fromkeys(REACH_ATTRS, reason) if reason else {})
            out.append(Resource(arn, "aws.ec2.instance", attrs, region=region, attr_errors=lost))
    return out


def collect_volumes(api: Api, region: str | None) -> list[Resource]:
    out = []
    for vol in api.list("ec2", region, "DescribeVolumes", "Volumes"):
        arn = api.arn("ec2", region, f"volume/{vol['VolumeId']}")
        attrs = {"VolumeId": vol["VolumeId"], "Encrypted": bool(vol.get("Encrypted")),
                 "attached_to": [a.get("InstanceId") for a in vol.get("Attachments") or []],
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
    enis, lost = [], {}
    if api.wants("aws.vpc", "network_interface_count"):
        try:
            enis = network_interfaces(api, region)
        except ApiFailure as failure:
            lost = {"network_interface_count": str(failure)}
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
        if api.wants("aws.vpc", "network_interface_count") and not lost:
            attrs["network_interface_count"] = sum(1 for e in enis if e.get("VpcId") == vpc["VpcId"])
        out.append(Resource(arn, "aws.vpc", attrs, region=region, attr_errors=lost))
    return out


@resources.register("aws.ec2.security_group")
class Ec2SecurityGroup(AwsKind):
    description = "A VPC security group and the ports it opens to the internet."
    attributes = (A("GroupId", "string", "sg id"), A("GroupName", "string", "name"), A("VpcId", "string", "VPC"),
         A("IpPermissions", "list", "ingress rules"), A("IpPermissionsEgress", "list", "egress rules"),
         A("is_default", "boolean", "the VPC's default security group"),
         A("Description", "string", "the group's description"), A("Tags", "map", "tags as {key: value}"),
         A("ingress_rule_count", "integer", "ingress rules as AWS counts them (one per source CIDR, prefix list or group)"),
         A("egress_rule_count", "integer", "egress rules, counted the same way"),
         A("network_interface_count", "integer", "network interfaces (instances, load balancers, Lambda, "
           "endpoints...) that carry the group"),
         A("referenced_by", "list", "other groups whose rules name this group as source or destination"),
         A("in_use", "boolean", "carried by a network interface or referenced by another group's rule")) + _OPEN
    permissions = ("ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces")
    build = staticmethod(collect_security_groups)


@resources.register("aws.ec2.network_acl")
class Ec2NetworkAcl(AwsKind):
    description = "A VPC network ACL and the ports its ingress entries open to the internet."
    attributes = (A("NetworkAclId", "string", "acl id"), A("VpcId", "string", "VPC"),
         A("IsDefault", "boolean", "the VPC's default ACL"), A("Entries", "list", "ACL entries"),
         A("associated_subnets", "list", "the subnets the ACL is associated with")) + _OPEN
    permissions = ("ec2:DescribeNetworkAcls",)
    build = staticmethod(collect_network_acls)


@resources.register("aws.ec2.instance")
class Ec2Instance(AwsKind):
    description = ("An EC2 instance: metadata service options, public address, profile, age, monitoring and "
                   "reachability from the internet (security groups + route table).")
    attributes = (A("InstanceId", "string", "instance id"), A("State", "string", "running, stopped..."),
         A("MetadataOptions", "map", "HttpTokens, HttpEndpoint..."),
         A("imdsv2_required", "boolean", "IMDSv1 cannot be used: HttpTokens is required or the metadata "
           "endpoint is disabled"),
         A("imds_mode", "string", "'disabled' (HttpEndpoint disabled), 'IMDSv2 required' (HttpTokens "
           "required), 'IMDSv1 allowed', or 'unknown' when DescribeInstances gave no metadata options"),
         A("PublicIpAddress", "string", "public IPv4 address; null when none"),
         A("has_public_ip", "boolean", "the instance has a public IPv4 address"),
         A("IamInstanceProfile", "map", "instance profile; null when none"),
         A("VpcId", "string", "VPC"), A("SubnetId", "string", "subnet"),
         A("LaunchTime", "string", "when the instance was last launched (ISO 8601)"),
         A("monitoring_state", "string", "CloudWatch detailed monitoring: enabled, disabled, pending"),
         A("StateTransitionReason", "string", "why the instance last changed state"),
         A("stopped_since", "string", "when a stopped instance stopped (ISO 8601, from StateTransitionReason); "
           "null when it is not stopped; unreadable (error) when stopped without a stop time"),
         A("internet_reachable", "boolean", "reachable from the whole internet over IPv4 or IPv6: a public "
           "address, a security group opening something to the world, and a route to an internet gateway"),
         A("internet_reachable_ipv4", "boolean", "public IPv4 + world-open IPv4 rule + 0.0.0.0/0 to an internet gateway"),
         A("internet_reachable_ipv6", "boolean", "IPv6 address + world-open IPv6 rule + ::/0 to an internet gateway"),
         A("internet_exposure", "list", "per reachable family: {family, address, open (the world-open rules "
           "of its security groups), route (destination -> gateway in route table)}"),
         A("internet_route", "map", "the route to the internet gateway: {route_table, destination, gateway}"),
         A("reachable_ports_ipv4", "list", "checked ports reachable from the internet over IPv4 (empty when not reachable)"),
         A("reachable_ports_ipv6", "list", "checked ports reachable from the internet over IPv6"),
         A("reachable_ports_checked", "list", "the ports reachable_ports_* were computed for (baseline + control inputs)"),
         A("reachable_inputs", "map", "per port-list input of the selected controls: {ipv4: [...], ipv6: [...]} reachable"),
         A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:DescribeRouteTables")
    build = staticmethod(collect_instances)


@resources.register("aws.ec2.volume")
class Ec2Volume(AwsKind):
    description = "An EBS volume."
    attributes = (A("VolumeId", "string", "volume id"), A("Encrypted", "boolean", "encrypted at rest"),
         A("KmsKeyId", "string", "KMS key"), A("State", "string", "in-use, available..."),
         A("attached_to", "list", "the instances the volume is attached to"),
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
         A("network_interface_count", "integer", "network interfaces in the VPC (anything deployed in it)"),
         A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeVpcs", "ec2:DescribeFlowLogs", "ec2:DescribeNetworkInterfaces")
    build = staticmethod(collect_vpcs)
