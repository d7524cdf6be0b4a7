"""Benchmark seed plug-in for compute and network: EBS snapshots, AMIs, subnets, Lambda, ECR, EKS, load
balancers and Auto Scaling groups on a moto server, every other resource weak (issue 11).

``seed(client, scale)`` creates about ``scale / 10`` resources of each kind (at least 2), in us-east-1.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, Callable

REGION = "us-east-1"

PAIRS: dict[str, tuple[tuple[str, ...], str]] = {
    "aws-ebs-snapshot-not-public": (("ec2_ebs_public_snapshot",), "resource"),
    "aws-ebs-snapshot-encrypted": (("ec2_ebs_snapshots_encrypted",), "resource"),
    "aws-ec2-ami-not-public": (("ec2_ami_public",), "resource"),
    "aws-ec2-sg-rule-count": (("ec2_securitygroup_with_many_ingress_egress_rules",), "resource"),
    "aws-vpc-subnet-no-auto-public-ip": (("vpc_subnet_no_public_ip_by_default",), "resource"),
    "aws-lambda-supported-runtime": (("awslambda_function_using_supported_runtimes",), "resource"),
    "aws-lambda-url-requires-auth": (("awslambda_function_url_public",), "resource"),
    "aws-lambda-in-vpc": (("awslambda_function_inside_vpc",), "resource"),
    "aws-ecr-scan-on-push": (("ecr_repositories_scan_images_on_push_enabled",), "resource"),
    "aws-ecr-tag-immutability": (("ecr_repositories_tag_immutability",), "resource"),
    "aws-ecr-lifecycle-policy": (("ecr_repositories_lifecycle_policy_enabled",), "resource"),
    "aws-eks-control-plane-logging": (("eks_control_plane_logging_all_types_enabled",), "resource"),
    "aws-eks-secrets-encrypted": (("eks_cluster_kms_cmk_encryption_in_secrets_enabled",), "resource"),
    "aws-elbv2-deletion-protection": (("elbv2_deletion_protection",), "resource"),
    "aws-elbv2-drop-invalid-headers": (("elbv2_alb_drop_invalid_header_fields_enabled",), "resource"),
    "aws-elb-classic-cross-zone": (("elb_cross_zone_load_balancing_enabled",), "resource"),
    "aws-elb-classic-connection-draining": (("elb_connection_draining_enabled",), "resource"),
    "aws-autoscaling-multi-az": (("autoscaling_group_multiple_az",), "resource"),
}
PROWLER_SERVICES: tuple[str, ...] = ("ec2", "vpc", "awslambda", "ecr", "eks", "elbv2", "elb", "autoscaling")


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("f.py", "def h(e, c):\n    return 1\n")
    return buf.getvalue()


def seed(client: Callable[[str], Any], scale: int) -> dict[str, int]:
    """Create the resources; returns counts per kind."""
    n = max(2, scale // 10)
    ec2, lam, ecr, eks, elb2, elb, asg = (client(s) for s in ("ec2", "lambda", "ecr", "eks", "elbv2", "elb", "autoscaling"))
    iam = client("iam")
    counts: dict[str, int] = {}
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnets = []
    for i in range(n):
        sid = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.99.{i % 250}.0/24",
                                AvailabilityZone=f"{REGION}{'ab'[i % 2]}")["Subnet"]["SubnetId"]
        if i % 2:
            ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
        subnets.append(sid)
    counts["subnets"] = n
    for i in range(n):
        vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1, Encrypted=i % 2 == 0)["VolumeId"]
        snap = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
        if i % 2:
            ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission", OperationType="add",
                                          GroupNames=["all"])
    counts["snapshots"] = n
    inst = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnets[0])["Instances"][0]["InstanceId"]
    for i in range(n):
        ami = ec2.create_image(InstanceId=inst, Name=f"bench-image-{i:04d}")["ImageId"]
        if i % 2:
            ec2.modify_image_attribute(ImageId=ami, LaunchPermission={"Add": [{"Group": "all"}]})
    counts["images"] = n
    role = iam.create_role(RoleName="bench-compute", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sg = ec2.create_security_group(GroupName="bench-fn", Description="fn", VpcId=vpc)["GroupId"]
    for i in range(n):
        name = f"bench-fn-{i:04d}"
        extra = {"VpcConfig": {"SubnetIds": subnets[:1], "SecurityGroupIds": [sg]}} if i % 2 == 0 else {}
        lam.create_function(FunctionName=name, Runtime="python3.12" if i % 2 == 0 else "python3.7", Role=role,
                            Handler="f.h", Code={"ZipFile": _zip()}, **extra)
        lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM" if i % 2 == 0 else "NONE")
    counts["functions"] = n
    for i in range(n):
        name = f"bench-repo-{i:04d}"
        good = i % 2 == 0
        ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE" if good else "MUTABLE",
                              imageScanningConfiguration={"scanOnPush": good})
        if good:
            ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps({"rules": [{
                "rulePriority": 1, "description": "expire untagged images",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                              "countNumber": 14}, "action": {"type": "expire"}}]}))
    counts["repositories"] = n
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    every = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    for i in range(max(2, n // 4)):
        good = i % 2 == 0
        eks.create_cluster(name=f"bench-cluster-{i:04d}", roleArn=role, version="1.33",
                           resourcesVpcConfig={"subnetIds": subnets[:2], "endpointPublicAccess": not good,
                                               "endpointPrivateAccess": True},
                           logging={"clusterLogging": [{"types": every if good else ["api"], "enabled": True}]},
                           **({"encryptionConfig": [{"resources": ["secrets"], "provider": {"keyArn": key}}]} if good else {}))
    counts["clusters"] = max(2, n // 4)
    for i in range(max(2, n // 4)):
        good = i % 2 == 0
        arn = elb2.create_load_balancer(Name=f"bench-alb-{i:04d}", Subnets=subnets[:2])["LoadBalancers"][0]["LoadBalancerArn"]
        elb2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
            {"Key": "deletion_protection.enabled", "Value": str(good).lower()},
            {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": str(good).lower()}])
        elb.create_load_balancer(LoadBalancerName=f"bench-clb-{i:04d}", AvailabilityZones=[f"{REGION}a"],
                                 Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 80, "InstancePort": 80}])
        elb.modify_load_balancer_attributes(LoadBalancerName=f"bench-clb-{i:04d}", LoadBalancerAttributes={
            "CrossZoneLoadBalancing": {"Enabled": good}, "ConnectionDraining": {"Enabled": good, "Timeout": 60}})
    counts["load_balancers"] = 2 * max(2, n // 4)
    asg.create_launch_configuration(LaunchConfigurationName="bench-lc", ImageId="ami-12c6146b", InstanceType="t3.micro")
    for i in range(max(2, n // 4)):
        zones = [f"{REGION}a", f"{REGION}b"] if i % 2 == 0 else [f"{REGION}a"]
        asg.create_auto_scaling_group(AutoScalingGroupName=f"bench-asg-{i:04d}", LaunchConfigurationName="bench-lc",
                                      MinSize=0, MaxSize=1, AvailabilityZones=zones)
    counts["autoscaling_groups"] = max(2, n // 4)
    return counts
