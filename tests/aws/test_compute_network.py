"""EC2 instances (internet reachability, age, monitoring), EBS snapshots, AMIs, security group and network ACL
hygiene, VPC subnets, endpoints, peering and the default VPC: each control fails its weak resource with the
exact message and passes its good twin, on one seeded moto account (issue 11)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT
from .test_errors import verdicts

R = "us-east-1"
SPEC = f"aws:///{R},eu-west-1"
TYPES = ("aws.ec2.instance", "aws.ec2.snapshot", "aws.ec2.image", "aws.ec2.volume", "aws.ec2.security_group",
         "aws.ec2.network_acl", "aws.vpc", "aws.vpc.subnet", "aws.vpc.endpoint", "aws.vpc.peering_connection")


PORT_INPUTS = {"admin_ports": [22, 3389], "database_ports": [1433, 1521, 3306, 5432, 6379, 9042, 9200, 11211, 27017],
               "cleartext_ports": [20, 21, 23, 69, 110, 135, 137, 138, 139, 143, 161, 445]}


def scan(spec: str, types: tuple[str, ...], **inputs: Any) -> Any:
    """Collect ``types`` as a scan does: with the selected controls' port inputs (they name the ports reported)."""
    from checks.aws.provider import AwsProvider
    from scanner.provider import CollectContext

    prov = AwsProvider()
    target = prov.parse_target(spec, {})[0]
    return prov.collect(target, frozenset(types), CollectContext(inputs={**PORT_INPUTS, **inputs}))


def arn(kind: str, ident: str, region: str = R) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:{kind}/{ident}"


def world(port: int, cidr: str = "0.0.0.0/0") -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}


def seed() -> dict[str, str]:
    from moto.ec2.models import ec2_backends

    ec2 = boto3.client("ec2", region_name=R)
    ids: dict[str, str] = {}
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=public)
    ids.update(vpc=vpc, igw=igw, public=public, private=private, rtb=rtb)

    def group(name: str, *perms: dict[str, Any]) -> str:
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        if perms:
            ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=list(perms))
        ids[name] = gid
        return gid

    ssh, db, inside = group("ssh-world", world(22)), group("db-world", world(3306)), group("inside", world(22, "10.0.0.0/8"))
    group("unused")
    group("referenced")
    ec2.authorize_security_group_ingress(GroupId=inside, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": ids["referenced"]}]}])
    group("many-rules", {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                         "IpRanges": [{"CidrIp": f"10.1.{i}.0/24"} for i in range(51)]})

    def run(name: str, subnet: str, sgs: list[str], public_ip: bool = True, **kw: Any) -> str:
        iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, NetworkInterfaces=[{
            "DeviceIndex": 0, "SubnetId": subnet, "Groups": sgs, "AssociatePublicIpAddress": public_ip}],
            MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": kw.pop("hops", 1)},
            **kw)["Instances"][0]["InstanceId"]
        ids[name] = iid
        return iid

    run("exposed", public, [ssh], Monitoring={"Enabled": True})
    run("no-route", private, [ssh], Monitoring={"Enabled": True})  # main table: no route to the gateway
    run("narrow", public, [inside])
    run("no-address", public, [ssh], public_ip=False)
    run("db", public, [db, inside], hops=3)
    second = run("second-nic", private, [inside], public_ip=False)  # exposed through its second interface
    eni = ec2.create_network_interface(SubnetId=public, Groups=[ssh])["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=second, DeviceIndex=1)
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni)
    ids["second_nic_ip"] = eip["PublicIp"]
    old = run("old", private, [inside])
    stopped = run("stopped-long", private, [inside])
    recent = run("stopped-recently", private, [inside])
    ec2.stop_instances(InstanceIds=[stopped, recent])
    backend = ec2_backends[ACCOUNT][R]
    backend.get_instance(old).launch_time = datetime.now(timezone.utc) - timedelta(days=400)
    backend.get_instance(stopped)._reason = "User initiated (2020-01-02 03:04:05 GMT)"

    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    enc_vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True)["VolumeId"]
    ec2.attach_volume(VolumeId=enc_vol, InstanceId=ids["exposed"], Device="/dev/sdf")
    ids.update(loose_volume=vol, attached_volume=enc_vol)
    ids["public_snap"] = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=ids["public_snap"], Attribute="createVolumePermission",
                                  OperationType="add", GroupNames=["all"])
    ids["private_snap"] = ec2.create_snapshot(VolumeId=enc_vol)["SnapshotId"]
    ids["public_ami"] = ec2.create_image(InstanceId=ids["narrow"], Name="public-image")["ImageId"]
    ec2.modify_image_attribute(ImageId=ids["public_ami"], LaunchPermission={"Add": [{"Group": "all"}]})
    ids["private_ami"] = ec2.create_image(InstanceId=ids["narrow"], Name="private-image")["ImageId"]

    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]  # denies everything, unassociated
    ids["spare_acl"] = acl
    ids["default_acl"] = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                            {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]["NetworkAclId"]
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    ids["default_vpc"] = default_vpc
    ids["default_subnet"] = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc]}])["Subnets"][0]["SubnetId"]
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)  # something in the default VPC
    ids["default_vpc_eu"] = boto3.client("ec2", region_name="eu-west-1").describe_vpcs()["Vpcs"][0]["VpcId"]

    ids["open_endpoint"] = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{R}.s3")["VpcEndpoint"]["VpcEndpointId"]
    narrowed = {"Version": "2012-10-17", "Statement": [{"Sid": "OrgOnly", "Effect": "Allow", "Principal": "*",
                "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}
    ids["org_endpoint"] = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{R}.dynamodb",
                                                  PolicyDocument=json.dumps(narrowed))["VpcEndpoint"]["VpcEndpointId"]
    peer_a = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    peer_b = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    whole = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer_a)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    narrow_pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer_b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    for pcx in (whole, narrow_pcx):
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.30.0.0/16", VpcPeeringConnectionId=whole)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.40.7.0/24", VpcPeeringConnectionId=narrow_pcx)
    ids.update(whole_pcx=whole, narrow_pcx=narrow_pcx)
    return ids


