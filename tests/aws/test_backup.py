"""AWS Backup: plans per region, vault keys, vault policies and recovery points; both ways where moto
implements the API, `error` (never a pass) where it does not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import boto3
import pytest

from checks.aws.backup import DELETE_ACTIONS
from checks.aws.resource_policy import public_actions

from .conftest import ACCOUNT
from .datasvc import check_conformance, cli_scan, control_ids, refused_scan

R, EU = "us-east-1", "eu-west-1"
CONTROLS = control_ids("backup.yaml")


def vault(name: str) -> str:
    return f"arn:aws:backup:{R}:{ACCOUNT}:backup-vault:{name}"


@pytest.fixture(scope="module")
def account() -> Iterator[None]:
    from moto import mock_aws
    from moto.kms.models import kms_backends

    with mock_aws():
        kms = boto3.client("kms", region_name=R)
        cmk = kms.create_key()["KeyMetadata"]["Arn"]
        managed = kms.create_key()["KeyMetadata"]
        kms_backends[ACCOUNT][R].keys[managed["KeyId"]].key_manager = "AWS"  # as aws/backup is in AWS
        b = boto3.client("backup", region_name=R)
        b.create_backup_vault(BackupVaultName="cmk", EncryptionKeyArn=cmk)
        b.create_backup_vault(BackupVaultName="managed", EncryptionKeyArn=managed["Arn"])
        b.create_backup_plan(BackupPlan={"BackupPlanName": "daily", "Rules": [
            {"RuleName": "daily", "TargetBackupVaultName": "cmk", "ScheduleExpression": "cron(0 5 * * ? *)"}]})
        yield


def test_plans_and_vault_keys_both_ways(account: None, tmp_path: Path) -> None:
    got = cli_scan(tmp_path, CONTROLS, f"{R},{EU}")
    assert got[("aws-backup-plan-exists", f"{ACCOUNT}/{R}/backup")] == ("pass", "us-east-1 has backup plans: daily")
    assert got[("aws-backup-plan-exists", f"{ACCOUNT}/{EU}/backup")] == ("fail", "eu-west-1 has no AWS Backup plan")
    assert got[("aws-backup-vault-cmk", vault("cmk"))] == (
        "pass", "Backup vault cmk is encrypted with a customer managed KMS key")
    assert got[("aws-backup-vault-cmk", vault("managed"))] == (
        "fail", "Backup vault managed is encrypted with an aws-managed key, not a customer managed KMS key")
    # moto does not implement GetBackupVaultAccessPolicy nor ListRecoveryPointsByBackupVault: error, never pass
    for control, attr, api in (
            ("aws-backup-vault-no-public-delete", "public_delete_actions", "backup:GetBackupVaultAccessPolicy"),
            ("aws-backup-recovery-points-encrypted", "unencrypted_recovery_points",
             "backup:ListRecoveryPointsByBackupVault")):
        status, message = got[(control, vault("cmk"))]
        assert status == "error" and message.startswith(f"{vault('cmk')}: {attr} could not be read: ")
        assert message.endswith(f" on {api}"), message


def test_denied_key_read_is_an_error(account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto cannot authorise Backup's REST requests under enforced IAM: the refusal is made in botocore
    got = refused_scan(tmp_path, monkeypatch, {"kms:DescribeKey": "AccessDenied",
                                               "backup:ListBackupPlans": "AccessDenied"}, CONTROLS)
    assert got[("aws-backup-vault-cmk", vault("cmk"))] == (
        "error", f"{vault('cmk')}: encryption_key could not be read: AccessDenied on kms:DescribeKey")
    assert got[("aws-backup-plan-exists", f"aws://{ACCOUNT}/{R}/{R}")] == (
        "error", "aws.backup.region not collected (us-east-1): AccessDenied on backup:ListBackupPlans in us-east-1")


@pytest.mark.parametrize("statement,granted", [
    ({"Effect": "Allow", "Principal": "*", "Action": "backup:*", "Resource": "*"}, list(DELETE_ACTIONS)),
    ({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "backup:DeleteRecoveryPoint", "Resource": "*"},
     ["backup:DeleteRecoveryPoint"]),
    ({"Effect": "Allow", "Principal": "*", "NotAction": "backup:Delete*", "Resource": "*"},
     ["backup:UpdateRecoveryPointLifecycle", "backup:PutBackupVaultAccessPolicy"]),
    ({"Effect": "Allow", "Principal": "*", "Action": "backup:*", "Resource": "*",
      "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}}, []),
    ({"Effect": "Deny", "Principal": "*", "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}, []),
    ({"Effect": "Allow", "Principal": "*", "Action": "backup:Describe*", "Resource": "*"}, []),
])
def test_public_delete_actions(statement: dict[str, object], granted: list[str]) -> None:
    assert public_actions(json.dumps({"Version": "2012-10-17", "Statement": [statement]}), DELETE_ACTIONS) == granted


def test_collected_attributes_match_their_declaration(account: object) -> None:
    check_conformance(["aws.backup.region", "aws.backup.vault"], f"{R},{EU}")
