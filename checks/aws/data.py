"""KMS keys (RDS is in checks/aws/rds.py, the other data services in their own modules)."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.session import ApiFailure
from checks.aws.kind import AwsKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_KEY = "aws.kms.key"
_DESCRIBED = ("KeyManager", "KeySpec", "KeyState", "KeyUsage")


def collect_keys(api: Api, region: str | None) -> list[Resource]:
    keys = api.list("kms", region, "ListKeys", "Keys")
    # DescribeKey feeds the key's settings and decides whether rotation applies; skipped (with
    # GetKeyRotationStatus) when no selected control reads any of them.
    rotation = api.wants(_KEY, "KeyRotationEnabled")
    described = rotation or api.wants(_KEY, *_DESCRIBED)

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
        return Resource(arn, _KEY, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, keys)


@resources.register("aws.kms.key")
class KmsKey(AwsKind):
    description = "A KMS key with its rotation status."
    attributes = (A("KeyId", "string", "key id"), A("KeyManager", "string", "CUSTOMER or AWS"),
         A("KeySpec", "string", "SYMMETRIC_DEFAULT, RSA_2048..."), A("KeyState", "string", "Enabled..."),
         A("KeyUsage", "string", "ENCRYPT_DECRYPT..."),
         A("KeyRotationEnabled", "boolean",
           "automatic rotation is on (read for enabled customer symmetric keys only, else null)"))
    permissions = ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus")
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
