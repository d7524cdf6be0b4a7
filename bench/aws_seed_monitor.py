"""Benchmark seed plug-in: monitoring, detection and the edge (CloudWatch, CloudFront, API Gateway,
Route 53, WAFv2, Security Hub).

``seed(client, scale)`` creates about ``scale``-proportional resources in us-east-1 on a moto server,
every other one weak; ``PAIRS`` maps govscan controls to the Prowler checks that must all pass.
"""

from __future__ import annotations

from typing import Any, Callable

ACCOUNT_ARN_LOGS = "arn:aws:logs:us-east-1:{account}:log-group:{name}"

PAIRS: dict[str, tuple[tuple[str, ...], str]] = {
    "aws-logs-group-kms": (("cloudwatch_log_group_kms_encryption_enabled",), "resource"),
    "aws-logs-group-retention": (("cloudwatch_log_group_retention_policy_specific_days_enabled",), "resource"),
    "aws-cloudwatch-alarm-actions-enabled": (("cloudwatch_alarm_actions_enabled",), "resource"),
    "aws-cloudwatch-alarm-has-actions": (("cloudwatch_alarm_actions_alarm_state_configured",), "resource"),
    "aws-cloudfront-https-only": (("cloudfront_distributions_https_enabled",), "resource"),
    "aws-cloudfront-waf": (("cloudfront_distributions_using_waf",), "resource"),
    "aws-cloudfront-origin-tls": (("cloudfront_distributions_using_deprecated_ssl_protocols",), "resource"),
    "aws-cloudfront-logging": (("cloudfront_distributions_logging_enabled",), "resource"),
    "aws-cloudfront-default-root-object": (("cloudfront_distributions_default_root_object",), "resource"),
    "aws-cloudfront-field-level-encryption": (("cloudfront_distributions_field_level_encryption_enabled",),
                                              "resource"),
    "aws-apigateway-stage-waf": (("apigateway_restapi_waf_acl_attached",), "resource"),
    "aws-apigateway-stage-tracing": (("apigateway_restapi_tracing_enabled",), "resource"),
    "aws-apigateway-stage-execution-logging": (("apigateway_restapi_logging_enabled",), "resource"),
    "aws-route53-query-logging": (("route53_public_hosted_zones_cloudwatch_logging_enabled",), "resource"),
    "aws-wafv2-webacl-logging": (("wafv2_webacl_logging_enabled",), "resource"),
    "aws-wafv2-webacl-has-rules": (("wafv2_webacl_with_rules",), "resource"),
    "aws-securityhub-enabled": (("securityhub_enabled",), "region"),
    "aws-macie-enabled": (("macie_is_enabled",), "region"),
    "aws-cloudwatch-cis-unauthorized-api-calls": (("cloudwatch_log_metric_filter_unauthorized_api_calls",), "account"),
    "aws-cloudwatch-cis-root-usage": (("cloudwatch_log_metric_filter_root_usage",), "account"),
    "aws-cloudwatch-cis-security-group-changes": (("cloudwatch_log_metric_filter_security_group_changes",),
                                                  "account"),
}
PROWLER_SERVICES: tuple[str, ...] = ("cloudwatch", "cloudfront", "apigateway", "apigatewayv2", "route53", "wafv2",
                                     "securityhub", "macie")

_VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


def _distribution(n: int, good: bool, acl: str | None) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "CallerReference": f"bench-{n}", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o", "DomainName": f"app{n}.example.com", "CustomOriginConfig": {
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only" if good else "http-only"}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "MinTTL": 0,
                                 "ViewerProtocolPolicy": "redirect-to-https" if good else "allow-all"}}
    if good:
        cfg.update(DefaultRootObject="index.html", Logging={"Enabled": True, "IncludeCookies": False,
                                                            "Bucket": "logs.s3.amazonaws.com", "Prefix": f"{n}/"})
        if acl:
            cfg["WebACLId"] = acl
    return cfg


def seed(client: Callable[[str], Any], scale: int) -> dict[str, int]:
    n = max(2, scale // 20)
    logs, cw, sns = client("logs"), client("cloudwatch"), client("sns")
    account = client("sts").get_caller_identity()["Account"]
    topic = sns.create_topic(Name="bench-alerts")["TopicArn"]
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    for i in range(n):
        name = f"bench-group-{i}"
        logs.create_log_group(logGroupName=name, **({"kmsKeyId": key} if i % 2 == 0 else {}))
        logs.put_retention_policy(logGroupName=name, retentionInDays=400 if i % 2 == 0 else 7)
        cw.put_metric_alarm(AlarmName=f"bench-alarm-{i}", MetricName=f"m{i}", Namespace="Bench", Statistic="Sum",
                            Period=300, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold",
                            AlarmActions=[topic] if i % 2 == 0 else [])
    waf = client("wafv2")
    acls = []
    for i in range(n):
        rules = [{"Name": "common", "Priority": 0, "OverrideAction": {"None": {}}, "VisibilityConfig": _VIS,
                  "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS",
                                                              "Name": "AWSManagedRulesCommonRuleSet"}}}]
        for scope in ("REGIONAL", "CLOUDFRONT"):
            arn = waf.create_web_acl(Name=f"bench-{scope.lower()}-{i}", Scope=scope, DefaultAction={"Allow": {}},
                                     Rules=rules if i % 2 == 0 else [], VisibilityConfig=_VIS)["Summary"]["ARN"]
            acls.append((scope, arn))
            if i % 2 == 0:
                group = f"aws-waf-logs-bench-{scope.lower()}-{i}"
                logs.create_log_group(logGroupName=group)
                waf.put_logging_configuration(LoggingConfiguration={
                    "ResourceArn": arn, "LogDestinationConfigs": [ACCOUNT_ARN_LOGS.format(account=account, name=group)]})
    edge = [a for s, a in acls if s == "CLOUDFRONT"]
    cf = client("cloudfront")
    for i in range(n):
        cf.create_distribution(DistributionConfig=_distribution(i, i % 2 == 0, edge[0] if edge else None))
    ag = client("apigateway")
    regional = [a for s, a in acls if s == "REGIONAL"]
    for i in range(n):
        api = ag.create_rest_api(name=f"bench-api-{i}")["id"]
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        ag.put_method(restApiId=api, resourceId=root, httpMethod="GET",
                      authorizationType="AWS_IAM" if i % 2 == 0 else "NONE")
        ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        ag.create_deployment(restApiId=api, stageName="prod")
        if i % 2 == 0:
            ag.update_stage(restApiId=api, stageName="prod", patchOperations=[
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
                {"op": "replace", "path": "/tracingEnabled", "value": "true"}])
            if regional:
                waf.associate_web_acl(WebACLArn=regional[0],
                                      ResourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api}/stages/prod")
    r53 = client("route53")
    qlog = "/aws/route53/bench"
    logs.create_log_group(logGroupName=qlog)
    qlog_arn = next(g["arn"] for g in logs.describe_log_groups(logGroupNamePrefix=qlog)["logGroups"])
    for i in range(n):
        zone = r53.create_hosted_zone(Name=f"bench{i}.example", CallerReference=f"bench-{i}")["HostedZone"]["Id"]
        if i % 2 == 0:
            r53.create_query_logging_config(HostedZoneId=zone.rsplit("/", 1)[-1], CloudWatchLogsLogGroupArn=qlog_arn)
    client("securityhub").enable_security_hub(EnableDefaultStandards=False)
    return {"log_groups": n + 2 * ((n + 1) // 2) + 1, "alarms": n, "web_acls": 2 * n, "distributions": n, "rest_apis": n,
            "hosted_zones": n}
