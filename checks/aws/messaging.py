"""SNS topics and SQS queues: encryption at rest and resource policies open to everyone."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.resource_policy import public_statements
from checks.aws.session import ApiFailure
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources


def _policy_attrs(doc: Any, attrs: dict[str, Any], lost: dict[str, str]) -> None:
    """No Policy attribute: only the owner account has access (AWS's default); otherwise the
    statements open to everyone, or unreadable when the document is not a policy."""
    attrs["Policy"] = doc
    if not doc:
        attrs["policy_public_statements"] = []
        return
    public = public_statements(doc)
    if public is None:
        lost["policy_public_statements"] = unknown_reason("the policy")
    else:
        attrs["policy_public_statements"] = public


def collect_topics(api: Api, region: str | None) -> list[Resource]:
    topics = api.list("sns", region, "ListTopics", "Topics")

    def one(topic: dict[str, Any]) -> Resource:
        arn = topic["TopicArn"]
        name = arn.rsplit(":", 1)[-1]
        try:
            got = api.call("sns", region, "GetTopicAttributes", TopicArn=arn).get("Attributes") or {}
        except ApiFailure as failure:
            return Resource(arn, "aws.sns.topic", {"TopicName": name}, region=region, error=str(failure))
        lost: dict[str, str] = {}
        attrs: dict[str, Any] = {"TopicName": name, "KmsMasterKeyId": got.get("KmsMasterKeyId") or None}
        attrs["kms_encrypted"] = attrs["KmsMasterKeyId"] is not None
        _policy_attrs(got.get("Policy"), attrs, lost)
        return Resource(arn, "aws.sns.topic", attrs, region=region, attr_errors=lost)

    return api.fan_out(one, topics)


def collect_queues(api: Api, region: str | None) -> list[Resource]:
    urls = api.list("sqs", region, "ListQueues", "QueueUrls")

    def one(url: str) -> Resource:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        fallback = api.arn("sqs", region, name)
        try:
            got = api.call("sqs", region, "GetQueueAttributes", QueueUrl=url,
                           AttributeNames=["All"]).get("Attributes") or {}
        except ApiFailure as failure:
            return Resource(fallback, "aws.sqs.queue", {"QueueName": name}, region=region, error=str(failure))
        lost: dict[str, str] = {}
        kms = got.get("KmsMasterKeyId") or None
        managed = str(got.get("SqsManagedSseEnabled", "")).lower() == "true"
        attrs: dict[str, Any] = {"QueueName": name, "QueueUrl": url, "KmsMasterKeyId": kms,
                                 "SqsManagedSseEnabled": managed,
                                 "sse": "SSE-KMS" if kms else ("SSE-SQS" if managed else "none")}
        attrs["sse_enabled"] = attrs["sse"] != "none"
        _policy_attrs(got.get("Policy"), attrs, lost)
        return Resource(got.get("QueueArn") or fallback, "aws.sqs.queue", attrs, region=region, attr_errors=lost)

    return api.fan_out(one, urls)


_POLICY = (A("Policy", "string", "the access policy (JSON); null when none (owner account only)"),
           A("policy_public_statements", "list", "Allow statements open to every principal (Principal *, "
             "AWS *, NotPrincipal) without a condition that pins the caller to named accounts, organisations, "
             "source ARNs or VPCs: their Sid, or #position"))


@resources.register("aws.sns.topic")
class SnsTopic(AwsKind):
    description = "An SNS topic: encryption and access policy."
    attributes = (A("TopicName", "string", "topic name"),
         A("KmsMasterKeyId", "string", "KMS key encrypting messages at rest; null when none"),
         A("kms_encrypted", "boolean", "messages are encrypted at rest with a KMS key")) + _POLICY
    permissions = ("sns:ListTopics", "sns:GetTopicAttributes")
    build = staticmethod(collect_topics)


@resources.register("aws.sqs.queue")
class SqsQueue(AwsKind):
    description = "An SQS queue: server-side encryption and access policy."
    attributes = (A("QueueName", "string", "queue name"), A("QueueUrl", "string", "queue URL"),
         A("KmsMasterKeyId", "string", "KMS key (SSE-KMS); null when none"),
         A("SqsManagedSseEnabled", "boolean", "SQS-managed encryption (SSE-SQS) is on"),
         A("sse", "string", "SSE-KMS, SSE-SQS or none"),
         A("sse_enabled", "boolean", "messages are encrypted at rest (SSE-KMS or SSE-SQS)")) + _POLICY
    permissions = ("sqs:ListQueues", "sqs:GetQueueAttributes")
    build = staticmethod(collect_queues)
