"""Pure helpers that derive booleans from AWS policy documents and settings.

Kept separate from the collectors so they can be tested on literal documents.
"""

from __future__ import annotations

import json
import re
from typing import Any

BLOCK_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def as_list(value: Any) -> list[Any]:
    """A policy field that may be one value or a list, as a list (None: empty)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def as_document(document: Any) -> dict[str, Any]:
    """A policy document as a dict (parsed from JSON text when needed; {} when unparsable)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return {}
    return document if isinstance(document, dict) else {}


def statements(document: Any) -> list[dict[str, Any]]:
    """The statements of a policy document (a JSON string or a dict), always as a list."""
    return [s for s in as_list(as_document(document).get("Statement")) if isinstance(s, dict)]


_EVERY_ACTION = re.compile(r"\*+(:\*+)?")
_EVERY_RESOURCE = re.compile(r"\*|arn:(\*|aws[a-z-]*)(:\*)+(/\*)?")


def _every_action(patterns: list[Any]) -> bool:
    """Some pattern matches every action (``*``, ``*:*``)."""
    return any(isinstance(p, str) and _EVERY_ACTION.fullmatch(p) for p in patterns)


def _every_resource(patterns: list[Any]) -> bool:
    return any(isinstance(p, str) and _EVERY_RESOURCE.fullmatch(p) for p in patterns)


def allows_full_admin(document: Any) -> bool | None:
    """Whether an Allow statement grants every action on every resource (CIS 1.16), fail closed.

    ``Action: "*"`` (or ``*:*``) counts, and so does ``NotAction``: an Allow with ``NotAction``
    grants every action not listed (``NotAction: iam:*`` still grants ``organizations:*``,
    ``sts:AssumeRole``...), so it is administrative unless its list excludes every action.
    ``NotResource`` likewise covers every resource unless it lists ``*``. ``None`` when the
    document is missing or not a policy (unknown, never a pass).
    """
    doc = as_document(document)
    if not doc or "Statement" not in doc:
        return None
    for st in statements(doc):
        if st.get("Effect") != "Allow":
            continue
        if "NotResource" in st:
            every_resource = not _every_resource(as_list(st.get("NotResource")))
        else:
            every_resource = _every_resource(as_list(st.get("Resource")))
        if "NotAction" in st:
            every_action = not _every_action(as_list(st.get("NotAction")))
        else:
            every_action = _every_action(as_list(st.get("Action")))
        if every_action and every_resource:
            return True
    return False


def all_blocked(cfg: dict[str, Any] | None) -> bool:
    """All four S3 public access block settings are true."""
    return bool(cfg) and all(bool(cfg.get(k)) for k in BLOCK_KEYS)  # type: ignore[union-attr]


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in as_list(principal.get("AWS"))
    return False


def denies_insecure_transport(document: Any, bucket: str) -> bool:
    """True when the bucket policy denies every request made without TLS (CIS 2.1.1).

    A statement counts when it is ``Deny`` for everyone, on ``s3:*`` (or ``*``), covering the bucket
    objects, with ``Bool`` (or ``BoolIfExists``) ``aws:SecureTransport`` = ``false``.
    """
    for st in statements(document):
        if st.get("Effect") != "Deny" or not _is_everyone(st.get("Principal")):
            continue
        if not {"s3:*", "*"} & set(as_list(st.get("Action"))):
            continue
        resources = as_list(st.get("Resource"))
        if not any(r in (f"arn:aws:s3:::{bucket}/*", "*") or r.endswith(f":s3:::{bucket}/*") for r in resources):
            continue
        cond = st.get("Condition") or {}
        for op in ("Bool", "BoolIfExists"):
            val = (cond.get(op) or {}).get("aws:SecureTransport")
            if str(as_list(val)[0] if as_list(val) else "").lower() == "false":
                return True
    return False


def acl_public(grants: list[dict[str, Any]]) -> bool:
    """An ACL grant to AllUsers or AuthenticatedUsers (anyone with an AWS account)."""
    groups = ("http://acs.amazonaws.com/groups/global/AllUsers",
              "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
    return any((g.get("Grantee") or {}).get("URI") in groups for g in grants)
