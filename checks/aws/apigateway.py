"""API Gateway collectors: REST APIs (v1) with their stages and method authorization, HTTP and
WebSocket APIs (v2) with their stages and route authorization."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_STAGE, _REST = "aws.apigateway.stage", "aws.apigateway.rest_api"
_V2STAGE, _V2API = "aws.apigatewayv2.stage", "aws.apigatewayv2.api"


def _gw_arn(api: Api, region: str | None, path: str) -> str:
    return f"arn:{api.partition}:apigateway:{region}::{path}"


def _stage_facts(stage: dict[str, Any]) -> dict[str, Any]:
    settings = stage.get("methodSettings") or {}
    default = settings.get("*/*") or {}
    cached = [v for v in settings.values() if v.get("cachingEnabled")] + [default]
    return {"stageName": stage.get("stageName"),
            "access_logging": bool((stage.get("accessLogSettings") or {}).get("destinationArn")),
            "LoggingLevel": default.get("loggingLevel") or "OFF",
            "webAclArn": stage.get("webAclArn") or None,
            "clientCertificateId": stage.get("clientCertificateId") or None,
            "tracingEnabled": bool(stage.get("tracingEnabled")),
            "cacheClusterEnabled": bool(stage.get("cacheClusterEnabled")),
            # the stage-wide setting and every method override that caches must encrypt
            "cache_data_encrypted": all(bool(v.get("cacheDataEncrypted")) for v in cached)}


def _rest_apis(api: Api, region: str | None) -> list[dict[str, Any]]:
    return api.list("apigateway", region, "GetRestApis", "items")


def collect_stages(api: Api, region: str | None) -> list[Resource]:
    def one(rest: dict[str, Any]) -> list[Resource]:
        base = {"RestApiId": rest["id"], "ApiName": rest.get("name")}
        try:
            stages = api.call("apigateway", region, "GetStages", restApiId=rest["id"]).get("item") or []
        except ApiFailure as failure:  # the API's stages are unknown: one error resource for the API
            return [Resource(_gw_arn(api, region, f"/restapis/{rest['id']}/stages"), _STAGE, base,
                             region=region, error=str(failure))]
        return [Resource(_gw_arn(api, region, f"/restapis/{rest['id']}/stages/{s['stageName']}"), _STAGE,
                         {**base, **_stage_facts(s)}, region=region) for s in stages]

    return [r for group in api.fan_out(one, _rest_apis(api, region)) for r in group]


def collect_rest_apis(api: Api, region: str | None) -> list[Resource]:
    def one(rest: dict[str, Any]) -> Resource:
        arn = _gw_arn(api, region, f"/restapis/{rest['id']}")
        types = (rest.get("endpointConfiguration") or {}).get("types") or []
        attrs: dict[str, Any] = {"RestApiId": rest["id"], "ApiName": rest.get("name"), "EndpointTypes": types}
        try:
            items = api.list("apigateway", region, "GetResources", "items", restApiId=rest["id"], embed=["methods"])
        except ApiFailure as failure:
            return Resource(arn, _REST, {**attrs, "methods_without_authorization": None}, region=region,
                            attr_errors={"methods_without_authorization": str(failure)})
        # CORS preflight (OPTIONS) is answered without credentials by design
        attrs["methods_without_authorization"] = sorted(
            f"{verb} {res.get('path')}" for res in items for verb, m in (res.get("resourceMethods") or {}).items()
            if verb != "OPTIONS" and (m or {}).get("authorizationType", "NONE") == "NONE")
        return Resource(arn, _REST, attrs, region=region)

    return api.fan_out(one, _rest_apis(api, region))


def _v2_apis(api: Api, region: str | None) -> list[dict[str, Any]]:
    return api.list("apigatewayv2", region, "GetApis", "Items")


def collect_v2_stages(api: Api, region: str | None) -> list[Resource]:
    def one(gw: dict[str, Any]) -> list[Resource]:
        base = {"ApiId": gw["ApiId"], "ApiName": gw.get("Name"), "ProtocolType": gw.get("ProtocolType")}
        try:
            stages = api.list("apigatewayv2", region, "GetStages", "Items", ApiId=gw["ApiId"])
        except ApiFailure as failure:
            return [Resource(_gw_arn(api, region, f"/apis/{gw['ApiId']}/stages"), _V2STAGE, base,
                             region=region, error=str(failure))]
        return [Resource(_gw_arn(api, region, f"/apis/{gw['ApiId']}/stages/{s['StageName']}"), _V2STAGE,
                         {**base, "StageName": s.get("StageName"),
                          "access_logging": bool((s.get("AccessLogSettings") or {}).get("DestinationArn"))},
                         region=region) for s in stages]

    return [r for group in api.fan_out(one, _v2_apis(api, region)) for r in group]


def collect_v2_apis(api: Api, region: str | None) -> list[Resource]:
    def one(gw: dict[str, Any]) -> Resource:
        arn = _gw_arn(api, region, f"/apis/{gw['ApiId']}")
        attrs: dict[str, Any] = {"ApiId": gw["ApiId"], "ApiName": gw.get("Name"), "ProtocolType": gw.get("ProtocolType")}
        try:
            routes = api.list("apigatewayv2", region, "GetRoutes", "Items", ApiId=gw["ApiId"])
        except ApiFailure as failure:
            return Resource(arn, _V2API, {**attrs, "routes_without_authorization": None}, region=region,
                            attr_errors={"routes_without_authorization": str(failure)})
        attrs["routes_without_authorization"] = sorted(
            str(r.get("RouteKey")) for r in routes if (r.get("AuthorizationType") or "NONE") == "NONE"
            and not str(r.get("RouteKey", "")).startswith("OPTIONS "))
        return Resource(arn, _V2API, attrs, region=region)

    return api.fan_out(one, _v2_apis(api, region))


@resources.register(_STAGE)
class RestStage(AwsKind):
    description = "A stage of an API Gateway REST API."
    attributes = (A("RestApiId", "string", "REST API id"), A("ApiName", "string", "REST API name"),
                  A("stageName", "string", "stage name"),
                  A("access_logging", "boolean", "access logs go to a destination"),
                  A("LoggingLevel", "string", "execution logging level of all methods (OFF, ERROR, INFO)"),
                  A("webAclArn", "string", "associated WAF web ACL; null when none"),
                  A("clientCertificateId", "string", "client certificate presented to the backend"),
                  A("tracingEnabled", "boolean", "X-Ray tracing is on"),
                  A("cacheClusterEnabled", "boolean", "the stage has a cache"),
                  A("cache_data_encrypted", "boolean", "cached responses are encrypted (stage-wide and overrides)"))
    permissions = ("apigateway:GET",)
    build = staticmethod(collect_stages)


@resources.register(_REST)
class RestApi(AwsKind):
    description = "An API Gateway REST API and the authorization of its methods."
    attributes = (A("RestApiId", "string", "REST API id"), A("ApiName", "string", "name"),
                  A("EndpointTypes", "list", "EDGE, REGIONAL or PRIVATE"),
                  A("methods_without_authorization", "list",
                    "methods (\"GET /path\", OPTIONS excepted) whose authorization type is NONE"))
    permissions = ("apigateway:GET",)
    build = staticmethod(collect_rest_apis)


@resources.register(_V2STAGE)
class HttpStage(AwsKind):
    description = "A stage of an API Gateway HTTP or WebSocket API (v2)."
    attributes = (A("ApiId", "string", "API id"), A("ApiName", "string", "API name"),
                  A("ProtocolType", "string", "HTTP or WEBSOCKET"), A("StageName", "string", "stage name"),
                  A("access_logging", "boolean", "access logs go to a destination"))
    permissions = ("apigateway:GET",)
    build = staticmethod(collect_v2_stages)


@resources.register(_V2API)
class HttpApi(AwsKind):
    description = "An API Gateway HTTP or WebSocket API (v2) and the authorization of its routes."
    attributes = (A("ApiId", "string", "API id"), A("ApiName", "string", "API name"),
                  A("ProtocolType", "string", "HTTP or WEBSOCKET"),
                  A("routes_without_authorization", "list", "route keys (OPTIONS excepted) with authorization NONE"))
    permissions = ("apigateway:GET",)
    build = staticmethod(collect_v2_apis)
