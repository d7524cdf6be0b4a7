"""Seed an emulated AWS account (a moto server) with a mix of good and weak resources.

``python bench/aws_seed.py ENDPOINT SCALE`` creates about ``4.3 * SCALE`` resources in us-east-1:
SCALE buckets, users and security groups, SCALE/2 instances (each with its root volume), SCALE/4 KMS
keys, SCALE/10 RDS instances, one trail. Every other resource is compliant, so both verdicts occur.
"""

from __future__ import annotations

import json
import sys
from typing import Any

REGION = "us-east-1"


def seed(endpoint: str, scale: int) -> dict[str, int]:
    """Create the resources; returns counts per kind."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint)

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
    counts["total"] = sum(counts.values()) + 2
    return counts


if __name__ == "__main__":
    print(json.dumps(seed(sys.argv[1], int(sys.argv[2]))))
