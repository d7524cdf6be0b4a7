"""What an IAM policy document grants, and who a resource or trust policy lets in (pure functions).

Without a full list of every AWS action, grants are decided by matching action patterns: an action
(or an action pattern such as ``iam:Put*``) is granted by an Allow statement whose ``Action`` pattern
covers it, or whose ``NotAction`` patterns cannot match it; an unconditional Deny in the same document
whose pattern covers it takes it away. Everything returns ``None`` for a missing or unparsable
document: unknown, never a pass.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from checks.aws.policy_public import public_indexes
from checks.aws.policydoc import _every_resource, allows_full_admin, as_document, as_list, statements

# Known privilege escalation paths: every action of one set together lets a principal raise its own
# privileges (the idea of Prowler's iam_policy_allows_privilege_escalation, after Rhino Security's
# research; the list is govscan's own).
ESCALATIONS: dict[str, tuple[str, ...]] = {
    "iam:* (every IAM action)": ("iam:*",),
    "iam:Put* (write any inline policy)": ("iam:Put*",),
    "create a new default policy version": ("iam:CreatePolicyVersion",),
    "switch a policy's default version": ("iam:SetDefaultPolicyVersion",),
    "create access keys for another user": ("iam:CreateAccessKey",),
    "set another user's console password": ("iam:CreateLoginProfile",),
    "change another user's console password": ("iam:UpdateLoginProfile",),
    "attach a policy to a user": ("iam:AttachUserPolicy",),
    "attach a policy to a group": ("iam:AttachGroupPolicy",),
    "attach a policy to a role": ("iam:AttachRolePolicy",),
    "write a user's inline policy": ("iam:PutUserPolicy",),
    "write a group's inline policy": ("iam:PutGroupPolicy",),
    "write a role's inline policy": ("iam:PutRolePolicy",),
    "join a group": ("iam:AddUserToGroup",),
    "rewrite a role's trust policy": ("iam:UpdateAssumeRolePolicy",),
    "pass a role to a new EC2 instance": ("iam:PassRole", "ec2:RunInstances"),
    "pass a role to a spot instance": ("iam:PassRole", "ec2:RequestSpotInstances"),
    "pass a role to a new Lambda function": ("iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"),
    "pass a role to a Lambda triggered by an event source": (
        "iam:PassRole", "lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
    "replace an existing Lambda function's code": ("lambda:UpdateFunctionCode",),
    "change an existing Lambda function's configuration": ("lambda:UpdateFunctionConfiguration",),
    "pass a role to a Glue development endpoint": ("iam:PassRole", "glue:CreateDevEndpoint"),
    "take over a Glue development endpoint": ("glue:UpdateDevEndpoint",),
    "pass a role to a CloudFormation stack": ("iam:PassRole", "cloudformation:CreateStack"),
    "pass a role to a Data Pipeline": ("iam:PassRole", "datapipeline:CreatePipeline",
                                       "datapipeline:PutPipelineDefinition"),
    "pass a role to a CodeStar project": ("iam:PassRole", "codestar:CreateProject"),
    "pass a role to a SageMaker notebook": ("iam:PassRole", "sagemaker:CreateNotebookInstance",
                                            "sagemaker:CreatePresignedNotebookInstanceUrl"),
    "open an existing SageMaker notebook": ("sagemaker:CreatePresignedNotebookInstanceUrl",),
    "pass a role to a CodeBuild project": ("iam:PassRole", "codebuild:CreateProject", "codebuild:StartBuild"),
    "pass a role to an ECS task": ("iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"),
    "run commands on instances through SSM": ("ssm:SendCommand",),
    "open a shell on instances through SSM": ("ssm:StartSession",),
    "push an SSH key to an instance": ("ec2-instance-connect:SendSSHPublicKey",),
    "assume a role and attach a policy to it": ("sts:AssumeRole", "iam:AttachRolePolicy"),
    "assume a role and write its inline policy": ("sts:AssumeRole", "iam:PutRolePolicy"),
}

_CONFUSED_DEPUTY_KEYS = frozenset(k.lower() for k in (
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths"))
_ACCOUNT = re.compile(r"^(\d{12})$|^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}|\*):")


def _doc(document: Any) -> dict[str, Any] | None:
    doc = as_document(document)
    return doc if doc and "Statement" in doc else None


def _covers(pattern: Any, action: str) -> bool:
    """The IAM action pattern covers every action ``action`` names (case-insensitive)."""
    return isinstance(pattern, str) and fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _may_overlap(pattern: Any, action: str) -> bool:
    """The pattern may match one of the actions ``action`` names (fail towards "overlaps")."""
    if not isinstance(pattern, str):
        return False
    p, a = pattern.lower(), action.lower()
    if not re.search(r"[*?]", p):
        return fnmatch.fnmatchcase(p, a)
    if "*" not in a:
        return fnmatch.fnmatchcase(a, p)
    pp, ap = re.split(r"[*?]", p)[0], a.split("*")[0]
    return pp.startswith(ap) or ap.startswith(pp)


def _statement_grants(st: dict[str, Any], action: str) -> bool:
    if "NotAction" in st:
        return not any(_may_overlap(p, action) for p in as_list(st.get("NotAction")))
    return any(_covers(p, action) for p in as_list(st.get("Action")))


def _denied(doc: dict[str, Any], action: str) -> bool:
    """An unconditional Deny on every resource covers the action."""
    return any(st.get("Effect") == "Deny" and not st.get("Condition") and "NotAction" not in st
               and "NotResource" not in st and _every_resource(as_list(st.get("Resource")))
               and any(_covers(p, action) for p in as_list(st.get("Action"))) for st in statements(doc))


def _on_all(st: dict[str, Any], resource: str | None) -> bool:
    """The statement applies to every resource (or to every resource matching ``resource``)."""
    if "NotResource" in st:
        return not any(isinstance(p, str) and p.strip() in ("*", resource) for p in as_list(st.get("NotResource")))
    pats = as_list(st.get("Resource"))
    return _every_resource(pats) or (resource is not None and any(_covers(p, resource) for p in pats))


def grants(document: Any, action: str, all_resources: bool = False, resource: str | None = None) -> bool | None:
    """Whether an Allow statement grants ``action`` (optionally on every resource), and no Deny removes it."""
    doc = _doc(document)
    if doc is None:
        return None
    for st in statements(doc):
        if st.get("Effect") != "Allow" or not _statement_grants(st, action):
            continue
        if all_resources and not _on_all(st, resource):
            continue
        if not _denied(doc, action):
            return True
    return False


def escalations(document: Any) -> list[str] | None:
    """The privilege escalation paths whose every action the document grants (on any resource)."""
    doc = _doc(document)
    if doc is None:
        return None
    return [name for name, actions in ESCALATIONS.items() if all(grants(doc, a) for a in actions)]


def full_service_access(document: Any, service: str) -> bool | None:
    """Every action of ``service`` (``kms:*``) is allowed on every resource."""
    return grants(document, f"{service}:*", all_resources=True)


def allow_notaction_on_all(document: Any) -> bool | None:
    """Some Allow statement uses ``NotAction`` on every resource (grants all but a list)."""
    doc = _doc(document)
    if doc is None:
        return None
    return any(st.get("Effect") == "Allow" and "NotAction" in st and _on_all(st, None) for st in statements(doc))


KMS_ALL_KEYS = "arn:aws:kms:*:*:key/*"


def decrypt_all_keys(document: Any) -> bool | None:
    """``kms:Decrypt`` or ``kms:ReEncryptFrom`` is allowed on every KMS key."""
    got = [grants(document, a, all_resources=True, resource=KMS_ALL_KEYS)
           for a in ("kms:Decrypt", "kms:ReEncryptFrom")]
    return None if None in got else any(got)


def _principals(st: dict[str, Any]) -> tuple[bool, list[str], list[str]]:
    """(everyone, AWS principal strings, service principals) of a statement."""
    p = st.get("Principal")
    if p == "*":
        return True, [], []
    if not isinstance(p, dict):
        return False, [], []
    aws = [str(x).strip() for x in as_list(p.get("AWS"))]
    return "*" in aws, aws, [str(x) for x in as_list(p.get("Service"))]


def _condition_keys(st: dict[str, Any]) -> set[str]:
    cond = st.get("Condition")
    if not isinstance(cond, dict):
        return set()
    return {str(k).lower() for ops in cond.values() if isinstance(ops, dict) for k in ops}


def account_of(principal: str) -> str | None:
    """The account id an AWS principal names (``*`` for every account), None when it names none."""
    m = _ACCOUNT.match(principal)
    return (m.group(1) or m.group(2)) if m else None


def public_statements(document: Any) -> list[int] | None:
    """Indexes of the public Allow statements (the one analyzer: checks/aws/policy_public.py)."""
    return public_indexes(document)


_ACCOUNT_KEYS = frozenset(k.lower() for k in ("aws:PrincipalAccount", "kms:CallerAccount", "aws:SourceAccount"))
_ORG_KEYS = frozenset(k.lower() for k in ("aws:PrincipalOrgID", "aws:SourceOrgID"))


def _condition_values(st: dict[str, Any], keys: frozenset[str]) -> list[str] | None:
    """The values of the condition keys ``keys`` under an equality operator (None when none is used)."""
    cond = st.get("Condition")
    found = None
    for op, entries in (cond.items() if isinstance(cond, dict) else ()):
        if not isinstance(entries, dict) or str(op).lower() not in ("stringequals", "stringequalsignorecase"):
            continue
        for k, vals in entries.items():
            if str(k).lower() in keys:
                found = (found or []) + [str(v) for v in as_list(vals)]
    return found


def other_accounts(document: Any, account: str) -> list[str] | None:
    """Who outside ``account`` an Allow statement admits: account ids, ``org:<id>`` for an organisation
    condition on a ``*`` principal, ``*`` for any account."""
    doc = _doc(document)
    if doc is None:
        return None
    found: set[str] = set()
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        everyone, aws, _ = _principals(st)
        if everyone:  # `*` narrowed by an account or organisation condition admits only those
            accounts, orgs = _condition_values(st, _ACCOUNT_KEYS), _condition_values(st, _ORG_KEYS)
            if accounts is not None:
                found.update(a for a in accounts if a != account)
            elif orgs is not None:
                found.update(f"org:{o}" for o in orgs)
            else:
                found.add("*")
        found.update(a for a in (account_of(x) for x in aws) if a and a not in (account, "*"))
        if any(account_of(x) == "*" for x in aws):
            found.add("*")
    return sorted(found)


def _assumes(st: dict[str, Any]) -> bool:
    return st.get("Effect") == "Allow" and _statement_grants(st, "sts:AssumeRole")


def trust_without_external_id(document: Any, account: str) -> list[str] | None:
    """Other accounts a trust policy lets assume the role without an ``sts:ExternalId`` condition."""
    doc = _doc(document)
    if doc is None:
        return None
    found: set[str] = set()
    for st in statements(doc):
        if not _assumes(st) or "sts:externalid" in _condition_keys(st):
            continue
        everyone, aws, _ = _principals(st)
        found.update({"*"} if everyone else {a for a in map(account_of, aws) if a and a != account})
    return sorted(found)


def is_service_role(document: Any) -> bool | None:
    """Every trust statement is an Allow of role assumption to AWS service principals only."""
    doc = _doc(document)
    if doc is None:
        return None
    sts = statements(doc)
    return bool(sts) and all(_assumes(st) and isinstance(st.get("Principal"), dict)
                             and set(st["Principal"]) == {"Service"} for st in sts)


def service_trust_unrestricted(document: Any, account: str) -> list[str] | None:
    """Service principals trusted without an aws:SourceAccount/SourceArn/SourceOrg* condition
    (a cross-service confused deputy); an aws:SourceAccount naming another account counts too."""
    doc = _doc(document)
    if doc is None:
        return None
    found: set[str] = set()
    for st in statements(doc):
        _, _, services = _principals(st)
        if not services or not _assumes(st):
            continue
        keys = _condition_keys(st) & _CONFUSED_DEPUTY_KEYS
        cond = st.get("Condition") or {}
        source_accounts = {str(v) for ops in cond.values() if isinstance(ops, dict)
                           for k, vals in ops.items() if str(k).lower() == "aws:sourceaccount" for v in as_list(vals)}
        if not keys or (source_accounts and source_accounts != {account}):
            found.update(services)
    return sorted(found)


# Attributes derived from a permissions policy document, shared by aws.iam.policy and
# aws.iam.inline_policy: (name, type, doc, function of the document).
DERIVED: tuple[tuple[str, str, str, Any], ...] = (
    ("allows_full_admin", "boolean", "an Allow statement grants every action on every resource: Action '*' (or "
     "NotAction not excluding '*') on Resource '*' (or NotResource not excluding '*')", allows_full_admin),
    ("allows_notaction_on_all", "boolean", "an Allow statement uses NotAction on every resource (grants every "
     "action but a list)", allow_notaction_on_all),
    ("privilege_escalations", "list", "the known privilege escalation paths whose every action is allowed",
     escalations),
    ("passrole_all_resources", "boolean", "iam:PassRole is allowed on every role (Resource '*')",
     lambda d: grants(d, "iam:PassRole", all_resources=True)),
    ("assume_role_all_resources", "boolean", "sts:AssumeRole is allowed on every role (Resource '*')",
     lambda d: grants(d, "sts:AssumeRole", all_resources=True)),
    ("kms_full_access", "boolean", "every KMS action (kms:*) is allowed on every resource",
     lambda d: full_service_access(d, "kms")),
    ("kms_decrypt_all_keys", "boolean", "kms:Decrypt or kms:ReEncryptFrom is allowed on every KMS key",
     decrypt_all_keys),
    ("cloudtrail_full_access", "boolean", "every CloudTrail action (cloudtrail:*) is allowed on every resource",
     lambda d: full_service_access(d, "cloudtrail")),
)


def derived(document: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The DERIVED attributes of a policy document, and the ones unknown (no readable document)."""
    attrs: dict[str, Any] = {}
    lost: dict[str, str] = {}
    for name, _, _, fn in DERIVED:
        value = fn(document)
        if value is None:  # no readable document: unknown, never a pass
            lost[name] = "the policy document is missing or unparsable"
        else:
            attrs[name] = value
    return attrs, lost
