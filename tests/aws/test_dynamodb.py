"""DynamoDB tables and DAX clusters: each control both ways on moto, and `error` when a read is denied."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import boto3
import pytest

from .conftest import ACCOUNT
from .datasvc import check_conformance, cli_scan, control_ids, denied_scan

R = "us-east-1"
CONTROLS = control_ids("dynamodb.yaml")
KEYS = dict(KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def table(name: str) -> str:
    return f"arn:aws:dynamodb:{R}:{ACCOUNT}:table/{name}"


def dax(name: str) -> str:
    return f"arn:aws:dax:{R}:{ACCOUNT}:cache/{name}"


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, str]]:
    from moto import mock_aws

    with mock_aws():
        key = boto3.client("kms", region_name=R).create_key()["KeyMetadata"]["Arn"]
        ddb = boto3.client("dynamodb", region_name=R)
        ddb.create_table(TableName="weak", **KEYS)
        ddb.create_table(TableName="strong", DeletionProtectionEnabled=True,
                         SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}, **KEYS)
        ddb.update_continuous_backups(TableName="strong",
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        client = boto3.client("dax", region_name=R)
        role = f"arn:aws:iam::{ACCOUNT}:role/dax"
        client.create_cluster(ClusterName="daxweak", NodeType="dax.t3.small", ReplicationFactor=1, IamRoleArn=role)
        client.create_cluster(ClusterName="daxstrong", NodeType="dax.t3.small", ReplicationFactor=1, IamRoleArn=role,
                              SSESpecification={"Enabled": True}, ClusterEndpointEncryptionType="TLS")
        yield {"key": key}


def test_tables_and_dax_both_ways(account: dict[str, str], tmp_path: Path) -> None:
    got = cli_scan(tmp_path, CONTROLS)
    weak, strong = table("weak"), table("strong")
    expected = {
        ("aws-dynamodb-pitr", weak): ("fail", "DynamoDB table weak has no point-in-time recovery"),
        ("aws-dynamodb-pitr", strong): ("pass", "DynamoDB table strong has point-in-time recovery"),
        # the default is encryption too, with an AWS owned key: the message says so
        ("aws-dynamodb-cmk", weak): (
            "fail", "DynamoDB table weak is encrypted with an aws-owned key, not a customer managed KMS key"),
        ("aws-dynamodb-cmk", strong): ("pass", "DynamoDB table strong is encrypted with a customer managed KMS key"),
        ("aws-dynamodb-deletion-protection", weak): ("fail", "DynamoDB table weak has no deletion protection"),
        ("aws-dynamodb-deletion-protection", strong): ("pass", "DynamoDB table strong has deletion protection"),
        ("aws-dax-encryption-at-rest", dax("daxweak")): (
            "fail", "DAX cluster daxweak is not encrypted at rest (SSE DISABLED)"),
        ("aws-dax-encryption-at-rest", dax("daxstrong")): ("pass", "DAX cluster daxstrong is encrypted at rest"),
        ("aws-dax-tls", dax("daxweak")): ("fail", "DAX cluster daxweak endpoint encryption is NONE, not TLS"),
        ("aws-dax-tls", dax("daxstrong")): ("pass", "DAX cluster daxstrong requires TLS"),
    }
    assert {k: got[k] for k in expected} == expected
    assert len(got) == len(expected)


def test_aws_managed_key_is_not_a_customer_key(account: dict[str, str], tmp_path: Path) -> None:
    from moto.kms.models import kms_backends

    ddb = boto3.client("dynamodb", region_name=R)
    ddb.create_table(TableName="managed", SSESpecification={"Enabled": True, "SSEType": "KMS"}, **KEYS)
    # moto creates alias/aws/dynamodb as a customer key; in AWS it is AWS managed: make it so
    kms_backends[ACCOUNT][R].describe_key("alias/aws/dynamodb").key_manager = "AWS"
    try:
        got = cli_scan(tmp_path, ["aws-dynamodb-cmk"])
        assert got[("aws-dynamodb-cmk", table("managed"))] == (
            "fail", "DynamoDB table managed is encrypted with an aws-managed key, not a customer managed KMS key")
    finally:
        ddb.delete_table(TableName="managed")


def test_denied_reads_are_errors(account: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = denied_scan(tmp_path, monkeypatch, ["dynamodb:DescribeContinuousBackups", "kms:DescribeKey",
                                              "dax:DescribeClusters"], CONTROLS)
    weak, strong = table("weak"), table("strong")
    assert got[("aws-dynamodb-pitr", strong)] == (
        "error", f"{strong}: point_in_time_recovery could not be read: AccessDenied on dynamodb:DescribeContinuousBackups")
    assert got[("aws-dynamodb-cmk", strong)] == (
        "error", f"{strong}: encryption_key could not be read: AccessDenied on kms:DescribeKey")
    assert got[("aws-dynamodb-cmk", weak)][0] == "fail"  # an AWS owned key needs no key read
    assert got[("aws-dynamodb-deletion-protection", strong)][0] == "pass"
    where = f"aws://{ACCOUNT}/{R}/{R}"
    assert got[("aws-dax-tls", where)] == (
        "error", "aws.dax.cluster not collected (us-east-1): AccessDenied on dax:DescribeClusters in us-east-1")


def test_collected_attributes_match_their_declaration(account: object) -> None:
    check_conformance(["aws.dynamodb.table", "aws.dax.cluster"])
