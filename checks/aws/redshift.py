"""Redshift clusters: exposure, encryption, audit logging, snapshots, TLS (parameter group), upgrades."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_CLUSTER = "aws.redshift.cluster"


def _require_ssl(api: Api, region: str | None, group: str) -> bool:
    """``require_ssl`` of a parameter group; raises ApiFailure when unreadable or not listed."""
    params = api.list("redshift", region, "DescribeClusterParameters", "Parameters", ParameterGroupName=group)
    for p in params:
        if p.get("ParameterName") == "require_ssl":
            return str(p.get("ParameterValue")).lower() == "true"
    raise ApiFailure("redshift:DescribeClusterParameters", "ParameterNotListed", f"require_ssl of {group}")


def collect_clusters(api: Api, region: str | None) -> list[Resource]:
    clusters = api.list("redshift", region, "DescribeClusters", "Clusters")
    logging = api.wants(_CLUSTER, "audit_logging")
    ssl = api.wants(_CLUSTER, "require_ssl")

    def one(cl: dict[str, Any]) -> Resource:
        ident = cl["ClusterIdentifier"]
        groups = [g.get("ParameterGroupName") for g in cl.get("ClusterParameterGroups") or []]
        lost: dict[str, str] = {}
        attrs: dict[str, Any] = {
            "ClusterIdentifier": ident, "PubliclyAccessible": cl.get("PubliclyAccessible"),
            "Encrypted": cl.get("Encrypted"), "KmsKeyId": cl.get("KmsKeyId"),
            "AutomatedSnapshotRetentionPeriod": cl.get("AutomatedSnapshotRetentionPeriod"),
            "AllowVersionUpgrade": cl.get("AllowVersionUpgrade"), "MasterUsername": cl.get("MasterUsername"),
            "EnhancedVpcRouting": cl.get("EnhancedVpcRouting"), "ParameterGroups": groups}
        if logging:
            try:
                got = api.call("redshift", region, "DescribeLoggingStatus", ClusterIdentifier=ident)
                attrs["audit_logging"] = bool(got.get("LoggingEnabled"))
                attrs["LogDestinationType"] = got.get("LogDestinationType") or ("s3" if got.get("BucketName") else None)
            except ApiFailure as failure:
                lost["audit_logging"] = lost["LogDestinationType"] = str(failure)
        if ssl:
            try:
                attrs["require_ssl"] = bool(groups) and all(_require_ssl(api, region, g) for g in groups)
                if not groups:
                    lost["require_ssl"] = "the cluster lists no parameter group"
            except ApiFailure as failure:
                lost["require_ssl"] = str(failure)
        arn = api.arn("redshift", region, f"cluster:{ident}")
        return Resource(arn, _CLUSTER, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, clusters)


@resources.register(_CLUSTER)
class RedshiftCluster(AwsKind):
    description = "A Redshift provisioned cluster."
    attributes = (A("ClusterIdentifier", "string", "cluster id"),
         A("PubliclyAccessible", "boolean", "reachable from outside its VPC"),
         A("Encrypted", "boolean", "encrypted at rest"), A("KmsKeyId", "string", "KMS key"),
         A("AutomatedSnapshotRetentionPeriod", "integer", "days automated snapshots are kept (0: off)"),
         A("AllowVersionUpgrade", "boolean", "major version upgrades are applied in the maintenance window"),
         A("MasterUsername", "string", "the admin user name"),
         A("EnhancedVpcRouting", "boolean", "COPY/UNLOAD traffic stays in the VPC"),
         A("ParameterGroups", "list", "parameter group names"),
         A("audit_logging", "boolean", "audit logging is on (DescribeLoggingStatus)"),
         A("LogDestinationType", "string", "s3 or cloudwatch"),
         A("require_ssl", "boolean", "every parameter group of the cluster sets require_ssl true"))
    permissions = ("redshift:DescribeClusters", "redshift:DescribeLoggingStatus",
                   "redshift:DescribeClusterParameters")
    build = staticmethod(collect_clusters)
