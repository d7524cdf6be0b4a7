"""CloudWatch Logs JSON filter patterns, parsed into normalised conditions, and the CIS event sets.

A metric filter "covers" a CIS recommendation when every CloudTrail event the recommendation means
is matched by the filter. The pattern is parsed (never string-compared) into disjunctive normal
form: a set of alternatives, each a set of conditions ``(field, op, value)``. The filter covers the
CIS set when every CIS alternative implies some filter alternative, i.e. each condition of that filter
alternative follows from the CIS alternative's conditions. That is sound (a covered set is really
matched) and insensitive to order, spacing, quoting, redundant parentheses and extra alternatives.

Understood forms: ``{ ... }`` JSON patterns with selectors ``$.a.b`` (also ``$.a[0]``), the operators
``=`` and ``!=`` with quoted or bare values (``*`` wildcards in a value), ``NOT EXISTS`` and
``IS NULL``, numeric comparisons (parsed but never implied), ``&&``, ``||`` and parentheses. Mixing
``&&`` and ``||`` at one level without parentheses is rejected as ambiguous, as are space-delimited
and plain-text patterns, regular-expression values (``%...%``) are parsed but imply nothing.
Anything else is unparsable: it is never a match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PATTERN = 2048
MAX_DEPTH = 16
MAX_ALTERNATIVES = 512

Cond = tuple[str, str, str]
"""(selector, operator, value): ``("eventName", "=", "CreateTrail")``; value ``""`` for unary ops."""
Dnf = frozenset[frozenset[Cond]]


class PatternError(ValueError):
    """The pattern is not a JSON filter pattern this parser understands."""


_TOKEN = re.compile(r"""\s*(?:(?P<sel>\$(?:\.[A-Za-z0-9_\-@]+|\[\d+\])+)|(?P<op>!=|>=|<=|=|>|<)
    |(?P<and>&&)|(?P<or>\|\|)|(?P<lp>\()|(?P<rp>\))|(?P<ne>NOT\s+EXISTS\b)|(?P<null>IS\s+NULL\b)
    |(?P<q>"(?:[^"\\]|\\.)*")|(?P<bare>[^\s()&|="!<>]+))""", re.X)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _tokens(body: str) -> list[_Tok]:
    out, pos = [], 0
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        m = _TOKEN.match(body, pos)
        if not m or m.end() == pos:
            raise PatternError(f"unexpected text at offset {pos}")
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind)))
        pos = m.end()
    return out


_NAMES = {"sel": "a selector ($.field)", "op": "an operator", "bare": "a value", "rp": "')'"}


class _Parser:
    def __init__(self, toks: list[_Tok]):
        self.toks, self.i = toks, 0

    def peek(self) -> str | None:
        return self.toks[self.i].kind if self.i < len(self.toks) else None

    def take(self, kind: str) -> _Tok:
        if self.peek() != kind:
            raise PatternError(f"expected {_NAMES.get(kind, kind)} at token {self.i + 1}")
        self.i += 1
        return self.toks[self.i - 1]

    def expr(self, depth: int) -> Dnf:
        if depth > MAX_DEPTH:
            raise PatternError("parentheses nested too deeply")
        parts, ops = [self.term(depth)], set()
        while self.peek() in ("and", "or"):
            ops.add(self.take(self.peek() or "").kind)
            parts.append(self.term(depth))
        if len(ops) > 1:
            raise PatternError("&& and || mixed without parentheses")
        if ops == {"or"}:
            return _limit(frozenset().union(*parts))
        out: Dnf = parts[0]
        for p in parts[1:]:
            out = _limit(frozenset(a | b for a in out for b in p))
        return out

    def term(self, depth: int) -> Dnf:
        if self.peek() == "lp":
            self.take("lp")
            inner = self.expr(depth + 1)
            self.take("rp")
            return inner
        sel = self.take("sel").text[2:]
        if self.peek() in ("ne", "null"):
            op = "NOT EXISTS" if self.take(self.peek() or "").kind == "ne" else "IS NULL"
            return frozenset({frozenset({(sel, op, "")})})
        op = self.take("op").text
        if self.peek() == "q":
            value = re.sub(r"\\(.)", r"\1", self.take("q").text[1:-1])
        else:
            value = self.take("bare").text
        return frozenset({frozenset({(sel, op, value)})})


def _limit(d: Dnf) -> Dnf:
    if len(d) > MAX_ALTERNATIVES:
        raise PatternError(f"more than {MAX_ALTERNATIVES} alternatives")
    return d


def parse(pattern: str) -> Dnf:
    """The pattern's alternatives (DNF); raises :class:`PatternError` when not understood."""
    if len(pattern) > MAX_PATTERN:
        raise PatternError(f"longer than {MAX_PATTERN} characters")
    text = pattern.strip()
    if not (text.startswith("{") and text.endswith("}")):
        raise PatternError("not a JSON filter pattern ({ ... })")
    p = _Parser(_tokens(text[1:-1]))
    if p.peek() is None:
        raise PatternError("empty pattern")
    out = p.expr(0)
    if p.peek() is not None:
        raise PatternError(f"unexpected {p.toks[p.i].text!r}")
    return out


