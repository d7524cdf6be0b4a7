"""Correctness cases found by review, each through the CLI on a moto account (issue 11).

Each one passed (or reported the wrong thing) before: a TCP 0-65535 rule from the world passed the
all-traffic control, ``NotAction: iam:*`` passed the admin-policy control, 0.0.0.0/1 + 128.0.0.0/1
was not world-open, an instance with the metadata service disabled was said to "require IMDSv2",
and the database-port message listed every open port.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from checks.aws.policydoc import allows_full_admin

from .conftest import ACCOUNT

R = "us-east-1"


def cli_findings(tmp_path: Path, *controls: str, inputs: tuple[str, ...] = ()) -> dict[tuple[str, str], tuple[str, str]]:
    """(control, resource) -> (status, message) of a `govscan scan aws:///us-east-1 -c ...` run."""
    from click.testing import CliRunner

    from scanner.cli import cli
    from scanner.store import Store

    db = tmp_path / "scan.db"
    args = ["scan", f"aws:///{R}", "--db", str(db), "-p", "aws-foundations"]
    for c in controls:
        args += ["-c", c]
    for i in inputs:
        args += ["--input", i]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    return {(f["control_id"], f["resource_id"]): (f["status"], f["message"]) for f in Store(db).view().findings()}


def sg_arn(gid: str) -> str:
    return f"arn:aws:ec2:{R}:{ACCOUNT}:security-group/{gid}"


def group(ec2: Any, name: str, *perms: dict[str, Any]) -> str:
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    if perms:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=list(perms))
    return gid


def tcp(lo: int, hi: int, *cidrs: str) -> dict[str, Any]:
    v4 = [{"CidrIp": c} for c in cidrs if ":" not in c]
    v6 = [{"CidrIpv6": c} for c in cidrs if ":" in c]
    return {"IpProtocol": "tcp", "FromPort": lo, "ToPort": hi, "IpRanges": v4, "Ipv6Ranges": v6}


def test_every_tcp_port_from_the_world_fails_the_all_traffic_control(moto: None, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name=R)
    every = group(ec2, "every-tcp-port", tcp(0, 65535, "0.0.0.0/0"))
    halves6 = group(ec2, "every-udp-port-v6", {"IpProtocol": "udp", "FromPort": 0, "ToPort": 65535,
                                                "Ipv6Ranges": [{"CidrIpv6": "::/1"}, {"CidrIpv6": "8000::/1"}]})
    split = group(ec2, "tcp-in-two-ranges", tcp(0, 1023, "0.0.0.0/0"), tcp(1024, 65535, "0.0.0.0/0"))
    most = group(ec2, "almost-every-port", tcp(1, 65535, "0.0.0.0/0"))
    got = cli_findings(tmp_path, "aws-ec2-sg-no-world-all-traffic")
    c = "aws-ec2-sg-no-world-all-traffic"
    assert got[(c, sg_arn(every))] == (
        "fail", f"Security group {every} allows every port from the internet (IPv4: tcp; IPv6: none)")
    assert got[(c, sg_arn(halves6))] == (
        "fail", f"Security group {halves6} allows every port from the internet (IPv4: none; IPv6: udp)")
    assert got[(c, sg_arn(split))][0] == "fail"
    assert got[(c, sg_arn(most))] == (
        "pass", f"Security group {most} does not allow all traffic or every port from the internet")


def test_split_world_ranges_are_world_open(moto: None, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name=R)
    halves = group(ec2, "ssh-halves", tcp(22, 22, "0.0.0.0/1", "128.0.0.0/1"))
    halves6 = group(ec2, "rdp-halves-v6", tcp(3389, 3389, "::/1", "8000::/1"))
    # the two halves in separate rules with different ranges: only the overlap (22) is world-open
    across = group(ec2, "across-rules", tcp(20, 22, "0.0.0.0/1"), tcp(22, 25, "128.0.0.0/1"))
    gap = group(ec2, "one-address-missing", tcp(22, 22, "0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/3",
                                                 "224.0.0.0/4", "240.0.0.0/5", "248.0.0.0/6"))
    got = cli_findings(tmp_path, "aws-ec2-sg-no-world-admin-ipv4", "aws-ec2-sg-no-world-admin-ipv6")
    v4, v6 = "aws-ec2-sg-no-world-admin-ipv4", "aws-ec2-sg-no-world-admin-ipv6"
    assert got[(v4, sg_arn(halves))] == ("fail", f"Security group {halves} opens admin ports to 0.0.0.0/0: 22")
    assert got[(v6, sg_arn(halves6))] == ("fail", f"Security group {halves6} opens admin ports to ::/0: 3389")
    assert got[(v4, sg_arn(halves6))][0] == "pass" and got[(v6, sg_arn(halves))][0] == "pass"
    assert got[(v4, sg_arn(across))] == ("fail", f"Security group {across} opens admin ports to 0.0.0.0/0: 22")
    assert got[(v4, sg_arn(gap))] == ("pass", f"Security group {gap} opens no admin port to 0.0.0.0/0")


def test_split_ranges_evidence_names_the_rules_that_open(moto: None) -> None:
    from checks.aws.exposure import acl_exposure, sg_exposure

    out = sg_exposure([tcp(22, 22, "0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8"), tcp(443, 443, "0.0.0.0/0"),
                       tcp(443, 443, "10.0.0.0/8")])
    assert out["world_open_ports_tcp_ipv4"] == [22] and out["world_all_traffic_ipv4"] is False
    # 10.0.0.0/8 adds nothing to the /1s for 22, and 443 is open through its /0 rule alone
    assert [(r["from"], r["cidr"]) for r in out["world_open_rules"]] == [
        (22, "0.0.0.0/1"), (22, "128.0.0.0/1"), (443, "0.0.0.0/0")]
    # network ACL: halves allowed, but a deny for part of the space ahead of them closes the port
    entry = {"Egress": False, "Protocol": "6", "PortRange": {"From": 22, "To": 22}}
    halves = [{**entry, "RuleNumber": 100, "CidrBlock": "0.0.0.0/1", "RuleAction": "allow"},
              {**entry, "RuleNumber": 110, "CidrBlock": "128.0.0.0/1", "RuleAction": "allow"}]
    assert acl_exposure(halves)["world_open_ports_ipv4"] == [22]
    denied = [{**entry, "RuleNumber": 90, "CidrBlock": "203.0.113.7/32", "RuleAction": "deny"}, *halves]
    assert acl_exposure(denied)["world_open_ports_ipv4"] == []
    late_deny = [*halves, {**entry, "RuleNumber": 120, "CidrBlock": "203.0.113.7/32", "RuleAction": "deny"}]
    assert acl_exposure(late_deny)["world_open_ports_ipv4"] == [22]


ADMIN_LIKE = {
    "not-iam": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
    "not-several": {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    "not-resource": {"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::secret"},
    "star-star": {"Effect": "Allow", "Action": "*:*", "Resource": "arn:aws:*:*:*:*"},
}
NOT_ADMIN = {
    "not-everything": {"Effect": "Allow", "NotAction": "*", "Resource": "*"},
    "not-action-one-bucket": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b/*"},
    "not-resource-star": {"Effect": "Allow", "Action": "*", "NotResource": "*"},
    "deny-not-action": {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
    "service-wildcard": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
}


def test_not_action_on_every_resource_fails_the_admin_policy_control(moto: None, tmp_path: Path) -> None:
    iam = boto3.client("iam")
    iam.create_user(UserName="holder")
    arns = {}
    for name, st in {**ADMIN_LIKE, **NOT_ADMIN}.items():
        doc = json.dumps({"Version": "2012-10-17", "Statement": [st]})
        arns[name] = iam.create_policy(PolicyName=name, PolicyDocument=doc)["Policy"]["Arn"]
        iam.attach_user_policy(UserName="holder", PolicyArn=arns[name])
    got = cli_findings(tmp_path, "aws-iam-no-full-admin-policies")
    c = "aws-iam-no-full-admin-policies"
    for name in ADMIN_LIKE:
        assert got[(c, arns[name])] == ("fail", f"Policy {name} allows every action on every resource "
                                                "(Action or NotAction) and is attached 1 times"), name
    for name in NOT_ADMIN:
        assert got[(c, arns[name])] == ("pass", f"Policy {name} does not allow *:*"), name


def test_unreadable_policy_document_is_unknown_not_a_pass() -> None:
    assert allows_full_admin(None) is None and allows_full_admin("{not json") is None
    assert allows_full_admin({"Version": "2012-10-17"}) is None
    assert allows_full_admin({"Statement": []}) is False


def test_metadata_service_disabled_passes_imdsv2_saying_so(moto: None, tmp_path: Path) -> None:
    ec2 = boto3.client("ec2", region_name=R)
    run = lambda **meta: ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,  # noqa: E731
                                           MetadataOptions=meta)["Instances"][0]["InstanceId"]
    off = run(HttpEndpoint="disabled", HttpTokens="optional")
    v2 = run(HttpTokens="required")
    v1 = run(HttpTokens="optional")
    got = cli_findings(tmp_path, "aws-ec2-imdsv2")
    arn = lambda i: f"arn:aws:ec2:{R}:{ACCOUNT}:instance/{i}"  # noqa: E731
    assert got[("aws-ec2-imdsv2", arn(off))] == (
        "pass", f"Instance {off} does not allow IMDSv1: metadata service disabled")
    assert got[("aws-ec2-imdsv2", arn(v2))] == (
        "pass", f"Instance {v2} does not allow IMDSv1: metadata service IMDSv2 required")
    assert got[("aws-ec2-imdsv2", arn(v1))] == (
        "fail", f"Instance {v1} does not require IMDSv2: metadata service IMDSv1 allowed (HttpTokens=optional)")


@pytest.mark.parametrize("extra", [(), ("database_ports=[5432,8086]",)])
def test_database_port_message_lists_database_ports_only(moto: None, tmp_path: Path, extra: tuple[str, ...]) -> None:
    ec2 = boto3.client("ec2", region_name=R)
    gid = group(ec2, "web-and-db", tcp(22, 22, "0.0.0.0/0"), tcp(443, 443, "0.0.0.0/0"),
                tcp(5432, 5432, "0.0.0.0/0", "::/0"), tcp(8000, 8100, "0.0.0.0/0"))
    got = cli_findings(tmp_path, "aws-ec2-sg-no-world-database-ports", inputs=extra)
    v4 = "5432, 8086" if extra else "5432"
    assert got[("aws-ec2-sg-no-world-database-ports", sg_arn(gid))] == (
        "fail", f"Security group {gid} exposes database ports (IPv4: {v4}; IPv6: 5432)")
