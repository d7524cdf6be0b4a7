"""S3 bucket collector (aws.s3.bucket): one listing, then the bucket's settings read concurrently."""

from __future__ import annotations

from typing import Any, Callable

from checks.aws.api import Api
from checks.aws.iam import account_public_access_block
from checks.aws.policydoc import acl_public, as_document, all_blocked, denies_insecure_transport
from checks.aws.session import ApiFailure
from checks.aws.kind import AwsKind
from checks.aws.resource_policy import write_grantees
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources



_LOCATIONS = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}


def bucket_region(api: Api, name: str) -> str:
    """The bucket's region: from ListBuckets (``BucketRegion``) when AWS returned it, else one
    memoised GetBucketLocation (a null constraint means us-east-1)."""
    listed = api.once(("bucket-regions",), lambda: _listed_regions(api))
    if listed.get(name):
        return listed[name]
    loc = api.call("s3", None, "GetBucketLocation", Bucket=name).get("LocationConstraint")
    return _LOCATIONS.get(loc, loc)


def _listed_regions(api: Api) -> dict[str, str]:
    return {b["Name"]: b["BucketRegion"] for b in list_buckets(api) if b.get("BucketRegion")}


# AWS names each bucket's region (BucketRegion) only in a paginated ListBuckets, one that sends
# MaxBuckets: asking that way saves one GetBucketLocation per bucket. 10,000 is the largest page.
_PAGE = 10000


def list_buckets(api: Api) -> list[dict[str, Any]]:
    """Every bucket of the account, listed once per scan."""
    return api.once(("buckets",), lambda: _list_buckets(api))


def _list_buckets(api: Api) -> list[dict[str, Any]]:
    if not api.session.client("s3").can_paginate("list_buckets"):  # botocore before MaxBuckets existed
        return api.list("s3", None, "ListBuckets", "Buckets")
    pages = api.pages("s3", None, "ListBuckets", PaginationConfig={"PageSize": _PAGE})
    buckets = [b for page in pages for b in page.get("Buckets") or []]
    if len(buckets) >= _PAGE and not pages[-1].get("ContinuationToken") and len(pages) == 1:
        # a full page and no token: a server that truncates instead of paging; never miss buckets
        return api.list("s3", None, "ListBuckets", "Buckets")
    return buckets


def bucket_logging(api: Api, name: str) -> dict[str, Any] | None:
    """The bucket's server access logging target (memoised; shared with the trail collector)."""
    return api.call("s3", bucket_region(api, name), "GetBucketLogging", Bucket=name).get("LoggingEnabled")


# Sub-read -> the attributes it feeds: when the read fails, only controls reading these error.
_FEEDS: dict[str, tuple[str, ...]] = {
    "GetBucketEncryption": ("Encryption",),
    "GetBucketVersioning": ("Versioning", "versioning_enabled", "mfa_delete_enabled"),
    "GetPublicAccessBlock": ("PublicAccessBlock", "public_access_blocked"),
    "GetBucketPolicy": ("Policy", "tls_only_policy"),
    "GetBucketPolicyStatus": ("policy_is_public",),
    "GetBucketAcl": ("Grants", "acl_public"),
    "GetBucketLogging": ("Logging", "logging_enabled"),
    "GetBucketTagging": ("Tags",),
    "GetBucketNotificationConfiguration": ("event_notifications_enabled",),
    "GetObjectLockConfiguration": ("ObjectLockConfiguration", "object_lock_enabled"),
}
_ABSENT = {
    "GetBucketEncryption": ("ServerSideEncryptionConfigurationNotFoundError",),
    "GetPublicAccessBlock": ("NoSuchPublicAccessBlockConfiguration",),
    "GetBucketPolicy": ("NoSuchBucketPolicy",),
    "GetBucketPolicyStatus": ("NoSuchBucketPolicy",),
    "GetBucketTagging": ("NoSuchTagSet",),
    "GetObjectLockConfiguration": ("ObjectLockConfigurationNotFoundError",),
}
_NOTIFICATIONS = ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations")


