"""API Gateway REST (v1) and HTTP (v2): stages, methods and routes, each control both ways, and errors."""

from __future__ import annotations

from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT, collect
from .test_errors import verdicts

R = "us-east-1"
SPEC = f"aws:///{R}"
TYPES = ("aws.apigateway.stage", "aws.apigateway.rest_api", "aws.apigatewayv2.stage", "aws.apigatewayv2.api")
LOGS = f"arn:aws:logs:{R}:{ACCOUNT}:log-group:api"


def rest_api(ag: Any, name: str, auth: str) -> tuple[str, str]:
    api = ag.create_rest_api(name=name)["id"]
    root = ag.get_resources(restApiId=api)["items"][0]["id"]
    ag.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType=auth)
    ag.put_method(restApiId=api, resourceId=root, httpMethod="OPTIONS", authorizationType="NONE")
    ag.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    dep = ag.create_deployment(restApiId=api, stageName="seed")["id"]
    ag.delete_stage(restApiId=api, stageName="seed")
    return api, dep


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    with mock_aws():
        ag = boto3.client("apigateway", region_name=R)
        good, gdep = rest_api(ag, "orders", "AWS_IAM")
        bad, bdep = rest_api(ag, "legacy", "NONE")
        ag.create_stage(restApiId=good, stageName="prod", deploymentId=gdep, tracingEnabled=True,
                        cacheClusterEnabled=True, cacheClusterSize="0.5")
        ag.update_stage(restApiId=good, stageName="prod", patchOperations=[
            {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
            {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "true"},
            {"op": "replace", "path": "/clientCertificateId", "value": "cert1"},
            {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": LOGS},
            {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"}])
        ag.create_stage(restApiId=bad, stageName="prod", deploymentId=bdep, cacheClusterEnabled=True,
                        cacheClusterSize="0.5")
        waf = boto3.client("wafv2", region_name=R)
        acl = waf.create_web_acl(Name="api", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig={
            "SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "api"})["Summary"]["ARN"]
        waf.associate_web_acl(WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{R}::/restapis/{good}/stages/prod")
        v2 = boto3.client("apigatewayv2", region_name=R)
        h_good = v2.create_api(Name="events", ProtocolType="HTTP")["ApiId"]
        auth = v2.create_authorizer(ApiId=h_good, AuthorizerType="JWT", Name="jwt", IdentitySource=["$request.header.Authorization"],
                                    JwtConfiguration={"Audience": ["a"], "Issuer": "https://issuer.example"})["AuthorizerId"]
        v2.create_route(ApiId=h_good, RouteKey="GET /events", AuthorizationType="JWT", AuthorizerId=auth)
        v2.create_route(ApiId=h_good, RouteKey="OPTIONS /events")
        v2.create_stage(ApiId=h_good, StageName="live", AccessLogSettings={"DestinationArn": LOGS, "Format": "$context.requestId"})
        h_bad = v2.create_api(Name="open", ProtocolType="HTTP")["ApiId"]
        v2.create_route(ApiId=h_bad, RouteKey="POST /open")
        v2.create_stage(ApiId=h_bad, StageName="live")
        c = collect(SPEC, types=list(TYPES))
    yield {"ids": {"good": good, "bad": bad, "h_good": h_good, "h_bad": h_bad, "acl": acl}, "collection": c,
           "verdicts": verdicts(c, SPEC, *TYPES)}


def test_rest_stages_and_methods_both_ways(account: dict[str, Any]) -> None:
    got, ids = account["verdicts"], account["ids"]
    assert account["collection"].errors == []
    stage = lambda a: f"arn:aws:apigateway:{R}::/restapis/{a}/stages/prod"  # noqa: E731
    good, bad = stage(ids["good"]), stage(ids["bad"])
    stage_controls = ("aws-apigateway-stage-access-logging", "aws-apigateway-stage-execution-logging",
                      "aws-apigateway-stage-waf", "aws-apigateway-stage-client-certificate",
                      "aws-apigateway-stage-tracing", "aws-apigateway-stage-cache-encrypted")
    # moto ignores a /clientCertificateId patch: that pass is shown on the API's shape below
    assert {k[0]: v[0] for k, v in got.items() if k[1] == good} == {
        c: "fail" if c == "aws-apigateway-stage-client-certificate" else "pass" for c in stage_controls}
    assert {k[0]: v for k, v in got.items() if k[1] == bad} == {
        "aws-apigateway-stage-access-logging": ("fail", "REST API legacy stage prod writes no access logs"),
        "aws-apigateway-stage-execution-logging": ("fail", "REST API legacy stage prod execution logging is OFF"),
        "aws-apigateway-stage-waf": ("fail", "REST API legacy stage prod has no WAF web ACL"),
        "aws-apigateway-stage-client-certificate": ("fail", "REST API legacy stage prod presents no client certificate"),
        "aws-apigateway-stage-tracing": ("fail", "REST API legacy stage prod has no X-Ray tracing"),
        "aws-apigateway-stage-cache-encrypted": ("fail", "REST API legacy stage prod caches responses unencrypted"),
    }
    assert got[("aws-apigateway-stage-waf", good)] == (
        "pass", f"REST API orders stage prod is protected by {ids['acl']}")
    api = lambda a: f"arn:aws:apigateway:{R}::/restapis/{a}"  # noqa: E731
    assert got[("aws-apigateway-rest-api-authorization", api(ids["good"]))] == (
        "pass", "REST API orders requires authorization on every method")
    assert got[("aws-apigateway-rest-api-authorization", api(ids["bad"]))] == (
        "fail", "REST API legacy methods without authorization: GET /")


def test_stage_shapes() -> None:
    from checks.aws.apigateway import _stage_facts

    facts = _stage_facts({"stageName": "p", "clientCertificateId": "abc", "cacheClusterEnabled": True,
                          "methodSettings": {"*/*": {"cacheDataEncrypted": True, "loggingLevel": "INFO"},
                                             "orders/GET": {"cachingEnabled": True, "cacheDataEncrypted": False}}})
    assert facts["clientCertificateId"] == "abc" and facts["LoggingLevel"] == "INFO"
    assert facts["cache_data_encrypted"] is False  # one caching override stores plaintext
    assert _stage_facts({"cacheClusterEnabled": True})["cache_data_encrypted"] is False


def test_http_apis_both_ways(account: dict[str, Any]) -> None:
    got, ids = account["verdicts"], account["ids"]
    stage = lambda a: f"arn:aws:apigateway:{R}::/apis/{a}/stages/live"  # noqa: E731
    assert got[("aws-apigatewayv2-stage-access-logging", stage(ids["h_good"]))] == (
        "pass", "API events stage live writes access logs")
    assert got[("aws-apigatewayv2-stage-access-logging", stage(ids["h_bad"]))] == (
        "fail", "API open stage live writes no access logs")
    api = lambda a: f"arn:aws:apigateway:{R}::/apis/{a}"  # noqa: E731
    assert got[("aws-apigatewayv2-route-authorization", api(ids["h_good"]))] == (
        "pass", "API events requires authorization on every route")
    assert got[("aws-apigatewayv2-route-authorization", api(ids["h_bad"]))] == (
        "fail", "API open routes without authorization: POST /open")


def test_unreadable_stages_and_methods_are_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    from checks.aws import api as api_mod
    from checks.aws.session import ApiFailure

    real_call, real_pages = api_mod.Api.call, api_mod.Api.pages

    def call(self: Any, service: str, region: str | None, operation: str, **params: Any) -> Any:
        if operation == "GetStages":
            raise ApiFailure(f"{service}:GetStages", "AccessDenied")
        return real_call(self, service, region, operation, **params)

    def pages(self: Any, service: str, region: str | None, operation: str, **params: Any) -> Any:
        if operation in ("GetResources", "GetRoutes", "GetStages"):
            raise ApiFailure(f"{service}:{operation}", "AccessDenied")
        return real_pages(self, service, region, operation, **params)

    monkeypatch.setattr(api_mod.Api, "call", call)
    monkeypatch.setattr(api_mod.Api, "pages", pages)
    with mock_aws():
        ag = boto3.client("apigateway", region_name=R)
        rid, _ = rest_api(ag, "x", "NONE")
        hid = boto3.client("apigatewayv2", region_name=R).create_api(Name="h", ProtocolType="HTTP")["ApiId"]
        c = collect(SPEC, types=list(TYPES))
    got = verdicts(c, SPEC, *TYPES)
    base = f"arn:aws:apigateway:{R}::"
    assert got[("aws-apigateway-stage-waf", f"{base}/restapis/{rid}/stages")] == (
        "error", f"{base}/restapis/{rid}/stages: could not be read: AccessDenied on apigateway:GetStages")
    assert got[("aws-apigateway-rest-api-authorization", f"{base}/restapis/{rid}")] == (
        "error", f"{base}/restapis/{rid}: methods_without_authorization could not be read: "
                 "AccessDenied on apigateway:GetResources")
    assert got[("aws-apigatewayv2-stage-access-logging", f"{base}/apis/{hid}/stages")][0] == "error"
    assert got[("aws-apigatewayv2-route-authorization", f"{base}/apis/{hid}")][0] == "error"


def test_collected_attributes_match_their_declaration(account: dict[str, Any]) -> None:
    from .test_conformance import conforms

    conforms(account["collection"])
    assert all(account["collection"].resources.values())  # every type of this module was seeded
