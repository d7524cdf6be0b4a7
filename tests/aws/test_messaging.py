"""SNS topics and SQS queues: encryption and public policies, both ways on moto, and `error`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from checks.aws.resource_policy import public_statements

from .conftest import ACCOUNT
from .datasvc import check_conformance, cli_scan, control_ids, denied_scan

R = "us-east-1"
CONTROLS = control_ids("messaging.yaml")


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(sid: str, principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": "*", "Resource": "*"}
    if condition:
        st["Condition"] = condition
    return st


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, str]]:
    from moto import mock_aws

    with mock_aws():
        sns = boto3.client("sns", region_name=R)
        out = {}
        out["t_weak"] = sns.create_topic(Name="weak")["TopicArn"]
        sns.set_topic_attributes(TopicArn=out["t_weak"], AttributeName="Policy",
                                 AttributeValue=doc(allow("AnyonePublish", {"AWS": "*"})))
        # the default topic policy: everyone, limited by AWS:SourceOwner to this account
        out["t_strong"] = sns.create_topic(Name="strong", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
        sqs = boto3.client("sqs", region_name=R)
        weak = sqs.create_queue(QueueName="weak", Attributes={"SqsManagedSseEnabled": "false"})["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=weak, Attributes={"Policy": doc(
            allow("IfExists", "*", {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}))})
        strong = sqs.create_queue(QueueName="strong", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=strong, Attributes={"Policy": doc(
            allow("FromMyTopic", {"Service": "sns.amazonaws.com"}),
            allow("FromMyAccount", "*", {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:{R}:{ACCOUNT}:*"}}))})
        sqs.create_queue(QueueName="managed")  # SSE-SQS is on by default, no policy
        yield out


def queue(name: str) -> str:
    return f"arn:aws:sqs:{R}:{ACCOUNT}:{name}"


def test_topics_and_queues_both_ways(account: dict[str, str], tmp_path: Path) -> None:
    got = cli_scan(tmp_path, CONTROLS)
    tw, ts = account["t_weak"], account["t_strong"]
    expected = {
        ("aws-sns-kms", tw): ("fail", "SNS topic weak is not encrypted at rest"),
        ("aws-sns-kms", ts): ("pass", "SNS topic strong is encrypted with KMS key alias/aws/sns"),
        ("aws-sns-not-public", tw): ("fail", "SNS topic weak policy grants access to everyone (statements: AnyonePublish)"),
        ("aws-sns-not-public", ts): ("pass", "SNS topic strong policy grants nothing to everyone"),
        ("aws-sqs-sse", queue("weak")): ("fail", "SQS queue weak is not encrypted at rest"),
        ("aws-sqs-sse", queue("strong")): ("pass", "SQS queue strong is encrypted at rest (SSE-KMS)"),
        ("aws-sqs-sse", queue("managed")): ("pass", "SQS queue managed is encrypted at rest (SSE-SQS)"),
        # StringEqualsIfExists does not limit: a request without aws:SourceAccount passes it
        ("aws-sqs-not-public", queue("weak")): (
            "fail", "SQS queue weak policy grants access to everyone (statements: IfExists)"),
        ("aws-sqs-not-public", queue("strong")): ("pass", "SQS queue strong policy grants nothing to everyone"),
        ("aws-sqs-not-public", queue("managed")): ("pass", "SQS queue managed policy grants nothing to everyone"),
    }
    assert {k: got[k] for k in expected} == expected


def test_denied_attribute_reads_are_errors(account: dict[str, str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    got = denied_scan(tmp_path, monkeypatch, ["sns:GetTopicAttributes", "sqs:ListQueues"], CONTROLS)
    tw = account["t_weak"]
    assert got[("aws-sns-not-public", tw)] == ("error", f"{tw}: could not be read: AccessDenied on sns:GetTopicAttributes")
    assert got[("aws-sns-kms", tw)] == ("error", f"{tw}: could not be read: AccessDenied on sns:GetTopicAttributes")
    where = f"aws://{ACCOUNT}/{R}/{R}"
    assert got[("aws-sqs-sse", where)] == (
        "error", "aws.sqs.queue not collected (us-east-1): AccessDenied on sqs:ListQueues in us-east-1")


@pytest.mark.parametrize("policy,public", [
    (doc(allow("a", "*")), ["a"]),
    (doc(allow("a", {"AWS": ["arn:aws:iam::111122223333:root", "*"]})), ["a"]),
    (doc({"Sid": "n", "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
          "Action": "*", "Resource": "*"}), ["n"]),
    (doc(allow("a", "*", {"StringEquals": {"AWS:SourceOwner": ACCOUNT}})), []),
    (doc(allow("a", "*", {"StringLike": {"aws:SourceAccount": "*"}})), ["a"]),
    (doc(allow("a", "*", {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:*:topic"}})), ["a"]),
    (doc(allow("a", "*", {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-abc"}})), []),
    (doc(allow("a", "*", {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})), ["a"]),
    (doc(allow("a", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"})), []),
    (doc({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}), []),
    ("not json", None),
    (json.dumps({"Version": "2012-10-17"}), None),
])
def test_public_statements(policy: str, public: list[str] | None) -> None:
    assert public_statements(policy) == public


def test_collected_attributes_match_their_declaration(account: object) -> None:
    check_conformance(["aws.sns.topic", "aws.sqs.queue"])