_T = "aws.s3.bucket"
_UNREAD: Any = object()  # the account-level block was not read: no selected control needs it


def _log_sources(api: Api, buckets: list[dict[str, Any]]) -> dict[str, list[str]] | ApiFailure:
    """Bucket name -> what delivers logs into it: ``access logs of <bucket>`` (server access logging
    of the scanned buckets, which must be in the same region) and ``trail <arn>`` (CloudTrail trails
    of the scanned regions). Any unreadable source makes the whole map unknown."""
    def target(bucket: dict[str, Any]) -> tuple[str, str | None]:
        name = bucket["Name"]
        if api.regions and bucket_region(api, name) not in api.regions:
            return name, None
        return name, (bucket_logging(api, name) or {}).get("TargetBucket")

    if not api.regions:  # the trails of unknown regions cannot be listed
        return ApiFailure("cloudtrail:DescribeTrails", "NoRegions", "the scanned regions are unknown")
    try:
        out: dict[str, list[str]] = {}
        for name, dest in api.fan_out(target, buckets):
            if dest:
                out.setdefault(dest, []).append(f"access logs of {name}")
        for region in api.regions:
            for trail in api.call("cloudtrail", region, "DescribeTrails",
                                  includeShadowTrails=True).get("trailList") or []:
                src = f"trail {trail.get('TrailARN')}"
                if trail.get("S3BucketName") and src not in out.get(trail["S3BucketName"], []):
                    out.setdefault(trail["S3BucketName"], []).append(src)
        return out
    except ApiFailure as failure:
        return failure


def _bucket(api: Api, bucket: dict[str, Any], account_bpa: Any, logs: Any = None) -> Resource | None:
    """The bucket with the settings the selected controls read (None: outside the scanned regions).

    Each sub-read runs only when a selected control (or a tag waiver) reads an attribute it feeds,
    directly or through a derived one; what is not read is absent from the resource.
    """
    name = bucket["Name"]
    arn = f"arn:{api.partition}:s3:::{name}"
    try:
        region = bucket_region(api, name)
    except ApiFailure as failure:  # without its region nothing about the bucket can be placed
        return Resource(arn, _T, {"Name": name}, error=str(failure))
    if api.regions and region not in api.regions:
        return None  # S3 lists every bucket; one outside the scan costs no further call
    lost: dict[str, str] = {}
    attrs: dict[str, Any] = {"Name": name, "Region": region}

    def wants(*feeds: str) -> bool:
        return api.wants(_T, *feeds)

    def get(op: str) -> dict[str, Any]:
        try:
            if op == "GetBucketLogging":
                return {"LoggingEnabled": bucket_logging(api, name)}
            return api.get("s3", region, op, absent=_ABSENT.get(op, ()), Bucket=name) or {}
        except ApiFailure as failure:
            lost.update(dict.fromkeys(_FEEDS[op], str(failure)))
            return {}

    if wants("Encryption"):
        attrs["Encryption"] = get("GetBucketEncryption").get("ServerSideEncryptionConfiguration")
    if wants("Versioning", "versioning_enabled", "mfa_delete_enabled"):
        versioning = {k: v for k, v in get("GetBucketVersioning").items() if k in ("Status", "MFADelete")}
        attrs.update(Versioning=versioning, versioning_enabled=versioning.get("Status") == "Enabled",
                     mfa_delete_enabled=versioning.get("MFADelete") == "Enabled")
    _public_access(attrs, lost, wants, get, account_bpa)
    policy = None
    if wants("Policy", "tls_only_policy", "write_grantees"):
        pol = get("GetBucketPolicy")
        policy = as_document(pol.get("Policy")) if pol.get("Policy") else None
        attrs.update(Policy=policy, tls_only_policy=denies_insecure_transport(policy, name))
        if "Policy" in lost:
            lost["write_grantees"] = lost["Policy"]
        else:
            grantees = write_grantees(policy, api.account) if pol.get("Policy") else []
            attrs["write_grantees"] = grantees
            if grantees is None:
                lost["write_grantees"] = unknown_reason("the bucket policy")
    if wants("event_notifications_enabled"):
        notes = get("GetBucketNotificationConfiguration")
        # EventBridge delivery is an empty object when on: its presence counts
        attrs["event_notifications_enabled"] = (any(notes.get(k) for k in _NOTIFICATIONS)
                                                or "EventBridgeConfiguration" in notes)
    if wants("ObjectLockConfiguration", "object_lock_enabled"):
        lock = get("GetObjectLockConfiguration").get("ObjectLockConfiguration")
        attrs.update(ObjectLockConfiguration=lock,
                     object_lock_enabled=(lock or {}).get("ObjectLockEnabled") == "Enabled")
    if wants("policy_is_public"):
        # No policy means "not public" (GetBucketPolicyStatus would answer NoSuchBucketPolicy): when
        # the policy was read, ask only if one exists or it could not be read; else ask directly.
        asked = policy is not None or "Policy" in lost or not wants("Policy", "tls_only_policy", "write_grantees")
        status = get("GetBucketPolicyStatus") if asked else {}
        attrs["policy_is_public"] = bool((status.get("PolicyStatus") or {}).get("IsPublic"))
    if wants("Grants", "acl_public"):
        grants = get("GetBucketAcl").get("Grants") or []
        attrs.update(Grants=grants, acl_public=acl_public(grants))
    if wants("Logging", "logging_enabled"):
        logging = get("GetBucketLogging").get("LoggingEnabled")
        attrs.update(Logging=logging, logging_enabled=bool(logging))
    if isinstance(logs, ApiFailure):
        lost["log_sources"] = str(logs)
    elif logs is not None:
        attrs["log_sources"] = logs.get(name, [])
    if wants("Tags"):
        attrs["Tags"] = {t["Key"]: t["Value"] for t in get("GetBucketTagging").get("TagSet") or []}
    for path in lost:  # an unread value is absent, never a default that could pass
        attrs[path] = None
    return Resource(arn, _T, attrs, region=region, attr_errors=lost)


