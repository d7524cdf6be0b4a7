"""S3 bucket collector (aws.s3.bucket): one listing, then the bucket's settings read concurrently."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.iam import account_public_access_block
from checks.aws.policydoc import acl_public, as_document, all_blocked, denies_insecure_transport
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.provider import ResourceType

TYPES = (
    ResourceType(
        "aws.s3.bucket", "An S3 bucket with its encryption, versioning, access and logging settings.",
        (
            A("Name", "string", "bucket name"),
            A("Region", "string", "bucket region"),
            A("Encryption", "map", "ServerSideEncryptionConfiguration; null when none"),
            A("Encryption.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm", "string",
              "default encryption algorithm (AES256, aws:kms, aws:kms:dsse)"),
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
        ),
        ("s3:ListAllMyBuckets", "s3:GetBucketLocation (when ListBuckets gives no BucketRegion)",
         "s3:GetEncryptionConfiguration",
         "s3:GetBucketVersioning", "s3:GetBucketPublicAccessBlock", "s3:GetBucketPolicy",
         "s3:GetBucketPolicyStatus (when a policy exists)", "s3:GetBucketAcl", "s3:GetBucketLogging",
         "s3:GetBucketTagging",
         "s3:GetAccountPublicAccessBlock"),
    ),
)


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
    return {b["Name"]: b["BucketRegion"] for b in api.list("s3", None, "ListBuckets", "Buckets")
            if b.get("BucketRegion")}


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
}
_ABSENT = {
    "GetBucketEncryption": ("ServerSideEncryptionConfigurationNotFoundError",),
    "GetPublicAccessBlock": ("NoSuchPublicAccessBlockConfiguration",),
    "GetBucketPolicy": ("NoSuchBucketPolicy",),
    "GetBucketPolicyStatus": ("NoSuchBucketPolicy",),
    "GetBucketTagging": ("NoSuchTagSet",),
}


def _bucket(api: Api, bucket: dict[str, Any], account_bpa: Any) -> Resource:
    name = bucket["Name"]
    arn = f"arn:{api.partition}:s3:::{name}"
    try:
        region = bucket_region(api, name)
    except ApiFailure as failure:  # without its region nothing about the bucket can be placed
        return Resource(arn, "aws.s3.bucket", {"Name": name}, error=str(failure))
    lost: dict[str, str] = {}

    def get(op: str) -> dict[str, Any]:
        try:
            if op == "GetBucketLogging":
                return {"LoggingEnabled": bucket_logging(api, name)}
            return api.get("s3", region, op, absent=_ABSENT.get(op, ()), Bucket=name) or {}
        except ApiFailure as failure:
            lost.update(dict.fromkeys(_FEEDS[op], str(failure)))
            return {}

    enc = get("GetBucketEncryption")
    ver = get("GetBucketVersioning")
    pab = get("GetPublicAccessBlock")
    pol = get("GetBucketPolicy")
    policy = as_document(pol.get("Policy")) if pol.get("Policy") else None
    # No policy means "not public" (GetBucketPolicyStatus would answer NoSuchBucketPolicy): ask
    # only when a policy exists or could not be read.
    status = get("GetBucketPolicyStatus") if policy is not None or "Policy" in lost else {}
    acl = get("GetBucketAcl")
    logging = get("GetBucketLogging").get("LoggingEnabled")
    tags = get("GetBucketTagging")
    bucket_blocked = all_blocked(pab.get("PublicAccessBlockConfiguration"))
    acct_blocked = None if isinstance(account_bpa, ApiFailure) else all_blocked(account_bpa)
    if isinstance(account_bpa, ApiFailure):
        lost["account_public_access_blocked"] = str(account_bpa)
    if not (bucket_blocked or acct_blocked):
        # Blocked at either level decides on its own; otherwise both settings must be known.
        why = lost.get("public_access_blocked") or lost.get("account_public_access_blocked")
        if why:
            lost["effective_public_access_blocked"] = why
    versioning = {k: v for k, v in ver.items() if k in ("Status", "MFADelete")}
    grants = acl.get("Grants") or []
    attrs = {
        "Name": name, "Region": region,
        "Encryption": enc.get("ServerSideEncryptionConfiguration"),
        "Versioning": versioning,
        "versioning_enabled": versioning.get("Status") == "Enabled",
        "mfa_delete_enabled": versioning.get("MFADelete") == "Enabled",
        "PublicAccessBlock": pab.get("PublicAccessBlockConfiguration"),
        "public_access_blocked": bucket_blocked,
        "account_public_access_blocked": acct_blocked,
        "effective_public_access_blocked": bool(bucket_blocked or acct_blocked),
        "Policy": policy,
        "policy_is_public": bool((status.get("PolicyStatus") or {}).get("IsPublic")),
        "tls_only_policy": denies_insecure_transport(policy, name),
        "Grants": grants, "acl_public": acl_public(grants),
        "Logging": logging, "logging_enabled": bool(logging),
        "Tags": {t["Key"]: t["Value"] for t in tags.get("TagSet") or []},
    }
    for path in lost:  # an unread value is absent, never a default that could pass
        attrs[path] = None
    return Resource(arn, "aws.s3.bucket", attrs, region=region, attr_errors=lost)


def collect_buckets(api: Api, region: str | None) -> list[Resource]:
    buckets = api.list("s3", None, "ListBuckets", "Buckets")
    if not buckets:
        return []
    try:
        account_bpa: Any = account_public_access_block(api)
    except ApiFailure as failure:  # reported on aws.account too; here it is lost per attribute
        account_bpa = failure
    found = api.fan_out(lambda b: _bucket(api, b, account_bpa), buckets)
    scanned = set(api.regions)
    # Buckets in regions outside the scan are still listed (S3 is global) but kept only when in scope.
    return [r for r in found if not scanned or r.region is None or r.region in scanned]


COLLECTORS = {"aws.s3.bucket": (collect_buckets, False)}