def _wild(v: str) -> bool:
    return "*" in v or v.startswith("%")


def _implied(f: Cond, known: frozenset[Cond]) -> bool:
    """Whether condition ``f`` holds for every event satisfying all of ``known``."""
    sel, op, val = f
    if val.startswith("%"):  # a regular expression: implies nothing here
        return False
    if f in known:
        return True
    for ksel, kop, kval in known:
        if ksel != sel or _wild(kval):
            continue
        if op == "=" and kop == "=" and "*" in val and not val.startswith("%"):
            # only * is a wildcard in CloudWatch (not fnmatch's ? or [...])
            if re.fullmatch(".*".join(map(re.escape, val.split("*"))), kval, re.S):
                return True
        if op == "!=" and kop == "=" and not _wild(val) and kval != val:
            return True
    return False


def covers(filter_dnf: Dnf, required: Dnf) -> bool:
    """Every required alternative implies some alternative of the filter."""
    return all(any(all(_implied(f, req) for f in alt) for alt in filter_dnf) for req in required)


def _names(source: str, *names: str, extra: tuple[Cond, ...] = ()) -> Dnf:
    return frozenset(frozenset({("eventSource", "=", source), ("eventName", "=", n), *extra}) for n in names)


# The event sets of CIS AWS Foundations v7.0 section 5 (5.1-5.15), as alternatives. Where CIS names
# event names only, the event source those names come from is added (an event named CreateTrail
# always comes from cloudtrail.amazonaws.com), so filters with or without the source both cover it.
_EC2 = "ec2.amazonaws.com"
CIS_EVENTS: dict[str, tuple[str, str, Dnf]] = {
    "unauthorized_api_calls": ("5.1", "unauthorized API calls", frozenset(
        frozenset({("errorCode", "=", code), ("sourceIPAddress", "!=", "delivery.logs.amazonaws.com"),
                   ("eventName", "!=", "HeadBucket")})
        for code in ("Client.UnauthorizedOperation", "UnauthorizedOperation", "AccessDenied",
                     "AccessDeniedException"))),
    "console_signin_without_mfa": ("5.2", "console sign-in without MFA", frozenset({frozenset({
        ("eventSource", "=", "signin.amazonaws.com"), ("eventName", "=", "ConsoleLogin"),
        ("additionalEventData.MFAUsed", "!=", "Yes"), ("userIdentity.type", "=", "IAMUser"),
        ("responseElements.ConsoleLogin", "=", "Success")})})),
    "root_usage": ("5.3", "root account usage", frozenset({frozenset({
        ("userIdentity.type", "=", "Root"), ("userIdentity.invokedBy", "NOT EXISTS", ""),
        ("eventType", "!=", "AwsServiceEvent")})})),
    "iam_policy_changes": ("5.4", "IAM policy changes", _names(
        "iam.amazonaws.com", "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy",
        "PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion",
        "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
        "AttachGroupPolicy", "DetachGroupPolicy")),
    "cloudtrail_changes": ("5.5", "CloudTrail configuration changes", _names(
        "cloudtrail.amazonaws.com", "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")),
    "console_auth_failures": ("5.6", "console authentication failures", frozenset({frozenset({
        ("eventSource", "=", "signin.amazonaws.com"), ("eventName", "=", "ConsoleLogin"),
        ("errorMessage", "=", "Failed authentication")})})),
    "cmk_disable_or_deletion": ("5.7", "disabling or scheduled deletion of customer managed keys", _names(
        "kms.amazonaws.com", "DisableKey", "ScheduleKeyDeletion")),
    "s3_bucket_policy_changes": ("5.8", "S3 bucket policy changes", _names(
        "s3.amazonaws.com", "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle",
        "PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle",
        "DeleteBucketReplication")),
    "config_changes": ("5.9", "AWS Config configuration changes", _names(
        "config.amazonaws.com", "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel",
        "PutConfigurationRecorder")),
    "security_group_changes": ("5.10", "security group changes", _names(
        _EC2, "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup")),
    "nacl_changes": ("5.11", "network ACL changes", _names(
        _EC2, "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation")),
    "network_gateway_changes": ("5.12", "network gateway changes", _names(
        _EC2, "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway",
        "CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway")),
    "route_table_changes": ("5.13", "route table changes", _names(
        _EC2, "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation",
        "DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable")),
    "vpc_changes": ("5.14", "VPC changes", _names(
        _EC2, "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink", "EnableVpcClassicLink")),
    "organizations_changes": ("5.15", "AWS Organizations changes", _names(
        "organizations.amazonaws.com", "AcceptHandshake", "AttachPolicy", "CreateAccount",
        "CreateOrganizationalUnit", "CreatePolicy", "DeclineHandshake", "DeleteOrganization",
        "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType",
        "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount", "RemoveAccountFromOrganization",
        "UpdatePolicy", "UpdateOrganizationalUnit")),
}
