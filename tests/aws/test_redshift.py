"""Redshift clusters: each control both ways on moto, and `error` when a read is denied."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import boto3
import pytest

from .conftest import ACCOUNT
from .datasvc import check_conformance, cli_scan, control_ids, denied_scan

R, EU = "us-east-1", "eu-west-1"
CONTROLS = control_ids("redshift.yaml")


def cluster(name: str, region: str) -> str:
    return f"arn:aws:redshift:{region}:{ACCOUNT}:cluster:{name}"


@pytest.fixture(scope="module")
def account() -> Iterator[None]:
    from moto import mock_aws
    from moto.redshift.models import redshift_backends

    with mock_aws():
        common = dict(NodeType="dc2.large", MasterUserPassword="Not-a-real-secret-1")
        boto3.client("redshift", region_name=R).create_cluster(
            ClusterIdentifier="weak", MasterUsername="awsuser", PubliclyAccessible=True, Encrypted=False,
            AutomatedSnapshotRetentionPeriod=1, AllowVersionUpgrade=False, **common)
        eu = boto3.client("redshift", region_name=EU)
        eu.create_cluster(ClusterIdentifier="strong", MasterUsername="dwowner", PubliclyAccessible=False,
                          Encrypted=True, AutomatedSnapshotRetentionPeriod=14, AllowVersionUpgrade=True, **common)
        eu.enable_logging(ClusterIdentifier="strong", BucketName="audit-logs")
        # moto cannot modify parameter groups (ModifyClusterParameterGroup is not implemented): set the
        # value its DescribeClusterParameters answers with in eu-west-1, as AWS would after the change
        redshift_backends[ACCOUNT][EU].default_params["require_ssl"] = "true"
        yield


def test_clusters_both_ways(account: None, tmp_path: Path) -> None:
    got = cli_scan(tmp_path, CONTROLS, f"{R},{EU}")
    weak, strong = cluster("weak", R), cluster("strong", EU)
    expected = {
        "aws-redshift-no-public-access": (("fail", "Redshift cluster weak is publicly accessible"),
                                          ("pass", "Redshift cluster strong is private")),
        "aws-redshift-encrypted": (("fail", "Redshift cluster weak is not encrypted at rest"),
                                   ("pass", "Redshift cluster strong is encrypted")),
        "aws-redshift-audit-logging": (("fail", "Redshift cluster weak has no audit logging"),
                                       ("pass", "Redshift cluster strong has audit logging (s3)")),
        "aws-redshift-snapshot-retention": (
            ("fail", "Redshift cluster weak keeps automated snapshots 1 days (required 7)"),
            ("pass", "Redshift cluster strong keeps automated snapshots 14 days")),
        "aws-redshift-require-ssl": (
            ("fail", "Redshift cluster weak does not require TLS (require_ssl is not true in default.redshift-1.0)"),
            ("pass", "Redshift cluster strong requires TLS (default.redshift-1.0)")),
        "aws-redshift-version-upgrade": (("fail", "Redshift cluster weak does not allow version upgrades"),
                                         ("pass", "Redshift cluster strong receives version upgrades")),
        "aws-redshift-non-default-admin": (
            ("fail", "Redshift cluster weak uses the default admin user name awsuser"),
            ("pass", "Redshift cluster strong has a non-default admin user name")),
    }
    assert {c: (got[(c, weak)], got[(c, strong)]) for c in expected} == expected


def test_denied_reads_are_errors(account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = denied_scan(tmp_path, monkeypatch, ["redshift:DescribeLoggingStatus", "redshift:DescribeClusterParameters"],
                      CONTROLS, f"{R},{EU}")
    strong = cluster("strong", EU)
    assert got[("aws-redshift-audit-logging", strong)] == (
        "error", f"{strong}: audit_logging could not be read: AccessDenied on redshift:DescribeLoggingStatus")
    assert got[("aws-redshift-require-ssl", strong)] == (
        "error", f"{strong}: require_ssl could not be read: AccessDenied on redshift:DescribeClusterParameters")
    assert got[("aws-redshift-encrypted", strong)][0] == "pass"


def test_require_ssl_not_listed_is_an_error(account: None, tmp_path: Path) -> None:
    from moto.redshift.models import redshift_backends

    params = redshift_backends[ACCOUNT][R].default_params
    saved = params.pop("require_ssl")
    try:
        got = cli_scan(tmp_path, ["aws-redshift-require-ssl"], R)
    finally:
        params["require_ssl"] = saved
    weak = cluster("weak", R)
    assert got[("aws-redshift-require-ssl", weak)] == (
        "error", f"{weak}: require_ssl could not be read: ParameterNotListed on redshift:DescribeClusterParameters")


def test_collected_attributes_match_their_declaration(account: object) -> None:
    check_conformance(["aws.redshift.cluster"], f"{R},{EU}")
