"""DynamoDB collectors: tables (encryption, point-in-time recovery, deletion protection) and DAX clusters."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.data import key_manager
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_TABLE = "aws.dynamodb.table"


def _encryption(api: Api, region: str | None, sse: dict[str, Any] | None, attrs: dict[str, Any],
                lost: dict[str, str]) -> None:
    """Who holds the key: no SSEDescription (or not KMS) is AWS-owned-key encryption, which is
    still encryption at rest; KMS keys are AWS managed (aws/dynamodb) or customer managed."""
    sse = sse or {}
    attrs["SSEDescription"] = sse or None
    if sse.get("SSEType") != "KMS" or sse.get("Status") not in ("ENABLED", "UPDATING"):
        attrs["encryption_key"] = "aws-owned"
        return
    arn = sse.get("KMSMasterKeyArn")
    if not arn:
        lost["encryption_key"] = "SSEDescription names no KMSMasterKeyArn"
        return
    try:
        attrs["encryption_key"] = {"CUSTOMER": "customer-managed", "AWS": "aws-managed"}[
            key_manager(api, region, arn)]
    except ApiFailure as failure:
        lost["encryption_key"] = str(failure)


def collect_tables(api: Api, region: str | None) -> list[Resource]:
    names = api.list("dynamodb", region, "ListTables", "TableNames")
    pitr = api.wants(_TABLE, "point_in_time_recovery")
    keys = api.wants(_TABLE, "encryption_key")

    def one(name: str) -> Resource:
        arn = api.arn("dynamodb", region, f"table/{name}")
        try:
            table = api.call("dynamodb", region, "DescribeTable", TableName=name)["Table"]
        except ApiFailure as failure:
            return Resource(arn, _TABLE, {"TableName": name}, region=region, error=str(failure))
        lost: dict[str, str] = {}
        attrs: dict[str, Any] = {"TableName": name, "TableStatus": table.get("TableStatus"),
                                 "DeletionProtectionEnabled": table.get("DeletionProtectionEnabled")}
        if attrs["DeletionProtectionEnabled"] is None:
            lost["DeletionProtectionEnabled"] = "not returned by dynamodb:DescribeTable"
        if keys:
            _encryption(api, region, table.get("SSEDescription"), attrs, lost)
        if pitr:
            try:
                got = api.call("dynamodb", region, "DescribeContinuousBackups", TableName=name)
                status = ((got.get("ContinuousBackupsDescription") or {}).get("PointInTimeRecoveryDescription")
                          or {}).get("PointInTimeRecoveryStatus")
                if status is None:
                    lost["point_in_time_recovery"] = "no PointInTimeRecoveryStatus in the answer"
                attrs["point_in_time_recovery"] = status == "ENABLED" if status else None
            except ApiFailure as failure:
                lost["point_in_time_recovery"] = str(failure)
        return Resource(table.get("TableArn") or arn, _TABLE, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, names)


def offered(api: Api, service: str, region: str | None) -> bool:
    """Whether AWS offers ``service`` in ``region``, by botocore's endpoint data (DAX is not offered
    in GovCloud, for one). Only a region botocore knows (EC2 is everywhere) can be ruled out: a
    region newer than the installed botocore is always asked."""
    session = api.session.session
    everywhere = session.get_available_regions("ec2", partition_name=api.partition)
    return region not in everywhere or region in session.get_available_regions(service, partition_name=api.partition)


def collect_dax(api: Api, region: str | None) -> list[Resource]:
    if not offered(api, "dax", region):
        return []  # no DAX endpoint in the region: it can hold no cluster
    out = []
    for cl in api.list("dax", region, "DescribeClusters", "Clusters"):
        sse = (cl.get("SSEDescription") or {}).get("Status")
        attrs = {"ClusterName": cl.get("ClusterName"), "SSEStatus": sse,
                 "encrypted_at_rest": sse in ("ENABLED", "ENABLING"),
                 "ClusterEndpointEncryptionType": cl.get("ClusterEndpointEncryptionType") or "NONE",
                 "TotalNodes": cl.get("TotalNodes")}
        out.append(Resource(cl["ClusterArn"], "aws.dax.cluster", attrs, region=region))
    return out


@resources.register(_TABLE)
class DynamoDbTable(AwsKind):
    description = "A DynamoDB table: encryption key, point-in-time recovery, deletion protection."
    attributes = (A("TableName", "string", "table name"), A("TableStatus", "string", "ACTIVE..."),
         A("DeletionProtectionEnabled", "boolean", "deletion protection is on"),
         A("SSEDescription", "map", "server-side encryption settings; null: encrypted with an AWS owned key"),
         A("encryption_key", "string", "who holds the encryption key: aws-owned (the default, still "
           "encrypted at rest), aws-managed (KMS aws/dynamodb) or customer-managed (a KMS key of the account)"),
         A("point_in_time_recovery", "boolean", "point-in-time recovery (continuous backups) is enabled"))
    permissions = ("dynamodb:ListTables", "dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups",
                   "kms:DescribeKey")
    build = staticmethod(collect_tables)


@resources.register("aws.dax.cluster")
class DaxCluster(AwsKind):
    description = "A DynamoDB Accelerator (DAX) cluster."
    attributes = (A("ClusterName", "string", "cluster name"), A("SSEStatus", "string", "ENABLED, DISABLED..."),
         A("encrypted_at_rest", "boolean", "server-side encryption is enabled (or being enabled)"),
         A("ClusterEndpointEncryptionType", "string", "TLS or NONE (absent: NONE)"),
         A("TotalNodes", "integer", "nodes in the cluster"))
    permissions = ("dax:DescribeClusters",)
    build = staticmethod(collect_dax)