@pytest.fixture(scope="module")
def got() -> Iterator[tuple[dict[str, str], dict[tuple[str, str], tuple[str, str]], Any]]:
    from moto import mock_aws

    with mock_aws():
        ids = seed()
        c = scan(SPEC, TYPES)
        yield ids, verdicts(c, SPEC, *TYPES), c


def test_every_type_is_seeded_and_matches_its_declaration(got: Any) -> None:
    from checks.aws.provider import AwsProvider
    from scanner.resource_types import value_problems

    _, _, c = got
    kinds = {k.name: k for k in AwsProvider().kinds()}
    assert {t for t in TYPES if not c.resources.get(t)} == set()
    problems = [f"{r.id}: {p}" for t in TYPES for r in c.resources[t]
                for p in value_problems(kinds[t].schema(), r.attrs, open_top=bool(kinds[t].open_attributes))]
    assert problems == []


def test_collection_is_clean_and_repeats_no_call(got: Any) -> None:
    _, _, c = got
    assert c.errors == [] and c.fatal is None
    assert c.facts["repeated_calls"] == []


def test_instance_reachable_only_with_address_open_group_and_gateway_route(got: Any) -> None:
    ids, v, _ = got
    c = "aws-ec2-instance-not-internet-reachable"
    exposed = arn("instance", ids["exposed"])
    status, message = v[(c, exposed)]
    assert status == "fail"
    assert message.startswith(f"Instance {ids['exposed']} is reachable from the internet at ")
    assert message.endswith(f": open to the world tcp 22 via 0.0.0.0/0 -> {ids['igw']} in {ids['rtb']}")
    for good in ("no-route", "narrow", "no-address"):
        assert v[(c, arn("instance", ids[good]))] == (
            "pass", f"Instance {ids[good]} is not reachable from the internet"), good
    assert v[(c, arn("instance", ids["second-nic"]))] == ("fail", (
        f"Instance {ids['second-nic']} is reachable from the internet at {ids['second_nic_ip']}: open to the world "
        f"tcp 22 via 0.0.0.0/0 -> {ids['igw']} in {ids['rtb']}"))
    admin = "aws-ec2-instance-admin-ports-not-reachable"
    assert v[(admin, exposed)][0] == "fail"
    assert v[(admin, exposed)][1].startswith(
        f"Instance {ids['exposed']} is reachable from the internet on remote administration ports (IPv4: 22; IPv6: none) via 0.0.0.0/0")
    assert v[(admin, arn("instance", ids["db"]))][0] == "pass"
    dbc = "aws-ec2-instance-database-ports-not-reachable"
    assert v[(dbc, arn("instance", ids["db"]))][1].startswith(
        f"Instance {ids['db']} is reachable from the internet on database and cache ports (IPv4: 3306; IPv6: none)")
    assert v[(dbc, exposed)] == ("pass", f"Instance {ids['exposed']} is not reachable from the internet on database and cache ports")
    assert v[("aws-ec2-instance-cleartext-ports-not-reachable", exposed)][0] == "pass"


