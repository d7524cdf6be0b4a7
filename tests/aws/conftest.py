"""moto fixtures: an emulated account seeded with known weaknesses and known good resources."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
MOTO_MISSING = frozenset({"aws.accessanalyzer.region"})
"""Resource types whose listing moto does not implement: always `error` on moto (each module tests that)."""


@pytest.fixture(scope="session", autouse=True)
def aws_env() -> Iterator[None]:
    """Fake credentials only: nothing here can reach real AWS."""
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "HTTP_PROXY", "HTTPS_PROXY"):
            mp.delenv(var, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_CONFIG_FILE", "/nonexistent/govscan-test-config")
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/govscan-test-credentials")
        mp.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        yield


@pytest.fixture(autouse=True)
def no_shape_outside_the_operation_table() -> Iterator[None]:
    """Every AWS test doubles as a check of ``checks/aws/operations.py``: a collector that needed a shape
    the pruned models left out (an operation missing from the table) fails the test that ran it."""
    from checks.aws import session

    before = dict(session._LOADER.misses) if session._LOADER is not None else {}
    yield
    after = dict(session._LOADER.misses) if session._LOADER is not None else {}
    new = sorted(k for k, n in after.items() if n > before.get(k, 0))
    assert not new, (f"shapes read outside checks/aws/operations.py: {new}; "
                     "run python tests/aws/test_models.py --write")


@pytest.fixture
def moto() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        yield


@dataclass
class Seeded:
    """Ids of what :func:`seed_account` created, for exact expectations."""

    ids: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.ids[name]


ADMIN_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ_DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}


def tls_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def seed_account() -> Seeded:
    """Build the test account: every weakness below has a good twin that must pass."""
    import boto3

    out = Seeded()
    s3 = boto3.client("s3", region_name="us-east-1")
    # good bucket: encrypted, versioned, blocked, TLS-only, logged; bad bucket: nothing set
    for name in ("gs-good", "gs-bad", "gs-logs"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_encryption(Bucket="gs-good", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    s3.put_bucket_versioning(Bucket="gs-good", VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(Bucket="gs-good", PublicAccessBlockConfiguration={
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
    s3.put_bucket_policy(Bucket="gs-good", Policy=tls_policy("gs-good"))
    s3.put_bucket_acl(Bucket="gs-logs", ACL="log-delivery-write")
    s3.put_bucket_logging(Bucket="gs-good", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "gs-logs", "TargetPrefix": "gs-good/"}})
    s3.put_bucket_acl(Bucket="gs-bad", ACL="public-read")

    iam = boto3.client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=24,
                                       RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True)
    iam.create_user(UserName="alice")  # console password, no MFA
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9-Battery")
    iam.create_user(UserName="bob")  # two active keys, admin policy attached directly
    iam.create_access_key(UserName="bob")
    iam.create_access_key(UserName="bob")
    admin = iam.create_policy(PolicyName="admin-all", PolicyDocument=json.dumps(ADMIN_DOC))["Policy"]["Arn"]
    reader = iam.create_policy(PolicyName="s3-reader", PolicyDocument=json.dumps(READ_DOC))["Policy"]["Arn"]
    iam.create_policy(PolicyName="unused-admin", PolicyDocument=json.dumps(ADMIN_DOC))
    iam.attach_user_policy(UserName="bob", PolicyArn=admin)
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=reader)
    iam.create_user(UserName="carol")  # permissions only through a group, one key
    iam.add_user_to_group(GroupName="readers", UserName="carol")
    iam.create_access_key(UserName="carol")
    out.ids.update(admin_policy=admin, reader_policy=reader)

    ec2 = boto3.client("ec2", region_name="us-east-1")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    ssh = ec2.create_security_group(GroupName="ssh-world", Description="bad", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    web = ec2.create_security_group(GroupName="web", Description="good", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
         "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]},
                                                       {"Name": "vpc-id", "Values": [vpc]}])
    good_i = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                               MetadataOptions={"HttpTokens": "required"})["Instances"][0]["InstanceId"]
    bad_i = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                              MetadataOptions={"HttpTokens": "optional"})["Instances"][0]["InstanceId"]
    ec2.enable_ebs_encryption_by_default()
    ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                         LogDestinationType="s3", LogDestination="arn:aws:s3:::gs-logs")
    out.ids.update(vpc=vpc, ssh_sg=ssh, web_sg=web, default_sg=default_sg["SecurityGroups"][0]["GroupId"],
                   good_instance=good_i, bad_instance=bad_i)
    ec2_eu = boto3.client("ec2", region_name="eu-west-1")
    out.ids["vpc_eu"] = ec2_eu.describe_vpcs()["Vpcs"][0]["VpcId"]
    out.ids["default_sg_eu"] = ec2_eu.describe_security_groups()["SecurityGroups"][0]["GroupId"]

    kms = boto3.client("kms", region_name="us-east-1")
    rotated = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotated)
    stale = kms.create_key()["KeyMetadata"]["KeyId"]
    out.ids.update(rotated_key=rotated, stale_key=stale)

    rds = boto3.client("rds", region_name="us-east-1")
    common = dict(DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="dbadmin",
                  MasterUserPassword="not-a-real-secret-1", AllocatedStorage=20)
    out.ids["good_db"] = rds.create_db_instance(DBInstanceIdentifier="db-good", StorageEncrypted=True,
                                                PubliclyAccessible=False, **common)["DBInstance"]["DBInstanceArn"]
    out.ids["bad_db"] = rds.create_db_instance(DBInstanceIdentifier="db-bad", StorageEncrypted=False,
                                               PubliclyAccessible=True, **common)["DBInstance"]["DBInstanceArn"]

    ct = boto3.client("cloudtrail", region_name="us-east-1")
    out.ids["trail"] = ct.create_trail(Name="main", S3BucketName="gs-logs", IsMultiRegionTrail=True,
                                       EnableLogFileValidation=True)["TrailARN"]
    ct.start_logging(Name="main")

    gd = boto3.client("guardduty", region_name="us-east-1")
    gd.create_detector(Enable=True)
    cfg = boto3.client("config", region_name="us-east-1")
    cfg.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "gs-logs"})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    return out


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    """One seeded account per test module (moto is slow to seed; tests only read it)."""
    from moto import mock_aws

    with mock_aws():
        yield seed_account()


def collect(spec: str = "aws:///us-east-1,eu-west-1", types: Any = None, **options: Any) -> Any:
    """Run the provider on ``spec`` for ``types`` (default: all) and return the Collection."""
    from checks.aws.provider import AwsProvider
    from scanner.provider import CollectContext

    prov = AwsProvider()
    target = prov.parse_target(spec, options)[0]
    names = frozenset(types or [t.name for t in prov.resource_types() if t.name not in MOTO_MISSING])
    return prov.collect(target, names, CollectContext())


def by_id(collection: Any, rtype: str) -> dict[str, Any]:
    return {r.id: r for r in collection.resources.get(rtype, [])}
