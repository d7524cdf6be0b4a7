"""IAM roles, groups and inline policies: aws.iam.role, aws.iam.group, aws.iam.inline_policy.

All three come from ``GetAccountAuthorizationDetails`` (users, groups, roles and managed policies with
their documents in one paginated listing), the same memoised read aws.iam.user, aws.iam.policy and
aws.account use: no per-entity calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from checks.aws.api import Api
from checks.aws.grants import (DERIVED, derived, is_service_role, other_accounts, public_statements,
                               service_trust_unrestricted, trust_without_external_id)
from checks.aws.policydoc import allows_full_admin, as_document
from checks.aws.kind import GlobalAwsKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

ADMIN_POLICY = "AdministratorAccess"
READONLY_POLICY = "ReadOnlyAccess"
_SERVICE_LINKED_PATH = "/aws-service-role/"


def _details(api: Api) -> list[dict[str, Any]]:
    return api.pages("iam", None, "GetAccountAuthorizationDetails")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def managed_docs(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """Managed policy ARN -> its default version's document."""
    out = {}
    for page in pages:
        for pol in page.get("Policies") or []:
            out[pol["Arn"]] = next((v.get("Document") for v in pol.get("PolicyVersionList") or []
                                    if v.get("IsDefaultVersion")), None)
    return out


def _admin(attached: list[dict[str, Any]], inline: list[dict[str, Any]], docs: dict[str, Any],
           partition: str) -> tuple[list[str], list[str]]:
    """(policies granting full admin as "attached:NAME"/"inline:NAME", policies whose document is unknown)."""
    found, unknown = [], []
    for pol in attached:
        name, arn = pol.get("PolicyName") or "", pol.get("PolicyArn") or ""
        verdict = allows_full_admin(docs.get(arn))
        if arn == f"arn:{partition}:iam::aws:policy/{ADMIN_POLICY}":
            verdict = True  # the AWS managed administrator policy, whether or not listed
        if verdict is None:
            unknown.append(f"attached:{name}")
        elif verdict:
            found.append(f"attached:{name}")
    for pol in inline:
        verdict = allows_full_admin(pol.get("PolicyDocument"))
        if verdict is None:
            unknown.append(f"inline:{pol.get('PolicyName')}")
        elif verdict:
            found.append(f"inline:{pol.get('PolicyName')}")
    return found, unknown


def admin_attrs(attrs: dict[str, Any], lost: dict[str, str], attached: list[dict[str, Any]],
                 inline: list[dict[str, Any]], docs: dict[str, Any], partition: str) -> None:
    found, unknown = _admin(attached, inline, docs, partition)
    attrs["admin_policies"] = found
    if found:
        attrs["has_admin"] = True
    elif unknown:  # no admin seen, but some document could not be read: unknown
        lost["has_admin"] = f"policy documents not readable: {', '.join(unknown)}"
    else:
        attrs["has_admin"] = False


def collect_roles(api: Api, region: str | None) -> list[Resource]:
    pages = _details(api)
    docs = managed_docs(pages)
    out = []
    for role in (r for p in pages for r in p.get("RoleDetailList") or []):
        trust = as_document(role.get("AssumeRolePolicyDocument"))
        attached = role.get("AttachedManagedPolicies") or []
        inline = role.get("RolePolicyList") or []
        attached_names = [p.get("PolicyName") for p in attached]
        last_used = _iso((role.get("RoleLastUsed") or {}).get("LastUsedDate"))
        attrs: dict[str, Any] = {
            "RoleName": role.get("RoleName"), "Arn": role["Arn"], "Path": role.get("Path"),
            "CreateDate": _iso(role.get("CreateDate")), "AssumeRolePolicyDocument": trust or None,
            "AttachedManagedPolicies": attached_names, "RolePolicyList": [p.get("PolicyName") for p in inline],
            "is_service_linked": str(role.get("Path") or "").startswith(_SERVICE_LINKED_PATH),
            "last_used": last_used, "last_activity": last_used or _iso(role.get("CreateDate")),
            "Tags": role.get("Tags") or [],
        }
        lost: dict[str, str] = {}
        trust_reads = (("trust_public_statements", lambda d: public_statements(d)),
                       ("trusted_accounts", lambda d: other_accounts(d, api.account)),
                       ("cross_account_without_external_id", lambda d: trust_without_external_id(d, api.account)),
                       ("is_service_role", is_service_role),
                       ("unrestricted_service_principals", lambda d: service_trust_unrestricted(d, api.account)))
        for name, fn in trust_reads:
            value = fn(trust)
            if value is None:  # no readable trust policy: unknown, never "nobody trusted"
                lost[name] = "the role's trust policy is missing or unparsable"
            else:
                attrs[name] = value
        if "trust_public_statements" in attrs:
            attrs["trust_public"] = bool(attrs["trust_public_statements"])
        else:
            lost["trust_public"] = lost["trust_public_statements"]
        if "trusted_accounts" in attrs:
            attrs["readonly_cross_account"] = READONLY_POLICY in attached_names and bool(attrs["trusted_accounts"])
        else:
            lost["readonly_cross_account"] = lost["trusted_accounts"]
        admin_attrs(attrs, lost, attached, inline, docs, api.partition)
        out.append(Resource(role["Arn"], "aws.iam.role", attrs, attr_errors=lost))
    return out


