"""CloudWatch collectors: the CIS monitoring chain (trail -> log group -> metric filter -> alarm -> SNS
subscriber) per account, metric alarms and log groups per region."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.aws.api import Api
from checks.aws.cwpattern import CIS_EVENTS, PatternError, covers, parse
from checks.aws.kind import AwsKind, GlobalAwsKind
from checks.aws.logging import _is_logging, _selectors, _trails
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_CIS = "aws.cloudwatch.cis_monitoring"
_ALARM_TYPES = ["MetricAlarm", "CompositeAlarm"]


@dataclass
class _Found:
    ok: dict[str, str] = field(default_factory=dict)
    """key -> the chain that proves it."""
    why: dict[str, list[str]] = field(default_factory=dict)
    """key -> why each candidate chain falls short."""
    lost: dict[str, list[str]] = field(default_factory=dict)
    """key -> reads that failed on a candidate chain."""

    def miss(self, keys: Any, reason: str) -> None:
        for k in keys:
            self.why.setdefault(k, []).append(reason)

    def fail(self, keys: Any, reason: str) -> None:
        for k in keys:
            self.lost.setdefault(k, []).append(reason)


def _log_group(arn: str) -> tuple[str, str] | None:
    """(region, name) of ``arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]``."""
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return parts[3], parts[6]


def _subscribed(api: Api, topic: str) -> bool:
    region = topic.split(":")[3] if topic.count(":") >= 5 else None
    subs = api.list("sns", region, "ListSubscriptionsByTopic", "Subscriptions", TopicArn=topic)
    return any(str(s.get("SubscriptionArn", "")).startswith("arn:") for s in subs)


def _chain(api: Api, trail: dict[str, Any], keys: list[str], found: _Found) -> None:
    """Follow one trail's log group to metric filters, alarms and subscribed topics for ``keys``."""
    name = trail.get("Name")
    where = _log_group(str(trail.get("CloudWatchLogsLogGroupArn")))
    if where is None:
        found.miss(keys, f"trail {name} log group ARN is not understood")
        return
    region, group = where
    try:
        filters = api.list("logs", region, "DescribeMetricFilters", "metricFilters", logGroupName=group)
    except ApiFailure as failure:
        found.fail(keys, f"log group {group}: {failure}")
        return
    parsed, unparsable = [], []
    for f in filters:
        try:
            parsed.append((f, parse(str(f.get("filterPattern", "")))))
        except PatternError as exc:
            unparsable.append(f"{f.get('filterName')} {str(f.get('filterPattern', ''))[:200]!r} ({exc})")
    alarms: list[dict[str, Any]] | None = None
    for key in keys:
        matching = [f for f, dnf in parsed if covers(dnf, CIS_EVENTS[key][2])]
        if not matching:
            extra = f"; unparsable filter patterns: {', '.join(unparsable)}" if unparsable else ""
            found.miss([key], f"no metric filter on log group {group} matches the CIS event set{extra}")
            continue
        if alarms is None:
            try:
                alarms = [a for page in api.pages("cloudwatch", region, "DescribeAlarms", AlarmTypes=_ALARM_TYPES)
                          for a in page.get("MetricAlarms") or []]  # the same request as the alarm collector's
            except ApiFailure as failure:
                found.fail(keys, f"alarms in {region}: {failure}")
                return
        for f in matching:
            metrics = {(m.get("metricNamespace"), m.get("metricName")) for m in f.get("metricTransformations") or []}
            hit = [a for a in alarms if (a.get("Namespace"), a.get("MetricName")) in metrics]
            if not hit:
                found.miss([key], f"filter {f.get('filterName')} on {group}: no alarm on its metric")
                continue
            for alarm in hit:
                topics = [t for t in alarm.get("AlarmActions") or [] if str(t).split(":")[2:3] == ["sns"]]
                if not topics or alarm.get("ActionsEnabled") is not True:
                    found.miss([key], f"alarm {alarm.get('AlarmName')}: no enabled SNS alarm action")
                    continue
                for topic in topics:
                    try:
                        if _subscribed(api, topic):
                            found.ok[key] = (f"trail {name} -> log group {group} -> filter {f.get('filterName')}"
                                             f" -> alarm {alarm.get('AlarmName')} -> {topic}")
                            break
                        found.miss([key], f"alarm {alarm.get('AlarmName')}: topic {topic} has no confirmed subscriber")
                    except ApiFailure as failure:
                        found.fail([key], f"topic {topic}: {failure}")
                if key in found.ok:
                    break
            if key in found.ok:
                break


