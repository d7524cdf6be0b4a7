"""The AWS operations govscan calls, per botocore service name.

Generated: ``python tests/aws/test_models.py --write``. Only these operations' shapes are kept in memory when a client is built (:mod:`checks.aws.models`); any other
operation still works, its shapes then read from botocore's model on first use. A test keeps this table equal to
the operation names the collectors' source mentions.
"""

OPERATIONS: dict[str, frozenset[str]] = {
    "accessanalyzer": frozenset({"ListAnalyzers", "ListFindingsV2"}),
    "account": frozenset({"GetAlternateContact"}),
    "acm": frozenset({"DescribeCertificate", "ListCertificates"}),
    "apigateway": frozenset({"GetResources", "GetRestApis", "GetStages"}),
    "apigatewayv2": frozenset({"GetApis", "GetRoutes", "GetStages"}),
    "autoscaling": frozenset({"DescribeAutoScalingGroups", "DescribeLaunchConfigurations"}),
    "backup": frozenset({
        "GetBackupVaultAccessPolicy", "ListBackupPlans", "ListBackupVaults", "ListRecoveryPointsByBackupVault"
    }),
    "cloudfront": frozenset({"GetDistributionConfig", "ListDistributions"}),
    "cloudtrail": frozenset({"DescribeTrails", "GetEventSelectors", "GetTrailStatus"}),
    "cloudwatch": frozenset({"DescribeAlarms"}),
    "config": frozenset({
        "DescribeComplianceByConfigRule", "DescribeConfigurationRecorderStatus",
        "DescribeConfigurationRecorders"
    }),
    "dax": frozenset({"DescribeClusters"}),
    "docdb": frozenset({
        "DescribeDBClusterSnapshotAttributes", "DescribeDBClusterSnapshots", "DescribeDBClusters",
        "DescribeDBInstances", "DescribeEventSubscriptions"
    }),
    "dynamodb": frozenset({"DescribeContinuousBackups", "DescribeTable", "ListTables"}),
    "ec2": frozenset({
        "DescribeFlowLogs", "DescribeImages", "DescribeInstances", "DescribeLaunchTemplateVersions",
        "DescribeNetworkAcls", "DescribeNetworkInterfaces", "DescribeRegions", "DescribeRouteTables",
        "DescribeSecurityGroups", "DescribeSnapshotAttribute", "DescribeSnapshots", "DescribeSubnets",
        "DescribeVolumes", "DescribeVpcEndpoints", "DescribeVpcPeeringConnections", "DescribeVpcs",
        "GetEbsEncryptionByDefault"
    }),
    "ecr": frozenset({"DescribeRepositories", "GetLifecyclePolicy", "GetRepositoryPolicy"}),
    "efs": frozenset({
        "DescribeAccessPoints", "DescribeBackupPolicy", "DescribeFileSystemPolicy", "DescribeFileSystems"
    }),
    "eks": frozenset({"DescribeCluster", "ListClusters"}),
    "elasticache": frozenset({"DescribeCacheClusters", "DescribeReplicationGroups"}),
    "elb": frozenset({
        "DescribeLoadBalancerAttributes", "DescribeLoadBalancerPolicies", "DescribeLoadBalancers"
    }),
    "elbv2": frozenset({
        "DescribeListeners", "DescribeLoadBalancerAttributes", "DescribeLoadBalancers", "DescribeRules"
    }),
    "es": frozenset({"ListDomainNames"}),
    "guardduty": frozenset({"GetDetector", "ListDetectors", "ListFindings"}),
    "iam": frozenset({
        "GenerateCredentialReport", "GetAccountAuthorizationDetails", "GetAccountPasswordPolicy",
        "GetAccountSummary", "GetCredentialReport", "ListServerCertificates", "ListVirtualMFADevices"
    }),
    "inspector2": frozenset({"BatchGetAccountStatus"}),
    "kms": frozenset({"DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus", "ListKeys"}),
    "lambda": frozenset({"GetFunctionUrlConfig", "GetPolicy", "ListAliases", "ListFunctions"}),
    "logs": frozenset({"DescribeLogGroups", "DescribeMetricFilters"}),
    "macie2": frozenset({"GetMacieSession"}),
    "neptune": frozenset({
        "DescribeDBClusterSnapshotAttributes", "DescribeDBClusterSnapshots", "DescribeDBClusters",
        "DescribeDBInstances", "DescribeEventSubscriptions"
    }),
    "opensearch": frozenset({"DescribeDomains", "ListDomainNames"}),
    "organizations": frozenset({
        "DescribeOrganization", "ListAccounts", "ListPoliciesForTarget", "ListRoots"
    }),
    "rds": frozenset({
        "DescribeDBClusterSnapshotAttributes", "DescribeDBClusterSnapshots", "DescribeDBClusters",
        "DescribeDBInstances", "DescribeDBSnapshotAttributes", "DescribeDBSnapshots",
        "DescribeEventSubscriptions"
    }),
    "redshift": frozenset({"DescribeClusterParameters", "DescribeClusters", "DescribeLoggingStatus"}),
    "route53": frozenset({"GetDNSSEC", "ListHostedZones", "ListQueryLoggingConfigs"}),
    "route53domains": frozenset({"ListDomains"}),
    "s3": frozenset({
        "GetBucketAcl", "GetBucketEncryption", "GetBucketLocation", "GetBucketLogging",
        "GetBucketNotificationConfiguration", "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketTagging",
        "GetBucketVersioning", "GetObjectLockConfiguration", "GetPublicAccessBlock", "ListBuckets"
    }),
    "s3control": frozenset({"GetPublicAccessBlock"}),
    "secretsmanager": frozenset({"GetResourcePolicy", "ListSecrets"}),
    "securityhub": frozenset({"DescribeHub", "GetEnabledStandards"}),
    "sns": frozenset({"GetTopicAttributes", "ListSubscriptionsByTopic", "ListTopics"}),
    "sqs": frozenset({"GetQueueAttributes", "ListQueues"}),
    "ssm": frozenset({"DescribeDocumentPermission", "ListDocuments"}),
    "sts": frozenset({"AssumeRole", "GetCallerIdentity"}),
    "wafv2": frozenset({"GetLoggingConfiguration", "GetWebACL", "ListResourcesForWebACL", "ListWebACLs"}),
}