def _public_access(attrs: dict[str, Any], lost: dict[str, str], wants: Callable[..., bool],
                   get: Callable[[str], dict[str, Any]], account_bpa: Any) -> None:
    """Bucket-level, account-level and effective public access block, as far as they are read."""
    acct_blocked: bool | None = None
    if isinstance(account_bpa, ApiFailure):
        lost["account_public_access_blocked"] = str(account_bpa)
    elif account_bpa is not _UNREAD:
        acct_blocked = all_blocked(account_bpa)
        if wants("account_public_access_blocked"):
            attrs["account_public_access_blocked"] = acct_blocked
    effective = wants("effective_public_access_blocked")
    bucket_blocked: bool | None = None
    # An account that blocks everything decides the effective setting without the bucket's own.
    if wants("PublicAccessBlock", "public_access_blocked") or (effective and not acct_blocked):
        pab = get("GetPublicAccessBlock")
        bucket_blocked = all_blocked(pab.get("PublicAccessBlockConfiguration"))
        attrs.update(PublicAccessBlock=pab.get("PublicAccessBlockConfiguration"),
                     public_access_blocked=bucket_blocked)
    if effective:
        attrs["effective_public_access_blocked"] = bool(bucket_blocked or acct_blocked)
        if not (bucket_blocked or acct_blocked):
            # Blocked at either level decides on its own; otherwise both settings must be known.
            why = lost.get("public_access_blocked") or lost.get("account_public_access_blocked")
            if why:
                lost["effective_public_access_blocked"] = why


