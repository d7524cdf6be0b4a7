"""S3 extras: bucket policies letting other accounts write or delete, Object Lock on buckets that
receive logs, event notifications. Both ways on moto, and `error` when a read is denied."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from checks.aws.resource_policy import write_grantees

from .conftest import ACCOUNT
from .datasvc import cli_scan, control_ids, denied_scan

R = "us-east-1"
CONTROLS = control_ids("s3-extras.yaml")
PARTNER = "222233334444"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, action: Any, bucket: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action,
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}


def b(name: str) -> str:
    return f"arn:aws:s3:::{name}"


@pytest.fixture(scope="module")
def account() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name=R)
        for name in ("partner-write", "public-delete", "partner-read", "own-only", "source"):
            s3.create_bucket(Bucket=name)
        s3.put_bucket_policy(Bucket="partner-write", Policy=policy(
            allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}, "s3:PutObject", "partner-write")))
        s3.put_bucket_policy(Bucket="public-delete", Policy=policy(allow("*", "s3:Delete*", "public-delete")))
        s3.put_bucket_policy(Bucket="partner-read", Policy=policy(
            allow({"AWS": PARTNER}, ["s3:GetObject", "s3:ListBucket"], "partner-read")))
        s3.put_bucket_policy(Bucket="own-only", Policy=policy(
            allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"}, "s3:*", "own-only")))
        s3.create_bucket(Bucket="access-logs", ObjectLockEnabledForBucket=True)
        s3.put_bucket_acl(Bucket="access-logs", ACL="log-delivery-write")
        s3.put_bucket_logging(Bucket="source", BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "source/"}})
        s3.create_bucket(Bucket="trail-logs")
        boto3.client("cloudtrail", region_name=R).create_trail(Name="main", S3BucketName="trail-logs")
        queue = boto3.client("sqs", region_name=R).create_queue(QueueName="uploads")["QueueUrl"].rsplit("/", 1)[1]
        s3.put_bucket_notification_configuration(Bucket="source", NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": f"arn:aws:sqs:{R}:{ACCOUNT}:{queue}", "Events": ["s3:ObjectCreated:*"]}]})
        yield


def test_foreign_writes_object_lock_and_notifications_both_ways(account: None, tmp_path: Path) -> None:
    got = cli_scan(tmp_path, CONTROLS)
    w = "aws-s3-no-foreign-write"
    assert got[(w, b("partner-write"))] == ("fail", f"Bucket partner-write policy lets other accounts write or delete: {PARTNER}")
    assert got[(w, b("public-delete"))] == ("fail", "Bucket public-delete policy lets other accounts write or delete: *")
    for name in ("partner-read", "own-only", "source"):
        assert got[(w, b(name))] == ("pass", f"Bucket {name} policy lets no other account write or delete")
    lock = "aws-s3-log-bucket-object-lock"
    assert got[(lock, b("access-logs"))] == ("pass", "Log bucket access-logs has Object Lock")
    assert got[(lock, b("trail-logs"))] == (
        "fail", f"Log bucket trail-logs has no Object Lock (receives: trail arn:aws:cloudtrail:{R}:{ACCOUNT}:trail/main)")
    assert got[(lock, b("source"))][0] == "notapplicable"  # receives no logs
    n = "aws-s3-event-notifications"
    assert got[(n, b("source"))] == ("pass", "Bucket source sends event notifications")
    assert got[(n, b("own-only"))] == ("fail", "Bucket own-only sends no event notifications")


def test_trusted_partner_may_write(account: None, tmp_path: Path) -> None:
    got = cli_scan(tmp_path, ["aws-s3-no-foreign-write"],
                   inputs=(f"aws-s3-no-foreign-write.trusted_accounts=['{PARTNER}']",))
    assert got[("aws-s3-no-foreign-write", b("partner-write"))][0] == "pass"
    assert got[("aws-s3-no-foreign-write", b("public-delete"))][0] == "fail"


def test_denied_reads_are_errors(account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = denied_scan(tmp_path, monkeypatch, ["s3:GetBucketPolicy", "cloudtrail:DescribeTrails",
                                              "s3:GetBucketNotification"], CONTROLS)
    name = b("partner-write")
    assert got[("aws-s3-no-foreign-write", name)] == (
        "error", f"{name}: write_grantees could not be read: AccessDenied on s3:GetBucketPolicy")
    # which buckets receive logs is unknown: error on every bucket, never notapplicable
    assert got[("aws-s3-log-bucket-object-lock", b("source"))] == (
        "error", f"{b('source')}: log_sources could not be read: AccessDenied on cloudtrail:DescribeTrails")
    assert got[("aws-s3-event-notifications", name)][0] == "error"


@pytest.mark.parametrize("statement,grantees", [
    ({"Effect": "Allow", "Principal": {"AWS": [PARTNER, f"arn:aws:iam::{ACCOUNT}:root"]}, "Action": "s3:*"},
     [PARTNER]),
    ({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:role/x"}, "NotAction": "s3:Get*"}, [PARTNER]),
    ({"Effect": "Allow", "Principal": {"AWS": PARTNER}, "NotAction": "s3:*"}, []),
    ({"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
      "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}, []),
    ({"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}, []),
    ({"Effect": "Allow", "Principal": {"CanonicalUser": "abc"}, "Action": "s3:PutObjectAcl"}, ["canonical:abc"]),
    ({"Effect": "Deny", "Principal": "*", "Action": "s3:*"}, []),
])
def test_write_grantees(statement: dict[str, Any], grantees: list[str]) -> None:
    assert write_grantees({"Version": "2012-10-17", "Statement": [dict(statement, Resource="*")]}, ACCOUNT) == grantees
