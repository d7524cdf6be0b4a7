"""The one analyzer of who a resource policy opens to: is a statement public, not public, or unknown.

Used by every resource policy control (S3 bucket policies, SNS, SQS, Lambda, ECR, VPC endpoints, KMS key
policies, Secrets Manager, OpenSearch, EFS, Backup vaults, IAM role trust policies).

A statement is public when it allows (``Effect: Allow``) a public principal (``"*"``, ``{"AWS": "*"}``,
``arn:aws:iam::*:root``, ``{"CanonicalUser": "*"}``, ``{"Federated": "*"}``, or a ``NotPrincipal``,
which allows everyone not listed) and no condition clause bounds the callers to a named set:

- accounts (``aws:PrincipalAccount``, ``aws:SourceAccount``, ``aws:SourceOwner``, ``kms:CallerAccount``),
  organisations (``aws:PrincipalOrgID``, ``aws:SourceOrgID``, ``aws:PrincipalOrgPaths``,
  ``aws:SourceOrgPaths``: the organisation id must be named), ARNs (``aws:PrincipalArn``,
  ``aws:SourceArn``: the account field must be named, or for an ARN without one, such as an S3 bucket's,
  the resource must be), unique ids (``aws:userid``), networks (``aws:SourceVpc``, ``aws:SourceVpce``,
  ``aws:SourceIp`` with CIDRs that are not world-open, whatever their split: checks/aws/exposure.py);
- only with a positive operator (``StringEquals``, ``StringEqualsIgnoreCase``, ``StringLike``,
  ``ArnEquals``, ``ArnLike``, ``IpAddress``, also under ``ForAnyValue:``); not with a negated one
  (``StringNotEquals``: everyone but...), not ``...IfExists`` (a request without the key passes it),
  not ``ForAllValues:`` (true when the key is absent), not ``Null``, ``Bool``, numeric or date tests;
- only with values that name something: a value made only of wildcards (``*``) is read as "any" whatever
  the operator, and under ``...Like`` a wildcard in an account, organisation or VPC id widens it.

Keys that do not bound the caller do not restrict, e.g. ``aws:ResourceAccount`` (the owner of the resource,
always the policy's own account), ``aws:username`` (any account may have a user of that name),
``kms:ViaService``, ``aws:VpcSourceIp`` (any account's VPC may use the same private range),
``aws:PrincipalServiceName``, ``sts:ExternalId`` (not a secret).

Three-valued, fail closed: an unknown condition operator, a condition that is not a mapping, an unknown
``Effect`` or a malformed principal make the statement unknown (``None``), and a document that is not a
policy is unknown; unknown is never "not public". A statement is judged on its own: a ``Deny`` elsewhere
in the policy that would cut the grant back is not subtracted (towards "public").
"""

from __future__ import annotations

import re
from typing import Any

from checks.aws.exposure import world_open
from checks.aws.policydoc import as_document, as_list, statements


def unknown_reason(what: str) -> str:
    """The reason an attribute derived from the policy ``what`` is unknown (for attr_errors)."""
    return (f"{what} could not be judged: not a policy document, or a statement with an unknown condition "
            "operator, effect or principal")


