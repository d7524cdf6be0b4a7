"""Logging and detection collectors: CloudTrail trails and per-region coverage, Config, GuardDuty
(detector, protection plans, high-severity findings)."""

from __future__ import annotations

import re
from typing import Any

from checks.aws.api import Api
from checks.aws.s3 import bucket_logging
from checks.aws.session import ApiFailure
from checks.aws.kind import AwsKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources



def _trails(api: Api, region: str) -> list[dict[str, Any]]:
    return api.call("cloudtrail", region, "DescribeTrails", includeShadowTrails=True).get("trailList") or []


def _is_logging(api: Api, trail: dict[str, Any]) -> bool:
    status = api.call("cloudtrail", trail.get("HomeRegion"), "GetTrailStatus", Name=trail["TrailARN"])
    return bool(status.get("IsLogging"))


def _selectors(api: Api, trail: dict[str, Any]) -> dict[str, Any]:
    """What the trail's event selectors record: all management events, S3 object writes/reads."""
    sel = api.call("cloudtrail", trail.get("HomeRegion"), "GetEventSelectors", TrailName=trail["TrailARN"])
    basic = sel.get("EventSelectors") or []
    adv = sel.get("AdvancedEventSelectors") or []
    # A trail that never had selectors set records all management events (the AWS default).
    mgmt = (not basic and not adv) or any(
        s.get("IncludeManagementEvents") and s.get("ReadWriteType") == "All" for s in basic)
    write = read = False
    for s in basic:
        rw = s.get("ReadWriteType")
        for d in s.get("DataResources") or []:
            if d.get("Type") == "AWS::S3::Object" and any(_ALL_BUCKETS.fullmatch(str(v))
                                                          for v in d.get("Values") or []):
                write |= rw in ("All", "WriteOnly")
                read |= rw in ("All", "ReadOnly")
    for s in adv:
        fields = {f.get("Field"): f for f in s.get("FieldSelectors") or []}
        cat = (fields.get("eventCategory") or {}).get("Equals") or []
        ro = (fields.get("readOnly") or {}).get("Equals")
        if "Management" in cat and not ro:
            mgmt = True
        if "Data" in cat and "AWS::S3::Object" in ((fields.get("resources.type") or {}).get("Equals") or []):
            write |= not ro or "false" in ro
            read |= not ro or "true" in ro
    return {"management_events_all": mgmt, "s3_write": write, "s3_read": read}


_TRAIL = "aws.cloudtrail.trail"
# every bucket, in any partition: arn:aws:s3, arn:aws-us-gov:s3:::, arn:aws-cn:s3:::/
_ALL_BUCKETS = re.compile(r"arn:aws[a-z-]*:s3(:::)?/?")
_TRAIL_FIELDS = ("Name", "HomeRegion", "S3BucketName", "KmsKeyId", "CloudWatchLogsLogGroupArn")


def collect_trails(api: Api, region: str | None) -> list[Resource]:
    assert region
    home = [t for t in _trails(api, region) if t.get("HomeRegion") == region]

    def one(trail: dict[str, Any]) -> Resource:
        # DescribeTrails gives most fields; each further read runs only when a control reads it.
        lost: dict[str, str] = {}
        attrs = {k: trail.get(k) for k in _TRAIL_FIELDS}
        attrs.update({"IsMultiRegionTrail": bool(trail.get("IsMultiRegionTrail")),
                      "LogFileValidationEnabled": bool(trail.get("LogFileValidationEnabled")),
                      "kms_encrypted": bool(trail.get("KmsKeyId"))})
        for name, fn in (("IsLogging", lambda: _is_logging(api, trail)),
                         ("management_events_all", lambda: _selectors(api, trail)["management_events_all"]),
                         ("s3_bucket_logging_enabled", lambda: _log_bucket_logging(api, trail))):
            if api.wants(_TRAIL, name):
                try:
                    attrs[name] = fn()
                except ApiFailure as failure:  # e.g. the log bucket lives in another account
                    attrs[name] = None
                    lost[name] = str(failure)
        return Resource(trail["TrailARN"], _TRAIL, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, home)


