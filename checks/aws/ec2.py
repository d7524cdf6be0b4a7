"""EC2 and VPC collectors: security groups, network ACLs, instances, volumes, VPCs, region settings."""

from __future__ import annotations

import ipaddress
from typing import Any, Callable, Iterable, Mapping

from checks.aws.api import Api
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.provider import ResourceType

# Ports always reported in `world_open_ports_*` even when no control asks (for `govscan resources` and
# evidence). Correctness does not depend on this list: every port a control input names is added to it
# (see ports_of_interest), and the controls check that their ports were among those computed.
BASELINE_PORTS = (20, 21, 22, 23, 25, 69, 110, 135, 137, 138, 139, 143, 161, 445, 1433, 1521, 2049, 2375,
                  2376, 3306, 3389, 5432, 5601, 5900, 5985, 5986, 6379, 7199, 8888, 9042, 9092, 9200, 9300,
                  11211, 27017)
FAMILIES = ("ipv4", "ipv6")
WORLD = {"ipv4": "0.0.0.0/0", "ipv6": "::/0"}
PORT_PROTOCOLS = ("tcp", "udp")
_ALL_PORTS = (0, 65535)

_OPEN = (
    A("world_open_rules", "list",
      "ingress rules from the whole internet (a /0 source) as port ranges: {family: ipv4|ipv6, protocol: "
      "tcp|udp|-1 (all)|<number>, from, to (null for protocols without ports), cidr; network ACLs add "
      "rule and action}"),
    A("world_ports_checked", "list",
      "the ports world_open_ports_* were computed for: the baseline list plus every port any selected "
      "control's inputs name"),
) + tuple(
    A(f"world_open_ports_{proto}_{fam}", "list", f"checked {proto.upper()} ports reachable from {WORLD[fam]}")
    for proto in PORT_PROTOCOLS for fam in FAMILIES
) + tuple(
    A(f"world_open_ports_{fam}", "list", f"checked ports reachable from {WORLD[fam]} over TCP or UDP "
      "(a rule for all protocols opens every port)")
    for fam in FAMILIES
) + tuple(A(f"world_all_traffic_{fam}", "boolean", f"all protocols and ports allowed from {WORLD[fam]}")
          for fam in FAMILIES)

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


def ports_of_interest(inputs: Mapping[str, Any]) -> tuple[int, ...]:
    """The baseline ports plus every port number found in the scan's control inputs.

    Any integer 0-65535 in any input (a list or a scalar) counts: a port list under a name this module
    does not know (a site's own control with `web_ports`) is covered too; an unrelated number only
    costs a few comparisons.
    """
    found = set(BASELINE_PORTS)
    for value in inputs.values():
        for item in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 65535:
                found.add(item)
    return tuple(sorted(found))


def _family(cidr: Any) -> str | None:
    """ipv4/ipv6 when ``cidr`` is the whole address space (any /0), else None."""
    try:
        net = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None
    return f"ipv{net.version}" if net.prefixlen == 0 else None


def _protocol(raw: Any) -> str:
    """AWS protocol as tcp, udp, -1 (all) or the protocol name/number AWS gave."""
    text = str(raw).lower()
    return {"6": "tcp", "17": "udp", "all": "-1"}.get(text, text)


def _range(proto: str, lo: Any, hi: Any) -> tuple[int | None, int | None]:
    if proto == "-1":
        return _ALL_PORTS
    if proto not in PORT_PROTOCOLS:
        return None, None  # ICMP type/code or a protocol without ports
    # a TCP/UDP rule without a range (or -1) covers every port: read it the wide way
    lo = 0 if lo is None or int(lo) < 0 else int(lo)
    hi = 65535 if hi is None or int(hi) < 0 else int(hi)
    return lo, hi


def _rule_opens(rule: Mapping[str, Any], proto: str, port: int) -> bool:
    if rule["protocol"] not in (proto, "-1"):
        return False
    return rule["from"] is not None and rule["from"] <= port <= rule["to"]


def _derived(rules: list[dict[str, Any]], ports: tuple[int, ...],
             opens: Callable[[list[dict[str, Any]], str, int], bool]) -> dict[str, Any]:
    out: dict[str, Any] = {"world_open_rules": rules, "world_ports_checked": list(ports)}
    for fam in FAMILIES:
        mine = [r for r in rules if r["family"] == fam]
        union: set[int] = set()
        for proto in PORT_PROTOCOLS:
            open_ = [p for p in ports if opens(mine, proto, p)]
            out[f"world_open_ports_{proto}_{fam}"] = open_
            union.update(open_)
        out[f"world_open_ports_{fam}"] = sorted(union)
    return out


