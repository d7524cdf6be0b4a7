"""OpenSearch Service domains (and Elasticsearch domains managed by it)."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.resource_policy import public_statements
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_BATCH = 5  # DescribeDomains takes at most five names


def _logs(opts: dict[str, Any], kind: str) -> bool:
    got = opts.get(kind) or {}
    return bool(got.get("Enabled")) and bool(got.get("CloudWatchLogsLogGroupArn"))


def _domain(status: dict[str, Any], region: str | None) -> Resource:
    name = status.get("DomainName")
    cluster = status.get("ClusterConfig") or {}
    endpoint = status.get("DomainEndpointOptions") or {}
    vpc = status.get("VPCOptions") or {}
    logs = status.get("LogPublishingOptions") or {}
    lost: dict[str, str] = {}
    tls = endpoint.get("TLSSecurityPolicy")
    attrs: dict[str, Any] = {
        "DomainName": name, "EngineVersion": status.get("EngineVersion"),
        "encryption_at_rest": bool((status.get("EncryptionAtRestOptions") or {}).get("Enabled")),
        "node_to_node_encryption": bool((status.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
        "EnforceHTTPS": bool(endpoint.get("EnforceHTTPS")), "TLSSecurityPolicy": tls,
        "https_tls12": bool(endpoint.get("EnforceHTTPS")) and isinstance(tls, str)
        and tls.startswith(("Policy-Min-TLS-1-2", "Policy-Min-TLS-1-3")),
        "in_vpc": bool(vpc.get("VPCId") or vpc.get("SubnetIds")), "VPCId": vpc.get("VPCId"),
        "AccessPolicies": status.get("AccessPolicies") or None,
        "fine_grained_access_control": bool((status.get("AdvancedSecurityOptions") or {}).get("Enabled")),
        "audit_logs": _logs(logs, "AUDIT_LOGS"),
        "slow_logs": _logs(logs, "SEARCH_SLOW_LOGS") and _logs(logs, "INDEX_SLOW_LOGS"),
        "DedicatedMasterEnabled": bool(cluster.get("DedicatedMasterEnabled")),
        "DedicatedMasterCount": cluster.get("DedicatedMasterCount") or 0,
        "ZoneAwarenessEnabled": bool(cluster.get("ZoneAwarenessEnabled")),
        "InstanceCount": cluster.get("InstanceCount") or 0}
    doc = attrs["AccessPolicies"]
    public = public_statements(doc) if doc else []
    if public is None:
        lost["policy_public_statements"] = lost["publicly_accessible"] = unknown_reason("the access policy")
    else:
        attrs["policy_public_statements"] = public
        attrs["publicly_accessible"] = not attrs["in_vpc"] and bool(public)
    return Resource(status.get("ARN") or "", "aws.opensearch.domain", attrs, region=region, attr_errors=lost)


def collect_domains(api: Api, region: str | None) -> list[Resource]:
    names = [d["DomainName"] for d in api.call("opensearch", region, "ListDomainNames").get("DomainNames") or []]
    batches = [names[i:i + _BATCH] for i in range(0, len(names), _BATCH)]
    found = [s for batch in api.fan_out(
        lambda b: api.call("opensearch", region, "DescribeDomains", DomainNames=b).get("DomainStatusList") or [],
        batches) for s in batch]
    missing = set(names) - {s.get("DomainName") for s in found}
    out = [_domain(s, region) for s in found if not s.get("Deleted")]
    out += [Resource(api.arn("es", region, f"domain/{n}"), "aws.opensearch.domain", {"DomainName": n},
                     region=region, error="opensearch:DescribeDomains did not describe the domain")
            for n in sorted(missing)]
    return out


@resources.register("aws.opensearch.domain")
class OpenSearchDomain(AwsKind):
    description = "An OpenSearch Service domain: encryption, endpoint TLS, network exposure, access control, logs."
    attributes = (A("DomainName", "string", "domain name"), A("EngineVersion", "string", "engine version"),
         A("encryption_at_rest", "boolean", "encryption at rest is enabled"),
         A("node_to_node_encryption", "boolean", "node-to-node encryption is enabled"),
         A("EnforceHTTPS", "boolean", "the endpoint requires HTTPS"),
         A("TLSSecurityPolicy", "string", "the endpoint's TLS policy"),
         A("https_tls12", "boolean", "HTTPS is required with a TLS 1.2 (or 1.3) minimum policy"),
         A("in_vpc", "boolean", "the domain is deployed inside a VPC"), A("VPCId", "string", "VPC"),
         A("AccessPolicies", "string", "the domain access policy (JSON); null when none"),
         A("policy_public_statements", "list", "access policy Allow statements open to every principal "
           "without a limiting condition"),
         A("publicly_accessible", "boolean", "outside a VPC with an access policy open to everyone"),
         A("fine_grained_access_control", "boolean", "fine-grained access control (advanced security) is on"),
         A("audit_logs", "boolean", "audit logs are published to CloudWatch Logs"),
         A("slow_logs", "boolean", "search and index slow logs are published to CloudWatch Logs"),
         A("DedicatedMasterEnabled", "boolean", "dedicated master nodes"),
         A("DedicatedMasterCount", "integer", "dedicated master nodes (0 when none)"),
         A("ZoneAwarenessEnabled", "boolean", "data nodes spread across availability zones"),
         A("InstanceCount", "integer", "data nodes"))
    permissions = ("es:ListDomainNames", "es:DescribeDomains")
    build = staticmethod(collect_domains)