def _log_bucket_logging(api: Api, trail: dict[str, Any]) -> bool | None:
    """Server access logging of the trail's log bucket (memoised with the bucket collector's read)."""
    return bool(bucket_logging(api, trail["S3BucketName"])) if trail.get("S3BucketName") else None


def collect_trail_regions(api: Api, region: str | None) -> list[Resource]:
    assert region
    trails = [t for t in _trails(api, region)
              if t.get("IsMultiRegionTrail") or t.get("HomeRegion") == region]
    rid = f"{api.account}/{region}/cloudtrail"
    attrs: dict[str, Any] = {"Region": region, "Trails": [t.get("Name") for t in trails]}
    wants_sel = api.wants("aws.cloudtrail.region", *_REGION_SELECTED)
    if not (wants_sel or api.wants("aws.cloudtrail.region", "logging_trail")):
        return [Resource(rid, "aws.cloudtrail.region", attrs, region=region)]
    try:
        on = [t for t, logging_on in zip(trails, api.fan_out(lambda t: _is_logging(api, t), trails)) if logging_on]
        sels = api.fan_out(lambda t: _selectors(api, t), on) if wants_sel else []
    except ApiFailure as failure:
        return [Resource(rid, "aws.cloudtrail.region", {"Region": region}, region=region, error=str(failure))]
    attrs["logging_trail"] = bool(on)
    if wants_sel:
        attrs.update({"multi_region_logging": any(t.get("IsMultiRegionTrail") and s["management_events_all"]
                                                  for t, s in zip(on, sels)),
                      "s3_write_data_events": any(s["s3_write"] for s in sels),
                      "s3_read_data_events": any(s["s3_read"] for s in sels)})
    return [Resource(rid, "aws.cloudtrail.region", attrs, region=region)]


_REGION_SELECTED = ("multi_region_logging", "s3_write_data_events", "s3_read_data_events")


def collect_config(api: Api, region: str | None) -> list[Resource]:
    recs = api.call("config", region, "DescribeConfigurationRecorders").get("ConfigurationRecorders") or []
    rid = f"{api.account}/{region}/config-recorder"
    if not recs:
        return [Resource(rid, "aws.config.recorder", {"Region": region, "exists": False, "recording": False},
                         region=region)]
    rec = recs[0]
    group = rec.get("recordingGroup") or {}
    attrs = {"Region": region, "exists": True, "Name": rec.get("name"),
             "all_supported": bool(group.get("allSupported")),
             "include_global_resource_types": bool(group.get("includeGlobalResourceTypes"))}
    if api.wants("aws.config.recorder", "recording", "lastStatus"):
        statuses = api.call("config", region, "DescribeConfigurationRecorderStatus").get(
            "ConfigurationRecordersStatus") or []
        st: dict[str, Any] = next((s for s in statuses if s.get("name") == rec.get("name")), {})
        attrs.update(recording=bool(st.get("recording")), lastStatus=st.get("lastStatus"))
    return [Resource(rid, "aws.config.recorder", attrs, region=region)]


def collect_guardduty(api: Api, region: str | None) -> list[Resource]:
    ids = api.list("guardduty", region, "ListDetectors", "DetectorIds")
    rid = f"{api.account}/{region}/guardduty"
    if not ids:
        return [Resource(rid, "aws.guardduty.detector", {"Region": region, "exists": False, "Status": None},
                         region=region)]
    attrs: dict[str, Any] = {"Region": region, "exists": True, "DetectorId": ids[0]}
    lost: dict[str, str] = {}
    if api.wants(_GD, "Status", "s3_protection", "eks_audit_logs"):
        det = api.call("guardduty", region, "GetDetector", DetectorId=ids[0])
        attrs["Status"] = det.get("Status")
        attrs.update(s3_protection=_feature(det, "S3_DATA_EVENTS", ("S3Logs",)),
                     eks_audit_logs=_feature(det, "EKS_AUDIT_LOGS", ("Kubernetes", "AuditLogs")))
    if api.wants(_GD, "high_severity_findings"):
        try:  # unarchived findings of high severity (7.0 and above); the first page is enough to fail
            found = api.call("guardduty", region, "ListFindings", DetectorId=ids[0], MaxResults=50,
                             FindingCriteria={"Criterion": {"severity": {"Gte": 7},
                                                            "service.archived": {"Eq": ["false"]}}})
            attrs["high_severity_findings"] = list(found.get("FindingIds") or [])
        except ApiFailure as failure:
            attrs["high_severity_findings"] = None
            lost["high_severity_findings"] = str(failure)
    return [Resource(rid, _GD, attrs, region=region, attr_errors=lost)]