def _sg_exposure(perms: list[dict[str, Any]], ports: tuple[int, ...] = BASELINE_PORTS) -> dict[str, Any]:
    """World-open ingress of a security group: its rules as ranges, and which ``ports`` they open."""
    rules: list[dict[str, Any]] = []
    for p in perms:
        proto = _protocol(p.get("IpProtocol"))
        lo, hi = _range(proto, p.get("FromPort"), p.get("ToPort"))
        for ranges_key, cidr_key in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")):
            for r in p.get(ranges_key) or []:
                fam = _family(r.get(cidr_key))
                if fam:
                    rules.append({"family": fam, "protocol": proto, "from": lo, "to": hi,
                                  "cidr": r.get(cidr_key)})
    out = _derived(rules, ports, lambda mine, proto, port: any(_rule_opens(r, proto, port) for r in mine))
    for fam in FAMILIES:
        out[f"world_all_traffic_{fam}"] = any(r["protocol"] == "-1" for r in rules if r["family"] == fam)
    return out


def _acl_exposure(entries: list[dict[str, Any]], ports: tuple[int, ...] = BASELINE_PORTS) -> dict[str, Any]:
    """Which ``ports`` the first matching world ingress entry (by rule number) allows, per protocol."""
    rules: list[dict[str, Any]] = []
    for e in sorted((e for e in entries if not e.get("Egress")), key=lambda e: e.get("RuleNumber", 0)):
        cidr = e.get("CidrBlock") or e.get("Ipv6CidrBlock")
        fam = _family(cidr)
        if fam:
            proto = _protocol(e.get("Protocol"))
            rng = e.get("PortRange") or {}
            lo, hi = _range(proto, rng.get("From"), rng.get("To"))
            rules.append({"family": fam, "protocol": proto, "from": lo, "to": hi, "cidr": cidr,
                          "rule": e.get("RuleNumber"), "action": e.get("RuleAction")})

    def opens(mine: list[dict[str, Any]], proto: str, port: int) -> bool:
        # a deny for another protocol (ICMP) or other ports does not stop the search
        first = next((r for r in mine if _rule_opens(r, proto, port)), None)
        return first is not None and first["action"] == "allow"

    out = _derived(rules, ports, opens)
    for fam in FAMILIES:
        first = next((r for r in rules if r["family"] == fam and r["protocol"] == "-1"), None)
        out[f"world_all_traffic_{fam}"] = first is not None and first["action"] == "allow"
    return out


def collect_security_groups(api: Api, region: str | None) -> list[Resource]:
    out = []
    for sg in api.list("ec2", region, "DescribeSecurityGroups", "SecurityGroups"):
        arn = api.arn("ec2", region, f"security-group/{sg['GroupId']}")
        attrs = {"GroupId": sg["GroupId"], "GroupName": sg.get("GroupName"), "VpcId": sg.get("VpcId"),
                 "Description": sg.get("Description"), "IpPermissions": sg.get("IpPermissions") or [],
                 "IpPermissionsEgress": sg.get("IpPermissionsEgress") or [],
                 "is_default": sg.get("GroupName") == "default", "Tags": _tags(sg.get("Tags")),
                 **_sg_exposure(sg.get("IpPermissions") or [], ports_of_interest(api.inputs))}
        out.append(Resource(arn, "aws.ec2.security_group", attrs, region=region))
    return out


def collect_network_acls(api: Api, region: str | None) -> list[Resource]:
    out = []
    for acl in api.list("ec2", region, "DescribeNetworkAcls", "NetworkAcls"):
        arn = api.arn("ec2", region, f"network-acl/{acl['NetworkAclId']}")
        attrs = {"NetworkAclId": acl["NetworkAclId"], "VpcId": acl.get("VpcId"),
                 "IsDefault": bool(acl.get("IsDefault")), "Entries": acl.get("Entries") or [],
                 **_acl_exposure(acl.get("Entries") or [], ports_of_interest(api.inputs))}
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


COLLECTORS = {
    "aws.ec2.security_group": (collect_security_groups, True),
    "aws.ec2.network_acl": (collect_network_acls, True),
    "aws.ec2.instance": (collect_instances, True),
    "aws.ec2.volume": (collect_volumes, True),
    "aws.ec2.region_settings": (collect_region_settings, True),
    "aws.vpc": (collect_vpcs, True),
}
