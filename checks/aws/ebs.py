"""EBS snapshots and AMIs owned by the account: who may use them, and encryption."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.ec2_reach import iso
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_SNAP = "aws.ec2.snapshot"
_SHARING = ("CreateVolumePermissions", "public", "shared_with_accounts")


def _tags(items: Any) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def _sharing(perms: list[dict[str, Any]]) -> dict[str, Any]:
    return {"public": any(p.get("Group") == "all" for p in perms),
            "shared_with_accounts": sorted(p["UserId"] for p in perms if p.get("UserId"))}


def collect_snapshots(api: Api, region: str | None) -> list[Resource]:
    snaps = api.list("ec2", region, "DescribeSnapshots", "Snapshots", OwnerIds=["self"])
    sharing = api.wants(_SNAP, *_SHARING)

    def one(snap: dict[str, Any]) -> Resource:
        sid = snap["SnapshotId"]
        attrs: dict[str, Any] = {"SnapshotId": sid, "VolumeId": snap.get("VolumeId"),
                                 "Encrypted": snap.get("Encrypted"), "KmsKeyId": snap.get("KmsKeyId"),
                                 "StartTime": iso(snap.get("StartTime")), "State": snap.get("State"),
                                 "Tags": _tags(snap.get("Tags"))}
        lost: dict[str, str] = {}
        if snap.get("Encrypted") is None:
            lost["Encrypted"] = "DescribeSnapshots gave no Encrypted flag"
        if sharing:
            try:
                perms = api.call("ec2", region, "DescribeSnapshotAttribute", SnapshotId=sid,
                                 Attribute="createVolumePermission").get("CreateVolumePermissions") or []
                attrs.update(CreateVolumePermissions=perms, **_sharing(perms))
            except ApiFailure as failure:
                lost.update(dict.fromkeys(_SHARING, str(failure)))
        return Resource(api.arn("ec2", region, f"snapshot/{sid}"), _SNAP, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, snaps)


def collect_images(api: Api, region: str | None) -> list[Resource]:
    out = []
    for img in api.list("ec2", region, "DescribeImages", "Images", Owners=["self"]):
        attrs = {"ImageId": img["ImageId"], "Name": img.get("Name"), "Public": img.get("Public"),
                 "State": img.get("State"), "CreationDate": img.get("CreationDate"),
                 "DeprecationTime": img.get("DeprecationTime"), "Tags": _tags(img.get("Tags"))}
        lost = {} if isinstance(img.get("Public"), bool) else {"Public": "DescribeImages gave no Public flag"}
        out.append(Resource(api.arn("ec2", region, f"image/{img['ImageId']}"), "aws.ec2.image", attrs,
                            region=region, attr_errors=lost))
    return out


@resources.register(_SNAP)
class Ec2Snapshot(AwsKind):
    description = "An EBS snapshot owned by the account, with who may create volumes from it."
    attributes = (A("SnapshotId", "string", "snapshot id"), A("VolumeId", "string", "source volume"),
                  A("Encrypted", "boolean", "encrypted at rest"), A("KmsKeyId", "string", "KMS key"),
                  A("StartTime", "string", "when the snapshot was taken (ISO 8601)"),
                  A("State", "string", "pending, completed, error..."),
                  A("CreateVolumePermissions", "list", "createVolumePermission entries ({Group: all} or {UserId})"),
                  A("public", "boolean", "anyone may create a volume from it (createVolumePermission group all)"),
                  A("shared_with_accounts", "list", "the other accounts it is shared with"),
                  A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute")
    build = staticmethod(collect_snapshots)


@resources.register("aws.ec2.image")
class Ec2Image(AwsKind):
    description = "An AMI owned by the account."
    attributes = (A("ImageId", "string", "AMI id"), A("Name", "string", "name"),
                  A("Public", "boolean", "launch permission for everyone"), A("State", "string", "available..."),
                  A("CreationDate", "string", "created (ISO 8601)"),
                  A("DeprecationTime", "string", "when the AMI is deprecated; null when not set"),
                  A("Tags", "map", "tags as {key: value}"))
    permissions = ("ec2:DescribeImages",)
    build = staticmethod(collect_images)