def collect_buckets(api: Api, region: str | None) -> list[Resource]:
    buckets = list_buckets(api)
    if not buckets:
        return []
    account_bpa: Any = _UNREAD
    if api.wants(_T, "account_public_access_blocked", "effective_public_access_blocked"):
        try:
            account_bpa = account_public_access_block(api)
        except ApiFailure as failure:  # reported on aws.account too; here it is lost per attribute
            account_bpa = failure
    logs = _log_sources(api, buckets) if api.wants(_T, "log_sources") else None
    # Buckets in regions outside the scan are listed (S3 is global) but dropped before their reads.
    return [r for r in api.fan_out(lambda b: _bucket(api, b, account_bpa, logs), buckets) if r is not None]


@resources.register("aws.s3.bucket")
class S3Bucket(AwsKind):
    description = "An S3 bucket with its encryption, versioning, access and logging settings."
    attributes = (
            A("Name", "string", "bucket name"),
            A("Region", "string", "bucket region"),
            A("Encryption", "map", "ServerSideEncryptionConfiguration; null when none"),
            A("Encryption.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm", "string",
              "default encryption algorithm (AES256, aws:kms, aws:kms:dsse)"),
            A("Encryption.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID", "string",
              "the KMS key of aws:kms encryption (absent for AES256)"),
            A("Encryption.Rules[0].BucketKeyEnabled", "boolean", "an S3 Bucket Key is used for SSE-KMS"),
            A("Versioning", "map", "GetBucketVersioning result: Status, MFADelete"),
            A("versioning_enabled", "boolean", "Versioning.Status is Enabled"),
            A("mfa_delete_enabled", "boolean", "Versioning.MFADelete is Enabled"),
            A("PublicAccessBlock", "map", "bucket-level public access block; null when unset"),
            A("public_access_blocked", "boolean", "all four bucket-level block settings are true"),
            A("account_public_access_blocked", "boolean", "all four account-level block settings are true"),
            A("effective_public_access_blocked", "boolean", "blocked at bucket or account level"),
            A("Policy", "map", "bucket policy document; null when none"),
            A("policy_is_public", "boolean", "GetBucketPolicyStatus says the policy is public"),
            A("tls_only_policy", "boolean", "the policy denies requests without aws:SecureTransport"),
            A("Grants", "list", "ACL grants"),
            A("acl_public", "boolean", "an ACL grant to AllUsers or AuthenticatedUsers"),
            A("Logging", "map", "server access logging target; null when disabled"),
            A("logging_enabled", "boolean", "server access logging is enabled"),
            A("Tags", "map", "bucket tags as {key: value}"),
            A("write_grantees", "list", "other accounts (account ids; '*' for everyone unless a condition "
              "pins the caller; canonical:<id>) the bucket policy allows to write, delete or change its "
              "protection (PutObject, DeleteObject, PutBucketPolicy, DeleteBucket...), sorted"),
            A("event_notifications_enabled", "boolean", "an SNS, SQS, Lambda or EventBridge notification is set"),
            A("ObjectLockConfiguration", "map", "Object Lock configuration; null when none"),
            A("object_lock_enabled", "boolean", "Object Lock is enabled on the bucket"),
            A("log_sources", "list", "what delivers logs into the bucket: 'access logs of <bucket>' (server "
              "access logging of scanned buckets) and 'trail <arn>' (CloudTrail trails of the scanned regions)"),
        )
    permissions = ("s3:ListAllMyBuckets", "s3:GetBucketLocation (when ListBuckets gives no BucketRegion)",
         "s3:GetEncryptionConfiguration",
         "s3:GetBucketVersioning", "s3:GetBucketPublicAccessBlock", "s3:GetBucketPolicy",
         "s3:GetBucketPolicyStatus (when a policy exists)", "s3:GetBucketAcl", "s3:GetBucketLogging",
         "s3:GetBucketTagging", "s3:GetBucketNotification", "s3:GetBucketObjectLockConfiguration",
         "cloudtrail:DescribeTrails (for log_sources)",
         "s3:GetAccountPublicAccessBlock")
    regional = False  # listed once; each bucket carries its own region
    build = staticmethod(collect_buckets)
