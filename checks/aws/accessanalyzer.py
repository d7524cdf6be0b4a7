"""IAM Access Analyzer: aws.accessanalyzer.region (one per region: its analyzers and active findings)."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_TYPE = "aws.accessanalyzer.region"
_EXTERNAL = ("ACCOUNT", "ORGANIZATION")  # external access analyzers (CIS); the others find unused access


def collect_analyzers(api: Api, region: str | None) -> list[Resource]:
    analyzers = api.list("accessanalyzer", region, "ListAnalyzers", "analyzers")
    active = [a for a in analyzers if a.get("status") == "ACTIVE"]
    external = [a for a in active if a.get("type") in _EXTERNAL]
    attrs: dict[str, Any] = {
        "Region": region,
        "analyzers": [{"name": a.get("name"), "type": a.get("type"), "status": a.get("status")} for a in analyzers],
        "active_analyzers": [a.get("name") for a in active],
        "external_access_analyzers": [a.get("name") for a in external],
        "external_access_enabled": bool(external),
    }
    lost: dict[str, str] = {}
    if api.wants(_TYPE, "active_findings"):
        try:  # findings of every active external access analyzer, ACTIVE status only
            attrs["active_findings"] = sum(len(api.list(
                "accessanalyzer", region, "ListFindingsV2", "findings", analyzerArn=a["arn"],
                filter={"status": {"eq": ["ACTIVE"]}})) for a in external)
        except ApiFailure as failure:
            lost["active_findings"] = str(failure)
    return [Resource(api.arn("access-analyzer", region, "analyzers"), _TYPE, attrs, region=region,
                     attr_errors=lost)]


@resources.register(_TYPE)
class AccessAnalyzerRegion(AwsKind):
    description = "IAM Access Analyzer in one region: its analyzers and the active findings of external access ones."
    attributes = (
        A("Region", "string", "region"),
        A("analyzers", "list", "every analyzer: {name, type, status}"),
        A("active_analyzers", "list", "names of analyzers whose status is ACTIVE"),
        A("external_access_analyzers", "list", "active analyzers of type ACCOUNT or ORGANIZATION"),
        A("external_access_enabled", "boolean", "an external access analyzer is active in the region"),
        A("active_findings", "integer", "ACTIVE findings of the external access analyzers (ListFindingsV2)"),
    )
    permissions = ("access-analyzer:ListAnalyzers", "access-analyzer:ListFindingsV2")
    build = staticmethod(collect_analyzers)
