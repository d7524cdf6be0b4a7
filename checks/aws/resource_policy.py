"""Resource policies of data services (SNS, SQS, EFS, OpenSearch, Backup vaults, S3 write grantees): who
they open to, as judged by the one public-policy analyzer (checks/aws/policy_public.py).

Pure functions over policy documents, tested on literal documents. Fail closed: a document that is
present but not a policy, or a statement the analyzer cannot judge, gives ``None`` (unknown), never
"not public".
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from checks.aws.policy_public import public_indexes, public_principal, statement_public
from checks.aws.policydoc import as_document, as_list, statements


def _doc_or_none(document: Any) -> dict[str, Any] | None:
    doc = as_document(document)
    return doc if doc and "Statement" in doc else None


def public_statements(document: Any) -> list[str] | None:
    """The public Allow statements (checks/aws/policy_public.py), by Sid (or ``#<position>``, 1-based).

    ``[]``: none (an absent policy is passed as ``None`` by the caller only when AWS said there is
    none; here ``None``, an unparsable document or a statement that cannot be judged gives ``None``).
    """
    found = public_indexes(document)
    if found is None:
        return None
    sts = statements(document)
    return [str(sts[i].get("Sid") or f"#{i + 1}") for i in found]


def _action_matches(patterns: list[Any], action: str) -> bool:
    return any(isinstance(p, str) and fnmatchcase(action.lower(), p.lower()) for p in patterns)


def public_actions(document: Any, actions: tuple[str, ...]) -> list[str] | None:
    """Which of ``actions`` a public Allow statement grants (``NotAction`` included); ``None`` when the
    document is not a policy or a statement granting one of them cannot be judged."""
    doc = _doc_or_none(document)
    if doc is None:
        return None
    granted: list[str] = []
    for st in statements(doc):
        public = statement_public(st)
        if public is False:
            continue
        for action in actions:
            if "NotAction" in st:
                hit = not _action_matches(as_list(st.get("NotAction")), action)
            else:
                hit = _action_matches(as_list(st.get("Action")), action)
            if hit and public is None:
                return None  # a statement granting the action that cannot be judged: unknown
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


def _grantees(st: dict[str, Any]) -> list[str] | None:
    """The accounts an Allow statement names: ``*`` for everyone (unless a condition bounds it),
    an account id for ``AWS`` principals (ids or ARNs), ``canonical:<id>`` for canonical users.
    Service principals (``logging.s3.amazonaws.com``) are AWS itself and not listed. ``None``: the
    statement cannot be judged."""
    everyone = public_principal(st)
    if everyone is None:
        return None
    if everyone:
        public = statement_public(st)
        return None if public is None else ["*"] if public else []
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
            grantees = _grantees(st)
            if grantees is None:
                return None
            found.update(g for g in grantees if g != account)
    return sorted(found)