def test_instance_age_stop_time_monitoring_and_hop_limit(got: Any) -> None:
    ids, v, _ = got
    old, exposed = arn("instance", ids["old"]), arn("instance", ids["exposed"])
    status, message = v[("aws-ec2-instance-max-age", old)]
    assert status == "fail" and message.endswith("more than 180 days ago") and message.startswith(f"Instance {ids['old']} was launched ")
    assert v[("aws-ec2-instance-max-age", exposed)][0] == "pass"
    stopped = arn("instance", ids["stopped-long"])
    assert v[("aws-ec2-instance-not-stopped-long", stopped)] == (
        "fail", f"Instance {ids['stopped-long']} has been stopped since 2020-01-02T03:04:05+00:00, more than 30 days")
    assert v[("aws-ec2-instance-not-stopped-long", arn("instance", ids["stopped-recently"]))][0] == "pass"
    assert ("aws-ec2-instance-not-stopped-long", exposed) not in v  # running: out of scope
    assert v[("aws-ec2-instance-detailed-monitoring", exposed)] == ("pass", f"Instance {ids['exposed']} has detailed monitoring")
    assert v[("aws-ec2-instance-detailed-monitoring", arn("instance", ids["narrow"]))] == (
        "fail", f"Instance {ids['narrow']} has detailed monitoring disabled")
    assert v[("aws-ec2-imds-hop-limit", arn("instance", ids["db"]))] == (
        "fail", f"Instance {ids['db']} metadata hop limit is 3 (allowed: 1)")
    assert v[("aws-ec2-imds-hop-limit", exposed)] == ("pass", f"Instance {ids['exposed']} metadata hop limit is 1")


def test_snapshots_images_and_volumes(got: Any) -> None:
    ids, v, _ = got
    pub, priv = arn("snapshot", ids["public_snap"]), arn("snapshot", ids["private_snap"])
    assert v[("aws-ebs-snapshot-not-public", pub)] == (
        "fail", f"Snapshot {ids['public_snap']} is public (createVolumePermission group all)")
    assert v[("aws-ebs-snapshot-not-public", priv)] == ("pass", f"Snapshot {ids['private_snap']} is not public")
    assert v[("aws-ebs-snapshot-encrypted", pub)] == (
        "fail", f"Snapshot {ids['public_snap']} of {ids['loose_volume']} is not encrypted")
    assert v[("aws-ebs-snapshot-encrypted", priv)] == ("pass", f"Snapshot {ids['private_snap']} is encrypted")
    assert v[("aws-ec2-ami-not-public", arn("image", ids["public_ami"]))] == (
        "fail", f"AMI {ids['public_ami']} (public-image) is public")
    assert v[("aws-ec2-ami-not-public", arn("image", ids["private_ami"]))] == ("pass", f"AMI {ids['private_ami']} is private")
    assert v[("aws-ebs-volume-attached", arn("volume", ids["loose_volume"]))] == (
        "fail", f"Volume {ids['loose_volume']} is not attached (state available)")
    assert v[("aws-ebs-volume-attached", arn("volume", ids["attached_volume"]))] == (
        "pass", f"Volume {ids['attached_volume']} is attached to {ids['exposed']}")


