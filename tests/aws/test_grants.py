"""What a policy document grants (checks/aws/grants.py), on literal documents."""

from __future__ import annotations

from typing import Any

from checks.aws.grants import (decrypt_all_keys, escalations, full_service_access, grants, is_service_role,
                               other_accounts, public_statements, service_trust_unrestricted,
                               trust_without_external_id)

ME, THEM = "123456789012", "111122223333"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_action_patterns_cover_only_what_they_name() -> None:
    assert grants(doc({"Effect": "Allow", "Action": "iam:Pass*", "Resource": "*"}), "iam:PassRole") is True
    assert grants(doc({"Effect": "Allow", "Action": "IAM:passrole", "Resource": "*"}), "iam:PassRole") is True
    # iam:Put* needs every Put action: one of them is not all of them
    assert grants(doc({"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "*"}), "iam:Put*") is False
    assert grants(doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}), "iam:Put*") is True


def test_notaction_grants_what_it_cannot_exclude() -> None:
    d = doc({"Effect": "Allow", "NotAction": ["iam:*", "s3:Delete*"], "Resource": "*"})
    assert grants(d, "kms:Decrypt") is True and grants(d, "iam:PassRole") is False
    assert grants(d, "s3:*") is False  # s3:Delete* might be among them: not every s3 action
    assert full_service_access(d, "kms") is True and full_service_access(d, "s3") is False


def test_unconditional_deny_removes_conditional_deny_does_not() -> None:
    allow = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    assert full_service_access(doc(allow, {"Effect": "Deny", "Action": "kms:*", "Resource": "*"}), "kms") is False
    assert full_service_access(doc(allow, {"Effect": "Deny", "Action": "kms:*", "Resource": "*",
                                           "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}),
                               "kms") is True


def test_resources_every_key_and_one_key() -> None:
    one = doc({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": f"arn:aws:kms:us-east-1:{ME}:key/abc"})
    assert decrypt_all_keys(one) is False
    every = doc({"Effect": "Allow", "Action": "kms:ReEncrypt*", "Resource": "arn:aws:kms:*:*:key/*"})
    assert decrypt_all_keys(every) is True
    assert decrypt_all_keys(doc({"Effect": "Allow", "Action": "kms:Decrypt", "NotResource": "arn:aws:kms:*:*:key/x"})) is True


def test_escalation_paths_need_every_action() -> None:
    assert escalations(doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})) == []
    assert escalations(doc({"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction",
                                                          "lambda:InvokeFunction"], "Resource": "*"})) == [
        "pass a role to a new Lambda function"]


def test_public_and_cross_account_principals() -> None:
    everyone = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    assert public_statements(doc(everyone)) == [0] and other_accounts(doc(everyone), ME) == ["*"]
    mine = dict(everyone, Condition={"StringEquals": {"kms:CallerAccount": ME}})
    assert public_statements(doc(mine)) == [] and other_accounts(doc(mine), ME) == []
    org = dict(everyone, Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})
    assert public_statements(doc(org)) == [] and other_accounts(doc(org), ME) == ["org:o-abc"]
    weak = dict(everyone, Condition={"StringLike": {"aws:UserAgent": "*"}})  # restricts nothing
    assert public_statements(doc(weak)) == [0]
    any_root = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "sts:AssumeRole"}
    assert public_statements(doc(any_root)) == [0] and trust_without_external_id(doc(any_root), ME) == ["*"]


def test_trust_external_id_and_service_roles() -> None:
    them = {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{THEM}:role/ci", ME]}, "Action": "sts:AssumeRole"}
    assert trust_without_external_id(doc(them), ME) == [THEM] and other_accounts(doc(them), ME) == [THEM]
    ext = dict(them, Condition={"StringEquals": {"sts:ExternalId": "x"}})
    assert trust_without_external_id(doc(ext), ME) == []
    svc = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert is_service_role(doc(svc)) is True and is_service_role(doc(svc, them)) is False
    assert service_trust_unrestricted(doc(svc), ME) == ["ec2.amazonaws.com"]
    other = dict(svc, Condition={"StringEquals": {"aws:SourceAccount": THEM}})
    assert service_trust_unrestricted(doc(other), ME) == ["ec2.amazonaws.com"]
    ok = dict(svc, Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:ec2:*:{ME}:*"}})
    assert service_trust_unrestricted(doc(ok), ME) == []
