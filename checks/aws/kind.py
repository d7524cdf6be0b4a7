"""The base class of every AWS resource type: the API calls (IAM permissions) it needs, whether it
is read per region, and the collector that builds it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from scanner.resource_types import Identity, ResourceKind

if TYPE_CHECKING:
    from checks.aws.api import Api
    from scanner.model import Resource


class AwsKind(ResourceKind):
    """An AWS resource type, collected by ``build(api, region)`` once per region (or once)."""

    identity = Identity(id="the resource ARN", account="account_id", region=True, labels="Tags")
    permissions: ClassVar[tuple[str, ...]] = ()
    """The read-only API calls the collector makes, as IAM actions (``kms:ListKeys``)."""
    regional: ClassVar[bool] = True
    """Collected once per enabled region; otherwise once per account (IAM, S3 listing)."""

    @classmethod
    def collected_with(cls) -> tuple[str, ...]:
        return cls.permissions

    @staticmethod
    def build(api: "Api", region: str | None) -> list["Resource"]:
        """The resources of this type in one region (``None`` for a global type)."""
        raise NotImplementedError

    @classmethod
    def labels_of(cls, attrs: Mapping[str, Any]) -> dict[str, str]:
        raw = attrs.get("Tags")
        if isinstance(raw, list):  # AWS style [{"Key": k, "Value": v}]
            return {str(t.get("Key")): str(t.get("Value")) for t in raw if isinstance(t, dict)}
        return super().labels_of(attrs)


class GlobalAwsKind(AwsKind):
    """An account-wide AWS type (IAM): read once per account; its resources carry no region."""

    identity = Identity(id="the resource ARN", account="account_id", region=False, labels="Tags")
    regional = False