def test_security_group_use_and_rule_count(got: Any) -> None:
    ids, v, _ = got
    sg = lambda name: arn("security-group", ids[name])  # noqa: E731
    assert v[("aws-ec2-sg-in-use", sg("unused"))] == (
        "fail", f"Security group {ids['unused']} (unused) is attached to nothing and referenced by no group")
    assert v[("aws-ec2-sg-in-use", sg("referenced"))] == (
        "pass", f"Security group {ids['referenced']} is in use: 0 network interfaces, referenced by {ids['inside']}")
    assert v[("aws-ec2-sg-in-use", sg("ssh-world"))][0] == "pass"
    assert v[("aws-ec2-sg-rule-count", sg("many-rules"))] == (
        "fail", f"Security group {ids['many-rules']} has 51 ingress and 1 egress rules (allowed: 50)")
    assert v[("aws-ec2-sg-rule-count", sg("ssh-world"))][0] == "pass"


def test_network_acls(got: Any) -> None:
    ids, v, _ = got
    default, spare = arn("network-acl", ids["default_acl"]), arn("network-acl", ids["spare_acl"])
    assert v[("aws-ec2-nacl-no-allow-all-ingress", default)] == (
        "fail", f"Network ACL {ids['default_acl']} allows all traffic from the internet (IPv4: all; IPv6: none)")
    assert v[("aws-ec2-nacl-no-allow-all-ingress", spare)] == (
        "pass", f"Network ACL {ids['spare_acl']} does not allow all traffic from the internet")
    assert v[("aws-ec2-nacl-in-use", spare)] == ("fail", f"Network ACL {ids['spare_acl']} is associated with no subnet")
    assert ("aws-ec2-nacl-in-use", default) not in v  # default ACLs are out of scope


def test_subnets_endpoints_peering_default_vpc(got: Any) -> None:
    ids, v, _ = got
    c = "aws-vpc-subnet-no-auto-public-ip"
    assert v[(c, arn("subnet", ids["default_subnet"]))] == (
        "fail", f"Subnet {ids['default_subnet']} of {ids['default_vpc']} assigns a public IPv4 address to every instance launched in it")
    assert v[(c, arn("subnet", ids["public"]))] == ("pass", f"Subnet {ids['public']} does not assign public IPv4 addresses")
    c = "aws-vpc-endpoint-policy-not-public"
    assert v[(c, arn("vpc-endpoint", ids["open_endpoint"]))] == (
        "fail", f"VPC endpoint {ids['open_endpoint']} (com.amazonaws.{R}.s3) allows every principal without conditions in statements #0")
    assert v[(c, arn("vpc-endpoint", ids["org_endpoint"]))] == (
        "pass", f"VPC endpoint {ids['org_endpoint']} (com.amazonaws.{R}.dynamodb) narrows every statement to known principals")
    c = "aws-vpc-peering-least-access-routes"
    assert v[(c, arn("vpc-peering-connection", ids["whole_pcx"]))] == (
        "fail", f"Peering connection {ids['whole_pcx']} is routed to whole VPC blocks: 10.30.0.0/16 in {ids['rtb']}")
    assert v[(c, arn("vpc-peering-connection", ids["narrow_pcx"]))] == (
        "pass", f"Peering connection {ids['narrow_pcx']} is routed to subnets only (10.40.7.0/24)")
    c = "aws-vpc-default-vpc-unused"
    status, message = v[(c, arn("vpc", ids["default_vpc"]))]
    assert status == "fail" and message.startswith(f"Default VPC {ids['default_vpc']} is in use: ")
    assert v[(c, arn("vpc", ids["default_vpc_eu"], "eu-west-1"))] == (
        "pass", f"Default VPC {ids['default_vpc_eu']} holds no network interfaces")
    assert (c, arn("vpc", ids["vpc"])) not in v
