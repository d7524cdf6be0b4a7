"""Auto Scaling groups (aws.autoscaling.group) with what their launch configuration or template asks for."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_T = "aws.autoscaling.group"
_LAUNCH = ("launch_source", "requests_public_ip", "imdsv2_required", "HttpTokens")


def _imds(meta: dict[str, Any] | None) -> tuple[bool, str]:
    """IMDSv1 is impossible (tokens required or endpoint disabled); unset options leave IMDSv1 on."""
    meta = meta or {}
    tokens = meta.get("HttpTokens") or "unset"
    return meta.get("HttpEndpoint") == "disabled" or tokens == "required", tokens


def _from_config(api: Api, region: str | None, name: str) -> dict[str, Any]:
    found = api.list("autoscaling", region, "DescribeLaunchConfigurations", "LaunchConfigurations")
    lc = next((c for c in found if c.get("LaunchConfigurationName") == name), None)
    if lc is None:
        raise LookupError(f"launch configuration {name} is not in DescribeLaunchConfigurations")
    required, tokens = _imds(lc.get("MetadataOptions"))
    return {"launch_source": f"launch configuration {name}",
            "requests_public_ip": bool(lc.get("AssociatePublicIpAddress")),
            "imdsv2_required": required, "HttpTokens": tokens}


def _from_template(api: Api, region: str | None, spec: dict[str, Any]) -> dict[str, Any]:
    ident = {"LaunchTemplateId": spec["LaunchTemplateId"]} if spec.get("LaunchTemplateId") else \
        {"LaunchTemplateName": spec.get("LaunchTemplateName")}
    version = str(spec.get("Version") or "$Default")
    got = api.list("ec2", region, "DescribeLaunchTemplateVersions", "LaunchTemplateVersions", Versions=[version], **ident)
    if not got:
        raise LookupError(f"launch template {spec.get('LaunchTemplateName') or spec.get('LaunchTemplateId')} "
                          f"version {version} was not found")
    data = got[0].get("LaunchTemplateData") or {}
    required, tokens = _imds(data.get("MetadataOptions"))
    return {"launch_source": f"launch template {got[0].get('LaunchTemplateName')} version {got[0].get('VersionNumber')}",
            "requests_public_ip": any(n.get("AssociatePublicIpAddress") for n in data.get("NetworkInterfaces") or []),
            "imdsv2_required": required, "HttpTokens": tokens}


def _combine(found: list[dict[str, Any]]) -> dict[str, Any]:
    """Several launch templates: a public IP or IMDSv1 in any of them counts."""
    weak = next((f for f in found if not f["imdsv2_required"]), found[0])
    return {"launch_source": ", ".join(dict.fromkeys(f["launch_source"] for f in found)),
            "requests_public_ip": any(f["requests_public_ip"] for f in found),
            "imdsv2_required": all(f["imdsv2_required"] for f in found), "HttpTokens": weak["HttpTokens"]}


def collect_groups(api: Api, region: str | None) -> list[Resource]:
    groups = api.list("autoscaling", region, "DescribeAutoScalingGroups", "AutoScalingGroups")
    launch = api.wants(_T, *_LAUNCH)

    def one(g: dict[str, Any]) -> Resource:
        zones = sorted(g.get("AvailabilityZones") or [])
        attrs: dict[str, Any] = {"AutoScalingGroupName": g["AutoScalingGroupName"], "AvailabilityZones": zones,
                                 "zone_count": len(zones), "Tags": g.get("Tags") or []}
        lost: dict[str, str] = {}
        if launch:
            mixed = (g.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
            # a mixed instances policy may launch other templates per instance type: every one counts
            specs = [sp for sp in [g.get("LaunchTemplate") or mixed.get("LaunchTemplateSpecification")]
                     + [o.get("LaunchTemplateSpecification") for o in mixed.get("Overrides") or []] if sp]
            try:
                if g.get("LaunchConfigurationName"):
                    attrs.update(_from_config(api, region, g["LaunchConfigurationName"]))
                elif specs:
                    attrs.update(_combine([_from_template(api, region, sp) for sp in specs]))
                else:
                    raise LookupError("the group names no launch configuration or template")
            except (ApiFailure, LookupError) as failure:
                lost.update(dict.fromkeys(_LAUNCH, str(failure)))
        return Resource(g.get("AutoScalingGroupARN") or api.arn("autoscaling", region, g["AutoScalingGroupName"]),
                        _T, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, groups)


@resources.register(_T)
class AutoScalingGroup(AwsKind):
    description = "An Auto Scaling group: its zones and what its launch configuration or template asks for."
    attributes = (
        A("AutoScalingGroupName", "string", "name"), A("AvailabilityZones", "list", "zones"),
        A("zone_count", "integer", "number of availability zones"),
        A("launch_source", "string", "the launch configuration, or launch template and version, read"),
        A("requests_public_ip", "boolean", "the launch configuration or template asks for a public IPv4 address "
          "(AssociatePublicIpAddress); when it does not, the subnet's MapPublicIpOnLaunch decides"),
        A("imdsv2_required", "boolean", "instances launched require IMDSv2 (HttpTokens required) or disable the "
          "metadata endpoint; unset options leave IMDSv1 on"),
        A("HttpTokens", "string", "required, optional, or unset"),
        A("Tags", "list", "tags"))
    permissions = ("autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeLaunchConfigurations",
                   "ec2:DescribeLaunchTemplateVersions")
    build = staticmethod(collect_groups)
