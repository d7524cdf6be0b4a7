"""WAFv2 web ACLs: REGIONAL ones in every scanned region, CLOUDFRONT ones with us-east-1 (or the
partition's home region). Rules, logging and the resources each web ACL protects."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_ACL = "aws.wafv2.web_acl"
# Resource types a REGIONAL web ACL can protect (ListResourcesForWebACL asks one type per call).
_REGIONAL_TYPES = ("APPLICATION_LOAD_BALANCER", "API_GATEWAY", "APPSYNC", "COGNITO_USER_POOL",
                   "APP_RUNNER_SERVICE", "VERIFIED_ACCESS_INSTANCE")


def _is_managed(statement: dict[str, Any]) -> bool:
    return "ManagedRuleGroupStatement" in statement


def _acl_facts(acl: dict[str, Any]) -> dict[str, Any]:
    rules = acl.get("Rules") or []
    return {"DefaultAction": next(iter(acl.get("DefaultAction") or {}), None),
            "RuleNames": [r.get("Name") for r in rules],
            "managed_rule_groups": sorted(str(r["Statement"]["ManagedRuleGroupStatement"].get("Name"))
                                          for r in rules if _is_managed(r.get("Statement") or {})),
            "rules_without_metrics": [r.get("Name") for r in rules
                                      if not (r.get("VisibilityConfig") or {}).get("CloudWatchMetricsEnabled")]}


def collect_web_acls(api: Api, region: str | None) -> list[Resource]:
    scopes = ["REGIONAL"] + (["CLOUDFRONT"] if region in ("us-east-1",) and api.partition == "aws" else [])

    def one(item: tuple[str, dict[str, Any]]) -> Resource:
        scope, summary = item
        arn = summary["ARN"]
        attrs: dict[str, Any] = {"Name": summary.get("Name"), "Id": summary.get("Id"), "Scope": scope}
        lost: dict[str, str] = {}
        try:
            acl = api.call("wafv2", region, "GetWebACL", Name=summary["Name"], Scope=scope, Id=summary["Id"])["WebACL"]
            attrs.update(_acl_facts(acl))
        except ApiFailure as failure:
            return Resource(arn, _ACL, attrs, region=region, error=str(failure))
        if api.wants(_ACL, "logging_enabled", "LogDestinations"):
            try:
                cfg = api.get("wafv2", region, "GetLoggingConfiguration", absent=("WAFNonexistentItemException",),
                              ResourceArn=arn)
                dests = list(((cfg or {}).get("LoggingConfiguration") or {}).get("LogDestinationConfigs") or [])
                attrs.update(LogDestinations=dests, logging_enabled=bool(dests))
            except ApiFailure as failure:
                lost["logging_enabled"] = lost["LogDestinations"] = str(failure)
        if scope == "REGIONAL" and api.wants(_ACL, "Associations"):
            try:
                attrs["Associations"] = sorted(
                    arn_ for rtype in _REGIONAL_TYPES
                    for arn_ in api.call("wafv2", region, "ListResourcesForWebACL", WebACLArn=arn,
                                         ResourceType=rtype).get("ResourceArns") or [])
            except ApiFailure as failure:
                lost["Associations"] = str(failure)
        return Resource(arn, _ACL, attrs, region=region, attr_errors=lost)

    items = [(scope, s) for scope in scopes for s in api.list("wafv2", region, "ListWebACLs", "WebACLs", Scope=scope)]
    return api.fan_out(one, items)


@resources.register(_ACL)
class WebAcl(AwsKind):
    description = ("A WAFv2 web ACL: REGIONAL ones per region, CLOUDFRONT ones listed with us-east-1 "
                   "(CloudFront distributions name theirs in WebACLId).")
    attributes = (A("Name", "string", "web ACL name"), A("Id", "string", "web ACL id"),
                  A("Scope", "string", "REGIONAL or CLOUDFRONT"),
                  A("DefaultAction", "string", "Allow or Block"), A("RuleNames", "list", "rule names"),
                  A("managed_rule_groups", "list", "names of AWS/Marketplace managed rule groups used"),
                  A("rules_without_metrics", "list", "rules whose CloudWatch metrics are disabled"),
                  A("LogDestinations", "list", "logging destinations"),
                  A("logging_enabled", "boolean", "a logging configuration with a destination exists"),
                  A("Associations", "list", "ARNs of the regional resources the web ACL protects (REGIONAL scope)"))
    permissions = ("wafv2:ListWebACLs", "wafv2:GetWebACL", "wafv2:GetLoggingConfiguration",
                   "wafv2:ListResourcesForWebACL")
    build = staticmethod(collect_web_acls)
