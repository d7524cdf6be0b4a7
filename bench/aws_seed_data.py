"""Benchmark seed plug-in for the data-store services (RDS clusters and snapshots, DynamoDB, EFS, SNS,
SQS, OpenSearch, Redshift, ElastiCache, Backup): ``seed(client, scale)`` creates about ``scale``
resources on a moto server in us-east-1, every other one weak, and returns the counts per kind.

``PAIRS`` maps govscan controls to the Prowler checks with the same semantics on these seeds (a
``min_days`` control is only paired where the seeds give 0 or at least 7 days, so that Prowler's
"more than 0" agrees); ``PROWLER_SERVICES`` names the Prowler services to run.
"""

from __future__ import annotations

import json
from typing import Any, Callable

ACCOUNT_CONDITION = {"StringEquals": {"aws:SourceOwner": "123456789012"}}


def _policy(resource: str, public: bool) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": resource}
    if not public:
        st["Condition"] = ACCOUNT_CONDITION
    return json.dumps({"Version": "2012-10-17", "Statement": [st]})


def seed(client: Callable[[str], Any], scale: int) -> dict[str, int]:
    rds, ddb, efs, sns, sqs = (client(s) for s in ("rds", "dynamodb", "efs", "sns", "sqs"))
    search, redshift, cache, backup, kms = (client(s) for s in ("opensearch", "redshift", "elasticache", "backup",
                                                                 "kms"))
    n = max(2, scale // 20)  # per kind: about 13 kinds make ``scale`` resources in all
    counts: dict[str, int] = {}
    key = kms.create_key()["KeyMetadata"]["Arn"]
    for i in range(n):
        good = i % 2 == 0
        cid = f"bench-aurora-{i:03d}"
        rds.create_db_cluster(DBClusterIdentifier=cid, Engine="aurora-mysql", MasterUsername="dbowner",
                              MasterUserPassword="not-a-real-secret-1", StorageEncrypted=good, DeletionProtection=good,
                              BacktrackWindow=3600 if good else 0, EnableIAMDatabaseAuthentication=good,
                              CopyTagsToSnapshot=good)
        snap = f"bench-csnap-{i:03d}"
        rds.create_db_cluster_snapshot(DBClusterIdentifier=cid, DBClusterSnapshotIdentifier=snap)
        if not good:
            rds.modify_db_cluster_snapshot_attribute(DBClusterSnapshotIdentifier=snap, AttributeName="restore",
                                                     ValuesToAdd=["all"])
    counts["rds_clusters"] = counts["rds_cluster_snapshots"] = n
    keys = dict(KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    for i in range(n):
        name, good = f"bench-table-{i:03d}", i % 2 == 0
        ddb.create_table(TableName=name, DeletionProtectionEnabled=good, **keys)
        if good:
            ddb.update_continuous_backups(TableName=name,
                                          PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        efs.create_file_system(CreationToken=f"bench-fs-{i:03d}", Encrypted=good, Backup=good)
        arn = sns.create_topic(Name=f"bench-topic-{i:03d}",
                               Attributes={"KmsMasterKeyId": key} if good else {})["TopicArn"]
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=_policy(arn, not good))
        url = sqs.create_queue(QueueName=f"bench-queue-{i:03d}",
                               Attributes={"SqsManagedSseEnabled": "true" if good else "false"})["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _policy("*", not good)})
    counts.update(dynamodb_tables=n, efs_file_systems=n, sns_topics=n, sqs_queues=n)
    for i in range(max(2, n // 2)):
        good = i % 2 == 0
        search.create_domain(DomainName=f"bench-search-{i:03d}", EncryptionAtRestOptions={"Enabled": good},
                             NodeToNodeEncryptionOptions={"Enabled": good},
                             AdvancedSecurityOptions={"Enabled": good, "InternalUserDatabaseEnabled": False})
        redshift.create_cluster(ClusterIdentifier=f"bench-dw-{i:03d}", NodeType="dc2.large",
                                MasterUsername="dwowner" if good else "awsuser", MasterUserPassword="Not-a-secret-1",
                                PubliclyAccessible=not good, Encrypted=good, AllowVersionUpgrade=good)
        cache.create_replication_group(ReplicationGroupId=f"bench-cache-{i:03d}", ReplicationGroupDescription="bench",
                                       Engine="redis", CacheNodeType="cache.t3.micro", NumCacheClusters=1,
                                       AtRestEncryptionEnabled=good, TransitEncryptionEnabled=good,
                                       AutoMinorVersionUpgrade=good, SnapshotRetentionLimit=7 if good else 0)
        backup.create_backup_vault(BackupVaultName=f"bench-vault-{i:03d}", **({"EncryptionKeyArn": key} if good else {}))
    m = max(2, n // 2)
    counts.update(opensearch_domains=m, redshift_clusters=m, elasticache_replication_groups=m, backup_vaults=m)
    backup.create_backup_plan(BackupPlan={"BackupPlanName": "bench-daily", "Rules": [
        {"RuleName": "daily", "TargetBackupVaultName": "bench-vault-000"}]})
    counts["backup_plans"] = 1
    return counts


PAIRS: dict[str, tuple[tuple[str, ...], str]] = {
    "aws-rds-cluster-encrypted": (("rds_cluster_storage_encrypted",), "resource"),
    "aws-rds-cluster-deletion-protection": (("rds_cluster_deletion_protection",), "resource"),
    "aws-rds-cluster-backtrack": (("rds_cluster_backtrack_enabled",), "resource"),
    "aws-rds-cluster-iam-auth": (("rds_cluster_iam_authentication_enabled",), "resource"),
    "aws-rds-cluster-copy-tags-to-snapshots": (("rds_cluster_copy_tags_to_snapshots",), "resource"),
    "aws-rds-snapshot-not-public": (("rds_snapshots_public_access",), "resource"),
    "aws-rds-snapshot-encrypted": (("rds_snapshots_encrypted",), "resource"),
    "aws-dynamodb-pitr": (("dynamodb_tables_pitr_enabled",), "resource"),
    "aws-dynamodb-deletion-protection": (("dynamodb_table_deletion_protection_enabled",), "resource"),
    "aws-efs-encrypted": (("efs_encryption_at_rest_enabled",), "resource"),
    "aws-efs-backup-enabled": (("efs_have_backup_enabled",), "resource"),
    "aws-sns-kms": (("sns_topics_kms_encryption_at_rest_enabled",), "resource"),
    "aws-sns-not-public": (("sns_topics_not_publicly_accessible",), "resource"),
    "aws-sqs-sse": (("sqs_queues_server_side_encryption_enabled",), "resource"),
    "aws-sqs-not-public": (("sqs_queues_not_publicly_accessible",), "resource"),
    "aws-opensearch-encryption-at-rest": (("opensearch_service_domains_encryption_at_rest_enabled",), "resource"),
    "aws-opensearch-node-to-node-encryption": (("opensearch_service_domains_node_to_node_encryption_enabled",),
                                               "resource"),
    "aws-redshift-no-public-access": (("redshift_cluster_public_access",), "resource"),
    "aws-redshift-encrypted": (("redshift_cluster_encrypted_at_rest",), "resource"),
    "aws-redshift-version-upgrade": (("redshift_cluster_automatic_upgrades",), "resource"),
    "aws-redshift-non-default-admin": (("redshift_cluster_non_default_username",), "resource"),
    "aws-elasticache-at-rest-encryption": (("elasticache_redis_cluster_rest_encryption_enabled",), "resource"),
    "aws-elasticache-auto-minor-upgrade": (("elasticache_redis_cluster_auto_minor_version_upgrades",), "resource"),
    "aws-elasticache-backups": (("elasticache_redis_cluster_backup_enabled",), "resource"),
    "aws-backup-plan-exists": (("backup_plans_exist",), "region"),
}

PROWLER_SERVICES: tuple[str, ...] = ("rds", "dynamodb", "efs", "sns", "sqs", "opensearch", "redshift",
                                     "elasticache", "backup")
