"""Load balancers: Application/Network/Gateway (aws.elbv2.load_balancer) and Classic (aws.elb.load_balancer)."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from checks.aws.tls_policies import MIN_PROTOCOL, below, oldest
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_V2 = "aws.elbv2.load_balancer"


class Unknown(Exception):
    """A listener's security policy whose oldest protocol cannot be known (its TLS controls are error)."""


_V2_ATTRS = {"access_logs.s3.enabled": "access_logs_enabled", "deletion_protection.enabled": "deletion_protection",
             "routing.http.drop_invalid_header_fields.enabled": "drop_invalid_header_fields",
             "routing.http.desync_mitigation_mode": "desync_mitigation_mode",
             "load_balancing.cross_zone.enabled": "cross_zone_enabled"}
_BOOL = {"true": True, "false": False}
_LISTENER_FEEDS = ("Listeners", "http_listeners_not_redirected", "weak_tls_listeners", "tls_listeners")


def _redirects(actions: list[dict[str, Any]]) -> bool:
    """Every action answers without serving content over HTTP: a redirect to HTTPS or a fixed response."""
    return bool(actions) and all(
        (a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS")
        or a.get("Type") == "fixed-response" for a in actions)


def _v2_policy_min(api: Api, region: str | None, policy: str | None) -> str | None:
    if not policy:
        return None
    if policy in MIN_PROTOCOL:
        return MIN_PROTOCOL[policy]
    found = api.list("elbv2", region, "DescribeSslPolicies", "SslPolicies", Names=[policy])
    return oldest([p for pol in found for p in pol.get("SslProtocols") or []])


def _v2_listeners(api: Api, region: str | None, arn: str) -> dict[str, Any]:
    listeners = api.list("elbv2", region, "DescribeListeners", "Listeners", LoadBalancerArn=arn)
    rows, http_open, tls, weak = [], [], [], []
    for li in listeners:
        name = f"{li.get('Protocol')}:{li.get('Port')}"
        rows.append({"Port": li.get("Port"), "Protocol": li.get("Protocol"), "SslPolicy": li.get("SslPolicy")})
        if li.get("Protocol") == "HTTP":
            rules = api.list("elbv2", region, "DescribeRules", "Rules", ListenerArn=li["ListenerArn"])
            if not all(_redirects(r.get("Actions") or []) for r in rules) or not _redirects(li.get("DefaultActions") or []):
                http_open.append(name)
        elif li.get("Protocol") in ("HTTPS", "TLS"):
            low = _v2_policy_min(api, region, li.get("SslPolicy"))
            if low is None:
                raise Unknown(f"the oldest protocol of security policy {li.get('SslPolicy')!r} is unknown")
            tls.append({"listener": name, "policy": li.get("SslPolicy"), "min_protocol": low})
            if below(low, "TLSv1.2"):
                weak.append(f"{name} ({li.get('SslPolicy')}: {low})")
    return {"Listeners": rows, "http_listeners_not_redirected": http_open, "tls_listeners": tls,
            "weak_tls_listeners": weak}


def collect_v2(api: Api, region: str | None) -> list[Resource]:
    lbs = api.list("elbv2", region, "DescribeLoadBalancers", "LoadBalancers")
    want_attrs = api.wants(_V2, "LoadBalancerAttributes", *_V2_ATTRS.values())
    want_listeners = api.wants(_V2, *_LISTENER_FEEDS)

    def one(lb: dict[str, Any]) -> Resource:
        arn = lb["LoadBalancerArn"]
        attrs: dict[str, Any] = {"LoadBalancerName": lb.get("LoadBalancerName"), "Type": lb.get("Type"),
                                 "Scheme": lb.get("Scheme"), "VpcId": lb.get("VpcId"), "DNSName": lb.get("DNSName"),
                                 "AvailabilityZones": sorted(z.get("ZoneName") for z in lb.get("AvailabilityZones") or [])}
        lost: dict[str, str] = {}
        if want_attrs:
            try:
                raw = {a["Key"]: a.get("Value") for a in
                       api.call("elbv2", region, "DescribeLoadBalancerAttributes", LoadBalancerArn=arn)["Attributes"]}
                attrs["LoadBalancerAttributes"] = raw
                for key, name in _V2_ATTRS.items():
                    value = raw.get(key)
                    attrs[name] = value if name == "desync_mitigation_mode" else _BOOL.get(str(value))
                    if attrs[name] is None:
                        lost[name] = f"DescribeLoadBalancerAttributes gave no {key}"
            except ApiFailure as failure:
                lost.update(dict.fromkeys(("LoadBalancerAttributes", *_V2_ATTRS.values()), str(failure)))
        if want_listeners:
            try:
                attrs.update(_v2_listeners(api, region, arn))
            except (ApiFailure, Unknown) as failure:
                lost.update(dict.fromkeys(_LISTENER_FEEDS, str(failure)))
        return Resource(arn, _V2, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, lbs)


_CLB = "aws.elb.load_balancer"
_CLB_FEEDS = ("access_logs_enabled", "cross_zone_enabled", "connection_draining_enabled", "desync_mitigation_mode")


def _clb_tls(api: Api, region: str | None, name: str, listeners: list[dict[str, Any]]) -> list[dict[str, Any]]:
    secure = [li for li in listeners if (li.get("Listener") or {}).get("Protocol") in ("HTTPS", "SSL")]
    if not secure:
        return []
    pols = {p["PolicyName"]: {a.get("AttributeName"): a.get("AttributeValue")
                              for a in p.get("PolicyAttributeDescriptions") or []}
            for p in api.list("elb", region, "DescribeLoadBalancerPolicies", "PolicyDescriptions",
                              LoadBalancerName=name)}
    out = []
    for li in secure:
        spec = li["Listener"]
        attrs = next((pols[n] for n in li.get("PolicyNames") or [] if n in pols
                      and any(k.startswith("Protocol-") or k == "Reference-Security-Policy" for k in pols[n])), None)
        ref = (attrs or {}).get("Reference-Security-Policy")
        low = MIN_PROTOCOL.get(ref or "") or oldest([k for k, v in (attrs or {}).items()
                                                     if k.startswith("Protocol-") and str(v).lower() == "true"])
        if low is None:
            raise Unknown(f"the SSL negotiation policy of listener {spec.get('Protocol')}:"
                             f"{spec.get('LoadBalancerPort')} names no known protocol")
        out.append({"listener": f"{spec.get('Protocol')}:{spec.get('LoadBalancerPort')}", "policy": ref,
                    "min_protocol": low})
    return out


def collect_classic(api: Api, region: str | None) -> list[Resource]:
    lbs = api.list("elb", region, "DescribeLoadBalancers", "LoadBalancerDescriptions")
    want_attrs, want_tls = api.wants(_CLB, *_CLB_FEEDS), api.wants(_CLB, "tls_listeners", "weak_tls_listeners")

    def one(lb: dict[str, Any]) -> Resource:
        name = lb["LoadBalancerName"]
        listeners = lb.get("ListenerDescriptions") or []
        attrs: dict[str, Any] = {
            "LoadBalancerName": name, "Scheme": lb.get("Scheme"), "VpcId": lb.get("VPCId"),
            "AvailabilityZones": sorted(lb.get("AvailabilityZones") or []),
            "Listeners": [li.get("Listener") for li in listeners],
            "cleartext_listeners": [f"{li['Listener'].get('Protocol')}:{li['Listener'].get('LoadBalancerPort')}"
                                    for li in listeners if (li.get("Listener") or {}).get("Protocol") in ("HTTP", "TCP")]}
        lost: dict[str, str] = {}
        if want_attrs:
            try:
                got = api.call("elb", region, "DescribeLoadBalancerAttributes", LoadBalancerName=name)
                la = got.get("LoadBalancerAttributes") or {}
                extra = {a.get("Key"): a.get("Value") for a in la.get("AdditionalAttributes") or []}
                attrs.update(access_logs_enabled=(la.get("AccessLog") or {}).get("Enabled"),
                             cross_zone_enabled=(la.get("CrossZoneLoadBalancing") or {}).get("Enabled"),
                             connection_draining_enabled=(la.get("ConnectionDraining") or {}).get("Enabled"),
                             desync_mitigation_mode=extra.get("elb.http.desyncmitigationmode"))
                for key in _CLB_FEEDS[:3]:
                    if not isinstance(attrs[key], bool):
                        lost[key] = f"DescribeLoadBalancerAttributes gave no {key}"
                if attrs["desync_mitigation_mode"] is None:  # AWS leaves the default (defensive) unlisted
                    attrs["desync_mitigation_mode"] = "defensive"
            except ApiFailure as failure:
                lost.update(dict.fromkeys(_CLB_FEEDS, str(failure)))
        if want_tls:
            try:
                tls = _clb_tls(api, region, name, listeners)
                attrs["tls_listeners"] = tls
                attrs["weak_tls_listeners"] = [f"{t['listener']} ({t['policy'] or 'custom'}: {t['min_protocol']})"
                                               for t in tls if below(t["min_protocol"], "TLSv1.2")]
            except (ApiFailure, Unknown) as failure:
                lost.update(dict.fromkeys(("tls_listeners", "weak_tls_listeners"), str(failure)))
        return Resource(api.arn("elasticloadbalancing", region, f"loadbalancer/{name}"), _CLB, attrs,
                        region=region, attr_errors=lost)

    return api.fan_out(one, lbs)


@resources.register(_V2)
class Elbv2LoadBalancer(AwsKind):
    description = "An Application, Network or Gateway Load Balancer with its attributes and listeners."
    attributes = (
        A("LoadBalancerName", "string", "name"), A("Type", "string", "application, network or gateway"),
        A("Scheme", "string", "internet-facing or internal"), A("VpcId", "string", "VPC"),
        A("DNSName", "string", "DNS name"), A("AvailabilityZones", "list", "zones it serves"),
        A("LoadBalancerAttributes", "map", "every attribute as AWS gives it (key -> text)"),
        A("access_logs_enabled", "boolean", "access_logs.s3.enabled"),
        A("deletion_protection", "boolean", "deletion_protection.enabled"),
        A("drop_invalid_header_fields", "boolean", "routing.http.drop_invalid_header_fields.enabled (ALB)"),
        A("desync_mitigation_mode", "string", "routing.http.desync_mitigation_mode: monitor, defensive, strictest (ALB)"),
        A("cross_zone_enabled", "boolean", "load_balancing.cross_zone.enabled"),
        A("Listeners", "list", "{Port, Protocol, SslPolicy}"),
        A("http_listeners_not_redirected", "list", "HTTP listeners (PROTOCOL:PORT) with a rule or default action "
          "that does not redirect to HTTPS (or answer with a fixed response)"),
        A("tls_listeners", "list", "HTTPS/TLS listeners: {listener, policy, min_protocol}"),
        A("weak_tls_listeners", "list", "HTTPS/TLS listeners whose security policy accepts a protocol older than TLS 1.2"))
    permissions = ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
                   "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
                   "elasticloadbalancing:DescribeSslPolicies")
    build = staticmethod(collect_v2)


