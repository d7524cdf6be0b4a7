"""ElastiCache replication groups and cache clusters: each control both ways on moto, and `error`."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import boto3
import pytest

from .conftest import ACCOUNT
from .datasvc import check_conformance, cli_scan, control_ids, denied_scan

R = "us-east-1"
CONTROLS = control_ids("elasticache.yaml")


def group(name: str) -> str:
    return f"arn:aws:elasticache:{R}:{ACCOUNT}:replicationgroup:{name}"


def node(name: str) -> str:
    return f"arn:aws:elasticache:{R}:{ACCOUNT}:cluster:{name}"


@pytest.fixture(scope="module")
def account() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        ec = boto3.client("elasticache", region_name=R)
        common = dict(Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=2)
        ec.create_replication_group(ReplicationGroupId="weak", ReplicationGroupDescription="weak",
                                    AutoMinorVersionUpgrade=False, **common)
        ec.create_replication_group(ReplicationGroupId="strong", ReplicationGroupDescription="strong",
                                    AtRestEncryptionEnabled=True, TransitEncryptionEnabled=True,
                                    AuthToken="not-a-real-token-0123456789", SnapshotRetentionLimit=7,
                                    AutoMinorVersionUpgrade=True, AutomaticFailoverEnabled=True, MultiAZEnabled=True,
                                    **common)
        ec.create_cache_cluster(CacheClusterId="memc-default", Engine="memcached", CacheNodeType="cache.t3.micro",
                                NumCacheNodes=1)
        ec.create_cache_subnet_group(CacheSubnetGroupName="private", CacheSubnetGroupDescription="private",
                                     SubnetIds=[_subnet()])
        ec.create_cache_cluster(CacheClusterId="memc-private", Engine="memcached", CacheNodeType="cache.t3.micro",
                                NumCacheNodes=1, CacheSubnetGroupName="private")
        yield


def _subnet() -> str:
    ec2 = boto3.client("ec2", region_name=R)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    return str(ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"])


def test_replication_groups_and_clusters_both_ways(account: None, tmp_path: Path) -> None:
    got = cli_scan(tmp_path, CONTROLS)
    weak, strong = group("weak"), group("strong")
    expected = {
        "aws-elasticache-at-rest-encryption": (
            ("fail", "ElastiCache replication group weak is not encrypted at rest"),
            ("pass", "ElastiCache replication group strong is encrypted at rest")),
        "aws-elasticache-in-transit-encryption": (
            ("fail", "ElastiCache replication group weak does not require TLS (enabled: false; mode: none)"),
            ("pass", "ElastiCache replication group strong requires TLS")),
        "aws-elasticache-auth": (
            ("fail", "ElastiCache replication group weak does not authenticate clients (no AUTH token, no user group)"),
            ("pass", "ElastiCache replication group strong authenticates clients (AUTH)")),
        "aws-elasticache-backups": (
            ("fail", "ElastiCache replication group weak keeps backups 0 days (required 7)"),
            ("pass", "ElastiCache replication group strong keeps backups 7 days")),
        "aws-elasticache-auto-minor-upgrade": (
            ("fail", "ElastiCache replication group weak does not auto-upgrade minor versions"),
            ("pass", "ElastiCache replication group strong auto-upgrades minor versions")),
        "aws-elasticache-multi-az": (
            ("fail", "ElastiCache replication group weak is not multi-AZ with automatic failover "
                     "(MultiAZ disabled; failover disabled)"),
            ("pass", "ElastiCache replication group strong is multi-AZ with automatic failover")),
    }
    assert {c: (got[(c, weak)], got[(c, strong)]) for c in expected} == expected
    c = "aws-elasticache-no-default-subnet-group"
    assert got[(c, node("memc-default"))] == ("fail", "ElastiCache cluster memc-default uses the default subnet group")
    assert got[(c, node("memc-private"))] == ("pass", "ElastiCache cluster memc-private uses subnet group private")


def test_denied_listing_is_an_error(account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = denied_scan(tmp_path, monkeypatch, ["elasticache:DescribeReplicationGroups"], CONTROLS)
    where = f"aws://{ACCOUNT}/{R}/{R}"
    assert got[("aws-elasticache-auth", where)] == (
        "error", "aws.elasticache.replication_group not collected (us-east-1): "
                 "AccessDenied on elasticache:DescribeReplicationGroups in us-east-1")
    assert got[("aws-elasticache-no-default-subnet-group", node("memc-private"))][0] == "pass"


def test_collected_attributes_match_their_declaration(account: object) -> None:
    check_conformance(["aws.elasticache.replication_group", "aws.elasticache.cluster"])
