"""Compute and network reads that fail: each denied sub-read makes exactly the controls reading what it feeds
`error` (naming the API and the code), never a pass; the rest of the resource still decides (issue 11)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from . import test_compute_network as net
from . import test_compute_services as svc
from .conftest import ACCOUNT
from .test_errors import enforced_iam, restricted_user, verdicts

R = "us-east-1"
DENY = ["ec2:DescribeRouteTables", "ec2:DescribeSnapshotAttribute", "ec2:DescribeNetworkInterfaces",
        "ecr:GetLifecyclePolicy",
        "elasticloadbalancing:DescribeListeners", "ec2:DescribeLaunchTemplateVersions"]


def test_denied_sub_reads_error_only_their_controls(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = {**net.seed(), **svc.seed()}
    for k, v in restricted_user(DENY).items():
        monkeypatch.setenv(k, v)
    # moto's IAM enforcement rejects every signed Lambda and EKS request (SignatureDoesNotMatch): those two
    # services' failures are injected at the call layer in the next test
    types = net.TYPES + tuple(t for t in svc.TYPES if t not in ("aws.lambda.function", "aws.eks.cluster"))
    with enforced_iam():
        c = net.scan(f"aws:///{R}", types)
    assert c.fatal is None and c.errors == [], c.errors
    got = verdicts(c, f"aws:///{R}", *types)
    status = {k: s for k, (s, _) in got.items()}

    def check(control: str, resource: str, attribute: str, api: str) -> None:
        assert got[(control, resource)] == (
            "error", f"{resource}: {attribute} could not be read: AccessDenied on {api}"), control

    exposed = net.arn("instance", ids["exposed"])
    for control in ("aws-ec2-instance-not-internet-reachable", "aws-ec2-instance-admin-ports-not-reachable"):
        assert status[(control, exposed)] == "error"
    check("aws-ec2-instance-not-internet-reachable", exposed, "internet_reachable", "ec2:DescribeRouteTables")
    assert status[("aws-ec2-imdsv2", exposed)] == "pass"  # the instance itself was read
    check("aws-vpc-peering-least-access-routes", net.arn("vpc-peering-connection", ids["whole_pcx"]),
          "whole_vpc_routes", "ec2:DescribeRouteTables")
    pub = net.arn("snapshot", ids["public_snap"])
    check("aws-ebs-snapshot-not-public", pub, "public", "ec2:DescribeSnapshotAttribute")
    assert status[("aws-ebs-snapshot-encrypted", pub)] == "fail"
    check("aws-ec2-sg-in-use", net.arn("security-group", ids["unused"]), "in_use", "ec2:DescribeNetworkInterfaces")
    check("aws-vpc-default-vpc-unused", net.arn("vpc", ids["default_vpc"]), "network_interface_count",
          "ec2:DescribeNetworkInterfaces")
    assert status[("aws-ec2-sg-rule-count", net.arn("security-group", ids["many-rules"]))] == "fail"
    repo = f"arn:aws:ecr:{R}:{ACCOUNT}:repository/good-repo"
    check("aws-ecr-lifecycle-policy", repo, "lifecycle_policy_present", "ecr:GetLifecyclePolicy")
    assert status[("aws-ecr-policy-not-public", repo)] == "pass"
    alb = ids["good-alb"]
    check("aws-elbv2-tls-min-1-2", alb, "weak_tls_listeners", "elasticloadbalancing:DescribeListeners")
    check("aws-elbv2-http-redirects-to-https", alb, "http_listeners_not_redirected", "elasticloadbalancing:DescribeListeners")
    assert status[("aws-elbv2-access-logging", alb)] == "pass"
    asg = ids["good-asg"]
    check("aws-autoscaling-imdsv2", asg, "imdsv2_required", "ec2:DescribeLaunchTemplateVersions")
    assert status[("aws-autoscaling-multi-az", asg)] == "pass"
    # a launch configuration is listed with the groups' own API: still read
    assert status[("aws-autoscaling-imdsv2", ids["weak-asg"])] == "fail"


def test_failed_lambda_and_eks_reads_error_only_their_controls(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The call layer answers AccessDenied for the chosen operations, as AWS would for a denied role."""
    from checks.aws import api as api_mod
    from checks.aws.session import ApiFailure

    svc.seed()
    denied = {("lambda", "GetPolicy"), ("lambda", "GetFunctionUrlConfig"), ("eks", "DescribeCluster")}
    real = api_mod.call

    def call(client: Any, operation: str, **params: Any) -> Any:
        service = client.meta.service_model.signing_name
        if (service, operation) in denied:
            raise ApiFailure(f"{service}:{operation}", "AccessDenied")
        return real(client, operation, **params)

    monkeypatch.setattr(api_mod, "call", call)
    types = ("aws.lambda.function", "aws.eks.cluster")
    c = net.scan(f"aws:///{R}", types)
    assert c.fatal is None and c.errors == [], c.errors
    got = verdicts(c, f"aws:///{R}", *types)
    status = {k: s for k, (s, _) in got.items()}

    def check(control: str, resource: str, attribute: str, api: str) -> None:
        assert got[(control, resource)] == (
            "error", f"{resource}: {attribute} could not be read: AccessDenied on {api}"), control

    weak_fn = svc.fn("weak-fn")
    check("aws-lambda-policy-not-public", weak_fn, "policy_public", "lambda:GetPolicy")
    check("aws-lambda-url-requires-auth", weak_fn, "url_auth_none", "lambda:GetFunctionUrlConfig")
    assert status[("aws-lambda-supported-runtime", weak_fn)] == "fail"
    cluster = f"arn:aws:eks:{R}:{ACCOUNT}:cluster/good-cluster"
    assert {k[0]: s for k, s in status.items() if k[1] == cluster} == {
        "aws-eks-endpoint-not-world-open": "error", "aws-eks-control-plane-logging": "error",
        "aws-eks-secrets-encrypted": "error", "aws-eks-supported-version": "error"}
    assert got[("aws-eks-supported-version", cluster)][1] == f"{cluster}: could not be read: AccessDenied on eks:DescribeCluster"


