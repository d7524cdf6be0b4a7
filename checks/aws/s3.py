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
            A("account_public_access_blocked", "boolean",
              "all four account-level block settings are true (null when unreadable)"),
            A("effective_public_access_blocked", "boolean",
              "blocked at bucket or account level (null when the account setting is unreadable)"),
            A("Policy", "map", "bucket policy document; null when none"),
            A("policy_is_public", "boolean", "GetBucketPolicyStatus says the policy is public"),
            A("tls_only_policy", "boolean", "the policy denies requests without aws:SecureTransport"),
            A("Grants", "list", "ACL grants"),
            A("acl_public", "boolean", "an ACL grant to AllUsers or AuthenticatedUsers"),
            A("Logging", "map", "server access logging target; null when disabled"),
            A("logging_enabled", "boolean", "server access logging is enabled"),
            A("Tags", "map", "bucket tags as {key: value}"),
        ),
        ("s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetEncryptionConfiguration",
         "s3:GetBucketVersioning", "s3:GetBucketPublicAccessBlock", "s3:GetBucketPolicy",
         "s3:GetBucketPolicyStatus", "s3:GetBucketAcl", "s3:GetBucketLogging", "s3:GetBucketTagging",
         "s3:GetAccountPublicAccessBlock"),
    ),
)


def bucket_region(api: Api, name: str) -> str:
    """The bucket's region (GetBucketLocation, memoised; null constraint means us-east-1)."""
    loc = api.call("s3", None, "GetBucketLocation", Bucket=name).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(loc, loc)


def bucket_logging(api: Api, name: str) -> dict[str, Any] | None:
    """The bucket's server access logging target (memoised; shared with the trail collector)."""
    return api.call("s3", bucket_region(api, name), "GetBucketLogging", Bucket=name).get("LoggingEnabled")


def _bucket(api: Api, bucket: dict[str, Any], account_bpa: Any) -> Resource:
    name = bucket["Name"]
    arn = f"arn:{api.partition}:s3:::{name}"
    errors: list[str] = []

    def part(fn: Any) -> Any:
        try:
            return fn()
        except ApiFailure as failure:
            errors.append(str(failure))
            return None

    region = part(lambda: bucket_region(api, name))
    if region is None:
        return Resource(arn, "aws.s3.bucket", {"Name": name}, error="; ".join(errors))

    def get(op: str, absent: tuple[str, ...] = ()) -> Any:
        return part(lambda: api.get("s3", region, op, absent=absent, Bucket=name) or {})

    enc = get("GetBucketEncryption", ("ServerSideEncryptionConfigurationNotFoundError",))
    ver = get("GetBucketVersioning")
    pab = get("GetPublicAccessBlock", ("NoSuchPublicAccessBlockConfiguration",))
    pol = get("GetBucketPolicy", ("NoSuchBucketPolicy",))
    status = get("GetBucketPolicyStatus", ("NoSuchBucketPolicy",))
    acl = get("GetBucketAcl")
    logging = part(lambda: bucket_logging(api, name))
    tags = get("GetBucketTagging", ("NoSuchTagSet",))
    policy = as_document(pol.get("Policy")) if pol and pol.get("Policy") else None
    bucket_blocked = all_blocked((pab or {}).get("PublicAccessBlockConfiguration"))
    acct_blocked = None if account_bpa is _UNKNOWN else all_blocked(account_bpa)
    versioning = {k: v for k, v in (ver or {}).items() if k in ("Status", "MFADelete")}
    attrs = {
        "Name": name, "Region": region,
        "Encryption": (enc or {}).get("ServerSideEncryptionConfiguration"),
        "Versioning": versioning,
        "versioning_enabled": versioning.get("Status") == "Enabled",
        "mfa_delete_enabled": versioning.get("MFADelete") == "Enabled",
        "PublicAccessBlock": (pab or {}).get("PublicAccessBlockConfiguration"),
        "public_access_blocked": bucket_blocked,
        "account_public_access_blocked": acct_blocked,
        "effective_public_access_blocked": True if bucket_blocked or acct_blocked else
        (None if acct_blocked is None else False),
        "Policy": policy,
        "policy_is_public": bool(((status or {}).get("PolicyStatus") or {}).get("IsPublic")),
        "tls_only_policy": denies_insecure_transport(policy, name),
        "Grants": (acl or {}).get("Grants") or [],
        "acl_public": acl_public((acl or {}).get("Grants") or []),
        "Logging": logging, "logging_enabled": bool(logging),
        "Tags": {t["Key"]: t["Value"] for t in (tags or {}).get("TagSet") or []},
    }
    return Resource(arn, "aws.s3.bucket", attrs, region=region, error="; ".join(errors) or None)


_UNKNOWN = object()


def collect_buckets(api: Api, region: str | None) -> list[Resource]:
    buckets = api.list("s3", None, "ListBuckets", "Buckets")
    if not buckets:
        return []
    try:
        account_bpa: Any = account_public_access_block(api)
    except ApiFailure:
        account_bpa = _UNKNOWN  # reported on aws.account; here the bucket's own setting decides
    found = api.fan_out(lambda b: _bucket(api, b, account_bpa), buckets)
    scanned = set(api.regions)
    # Buckets in regions outside the scan are still listed (S3 is global) but kept only when in scope.
    return [r for r in found if not scanned or r.region is None or r.region in scanned]


COLLECTORS = {"aws.s3.bucket": (collect_buckets, False)}