def collect_cis_monitoring(api: Api, region: str | None) -> list[Resource]:
    rid = f"{api.account}/cloudwatch-cis-monitoring"
    keys = [k for k in CIS_EVENTS if api.wants(_CIS, k, f"{k}_detail")]
    try:
        seen: dict[str, dict[str, Any]] = {}
        for r in api.regions or (None,):  # a multi-region trail is listed in every region
            for t in _trails(api, r or api.session.default_region):
                seen.setdefault(t["TrailARN"], t)
    except ApiFailure as failure:
        return [Resource(rid, _CIS, {}, error=str(failure))]
    found = _Found()
    candidates = [t for t in seen.values() if t.get("IsMultiRegionTrail") and t.get("CloudWatchLogsLogGroupArn")]
    attrs: dict[str, Any] = {"Trails": [t.get("Name") for t in candidates]}
    if not candidates:
        found.miss(keys, "no multi-region trail delivers to CloudWatch Logs")
    for trail in candidates:
        try:
            if not _is_logging(api, trail):
                found.miss(keys, f"trail {trail.get('Name')} is not logging")
                continue
            if not _selectors(api, trail)["management_events_all"]:
                found.miss(keys, f"trail {trail.get('Name')} does not record all management events")
                continue
        except ApiFailure as failure:
            found.fail(keys, f"trail {trail.get('Name')}: {failure}")
            continue
        _chain(api, trail, [k for k in keys if k not in found.ok], found)
    lost: dict[str, str] = {}
    for k in keys:
        if k in found.ok:
            attrs[k], attrs[f"{k}_detail"] = True, found.ok[k]
        elif k in found.lost:
            attrs[k] = attrs[f"{k}_detail"] = None
            lost[k] = lost[f"{k}_detail"] = "; ".join(found.lost[k])
        else:
            attrs[k], attrs[f"{k}_detail"] = False, "; ".join(dict.fromkeys(found.why.get(k, [])))
    return [Resource(rid, _CIS, attrs, attr_errors=lost)]


def collect_alarms(api: Api, region: str | None) -> list[Resource]:
    out = []
    for page in api.pages("cloudwatch", region, "DescribeAlarms", AlarmTypes=_ALARM_TYPES):
        for alarm in (page.get("MetricAlarms") or []) + (page.get("CompositeAlarms") or []):
            attrs = {k: alarm.get(k) for k in ("AlarmName", "ActionsEnabled", "AlarmActions", "OKActions",
                                                "InsufficientDataActions", "MetricName", "Namespace")}
            attrs["AlarmActions"] = list(attrs["AlarmActions"] or [])
            out.append(Resource(alarm["AlarmArn"], "aws.cloudwatch.alarm", attrs, region=region))
    return out


def collect_log_groups(api: Api, region: str | None) -> list[Resource]:
    out = []
    for g in api.list("logs", region, "DescribeLogGroups", "logGroups"):
        arn = str(g.get("arn") or "").removesuffix(":*") or api.arn("logs", region, f"log-group:{g['logGroupName']}")
        attrs = {"logGroupName": g.get("logGroupName"), "retentionInDays": g.get("retentionInDays"),
                 "never_expires": g.get("retentionInDays") is None, "kmsKeyId": g.get("kmsKeyId")}
        out.append(Resource(arn, "aws.logs.log_group", attrs, region=region))
    return out


def _cis_attributes() -> tuple[A, ...]:
    out = [A("Trails", "list", "multi-region trails that deliver to CloudWatch Logs")]
    for key, (num, what, _) in CIS_EVENTS.items():
        out.append(A(key, "boolean", f"CIS {num}: a metric filter matching {what} has an alarm with a "
                                     "subscribed SNS topic"))
        out.append(A(f"{key}_detail", "string", "the proving chain, or why each candidate falls short"))
    return tuple(out)


@resources.register(_CIS)
class CisMonitoring(GlobalAwsKind):
    description = ("The CIS monitoring chain of one account: a logging multi-region trail recording all "
                   "management events, delivering to a CloudWatch Logs group with a metric filter matching "
                   "each CIS event set, an alarm on the filter's metric, and an SNS topic with a confirmed "
                   "subscriber.")
    attributes = _cis_attributes()
    permissions = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
                   "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms", "sns:ListSubscriptionsByTopic")
    build = staticmethod(collect_cis_monitoring)


@resources.register("aws.cloudwatch.alarm")
class CloudwatchAlarm(AwsKind):
    description = "A CloudWatch metric or composite alarm."
    attributes = (A("AlarmName", "string", "alarm name"), A("ActionsEnabled", "boolean", "actions are enabled"),
                  A("AlarmActions", "list", "actions run on the ALARM state"),
                  A("OKActions", "list", "actions run on the OK state"),
                  A("InsufficientDataActions", "list", "actions run on INSUFFICIENT_DATA"),
                  A("MetricName", "string", "metric (metric alarms)"), A("Namespace", "string", "metric namespace"))
    permissions = ("cloudwatch:DescribeAlarms",)
    build = staticmethod(collect_alarms)


@resources.register("aws.logs.log_group")
class LogGroup(AwsKind):
    description = "A CloudWatch Logs log group."
    attributes = (A("logGroupName", "string", "log group name"),
                  A("retentionInDays", "integer", "days events are kept; null when they never expire"),
                  A("never_expires", "boolean", "no retention period is set (events are kept forever)"),
                  A("kmsKeyId", "string", "KMS key encrypting the group; null for the service default"))
    permissions = ("logs:DescribeLogGroups",)
    build = staticmethod(collect_log_groups)
