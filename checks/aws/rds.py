"""RDS collectors: DB instances, Aurora / Multi-AZ DB clusters, DB and cluster snapshots, event
subscriptions (one resource per region)."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

# The engines' default ports (what an attacker's scanner tries first).
_DEFAULT_PORTS = (("aurora-postgresql", 5432), ("aurora", 3306), ("mysql", 3306), ("mariadb", 3306),
                  ("postgres", 5432), ("oracle", 1521), ("sqlserver", 1433), ("db2", 50000),
                  ("neptune", 8182), ("docdb", 27017))
_NOT_RETURNED = "not returned by rds:{op} (AWS always returns it; the emulator or API version lacks it)"


def default_port(engine: Any) -> int | None:
    """The engine's default port; ``None`` for an engine this table does not know."""
    name = engine.lower().removeprefix("custom-") if isinstance(engine, str) else ""  # RDS Custom engines
    for prefix, port in _DEFAULT_PORTS:
        if name.startswith(prefix):
            return port
    return None


def _pick(src: dict[str, Any], op: str, always: tuple[str, ...], optional: tuple[str, ...],
          lost: dict[str, str]) -> dict[str, Any]:
    """``always`` fields AWS returns on every item (missing: unreadable), ``optional`` ones it omits
    when unset (missing: None, which no control reads as compliant)."""
    attrs = {k: src.get(k) for k in always + optional}
    for k in always:
        if src.get(k) is None:
            lost[k] = _NOT_RETURNED.format(op=op)
    return attrs


def _ports(attrs: dict[str, Any], port: Any, lost: dict[str, str]) -> None:
    attrs["Port"] = port
    expected = default_port(attrs.get("Engine"))
    attrs["uses_default_port"] = None if port is None or expected is None else port == expected
    if port is None:
        lost["Port"] = lost["uses_default_port"] = "the endpoint port was not returned"
    elif expected is None:  # never "not the default" for an engine whose default is unknown
        lost["uses_default_port"] = "the default port of this engine is not known to govscan"


def _instances(api: Api, region: str | None) -> list[dict[str, Any]]:
    return api.list("rds", region, "DescribeDBInstances", "DBInstances")


