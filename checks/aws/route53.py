"""Route 53 (global): hosted zones with query logging and DNSSEC signing; registered domains."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import GlobalAwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_ZONE, _DOMAIN = "aws.route53.hosted_zone", "aws.route53.domain"


def _home(api: Api) -> str:
    return "us-gov-west-1" if api.partition == "aws-us-gov" else "us-east-1"


def collect_zones(api: Api, region: str | None) -> list[Resource]:
    home = _home(api)
    zones = api.list("route53", home, "ListHostedZones", "HostedZones")
    logged: dict[str, list[str]] | None = None
    lost: dict[str, str] = {}
    if api.wants(_ZONE, "query_logging", "QueryLogGroups"):
        try:
            logged = {}
            for cfg in api.list("route53", home, "ListQueryLoggingConfigs", "QueryLoggingConfigs"):
                logged.setdefault(str(cfg.get("HostedZoneId")), []).append(str(cfg.get("CloudWatchLogsLogGroupArn")))
        except ApiFailure as failure:
            logged = None
            lost = {"query_logging": str(failure), "QueryLogGroups": str(failure)}
    signing = api.wants(_ZONE, "dnssec_signing", "ServeSignature")

    def one(zone: dict[str, Any]) -> Resource:
        zid = str(zone["Id"]).rsplit("/", 1)[-1]
        private = bool((zone.get("Config") or {}).get("PrivateZone"))
        attrs: dict[str, Any] = {"Id": zid, "Name": zone.get("Name"), "private": private}
        errs = dict(lost)
        if logged is not None:
            attrs["QueryLogGroups"] = logged.get(zid, [])
            attrs["query_logging"] = bool(attrs["QueryLogGroups"])
        if signing and not private:  # DNSSEC applies to public zones only
            try:
                status = api.call("route53", home, "GetDNSSEC", HostedZoneId=zid).get("Status") or {}
                attrs["ServeSignature"] = status.get("ServeSignature")
                attrs["dnssec_signing"] = status.get("ServeSignature") == "SIGNING"
            except ApiFailure as failure:
                errs.update(ServeSignature=str(failure), dnssec_signing=str(failure))
        return Resource(f"arn:{api.partition}:route53:::hostedzone/{zid}", _ZONE, attrs, attr_errors=errs)

    return api.fan_out(one, zones)


def collect_domains(api: Api, region: str | None) -> list[Resource]:
    out = []
    for d in api.list("route53domains", "us-east-1", "ListDomains", "Domains"):
        attrs = {k: d.get(k) for k in ("DomainName", "AutoRenew", "TransferLock", "Expiry")}
        out.append(Resource(f"arn:{api.partition}:route53domains:::domain/{d['DomainName']}", _DOMAIN, attrs))
    return out


@resources.register(_ZONE)
class HostedZone(GlobalAwsKind):
    description = "A Route 53 hosted zone with its query logging and (public zones) DNSSEC signing."
    attributes = (A("Id", "string", "zone id"), A("Name", "string", "zone name"),
                  A("private", "boolean", "a private (VPC) zone"),
                  A("QueryLogGroups", "list", "CloudWatch Logs groups receiving the zone's query logs"),
                  A("query_logging", "boolean", "DNS query logging is configured"),
                  A("ServeSignature", "string", "DNSSEC signing status (public zones; SIGNING...)"),
                  A("dnssec_signing", "boolean", "the zone is DNSSEC-signed (public zones)"))
    permissions = ("route53:ListHostedZones", "route53:ListQueryLoggingConfigs", "route53:GetDNSSEC")
    build = staticmethod(collect_zones)


@resources.register(_DOMAIN)
class Domain(GlobalAwsKind):
    description = "A domain registered with Route 53 Domains (listed in us-east-1)."
    attributes = (A("DomainName", "string", "domain"), A("AutoRenew", "boolean", "renews automatically"),
                  A("TransferLock", "boolean", "transfer to another registrar is locked"),
                  A("Expiry", "datetime", "registration expiry"))
    permissions = ("route53domains:ListDomains",)
    build = staticmethod(collect_domains)
