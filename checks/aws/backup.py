"""AWS Backup: the plans of each region, vaults (key, access policy) and their recovery points."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.data import key_manager
from checks.aws.kind import AwsKind
from checks.aws.resource_policy import public_actions
from checks.aws.session import ApiFailure
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_VAULT = "aws.backup.vault"
# What a vault access policy must never grant to everyone.
DELETE_ACTIONS = ("backup:DeleteRecoveryPoint", "backup:DeleteBackupVault", "backup:UpdateRecoveryPointLifecycle",
                  "backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy")


def collect_region(api: Api, region: str | None) -> list[Resource]:
    plans = api.list("backup", region, "ListBackupPlans", "BackupPlansList")
    attrs = {"Region": region, "BackupPlans": [p.get("BackupPlanName") for p in plans], "plan_count": len(plans)}
    return [Resource(f"{api.account}/{region}/backup", "aws.backup.region", attrs, region=region)]


def _policy(api: Api, region: str | None, name: str, attrs: dict[str, Any], lost: dict[str, str]) -> None:
    try:
        got = api.get("backup", region, "GetBackupVaultAccessPolicy", absent=("ResourceNotFoundException",),
                      BackupVaultName=name)
    except ApiFailure as failure:
        lost["Policy"] = lost["public_delete_actions"] = str(failure)
        return
    doc = (got or {}).get("Policy")
    attrs["Policy"] = doc
    granted = public_actions(doc, DELETE_ACTIONS) if doc else []
    if granted is None:
        lost["public_delete_actions"] = unknown_reason("the vault access policy")
    else:
        attrs["public_delete_actions"] = granted


def collect_vaults(api: Api, region: str | None) -> list[Resource]:
    vaults = api.list("backup", region, "ListBackupVaults", "BackupVaultList")
    keys = api.wants(_VAULT, "encryption_key")
    policy = api.wants(_VAULT, "Policy", "public_delete_actions")
    points = api.wants(_VAULT, "unencrypted_recovery_points")

    def one(vault: dict[str, Any]) -> Resource:
        name = vault["BackupVaultName"]
        lost: dict[str, str] = {}
        key = vault.get("EncryptionKeyArn")
        attrs: dict[str, Any] = {"BackupVaultName": name, "EncryptionKeyArn": key, "Locked": vault.get("Locked"),
                                 "NumberOfRecoveryPoints": vault.get("NumberOfRecoveryPoints")}
        if keys and not key:
            attrs["encryption_key"] = "aws-owned"  # logically air-gapped vaults name no key
        elif keys:
            try:
                attrs["encryption_key"] = {"CUSTOMER": "customer-managed", "AWS": "aws-managed"}[
                    key_manager(api, region, str(key))]
            except ApiFailure as failure:
                lost["encryption_key"] = str(failure)
        if policy:
            _policy(api, region, name, attrs, lost)
        if points:
            try:
                rps = api.list("backup", region, "ListRecoveryPointsByBackupVault", "RecoveryPoints",
                               BackupVaultName=name)
                attrs["unencrypted_recovery_points"] = [r.get("RecoveryPointArn") for r in rps
                                                        if not r.get("IsEncrypted")]
            except ApiFailure as failure:
                lost["unencrypted_recovery_points"] = str(failure)
        return Resource(vault["BackupVaultArn"], _VAULT, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, vaults)


@resources.register("aws.backup.region")
class BackupRegion(AwsKind):
    description = "AWS Backup in one region (one per scanned region): its backup plans."
    attributes = (A("Region", "string", "region"), A("BackupPlans", "list", "backup plan names"),
         A("plan_count", "integer", "backup plans in the region"))
    permissions = ("backup:ListBackupPlans",)
    build = staticmethod(collect_region)


@resources.register(_VAULT)
class BackupVault(AwsKind):
    description = "An AWS Backup vault: encryption key, access policy, recovery points."
    attributes = (A("BackupVaultName", "string", "vault name"), A("EncryptionKeyArn", "string", "KMS key"),
         A("Locked", "boolean", "vault lock is on"), A("NumberOfRecoveryPoints", "integer", "recovery points"),
         A("encryption_key", "string", "customer-managed, aws-managed (aws/backup) or aws-owned (no key named: logically air-gapped vaults)"),
         A("Policy", "string", "the vault access policy (JSON); null when none"),
         A("public_delete_actions", "list", "delete or policy-changing actions the access policy allows to "
           "every principal without a limiting condition"),
         A("unencrypted_recovery_points", "list", "recovery points in the vault that are not encrypted"))
    permissions = ("backup:ListBackupVaults", "backup:GetBackupVaultAccessPolicy",
                   "backup:ListRecoveryPointsByBackupVault", "kms:DescribeKey")
    build = staticmethod(collect_vaults)