_GD = "aws.guardduty.detector"


def _feature(det: dict[str, Any], name: str, legacy: tuple[str, ...]) -> bool:
    """A protection plan is on: the detector feature ``name``, or its legacy data source."""
    for f in det.get("Features") or []:
        if f.get("Name") == name:
            return f.get("Status") == "ENABLED"
    src: Any = det.get("DataSources") or {}
    for part in legacy:
        src = src.get(part) if isinstance(src, dict) else None
    return isinstance(src, dict) and src.get("Status") == "ENABLED"


@resources.register("aws.cloudtrail.trail")
class CloudtrailTrail(AwsKind):
    description = "A CloudTrail trail (listed in its home region)."
    attributes = (A("Name", "string", "trail name"), A("HomeRegion", "string", "home region"),
         A("IsMultiRegionTrail", "boolean", "records events from every region"),
         A("LogFileValidationEnabled", "boolean", "log file integrity validation is on"),
         A("KmsKeyId", "string", "KMS key encrypting the logs; null for SSE-S3"),
         A("kms_encrypted", "boolean", "logs are encrypted with a KMS key"),
         A("S3BucketName", "string", "log bucket"),
         A("CloudWatchLogsLogGroupArn", "string", "CloudWatch Logs group; null when none"),
         A("IsLogging", "boolean", "the trail is currently logging"),
         A("management_events_all", "boolean", "read and write management events are recorded"),
         A("s3_bucket_logging_enabled", "boolean", "server access logging is on for the log bucket"))
    permissions = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors",
         "s3:GetBucketLogging", "s3:GetBucketLocation")
    build = staticmethod(collect_trails)


@resources.register("aws.cloudtrail.region")
class CloudtrailRegion(AwsKind):
    description = "CloudTrail coverage of one region (one per scanned region)."
    attributes = (A("Region", "string", "region"), A("Trails", "list", "trails that record this region"),
         A("multi_region_logging", "boolean",
           "a logging multi-region trail records all read and write management events"),
         A("logging_trail", "boolean", "a logging trail records this region"),
         A("s3_write_data_events", "boolean", "a logging trail records S3 object-level write events"),
         A("s3_read_data_events", "boolean", "a logging trail records S3 object-level read events"))
    permissions = ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors")
    build = staticmethod(collect_trail_regions)


@resources.register("aws.config.recorder")
class ConfigRecorder(AwsKind):
    description = "The AWS Config recorder of one region (one per scanned region)."
    attributes = (A("Region", "string", "region"), A("exists", "boolean", "a configuration recorder exists"),
         A("Name", "string", "recorder name"), A("recording", "boolean", "the recorder is recording"),
         A("all_supported", "boolean", "records all supported resource types"),
         A("include_global_resource_types", "boolean", "records global (IAM) resources"),
         A("lastStatus", "string", "last delivery status"))
    permissions = ("config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus")
    build = staticmethod(collect_config)


@resources.register("aws.guardduty.detector")
class GuarddutyDetector(AwsKind):
    description = "The GuardDuty detector of one region (one per scanned region)."
    attributes = (A("Region", "string", "region"), A("exists", "boolean", "a detector exists"),
         A("DetectorId", "string", "detector id"), A("Status", "string", "ENABLED or DISABLED"),
         A("s3_protection", "boolean", "S3 protection (S3 data events) is enabled"),
         A("eks_audit_logs", "boolean", "EKS protection (EKS audit log monitoring) is enabled"),
         A("high_severity_findings", "list", "ids of unarchived findings of severity 7 or more (first 50)"))
    permissions = ("guardduty:ListDetectors", "guardduty:GetDetector", "guardduty:ListFindings")
    build = staticmethod(collect_guardduty)
