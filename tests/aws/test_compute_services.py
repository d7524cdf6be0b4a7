"""Lambda, EKS, ECR, load balancers (ALB/NLB and Classic) and Auto Scaling groups: each control fails its weak
resource with the exact message and passes its good twin, on one seeded moto account (issue 11)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT, collect
from .test_errors import verdicts

R = "us-east-1"
SPEC = f"aws:///{R}"
TYPES = ("aws.lambda.function", "aws.eks.cluster", "aws.ecr.repository", "aws.elbv2.load_balancer",
         "aws.elb.load_balancer", "aws.autoscaling.group")
PUBLIC = {"Version": "2012-10-17", "Statement": [{"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]}
ORG = {"Version": "2012-10-17", "Statement": [{"Sid": "Org", "Effect": "Allow", "Principal": "*", "Action": "ecr:*",
                                               "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}]}


def code() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("f.py", "def h(e, c):\n    return 1\n")
    return buf.getvalue()


def seed() -> dict[str, str]:
    ids: dict[str, str] = {}
    role = boto3.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=R)
    ec2 = boto3.client("ec2", region_name=R)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]["GroupId"]
    key = boto3.client("kms", region_name=R).create_key()["KeyMetadata"]["Arn"]
    queue = boto3.client("sqs", region_name=R).create_queue(QueueName="dlq")["QueueUrl"]
    ids.update(vpc=vpc, key=key)
    lam.create_function(FunctionName="weak-fn", Runtime="python3.7", Role=role, Handler="f.h", Code={"ZipFile": code()},
                        Environment={"Variables": {"MODE": "x"}})
    lam.create_function_url_config(FunctionName="weak-fn", AuthType="NONE", Cors={"AllowOrigins": ["*"]})
    lam.add_permission(FunctionName="weak-fn", StatementId="AnyoneInvokes", Action="lambda:InvokeFunction", Principal="*")
    lam.create_function(FunctionName="good-fn", Runtime="python3.12", Role=role, Handler="f.h", Code={"ZipFile": code()},
                        Environment={"Variables": {"MODE": "x"}}, KMSKeyArn=key, TracingConfig={"Mode": "Active"},
                        VpcConfig={"SubnetIds": subnets[:1], "SecurityGroupIds": [sg]},
                        DeadLetterConfig={"TargetArn": f"arn:aws:sqs:{R}:{ACCOUNT}:dlq"})
    lam.add_permission(FunctionName="good-fn", StatementId="FromMyBucket", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceAccount=ACCOUNT)
    assert queue

    eks = boto3.client("eks", region_name=R)
    eks.create_cluster(name="weak-cluster", roleArn=role, version="1.24", resourcesVpcConfig={
        "subnetIds": subnets[:2], "endpointPublicAccess": True, "endpointPrivateAccess": False,
        "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
        logging={"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]})
    eks.create_cluster(name="good-cluster", roleArn=role, version="1.33", resourcesVpcConfig={
        "subnetIds": subnets[:2], "endpointPublicAccess": True, "endpointPrivateAccess": True,
        "publicAccessCidrs": ["203.0.113.0/24"]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key}}],
        logging={"clusterLogging": [{"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
                                     "enabled": True}]})

    ecr = boto3.client("ecr", region_name=R)
    ecr.create_repository(repositoryName="weak-repo")
    ecr.set_repository_policy(repositoryName="weak-repo", policyText=json.dumps(PUBLIC))
    ecr.create_repository(repositoryName="good-repo", imageTagMutability="IMMUTABLE",
                          imageScanningConfiguration={"scanOnPush": True},
                          encryptionConfiguration={"encryptionType": "KMS", "kmsKey": key})
    ecr.set_repository_policy(repositoryName="good-repo", policyText=json.dumps(ORG))
    ecr.put_lifecycle_policy(repositoryName="good-repo", lifecyclePolicyText=json.dumps({"rules": [{
        "rulePriority": 1, "description": "expire untagged images after 14 days",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
        "action": {"type": "expire"}}]}))

    elb2 = boto3.client("elbv2", region_name=R)
    for name, kind, zones in (("weak-alb", "application", subnets[:1]), ("good-alb", "application", subnets[:2]),
                              ("weak-nlb", "network", subnets[:2])):
        ids[name] = elb2.create_load_balancer(Name=name, Subnets=zones, Type=kind)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb2.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": tg}]
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    cert = boto3.client("acm", region_name=R).request_certificate(DomainName="app.example.com")["CertificateArn"]
    elb2.create_listener(LoadBalancerArn=ids["weak-alb"], Protocol="HTTP", Port=80, DefaultActions=forward)
    elb2.create_listener(LoadBalancerArn=ids["weak-alb"], Protocol="HTTPS", Port=443, DefaultActions=forward,
                         SslPolicy="ELBSecurityPolicy-2016-08", Certificates=[{"CertificateArn": cert}])
    elb2.create_listener(LoadBalancerArn=ids["good-alb"], Protocol="HTTP", Port=80, DefaultActions=redirect)
    elb2.create_listener(LoadBalancerArn=ids["good-alb"], Protocol="HTTPS", Port=443, DefaultActions=forward,
                         SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", Certificates=[{"CertificateArn": cert}])

    def attrs(lb: str, **kv: str) -> None:
        elb2.modify_load_balancer_attributes(LoadBalancerArn=lb, Attributes=[{"Key": k, "Value": v} for k, v in kv.items()])

    attrs(ids["weak-alb"], **{"access_logs.s3.enabled": "false", "routing.http.drop_invalid_header_fields.enabled": "false",
                              "routing.http.desync_mitigation_mode": "monitor"})
    attrs(ids["good-alb"], **{"access_logs.s3.enabled": "true", "access_logs.s3.bucket": "logs",
                              "deletion_protection.enabled": "true", "routing.http.drop_invalid_header_fields.enabled": "true",
                              "routing.http.desync_mitigation_mode": "strictest"})
    attrs(ids["weak-nlb"], **{"access_logs.s3.enabled": "false"})

    elb = boto3.client("elb", region_name=R)
    elb.create_load_balancer(LoadBalancerName="weak-clb", AvailabilityZones=["us-east-1a"], Listeners=[
        {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80},
        {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstancePort": 80, "SSLCertificateId": cert}])
    elb.create_load_balancer_policy(LoadBalancerName="weak-clb", PolicyName="old-tls", PolicyTypeName="SSLNegotiationPolicyType",
                                    PolicyAttributes=[{"AttributeName": "Reference-Security-Policy",
                                                       "AttributeValue": "ELBSecurityPolicy-2016-08"}])
    elb.set_load_balancer_policies_of_listener(LoadBalancerName="weak-clb", LoadBalancerPort=443, PolicyNames=["old-tls"])
    elb.create_load_balancer(LoadBalancerName="good-clb", AvailabilityZones=["us-east-1a", "us-east-1b"], Listeners=[
        {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstancePort": 80, "SSLCertificateId": cert}])
    elb.create_load_balancer_policy(LoadBalancerName="good-clb", PolicyName="tls12", PolicyTypeName="SSLNegotiationPolicyType",
                                    PolicyAttributes=[{"AttributeName": "Protocol-TLSv1.2", "AttributeValue": "true"},
                                                      {"AttributeName": "Protocol-TLSv1", "AttributeValue": "false"}])
    elb.set_load_balancer_policies_of_listener(LoadBalancerName="good-clb", LoadBalancerPort=443, PolicyNames=["tls12"])
    elb.modify_load_balancer_attributes(LoadBalancerName="good-clb", LoadBalancerAttributes={
        "CrossZoneLoadBalancing": {"Enabled": True}, "ConnectionDraining": {"Enabled": True, "Timeout": 300},
        "AccessLog": {"Enabled": True, "S3BucketName": "logs", "EmitInterval": 60}})

    asg = boto3.client("autoscaling", region_name=R)
    asg.create_launch_configuration(LaunchConfigurationName="weak-lc", ImageId="ami-12c6146b", InstanceType="t3.micro",
                                    AssociatePublicIpAddress=True)
    asg.create_auto_scaling_group(AutoScalingGroupName="weak-asg", LaunchConfigurationName="weak-lc", MinSize=0,
                                  MaxSize=1, AvailabilityZones=["us-east-1a"])
    ec2.create_launch_template(LaunchTemplateName="good-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "MetadataOptions": {"HttpTokens": "required"},
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": False}]})
    asg.create_auto_scaling_group(AutoScalingGroupName="good-asg", MinSize=0, MaxSize=1,
                                  LaunchTemplate={"LaunchTemplateName": "good-lt", "Version": "$Latest"},
                                  AvailabilityZones=["us-east-1a", "us-east-1b"])
    ec2.create_launch_template(LaunchTemplateName="imdsv1-lt", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "MetadataOptions": {"HttpTokens": "optional"}})
    asg.create_auto_scaling_group(AutoScalingGroupName="mixed-asg", MinSize=0, MaxSize=1,
                                  AvailabilityZones=["us-east-1a", "us-east-1b"], MixedInstancesPolicy={"LaunchTemplate": {
                                      "LaunchTemplateSpecification": {"LaunchTemplateName": "good-lt", "Version": "$Latest"},
                                      "Overrides": [{"InstanceType": "t3.micro"}, {
                                          "InstanceType": "t3.small",
                                          "LaunchTemplateSpecification": {"LaunchTemplateName": "imdsv1-lt",
                                                                          "Version": "$Latest"}}]}})
    ids.update({g["AutoScalingGroupName"]: g["AutoScalingGroupARN"] for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]})
    return ids


@pytest.fixture(scope="module")
def got() -> Iterator[tuple[dict[str, str], dict[tuple[str, str], tuple[str, str]], Any]]:
    from moto import mock_aws
    from moto.awslambda.models import LambdaFunction

    configuration = LambdaFunction.get_configuration

    def with_key(self: Any, *args: Any, **kwargs: Any) -> Any:
        """moto drops a function's KMSKeyArn and DeadLetterConfig from its answers: give them back as AWS does."""
        return {**configuration(self, *args, **kwargs), **getattr(self, "govscan_extra", {})}

    with mock_aws(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(LambdaFunction, "get_configuration", with_key)
        ids = seed()
        from moto.awslambda.models import lambda_backends

        lambda_backends[ACCOUNT][R].get_function("good-fn").govscan_extra = {
            "KMSKeyArn": ids["key"], "DeadLetterConfig": {"TargetArn": f"arn:aws:sqs:{R}:{ACCOUNT}:dlq"}}
        c = collect(SPEC, types=list(TYPES))
        yield ids, verdicts(c, SPEC, *TYPES), c


def fn(name: str) -> str:
    return f"arn:aws:lambda:{R}:{ACCOUNT}:function:{name}"


def test_every_type_is_seeded_and_matches_its_declaration(got: Any) -> None:
    from checks.aws.provider import AwsProvider
    from scanner.resource_types import value_problems

    _, _, c = got
    kinds = {k.name: k for k in AwsProvider().kinds()}
    assert {t for t in TYPES if not c.resources.get(t)} == set()
    problems = [f"{r.id}: {p}" for t in TYPES for r in c.resources[t]
                for p in value_problems(kinds[t].schema(), r.attrs, open_top=bool(kinds[t].open_attributes))]
    assert problems == []


def test_collection_is_clean(got: Any) -> None:
    _, _, c = got
    assert c.errors == [] and c.fatal is None and c.facts["repeated_calls"] == []
    assert {t: len(rs) for t, rs in c.resources.items()} == {
        "aws.lambda.function": 2, "aws.eks.cluster": 2, "aws.ecr.repository": 2, "aws.elbv2.load_balancer": 3,
        "aws.elb.load_balancer": 2, "aws.autoscaling.group": 3}


def test_lambda(got: Any) -> None:
    _, v, _ = got
    weak, good = fn("weak-fn"), fn("good-fn")
    url = v[("aws-lambda-url-requires-auth", weak)]
    assert url[0] == "fail" and url[1].startswith("Lambda function weak-fn has function URLs anyone may invoke: https://")
    assert v[("aws-lambda-url-requires-auth", good)] == ("pass", "Lambda function good-fn has no unauthenticated function URL")
    assert v[("aws-lambda-url-cors-not-wildcard", weak)][0] == "fail"
    assert v[("aws-lambda-url-cors-not-wildcard", good)][0] == "pass"
    expect = {
        "aws-lambda-supported-runtime": ("Lambda function weak-fn uses deprecated runtime python3.7",
                                         "Lambda function good-fn uses supported runtime python3.12"),
        "aws-lambda-policy-not-public": ("Lambda function weak-fn policy allows everyone in statements AnyoneInvokes",
                                         "Lambda function good-fn policy is not public"),
        "aws-lambda-env-cmk": ("Lambda function weak-fn environment is encrypted with the AWS managed key, not a customer key",
                               f"Lambda function good-fn environment is encrypted with {got[0]['key']}"),
        "aws-lambda-in-vpc": ("Lambda function weak-fn is not attached to a VPC",
                              "Lambda function good-fn runs in vpc-123abc"),  # moto's answer for every function
        "aws-lambda-tracing": ("Lambda function weak-fn tracing is PassThrough", "Lambda function good-fn has active tracing"),
        "aws-lambda-dead-letter": ("Lambda function weak-fn has no dead-letter queue",
                                   f"Lambda function good-fn sends failed events to arn:aws:sqs:{R}:{ACCOUNT}:dlq"),
    }
    for control, (bad, ok) in expect.items():
        assert v[(control, weak)] == ("fail", bad), control
        assert v[(control, good)] == ("pass", ok), control


def test_eks_and_ecr(got: Any) -> None:
    _, v, _ = got
    weak, good = (f"arn:aws:eks:{R}:{ACCOUNT}:cluster/{n}" for n in ("weak-cluster", "good-cluster"))
    assert v[("aws-eks-endpoint-not-world-open", weak)] == (
        "fail", "EKS cluster weak-cluster API endpoint is open to the internet from 0.0.0.0/1, 128.0.0.0/1")
    assert v[("aws-eks-endpoint-not-world-open", good)] == (
        "pass", "EKS cluster good-cluster API endpoint is not open to the internet (public: true)")
    assert v[("aws-eks-control-plane-logging", weak)] == (
        "fail", "EKS cluster weak-cluster does not log authenticator, controllerManager, scheduler")
    assert v[("aws-eks-control-plane-logging", good)][0] == "pass"
    assert v[("aws-eks-secrets-encrypted", weak)] == ("fail", "EKS cluster weak-cluster does not encrypt secrets with KMS")
    assert v[("aws-eks-secrets-encrypted", good)][0] == "pass"
    assert v[("aws-eks-supported-version", weak)] == (
        "fail", "EKS cluster weak-cluster runs Kubernetes 1.24, not in 1.32, 1.33, 1.34")
    assert v[("aws-eks-supported-version", good)] == ("pass", "EKS cluster good-cluster runs supported Kubernetes 1.33")
    weak, good = (f"arn:aws:ecr:{R}:{ACCOUNT}:repository/{n}" for n in ("weak-repo", "good-repo"))
    expect = {
        "aws-ecr-scan-on-push": ("ECR repository weak-repo does not scan images on push", "ECR repository good-repo scans images on push"),
        "aws-ecr-tag-immutability": ("ECR repository weak-repo tags are MUTABLE", "ECR repository good-repo tags are IMMUTABLE"),
        "aws-ecr-policy-not-public": ("ECR repository weak-repo policy allows everyone in statements Anyone",
                                      "ECR repository good-repo policy is not public"),
        "aws-ecr-lifecycle-policy": ("ECR repository weak-repo has no lifecycle policy", "ECR repository good-repo has a lifecycle policy"),
        "aws-ecr-kms-encryption": ("ECR repository weak-repo is encrypted with AES256, not KMS",
                                   f"ECR repository good-repo is encrypted with KMS ({got[0]['key']})"),
    }
    for control, (bad, ok) in expect.items():
        assert v[(control, weak)] == ("fail", bad), control
        assert v[(control, good)] == ("pass", ok), control


def test_load_balancers(got: Any) -> None:
    ids, v, _ = got
    weak, good, nlb = ids["weak-alb"], ids["good-alb"], ids["weak-nlb"]
    expect = {
        "aws-elbv2-http-redirects-to-https": ("Load balancer weak-alb has HTTP listeners that do not redirect to HTTPS: HTTP:80",
                                              "Load balancer good-alb serves nothing over plain HTTP"),
        "aws-elbv2-tls-min-1-2": ("Load balancer weak-alb has listeners accepting protocols older than TLS 1.2: "
                                  "HTTPS:443 (ELBSecurityPolicy-2016-08: TLSv1)",
                                  "Load balancer good-alb TLS listeners require TLS 1.2 or newer (ELBSecurityPolicy-TLS13-1-2-2021-06)"),
        "aws-elbv2-access-logging": ("Load balancer weak-alb does not deliver access logs", "Load balancer good-alb delivers access logs"),
        "aws-elbv2-deletion-protection": ("Load balancer weak-alb has no deletion protection", "Load balancer good-alb has deletion protection"),
        "aws-elbv2-drop-invalid-headers": ("Load balancer weak-alb forwards invalid header fields",
                                           "Load balancer good-alb drops invalid header fields"),
        "aws-elbv2-desync-mitigation": ("Load balancer weak-alb desync mitigation mode is monitor",
                                        "Load balancer good-alb desync mitigation mode is strictest"),
        "aws-elbv2-multi-az": ("Load balancer weak-alb serves only us-east-1a",
                               "Load balancer good-alb serves zones us-east-1a, us-east-1b"),
    }
    for control, (bad, ok) in expect.items():
        assert v[(control, weak)] == ("fail", bad), control
        assert v[(control, good)] == ("pass", ok), control
    assert v[("aws-elbv2-cross-zone", nlb)] == ("fail", "Load balancer weak-nlb does not balance across zones")
    assert ("aws-elbv2-cross-zone", weak) not in v and ("aws-elbv2-drop-invalid-headers", nlb) not in v
    assert v[("aws-elbv2-tls-min-1-2", nlb)][0] == "notapplicable"  # no TLS listener
    weak, good = (f"arn:aws:elasticloadbalancing:{R}:{ACCOUNT}:loadbalancer/{n}" for n in ("weak-clb", "good-clb"))
    expect = {
        "aws-elb-classic-tls-listeners": ("Classic load balancer weak-clb has cleartext listeners: HTTP:80",
                                          "Classic load balancer good-clb has no cleartext listener"),
        "aws-elb-classic-tls-min-1-2": ("Classic load balancer weak-clb has listeners accepting protocols older than TLS 1.2: "
                                        "HTTPS:443 (ELBSecurityPolicy-2016-08: TLSv1)",
                                        "Classic load balancer good-clb TLS listeners require TLS 1.2 or newer"),
        "aws-elb-classic-access-logging": ("Classic load balancer weak-clb does not deliver access logs",
                                           "Classic load balancer good-clb delivers access logs"),
        "aws-elb-classic-cross-zone": ("Classic load balancer weak-clb does not balance across zones",
                                       "Classic load balancer good-clb balances across zones"),
        "aws-elb-classic-connection-draining": ("Classic load balancer weak-clb does not drain connections",
                                                "Classic load balancer good-clb drains connections"),
    }
    for control, (bad, ok) in expect.items():
        assert v[(control, weak)] == ("fail", bad), control
        assert v[(control, good)] == ("pass", ok), control
    # AWS leaves the default mode (defensive) unlisted: both pass
    assert v[("aws-elb-classic-desync-mitigation", good)] == (
        "pass", "Classic load balancer good-clb desync mitigation mode is defensive")


def test_autoscaling(got: Any) -> None:
    ids, v, _ = got
    weak, good = ids["weak-asg"], ids["good-asg"]
    assert v[("aws-autoscaling-no-public-ip", weak)] == (
        "fail", "Auto Scaling group weak-asg launches instances with public IPs (launch configuration weak-lc)")
    assert v[("aws-autoscaling-no-public-ip", good)] == (
        "pass", "Auto Scaling group good-asg (launch template good-lt version 1) does not ask for public IPs")
    assert v[("aws-autoscaling-imdsv2", weak)] == (
        "fail", "Auto Scaling group weak-asg allows IMDSv1 (HttpTokens unset in launch configuration weak-lc)")
    assert v[("aws-autoscaling-imdsv2", good)] == (
        "pass", "Auto Scaling group good-asg (launch template good-lt version 1) requires IMDSv2")
    # an override of a mixed instances policy launches another template: its IMDSv1 counts
    assert v[("aws-autoscaling-imdsv2", ids["mixed-asg"])] == (
        "fail", "Auto Scaling group mixed-asg allows IMDSv1 (HttpTokens optional in launch template good-lt version 1, "
                "launch template imdsv1-lt version 1)")
    assert v[("aws-autoscaling-multi-az", weak)] == ("fail", "Auto Scaling group weak-asg uses only us-east-1a")
    assert v[("aws-autoscaling-multi-az", good)] == ("pass", "Auto Scaling group good-asg spans us-east-1a, us-east-1b")
