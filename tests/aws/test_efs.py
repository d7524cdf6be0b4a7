"""EFS file systems: encryption, policy (public, TLS), backups, access points; both ways and `error`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import boto3
import pytest

from .conftest import ACCOUNT
from .datasvc import check_conformance, cli_scan, control_ids, refused_scan

R = "us-east-1"
CONTROLS = control_ids("efs.yaml")


def strict_policy(fs_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AppRole", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"},
         "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"], "Resource": fs_arn},
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": fs_arn,
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, str]]:
    from moto import mock_aws

    with mock_aws():
        efs = boto3.client("efs", region_name=R)
        ids = {}
        for name, encrypted in (("weak", False), ("open", True), ("strong", True)):
            fs = efs.create_file_system(CreationToken=name, Encrypted=encrypted, Backup=name == "strong",
                                        Tags=[{"Key": "Name", "Value": name}])
            ids[name], ids[name + "_arn"] = fs["FileSystemId"], fs["FileSystemArn"]
        efs.put_file_system_policy(FileSystemId=ids["open"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "elasticfilesystem:*",
             "Resource": ids["open_arn"]}]}))
        efs.put_file_system_policy(FileSystemId=ids["strong"], Policy=strict_policy(ids["strong_arn"]))
        ids["ap_root"] = efs.create_access_point(FileSystemId=ids["weak"])["AccessPointId"]
        efs.create_access_point(FileSystemId=ids["strong"], PosixUser={"Uid": 1000, "Gid": 1000},
                                RootDirectory={"Path": "/app"})
        yield ids


def test_file_systems_both_ways(account: dict[str, str], tmp_path: Path) -> None:
    got = cli_scan(tmp_path, CONTROLS)
    weak, open_, strong = account["weak_arn"], account["open_arn"], account["strong_arn"]
    w, o, s = account["weak"], account["open"], account["strong"]
    expected = {
        ("aws-efs-encrypted", weak): ("fail", f"EFS {w} is not encrypted at rest"),
        ("aws-efs-encrypted", strong): ("pass", f"EFS {s} is encrypted at rest"),
        ("aws-efs-not-public", weak): (
            "fail", f"EFS {w} is open to every client (no policy: true; public statements: none)"),
        ("aws-efs-not-public", open_): (
            "fail", f"EFS {o} is open to every client (no policy: false; public statements: Everyone)"),
        ("aws-efs-not-public", strong): ("pass", f"EFS {s} has a policy that does not grant access to everyone"),
        ("aws-efs-tls-only", open_): ("fail", f"EFS {o} policy does not deny access without aws:SecureTransport"),
        ("aws-efs-tls-only", strong): ("pass", f"EFS {s} denies access without TLS"),
        ("aws-efs-backup-enabled", weak): ("fail", f"EFS {w} has no automatic backups (backup policy DISABLED)"),
        ("aws-efs-backup-enabled", strong): ("pass", f"EFS {s} has automatic backups"),
        ("aws-efs-access-point-root-directory", weak): (
            "fail", f"EFS {w} has access points exposing the root directory: {account['ap_root']}"),
        ("aws-efs-access-point-root-directory", strong): (
            "pass", f"EFS {s} access points are confined to sub-directories"),
        ("aws-efs-access-point-user", weak): (
            "fail", f"EFS {w} has access points without a POSIX user: {account['ap_root']}"),
        ("aws-efs-access-point-user", strong): ("pass", f"EFS {s} access points all enforce a POSIX user"),
    }
    assert {k: got[k] for k in expected} == expected
    assert got[("aws-efs-access-point-user", open_)][0] == "notapplicable"  # no access points


def test_denied_reads_are_errors(account: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse = {f"elasticfilesystem:{op}": "AccessDenied"
              for op in ("DescribeFileSystemPolicy", "DescribeBackupPolicy", "DescribeAccessPoints")}
    got = refused_scan(tmp_path, monkeypatch, refuse, CONTROLS)
    s = account["strong_arn"]
    assert got[("aws-efs-not-public", s)] == (
        "error", f"{s}: policy_public_statements could not be read: AccessDenied on elasticfilesystem:DescribeFileSystemPolicy")
    assert got[("aws-efs-tls-only", s)][0] == "error"
    assert got[("aws-efs-backup-enabled", s)] == (
        "error", f"{s}: backup_policy_enabled could not be read: AccessDenied on elasticfilesystem:DescribeBackupPolicy")
    # without the access point listing, "has no access points" is unknown too: error, never notapplicable
    assert got[("aws-efs-access-point-user", account["open_arn"])] == (
        "error", f"{account['open_arn']}: AccessPoints could not be read: "
                 "AccessDenied on elasticfilesystem:DescribeAccessPoints")
    assert got[("aws-efs-encrypted", s)][0] == "pass"


def test_collected_attributes_match_their_declaration(account: object) -> None:
    check_conformance(["aws.efs.file_system"])