_ACCOUNT_KEYS = frozenset(("aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "kms:calleraccount"))
_ORG_KEYS = frozenset(("aws:principalorgid", "aws:sourceorgid"))
_ORG_PATH_KEYS = frozenset(("aws:principalorgpaths", "aws:sourceorgpaths"))
_ARN_KEYS = frozenset(("aws:principalarn", "aws:sourcearn"))
_VPC_KEYS = frozenset(("aws:sourcevpc", "aws:sourcevpce"))
_USERID = "aws:userid"
_SOURCE_IP = "aws:sourceip"
BOUNDING_KEYS = _ACCOUNT_KEYS | _ORG_KEYS | _ORG_PATH_KEYS | _ARN_KEYS | _VPC_KEYS | {_USERID, _SOURCE_IP}

_STRING_POSITIVE = frozenset(("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"))
_OPERATORS = _STRING_POSITIVE | frozenset((
    "stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike",
    "numericequals", "numericnotequals", "numericlessthan", "numericlessthanequals", "numericgreaterthan",
    "numericgreaterthanequals", "dateequals", "datenotequals", "datelessthan", "datelessthanequals",
    "dategreaterthan", "dategreaterthanequals", "bool", "binaryequals", "ipaddress", "notipaddress", "null"))
_WILDCARD = re.compile(r"[*?]")
_ONLY_WILDCARDS = re.compile(r"[*?]*")
_ANY_ACCOUNT_ARN = re.compile(r"arn:aws[a-z-]*:(iam|sts)::\*:", re.IGNORECASE)


def public_principal(st: dict[str, Any]) -> bool | None:
    """The statement names everyone: ``"*"``, ``{"AWS": "*"}`` (or in a list, or ``arn:aws:iam::*:...``),
    ``{"CanonicalUser": "*"}``, ``{"Federated": "*"}``, or a ``NotPrincipal`` (everyone except the listed).
    ``None`` when the principal is neither a string nor a mapping of strings."""
    if "NotPrincipal" in st:
        return True
    principal = st.get("Principal")
    if principal is None:
        return False
    if isinstance(principal, str):  # "*", or one principal named bare (moto writes Lambda's account ids so)
        values = [principal]
    elif isinstance(principal, dict):
        values = [v for k in ("AWS", "CanonicalUser", "Federated", "Service") for v in as_list(principal.get(k))]
    else:
        return None
    if not all(isinstance(v, str) for v in values):
        return None
    return any(v.strip() == "*" or _ANY_ACCOUNT_ARN.match(v.strip()) for v in values)


def _names_something(key: str, value: str, like: bool) -> bool:
    """The condition value names a bounded set of callers for ``key``."""
    if _ONLY_WILDCARDS.fullmatch(value):
        return False
    if key in _ARN_KEYS:  # arn:partition:service:region:account:resource
        parts = value.split(":", 5)
        if len(parts) < 6 or not parts[0].lower() == "arn":
            return False
        named = parts[4] if parts[4] else parts[5]  # no account field (S3): the bucket must be named
        return bool(named) and not _WILDCARD.search(named)
    if key in _ORG_PATH_KEYS or key == _USERID:  # o-xxx/r-xxx/ou-...; AROAID:session: the head must be named
        head = re.split(r"[/:]", value, maxsplit=1)[0]
        return bool(head) and not _WILDCARD.search(head)
    return not (like and _WILDCARD.search(value))


def clause_bounds(operator: str, key: str, values: Any) -> bool | None:
    """Whether one condition clause (``operator: {key: values}``) bounds the callers; ``None``: unknown."""
    op = operator.lower()
    qualifier, _, base = op.rpartition(":")
    if qualifier not in ("", "foranyvalue", "forallvalues"):
        return None
    if_exists = base.endswith("ifexists")
    base = base[: -len("ifexists")] if if_exists else base
    if base not in _OPERATORS or (base == "null" and if_exists):
        return None
    vals = as_list(values)
    if not all(isinstance(v, (str, int, float)) for v in vals):  # JSON true/false/numbers are read as text
        return None  # a nested list or object: not a condition value
    k = key.lower()
    if if_exists or qualifier == "forallvalues" or k not in BOUNDING_KEYS or not vals:
        return False
    texts = [str(v).strip() for v in vals]
    if k == _SOURCE_IP:
        if base != "ipaddress":
            return False
        open_ = world_open(texts)
        return None if open_ is None else not open_
    if base not in _STRING_POSITIVE:
        return False
    like = base.endswith("like") or base == "arnequals"  # ArnEquals matches wildcards too
    return all(_names_something(k, t, like) for t in texts)


def condition_bounds(condition: Any) -> bool | None:
    """Whether a statement's ``Condition`` bounds the callers (every clause must hold, so one bounding
    clause is enough); ``None`` when no clause bounds and one cannot be judged."""
    if condition is None:
        return False
    if not isinstance(condition, dict):
        return None
    unknown = False
    for op, block in condition.items():
        if not isinstance(block, dict):
            unknown = True
            continue
        for key, values in block.items():
            got = clause_bounds(str(op), str(key), values)
            if got:
                return True
            unknown = unknown or got is None
    return None if unknown else False


def statement_public(st: dict[str, Any]) -> bool | None:
    """Whether the statement opens its actions to everyone (``None``: unknown)."""
    effect = st.get("Effect")
    if effect not in ("Allow", "Deny"):
        return None
    if effect == "Deny":
        return False
    everyone = public_principal(st)
    if not everyone:
        return everyone
    bounded = condition_bounds(st.get("Condition"))
    return None if bounded is None else not bounded


def public_indexes(document: Any) -> list[int] | None:
    """Indexes (0-based) of the public statements of a policy; ``None`` when the document is not a policy,
    or when no statement is public but one is unknown (unknown is never "not public")."""
    doc = as_document(document)
    if not doc or "Statement" not in doc:
        return None
    raw = as_list(doc.get("Statement"))
    if len(statements(doc)) != len(raw):
        return None  # a statement that is not a mapping
    verdicts = [statement_public(st) for st in statements(doc)]
    public = [i for i, v in enumerate(verdicts) if v]
    return public if public or None not in verdicts else None


def public_statements(document: Any) -> list[str] | None:
    """The Sids (or ``#<index>``, 0-based) of the public statements; ``None``: unknown (see public_indexes)."""
    found = public_indexes(document)
    if found is None:
        return None
    sts = statements(document)
    return [str(sts[i].get("Sid") or f"#{i}") for i in found]