def collect_db_instances(api: Api, region: str | None) -> list[Resource]:
    out = []
    for db in _instances(api, region):
        lost: dict[str, str] = {}
        attrs = _pick(db, "DescribeDBInstances", ("MonitoringInterval", "IAMDatabaseAuthenticationEnabled",
                                                  "CopyTagsToSnapshot"),
                      ("DBInstanceIdentifier", "Engine", "EngineVersion", "StorageEncrypted", "PubliclyAccessible",
                       "BackupRetentionPeriod", "AutoMinorVersionUpgrade", "MultiAZ", "DeletionProtection",
                       "MasterUsername", "DBClusterIdentifier"), lost)
        attrs["EnabledCloudwatchLogsExports"] = db.get("EnabledCloudwatchLogsExports") or []  # omitted when none
        _ports(attrs, (db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort") or None, lost)
        out.append(Resource(db["DBInstanceArn"], "aws.rds.instance", attrs, region=region, attr_errors=lost))
    return out


def collect_db_clusters(api: Api, region: str | None) -> list[Resource]:
    clusters = api.list("rds", region, "DescribeDBClusters", "DBClusters")
    members: dict[str, list[str]] = {}
    public: dict[str, list[str]] | None = members
    reason = ""
    if clusters and api.wants("aws.rds.cluster", "public_members"):
        try:  # Aurora is reachable through its instances: their PubliclyAccessible decides
            for db in _instances(api, region):
                if db.get("DBClusterIdentifier") and db.get("PubliclyAccessible"):
                    members.setdefault(db["DBClusterIdentifier"], []).append(str(db.get("DBInstanceIdentifier")))
        except ApiFailure as failure:
            public, reason = None, str(failure)
    out = []
    for cl in clusters:
        lost: dict[str, str] = {}
        attrs = _pick(cl, "DescribeDBClusters", ("StorageEncrypted", "DeletionProtection", "MultiAZ",
                                                 "IAMDatabaseAuthenticationEnabled", "BackupRetentionPeriod"),
                      ("DBClusterIdentifier", "Engine", "EngineMode", "EngineVersion", "MasterUsername",
                       "CopyTagsToSnapshot", "PubliclyAccessible"), lost)
        attrs["BacktrackWindow"] = cl.get("BacktrackWindow") or 0  # omitted when backtracking is off
        attrs["EnabledCloudwatchLogsExports"] = cl.get("EnabledCloudwatchLogsExports") or []
        _ports(attrs, cl.get("Port"), lost)
        if public is None:
            lost["public_members"] = reason
        else:
            attrs["public_members"] = public.get(cl["DBClusterIdentifier"], [])
        out.append(Resource(cl["DBClusterArn"], "aws.rds.cluster", attrs, region=region, attr_errors=lost))
    return out


def _restore(api: Api, region: str | None, op: str, key: str, result: str, ident: str) -> list[str]:
    got = api.call("rds", region, op, **{key: ident})[result]
    attrs = got.get("DBSnapshotAttributes") or got.get("DBClusterSnapshotAttributes") or []
    return [str(v) for a in attrs if a.get("AttributeName") == "restore" for v in a.get("AttributeValues") or []]


def collect_snapshots(api: Api, region: str | None) -> list[Resource]:
    db = api.list("rds", region, "DescribeDBSnapshots", "DBSnapshots")
    cluster = api.list("rds", region, "DescribeDBClusterSnapshots", "DBClusterSnapshots")
    shares = api.wants("aws.rds.snapshot", "restore_accounts", "public")
    items = [("instance", s, s["DBSnapshotIdentifier"], s["DBSnapshotArn"], s.get("Encrypted")) for s in db] + [
        ("cluster", s, s["DBClusterSnapshotIdentifier"], s["DBClusterSnapshotArn"], s.get("StorageEncrypted"))
        for s in cluster]

    def one(item: tuple[str, dict[str, Any], str, str, Any]) -> Resource:
        kind, snap, ident, arn, encrypted = item
        attrs: dict[str, Any] = {"SnapshotIdentifier": ident, "SnapshotKind": kind, "Encrypted": encrypted,
                                 "SnapshotType": snap.get("SnapshotType"), "Engine": snap.get("Engine"),
                                 "KmsKeyId": snap.get("KmsKeyId")}
        lost: dict[str, str] = {}
        if shares and snap.get("SnapshotType") in ("manual", "shared", "public"):
            try:
                if kind == "instance":
                    accounts = _restore(api, region, "DescribeDBSnapshotAttributes", "DBSnapshotIdentifier",
                                        "DBSnapshotAttributesResult", ident)
                else:
                    accounts = _restore(api, region, "DescribeDBClusterSnapshotAttributes",
                                        "DBClusterSnapshotIdentifier", "DBClusterSnapshotAttributesResult", ident)
                attrs["restore_accounts"], attrs["public"] = accounts, "all" in accounts
            except ApiFailure as failure:
                lost["restore_accounts"] = lost["public"] = str(failure)
        elif shares:  # automated snapshots cannot be shared (AWS refuses); copy one to share it
            attrs["restore_accounts"], attrs["public"] = [], False
        return Resource(arn, "aws.rds.snapshot", attrs, region=region, attr_errors=lost)

    return api.fan_out(one, items)


def _covers(sub: dict[str, Any], source: str, categories: tuple[str, ...]) -> bool:
    """An enabled subscription for every source of ``source`` type with all ``categories``
    (an empty category list means every category)."""
    if not sub.get("Enabled") or sub.get("SourceType") != source or sub.get("SourceIdsList"):
        return False
    cats = set(sub.get("EventCategoriesList") or [])
    return not cats or set(categories) <= cats


def collect_event_settings(api: Api, region: str | None) -> list[Resource]:
    subs = api.list("rds", region, "DescribeEventSubscriptions", "EventSubscriptionsList")
    lost: dict[str, str] = {}
    attrs: dict[str, Any] = {"Region": region, "EventSubscriptions": [
        {k: s.get(k) for k in ("CustSubscriptionId", "SourceType", "EventCategoriesList", "Enabled",
                               "SourceIdsList", "SnsTopicArn")} for s in subs],
        "security_group_events": any(_covers(s, "db-security-group", ("configuration change", "failure"))
                                     for s in subs),
        "instance_critical_events": any(_covers(s, "db-instance", ("maintenance", "configuration change", "failure"))
                                        for s in subs),
        "cluster_critical_events": any(_covers(s, "db-cluster", ("maintenance", "failure")) for s in subs)}
    for attr, op, key in (("db_instances", "DescribeDBInstances", "DBInstances"),
                          ("db_clusters", "DescribeDBClusters", "DBClusters")):
        if api.wants("aws.rds.events", attr):
            try:
                attrs[attr] = len(api.list("rds", region, op, key))
            except ApiFailure as failure:
                lost[attr] = str(failure)
    return [Resource(f"{api.account}/{region}/rds-event-subscriptions", "aws.rds.events", attrs, region=region,
                     attr_errors=lost)]


_PORT_ATTRS = (A("Port", "integer", "the endpoint port"),
               A("uses_default_port", "boolean", "the port is the engine's default (3306 MySQL/MariaDB/Aurora "
                 "MySQL, 5432 PostgreSQL, 1521 Oracle, 1433 SQL Server, 50000 Db2, 8182 Neptune, 27017 DocumentDB; "
                 "unreadable for another engine)"),
               A("MasterUsername", "string", "the master user name"),
               A("EnabledCloudwatchLogsExports", "list", "log types exported to CloudWatch Logs (empty: none)"),
               A("IAMDatabaseAuthenticationEnabled", "boolean", "IAM database authentication is on"),
               A("CopyTagsToSnapshot", "boolean", "tags are copied to snapshots"),
               A("Engine", "string", "engine"), A("EngineVersion", "string", "engine version"),
               A("StorageEncrypted", "boolean", "storage encrypted at rest"),
               A("BackupRetentionPeriod", "integer", "days of automated backups"),
               A("MultiAZ", "boolean", "multi-AZ deployment"),
               A("DeletionProtection", "boolean", "deletion protection is on"),
               A("PubliclyAccessible", "boolean", "has a publicly resolvable endpoint"))


@resources.register("aws.rds.instance")
class RdsInstance(AwsKind):
    description = "An RDS database instance."
    attributes = (A("DBInstanceIdentifier", "string", "instance id"),
         A("AutoMinorVersionUpgrade", "boolean", "minor engine upgrades are applied automatically"),
         A("MonitoringInterval", "integer", "enhanced monitoring interval in seconds (0: off)"),
         A("DBClusterIdentifier", "string", "the cluster the instance belongs to; null when none")) + _PORT_ATTRS
    permissions = ("rds:DescribeDBInstances",)
    build = staticmethod(collect_db_instances)


@resources.register("aws.rds.cluster")
class RdsCluster(AwsKind):
    description = "An Aurora or Multi-AZ DB cluster."
    attributes = (A("DBClusterIdentifier", "string", "cluster id"),
         A("EngineMode", "string", "provisioned, serverless..."),
         A("BacktrackWindow", "integer", "Aurora MySQL backtrack window in seconds (0: off)"),
         A("public_members", "list", "member instances that are publicly accessible (Aurora is reached "
           "through its instances)")) + _PORT_ATTRS
    permissions = ("rds:DescribeDBClusters", "rds:DescribeDBInstances")
    build = staticmethod(collect_db_clusters)


@resources.register("aws.rds.snapshot")
class RdsSnapshot(AwsKind):
    description = "A DB snapshot or DB cluster snapshot (manual, automated or shared) owned by the account."
    attributes = (A("SnapshotIdentifier", "string", "snapshot id"),
         A("SnapshotKind", "string", "instance (DB snapshot) or cluster (DB cluster snapshot)"),
         A("SnapshotType", "string", "manual, automated..."), A("Engine", "string", "engine"),
         A("Encrypted", "boolean", "the snapshot is encrypted"), A("KmsKeyId", "string", "KMS key"),
         A("restore_accounts", "list", "the restore attribute: accounts allowed to restore it, 'all' for "
           "everyone (automated snapshots cannot be shared: [])"),
         A("public", "boolean", "anyone may restore it (restore attribute contains 'all')"))
    permissions = ("rds:DescribeDBSnapshots", "rds:DescribeDBClusterSnapshots", "rds:DescribeDBSnapshotAttributes",
                   "rds:DescribeDBClusterSnapshotAttributes")
    build = staticmethod(collect_snapshots)


@resources.register("aws.rds.events")
class RdsEvents(AwsKind):
    description = "The RDS event subscriptions of one region (one per scanned region)."
    attributes = (A("Region", "string", "region"), A("EventSubscriptions", "list", "the subscriptions"),
         A("security_group_events", "boolean", "an enabled subscription covers every DB security group for "
           "configuration change and failure events (or all categories)"),
         A("instance_critical_events", "boolean", "an enabled subscription covers every DB instance for "
           "maintenance, configuration change and failure events"),
         A("cluster_critical_events", "boolean", "an enabled subscription covers every DB cluster for "
           "maintenance and failure events"),
         A("db_instances", "integer", "DB instances in the region"),
         A("db_clusters", "integer", "DB clusters in the region"))
    permissions = ("rds:DescribeEventSubscriptions", "rds:DescribeDBInstances", "rds:DescribeDBClusters")
    build = staticmethod(collect_event_settings)
