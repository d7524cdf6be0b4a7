"""CloudFront distributions: every control on a weak distribution and its good twin, and unreadable configs."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT, collect
from .test_errors import verdicts

SPEC = "aws:///us-east-1"
T = "aws.cloudfront.distribution"
ACL = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/edge/1"


def config(ref: str, good: bool) -> dict[str, Any]:
    s3 = {"Id": "bucket", "DomainName": "site.s3.us-east-1.amazonaws.com",
          "S3OriginConfig": {"OriginAccessIdentity": "origin-access-identity/cloudfront/E1" if good else ""}}
    web = {"Id": "app", "DomainName": "app.example.com", "CustomOriginConfig": {
        "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only" if good else "match-viewer",
        "OriginSslProtocols": {"Quantity": 1 if good else 2, "Items": ["TLSv1.2"] if good else ["TLSv1", "TLSv1.2"]}}}
    # moto drops S3OriginConfig and OriginAccessControlId from what it returns, so the good twin has no
    # S3 origin here; test_s3_origin_access_shapes proves OAC and OAI on the API's own shape.
    origins = [web] if good else [s3, web]
    cfg: dict[str, Any] = {
        "CallerReference": ref, "Comment": "", "Enabled": True,
        "Origins": {"Quantity": len(origins), "Items": origins},
        "DefaultCacheBehavior": {"TargetOriginId": "app", "MinTTL": 0,
                                 "ViewerProtocolPolicy": "redirect-to-https" if good else "allow-all"},
        "ViewerCertificate": ({"CloudFrontDefaultCertificate": False, "SSLSupportMethod": "sni-only",
                               "ACMCertificateArn": f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/c",
                               "MinimumProtocolVersion": "TLSv1.2_2021"} if good else
                              {"CloudFrontDefaultCertificate": True}),
    }
    if good:
        cfg.update(DefaultRootObject="index.html", WebACLId=ACL, Logging={
            "Enabled": True, "IncludeCookies": False, "Bucket": "logs.s3.amazonaws.com", "Prefix": "cf/"})
        cfg["DefaultCacheBehavior"]["FieldLevelEncryptionId"] = "FLE1"
    return cfg


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    with mock_aws():
        cf = boto3.client("cloudfront")
        ids = {k: cf.create_distribution(DistributionConfig=config(k, k == "good"))["Distribution"]
               for k in ("good", "bad")}
        c = collect(SPEC, types=[T])
    yield {"ids": {k: (d["ARN"], d["Id"]) for k, d in ids.items()}, "verdicts": verdicts(c, SPEC, T),
           "collection": c}


def test_cloudfront_both_ways(account: dict[str, Any]) -> None:
    (good, gid), (bad, bid) = account["ids"]["good"], account["ids"]["bad"]
    got = account["verdicts"]
    assert account["collection"].errors == []
    assert {k[0]: v[0] for k, v in got.items() if k[1] == good} == {
        c: "pass" for c in ("aws-cloudfront-https-only", "aws-cloudfront-min-tls", "aws-cloudfront-origin-https",
                            "aws-cloudfront-s3-origin-access", "aws-cloudfront-origin-tls", "aws-cloudfront-waf", "aws-cloudfront-logging",
                            "aws-cloudfront-field-level-encryption", "aws-cloudfront-default-root-object")}
    assert {k[0]: v for k, v in got.items() if k[1] == bad} == {
        "aws-cloudfront-https-only": ("fail", f"Distribution {bid} allows HTTP viewers (allow-all)"),
        "aws-cloudfront-min-tls": (
            "fail", f"Distribution {bid} accepts TLSv1 (required one of TLSv1.2_2021, TLSv1.2_2025, TLSv1.3_2025)"),
        "aws-cloudfront-origin-https": ("fail", f"Distribution {bid} reaches origins without HTTPS: app (match-viewer)"),
        "aws-cloudfront-origin-tls": ("fail", f"Distribution {bid} offers deprecated protocols to origins: app (TLSv1)"),
        "aws-cloudfront-s3-origin-access": ("fail", f"Distribution {bid} S3 origins without OAC or OAI: bucket"),
        "aws-cloudfront-waf": ("fail", f"Distribution {bid} has no WAF web ACL"),
        "aws-cloudfront-logging": ("fail", f"Distribution {bid} does not log access"),
        "aws-cloudfront-field-level-encryption": (
            "fail", f"Distribution {bid} has no field-level encryption on its default behavior"),
        "aws-cloudfront-default-root-object": ("fail", f"Distribution {bid} has no default root object"),
    }
    assert got[("aws-cloudfront-waf", good)] == ("pass", f"Distribution {gid} is protected by {ACL}")
    assert got[("aws-cloudfront-min-tls", good)] == ("pass", f"Distribution {gid} requires TLSv1.2_2021")


def test_s3_origin_access_shapes() -> None:
    from checks.aws.cloudfront import _facts

    def origins(*items: dict[str, Any]) -> dict[str, Any]:
        return {"Origins": {"Quantity": len(items), "Items": list(items)}}

    dom = "b.s3.us-east-1.amazonaws.com"
    assert _facts(origins({"Id": "oac", "DomainName": dom, "OriginAccessControlId": "E2QWRUHAPOMQZL",
                           "S3OriginConfig": {"OriginAccessIdentity": ""}}))["s3_origins_without_access_control"] == []
    assert _facts(origins({"Id": "oai", "DomainName": dom, "S3OriginConfig": {
        "OriginAccessIdentity": "origin-access-identity/cloudfront/E1"}}))["s3_origins_without_access_control"] == []
    assert _facts(origins({"Id": "open", "DomainName": dom, "OriginAccessControlId": "",
                           "S3OriginConfig": {"OriginAccessIdentity": ""}},
                          {"Id": "plain", "DomainName": "b.s3.amazonaws.com"},
                          {"Id": "site", "DomainName": "b.s3-website-us-east-1.amazonaws.com",
                           "CustomOriginConfig": {"OriginProtocolPolicy": "http-only"}}))[
        "s3_origins_without_access_control"] == ["open", "plain"]
    # no behavior at all cannot be "HTTPS only"; an empty config has no minimum TLS policy
    facts = _facts({"DefaultCacheBehavior": {}})
    assert facts["https_only"] is False and facts["MinimumProtocolVersion"] is None


def test_unreadable_distribution_config_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    from checks.aws import api as api_mod
    from checks.aws.session import ApiFailure

    real = api_mod.Api.call

    def call(self: Any, service: str, region: str | None, operation: str, **params: Any) -> Any:
        if operation == "GetDistributionConfig":
            raise ApiFailure("cloudfront:GetDistributionConfig", "AccessDenied")
        return real(self, service, region, operation, **params)

    monkeypatch.setattr(api_mod.Api, "call", call)
    with mock_aws():
        arn = boto3.client("cloudfront").create_distribution(
            DistributionConfig=config("x", True))["Distribution"]["ARN"]
        c = collect(SPEC, types=[T])
    got = verdicts(c, SPEC, T)
    assert len(got) == 9 and {v for k, v in got.items()} == {
        ("error", f"{arn}: could not be read: AccessDenied on cloudfront:GetDistributionConfig")}


def test_collected_attributes_match_their_declaration(account: dict[str, Any]) -> None:
    from .test_conformance import conforms

    conforms(account["collection"])
    assert all(account["collection"].resources.values())  # every type of this module was seeded
