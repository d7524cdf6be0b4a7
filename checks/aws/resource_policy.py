"""Resource policies of data services (SNS, SQS, EFS, OpenSearch, Backup vaults): who they open to.

Pure functions over policy documents, tested on literal documents. Fail closed: a document that is
present but not a policy gives ``None`` (unknown), never "not public".
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from checks.aws.policydoc import as_document, as_list, statements

# Condition keys that pin the caller (or the calling resource) to named accounts, organisations,
# ARNs or networks. A public principal limited by one of them is not open to everyone.
_LIMITING_KEYS = frozenset(k.lower() for k in (
    "aws:SourceAccount", "aws:SourceOwner", "aws:PrincipalAccount", "aws:ResourceAccount", "aws:SourceArn",
    "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceOrgID", "aws:SourceOrgPaths",
    "aws:SourceVpc", "aws:SourceVpce"))
_ARN_KEYS = frozenset(("aws:sourcearn", "aws:principalarn"))
_POSITIVE_OPS = frozenset(("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"))
_ONLY_WILDCARDS = re.compile(r"[*?]*")


def public_principal(st: dict[str, Any]) -> bool:
    """The statement applies to everyone: ``Principal: "*"``, ``{"AWS": "*"}`` (or in a list),
    ``{"CanonicalUser": "*"}``, or a ``NotPrincipal`` (everyone except the listed)."""
    if "NotPrincipal" in st:
        return True
    principal = st.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in as_list(principal.get(k)) for k in ("AWS", "CanonicalUser", "Federated"))
    return False


def _limiting_value(key: str, value: Any) -> bool:
    if not isinstance(value, str) or _ONLY_WILDCARDS.fullmatch(value):
        return False
    if key in _ARN_KEYS:  # arn:partition:service:region:ACCOUNT:...: the account must be named
        parts = value.split(":")
        return len(parts) > 4 and bool(parts[4]) and not set(parts[4]) & {"*", "?"}
    return True


def limiting_condition(condition: Any) -> bool:
    """A condition block that pins the caller to named accounts, organisations, ARNs or VPCs.

    Only positive operators count (``StringEquals``, ``StringLike``, ``ArnEquals``, ``ArnLike``, also
    under ``ForAnyValue:``/``ForAllValues:``); ``...IfExists`` does not (a request without the key
    passes it), nor values made only of wildcards, nor ARNs whose account field is a wildcard.
    """
    if not isinstance(condition, dict):
        return False
    for op, block in condition.items():
        name = str(op).lower().split(":")[-1]
        if name not in _POSITIVE_OPS or not isinstance(block, dict):
            continue
        for key, values in block.items():
            k = str(key).lower()
            vals = as_list(values)
            if k in _LIMITING_KEYS and vals and all(_limiting_value(k, v) for v in vals):
                return True
    return False


def _doc_or_none(document: Any) -> dict[str, Any] | None:
    doc = as_document(document)
    return doc if doc and "Statement" in doc else None


def public_statements(document: Any) -> list[str] | None:
    """The Allow statements open to everyone without a limiting condition, by Sid (or position).

    ``[]``: none (an absent policy is passed as ``None`` by the caller only when AWS said there is
    none; here ``None`` or an unparsable document gives ``None``: unknown).
    """
    doc = _doc_or_none(document)
    if doc is None:
        return None
    out = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect") == "Allow" and public_principal(st) and not limiting_condition(st.get("Condition")):
            out.append(str(st.get("Sid") or f"#{i + 1}"))
    return out


def _action_matches(patterns: list[Any], action: str) -> bool:
    return any(isinstance(p, str) and fnmatchcase(action.lower(), p.lower()) for p in patterns)


def public_actions(document: Any, actions: tuple[str, ...]) -> list[str] | None:
    """Which of ``actions`` an unconditioned public Allow statement grants (``NotAction`` included);
    ``None`` when the document is not a policy."""
    doc = _doc_or_none(document)
    if doc is None:
        return None
    granted: list[str] = []
    for st in statements(doc):
        if st.get("Effect") != "Allow" or not public_principal(st) or limiting_condition(st.get("Condition")):
            continue
        for action in actions:
            if "NotAction" in st:
                hit = not _action_matches(as_list(st.get("NotAction")), action)
            else:
                hit = _action_matches(as_list(st.get("Action")), action)
            if hit and action not in granted:
                granted.append(action)
    return granted


def denies_insecure_transport(document: Any, service: str) -> bool | None:
    """A Deny for everyone on every action of ``service`` (``*`` or ``service:*``) when
    ``aws:SecureTransport`` is false (``Bool`` or ``BoolIfExists``). ``None`` when not a policy."""
    doc = _doc_or_none(document)
    if doc is None:
        return None
    for st in statements(doc):
        if st.get("Effect") != "Deny" or not public_principal(st) or "NotAction" in st:
            continue
        if not _action_matches(as_list(st.get("Action")), f"{service}:*"):
            continue
        cond = st.get("Condition") or {}
        for op in ("Bool", "BoolIfExists"):
            block = cond.get(op) if isinstance(cond, dict) else None
            for key, val in (block or {}).items() if isinstance(block, dict) else ():
                if str(key).lower() == "aws:securetransport" and [str(v).lower() for v in as_list(val)] == ["false"]:
                    return True
    return False


# Bucket policy actions that change or destroy data or its protection.
S3_WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl",
                    "s3:PutObjectRetention", "s3:BypassGovernanceRetention", "s3:PutBucketPolicy",
                    "s3:DeleteBucketPolicy", "s3:PutBucketAcl", "s3:DeleteBucket", "s3:PutLifecycleConfiguration",
                    "s3:PutBucketVersioning", "s3:PutBucketObjectLockConfiguration")
_ACCOUNT = re.compile(r"\d{12}")


def _grantees(st: dict[str, Any]) -> list[str]:
    """The accounts an Allow statement names: ``*`` for everyone (unless a condition limits it),
    an account id for ``AWS`` principals (ids or ARNs), ``canonical:<id>`` for canonical users.
    Service principals (``logging.s3.amazonaws.com``) are AWS itself and not listed."""
    if public_principal(st):
        return [] if limiting_condition(st.get("Condition")) else ["*"]
    principal = st.get("Principal")
    if not isinstance(principal, dict):
        return []
    out = []
    for value in as_list(principal.get("AWS")):
        text = str(value)
        parts = text.split(":")
        account = parts[4] if text.startswith("arn:") and len(parts) > 4 else text
        out.append(account if _ACCOUNT.fullmatch(account) else text)
    out += [f"canonical:{v}" for v in as_list(principal.get("CanonicalUser"))]
    return out


def write_grantees(document: Any, account: str) -> list[str] | None:
    """Other accounts (``*``: everyone) an Allow statement grants a write or delete action of
    :data:`S3_WRITE_ACTIONS` (``NotAction`` included), sorted; ``None`` when not a policy."""
    doc = _doc_or_none(document)
    if doc is None:
        return None
    found: set[str] = set()
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        if "NotAction" in st:
            writes = any(not _action_matches(as_list(st.get("NotAction")), a) for a in S3_WRITE_ACTIONS)
        else:
            writes = any(_action_matches(as_list(st.get("Action")), a) for a in S3_WRITE_ACTIONS)
        if writes:
            found.update(g for g in _grantees(st) if g != account)
    return sorted(found)
