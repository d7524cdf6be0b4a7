"""CloudWatch: the CIS 5.x monitoring chain (pattern parsing, alarms, subscribers), alarms, log groups."""

from __future__ import annotations

import json
from typing import Any, Iterator

import boto3
import pytest

from checks.aws.cwpattern import CIS_EVENTS, PatternError, covers, parse

from .conftest import ACCOUNT, collect
from .test_errors import enforced_iam, restricted_user, verdicts

R = "us-east-1"
SPEC = f"aws:///{R}"
CIS = f"{ACCOUNT}/cloudwatch-cis-monitoring"
GROUP = "ct-logs"
TYPES = ("aws.cloudwatch.cis_monitoring", "aws.cloudwatch.alarm", "aws.logs.log_group")

# CIS 5.1 with its terms reordered and extra spacing and quoting: equivalent, so it must match
UNAUTHORIZED = ('{ (($.eventName != "HeadBucket") && ($.sourceIPAddress != delivery.logs.amazonaws.com)) && '
                '(($.errorCode = "AccessDenied*") || ($.errorCode = "*UnauthorizedOperation")) }')
ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
CMK = '{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion))}'
IAM = ("{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||"
       "($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||"
       "($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||"
       "($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||"
       "($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||"
       "($.eventName=DetachGroupPolicy)}")
TRAIL_TEXT = "CreateTrail UpdateTrail"  # a text pattern: not understood, never a match
# missing ScheduleKeyDeletion: narrower than CIS 5.7
CMK_PARTIAL = "{ ($.eventSource = kms.amazonaws.com) && ($.eventName = DisableKey) }"


def test_pattern_forms() -> None:
    cmk = CIS_EVENTS["cmk_disable_or_deletion"][2]
    assert covers(parse(CMK), cmk)
    assert covers(parse('{ $.eventName = "ScheduleKeyDeletion" || $.eventName = "DisableKey" }'), cmk)
    assert covers(parse("{ $.eventName = DisableKey || $.eventName = ScheduleKeyDeletion || $.eventName = X }"), cmk)
    assert not covers(parse(CMK_PARTIAL), cmk)
    assert covers(parse("{ $.eventSource = kms* && $.eventName = *Key* }"), cmk)
    assert not covers(parse("{ $.eventName = Disable[K]ey || $.eventName = Schedule?eyDeletion }"), cmk)
    assert not covers(parse("{ ($.eventSource = kms.amazonaws.com) && ($.eventName = %Disable.*%) }"), cmk)
    assert covers(parse(UNAUTHORIZED), CIS_EVENTS["unauthorized_api_calls"][2])
    assert not covers(parse('{ $.errorCode = "AccessDenied" }'), CIS_EVENTS["unauthorized_api_calls"][2])
    assert covers(parse('{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" }'),
                  CIS_EVENTS["console_signin_without_mfa"][2])
    assert covers(parse(ROOT), CIS_EVENTS["root_usage"][2])
    assert not covers(parse('{ $.userIdentity.type = "Root" && $.sourceIPAddress = "10.0.0.1" }'),
                      CIS_EVENTS["root_usage"][2])
    for bad, why in ((TRAIL_TEXT, "not a JSON filter pattern"),
                     ("{ $.a = 1 || $.b = 2 && $.c = 3 }", "&& and || mixed without parentheses"),
                     ("{ $.a = }", "expected a value"), ("{" + "(" * 40 + "$.a=1" + ")" * 40 + "}", "too deeply"),
                     ("{ " + " || ".join(f"$.a = {i}" for i in range(600)) + " }", "longer than"),
                     ("{ " + " && ".join(f"($.a = {i} || $.b = {i})" for i in range(10)) + " }", "alternatives")):
        with pytest.raises(PatternError, match=why):
            parse(bad)


def _filter(logs: Any, name: str, pattern: str) -> None:
    logs.put_metric_filter(logGroupName=GROUP, filterName=name, filterPattern=pattern, metricTransformations=[
        {"metricName": name, "metricNamespace": "CIS", "metricValue": "1"}])


