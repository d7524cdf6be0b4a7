"""EFS collector: file systems with their policy, backup policy and access points."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.policydoc import statements
from checks.aws.resource_policy import denies_insecure_transport, public_statements
from checks.aws.session import ApiFailure
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_FS = "aws.efs.file_system"


def _mount_target_only(document: Any) -> bool:
    """Every statement requires access through a mount target (elasticfilesystem:AccessedViaMountTarget)."""
    sts = statements(document)
    return bool(sts) and all(
        str(((st.get("Condition") or {}).get("Bool") or {}).get("elasticfilesystem:AccessedViaMountTarget",
                                                                  "")).lower() == "true" for st in sts)


def _policy(api: Api, region: str | None, fs_id: str, attrs: dict[str, Any], lost: dict[str, str]) -> None:
    names = ("Policy", "policy_public_statements", "open_without_policy", "tls_only_policy")
    try:
        got = api.get("efs", region, "DescribeFileSystemPolicy", absent=("PolicyNotFound",), FileSystemId=fs_id)
    except ApiFailure as failure:
        lost.update({n: str(failure) for n in names})
        return
    doc = (got or {}).get("Policy")
    attrs["Policy"] = doc
    # no policy: every client that reaches a mount target has full access (IAM is not consulted)
    attrs["open_without_policy"] = got is None
    if got is None:
        attrs["policy_public_statements"], attrs["tls_only_policy"] = [], False
        return
    public = public_statements(doc)
    tls = denies_insecure_transport(doc, "elasticfilesystem")
    if public is None or tls is None:
        lost.update({n: unknown_reason("the file system policy") for n in names[1:]})
        return
    attrs["policy_public_statements"] = [] if _mount_target_only(doc) else public
    attrs["tls_only_policy"] = tls


def collect_file_systems(api: Api, region: str | None) -> list[Resource]:
    systems = api.list("efs", region, "DescribeFileSystems", "FileSystems")
    if not systems:
        return []
    policy = api.wants(_FS, "Policy", "policy_public_statements", "open_without_policy", "tls_only_policy")
    backup = api.wants(_FS, "backup_policy_enabled", "BackupPolicyStatus")
    points = api.wants(_FS, "AccessPoints", "root_access_points", "access_points_without_user")
    access: list[dict[str, Any]] | None = None
    access_error = ""
    if points:
        try:
            access = api.list("efs", region, "DescribeAccessPoints", "AccessPoints")
        except ApiFailure as failure:
            access_error = str(failure)

    def one(fs: dict[str, Any]) -> Resource:
        fs_id = fs["FileSystemId"]
        lost: dict[str, str] = {}
        attrs: dict[str, Any] = {"FileSystemId": fs_id, "Name": fs.get("Name"), "Encrypted": fs.get("Encrypted"),
                                 "KmsKeyId": fs.get("KmsKeyId"), "NumberOfMountTargets": fs.get("NumberOfMountTargets")}
        if policy:
            _policy(api, region, fs_id, attrs, lost)
        if backup:
            try:
                got = api.get("efs", region, "DescribeBackupPolicy", absent=("PolicyNotFound",), FileSystemId=fs_id)
                status = ((got or {}).get("BackupPolicy") or {}).get("Status") or "DISABLED"
                attrs["BackupPolicyStatus"], attrs["backup_policy_enabled"] = status, status == "ENABLED"
            except ApiFailure as failure:
                lost["BackupPolicyStatus"] = lost["backup_policy_enabled"] = str(failure)
        if points and access is None:
            for n in ("AccessPoints", "root_access_points", "access_points_without_user"):
                lost[n] = access_error
        elif points:
            mine = [p for p in access or [] if p.get("FileSystemId") == fs_id]
            attrs["AccessPoints"] = [{k: p.get(k) for k in ("AccessPointId", "PosixUser", "RootDirectory")}
                                     for p in mine]
            attrs["root_access_points"] = [p.get("AccessPointId") for p in mine
                                           if ((p.get("RootDirectory") or {}).get("Path") or "/") == "/"]
            attrs["access_points_without_user"] = [p.get("AccessPointId") for p in mine if not p.get("PosixUser")]
        arn = fs.get("FileSystemArn") or api.arn("elasticfilesystem", region, f"file-system/{fs_id}")
        return Resource(arn, _FS, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, systems)


@resources.register(_FS)
class EfsFileSystem(AwsKind):
    description = "An EFS file system with its resource policy, backup policy and access points."
    attributes = (A("FileSystemId", "string", "file system id"), A("Name", "string", "Name tag"),
         A("Encrypted", "boolean", "encrypted at rest"), A("KmsKeyId", "string", "KMS key"),
         A("NumberOfMountTargets", "integer", "mount targets"),
         A("Policy", "string", "the file system policy (JSON); null when none"),
         A("open_without_policy", "boolean", "no file system policy: any client that reaches a mount target "
           "has full access"),
         A("policy_public_statements", "list", "Allow statements open to every principal without a limiting "
           "condition (none when every statement requires elasticfilesystem:AccessedViaMountTarget)"),
         A("tls_only_policy", "boolean", "the policy denies elasticfilesystem:* when aws:SecureTransport is false"),
         A("BackupPolicyStatus", "string", "ENABLED, DISABLED... (DISABLED when no backup policy)"),
         A("backup_policy_enabled", "boolean", "automatic backups are enabled"),
         A("AccessPoints", "list", "the access points: {AccessPointId, PosixUser, RootDirectory}"),
         A("root_access_points", "list", "access points whose root directory is the file system root"),
         A("access_points_without_user", "list", "access points that do not enforce a POSIX user"))
    permissions = ("elasticfilesystem:DescribeFileSystems", "elasticfilesystem:DescribeFileSystemPolicy",
                   "elasticfilesystem:DescribeBackupPolicy", "elasticfilesystem:DescribeAccessPoints")
    build = staticmethod(collect_file_systems)
