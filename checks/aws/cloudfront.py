"""CloudFront distributions (global): viewer and origin protocols, TLS policy, S3 origin access,
WAF, logging, field-level encryption, default root object."""

from __future__ import annotations

import re
from typing import Any

from checks.aws.api import Api
from checks.aws.kind import GlobalAwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_CF = "aws.cloudfront.distribution"
# REST endpoints of a bucket (not website endpoints, which are custom HTTP origins)
_DEPRECATED = ("SSLv3", "TLSv1", "TLSv1.1")
_S3_REST = re.compile(r"\.s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?$")


def _items(block: Any) -> list[Any]:
    return list((block or {}).get("Items") or [])


def _region(api: Api) -> str:
    return "us-gov-west-1" if api.partition == "aws-us-gov" else "us-east-1"


def _facts(cfg: dict[str, Any]) -> dict[str, Any]:
    behaviors = [cfg.get("DefaultCacheBehavior") or {}] + _items(cfg.get("CacheBehaviors"))
    policies = [b.get("ViewerProtocolPolicy") for b in behaviors]
    cert = cfg.get("ViewerCertificate") or {}
    # With the default *.cloudfront.net certificate CloudFront negotiates down to TLSv1 whatever is set.
    min_tls = "TLSv1" if cert.get("CloudFrontDefaultCertificate") else cert.get("MinimumProtocolVersion")
    custom_plain, s3_open, old_tls = [], [], []
    for o in _items(cfg.get("Origins")):
        custom = o.get("CustomOriginConfig")
        if custom is not None:
            if custom.get("OriginProtocolPolicy") != "https-only":
                custom_plain.append(f"{o.get('Id')} ({custom.get('OriginProtocolPolicy')})")
            weak = [p for p in _items(custom.get("OriginSslProtocols")) if p in _DEPRECATED]
            if weak:
                old_tls.append(f"{o.get('Id')} ({', '.join(weak)})")
        elif "S3OriginConfig" in o or _S3_REST.search(str(o.get("DomainName", ""))):
            if not o.get("OriginAccessControlId") and not (o.get("S3OriginConfig") or {}).get("OriginAccessIdentity"):
                s3_open.append(str(o.get("Id")))
    logging = cfg.get("Logging") or {}
    return {"ViewerProtocolPolicies": policies,
            "https_only": all(p in ("https-only", "redirect-to-https") for p in policies),
            "MinimumProtocolVersion": min_tls, "default_certificate": bool(cert.get("CloudFrontDefaultCertificate")),
            "origins_not_https": custom_plain, "origins_deprecated_tls": old_tls, "s3_origins_without_access_control": s3_open,
            "WebACLId": cfg.get("WebACLId") or None,
            "logging_enabled": bool(logging.get("Enabled")) and bool(logging.get("Bucket")),
            "FieldLevelEncryptionId": (cfg.get("DefaultCacheBehavior") or {}).get("FieldLevelEncryptionId") or None,
            "DefaultRootObject": cfg.get("DefaultRootObject") or None}


def collect_distributions(api: Api, region: str | None) -> list[Resource]:
    region = _region(api)
    items = [d for page in api.pages("cloudfront", region, "ListDistributions")
             for d in (page.get("DistributionList") or {}).get("Items") or []]

    def one(d: dict[str, Any]) -> Resource:
        attrs: dict[str, Any] = {"Id": d["Id"], "DomainName": d.get("DomainName")}
        try:  # the full configuration (the listing's summary lacks logging and the root object)
            cfg = api.call("cloudfront", region, "GetDistributionConfig", Id=d["Id"])["DistributionConfig"]
        except ApiFailure as failure:
            return Resource(d["ARN"], _CF, attrs, error=str(failure))
        attrs.update(_facts(cfg))
        return Resource(d["ARN"], _CF, attrs)

    return api.fan_out(one, items)


@resources.register(_CF)
class Distribution(GlobalAwsKind):
    description = "A CloudFront distribution and its configuration (GetDistributionConfig)."
    attributes = (
        A("Id", "string", "distribution id"), A("DomainName", "string", "*.cloudfront.net name"),
        A("ViewerProtocolPolicies", "list", "viewer protocol policy of the default and every cache behavior"),
        A("https_only", "boolean", "every behavior is https-only or redirect-to-https"),
        A("MinimumProtocolVersion", "string",
          "effective minimum viewer TLS policy (TLSv1 with the default CloudFront certificate)"),
        A("default_certificate", "boolean", "uses the default *.cloudfront.net certificate"),
        A("origins_not_https", "list", "custom origins whose origin protocol policy is not https-only"),
        A("origins_deprecated_tls", "list", "custom origins that allow SSLv3, TLSv1 or TLSv1.1 to the origin"),
        A("s3_origins_without_access_control", "list", "S3 REST origins with neither OAC nor OAI"),
        A("WebACLId", "string", "associated WAF web ACL; null when none"),
        A("logging_enabled", "boolean", "standard access logging to a bucket is on"),
        A("FieldLevelEncryptionId", "string", "field-level encryption config of the default behavior"),
        A("DefaultRootObject", "string", "object returned for the root URL; null when none"))
    permissions = ("cloudfront:ListDistributions", "cloudfront:GetDistributionConfig")
    build = staticmethod(collect_distributions)
