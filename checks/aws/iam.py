"""IAM and account-level collectors: aws.account, aws.iam.root, aws.iam.user, aws.iam.policy.

Users and root come from the IAM credential report (one report per scan, polled in its own worker
so other collectors keep going) joined with ``GetAccountAuthorizationDetails`` (users, roles and
policies with their documents in one paginated listing).
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from checks.aws.api import Api
from checks.aws.grants import DERIVED, derived
from checks.aws.iam_entities import ADMIN_ATTRS, admin_attrs, managed_docs
from checks.aws.policydoc import all_blocked
from checks.aws.session import ApiFailure
from checks.aws.kind import GlobalAwsKind
from scanner.model import Resource
from scanner.provider import Attribute as A
from scanner.resource_types import resources

_REPORT_NOT_READY = ("ReportInProgress", "ReportNotPresent", "ReportExpired")
_POLL_SECONDS = 2.0
_POLL_LIMIT = 60
SUPPORT_POLICY = "AWSSupportAccess"

_KEY_ATTRS = tuple(
    A(f"access_key_{n}_{name}", typ, f"Access key {n}: {desc}")
    for n in (1, 2)
    for name, typ, desc in (
        ("active", "boolean", "the key exists and is active"),
        ("last_rotated", "datetime", "when it was created or rotated (null when none)"),
        ("last_used_date", "datetime", "when it was last used (null when never)"),
        ("last_activity", "datetime", "last use, or creation when never used (null when no key)"),
    )
)



def _value(raw: str) -> Any:
    """A credential report cell: booleans, ISO dates, or None for N/A and no_information."""
    if raw in ("true", "false"):
        return raw == "true"
    if raw in ("N/A", "no_information", "not_supported", ""):
        return None
    return raw


def credential_report(api: Api) -> dict[str, dict[str, Any]]:
    """The credential report rows by user name (root is ``<root_account>``), fetched once per scan."""
    return api.once(("credential-report",), lambda: _fetch_report(api))


def _fetch_report(api: Api) -> dict[str, dict[str, Any]]:
    api.call("iam", None, "GenerateCredentialReport")
    iam = api.session.client("iam")
    from checks.aws.session import call

    for _ in range(_POLL_LIMIT):
        try:
            content = call(iam, "GetCredentialReport")["Content"]
            break
        except ApiFailure as failure:
            # The only polled call of a scan: AWS builds the report asynchronously.
            if failure.code not in _REPORT_NOT_READY:
                raise
            time.sleep(_POLL_SECONDS)
    else:
        raise ApiFailure("iam:GetCredentialReport", "ReportInProgress", "report not ready in time")
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    rows: dict[str, dict[str, Any]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        rows[row["user"]] = {k: _value(v) for k, v in row.items() if k != "user"}
    return rows


def _key_fields(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in (1, 2):
        active = bool(row.get(f"access_key_{n}_active"))
        rotated = row.get(f"access_key_{n}_last_rotated")
        used = row.get(f"access_key_{n}_last_used_date")
        out[f"access_key_{n}_active"] = active
        out[f"access_key_{n}_last_rotated"] = rotated
        out[f"access_key_{n}_last_used_date"] = used
        out[f"access_key_{n}_last_activity"] = (used or rotated) if active else None
    out["active_access_keys"] = int(out["access_key_1_active"]) + int(out["access_key_2_active"])
    return out


def _auth_details(api: Api) -> list[dict[str, Any]]:
    return api.pages("iam", None, "GetAccountAuthorizationDetails")


_USER_DETAILS = ("AttachedManagedPolicies", "UserPolicyList", "GroupList", "has_direct_policies",
                 "admin_policies", "has_admin")


def collect_users(api: Api, region: str | None) -> list[Resource]:
    report = credential_report(api)
    # Policies and groups come from the authorization details: read only when a control needs them.
    with_details = api.wants("aws.iam.user", *_USER_DETAILS)
    pages = _auth_details(api) if with_details else []
    details = {u["UserName"]: u for p in pages for u in p.get("UserDetailList") or []}
    docs = managed_docs(pages)
    out = []
    for name, row in sorted(report.items()):
        if name == "<root_account>":
            continue
        det = details.get(name, {})
        attached = [p["PolicyName"] for p in det.get("AttachedManagedPolicies") or []]
        inline = [p["PolicyName"] for p in det.get("UserPolicyList") or []]
        attrs: dict[str, Any] = {
            "UserName": name, "Arn": row.get("arn"),
            "user_creation_time": row.get("user_creation_time"),
            "password_enabled": bool(row.get("password_enabled")),
            "password_last_used": row.get("password_last_used"),
            "password_last_changed": row.get("password_last_changed"),
            "password_last_activity": (row.get("password_last_used") or row.get("password_last_changed"))
            if row.get("password_enabled") else None,
            "mfa_active": bool(row.get("mfa_active")),
            **_key_fields(row),
        }
        lost: dict[str, str] = {}
        if with_details and name not in details:  # in the report, not in the details: unknown, not "none"
            lost = dict.fromkeys(_USER_DETAILS, "the user is missing from GetAccountAuthorizationDetails")
        elif with_details:
            attrs.update(AttachedManagedPolicies=attached, UserPolicyList=inline,
                         GroupList=list(det.get("GroupList") or []), has_direct_policies=bool(attached or inline))
            admin_attrs(attrs, lost, det.get("AttachedManagedPolicies") or [], det.get("UserPolicyList") or [],
                        docs, api.partition)
        out.append(Resource(str(row.get("arn")), "aws.iam.user", attrs, attr_errors=lost))
    return out


def collect_root(api: Api, region: str | None) -> list[Resource]:
    # MFA and keys come from the account summary (what CIS audits); usage from the credential report.
    # Each read runs only when a selected control reads what it feeds.
    arn = f"arn:{api.partition}:iam::{api.account}:root"
    attrs: dict[str, Any] = {"Arn": arn}
    if api.wants("aws.iam.root", "mfa_active", "hardware_mfa", "access_keys_present"):
        summary = api.call("iam", None, "GetAccountSummary").get("SummaryMap") or {}
        mfa = bool(summary.get("AccountMFAEnabled"))
        attrs.update(mfa_active=mfa, access_keys_present=bool(summary.get("AccountAccessKeysPresent")))
        if api.wants("aws.iam.root", "hardware_mfa"):
            virtual = api.list("iam", None, "ListVirtualMFADevices", "VirtualMFADevices",
                               AssignmentStatus="Assigned")
            root_virtual = any(str(d.get("SerialNumber", "")).endswith(":mfa/root-account-mfa-device")
                               or str((d.get("User") or {}).get("Arn", "")) == arn for d in virtual)
            attrs["hardware_mfa"] = mfa and not root_virtual
    if api.wants("aws.iam.root", *_ROOT_REPORT):
        row = credential_report(api).get("<root_account>")
        keys = _key_fields(row or {})
        uses = [v for v in ((row or {}).get("password_last_used"), keys["access_key_1_last_used_date"],
                            keys["access_key_2_last_used_date"]) if v]
        attrs.update(credential_report_row=row is not None,
                     password_last_used=(row or {}).get("password_last_used"),
                     last_activity=max(uses) if uses else None, **keys)
    return [Resource(arn, "aws.iam.root", attrs)]


_ROOT_REPORT = ("credential_report_row", "password_last_used", "last_activity", "active_access_keys") + tuple(
    f"access_key_{n}_{name}" for n in (1, 2) for name in ("active", "last_rotated", "last_used_date", "last_activity"))


def collect_policies(api: Api, region: str | None) -> list[Resource]:
    out = []
    for page in _auth_details(api):
        for pol in page.get("Policies") or []:
            doc = next((v.get("Document") for v in pol.get("PolicyVersionList") or []
                        if v.get("IsDefaultVersion")), None)
            arn = pol["Arn"]
            name = pol.get("PolicyName") or arn.rsplit("/", 1)[-1]  # moto omits PolicyName here
            attrs = {"PolicyName": name, "Arn": arn,
                     "Scope": "AWS" if ":iam::aws:policy/" in arn else "Local",
                     "AttachmentCount": int(pol.get("AttachmentCount") or 0),
                     "Document": doc}
            found, lost = derived(doc)
            attrs.update(found)
            out.append(Resource(arn, "aws.iam.policy", attrs, attr_errors=lost))
    return out


def collect_account(api: Api, region: str | None) -> list[Resource]:
    rid = f"arn:{api.partition}:::{api.account}"
    lost: dict[str, str] = {}
    attrs: dict[str, Any] = {"AccountId": api.account}

    def part(feeds: tuple[str, ...], fn: Any) -> Any:
        """Run one sub-read and fill ``feeds`` only when a selected control reads one of them."""
        try:
            got = fn()
        except ApiFailure as failure:  # one sub-read lost: only the controls reading it error
            lost.update(dict.fromkeys(feeds, str(failure)))
            return None
        attrs.update(dict(zip(feeds, got)))
        return got

    for feeds, fn in _ACCOUNT_READS:
        if api.wants("aws.account", *feeds):  # nobody reads these: no call, attributes absent
            part(feeds, lambda: fn(api))
    for path in lost:  # an unread value is absent, never a default that could pass
        attrs[path] = None
    return [Resource(rid, "aws.account", attrs, attr_errors=lost)]


def _password_policy(api: Api) -> tuple[Any, ...]:
    pwd = (api.get("iam", None, "GetAccountPasswordPolicy", absent=("NoSuchEntity",)) or {}).get("PasswordPolicy")
    return pwd, pwd is not None


def _account_block(api: Api) -> tuple[Any, ...]:
    bpa = account_public_access_block(api)
    return bpa or None, all_blocked(bpa)


def _security_contact(api: Api) -> tuple[Any, ...]:
    got = api.get("account", None, "GetAlternateContact", absent=("ResourceNotFoundException",),
                  AlternateContactType="SECURITY")
    return ((got or {}).get("AlternateContact"),)


def _support_roles(api: Api) -> tuple[Any, ...]:
    roles = [r["RoleName"] for p in _auth_details(api) for r in p.get("RoleDetailList") or []
             if any(a.get("PolicyName") == SUPPORT_POLICY for a in r.get("AttachedManagedPolicies") or [])]
    return roles, bool(roles)


# aws.account sub-reads: (the attributes each fills, in order; the read)
_ACCOUNT_READS: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("PasswordPolicy", "password_policy_exists"), _password_policy),
    (("PublicAccessBlock", "public_access_blocked"), _account_block),
    (("SecurityContact",), _security_contact),
    (("SupportRoles", "support_role_exists"), _support_roles),
)


def account_public_access_block(api: Api) -> dict[str, Any] | None:
    """The account-level S3 public access block (S3 Control), None when unset; memoised."""
    got = api.get("s3control", None, "GetPublicAccessBlock",
                  absent=("NoSuchPublicAccessBlockConfiguration",), AccountId=api.account)
    return (got or {}).get("PublicAccessBlockConfiguration")


def collect_server_certificates(api: Api, region: str | None) -> list[Resource]:
    out = []
    for meta in api.list("iam", None, "ListServerCertificates", "ServerCertificateMetadataList"):
        exp = meta.get("Expiration")
        attrs = {"ServerCertificateName": meta.get("ServerCertificateName"), "Arn": meta["Arn"],
                 "Expiration": exp.isoformat() if hasattr(exp, "isoformat") else exp}
        out.append(Resource(meta["Arn"], "aws.iam.server_certificate", attrs))
    return out


@resources.register("aws.account")
class Account(GlobalAwsKind):
    description = ("Account-wide settings: password policy, S3 account public access block, "
        "security contact and the AWS Support role.")
    attributes = (
            A("AccountId", "string", "12-digit account id"),
            A("PasswordPolicy", "map", "GetAccountPasswordPolicy result; null when no policy is set"),
            A("PasswordPolicy.MinimumPasswordLength", "integer", "minimum password length"),
            A("PasswordPolicy.PasswordReusePrevention", "integer", "previous passwords remembered"),
            A("PasswordPolicy.MaxPasswordAge", "integer", "days before a password expires"),
            *(A(f"PasswordPolicy.Require{c}", "boolean", f"passwords must contain {what}")
              for c, what in (("UppercaseCharacters", "an upper-case letter"), ("LowercaseCharacters",
                              "a lower-case letter"), ("Numbers", "a digit"), ("Symbols", "a symbol"))),
            A("PasswordPolicy.AllowUsersToChangePassword", "boolean", "users may change their own password"),
            A("PasswordPolicy.ExpirePasswords", "boolean", "passwords expire (MaxPasswordAge is set)"),
            A("PasswordPolicy.HardExpiry", "boolean", "an expired password can only be reset by an administrator"),
            A("password_policy_exists", "boolean", "an account password policy is set"),
            A("PublicAccessBlock", "map", "S3 account-level public access block; null when unset"),
            A("public_access_blocked", "boolean", "all four account-level S3 block settings are true"),
            A("SecurityContact", "map", "the SECURITY alternate contact; null when unset"),
            A("SupportRoles", "list", "roles with the AWSSupportAccess managed policy attached"),
            A("support_role_exists", "boolean", "at least one role has AWSSupportAccess attached"),
        )
    permissions = ("iam:GetAccountPasswordPolicy", "s3:GetPublicAccessBlock (S3 Control)",
         "account:GetAlternateContact", "iam:GetAccountAuthorizationDetails")
    build = staticmethod(collect_account)


@resources.register("aws.iam.root")
class IamRoot(GlobalAwsKind):
    description = "The account root user, from the IAM credential report."
    attributes = (
            A("Arn", "string", "root user ARN"),
            A("mfa_active", "boolean", "an MFA device is enabled for root (GetAccountSummary)"),
            A("access_keys_present", "boolean", "root has access keys (GetAccountSummary)"),
            A("credential_report_row", "boolean", "the credential report has a <root_account> row"),
            A("hardware_mfa", "boolean", "root MFA is enabled and is not a virtual device"),
            A("active_access_keys", "integer", "number of active root access keys"),
            A("password_last_used", "datetime", "last console sign-in (null when never/unknown)"),
            A("last_activity", "datetime", "latest of password and access key use (null when never)"),
        ) + _KEY_ATTRS
    permissions = ("iam:GetAccountSummary", "iam:GenerateCredentialReport", "iam:GetCredentialReport",
         "iam:ListVirtualMFADevices")
    build = staticmethod(collect_root)


@resources.register("aws.iam.user")
class IamUser(GlobalAwsKind):
    description = "An IAM user: credential report row plus its attached policies and groups."
    attributes = (
            A("UserName", "string", "user name"),
            A("Arn", "string", "user ARN"),
            A("user_creation_time", "datetime", "when the user was created"),
            A("password_enabled", "boolean", "the user has a console password"),
            A("password_last_used", "datetime", "last console sign-in (null when never)"),
            A("password_last_changed", "datetime", "when the password was set"),
            A("password_last_activity", "datetime", "last sign-in, or when the password was set if never"),
            A("mfa_active", "boolean", "an MFA device is enabled"),
            A("active_access_keys", "integer", "number of active access keys"),
            A("AttachedManagedPolicies", "list", "managed policies attached directly to the user"),
            A("UserPolicyList", "list", "inline policies of the user"),
            A("GroupList", "list", "groups the user belongs to"),
            A("has_direct_policies", "boolean", "policies are attached to the user, not via groups"),
            *ADMIN_ATTRS,
        ) + _KEY_ATTRS
    permissions = ("iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountAuthorizationDetails")
    build = staticmethod(collect_users)


@resources.register("aws.iam.policy")
class IamPolicy(GlobalAwsKind):
    description = "A managed IAM policy (customer managed, or AWS managed and attached)."
    attributes = (
            A("PolicyName", "string", "policy name"),
            A("Arn", "string", "policy ARN"),
            A("Scope", "string", "Local (customer managed) or AWS"),
            A("AttachmentCount", "integer", "users, groups and roles it is attached to"),
            A("Document", "map", "the default version's policy document"),
        ) + tuple(A(name, typ, doc) for name, typ, doc, _ in DERIVED)
    permissions = ("iam:GetAccountAuthorizationDetails",)
    build = staticmethod(collect_policies)


@resources.register("aws.iam.server_certificate")
class IamServerCertificate(GlobalAwsKind):
    description = "A server certificate stored in IAM."
    attributes = (
            A("ServerCertificateName", "string", "name"),
            A("Arn", "string", "ARN"),
            A("Expiration", "datetime", "when the certificate expires"),
        )
    permissions = ("iam:ListServerCertificates",)
    build = staticmethod(collect_server_certificates)
