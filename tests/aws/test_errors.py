"""Failures: denied APIs, unsupported regions, bad profiles, not-implemented APIs; assume-role."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT, by_id, collect, tls_policy

def test_unsupported_region_is_an_error_for_regional_types_only(moto: None) -> None:
    c = collect("aws:///us-east-1,xx-nowhere-1", types=["aws.vpc", "aws.account"])
    assert [(e.resource_type, e.scope, e.message) for e in c.errors] == [
        ("aws.vpc", "xx-nowhere-1", "region xx-nowhere-1 is not an AWS region of this partition")]
    assert [r.region for r in c.resources["aws.vpc"]] == ["us-east-1"]
    assert len(c.resources["aws.account"]) == 1


def test_region_without_resources_yields_no_resources(moto: None) -> None:
    c = collect("aws:///eu-west-1", types=["aws.rds.instance", "aws.ec2.instance"])
    assert c.errors == [] and c.resources == {"aws.rds.instance": [], "aws.ec2.instance": []}


@contextlib.contextmanager
def enforced_iam() -> Iterator[None]:
    """Make moto check IAM permissions of every request from now on."""
    from moto import settings
    from moto.core.responses import ActionAuthenticatorMixin

    before = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    try:
        yield
    finally:
        settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = before


def restricted_user(deny: list[str]) -> dict[str, str]:
    iam = boto3.client("iam")
    iam.create_user(UserName="auditor")
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": deny, "Resource": "*"}]}
    iam.put_user_policy(UserName="auditor", PolicyName="audit", PolicyDocument=json.dumps(doc))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def verdicts(c: Any, spec: str, *types: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(control, resource) -> (status, message) of every aws control on ``types``, through the engine."""
    from checks.aws.provider import AwsProvider
    from scanner.evaluate import evaluate_control
    from scanner.policy import load_controls

    target = AwsProvider().parse_target(spec, {})[0]
    root = Path(__file__).resolve().parents[2] / "policies" / "controls" / "aws"
    out = {}
    for control in load_controls([str(root)]).values():
        if control.resource in types:
            for f in evaluate_control(control, target, c):
                out[(f.control_id, f.resource_id)] = (f.status.value, f.message)
    return out


