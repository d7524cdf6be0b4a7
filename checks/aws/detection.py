"""Detection services per region: Security Hub (and its standards), Macie, Inspector2, Config rules."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_HUB = "aws.securityhub.hub"


def collect_hub(api: Api, region: str | None) -> list[Resource]:
    rid = f"{api.account}/{region}/securityhub"
    # InvalidAccessException: "Account is not subscribed to AWS Security Hub"
    hub = api.get("securityhub", region, "DescribeHub", absent=("InvalidAccessException",))
    attrs: dict[str, Any] = {"Region": region, "enabled": hub is not None,
                             "HubArn": (hub or {}).get("HubArn")}
    lost: dict[str, str] = {}
    if hub is not None and api.wants(_HUB, "Standards", "cis_standard", "fsbp_standard"):
        try:
            subs = api.list("securityhub", region, "GetEnabledStandards", "StandardsSubscriptions")
            ready = [str(s.get("StandardsArn")) for s in subs if s.get("StandardsStatus") == "READY"]
            attrs.update(Standards=ready,
                         cis_standard=any("/cis-aws-foundations-benchmark/" in a for a in ready),
                         fsbp_standard=any("/aws-foundational-security-best-practices/" in a for a in ready))
        except ApiFailure as failure:
            for k in ("Standards", "cis_standard", "fsbp_standard"):
                attrs[k], lost[k] = None, str(failure)
    return [Resource(rid, _HUB, attrs, region=region, attr_errors=lost)]


def collect_macie(api: Api, region: str | None) -> list[Resource]:
    rid = f"{api.account}/{region}/macie"
    try:
        session = api.call("macie2", region, "GetMacieSession")
        status = session.get("status")
    except ApiFailure as failure:
        # Macie answers "not enabled" as ResourceNotFound (or AccessDenied naming it); any other
        # failure, including a plain AccessDenied, leaves the state unknown.
        if not (failure.code == "ResourceNotFoundException" or (
                failure.code == "AccessDeniedException" and "not enabled" in failure.detail.lower())):
            raise
        status = None
    return [Resource(rid, "aws.macie.session", {"Region": region, "status": status,
                                                "enabled": status == "ENABLED"}, region=region)]


def collect_inspector(api: Api, region: str | None) -> list[Resource]:
    rid = f"{api.account}/{region}/inspector2"
    got = api.call("inspector2", region, "BatchGetAccountStatus", accountIds=[api.account])
    mine = [a for a in got.get("accounts") or [] if a.get("accountId") == api.account]
    if not mine:
        failed = [f.get("errorMessage") or f.get("errorCode") for f in got.get("failedAccounts") or []]
        return [Resource(rid, "aws.inspector2.account", {"Region": region}, region=region,
                         error=f"BatchGetAccountStatus returned no status: {failed or 'no account'}")]
    state = mine[0].get("resourceState") or {}
    attrs = {"Region": region, "status": (mine[0].get("state") or {}).get("status")}
    for k in ("ec2", "ecr", "lambda"):
        attrs[k] = (state.get(k) or {}).get("status")
    return [Resource(rid, "aws.inspector2.account", attrs, region=region)]


def collect_config_rules(api: Api, region: str | None) -> list[Resource]:
    rid = f"{api.account}/{region}/config-rules"
    rules = api.list("config", region, "DescribeComplianceByConfigRule", "ComplianceByConfigRules")
    bad = sorted(str(r.get("ConfigRuleName")) for r in rules
                 if (r.get("Compliance") or {}).get("ComplianceType") == "NON_COMPLIANT")
    return [Resource(rid, "aws.config.rules", {"Region": region, "rules": len(rules), "non_compliant": bad},
                     region=region)]


@resources.register(_HUB)
class SecurityHub(AwsKind):
    description = "Security Hub in one region (one per scanned region) and its enabled standards."
    attributes = (A("Region", "string", "region"), A("enabled", "boolean", "the account is subscribed"),
                  A("HubArn", "string", "hub ARN; null when not enabled"),
                  A("Standards", "list", "ARNs of enabled standards whose subscription is READY"),
                  A("cis_standard", "boolean", "a CIS AWS Foundations Benchmark standard is enabled"),
                  A("fsbp_standard", "boolean", "AWS Foundational Security Best Practices is enabled"))
    permissions = ("securityhub:DescribeHub", "securityhub:GetEnabledStandards")
    build = staticmethod(collect_hub)


@resources.register("aws.macie.session")
class MacieSession(AwsKind):
    description = "Amazon Macie in one region (one per scanned region)."
    attributes = (A("Region", "string", "region"), A("status", "string", "ENABLED, PAUSED; null when not enabled"),
                  A("enabled", "boolean", "Macie is enabled (status ENABLED)"))
    permissions = ("macie2:GetMacieSession",)
    build = staticmethod(collect_macie)


@resources.register("aws.inspector2.account")
class InspectorAccount(AwsKind):
    description = "Amazon Inspector (v2) scanning of this account in one region."
    attributes = (A("Region", "string", "region"), A("status", "string", "account status (ENABLED...)"),
                  A("ec2", "string", "EC2 scanning status"), A("ecr", "string", "ECR scanning status"),
                  A("lambda", "string", "Lambda standard scanning status"))
    permissions = ("inspector2:BatchGetAccountStatus",)
    build = staticmethod(collect_inspector)


@resources.register("aws.config.rules")
class ConfigRules(AwsKind):
    description = "The compliance of the AWS Config rules of one region."
    attributes = (A("Region", "string", "region"), A("rules", "integer", "rules evaluated"),
                  A("non_compliant", "list", "names of NON_COMPLIANT rules"))
    permissions = ("config:DescribeComplianceByConfigRule",)
    build = staticmethod(collect_config_rules)
