"""Seed an emulated AWS account (a moto server) with a mix of good and weak resources.

``python bench/aws_seed.py ENDPOINT SCALE [ROLE_ARN]`` creates about ``4.3 * SCALE`` resources in
us-east-1 (SCALE buckets, users and security groups, SCALE/2 instances (each with its root volume),
SCALE/4 KMS keys, SCALE/10 RDS instances, one trail), then runs every plug-in
``bench/aws_seed_<family>.py`` (``seed(client, scale) -> counts``, ``PAIRS``, ``PROWLER_SERVICES``)
with the same client factory. Every other resource is compliant, so both verdicts occur. With
ROLE_ARN the resources are created in that role's account (moto maps assumed-role keys to it).
Prints the counts per kind (plug-in kinds prefixed with their family) and ``total`` as JSON.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

REGION = "us-east-1"
HERE = Path(__file__).resolve().parent


def plugins() -> list[tuple[str, ModuleType]]:
    """(family, module) of every ``bench/aws_seed_<family>.py``, by family name."""
    out = []
    for path in sorted(HERE.glob("aws_seed_*.py")):
        family = path.stem[len("aws_seed_"):]
        spec = importlib.util.spec_from_file_location(f"aws_seed_{family}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out.append((family, module))
    return out


def all_pairs(base: dict[str, tuple[tuple[str, ...], str]]) -> dict[str, tuple[tuple[str, ...], str]]:
    """``base`` plus every plug-in's PAIRS (govscan control -> (Prowler checks, keying))."""
    out = dict(base)
    for _, module in plugins():
        out.update(getattr(module, "PAIRS", {}))
    return out


def prowler_services(base: tuple[str, ...]) -> tuple[str, ...]:
    """``base`` plus every plug-in's PROWLER_SERVICES, in order, once each."""
    out = list(base)
    for _, module in plugins():
        out += [s for s in getattr(module, "PROWLER_SERVICES", ()) if s not in out]
    return tuple(out)


def client_factory(endpoint: str, role_arn: str | None = None) -> Callable[[str], Any]:
    """``client(service)``: a boto3 client on the moto server in us-east-1 (in ROLE_ARN's account)."""
    import boto3

    session = boto3.Session(region_name=REGION)
    if role_arn:
        creds = session.client("sts", endpoint_url=endpoint).assume_role(
            RoleArn=role_arn, RoleSessionName="bench-seed")["Credentials"]
        session = boto3.Session(region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                                aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"])

    suffix = role_arn.split(":")[4] if role_arn else ""

    def client(service: str) -> Any:
        cli = session.client(service, region_name=REGION, endpoint_url=endpoint)
        if suffix:  # bucket names are global: a member account's get its id appended, in every request
            cli.meta.events.register(f"provide-client-params.{service}.*", lambda params, **_: _rename(params, suffix))
        return cli

    return client


_BUCKET_KEYS = ("Bucket", "BucketName", "S3BucketName", "TargetBucket")


def _rename(params: Any, suffix: str) -> Any:
    """Bucket names in request parameters (and S3 ARNs in policy documents) with ``-suffix`` added."""
    import re

    if isinstance(params, dict):
        for k, v in params.items():
            if k in _BUCKET_KEYS and isinstance(v, str) and not v.endswith(f"-{suffix}"):
                params[k] = f"{v}-{suffix}"[:63]
            elif k == "Policy" and isinstance(v, str):
                params[k] = re.sub(r"(arn:aws:s3:::)([a-z0-9.-]+)", lambda m: f"{m.group(1)}{m.group(2)}-{suffix}", v)
            else:
                _rename(v, suffix)
    elif isinstance(params, list):
        for v in params:
            _rename(v, suffix)
    return None


def seed(endpoint: str, scale: int, role_arn: str | None = None) -> dict[str, int]:
    """Create the base resources and every plug-in's; returns counts per kind and ``total``."""
    client = client_factory(endpoint, role_arn)
    counts = seed_base(client, scale)
    for family, module in plugins():
        for kind, n in module.seed(client, scale).items():
            counts[f"{family}.{kind}"] = int(n)
    counts["total"] = sum(counts.values())
    return counts


def seed_base(client: Callable[[str], Any], scale: int) -> dict[str, int]:
    """The base account: buckets, users, security groups, instances, keys, databases, a trail."""
    s3, iam, ec2, kms, rds, ct = (client(s) for s in ("s3", "iam", "ec2", "kms", "rds", "cloudtrail"))
    counts: dict[str, int] = {}
    for i in range(scale):
        name = f"bench-bucket-{i:04d}"
        s3.create_bucket(Bucket=name)
        if i % 2 == 0:
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={k: True for k in (
                "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    counts["buckets"] = scale
    admin = iam.create_policy(PolicyName="bench-admin", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.create_group(GroupName="bench-group")
    for i in range(scale):
        user = f"bench-user-{i:04d}"
        iam.create_user(UserName=user)
        if i % 2:
            iam.create_login_profile(UserName=user, Password="Bench-Passw0rd-123!")
            iam.attach_user_policy(UserName=user, PolicyArn=admin)
        else:
            iam.add_user_to_group(GroupName="bench-group", UserName=user)
            iam.create_access_key(UserName=user)
    counts["users"] = scale
    iam.update_account_password_policy(MinimumPasswordLength=8)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    for i in range(scale):
        sg = ec2.create_security_group(GroupName=f"bench-sg-{i:04d}", Description="bench", VpcId=vpc)["GroupId"]
        port = 22 if i % 2 else 443
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    counts["security_groups"] = scale
    for i in range(scale // 2):
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                          MetadataOptions={"HttpTokens": "required" if i % 2 else "optional"})
    counts["instances"] = counts["volumes"] = scale // 2
    for i in range(max(1, scale // 4)):
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        if i % 2:
            kms.enable_key_rotation(KeyId=key)
    counts["kms_keys"] = max(1, scale // 4)
    for i in range(max(1, scale // 10)):
        rds.create_db_instance(DBInstanceIdentifier=f"bench-db-{i:03d}", DBInstanceClass="db.t3.micro",
                               Engine="postgres", MasterUsername="benchadmin",
                               MasterUserPassword="bench-not-secret-1", AllocatedStorage=20,
                               StorageEncrypted=bool(i % 2), PubliclyAccessible=not i % 2)
    counts["rds"] = max(1, scale // 10)
    s3.create_bucket(Bucket="bench-trail-logs")
    ct.create_trail(Name="bench-trail", S3BucketName="bench-trail-logs", IsMultiRegionTrail=True,
                    EnableLogFileValidation=True)
    ct.start_logging(Name="bench-trail")
    counts["trail"] = 2  # the trail and its bucket
    return counts


if __name__ == "__main__":
    print(json.dumps(seed(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)))