def test_stopped_instance_without_a_stop_time_is_an_error(moto: None) -> None:
    from moto.ec2.models import ec2_backends

    ec2 = boto3.client("ec2", region_name=R)
    iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[iid])
    ec2_backends[ACCOUNT][R].get_instance(iid)._reason = "Server.ScheduledStop: Stopped due to scheduled retirement"
    c = net.scan(f"aws:///{R}", ("aws.ec2.instance",))
    got = verdicts(c, f"aws:///{R}", "aws.ec2.instance")
    res = net.arn("instance", iid)
    assert got[("aws-ec2-instance-not-stopped-long", res)] == (
        "error", f"{res}: stopped_since could not be read: StateTransitionReason gives no stop time")


def test_unknown_tls_policy_is_asked_of_aws_and_unknown_protocols_are_errors() -> None:
    from checks.aws.tls_policies import MIN_PROTOCOL, below, oldest

    assert MIN_PROTOCOL["ELBSecurityPolicy-2016-08"] == "TLSv1"
    assert MIN_PROTOCOL["ELBSecurityPolicy-TLS13-1-2-2021-06"] == "TLSv1.2"
    assert oldest(["TLSv1.2", "TLSv1.1"]) == "TLSv1.1" and oldest(["Protocol-TLSv1.2"]) == "TLSv1.2"
    assert oldest(["QUIC"]) is None and below(None, "TLSv1.2") is None
    assert below("SSLv3", "TLSv1.2") is True and below("TLSv1.3", "TLSv1.2") is False


def test_public_statement_detection() -> None:
    from checks.aws.policy_public import public_statements

    def doc(**st: Any) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", **st}]}

    assert public_statements(doc(Principal="*")) == ["#0"]
    assert public_statements(doc(Principal={"AWS": ["arn:aws:iam::1:root", "*"]}, Sid="Mixed")) == ["Mixed"]
    assert public_statements(doc(NotPrincipal={"AWS": "arn:aws:iam::1:root"})) == ["#0"]
    assert public_statements(doc(Principal="*", Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}})) == []
    assert public_statements(doc(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})) == ["#0"]
    assert public_statements(doc(Principal="*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": "o-1"}})) == ["#0"]
    assert public_statements(doc(Principal="*", Condition={"StringLike": {"aws:PrincipalOrgID": "*"}})) == ["#0"]
    assert public_statements(doc(Principal={"Service": "s3.amazonaws.com"})) == []
    assert public_statements(doc(Principal="*", Effect="Deny")) == []
    assert public_statements("{not json") is None and public_statements({"Version": "2012-10-17"}) is None


def test_cli_reachability_names_the_ports_of_the_users_input(moto: None, tmp_path: Any) -> None:
    """`govscan scan aws:///us-east-1 -c aws-ec2-instance-admin-ports-not-reachable --input admin_ports=[22,2222]`:
    the ports a user adds are computed and named; without them the same instance passes."""
    from .test_review_cases import cli_findings

    ec2 = boto3.client("ec2", region_name=R)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    # two halves of the IPv4 space to the gateway: the main table (no explicit association) covers the world
    for half in ("0.0.0.0/1", "128.0.0.0/1"):
        ec2.create_route(RouteTableId=main, DestinationCidrBlock=half, GatewayId=igw)
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="alt-ssh", Description="alt-ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    iid = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, NetworkInterfaces=[{
        "DeviceIndex": 0, "SubnetId": subnet, "Groups": [sg], "AssociatePublicIpAddress": True}])["Instances"][0]["InstanceId"]
    c = "aws-ec2-instance-admin-ports-not-reachable"
    res = net.arn("instance", iid)
    got = cli_findings(tmp_path, c, inputs=("admin_ports=[22,2222]",))
    status, message = got[(c, res)]
    assert status == "fail" and message == (
        f"Instance {iid} is reachable from the internet on remote administration ports (IPv4: 2222; IPv6: none) "
        f"via 0.0.0.0/1, 128.0.0.0/1 -> {igw} in {main}")
    (tmp_path / "default").mkdir()
    assert cli_findings(tmp_path / "default", c)[(c, res)] == (
        "pass", f"Instance {iid} is not reachable from the internet on remote administration ports")
