"""Secrets Manager: aws.secretsmanager.secret (rotation, last access, encryption key, resource policy)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from checks.aws.api import Api
from checks.aws.grants import public_statements
from checks.aws.kind import AwsKind
from checks.aws.policydoc import as_document
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_TYPE = "aws.secretsmanager.secret"
_DEFAULT_KEY = "alias/aws/secretsmanager"


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _customer_key(api: Api, region: str | None, key: str | None) -> bool:
    """The secret's key is customer managed (DescribeKey decides for anything but the default alias)."""
    if not key or key == _DEFAULT_KEY or key.endswith(":" + _DEFAULT_KEY):
        return False
    key_region = key.split(":")[3] if key.startswith("arn:") else region
    meta = api.call("kms", key_region, "DescribeKey", KeyId=key)["KeyMetadata"]
    return meta.get("KeyManager") == "CUSTOMER"


def collect_secrets(api: Api, region: str | None) -> list[Resource]:
    secrets = api.list("secretsmanager", region, "ListSecrets", "SecretList")
    want_key = api.wants(_TYPE, "customer_managed_key")
    want_policy = api.wants(_TYPE, "ResourcePolicy", "policy_public_statements", "policy_public")

    def one(sec: dict[str, Any]) -> Resource:
        created = _iso(sec.get("CreatedDate"))
        attrs: dict[str, Any] = {
            "Name": sec.get("Name"), "ARN": sec["ARN"], "CreatedDate": created,
            # ListSecrets leaves RotationEnabled out when rotation was never turned on
            "RotationEnabled": bool(sec.get("RotationEnabled")),
            "RotationRules": sec.get("RotationRules"), "LastRotatedDate": _iso(sec.get("LastRotatedDate")),
            "LastAccessedDate": _iso(sec.get("LastAccessedDate")), "KmsKeyId": sec.get("KmsKeyId"),
            "Tags": sec.get("Tags") or [],
        }
        attrs["rotation_activity"] = attrs["LastRotatedDate"] or created
        attrs["access_activity"] = attrs["LastAccessedDate"] or created
        lost: dict[str, str] = {}
        if want_key:
            try:
                attrs["customer_managed_key"] = _customer_key(api, region, sec.get("KmsKeyId"))
            except ApiFailure as failure:
                lost["customer_managed_key"] = str(failure)
        if want_policy:
            try:
                got = api.call("secretsmanager", region, "GetResourcePolicy", SecretId=sec["ARN"])
                doc = as_document(got.get("ResourcePolicy")) if got.get("ResourcePolicy") else None
                public = public_statements(doc) if doc is not None else []
                if public is None:
                    raise ApiFailure("secretsmanager:GetResourcePolicy", "Unparsable", "resource policy")
                attrs.update(ResourcePolicy=doc, policy_public_statements=public, policy_public=bool(public))
            except ApiFailure as failure:
                lost.update(dict.fromkeys(("ResourcePolicy", "policy_public_statements", "policy_public"),
                                          str(failure)))
        return Resource(sec["ARN"], _TYPE, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, secrets)


@resources.register(_TYPE)
class Secret(AwsKind):
    description = "A Secrets Manager secret: rotation, last access, encryption key and resource policy."
    attributes = (
        A("Name", "string", "secret name"), A("ARN", "string", "secret ARN"),
        A("CreatedDate", "datetime", "when the secret was created"),
        A("RotationEnabled", "boolean", "automatic rotation is on (ListSecrets omits it when never enabled)"),
        A("RotationRules", "map", "rotation schedule"),
        A("RotationRules.AutomaticallyAfterDays", "integer", "days between rotations (absent for a cron schedule)"),
        A("LastRotatedDate", "datetime", "last rotation (null when never)"),
        A("LastAccessedDate", "datetime", "last day the secret was read (null when never)"),
        A("rotation_activity", "datetime", "last rotation, or creation when never rotated"),
        A("access_activity", "datetime", "last access, or creation when never accessed"),
        A("KmsKeyId", "string", "the KMS key (null: the AWS managed aws/secretsmanager key)"),
        A("customer_managed_key", "boolean", "encrypted with a customer managed KMS key (kms:DescribeKey)"),
        A("ResourcePolicy", "map", "the resource policy (null when none)"),
        A("policy_public_statements", "list", "indexes of resource policy statements open to everyone with no "
          "restricting condition"),
        A("policy_public", "boolean", "policy_public_statements is not empty"),
        A("Tags", "list", "tags"),
    )
    permissions = ("secretsmanager:ListSecrets", "secretsmanager:GetResourcePolicy", "kms:DescribeKey")
    build = staticmethod(collect_secrets)