def collect_groups(api: Api, region: str | None) -> list[Resource]:
    pages = _details(api)
    docs = managed_docs(pages)
    members: dict[str, list[str]] = {}
    for user in (u for p in pages for u in p.get("UserDetailList") or []):
        for group in user.get("GroupList") or []:
            members.setdefault(group, []).append(user.get("UserName"))
    out = []
    for group in (g for p in pages for g in p.get("GroupDetailList") or []):
        attached = group.get("AttachedManagedPolicies") or []
        inline = group.get("GroupPolicyList") or []
        users = sorted(members.get(group.get("GroupName") or "", []))
        attrs: dict[str, Any] = {
            "GroupName": group.get("GroupName"), "Arn": group["Arn"], "Path": group.get("Path"),
            "AttachedManagedPolicies": [p.get("PolicyName") for p in attached],
            "GroupPolicyList": [p.get("PolicyName") for p in inline], "members": users, "member_count": len(users),
        }
        lost: dict[str, str] = {}
        admin_attrs(attrs, lost, attached, inline, docs, api.partition)
        out.append(Resource(group["Arn"], "aws.iam.group", attrs, attr_errors=lost))
    return out


_ENTITIES = (("user", "UserDetailList", "UserName", "UserPolicyList"),
             ("group", "GroupDetailList", "GroupName", "GroupPolicyList"),
             ("role", "RoleDetailList", "RoleName", "RolePolicyList"))


def collect_inline_policies(api: Api, region: str | None) -> list[Resource]:
    pages = _details(api)
    out = []
    for kind, list_key, name_key, policies_key in _ENTITIES:
        for entity in (e for p in pages for e in p.get(list_key) or []):
            for pol in entity.get(policies_key) or []:
                doc = as_document(pol.get("PolicyDocument"))
                attrs: dict[str, Any] = {
                    "PolicyName": pol.get("PolicyName"), "EntityType": kind, "EntityName": entity.get(name_key),
                    "EntityArn": entity["Arn"], "Document": doc or None}
                found, lost = derived(pol.get("PolicyDocument"))
                attrs.update(found)
                rid = f"{entity['Arn']}/inline-policy/{pol.get('PolicyName')}"
                out.append(Resource(rid, "aws.iam.inline_policy", attrs, attr_errors=lost))
    return out


ADMIN_ATTRS = (
    A("admin_policies", "list", "attached (attached:NAME) and inline (inline:NAME) policies granting every action "
      "on every resource, NotAction forms included (AdministratorAccess always counts)"),
    A("has_admin", "boolean", "admin_policies is not empty (unknown when none was found but a policy "
      "document could not be read)"),
)


@resources.register("aws.iam.role")
class IamRole(GlobalAwsKind):
    description = "An IAM role: its trust policy, attached and inline policies and last use."
    attributes = (
        A("RoleName", "string", "role name"), A("Arn", "string", "role ARN"), A("Path", "string", "role path"),
        A("CreateDate", "datetime", "when the role was created"),
        A("AssumeRolePolicyDocument", "map", "the trust policy"),
        A("AttachedManagedPolicies", "list", "names of the managed policies attached"),
        A("RolePolicyList", "list", "names of the inline policies"),
        A("is_service_linked", "boolean", "a service-linked role (path /aws-service-role/), which only its "
          "service can change"),
        A("is_service_role", "boolean", "every trust statement allows only AWS service principals to assume it"),
        A("trust_public_statements", "list", "indexes of trust statements open to everyone or every AWS account "
          "with no condition restricting account, organisation, network or ARN"),
        A("trust_public", "boolean", "trust_public_statements is not empty"),
        A("trusted_accounts", "list", "accounts other than the scanned one the trust policy names ('*': any)"),
        A("cross_account_without_external_id", "list", "other accounts ('*': any) allowed to assume the role "
          "with no sts:ExternalId condition"),
        A("unrestricted_service_principals", "list", "service principals trusted with no aws:SourceAccount, "
          "aws:SourceArn or aws:SourceOrg* condition (or an aws:SourceAccount naming another account)"),
        A("readonly_cross_account", "boolean", "ReadOnlyAccess is attached and another account is trusted"),
        *ADMIN_ATTRS,
        A("last_used", "datetime", "when the role was last assumed (null when never, in AWS's tracking window)"),
        A("last_activity", "datetime", "last use, or creation when never used"),
        A("Tags", "list", "tags"),
    )
    permissions = ("iam:GetAccountAuthorizationDetails",)
    build = staticmethod(collect_roles)


@resources.register("aws.iam.group")
class IamGroup(GlobalAwsKind):
    description = "An IAM group: its members and attached and inline policies."
    attributes = (
        A("GroupName", "string", "group name"), A("Arn", "string", "group ARN"), A("Path", "string", "path"),
        A("AttachedManagedPolicies", "list", "names of the managed policies attached"),
        A("GroupPolicyList", "list", "names of the inline policies"),
        A("members", "list", "user names in the group"), A("member_count", "integer", "number of users"),
        *ADMIN_ATTRS,
    )
    permissions = ("iam:GetAccountAuthorizationDetails",)
    build = staticmethod(collect_groups)


@resources.register("aws.iam.inline_policy")
class IamInlinePolicy(GlobalAwsKind):
    description = "An inline policy embedded in an IAM user, group or role, with what its document grants."
    attributes = (
        A("PolicyName", "string", "policy name"), A("EntityType", "string", "user, group or role"),
        A("EntityName", "string", "name of the user, group or role"), A("EntityArn", "string", "its ARN"),
        A("Document", "map", "the policy document"),
    ) + tuple(A(name, typ, doc) for name, typ, doc, _ in DERIVED)
    permissions = ("iam:GetAccountAuthorizationDetails",)
    build = staticmethod(collect_inline_policies)
