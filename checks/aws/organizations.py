"""AWS Organizations as seen from the scanned account: aws.organizations.account_org.

Whether the account belongs to an organization, and (readable from the management account or a
delegated administrator only) whether service control policies are enabled at the root and which are
attached there. A member account denied ``ListRoots``/``ListPoliciesForTarget`` gets those attributes
as errors naming the API, never a pass.
"""

from __future__ import annotations

from typing import Any

from checks.aws.api import Api
from checks.aws.kind import GlobalAwsKind
from checks.aws.session import ApiFailure
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_TYPE = "aws.organizations.account_org"
_SCP = "SERVICE_CONTROL_POLICY"
FULL_ACCESS = "FullAWSAccess"
_SCP_ATTRS = ("root_id", "scp_enabled", "root_scps", "root_restrictive_scps")


def collect_account_org(api: Api, region: str | None) -> list[Resource]:
    org = (api.get("organizations", None, "DescribeOrganization",
                   absent=("AWSOrganizationsNotInUseException",)) or {}).get("Organization")
    attrs: dict[str, Any] = {
        "AccountId": api.account, "in_organization": org is not None,
        "OrganizationId": (org or {}).get("Id"), "FeatureSet": (org or {}).get("FeatureSet"),
        "MasterAccountId": (org or {}).get("MasterAccountId"),
        "is_management_account": bool(org) and (org or {}).get("MasterAccountId") == api.account,
    }
    lost: dict[str, str] = {}
    if org is None:
        for name in _SCP_ATTRS:  # no organization: no SCPs (a fact, read from AWS)
            attrs[name] = None
        attrs.update(scp_enabled=False, root_scps=[], root_restrictive_scps=[])
    elif api.wants(_TYPE, *_SCP_ATTRS):
        try:
            roots = api.list("organizations", None, "ListRoots", "Roots")
            if not roots:
                raise ApiFailure("organizations:ListRoots", "NoRoot", "the organization lists no root")
            root = roots[0]
            attrs["root_id"] = root.get("Id")
            attrs["scp_enabled"] = any(t.get("Type") == _SCP and t.get("Status") == "ENABLED"
                                       for t in root.get("PolicyTypes") or [])
            names = [p.get("Name") for p in api.list("organizations", None, "ListPoliciesForTarget", "Policies",
                                                     TargetId=root["Id"], Filter=_SCP)] \
                if attrs["scp_enabled"] else []
            attrs["root_scps"] = names
            attrs["root_restrictive_scps"] = [n for n in names if n != FULL_ACCESS]
        except ApiFailure as failure:  # a member account may not read these: unknown, never a pass
            for name in _SCP_ATTRS:
                attrs.pop(name, None)
                lost[name] = str(failure)
    rid = f"arn:{api.partition}:organizations::{api.account}:account-org"
    return [Resource(rid, _TYPE, attrs, attr_errors=lost)]


@resources.register(_TYPE)
class AccountOrganization(GlobalAwsKind):
    description = "The scanned account's AWS Organizations membership and the SCPs at the organization root."
    attributes = (
        A("AccountId", "string", "the scanned account"),
        A("in_organization", "boolean", "the account belongs to an organization (DescribeOrganization)"),
        A("OrganizationId", "string", "organization id (null outside one)"),
        A("FeatureSet", "string", "ALL or CONSOLIDATED_BILLING"),
        A("MasterAccountId", "string", "the management account"),
        A("is_management_account", "boolean", "the scanned account is the management account"),
        A("root_id", "string", "the organization root (ListRoots)"),
        A("scp_enabled", "boolean", "the SERVICE_CONTROL_POLICY type is enabled at the root (false outside an "
          "organization)"),
        A("root_scps", "list", "names of the SCPs attached to the root (ListPoliciesForTarget)"),
        A("root_restrictive_scps", "list", "root SCPs other than FullAWSAccess"),
    )
    permissions = ("organizations:DescribeOrganization", "organizations:ListRoots",
                   "organizations:ListPoliciesForTarget")
    build = staticmethod(collect_account_org)
