"""ElastiCache: Redis/Valkey replication groups and cache clusters."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources


def collect_replication_groups(api: Api, region: str | None) -> list[Resource]:
    out = []
    for rg in api.list("elasticache", region, "DescribeReplicationGroups", "ReplicationGroups"):
        users = rg.get("UserGroupIds") or []
        attrs: dict[str, Any] = {
            "ReplicationGroupId": rg.get("ReplicationGroupId"), "Engine": rg.get("Engine"),
            "AtRestEncryptionEnabled": bool(rg.get("AtRestEncryptionEnabled")),
            "TransitEncryptionEnabled": bool(rg.get("TransitEncryptionEnabled")),
            "TransitEncryptionMode": rg.get("TransitEncryptionMode"),
            "AuthTokenEnabled": bool(rg.get("AuthTokenEnabled")), "UserGroupIds": users,
            "authentication": "RBAC" if users else ("AUTH" if rg.get("AuthTokenEnabled") else "none"),
            "SnapshotRetentionLimit": rg.get("SnapshotRetentionLimit") or 0,
            "AutoMinorVersionUpgrade": rg.get("AutoMinorVersionUpgrade"),
            "MultiAZ": rg.get("MultiAZ") or "disabled", "AutomaticFailover": rg.get("AutomaticFailover") or "disabled"}
        out.append(Resource(rg["ARN"], "aws.elasticache.replication_group", attrs, region=region))
    return out


def collect_cache_clusters(api: Api, region: str | None) -> list[Resource]:
    out = []
    for cc in api.list("elasticache", region, "DescribeCacheClusters", "CacheClusters"):
        attrs = {"CacheClusterId": cc.get("CacheClusterId"), "Engine": cc.get("Engine"),
                 "ReplicationGroupId": cc.get("ReplicationGroupId"),
                 # no subnet group named: EC2-Classic or the default group
                 "CacheSubnetGroupName": cc.get("CacheSubnetGroupName") or "default"}
        attrs["default_subnet_group"] = attrs["CacheSubnetGroupName"] == "default"
        out.append(Resource(cc["ARN"], "aws.elasticache.cluster", attrs, region=region))
    return out


@resources.register("aws.elasticache.replication_group")
class ElastiCacheReplicationGroup(AwsKind):
    description = "An ElastiCache (Redis OSS / Valkey) replication group."
    attributes = (A("ReplicationGroupId", "string", "replication group id"), A("Engine", "string", "redis, valkey"),
         A("AtRestEncryptionEnabled", "boolean", "encrypted at rest"),
         A("TransitEncryptionEnabled", "boolean", "TLS in transit"),
         A("TransitEncryptionMode", "string", "required or preferred (preferred still accepts cleartext)"),
         A("AuthTokenEnabled", "boolean", "Redis AUTH token set"), A("UserGroupIds", "list", "RBAC user groups"),
         A("authentication", "string", "RBAC (user groups), AUTH (token) or none"),
         A("SnapshotRetentionLimit", "integer", "days automatic backups are kept (0: off)"),
         A("AutoMinorVersionUpgrade", "boolean", "minor engine upgrades are applied automatically"),
         A("MultiAZ", "string", "enabled or disabled"), A("AutomaticFailover", "string", "enabled, disabled..."))
    permissions = ("elasticache:DescribeReplicationGroups",)
    build = staticmethod(collect_replication_groups)


@resources.register("aws.elasticache.cluster")
class ElastiCacheCluster(AwsKind):
    description = "An ElastiCache cache cluster (a Memcached cluster or a node of a replication group)."
    attributes = (A("CacheClusterId", "string", "cluster id"), A("Engine", "string", "memcached, redis..."),
         A("ReplicationGroupId", "string", "the replication group it belongs to; null when none"),
         A("CacheSubnetGroupName", "string", "subnet group ('default' when none is named)"),
         A("default_subnet_group", "boolean", "the cluster uses the default subnet group (the default VPC)"))
    permissions = ("elasticache:DescribeCacheClusters",)
    build = staticmethod(collect_cache_clusters)
