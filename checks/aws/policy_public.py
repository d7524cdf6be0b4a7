"""Resource policies (VPC endpoint, Lambda, ECR...) that let anyone in: statements open to every principal.

A statement is public when it allows (``Effect: Allow``) every principal (``"*"``, ``{"AWS": "*"}``,
or ``NotPrincipal``, which allows everyone not listed) and no condition narrows who may use it to
known accounts, organisations, networks or source resources. A condition narrows only with a
positive operator (``StringEquals``, ``ArnLike``, ``IpAddress``..., not a ``Not`` operator) on a
key that identifies the caller or its origin, and only with values that are not wildcards
(``aws:SourceIp`` ``0.0.0.0/0`` narrows nothing).
"""

from __future__ import annotations

from typing import Any

from checks.aws.policydoc import as_document, as_list, statements
from checks.aws.resource_policy import public_principal

_NARROWING_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalArn", "aws:userid",
    "aws:SourceAccount", "aws:SourceOwner", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths",
    "aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp", "aws:VpcSourceIp", "aws:PrincipalServiceName"))
_WIDE = {"*", "0.0.0.0/0", "::/0", "arn:aws:*", "arn:*"}


def _narrowed(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for op, clauses in condition.items():
        name = str(op).split(":")[-1].lower()
        if name.startswith(("stringnot", "arnnot", "notipaddress")) or name == "null" or not isinstance(clauses, dict):
            continue
        if not name.startswith(("stringequals", "stringlike", "arnequals", "arnlike", "ipaddress")):
            continue
        for key, values in clauses.items():
            vals = [str(v) for v in as_list(values)]
            if str(key).lower() in _NARROWING_KEYS and vals and not any(v in _WIDE for v in vals):
                return True
    return False


def public_statements(document: Any) -> list[str] | None:
    """The Sids (or ``#<index>``) of the statements open to everyone; None when the document is unreadable."""
    doc = as_document(document)
    if not doc or "Statement" not in doc:
        return None
    out = []
    for i, st in enumerate(statements(doc)):
        if st.get("Effect") == "Allow" and public_principal(st) and not _narrowed(st.get("Condition")):
            out.append(str(st.get("Sid") or f"#{i}"))
    return out
