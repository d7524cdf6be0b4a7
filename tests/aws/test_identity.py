"""Identity, keys and secrets on moto (issue 11): IAM roles, groups and inline policies, customer managed
policies, KMS key policies, Secrets Manager, ACM, SSM documents, Organizations and Access Analyzer.

One account is seeded per module; every control has a weak resource that fails with its exact message
and a good twin that passes; the "cannot read" cases are in test_identity_errors.py.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from .conftest import ACCOUNT, collect

R = "us-east-1"
PARTNER = "111122223333"
TYPES = ("aws.iam.user", "aws.iam.role", "aws.iam.group", "aws.iam.inline_policy", "aws.iam.policy", "aws.kms.key",
         "aws.secretsmanager.secret", "aws.acm.certificate", "aws.ssm.document", "aws.organizations.account_org")


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: Any, **extra: Any) -> str:
    return doc({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra})


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def inline_id(kind: str, name: str, policy: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}/inline-policy/{policy}"


def seed_identity() -> dict[str, str]:
    iam = boto3.client("iam")
    ids: dict[str, str] = {}
    iam.create_role(RoleName="trust-public", AssumeRolePolicyDocument=trust({"AWS": "*"}))
    iam.create_role(RoleName="trust-partner", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{PARTNER}:root"}))
    iam.create_role(RoleName="trust-partner-ok", AssumeRolePolicyDocument=trust(
        {"AWS": PARTNER}, Condition={"StringEquals": {"sts:ExternalId": "agency-7"}}))
    iam.create_role(RoleName="svc-open", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.create_role(RoleName="svc-ok", AssumeRolePolicyDocument=trust(
        {"Service": "lambda.amazonaws.com"}, Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}}))
    ids["slr"] = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]["Arn"]
    # the review case: NotAction iam:* on * is administrator-equivalent
    iam.create_role(RoleName="notaction-admin", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
    iam.put_role_policy(RoleName="notaction-admin", PolicyName="all-but-iam",
                        PolicyDocument=doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    iam.put_role_policy(RoleName="svc-ok", PolicyName="audit-tools", PolicyDocument=doc(
        allow("cloudtrail:*"), allow("sts:AssumeRole")))
    admin = iam.create_policy(PolicyName="admin-all", PolicyDocument=doc(allow("*")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="trust-partner-ok", PolicyArn=admin)
    readonly = iam.create_policy(PolicyName="ReadOnlyAccess", PolicyDocument=doc(allow("s3:Get*")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="trust-partner", PolicyArn=readonly)
    iam.attach_role_policy(RoleName="svc-open", PolicyArn=readonly)
    escalate = iam.create_policy(PolicyName="version-editor", PolicyDocument=doc(
        allow(["iam:CreatePolicyVersion", "iam:GetPolicy"]), allow("iam:PassRole"),
        allow("kms:*"), allow(["kms:Decrypt", "kms:ReEncrypt*"], "arn:aws:kms:*:*:key/*")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="svc-open", PolicyArn=escalate)
    narrow = iam.create_policy(PolicyName="bucket-reader", PolicyDocument=doc(
        allow("s3:GetObject", "arn:aws:s3:::gs-data/*")))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="svc-ok", PolicyArn=narrow)
    iam.create_policy(PolicyName="dormant-admin", PolicyDocument=doc(
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    iam.create_policy(PolicyName="dormant-reader", PolicyDocument=doc(allow("s3:GetObject", "arn:aws:s3:::gs-data/*")))

    iam.create_user(UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="launcher", PolicyDocument=doc(
        allow(["iam:PassRole", "ec2:RunInstances"])))
    iam.create_user(UserName="direct")
    iam.attach_user_policy(UserName="direct", PolicyArn=admin)
    iam.create_user(UserName="root-like")
    iam.put_user_policy(UserName="root-like", PolicyName="god-mode", PolicyDocument=doc(
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}))
    iam.create_user(UserName="ops")
    iam.put_user_policy(UserName="ops", PolicyName="reader", PolicyDocument=doc(
        allow("s3:GetObject", "arn:aws:s3:::gs-data/*")))
    iam.create_group(GroupName="admins")
    iam.put_group_policy(GroupName="admins", PolicyName="everything", PolicyDocument=doc(allow("*:*")))
    iam.add_user_to_group(GroupName="admins", UserName="ops")
    iam.create_group(GroupName="crypto")
    iam.put_group_policy(GroupName="crypto", PolicyName="keys", PolicyDocument=doc(allow("kms:*")))
    iam.add_user_to_group(GroupName="crypto", UserName="dev")
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=narrow)
    iam.add_user_to_group(GroupName="readers", UserName="dev")
    iam.create_group(GroupName="empty")
    ids.update(admin=admin, readonly=readonly, escalate=escalate, narrow=narrow)
    return ids


def seed_keys_and_secrets(ids: dict[str, str]) -> None:
    kms = boto3.client("kms", region_name=R)
    for name in ("public", "partner", "private", "disabled"):
        ids[f"key_{name}"] = kms.create_key(Description=name)["KeyMetadata"]["Arn"]
    ids["key_multi"] = kms.create_key(MultiRegion=True)["KeyMetadata"]["Arn"]
    own = {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
           "Action": "kms:*", "Resource": "*"}
    kms.put_key_policy(KeyId=ids["key_public"], PolicyName="default", Policy=doc(
        own, {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}))
    kms.put_key_policy(KeyId=ids["key_partner"], PolicyName="default", Policy=doc(
        own, {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"}, "Action": "kms:Decrypt",
              "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT}}}))
    kms.put_key_policy(KeyId=ids["key_private"], PolicyName="default", Policy=doc(own))
    kms.disable_key(KeyId=ids["key_disabled"].rsplit("/", 1)[1])

    sm = boto3.client("secretsmanager", region_name=R)
    ids["secret_plain"] = sm.create_secret(Name="plain", SecretString="x")["ARN"]
    ids["secret_good"] = sm.create_secret(Name="good", SecretString="x", KmsKeyId=ids["key_private"])["ARN"]
    sm.rotate_secret(SecretId="good", RotationRules={"AutomaticallyAfterDays": 30})
    ids["secret_yearly"] = sm.create_secret(Name="yearly", SecretString="x")["ARN"]
    sm.rotate_secret(SecretId="yearly", RotationRules={"AutomaticallyAfterDays": 365})
    sm.put_resource_policy(SecretId="plain", ResourcePolicy=doc(
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    sm.put_resource_policy(SecretId="good", ResourcePolicy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/svc-ok"},
         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))

    ssm = boto3.client("ssm", region_name=R)
    content = json.dumps({"schemaVersion": "2.2", "description": "d", "mainSteps": [
        {"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["true"]}}]})
    for name in ("shared-public", "shared-partner"):
        ssm.create_document(Content=content, Name=name, DocumentType="Command")
    ssm.modify_document_permission(Name="shared-public", PermissionType="Share", AccountIdsToAdd=["all"])
    ssm.modify_document_permission(Name="shared-partner", PermissionType="Share", AccountIdsToAdd=[PARTNER])


def self_signed(days: int, bits: int) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"rsa{bits}-{days}d.example.com")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def seed_certificates(ids: dict[str, str]) -> None:
    acm = boto3.client("acm", region_name=R)
    for label, days, bits in (("cert_soon", 10, 2048), ("cert_long", 400, 2048), ("cert_weak", 400, 1024)):
        cert, key = self_signed(days, bits)
        ids[label] = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    for label, pref in (("cert_ct_on", "ENABLED"), ("cert_ct_off", "DISABLED")):
        ids[label] = acm.request_certificate(DomainName=f"{label}.example.com", Options={
            "CertificateTransparencyLoggingPreference": pref, "Export": "DISABLED"})["CertificateArn"]


@pytest.fixture(scope="module")
def account() -> Iterator[tuple[dict[str, str], Any]]:
    from moto import mock_aws

    with mock_aws():
        ids = seed_identity()
        seed_keys_and_secrets(ids)
        seed_certificates(ids)
        yield ids, collect(f"aws:///{R}", types=TYPES)


def verdicts(collection: Any, *types: str, inputs: dict[str, Any] | None = None,
             now: dt.datetime | None = None) -> dict[tuple[str, str], tuple[str, str]]:
    """(control, resource) -> (status, message) of every aws control on ``types``, through the engine."""
    from checks.aws.provider import AwsProvider
    from scanner.evaluate import evaluate_control
    from scanner.policy import load_controls

    target = AwsProvider().parse_target(f"aws:///{R}", {})[0]
    root = Path(__file__).resolve().parents[2] / "policies" / "controls" / "aws"
    out = {}
    for control in load_controls([str(root)]).values():
        if control.resource in types:
            for f in evaluate_control(control, target, collection, inputs=inputs, now=now):
                out[(f.control_id, f.resource_id)] = (f.status.value, f.message)
    return out


def only(got: dict[tuple[str, str], tuple[str, str]], control: str) -> dict[str, tuple[str, str]]:
    return {rid: v for (cid, rid), v in got.items() if cid == control}


def test_collection_has_no_errors(account: Any) -> None:
    _, c = account
    assert c.errors == []
    assert {t: len(c.resources[t]) for t in TYPES if t != "aws.iam.policy"} == {
        "aws.iam.user": 4, "aws.iam.role": 7, "aws.iam.group": 4, "aws.iam.inline_policy": 7, "aws.kms.key": 5,
        "aws.secretsmanager.secret": 3, "aws.acm.certificate": 5, "aws.ssm.document": 2,
        "aws.organizations.account_org": 1}


def test_role_trust_controls(account: Any) -> None:
    ids, c = account
    got = verdicts(c, "aws.iam.role")
    assert only(got, "aws-iam-role-trust-not-public")[role_arn("trust-public")] == (
        "fail", "Role trust-public trust policy lets anyone assume it (statements 0)")
    assert only(got, "aws-iam-role-trust-not-public")[role_arn("trust-partner")][0] == "pass"
    ext = only(got, "aws-iam-role-cross-account-external-id")
    assert ext[role_arn("trust-partner")] == (
        "fail", f"Role trust-partner can be assumed from accounts {PARTNER} without an sts:ExternalId condition")
    assert ext[role_arn("trust-public")][0] == "fail"
    assert ext[role_arn("trust-partner-ok")][0] == "pass" and ext[role_arn("notaction-admin")][0] == "pass"
    # service-linked roles are out of scope of every role control
    assert not [k for k in got if k[1] == ids["slr"]]
    deputy = only(got, "aws-iam-role-service-confused-deputy")
    assert set(deputy) == {role_arn("svc-open"), role_arn("svc-ok")}
    assert deputy[role_arn("svc-open")] == (
        "fail", "Service role svc-open trusts ec2.amazonaws.com with no aws:SourceAccount or aws:SourceArn condition")
    assert deputy[role_arn("svc-ok")][0] == "pass"
    ro = only(got, "aws-iam-role-no-cross-account-readonly")
    assert ro[role_arn("trust-partner")] == (
        "fail", f"Role trust-partner has ReadOnlyAccess and trusts accounts {PARTNER}")
    assert ro[role_arn("svc-open")][0] == "pass"  # ReadOnlyAccess, but no other account


def test_role_admin_review_case_notaction_iam(account: Any) -> None:
    _, c = account
    roles = only(verdicts(c, "aws.iam.role"), "aws-iam-role-no-admin")
    assert roles[role_arn("notaction-admin")] == (
        "fail", "Role notaction-admin has administrator policies inline:all-but-iam")
    assert roles[role_arn("trust-partner-ok")] == (
        "fail", "Role trust-partner-ok has administrator policies attached:admin-all")
    assert roles[role_arn("svc-ok")][0] == "pass" and roles[role_arn("svc-open")][0] == "pass"
    inline = only(verdicts(c, "aws.iam.inline_policy"), "aws-iam-inline-no-admin")
    assert inline[inline_id("role", "notaction-admin", "all-but-iam")] == (
        "fail", "Inline policy all-but-iam of role notaction-admin allows every action on every resource "
        "(Action or NotAction)")
    assert inline[inline_id("group", "admins", "everything")][0] == "fail"
    assert inline[inline_id("user", "root-like", "god-mode")] == (
        "fail", "Inline policy god-mode of user root-like allows every action on every resource (Action or NotAction)")
    assert inline[inline_id("user", "ops", "reader")][0] == "pass"


def test_role_unused(account: Any) -> None:
    _, c = account
    fresh = only(verdicts(c, "aws.iam.role"), "aws-iam-role-unused")
    assert {v[0] for v in fresh.values()} == {"pass"} and len(fresh) == 6
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=120)
    old = only(verdicts(c, "aws.iam.role", now=later), "aws-iam-role-unused")
    status, message = old[role_arn("svc-ok")]
    assert status == "fail" and message.startswith("Role svc-ok unused since ") and message.endswith(
        "(limit 90 days)")


def test_users_with_administrator_policies(account: Any) -> None:
    ids, c = account
    got = only(verdicts(c, "aws.iam.user"), "aws-iam-user-no-admin")
    user = lambda n: f"arn:aws:iam::{ACCOUNT}:user/{n}"  # noqa: E731
    assert got == {user("direct"): ("fail", "User direct has administrator policies attached:admin-all"),
                   user("root-like"): ("fail", "User root-like has administrator policies inline:god-mode"),
                   user("dev"): ("pass", "User dev has no administrator policy"),
                   user("ops"): ("pass", "User ops has no administrator policy")}


def test_groups(account: Any) -> None:
    _, c = account
    got = verdicts(c, "aws.iam.group")
    g = f"arn:aws:iam::{ACCOUNT}:group/"
    assert only(got, "aws-iam-group-no-admin")[g + "admins"] == (
        "fail", "Group admins has administrator policies inline:everything")
    assert only(got, "aws-iam-group-no-admin")[g + "readers"][0] == "pass"
    members = only(got, "aws-iam-group-has-members")
    assert members[g + "empty"] == ("fail", "Group empty has no users")
    assert members[g + "readers"] == ("pass", "Group readers has 1 members")


INLINE_FAILS = {
    ("aws-iam-inline-no-privilege-escalation", inline_id("user", "dev", "launcher")):
        "Inline policy launcher of user dev allows privilege escalation: pass a role to a new EC2 instance",
    ("aws-iam-inline-no-passrole-all", inline_id("user", "dev", "launcher")):
        "Inline policy launcher of user dev allows iam:PassRole on every role",
    ("aws-iam-inline-no-kms-full-access", inline_id("group", "crypto", "keys")):
        "Inline policy keys of group crypto allows kms:* on every resource",
    ("aws-iam-inline-no-kms-decrypt-all", inline_id("group", "crypto", "keys")):
        "Inline policy keys of group crypto allows kms:Decrypt or kms:ReEncryptFrom on every KMS key",
    ("aws-iam-inline-no-cloudtrail-full-access", inline_id("role", "svc-ok", "audit-tools")):
        "Inline policy audit-tools of role svc-ok allows cloudtrail:* on every resource",
    ("aws-iam-inline-no-assume-role-all", inline_id("role", "svc-ok", "audit-tools")):
        "Inline policy audit-tools of role svc-ok allows sts:AssumeRole on every role",
    ("aws-iam-inline-no-notaction-allow", inline_id("role", "notaction-admin", "all-but-iam")):
        "Inline policy all-but-iam of role notaction-admin uses Allow with NotAction on every resource",
}


def test_inline_policies(account: Any) -> None:
    _, c = account
    got = verdicts(c, "aws.iam.inline_policy")
    for key, message in INLINE_FAILS.items():
        assert got[key] == ("fail", message), key
    good = inline_id("user", "ops", "reader")
    controls = {k[0] for k in INLINE_FAILS} | {"aws-iam-inline-no-admin"}
    assert {cid: got[(cid, good)][0] for cid in controls} == dict.fromkeys(controls, "pass")
    # the NotAction iam:* statement grants kms:* and cloudtrail:* too; it cannot escalate through IAM
    notaction = inline_id("role", "notaction-admin", "all-but-iam")
    assert got[("aws-iam-inline-no-kms-full-access", notaction)][0] == "fail"
    assert got[("aws-iam-inline-no-passrole-all", notaction)][0] == "pass"


def test_customer_managed_policies(account: Any) -> None:
    ids, c = account
    got = verdicts(c, "aws.iam.policy")
    esc, narrow = ids["escalate"], ids["narrow"]
    assert got[("aws-iam-policy-no-privilege-escalation", esc)] == (
        "fail", "Policy version-editor allows privilege escalation: create a new default policy version")
    for cid, text in (("aws-iam-policy-no-passrole-all", "allows iam:PassRole on every role"),
                      ("aws-iam-policy-no-kms-full-access", "allows kms:* on every resource"),
                      ("aws-iam-policy-no-kms-decrypt-all",
                       "allows kms:Decrypt or kms:ReEncryptFrom on every KMS key")):
        assert got[(cid, esc)] == ("fail", f"Policy version-editor {text}")
        assert got[(cid, narrow)][0] == "pass"
    unattached = only(got, "aws-iam-policy-unattached-no-admin")
    dormant = f"arn:aws:iam::{ACCOUNT}:policy/dormant-admin"
    assert unattached[dormant] == ("fail", "Unattached policy dormant-admin allows every action on every resource")
    assert unattached[f"arn:aws:iam::{ACCOUNT}:policy/dormant-reader"][0] == "pass"
    assert ids["admin"] not in unattached  # attached: the CIS control aws-iam-no-full-admin-policies decides
    assert got[("aws-iam-no-full-admin-policies", ids["admin"])][0] == "fail"


def test_kms_key_policies(account: Any) -> None:
    ids, c = account
    got = verdicts(c, "aws.kms.key")
    kid = {k: ids[k].rsplit("/", 1)[1] for k in ids if k.startswith("key_")}
    public = only(got, "aws-kms-key-not-public")
    assert public[ids["key_public"]] == ("fail", f"Key {kid['key_public']} policy lets anyone use it (statements 1)")
    assert public[ids["key_partner"]][0] == "pass"  # its `*` statement is restricted by kms:CallerAccount
    assert public[ids["key_private"]][0] == "pass"
    cross = only(got, "aws-kms-key-no-cross-account")
    assert cross[ids["key_partner"]] == ("fail", f"Key {kid['key_partner']} policy grants accounts {PARTNER}")
    assert cross[ids["key_private"]][0] == "pass"
    disabled = only(got, "aws-kms-key-not-disabled")
    assert disabled[ids["key_disabled"]] == ("fail", f"Key {kid['key_disabled']} is disabled")
    assert disabled[ids["key_private"]] == ("pass", f"Key {kid['key_private']} is Enabled")
    multi = only(got, "aws-kms-key-single-region")
    assert multi[ids["key_multi"]] == ("fail", f"Key {kid['key_multi']} is a multi-Region key")
    assert multi[ids["key_private"]][0] == "pass"


def test_secrets(account: Any) -> None:
    ids, c = account
    got = verdicts(c, "aws.secretsmanager.secret")
    plain, good = ids["secret_plain"], ids["secret_good"]
    assert got[("aws-secretsmanager-rotation-enabled", plain)] == ("fail", "Secret plain has no automatic rotation")
    assert got[("aws-secretsmanager-rotation-enabled", good)][0] == "pass"
    assert got[("aws-secretsmanager-cmk", plain)] == (
        "fail", "Secret plain is encrypted with the AWS managed key (aws/secretsmanager)")
    assert got[("aws-secretsmanager-cmk", good)][0] == "pass"
    assert got[("aws-secretsmanager-not-public", plain)] == (
        "fail", "Secret plain resource policy lets anyone access it (statements 0)")
    assert got[("aws-secretsmanager-not-public", good)][0] == "pass"
    assert got[("aws-secretsmanager-rotation-interval", ids["secret_yearly"])] == (
        "fail", "Secret yearly rotates every 365 days (limit 90)")
    assert got[("aws-secretsmanager-rotation-interval", good)] == ("pass", "Secret good rotates every 30 days")
    assert got[("aws-secretsmanager-rotation-interval", plain)][0] == "notapplicable"
    for cid in ("aws-secretsmanager-rotated-recently", "aws-secretsmanager-secret-used"):
        assert got[(cid, good)][0] == "pass" and got[(cid, plain)][0] == "pass"  # created today
    later = verdicts(c, "aws.secretsmanager.secret", now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=100))
    status, message = later[("aws-secretsmanager-rotated-recently", good)]
    assert status == "fail" and message.startswith("Secret good not rotated since ") and "(limit 90 days)" in message
    status, message = later[("aws-secretsmanager-secret-used", plain)]
    assert status == "fail" and message.startswith("Secret plain not read since ")


def test_certificates(account: Any) -> None:
    ids, c = account
    got = verdicts(c, "aws.acm.certificate")
    expiring = only(got, "aws-acm-not-expiring")
    status, message = expiring[ids["cert_soon"]]
    assert status == "fail" and message in (
        f"Certificate rsa2048-10d.example.com expires in {d} days (minimum 30)" for d in (9, 10))
    assert expiring[ids["cert_long"]][0] == "pass"
    assert expiring[ids["cert_ct_on"]][0] == "notapplicable"  # pending validation: no validity yet
    keys = only(got, "aws-acm-key-strength")
    assert keys[ids["cert_weak"]][0] == "fail" and keys[ids["cert_weak"]][1].startswith(
        "Certificate rsa1024-400d.example.com uses a weak key RSA")
    assert keys[ids["cert_long"]][0] == "pass"
    ct = only(got, "aws-acm-transparency-logging")
    assert ct[ids["cert_ct_off"]] == (
        "fail", "Certificate cert_ct_off.example.com opts out of certificate transparency logging")
    assert ct[ids["cert_ct_on"]][0] == "pass"
    assert ids["cert_long"] not in ct  # imported: ACM does not log it
    assert {v[0] for v in only(got, "aws-acm-in-use-valid").values()} == {"notapplicable"}  # nothing uses them


def test_ssm_documents(account: Any) -> None:
    _, c = account
    got = only(verdicts(c, "aws.ssm.document"), "aws-ssm-document-not-public")
    arn = f"arn:aws:ssm:{R}:{ACCOUNT}:document/"
    assert got[arn + "shared-public"] == ("fail", "Document shared-public is shared publicly")
    assert got[arn + "shared-partner"] == ("pass", f"Document shared-partner is shared with {PARTNER}")


def test_organizations_standalone_account_fails(account: Any) -> None:
    _, c = account
    got = verdicts(c, "aws.organizations.account_org")
    rid = f"arn:aws:organizations::{ACCOUNT}:account-org"
    assert got[("aws-organizations-member", rid)] == ("fail", f"Account {ACCOUNT} is not in an AWS Organization")
    assert got[("aws-organizations-scp-enabled", rid)][0] == "fail"
    assert got[("aws-organizations-root-restrictive-scp", rid)] == (
        "fail", f"Account {ACCOUNT}: no SCP but FullAWSAccess at the organization root (attached: none)")


def test_organizations_management_account(moto: None) -> None:
    org = boto3.client("organizations")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = org.list_roots()["Roots"][0]["Id"]
    rid = f"arn:aws:organizations::{ACCOUNT}:account-org"
    c = collect(f"aws:///{R}", types=["aws.organizations.account_org"])
    got = verdicts(c, "aws.organizations.account_org")
    assert got[("aws-organizations-member", rid)] == ("pass", f"Account {ACCOUNT} belongs to organization {org_id}")
    assert got[("aws-organizations-scp-enabled", rid)][0] == "fail"  # the type is not enabled yet
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    c = collect(f"aws:///{R}", types=["aws.organizations.account_org"])
    got = verdicts(c, "aws.organizations.account_org")
    assert got[("aws-organizations-scp-enabled", rid)] == ("pass", f"Organization {org_id} has SCPs enabled")
    assert got[("aws-organizations-root-restrictive-scp", rid)] == (
        "fail", f"Account {ACCOUNT}: no SCP but FullAWSAccess at the organization root (attached: FullAWSAccess)")
    guard = org.create_policy(Name="deny-leave", Type="SERVICE_CONTROL_POLICY", Description="guardrail",
                              Content=doc({"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                                           "Resource": "*"}))["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=guard, TargetId=root)
    c = collect(f"aws:///{R}", types=["aws.organizations.account_org"])
    got = verdicts(c, "aws.organizations.account_org")
    assert got[("aws-organizations-root-restrictive-scp", rid)] == ("pass", "Organization root has SCPs deny-leave")


def seeded_account_expected(s: Any) -> set[tuple[str, str, str]]:
    """What the identity, keys and secrets controls find on conftest.seed_account (for test_scan)."""
    target = f"aws://{ACCOUNT}/us-east-1,eu-west-1"
    pol = lambda n: f"arn:aws:iam::{ACCOUNT}:policy/{n}"  # noqa: E731
    org = f"arn:aws:organizations::{ACCOUNT}:account-org"
    group = f"arn:aws:iam::{ACCOUNT}:group/readers"
    out = {(cid, f"{target}/{r}", "error") for r in ("us-east-1", "eu-west-1")  # moto has no Access Analyzer
           for cid in ("aws-accessanalyzer-enabled", "aws-accessanalyzer-no-active-findings")}
    none_seen = [f"aws-acm-{c}" for c in ("in-use-valid", "key-strength", "not-expiring", "transparency-logging")] + [
        f"aws-iam-inline-{c}" for c in ("no-admin", "no-assume-role-all", "no-cloudtrail-full-access",
                                         "no-kms-decrypt-all", "no-kms-full-access", "no-notaction-allow",
                                         "no-passrole-all", "no-privilege-escalation")] + [
        f"aws-iam-role-{c}" for c in ("cross-account-external-id", "no-admin", "no-cross-account-readonly",
                                       "service-confused-deputy", "trust-not-public", "unused")] + [
        f"aws-secretsmanager-{c}" for c in ("cmk", "not-public", "rotated-recently", "rotation-enabled",
                                             "rotation-interval", "secret-used")] + ["aws-ssm-document-not-public"]
    out |= {(cid, target, "notapplicable") for cid in none_seen}
    for c in ("no-assume-role-all", "no-cloudtrail-full-access", "no-kms-decrypt-all", "no-kms-full-access",
              "no-passrole-all", "no-privilege-escalation"):
        out |= {(f"aws-iam-policy-{c}", pol("admin-all"), "fail"), (f"aws-iam-policy-{c}", pol("s3-reader"), "pass")}
    out |= {("aws-iam-policy-no-notaction-allow", pol("admin-all"), "pass"),
            ("aws-iam-policy-no-notaction-allow", pol("s3-reader"), "pass"),
            ("aws-iam-policy-unattached-no-admin", pol("unused-admin"), "fail"),
            ("aws-iam-group-has-members", group, "pass"), ("aws-iam-group-no-admin", group, "pass"),
            ("aws-iam-user-no-admin", f"arn:aws:iam::{ACCOUNT}:user/bob", "fail"),
            ("aws-iam-user-no-admin", f"arn:aws:iam::{ACCOUNT}:user/alice", "pass"),
            ("aws-iam-user-no-admin", f"arn:aws:iam::{ACCOUNT}:user/carol", "pass"),
            ("aws-organizations-member", org, "fail"), ("aws-organizations-root-restrictive-scp", org, "fail"),
            ("aws-organizations-scp-enabled", org, "fail")}
    for k in (s["rotated_key"], s["stale_key"]):
        for cid in ("aws-kms-key-no-cross-account", "aws-kms-key-not-disabled", "aws-kms-key-not-public",
                    "aws-kms-key-single-region"):
            out.add((cid, f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{k}", "pass"))
    return out


def test_collectors_match_their_declarations(account: Any) -> None:
    from checks.aws.provider import AwsProvider
    from scanner.resource_types import value_problems

    _, c = account
    kinds = {k.name: k for k in AwsProvider().kinds()}
    problems = [f"{res.id}: {p}" for rtype in TYPES for res in c.resources[rtype]
                for p in value_problems(kinds[rtype].schema(), res.attrs, open_top=bool(kinds[rtype].open_attributes))]
    assert problems == []
    assert all(r.region is None for t in TYPES if not kinds[t].identity.region for r in c.resources[t])