def test_access_denied_becomes_errors_naming_api_and_code(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3")
    for name in ("denied-a", "denied-b"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket="denied-a", Policy=tls_policy("denied-a"))
    s3.put_bucket_versioning(Bucket="denied-a", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket="denied-a", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    creds = restricted_user(["ec2:DescribeSecurityGroups", "s3:GetBucketPolicy"])
    for k, v in creds.items():
        monkeypatch.setenv(k, v)
    with enforced_iam():
        c = collect("aws:///us-east-1", types=["aws.ec2.security_group", "aws.s3.bucket", "aws.vpc"])
    assert c.fatal is None
    assert [(e.resource_type, e.scope, e.message) for e in c.errors] == [
        ("aws.ec2.security_group", "us-east-1", "AccessDenied on ec2:DescribeSecurityGroups in us-east-1")]
    # the denied sub-read is lost for the attributes it feeds only; the bucket itself was read
    buckets = by_id(c, "aws.s3.bucket")
    assert {b.error for b in buckets.values()} == {None}
    assert {b.id: dict(b.attr_errors) for b in buckets.values()} == {
        f"arn:aws:s3:::{n}": {"Policy": "AccessDenied on s3:GetBucketPolicy",
                              "tls_only_policy": "AccessDenied on s3:GetBucketPolicy",
                              "write_grantees": "AccessDenied on s3:GetBucketPolicy"}
        for n in ("denied-a", "denied-b")}
    assert len(c.resources["aws.vpc"]) == 1 and c.resources["aws.vpc"][0].error is None

    got = verdicts(c, "aws:///us-east-1", "aws.s3.bucket")
    a, b = "arn:aws:s3:::denied-a", "arn:aws:s3:::denied-b"
    assert {k: v[0] for k, v in got.items()} == {
        ("aws-s3-tls-only", a): "error", ("aws-s3-tls-only", b): "error",
        # GetBucketPolicyStatus was still readable: the policy-public control decides
        ("aws-s3-no-public-policy", a): "pass", ("aws-s3-no-public-policy", b): "pass",
        ("aws-s3-encryption-at-rest", a): "pass", ("aws-s3-encryption-at-rest", b): "fail",
        ("aws-s3-versioning", a): "pass", ("aws-s3-versioning", b): "fail",
        ("aws-s3-mfa-delete", a): "fail", ("aws-s3-mfa-delete", b): "fail",
        ("aws-s3-bucket-public-access-block", a): "fail", ("aws-s3-bucket-public-access-block", b): "fail",
        ("aws-s3-no-public-acl", a): "pass", ("aws-s3-no-public-acl", b): "pass",
        ("aws-s3-access-logging", a): "fail", ("aws-s3-access-logging", b): "fail",
        # the policy feeds the foreign-write control too; no bucket receives logs; no notifications
        ("aws-s3-no-foreign-write", a): "error", ("aws-s3-no-foreign-write", b): "error",
        ("aws-s3-log-bucket-object-lock", a): "notapplicable", ("aws-s3-log-bucket-object-lock", b): "notapplicable",
        ("aws-s3-event-notifications", a): "fail", ("aws-s3-event-notifications", b): "fail",
    }
    assert got[("aws-s3-tls-only", a)][1] == (
        f"{a}: tls_only_policy could not be read: AccessDenied on s3:GetBucketPolicy")


def test_denied_account_and_key_sub_reads_error_only_their_controls(
        moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("iam").update_account_password_policy(MinimumPasswordLength=16, PasswordReusePrevention=24)
    kms = boto3.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="trail-logs")
    boto3.client("cloudtrail").create_trail(Name="audit", S3BucketName="trail-logs", IsMultiRegionTrail=True,
                                            EnableLogFileValidation=True)
    creds = restricted_user(["iam:GetAccountPasswordPolicy", "kms:GetKeyRotationStatus", "s3:GetBucketLogging"])
    for k, v in creds.items():
        monkeypatch.setenv(k, v)
    types = ("aws.account", "aws.kms.key", "aws.cloudtrail.trail")
    with enforced_iam():
        c = collect("aws:///us-east-1", types=list(types))
    assert c.errors == [] and c.fatal is None
    got = verdicts(c, "aws:///us-east-1", *types)
    acct, trail = f"arn:aws:::{ACCOUNT}", f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/audit"
    assert {k: v[0] for k, v in got.items()} == {
        ("aws-iam-password-min-length", acct): "error", ("aws-iam-password-reuse", acct): "error",
        ("aws-iam-password-complexity", acct): "error", ("aws-iam-password-max-age", acct): "error",
        ("aws-s3-account-public-access-block", acct): "fail", ("aws-iam-support-role", acct): "fail",
        ("aws-account-security-contact", acct): "fail",
        ("aws-kms-key-rotation", key): "error", ("aws-kms-no-pending-deletion", key): "pass",
        ("aws-kms-key-not-public", key): "pass", ("aws-kms-key-no-cross-account", key): "pass",
        ("aws-kms-key-not-disabled", key): "pass", ("aws-kms-key-single-region", key): "pass",
        ("aws-cloudtrail-bucket-access-logging", trail): "error",
        ("aws-cloudtrail-log-validation", trail): "pass", ("aws-cloudtrail-kms", trail): "fail",
        ("aws-cloudtrail-cloudwatch-logs", trail): "fail", ("aws-cloudtrail-logging", trail): "fail",
    }
    assert got[("aws-iam-password-reuse", acct)][1] == (
        f"{acct}: PasswordPolicy could not be read: AccessDenied on iam:GetAccountPasswordPolicy")
    assert got[("aws-kms-key-rotation", key)][1] == (
        f"{key}: KeyRotationEnabled could not be read: AccessDenied on kms:GetKeyRotationStatus")
    assert got[("aws-cloudtrail-bucket-access-logging", trail)][1] == (
        f"{trail}: s3_bucket_logging_enabled could not be read: AccessDenied on s3:GetBucketLogging")


def test_not_implemented_is_reported_without_retry_backoff() -> None:
    from checks.aws.session import NotImplementedResponse, _stop_on_not_implemented

    class Http:
        status_code = 500
        content = b"<Error><Code>InternalFailure</Code><Message>The get_foo action has not been implemented</Message></Error>"

    with pytest.raises(NotImplementedResponse):
        _stop_on_not_implemented(response=(Http(), {"Error": {"Code": "InternalFailure"}}))

    class Throttled(Http):
        status_code = 503
        content = b"SlowDown"

    assert _stop_on_not_implemented(response=(Throttled(), {})) is None  # left to adaptive retries


def test_bad_profile_is_fatal_with_a_reason(moto: None) -> None:
    c = collect("aws://no-such-profile/us-east-1", types=["aws.vpc"])
    assert c.fatal is not None and "ProfileNotFound" in c.fatal and c.resources == {}


def test_assume_role_reaches_the_other_account(moto: None) -> None:
    other = "222233334444"
    role = f"arn:aws:iam::{other}:role/Audit"
    sts = boto3.client("sts")
    creds = sts.assume_role(RoleArn=role, RoleSessionName="seed", ExternalId="ext-1")["Credentials"]
    s3_other = boto3.client("s3", aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    s3_other.create_bucket(Bucket="other-account-bucket")
    boto3.client("s3").create_bucket(Bucket="home-account-bucket")

    home = collect("aws:///us-east-1", types=["aws.s3.bucket"])
    far = collect("aws:///us-east-1", types=["aws.s3.bucket"], role_arn=role, external_id="ext-1",
                  session_name="govscan-test")
    assert home.facts["account_id"] == ACCOUNT and far.facts["account_id"] == other
    assert [r.id for r in home.resources["aws.s3.bucket"]] == ["arn:aws:s3:::home-account-bucket"]
    assert [r.id for r in far.resources["aws.s3.bucket"]] == ["arn:aws:s3:::other-account-bucket"]
    assert far.facts["caller_arn"].startswith(f"arn:aws:sts::{other}:assumed-role/Audit/govscan-test")
