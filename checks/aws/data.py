"""KMS keys (RDS is in checks/aws/rds.py, the other data services in their own modules)."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.grants import other_accounts, public_statements
from checks.aws.policydoc import as_document
from checks.aws.session import ApiFailure
from checks.aws.kind import AwsKind
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_KEY = "aws.kms.key"
_DESCRIBED = ("KeyManager", "KeySpec", "KeyState", "KeyUsage", "MultiRegion", "Origin")
_POLICY = ("KeyPolicy", "key_policy_public_statements", "key_policy_public", "key_policy_other_accounts")


def collect_keys(api: Api, region: str | None) -> list[Resource]:
    keys = api.list("kms", region, "ListKeys", "Keys")
    # DescribeKey feeds the key's settings and decides whether rotation applies; skipped (with
    # GetKeyRotationStatus) when no selected control reads any of them.
    rotation = api.wants(_KEY, "KeyRotationEnabled")
    policy = api.wants(_KEY, *_POLICY)
    described = rotation or policy or api.wants(_KEY, *_DESCRIBED)

    def one(key: dict[str, Any]) -> Resource:
        arn = key.get("KeyArn") or api.arn("kms", region, f"key/{key['KeyId']}")
        attrs: dict[str, Any] = {"KeyId": key["KeyId"]}
        if not described:
            return Resource(arn, _KEY, attrs, region=region)
        try:
            meta = api.call("kms", region, "DescribeKey", KeyId=key["KeyId"])["KeyMetadata"]
            attrs = {k: meta.get(k) for k in ("KeyId",) + _DESCRIBED}
        except ApiFailure as failure:  # nothing is known about the key
            return Resource(arn, _KEY, attrs, region=region, error=str(failure))
        attrs["KeySpec"] = attrs["KeySpec"] or meta.get("CustomerMasterKeySpec")
        if attrs["MultiRegion"] is None:  # multi-Region key ids always start with "mrk-" (AWS KMS docs)
            attrs["MultiRegion"] = str(attrs["KeyId"]).startswith("mrk-")
        lost: dict[str, str] = {}
        if rotation:
            attrs["KeyRotationEnabled"] = None
            if (attrs["KeyManager"] == "CUSTOMER" and attrs["KeySpec"] == "SYMMETRIC_DEFAULT"
                    and attrs["KeyState"] == "Enabled"):
                try:
                    attrs["KeyRotationEnabled"] = bool(api.call("kms", region, "GetKeyRotationStatus",
                                                                KeyId=key["KeyId"]).get("KeyRotationEnabled"))
                except ApiFailure as failure:  # the key's other settings still decide
                    lost["KeyRotationEnabled"] = str(failure)
        if policy:
            lost.update(key_policy(api, region, key["KeyId"], attrs))
        return Resource(arn, _KEY, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, keys)


def key_policy(api: Api, region: str | None, key_id: str, attrs: dict[str, Any]) -> dict[str, str]:
    """Fill the key policy attributes; return the ones lost (a failed GetKeyPolicy: unknown, never private)."""
    try:
        doc = as_document(api.call("kms", region, "GetKeyPolicy", KeyId=key_id, PolicyName="default").get("Policy"))
    except ApiFailure as failure:
        return dict.fromkeys(_POLICY, str(failure))
    public, others = public_statements(doc), other_accounts(doc, api.account)
    if public is None or others is None:
        return dict.fromkeys(_POLICY, unknown_reason("the key policy"))
    attrs.update(KeyPolicy=doc, key_policy_public_statements=public, key_policy_public=bool(public),
                 key_policy_other_accounts=others)
    return {}


@resources.register("aws.kms.key")
class KmsKey(AwsKind):
    description = "A KMS key with its rotation status and, when a control reads it, its key policy."
    attributes = (A("KeyId", "string", "key id"), A("KeyManager", "string", "CUSTOMER or AWS"),
         A("KeySpec", "string", "SYMMETRIC_DEFAULT, RSA_2048..."), A("KeyState", "string", "Enabled..."),
         A("KeyUsage", "string", "ENCRYPT_DECRYPT..."),
         A("KeyRotationEnabled", "boolean",
           "automatic rotation is on (read for enabled customer symmetric keys only, else null)"),
         A("MultiRegion", "boolean", "a multi-Region key (primary or replica)"),
         A("Origin", "string", "AWS_KMS, EXTERNAL, AWS_CLOUDHSM or EXTERNAL_KEY_STORE"),
         A("KeyPolicy", "map", "the key policy (GetKeyPolicy, read only when a selected control needs it)"),
         A("key_policy_public_statements", "list", "indexes of key policy statements allowing everyone (or any "
           "AWS account) with no condition restricting account, organisation, network or ARN"),
         A("key_policy_public", "boolean", "key_policy_public_statements is not empty"),
         A("key_policy_other_accounts", "list", "accounts other than the scanned one the key policy allows "
           "('*': any)"))
    permissions = ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus", "kms:GetKeyPolicy")
    build = staticmethod(collect_keys)


def key_manager(api: Api, region: str | None, key: str) -> str:
    """Who manages a KMS key (``CUSTOMER`` or ``AWS``), from ``kms:DescribeKey`` in the key's own
    region (taken from its ARN); raises :class:`ApiFailure` when it cannot be read."""
    parts = key.split(":")
    where = parts[3] if key.startswith("arn:") and len(parts) > 5 and parts[3] else region
    meta = api.call("kms", where, "DescribeKey", KeyId=key)["KeyMetadata"]
    manager = meta.get("KeyManager")
    if manager not in ("CUSTOMER", "AWS"):
        raise ApiFailure("kms:DescribeKey", "NoKeyManager", key)
    return str(manager)
