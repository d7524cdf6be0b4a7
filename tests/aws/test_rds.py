"""RDS beyond CIS 3.2: instance settings, Aurora clusters, public/unencrypted snapshots, event
subscriptions. Every control fails on a weak resource, passes on its good twin, and is `error` when
the read it needs is denied or the emulator does not return the field."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import boto3
import pytest

from .conftest import ACCOUNT
from .datasvc import check_conformance, cli_scan, control_ids, denied_scan

R, EU = "us-east-1", "eu-west-1"
CONTROLS = control_ids("rds.yaml")
PW = "not-a-real-secret-1"


def arn(kind: str, name: str, region: str = R) -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:{kind}:{name}"


@pytest.fixture(scope="module")
def account() -> Iterator[None]:
    from moto import mock_aws

    with mock_aws():
        rds = boto3.client("rds", region_name=R)
        base = dict(DBInstanceClass="db.t3.micro", MasterUserPassword=PW, AllocatedStorage=20)
        rds.create_db_instance(DBInstanceIdentifier="db-weak", Engine="postgres", MasterUsername="postgres", **base)
        rds.create_db_instance(DBInstanceIdentifier="db-strong", Engine="postgres", MasterUsername="dbowner",
                               Port=5433, EnableIAMDatabaseAuthentication=True, StorageEncrypted=True,
                               EnableCloudwatchLogsExports=["postgresql"], CopyTagsToSnapshot=True, **base)
        rds.create_db_cluster(DBClusterIdentifier="c-weak", Engine="aurora-mysql", MasterUsername="admin",
                              MasterUserPassword=PW)
        rds.create_db_cluster(DBClusterIdentifier="c-strong", Engine="aurora-mysql", MasterUsername="dbowner",
                              MasterUserPassword=PW, Port=3307, StorageEncrypted=True, DeletionProtection=True,
                              BacktrackWindow=3600, BackupRetentionPeriod=14, EnableIAMDatabaseAuthentication=True,
                              EnableCloudwatchLogsExports=["audit"], CopyTagsToSnapshot=True)
        for name, cluster, zone, public in (("c-weak-1", "c-weak", "us-east-1a", True),
                                            ("c-strong-1", "c-strong", "us-east-1a", False),
                                            ("c-strong-2", "c-strong", "us-east-1b", False)):
            rds.create_db_instance(DBInstanceIdentifier=name, DBClusterIdentifier=cluster, Engine="aurora-mysql",
                                   DBInstanceClass="db.r5.large", AvailabilityZone=zone, PubliclyAccessible=public)
        rds.create_db_snapshot(DBInstanceIdentifier="db-weak", DBSnapshotIdentifier="snap-weak")
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="snap-weak", AttributeName="restore", ValuesToAdd=["all"])
        rds.create_db_snapshot(DBInstanceIdentifier="db-strong", DBSnapshotIdentifier="snap-strong")
        rds.modify_db_snapshot_attribute(DBSnapshotIdentifier="snap-strong", AttributeName="restore",
                                         ValuesToAdd=["222233334444"])
        rds.create_db_cluster_snapshot(DBClusterIdentifier="c-weak", DBClusterSnapshotIdentifier="csnap-weak")
        rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier="csnap-weak", AttributeName="restore",
                                                 ValuesToAdd=["all"])
        rds.create_db_cluster_snapshot(DBClusterIdentifier="c-strong", DBClusterSnapshotIdentifier="csnap-strong")
        topic = f"arn:aws:sns:{R}:{ACCOUNT}:rds-events"
        rds.create_event_subscription(SubscriptionName="sg", SnsTopicArn=topic, SourceType="db-security-group",
                                      EventCategories=["configuration change", "failure"], Enabled=True)
        rds.create_event_subscription(SubscriptionName="inst", SnsTopicArn=topic, SourceType="db-instance", Enabled=True)
        # failure only: maintenance events of clusters go unnoticed
        rds.create_event_subscription(SubscriptionName="clus", SnsTopicArn=topic, SourceType="db-cluster",
                                      EventCategories=["failure"], Enabled=True)
        eu = boto3.client("rds", region_name=EU)
        eu.create_db_instance(DBInstanceIdentifier="db-eu", Engine="mysql", MasterUsername="dbowner", Port=3307,
                              **base)
        eu.create_event_subscription(SubscriptionName="off", SnsTopicArn=topic, SourceType="db-security-group",
                                     Enabled=False)
        yield


@pytest.fixture(scope="module")
def got(account: None, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[str, str]]:
    return cli_scan(tmp_path_factory.mktemp("rds"), CONTROLS, f"{R},{EU}")


def test_instance_controls_fail_weak_and_pass_strong(got: dict[tuple[str, str], tuple[str, str]]) -> None:
    weak, strong = arn("db", "db-weak"), arn("db", "db-strong")
    assert got[("aws-rds-iam-auth", weak)] == (
        "fail", "RDS instance db-weak does not use IAM database authentication (postgres)")
    assert got[("aws-rds-iam-auth", strong)] == ("pass", "RDS instance db-strong uses IAM database authentication")
    assert got[("aws-rds-log-exports", weak)] == ("fail", "RDS instance db-weak exports no logs to CloudWatch Logs")
    assert got[("aws-rds-log-exports", strong)] == (
        "pass", "RDS instance db-strong exports postgresql logs to CloudWatch Logs")
    assert got[("aws-rds-no-default-admin", weak)] == (
        "fail", "RDS instance db-weak uses the default master user name postgres")
    assert got[("aws-rds-no-default-admin", strong)] == (
        "pass", "RDS instance db-strong has a non-default master user name")
    assert got[("aws-rds-non-default-port", weak)] == (
        "fail", "RDS instance db-weak listens on the default postgres port 5432")
    assert got[("aws-rds-non-default-port", strong)] == (
        "pass", "RDS instance db-strong listens on non-default port 5433")
    assert got[("aws-rds-copy-tags-to-snapshots", weak)] == (
        "fail", "RDS instance db-weak does not copy tags to snapshots")
    assert got[("aws-rds-copy-tags-to-snapshots", strong)] == (
        "pass", "RDS instance db-strong copies tags to snapshots")


def test_cluster_members_are_assessed_through_their_cluster(got: dict[tuple[str, str], tuple[str, str]]) -> None:
    member = arn("db", "c-strong-1")
    for control in ("aws-rds-iam-auth", "aws-rds-log-exports", "aws-rds-no-default-admin",
                    "aws-rds-non-default-port", "aws-rds-copy-tags-to-snapshots"):
        assert got[(control, member)][0] == "notapplicable", control


def test_enhanced_monitoring_is_an_error_when_the_interval_is_not_returned(
        got: dict[tuple[str, str], tuple[str, str]]) -> None:
    # moto's DescribeDBInstances omits MonitoringInterval (AWS always returns it): never a pass
    weak = arn("db", "db-weak")
    assert got[("aws-rds-enhanced-monitoring", weak)] == (
        "error", f"{weak}: MonitoringInterval could not be read: not returned by rds:DescribeDBInstances "
                 "(AWS always returns it; the emulator or API version lacks it)")


def test_snapshots_public_or_unencrypted(got: dict[tuple[str, str], tuple[str, str]]) -> None:
    sw, ss = arn("snapshot", "snap-weak"), arn("snapshot", "snap-strong")
    cw, cs = arn("cluster-snapshot", "csnap-weak"), arn("cluster-snapshot", "csnap-strong")
    assert got[("aws-rds-snapshot-not-public", sw)] == (
        "fail", "RDS instance snapshot snap-weak is public: anyone may restore it (restore: all)")
    assert got[("aws-rds-snapshot-not-public", cw)] == (
        "fail", "RDS cluster snapshot csnap-weak is public: anyone may restore it (restore: all)")
    assert got[("aws-rds-snapshot-not-public", ss)] == (
        "pass", "RDS instance snapshot snap-strong is not public (shared with: 222233334444)")
    assert got[("aws-rds-snapshot-not-public", cs)] == (
        "pass", "RDS cluster snapshot csnap-strong is not public (shared with: none)")
    assert got[("aws-rds-snapshot-encrypted", sw)] == ("fail", "RDS instance snapshot snap-weak is not encrypted")
    assert got[("aws-rds-snapshot-encrypted", cw)] == ("fail", "RDS cluster snapshot csnap-weak is not encrypted")
    assert got[("aws-rds-snapshot-encrypted", ss)] == ("pass", "RDS instance snapshot snap-strong is encrypted")
    assert got[("aws-rds-snapshot-encrypted", cs)] == ("pass", "RDS cluster snapshot csnap-strong is encrypted")


def test_cluster_controls_fail_weak_and_pass_strong(got: dict[tuple[str, str], tuple[str, str]]) -> None:
    weak, strong = arn("cluster", "c-weak"), arn("cluster", "c-strong")
    expected = {
        "aws-rds-cluster-encrypted": (("fail", "RDS cluster c-weak is not encrypted at rest"),
                                      ("pass", "RDS cluster c-strong is encrypted")),
        "aws-rds-cluster-deletion-protection": (("fail", "RDS cluster c-weak has no deletion protection"),
                                                ("pass", "RDS cluster c-strong has deletion protection")),
        "aws-rds-cluster-backtrack": (("fail", "RDS cluster c-weak has backtracking off (BacktrackWindow=0)"),
                                      ("pass", "RDS cluster c-strong can backtrack 3600 s")),
        "aws-rds-cluster-backup-retention": (("fail", "RDS cluster c-weak keeps backups 1 days (required 7)"),
                                             ("pass", "RDS cluster c-strong keeps backups 14 days")),
        "aws-rds-cluster-multi-az": (("fail", "RDS cluster c-weak is single-AZ"),
                                     ("pass", "RDS cluster c-strong is multi-AZ")),
        "aws-rds-cluster-iam-auth": (
            ("fail", "RDS cluster c-weak does not use IAM database authentication (aurora-mysql)"),
            ("pass", "RDS cluster c-strong uses IAM database authentication")),
        "aws-rds-cluster-no-public-access": (
            ("fail", "RDS cluster c-weak is publicly accessible (cluster: false; public members: c-weak-1)"),
            ("pass", "RDS cluster c-strong has no publicly accessible endpoint")),
        "aws-rds-cluster-log-exports": (("fail", "RDS cluster c-weak exports no logs to CloudWatch Logs"),
                                        ("pass", "RDS cluster c-strong exports audit logs to CloudWatch Logs")),
        "aws-rds-cluster-copy-tags-to-snapshots": (
            ("fail", "RDS cluster c-weak does not copy tags to snapshots"),
            ("pass", "RDS cluster c-strong copies tags to snapshots")),
        "aws-rds-cluster-no-default-admin": (
            ("fail", "RDS cluster c-weak uses the default master user name admin"),
            ("pass", "RDS cluster c-strong has a non-default master user name")),
        "aws-rds-cluster-non-default-port": (
            ("fail", "RDS cluster c-weak listens on the default aurora-mysql port 3306"),
            ("pass", "RDS cluster c-strong listens on non-default port 3307")),
    }
    assert {c: (got[(c, weak)], got[(c, strong)]) for c in expected} == expected


def test_event_subscriptions_per_region(got: dict[tuple[str, str], tuple[str, str]]) -> None:
    us, eu = f"{ACCOUNT}/{R}/rds-event-subscriptions", f"{ACCOUNT}/{EU}/rds-event-subscriptions"
    assert got[("aws-rds-sg-event-subscription", us)] == (
        "pass", "us-east-1 has an RDS event subscription for security group changes and failures")
    assert got[("aws-rds-sg-event-subscription", eu)] == (  # its only subscription is disabled
        "fail", "eu-west-1 has no enabled RDS event subscription for security group configuration changes and failures")
    assert got[("aws-rds-instance-event-subscription", us)] == (
        "pass", "us-east-1 has an RDS event subscription for critical instance events")
    assert got[("aws-rds-instance-event-subscription", eu)][0] == "fail"
    assert got[("aws-rds-cluster-event-subscription", us)] == (
        "fail", "us-east-1 has no enabled RDS event subscription for cluster maintenance and failure events")
    assert got[("aws-rds-cluster-event-subscription", eu)][0] == "notapplicable"  # no cluster there


def test_denied_reads_are_errors_never_passes(account: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    got = denied_scan(tmp_path, monkeypatch, ["rds:DescribeDBSnapshotAttributes", "rds:DescribeDBInstances"],
                      CONTROLS)
    sw, ss = arn("snapshot", "snap-weak"), arn("snapshot", "snap-strong")
    assert got[("aws-rds-snapshot-not-public", ss)] == (
        "error", f"{ss}: public could not be read: AccessDenied on rds:DescribeDBSnapshotAttributes")
    assert got[("aws-rds-snapshot-not-public", sw)][0] == "error"
    assert got[("aws-rds-snapshot-encrypted", sw)][0] == "fail"  # the listing still decides encryption
    # cluster snapshot attributes are a separate permission, still readable
    assert got[("aws-rds-snapshot-not-public", arn("cluster-snapshot", "csnap-weak"))][0] == "fail"
    strong = arn("cluster", "c-strong")
    assert got[("aws-rds-cluster-no-public-access", strong)] == (
        "error", f"{strong}: public_members could not be read: AccessDenied on rds:DescribeDBInstances")
    assert got[("aws-rds-cluster-encrypted", strong)][0] == "pass"
    where = f"aws://{ACCOUNT}/{R}/{R}"
    assert got[("aws-rds-iam-auth", where)] == (
        "error", "aws.rds.instance not collected (us-east-1): AccessDenied on rds:DescribeDBInstances in us-east-1")
    # whether the region has instances is unknown: the subscription controls cannot say not-applicable
    events = f"{ACCOUNT}/{R}/rds-event-subscriptions"
    assert got[("aws-rds-sg-event-subscription", events)] == (
        "error", f"{events}: db_instances could not be read: AccessDenied on rds:DescribeDBInstances")
    assert got[("aws-rds-cluster-event-subscription", events)][0] == "fail"


def test_collected_attributes_match_their_declaration(account: object) -> None:
    check_conformance(["aws.rds.instance", "aws.rds.cluster", "aws.rds.snapshot", "aws.rds.events"], f"{R},{EU}")


@pytest.mark.parametrize("engine,port", [("postgres", 5432), ("aurora-postgresql", 5432), ("aurora-mysql", 3306),
                                         ("mariadb", 3306), ("oracle-ee", 1521), ("custom-oracle-ee", 1521),
                                         ("custom-sqlserver-ee", 1433), ("sqlserver-se", 1433), ("db2-se", 50000), ("docdb", 27017),
                                         ("neptune", 8182), ("timestream", None), (None, None)])
def test_default_ports(engine: str | None, port: int | None) -> None:
    from checks.aws.rds import default_port

    assert default_port(engine) == port