def _alarm(cw: Any, name: str, metric: str, actions: list[str], enabled: bool = True) -> None:
    cw.put_metric_alarm(AlarmName=name, MetricName=metric, Namespace="CIS", Statistic="Sum", Period=300,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        AlarmActions=actions, ActionsEnabled=enabled)


def seed_monitoring() -> dict[str, str]:
    s3, logs = boto3.client("s3", region_name=R), boto3.client("logs", region_name=R)
    cw, sns = boto3.client("cloudwatch", region_name=R), boto3.client("sns", region_name=R)
    s3.create_bucket(Bucket="ct-bucket")
    logs.create_log_group(logGroupName=GROUP)
    group_arn = f"arn:aws:logs:{R}:{ACCOUNT}:log-group:{GROUP}:*"
    ct = boto3.client("cloudtrail", region_name=R)
    ct.create_trail(Name="main", S3BucketName="ct-bucket", IsMultiRegionTrail=True,
                    CloudWatchLogsLogGroupArn=group_arn,
                    CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ct")
    ct.start_logging(Name="main")
    heard = sns.create_topic(Name="security")["TopicArn"]
    sns.subscribe(TopicArn=heard, Protocol="sqs", Endpoint=f"arn:aws:sqs:{R}:{ACCOUNT}:soc")
    deaf = sns.create_topic(Name="nobody")["TopicArn"]
    for name, pattern in (("unauth", UNAUTHORIZED), ("root", ROOT), ("cmk", CMK), ("iam", IAM),
                          ("trail", TRAIL_TEXT), ("cmk-partial", CMK_PARTIAL)):
        _filter(logs, name, pattern)
    _alarm(cw, "unauth-alarm", "unauth", [heard])         # complete chain
    _alarm(cw, "cmk-alarm", "cmk", [deaf])                # topic without subscriber
    _alarm(cw, "iam-alarm", "iam", [heard], enabled=False)  # actions disabled
    _alarm(cw, "cmk-partial-alarm", "cmk-partial", [heard])  # filter narrower than CIS 5.7
    # root: filter, no alarm. Log groups: one never expires without a key, one short with a key.
    key = boto3.client("kms", region_name=R).create_key()["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName="short", kmsKeyId=key)
    logs.put_retention_policy(logGroupName="short", retentionInDays=7)
    logs.create_log_group(logGroupName="year")
    logs.put_retention_policy(logGroupName="year", retentionInDays=400)
    return {"heard": heard, "deaf": deaf, "key": key}


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    with mock_aws():  # read once, then leave moto so later tests start from an empty account
        ids = seed_monitoring()
        c = collect(SPEC, types=list(TYPES))
    yield {"ids": ids, "collection": c, "verdicts": verdicts(c, SPEC, *TYPES)}


def test_cis_monitoring_chain_both_ways(account: dict[str, Any]) -> None:
    got, ids = account["verdicts"], account["ids"]
    assert account["collection"].errors == []
    cis = {k[0].removeprefix("aws-cloudwatch-cis-"): v for k, v in got.items()
           if k[1] == CIS}
    assert {k: v[0] for k, v in cis.items()} == {
        k.replace("_", "-"): ("pass" if k == "unauthorized_api_calls" else "fail") for k in CIS_EVENTS}
    chain = f"trail main -> log group {GROUP} -> filter unauth -> alarm unauth-alarm -> {ids['heard']}"
    assert cis["unauthorized-api-calls"][1] == f"Unauthorized API calls: alarmed by {chain}"
    assert cis["root-usage"][1] == f"Root account usage: not alarmed: filter root on {GROUP}: no alarm on its metric"
    assert cis["cmk-disable-or-deletion"][1] == (
        "Disabling or scheduled deletion of customer managed keys: not alarmed: alarm cmk-alarm: "
        f"topic {ids['deaf']} has no confirmed subscriber")
    assert cis["iam-policy-changes"][1] == (
        "IAM policy changes: not alarmed: alarm iam-alarm: no enabled SNS alarm action")
    assert cis["cloudtrail-changes"][1] == (
        f"CloudTrail configuration changes: not alarmed: no metric filter on log group {GROUP} matches the "
        "CIS event set; unparsable filter patterns: trail 'CreateTrail UpdateTrail' "
        "(not a JSON filter pattern ({ ... }))")
    assert cis["vpc-changes"][0] == "fail" and "no metric filter on log group ct-logs" in cis["vpc-changes"][1]


def test_alarms_and_log_groups_both_ways(account: dict[str, Any]) -> None:
    got = account["verdicts"]
    alarm = lambda n: f"arn:aws:cloudwatch:{R}:{ACCOUNT}:alarm:{n}"  # noqa: E731
    group = lambda n: f"arn:aws:logs:{R}:{ACCOUNT}:log-group:{n}"  # noqa: E731
    assert got[("aws-cloudwatch-alarm-actions-enabled", alarm("unauth-alarm"))][0] == "pass"
    assert got[("aws-cloudwatch-alarm-actions-enabled", alarm("iam-alarm"))] == (
        "fail", "Alarm iam-alarm has actions disabled")
    assert got[("aws-cloudwatch-alarm-has-actions", alarm("cmk-alarm"))][0] == "pass"
    assert {k[1]: v for k, v in got.items() if k[0] == "aws-logs-group-retention"} == {
        group(GROUP): ("pass", f"Log group {GROUP} keeps events forever days"),
        group("year"): ("pass", "Log group year keeps events 400 days"),
        group("short"): ("fail", "Log group short keeps events 7 days (required 365)")}
    assert got[("aws-logs-group-kms", group(GROUP))] == ("fail", f"Log group {GROUP} is not encrypted with a KMS key")
    assert got[("aws-logs-group-kms", group("short"))] == (
        "pass", f"Log group short is encrypted with {account['ids']['key']}")


def test_alarm_without_actions_fails(moto: None) -> None:
    boto3.client("cloudwatch", region_name=R).put_metric_alarm(
        AlarmName="silent", MetricName="m", Namespace="n", Statistic="Sum", Period=60, EvaluationPeriods=1,
        Threshold=1, ComparisonOperator="GreaterThanThreshold")
    got = verdicts(collect(SPEC, types=["aws.cloudwatch.alarm"]), SPEC, "aws.cloudwatch.alarm")
    assert got[("aws-cloudwatch-alarm-has-actions", f"arn:aws:cloudwatch:{R}:{ACCOUNT}:alarm:silent")] == (
        "fail", "Alarm silent has no action for the ALARM state")


def test_cis_monitoring_is_error_when_filters_cannot_be_read(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_monitoring()
    for k, v in restricted_user(["logs:DescribeMetricFilters", "logs:DescribeLogGroups"]).items():
        monkeypatch.setenv(k, v)
    with enforced_iam():
        c = collect(SPEC, types=list(TYPES))
    got = verdicts(c, SPEC, *TYPES)
    cis = {k[0]: v for k, v in got.items() if k[1] == CIS}
    assert len(cis) == 15 and {v[0] for v in cis.values()} == {"error"}
    assert cis["aws-cloudwatch-cis-root-usage"][1] == (
        f"{CIS}: root_usage could not be read: log group {GROUP}: AccessDenied on logs:DescribeMetricFilters")
    assert [(e.resource_type, e.message) for e in c.errors] == [
        ("aws.logs.log_group", f"AccessDenied on logs:DescribeLogGroups in {R}")]


def test_no_trail_to_cloudwatch_fails_every_cis_control(moto: None) -> None:
    boto3.client("s3").create_bucket(Bucket="plain-bucket")
    boto3.client("cloudtrail").create_trail(Name="plain", S3BucketName="plain-bucket", IsMultiRegionTrail=True)
    got = verdicts(collect(SPEC, types=["aws.cloudwatch.cis_monitoring"]), SPEC, "aws.cloudwatch.cis_monitoring")
    assert {v for k, v in got.items()} == {
        ("fail", f"{CIS_EVENTS[k][1][0].upper()}{CIS_EVENTS[k][1][1:]}: not alarmed: "
                 "no multi-region trail delivers to CloudWatch Logs") for k in CIS_EVENTS}
    assert json.dumps(sorted(got))  # every key is a (control, resource) pair


def test_collected_attributes_match_their_declaration(account: dict[str, Any]) -> None:
    from .test_conformance import conforms

    conforms(account["collection"])
    assert all(account["collection"].resources.values())  # every type of this module was seeded
