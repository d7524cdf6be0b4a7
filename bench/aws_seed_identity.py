"""Benchmark seed plug-in: identity, keys and secrets (IAM roles and policies, KMS key policies, Secrets
Manager, ACM, SSM documents, Organizations), every other resource weak.

``seed(client, scale)`` creates about ``scale`` resources of each kind through ``client(service)`` (boto3
clients on the moto server, us-east-1); ``PAIRS`` are the govscan controls whose verdicts must equal
Prowler's on these resources (only pairs whose semantics agree on what is seeded: Prowler's
AdministratorAccess-by-name checks are left out, since govscan also fails customer admin policies).
"""

from __future__ import annotations

import json
from typing import Any, Callable

ACCOUNT = "123456789012"
PARTNER = "111122223333"

PAIRS: dict[str, tuple[tuple[str, ...], str]] = {
    "aws-iam-role-service-confused-deputy": (("iam_role_cross_service_confused_deputy_prevention",), "resource"),
    "aws-iam-policy-no-privilege-escalation": (("iam_policy_allows_privilege_escalation",), "resource"),
    "aws-iam-policy-no-kms-full-access": (("iam_policy_no_full_access_to_kms",), "resource"),
    "aws-iam-policy-no-cloudtrail-full-access": (("iam_policy_no_full_access_to_cloudtrail",), "resource"),
    "aws-iam-policy-no-assume-role-all": (("iam_no_custom_policy_permissive_role_assumption",), "resource"),
    "aws-iam-policy-unattached-no-admin": (("iam_customer_unattached_policy_no_administrative_privileges",),
                                           "resource"),
    "aws-kms-key-not-public": (("kms_key_not_publicly_accessible",), "resource"),
    "aws-kms-key-not-disabled": (("kms_cmk_are_used",), "resource"),
    "aws-secretsmanager-rotation-enabled": (("secretsmanager_automatic_rotation_enabled",), "resource"),
    "aws-secretsmanager-not-public": (("secretsmanager_not_publicly_accessible",), "resource"),
    "aws-acm-transparency-logging": (("acm_certificates_transparency_logs_enabled",), "resource"),
    "aws-ssm-document-not-public": (("ssm_documents_set_as_public",), "resource"),
    "aws-organizations-member": (("organizations_account_part_of_organizations",), "account"),
}
PROWLER_SERVICES: tuple[str, ...] = ("iam", "kms", "secretsmanager", "acm", "ssm", "organizations")


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


_WEAK_POLICIES = (
    _doc(_allow(["iam:CreatePolicyVersion", "iam:GetPolicy"])),
    _doc(_allow("kms:*")),
    _doc(_allow("cloudtrail:*")),
    _doc(_allow("sts:AssumeRole")),
)
_GOOD_POLICY = _doc(_allow("s3:GetObject", "arn:aws:s3:::bench-data/*"))
_DOCUMENT = json.dumps({"schemaVersion": "2.2", "description": "bench", "mainSteps": [
    {"action": "aws:runShellScript", "name": "run", "inputs": {"runCommand": ["true"]}}]})


def seed(client: Callable[[str], Any], scale: int) -> dict[str, int]:
    iam, kms, sm, acm, ssm = (client(s) for s in ("iam", "kms", "secretsmanager", "acm", "ssm"))
    n = max(2, scale)
    counts = dict.fromkeys(("roles", "policies", "keys", "secrets", "certificates", "documents"), 0)
    for i in range(n):
        weak = i % 2 == 0
        condition = {} if weak else {"Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}
        iam.create_role(RoleName=f"bench-svc-{i}", AssumeRolePolicyDocument=_doc(
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
             **condition}))
        counts["roles"] += 1
        body = _WEAK_POLICIES[(i // 2) % len(_WEAK_POLICIES)] if weak else _GOOD_POLICY
        arn = iam.create_policy(PolicyName=f"bench-policy-{i}", PolicyDocument=body)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName=f"bench-svc-{i}", PolicyArn=arn)
        iam.create_policy(PolicyName=f"bench-dormant-{i}",
                          PolicyDocument=_doc(_allow("*")) if weak else _GOOD_POLICY)
        counts["policies"] += 2

        key = kms.create_key(Description=f"bench-{i}")["KeyMetadata"]["KeyId"]
        owner = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
                 "Resource": "*"}
        extra = [{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}] if weak else []
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=_doc(owner, *extra))
        if i % 4 == 1:
            kms.disable_key(KeyId=key)
        counts["keys"] += 1

        name = f"bench-secret-{i}"
        sm.create_secret(Name=name, SecretString="not-a-secret")
        if weak:
            sm.put_resource_policy(SecretId=name, ResourcePolicy=_doc(
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue",
                 "Resource": "*"}))
        else:
            sm.rotate_secret(SecretId=name, RotationRules={"AutomaticallyAfterDays": 30})
        counts["secrets"] += 1

        acm.request_certificate(DomainName=f"bench-{i}.example.com", Options={
            "CertificateTransparencyLoggingPreference": "DISABLED" if weak else "ENABLED", "Export": "DISABLED"})
        counts["certificates"] += 1

        doc_name = f"bench-doc-{i}"
        ssm.create_document(Content=_DOCUMENT, Name=doc_name, DocumentType="Command")
        ssm.modify_document_permission(Name=doc_name, PermissionType="Share",
                                       AccountIdsToAdd=["all"] if weak else [PARTNER])
        counts["documents"] += 1
    return counts
