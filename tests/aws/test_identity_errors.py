"""Identity, keys and secrets that cannot be read are errors naming the API, never passes (issue 11)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from checks.aws.grants import derived, escalations, public_statements, trust_without_external_id
from scanner.model import Collection, Resource

from .conftest import ACCOUNT, collect
from .test_errors import enforced_iam, restricted_user
from .test_identity import R, doc, trust, verdicts


def denied(monkeypatch: pytest.MonkeyPatch, *actions: str) -> None:
    for k, v in restricted_user(list(actions)).items():
        monkeypatch.setenv(k, v)


def test_denied_authorization_details_errors_every_iam_entity_control(
        moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    iam = boto3.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust({"AWS": "*"}))
    denied(monkeypatch, "iam:GetAccountAuthorizationDetails")
    types = ("aws.iam.role", "aws.iam.group", "aws.iam.inline_policy")
    with enforced_iam():
        c = collect(f"aws:///{R}", types=types)
    assert sorted((e.resource_type, e.message) for e in c.errors) == [
        (t, "AccessDenied on iam:GetAccountAuthorizationDetails") for t in sorted(types)]
    got = verdicts(c, *types)
    assert len(got) == 16  # 6 role, 2 group and 8 inline policy controls: each one error
    assert got[("aws-iam-role-trust-not-public", f"aws://{ACCOUNT}/{R}/iam:GetAccountAuthorizationDetails")] == (
        "error", "aws.iam.role not collected (iam:GetAccountAuthorizationDetails): "
        "AccessDenied on iam:GetAccountAuthorizationDetails")
    assert {v[0] for v in got.values()} == {"error"}


def test_unreadable_policy_documents_are_unknown_not_clean() -> None:
    for bad in (None, "not json", {"Version": "2012-10-17"}):
        attrs, lost = derived(bad)
        assert attrs == {} and set(lost) == {"allows_full_admin", "allows_notaction_on_all", "privilege_escalations",
                                             "passrole_all_resources", "assume_role_all_resources",
                                             "kms_full_access", "kms_decrypt_all_keys", "cloudtrail_full_access"}
        assert escalations(bad) is None and public_statements(bad) is None
        assert trust_without_external_id(bad, ACCOUNT) is None


def test_unparsable_trust_policy_errors_role_controls() -> None:
    """A role whose trust policy is not a policy: its trust controls are error, never pass."""
    from checks.aws.iam_entities import collect_roles

    class FakeApi:  # the authorization details as AWS would return them, with a broken trust document
        account, partition = ACCOUNT, "aws"

        def pages(self, *args: Any) -> list[dict[str, Any]]:
            return [{"RoleDetailList": [{"RoleName": "odd", "Arn": f"arn:aws:iam::{ACCOUNT}:role/odd", "Path": "/",
                                         "AssumeRolePolicyDocument": "%7B", "RolePolicyList": [],
                                         "AttachedManagedPolicies": []}], "Policies": []}]

    role = collect_roles(FakeApi(), None)[0]  # type: ignore[arg-type]
    assert role.attr_errors["trust_public"] == "the role's trust policy is missing or unparsable"
    c = Collection(resources={"aws.iam.role": [role]})
    got = verdicts(c, "aws.iam.role")
    for cid in ("aws-iam-role-trust-not-public", "aws-iam-role-cross-account-external-id",
                "aws-iam-role-no-cross-account-readonly"):
        assert got[(cid, role.id)][0] == "error", cid


def test_denied_key_policy_errors_only_key_policy_controls(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = boto3.client("kms", region_name=R).create_key()["KeyMetadata"]["Arn"]
    denied(monkeypatch, "kms:GetKeyPolicy")
    with enforced_iam():
        c = collect(f"aws:///{R}", types=["aws.kms.key"])
    assert c.errors == []
    got = verdicts(c, "aws.kms.key")
    assert got[("aws-kms-key-not-public", arn)] == (
        "error", f"{arn}: key_policy_public could not be read: AccessDenied on kms:GetKeyPolicy")
    assert got[("aws-kms-key-no-cross-account", arn)][0] == "error"
    assert got[("aws-kms-key-not-disabled", arn)][0] == "pass"


def test_denied_secret_sub_reads_error_their_controls(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    kms = boto3.client("kms", region_name=R)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    arn = boto3.client("secretsmanager", region_name=R).create_secret(Name="s", SecretString="x", KmsKeyId=key)["ARN"]
    denied(monkeypatch, "secretsmanager:GetResourcePolicy", "kms:DescribeKey")
    with enforced_iam():
        c = collect(f"aws:///{R}", types=["aws.secretsmanager.secret"])
    got = verdicts(c, "aws.secretsmanager.secret")
    assert got[("aws-secretsmanager-not-public", arn)] == (
        "error", f"{arn}: policy_public could not be read: AccessDenied on secretsmanager:GetResourcePolicy")
    assert got[("aws-secretsmanager-cmk", arn)] == (
        "error", f"{arn}: customer_managed_key could not be read: AccessDenied on kms:DescribeKey")
    assert got[("aws-secretsmanager-rotation-enabled", arn)][0] == "fail"


def test_denied_document_permission_is_error(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    content = json.dumps({"schemaVersion": "2.2", "description": "d", "mainSteps": [
        {"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["true"]}}]})
    boto3.client("ssm", region_name=R).create_document(Content=content, Name="doc-one", DocumentType="Command")
    denied(monkeypatch, "ssm:DescribeDocumentPermission")
    with enforced_iam():
        c = collect(f"aws:///{R}", types=["aws.ssm.document"])
    arn = f"arn:aws:ssm:{R}:{ACCOUNT}:document/doc-one"
    assert verdicts(c, "aws.ssm.document")[("aws-ssm-document-not-public", arn)] == (
        "error", f"{arn}: is_public could not be read: AccessDenied on ssm:DescribeDocumentPermission")


def test_member_account_denied_scp_reads_is_error_naming_the_api(
        moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("organizations").create_organization(FeatureSet="ALL")
    denied(monkeypatch, "organizations:ListRoots", "organizations:ListPoliciesForTarget")
    with enforced_iam():
        c = collect(f"aws:///{R}", types=["aws.organizations.account_org"])
    rid = f"arn:aws:organizations::{ACCOUNT}:account-org"
    got = verdicts(c, "aws.organizations.account_org")
    assert got[("aws-organizations-member", rid)][0] == "pass"
    assert got[("aws-organizations-scp-enabled", rid)] == (
        "error", f"{rid}: scp_enabled could not be read: AccessDenied on organizations:ListRoots")
    assert got[("aws-organizations-root-restrictive-scp", rid)] == (
        "error", f"{rid}: root_restrictive_scps could not be read: AccessDenied on organizations:ListRoots")


def test_access_analyzer_not_implemented_is_error(moto: None) -> None:
    c = collect(f"aws:///{R}", types=["aws.accessanalyzer.region"])
    assert [(e.resource_type, e.scope) for e in c.errors] == [("aws.accessanalyzer.region", R)]
    assert "access-analyzer:ListAnalyzers" in c.errors[0].message or "ListAnalyzers" in c.errors[0].message
    got = verdicts(c, "aws.accessanalyzer.region")
    assert {k[0]: v[0] for k, v in got.items()} == {
        "aws-accessanalyzer-enabled": "error", "aws-accessanalyzer-no-active-findings": "error"}


def test_access_analyzer_controls_both_ways() -> None:
    """moto does not implement Access Analyzer: the controls are proven on resources shaped as the collector builds."""
    def region(name: str, analyzers: list[dict[str, str]], findings: int | None) -> Resource:
        active = [a["name"] for a in analyzers if a["status"] == "ACTIVE"]
        ext = [a["name"] for a in analyzers if a["status"] == "ACTIVE" and a["type"] in ("ACCOUNT", "ORGANIZATION")]
        attrs: dict[str, Any] = {"Region": name, "analyzers": analyzers, "active_analyzers": active,
                                 "external_access_analyzers": ext, "external_access_enabled": bool(ext)}
        lost = {}
        if findings is None:
            lost["active_findings"] = "AccessDenied on access-analyzer:ListFindingsV2"
        else:
            attrs["active_findings"] = findings
        return Resource(f"arn:aws:access-analyzer:{name}:{ACCOUNT}:analyzers", "aws.accessanalyzer.region", attrs,
                        region=name, attr_errors=lost)

    good = region("us-east-1", [{"name": "acct", "type": "ACCOUNT", "status": "ACTIVE"}], 0)
    unused_only = region("us-west-2", [{"name": "unused", "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"}], 0)
    noisy = region("eu-west-1", [{"name": "org", "type": "ORGANIZATION", "status": "ACTIVE"}], 3)
    unread = region("eu-west-2", [{"name": "acct", "type": "ACCOUNT", "status": "ACTIVE"}], None)
    c = Collection(resources={"aws.accessanalyzer.region": [good, unused_only, noisy, unread]})
    got = verdicts(c, "aws.accessanalyzer.region")
    assert got[("aws-accessanalyzer-enabled", good.id)] == ("pass", "Region us-east-1 has external access analyzers acct")
    assert got[("aws-accessanalyzer-enabled", unused_only.id)] == (
        "fail", "Region us-west-2 has no active external access analyzer")
    assert got[("aws-accessanalyzer-no-active-findings", noisy.id)] == (
        "fail", "Region eu-west-1 analyzers have 3 active findings")
    assert got[("aws-accessanalyzer-no-active-findings", good.id)][0] == "pass"
    assert got[("aws-accessanalyzer-no-active-findings", unread.id)][0] == "error"
    assert got[("aws-accessanalyzer-no-active-findings", unused_only.id)][0] == "notapplicable"


def test_review_case_notaction_iam_through_the_cli(moto: None, tmp_path: Any) -> None:
    """The review case through `govscan scan`: Allow NotAction iam:* on * in a role's inline policy."""
    from .test_review_cases import cli_findings

    iam = boto3.client("iam")
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    iam.put_role_policy(RoleName="ops", PolicyName="all-but-iam",
                        PolicyDocument=doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    got = cli_findings(tmp_path, "aws-iam-inline-no-admin", "aws-iam-role-no-admin")
    role = f"arn:aws:iam::{ACCOUNT}:role/ops"
    assert got[("aws-iam-inline-no-admin", f"{role}/inline-policy/all-but-iam")] == (
        "fail", "Inline policy all-but-iam of role ops allows every action on every resource (Action or NotAction)")
    assert got[("aws-iam-role-no-admin", role)] == ("fail", "Role ops has administrator policies inline:all-but-iam")


def test_denied_scp_listing_alone_names_that_api(moto: None, monkeypatch: pytest.MonkeyPatch) -> None:
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    org.enable_policy_type(RootId=org.list_roots()["Roots"][0]["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    denied(monkeypatch, "organizations:ListPoliciesForTarget")
    with enforced_iam():
        c = collect(f"aws:///{R}", types=["aws.organizations.account_org"])
    rid = f"arn:aws:organizations::{ACCOUNT}:account-org"
    got = verdicts(c, "aws.organizations.account_org")
    assert got[("aws-organizations-root-restrictive-scp", rid)] == (
        "error", f"{rid}: root_restrictive_scps could not be read: AccessDenied on organizations:ListPoliciesForTarget")


def test_user_missing_from_authorization_details_is_unknown() -> None:
    """A user in the credential report but not in GetAccountAuthorizationDetails: its policies are unknown."""
    from checks.aws.iam import collect_users

    class FakeApi:
        account, partition, attributes = ACCOUNT, "aws", None

        def wants(self, *args: Any) -> bool:
            return True

        def once(self, key: Any, fn: Any) -> Any:  # the credential report, as parsed
            return {"late": {"arn": f"arn:aws:iam::{ACCOUNT}:user/late", "password_enabled": False}}

        def pages(self, *args: Any) -> list[dict[str, Any]]:
            return [{"UserDetailList": [], "Policies": []}]

    [user] = collect_users(FakeApi(), None)  # type: ignore[arg-type]
    assert user.attr_errors["has_admin"] == "the user is missing from GetAccountAuthorizationDetails"
    assert "has_direct_policies" not in user.attrs and "has_admin" not in user.attrs
    got = verdicts(Collection(resources={"aws.iam.user": [user]}), "aws.iam.user")
    assert got[("aws-iam-user-no-admin", user.id)][0] == "error"
    assert got[("aws-iam-user-no-direct-policies", user.id)][0] == "error"
