"""WAFv2 web ACLs, REGIONAL and CLOUDFRONT scope: logging, rules, managed groups, rule metrics."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT, collect
from .test_errors import verdicts

E, W = "us-east-1", "eu-west-1"
SPEC = f"aws:///{E},{W}"
T = "aws.wafv2.web_acl"


def vis(name: str, metrics: bool = True) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": metrics, "MetricName": name}


MANAGED = {"Name": "common", "Priority": 0, "OverrideAction": {"None": {}}, "VisibilityConfig": vis("common"),
           "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}}}
LOCAL = {"Name": "block-bad", "Priority": 1, "Action": {"Block": {}}, "VisibilityConfig": vis("bad", metrics=False),
         "Statement": {"ByteMatchStatement": {"SearchString": b"bad", "FieldToMatch": {"UriPath": {}},
                                              "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                                              "PositionalConstraint": "CONTAINS"}}}


def acl(region: str, name: str, scope: str, rules: list[dict[str, Any]]) -> str:
    return boto3.client("wafv2", region_name=region).create_web_acl(
        Name=name, Scope=scope, DefaultAction={"Allow": {}}, Rules=rules, VisibilityConfig=vis(name))["Summary"]["ARN"]


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    with mock_aws():
        ids = {"good": acl(E, "good", "REGIONAL", [MANAGED]), "empty": acl(E, "empty", "REGIONAL", []),
               "edge": acl(E, "edge", "CLOUDFRONT", [LOCAL]), "eu": acl(W, "eu", "REGIONAL", [MANAGED, LOCAL])}
        logs = boto3.client("logs", region_name=E)
        logs.create_log_group(logGroupName="aws-waf-logs-good")
        dest = f"arn:aws:logs:{E}:{ACCOUNT}:log-group:aws-waf-logs-good"
        boto3.client("wafv2", region_name=E).put_logging_configuration(LoggingConfiguration={
            "ResourceArn": ids["good"], "LogDestinationConfigs": [dest]})
        c = collect(SPEC, types=[T])
    yield {"ids": ids, "dest": dest, "collection": c, "verdicts": verdicts(c, SPEC, T)}


def test_web_acls_both_ways(account: dict[str, Any]) -> None:
    got, ids = account["verdicts"], account["ids"]
    assert account["collection"].errors == []
    by = lambda k: {c: v for (c, r), v in got.items() if r == ids[k]}  # noqa: E731
    assert by("good") == {
        "aws-wafv2-webacl-logging": ("pass", f"Web ACL good (REGIONAL) logs to {account['dest']}"),
        "aws-wafv2-webacl-has-rules": ("pass", "Web ACL good (REGIONAL) has rules common"),
        "aws-wafv2-webacl-managed-rules": (
            "pass", "Web ACL good (REGIONAL) uses managed rule groups AWSManagedRulesCommonRuleSet"),
        "aws-wafv2-webacl-rule-metrics": ("pass", "Web ACL good (REGIONAL) rules all publish metrics")}
    assert by("empty") == {
        "aws-wafv2-webacl-logging": ("fail", "Web ACL empty (REGIONAL) does not log"),
        "aws-wafv2-webacl-has-rules": ("fail", "Web ACL empty (REGIONAL) has no rules (default action Allow)"),
        "aws-wafv2-webacl-managed-rules": ("fail", "Web ACL empty (REGIONAL) uses no managed rule group"),
        "aws-wafv2-webacl-rule-metrics": ("pass", "Web ACL empty (REGIONAL) rules all publish metrics")}
    assert by("edge")["aws-wafv2-webacl-rule-metrics"] == (
        "fail", "Web ACL edge (CLOUDFRONT) rules without metrics: block-bad")
    assert by("edge")["aws-wafv2-webacl-managed-rules"][0] == "fail"
    assert by("eu")["aws-wafv2-webacl-managed-rules"][0] == "pass"
    assert ids["edge"].startswith(f"arn:aws:wafv2:{E}:{ACCOUNT}:global/webacl/edge/")
    # the CLOUDFRONT-scoped web ACL is listed once (with us-east-1), not once per region
    assert [r.region for r in account["collection"].resources[T] if r.id == ids["edge"]] == [E]


def test_associations_are_listed_or_an_error(account: dict[str, Any]) -> None:
    """moto does not implement ListResourcesForWebACL: the association list is an error, never empty."""
    good = next(r for r in account["collection"].resources[T] if r.id == account["ids"]["good"])
    assert "Associations" not in good.attrs
    # the first web ACL asked names the failure; the others were not asked again (checks.aws.api)
    assert good.attr_errors["Associations"] in (
        "NotImplemented on wafv2:ListResourcesForWebACL",
        "not retried: wafv2:ListResourcesForWebACL failed earlier in this scan: "
        "NotImplemented on wafv2:ListResourcesForWebACL")


def test_unreadable_logging_and_acl_are_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    from checks.aws import api as api_mod
    from checks.aws.session import ApiFailure

    real = api_mod.Api.call

    def call(self: Any, service: str, region: str | None, operation: str, **params: Any) -> Any:
        if operation == "GetLoggingConfiguration":
            raise ApiFailure("wafv2:GetLoggingConfiguration", "AccessDeniedException")
        if operation == "GetWebACL" and params["Name"] == "hidden":
            raise ApiFailure("wafv2:GetWebACL", "AccessDeniedException")
        return real(self, service, region, operation, **params)

    monkeypatch.setattr(api_mod.Api, "call", call)
    with mock_aws():
        seen, hidden = acl(E, "seen", "REGIONAL", [MANAGED]), acl(E, "hidden", "REGIONAL", [MANAGED])
        c = collect(f"aws:///{E}", types=[T])
    got = verdicts(c, f"aws:///{E}", T)
    assert got[("aws-wafv2-webacl-logging", seen)] == (
        "error", f"{seen}: logging_enabled could not be read: AccessDeniedException on wafv2:GetLoggingConfiguration")
    assert got[("aws-wafv2-webacl-has-rules", seen)][0] == "pass"
    assert {v[0] for (c_, r), v in got.items() if r == hidden} == {"error"}


def test_collected_attributes_match_their_declaration(account: dict[str, Any]) -> None:
    from .test_conformance import conforms

    conforms(account["collection"])
    assert all(account["collection"].resources.values())  # every type of this module was seeded
