"""Failures: denied APIs, unsupported regions, bad profiles, not-implemented APIs; assume-role."""

from __future__ import annotations

import contextlib
import json
from typing import Iterator

import boto3
import pytest

from conftest import ACCOUNT, by_id, collect, tls_policy

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


def test_access_denied_becomes_errors_naming_api_and_code(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = boto3.client("s3")
    for name in ("denied-a", "denied-b"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket="denied-a", Policy=tls_policy("denied-a"))
    creds = restricted_user(["ec2:DescribeSecurityGroups", "s3:GetBucketPolicy"])
    for k, v in creds.items():
        monkeypatch.setenv(k, v)
    with enforced_iam():
        c = collect("aws:///us-east-1", types=["aws.ec2.security_group", "aws.s3.bucket", "aws.vpc"])
    assert c.fatal is None
    assert [(e.resource_type, e.scope, e.message) for e in c.errors] == [
        ("aws.ec2.security_group", "us-east-1", "AccessDenied on ec2:DescribeSecurityGroups in us-east-1")]
    # the sub-read denied per bucket makes each bucket an error resource; the rest completes
    buckets = by_id(c, "aws.s3.bucket")
    assert {b.error for b in buckets.values()} == {"AccessDenied on s3:GetBucketPolicy"}
    assert len(c.resources["aws.vpc"]) == 1 and c.resources["aws.vpc"][0].error is None


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