@resources.register(_CLB)
class ClassicLoadBalancer(AwsKind):
    description = "A Classic Load Balancer with its attributes, listeners and SSL negotiation policies."
    attributes = (
        A("LoadBalancerName", "string", "name"), A("Scheme", "string", "internet-facing or internal"),
        A("VpcId", "string", "VPC"), A("AvailabilityZones", "list", "zones it serves"),
        A("Listeners", "list", "{Protocol, LoadBalancerPort, InstanceProtocol, InstancePort, SSLCertificateId}"),
        A("cleartext_listeners", "list", "HTTP and TCP listeners (PROTOCOL:PORT)"),
        A("access_logs_enabled", "boolean", "access logs delivered to S3"),
        A("cross_zone_enabled", "boolean", "cross-zone load balancing"),
        A("connection_draining_enabled", "boolean", "connection draining"),
        A("desync_mitigation_mode", "string", "monitor, defensive (the default when AWS lists none) or strictest"),
        A("tls_listeners", "list", "HTTPS/SSL listeners: {listener, policy (reference policy), min_protocol}"),
        A("weak_tls_listeners", "list", "HTTPS/SSL listeners whose negotiation policy accepts a protocol older than TLS 1.2"))
    permissions = ("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
                   "elasticloadbalancing:DescribeLoadBalancerPolicies")
    build = staticmethod(collect_classic)
