"""Lambda functions (aws.lambda.function): runtime, configuration, resource policy and function URLs."""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.policy_public import public_statements
from checks.aws.session import ApiFailure
from checks.aws.policy_public import unknown_reason
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_T = "aws.lambda.function"
_POLICY = ("Policy", "public_statements", "policy_public")
_URLS = ("FunctionUrls", "url_auth_none", "url_cors_any_origin")
_NOT_FOUND = ("ResourceNotFoundException",)


def _urls(api: Api, region: str | None, name: str) -> list[dict[str, Any]]:
    """The URL of the function itself and of each alias (a URL can only sit on one of those)."""
    aliases = api.list("lambda", region, "ListAliases", "Aliases", FunctionName=name)
    out: list[dict[str, Any]] = []
    for qualifier in [None] + [a["Name"] for a in aliases]:
        params = {"FunctionName": name, **({"Qualifier": qualifier} if qualifier else {})}
        got = api.get("lambda", region, "GetFunctionUrlConfig", absent=_NOT_FOUND, **params)
        if got and got.get("FunctionUrl") and got["FunctionUrl"] not in {u["FunctionUrl"] for u in out}:
            out.append({"Qualifier": qualifier, "FunctionUrl": got["FunctionUrl"], "AuthType": got.get("AuthType"),
                        "AllowOrigins": (got.get("Cors") or {}).get("AllowOrigins") or []})
    return out


def collect_functions(api: Api, region: str | None) -> list[Resource]:
    funcs = api.list("lambda", region, "ListFunctions", "Functions")
    policy, urls = api.wants(_T, *_POLICY), api.wants(_T, *_URLS)

    def one(fn: dict[str, Any]) -> Resource:
        name = fn["FunctionName"]
        vpc = fn.get("VpcConfig") or {}
        attrs: dict[str, Any] = {
            "FunctionName": name, "Runtime": fn.get("Runtime"), "PackageType": fn.get("PackageType"),
            "Role": fn.get("Role"), "KMSKeyArn": fn.get("KMSKeyArn"),
            "has_environment": bool((fn.get("Environment") or {}).get("Variables")),
            "VpcId": vpc.get("VpcId") or None, "SubnetIds": vpc.get("SubnetIds") or [],
            "in_vpc": bool(vpc.get("VpcId")), "TracingMode": (fn.get("TracingConfig") or {}).get("Mode"),
            "DeadLetterTarget": (fn.get("DeadLetterConfig") or {}).get("TargetArn")}
        lost: dict[str, str] = {}
        if policy:
            try:
                got = api.get("lambda", region, "GetPolicy", absent=_NOT_FOUND, FunctionName=name)
                doc = (got or {}).get("Policy")
                public = public_statements(doc) if doc else []
                if public is None:
                    lost.update(dict.fromkeys(_POLICY[1:], unknown_reason("the resource policy")))
                attrs.update(Policy=doc, public_statements=public, policy_public=None if public is None else bool(public))
            except ApiFailure as failure:
                lost.update(dict.fromkeys(_POLICY, str(failure)))
        if urls:
            try:
                found = _urls(api, region, name)
                attrs.update(FunctionUrls=found,
                             url_auth_none=[u["FunctionUrl"] for u in found if u["AuthType"] != "AWS_IAM"],
                             url_cors_any_origin=[u["FunctionUrl"] for u in found if "*" in u["AllowOrigins"]])
            except ApiFailure as failure:
                lost.update(dict.fromkeys(_URLS, str(failure)))
        return Resource(fn["FunctionArn"], _T, attrs, region=region, attr_errors=lost)

    return api.fan_out(one, funcs)


@resources.register(_T)
class LambdaFunction(AwsKind):
    description = "A Lambda function: runtime, environment encryption, VPC, tracing, dead-letter queue, " \
                  "resource policy and function URLs."
    attributes = (
        A("FunctionName", "string", "name"),
        A("Runtime", "string", "python3.12, nodejs20.x...; null for container images"),
        A("PackageType", "string", "Zip or Image"), A("Role", "string", "execution role ARN"),
        A("KMSKeyArn", "string", "customer managed key encrypting the environment; null: the AWS managed key"),
        A("has_environment", "boolean", "the function has environment variables"),
        A("VpcId", "string", "VPC the function is attached to; null when none"),
        A("SubnetIds", "list", "its subnets"), A("in_vpc", "boolean", "attached to a VPC"),
        A("TracingMode", "string", "X-Ray tracing: Active or PassThrough"),
        A("DeadLetterTarget", "string", "SQS queue or SNS topic for failed asynchronous invocations; null when none"),
        A("Policy", "string", "resource-based policy (JSON); null when none"),
        A("public_statements", "list", "Sids of Allow statements for every principal that no condition narrows"),
        A("policy_public", "boolean", "public_statements is not empty"),
        A("FunctionUrls", "list", "function URLs of the function and its aliases: {Qualifier, FunctionUrl, "
          "AuthType, AllowOrigins}"),
        A("url_auth_none", "list", "function URLs whose AuthType is not AWS_IAM (NONE: anyone may invoke)"),
        A("url_cors_any_origin", "list", "function URLs whose CORS allows any origin (*)"))
    permissions = ("lambda:ListFunctions", "lambda:GetPolicy", "lambda:ListAliases", "lambda:GetFunctionUrlConfig")
    build = staticmethod(collect_functions)
