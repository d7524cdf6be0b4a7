"""Route 53: hosted zone query logging and DNSSEC, registered domains' transfer lock and renewal."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest

from .conftest import collect
from .test_errors import verdicts

SPEC = "aws:///us-east-1"
TYPES = ("aws.route53.hosted_zone", "aws.route53.domain")
CONTACT = {"FirstName": "Ada", "LastName": "Byron", "ContactType": "PERSON", "AddressLine1": "1 Main St",
           "City": "Arlington", "State": "VA", "CountryCode": "US", "ZipCode": "22201",
           "PhoneNumber": "+1.5555555555", "Email": "dns@example.gov"}


def zones() -> dict[str, str]:
    r53, logs = boto3.client("route53"), boto3.client("logs", region_name="us-east-1")
    out = {}
    for name in ("logged.example", "silent.example"):
        out[name] = r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"].rsplit("/", 1)[-1]
    out["private"] = r53.create_hosted_zone(
        Name="corp.internal", CallerReference="p", HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-1"})["HostedZone"]["Id"].rsplit("/", 1)[-1]
    logs.create_log_group(logGroupName="/aws/route53/logged.example")
    group = logs.describe_log_groups(logGroupNamePrefix="/aws/route53/")["logGroups"][0]["arn"]
    r53.create_query_logging_config(HostedZoneId=out["logged.example"], CloudWatchLogsLogGroupArn=group)
    out["group"] = group
    return out


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    with mock_aws():
        ids = zones()
        dom = boto3.client("route53domains", region_name="us-east-1")
        for name, renew in (("renewing-gs.com", True), ("lapsing-gs.com", False)):
            dom.register_domain(DomainName=name, DurationInYears=3, AutoRenew=renew, AdminContact=CONTACT,
                                RegistrantContact=CONTACT, TechContact=CONTACT)
        c = collect(SPEC, types=list(TYPES))
    yield {"ids": ids, "collection": c, "verdicts": verdicts(c, SPEC, *TYPES)}


def zone(zid: str) -> str:
    return f"arn:aws:route53:::hostedzone/{zid}"


def test_hosted_zones_both_ways(account: dict[str, Any]) -> None:
    got, ids = account["verdicts"], account["ids"]
    assert account["collection"].errors == []
    assert got[("aws-route53-query-logging", zone(ids["logged.example"]))] == (
        "pass", f"Hosted zone logged.example. logs queries to {ids['group']}")
    assert got[("aws-route53-query-logging", zone(ids["silent.example"]))] == (
        "fail", "Public hosted zone silent.example. does not log queries")
    assert got[("aws-route53-query-logging", zone(ids["private"]))][0] == "notapplicable"
    # moto cannot enable DNSSEC signing: NOT_SIGNING fails here, SIGNING passes in the stubbed test below
    assert got[("aws-route53-dnssec", zone(ids["silent.example"]))] == (
        "fail", "Public hosted zone silent.example. is not DNSSEC-signed (status: NOT_SIGNING)")
    assert got[("aws-route53-dnssec", zone(ids["private"]))][0] == "notapplicable"


def test_domains_both_ways(account: dict[str, Any]) -> None:
    got = account["verdicts"]
    dom = lambda n: f"arn:aws:route53domains:::domain/{n}"  # noqa: E731
    assert got[("aws-route53-domain-auto-renew", dom("renewing-gs.com"))] == (
        "pass", "Domain renewing-gs.com renews automatically")
    status, message = got[("aws-route53-domain-auto-renew", dom("lapsing-gs.com"))]
    assert status == "fail" and message.startswith("Domain lapsing-gs.com does not renew automatically (expires 20")
    assert got[("aws-route53-domain-transfer-lock", dom("lapsing-gs.com"))] == (
        "pass", "Domain lapsing-gs.com is locked against transfer")


def test_signing_unlocked_and_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGNING passes and an unlocked domain fails (moto sets neither); unreadable reads are errors."""
    from moto import mock_aws

    from checks.aws import api as api_mod
    from checks.aws.session import ApiFailure

    real_call, real_list = api_mod.Api.call, api_mod.Api.list
    signing: dict[str, str] = {}

    def call(self: Any, service: str, region: str | None, operation: str, **params: Any) -> Any:
        if operation == "GetDNSSEC":
            if params["HostedZoneId"] not in signing:
                raise ApiFailure("route53:GetDNSSEC", "AccessDenied")
            return {"Status": {"ServeSignature": signing[params["HostedZoneId"]]}}
        return real_call(self, service, region, operation, **params)

    def listing(self: Any, service: str, region: str | None, operation: str, key: str, **params: Any) -> Any:
        if operation == "ListDomains":
            return [{"DomainName": "open-gs.com", "AutoRenew": True, "TransferLock": False}]
        if operation == "ListQueryLoggingConfigs":
            raise ApiFailure("route53:ListQueryLoggingConfigs", "AccessDenied")
        return real_list(self, service, region, operation, key, **params)

    monkeypatch.setattr(api_mod.Api, "call", call)
    monkeypatch.setattr(api_mod.Api, "list", listing)
    with mock_aws():
        ids = zones()
        signing[ids["logged.example"]] = "SIGNING"
        c = collect(SPEC, types=list(TYPES))
    got = verdicts(c, SPEC, *TYPES)
    assert got[("aws-route53-dnssec", zone(ids["logged.example"]))] == (
        "pass", "Hosted zone logged.example. is DNSSEC-signed")
    assert got[("aws-route53-dnssec", zone(ids["silent.example"]))] == (
        "error", f"{zone(ids['silent.example'])}: dnssec_signing could not be read: AccessDenied on route53:GetDNSSEC")
    assert got[("aws-route53-query-logging", zone(ids["logged.example"]))] == (
        "error", f"{zone(ids['logged.example'])}: query_logging could not be read: "
                 "AccessDenied on route53:ListQueryLoggingConfigs")
    assert got[("aws-route53-domain-transfer-lock", "arn:aws:route53domains:::domain/open-gs.com")] == (
        "fail", "Domain open-gs.com has no transfer lock")


def test_collected_attributes_match_their_declaration(account: dict[str, Any]) -> None:
    from .test_conformance import conforms

    conforms(account["collection"])
    assert all(account["collection"].resources.values())  # every type of this module was seeded
