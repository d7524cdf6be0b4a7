"""``aws-org://[PROFILE][/REGION[,REGION...]]``: every active account of an AWS Organization, one target each.

While planning, the profile's credentials (after any ``role_chain``: the management account or a
delegated administrator) list the Organization's accounts (``organizations:ListAccounts``, every
page). Each ``ACTIVE`` account becomes the ``aws://`` target a direct scan of that account gets
(``aws://<account>[/regions]``, so history, diff and waivers line up), reached by assuming
``role_name`` in it after the chain; the account the listing credentials belong to is scanned with
those credentials unless ``own_credentials: false``. Suspended, closed or pending accounts are not
scanned: they are listed under ``organization.skipped`` in every account target's facts. When the
accounts cannot be listed, the scan has one target ``aws-org://...`` whose collection reports why
(never a pass, never a silently empty Organization).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from scanner.errors import UsageError
from scanner.model import Target

SCHEME = "aws-org://"
DEFAULT_ROLE = "OrganizationAccountAccessRole"
DEFAULT_JOBS = 8
"""Collector threads per account of an Organization (``jobs``): with ``--jobs`` accounts at once."""
DEFAULT_CONCURRENCY = 8
"""In-flight API requests per account (``concurrency``): AWS throttles per account and API."""
MAX_ACCOUNTS = 10_000
ORG_OPTIONS = ("role_name", "own_credentials", "accounts")
_ROLE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-/")


@dataclass(frozen=True)
class OrgAccount:
    """One account of the listing (its e-mail address is not kept)."""

    id: str
    name: str
    state: str


@dataclass(frozen=True)
class OrgListing:
    caller_account: str
    partition: str
    accounts: tuple[OrgAccount, ...]


def list_accounts(options: Mapping[str, Any]) -> OrgListing:
    """The Organization's accounts as the listing credentials see them; raises ApiFailure or a
    botocore/boto3 exception (missing profile, no credentials) for the caller to report."""
    from checks.aws.session import AwsSession, call, paginate, parse_chain

    regions = list(options.get("regions") or [])
    session = AwsSession(options.get("profile"), parse_chain({"role_chain": options.get("role_chain")}),
                         max_attempts=int(options.get("max_attempts") or 6),
                         default_region=regions[0] if regions else None)
    ident = call(session.client("sts"), "GetCallerIdentity")
    accounts: list[OrgAccount] = []
    for page in paginate(session.client("organizations"), "ListAccounts"):
        for acct in page.get("Accounts") or []:
            accounts.append(OrgAccount(str(acct["Id"]), str(acct.get("Name") or ""),
                                       str(acct.get("State") or acct.get("Status") or "UNKNOWN").upper()))
            if len(accounts) > MAX_ACCOUNTS:
                raise UsageError(f"the Organization lists more than {MAX_ACCOUNTS} accounts")
    return OrgListing(str(ident["Account"]), str(ident["Arn"]).split(":")[1], tuple(accounts))


def _check(spec: str, options: Mapping[str, Any]) -> None:
    if options.get("role_arn"):
        raise UsageError(f"{spec}: an Organization target takes role_name (the role assumed in each account), "
                         "not role_arn")
    role = str(options.get("role_name") or DEFAULT_ROLE)
    if not set(role) <= _ROLE_NAME_CHARS or len(role) > 64 or role.startswith("/"):
        raise UsageError(f"{spec}: {role!r} is not an IAM role name")
    wanted = options.get("accounts")
    if wanted is not None and not (isinstance(wanted, list) and all(str(a).isdigit() for a in wanted)):
        raise UsageError(f"{spec}: accounts must be a list of 12-digit account ids")


def org_targets(spec: str, options: Mapping[str, Any],
                account_target: Callable[[str, Mapping[str, Any], bool], list[Target]]) -> list[Target]:
    """The targets of ``aws-org://...``; ``account_target`` parses an ``aws://`` spec (the provider's)."""
    _check(spec, options)
    profile, _, region_part = spec[len(SCHEME):].partition("/")
    base = {k: v for k, v in options.items() if k not in ORG_OPTIONS and k not in ("name", "role_arn")}
    base.setdefault("jobs", DEFAULT_JOBS)
    base.setdefault("concurrency", DEFAULT_CONCURRENCY)
    direct = f"aws://{profile}" + (f"/{region_part}" if region_part else "")
    # validates the profile, regions and chain exactly as aws:// does (raises UsageError)
    try:
        [probe] = account_target(direct, base, False)
    except UsageError as exc:
        raise UsageError(str(exc).replace(direct, spec, 1)) from None
    why = ""
    try:
        listing = list_accounts({**probe.options})
        odd = next((a.id for a in listing.accounts if not (len(a.id) == 12 and a.id.isdigit())), None)
        if odd is not None:
            why = f"organizations:ListAccounts returned {odd[:40]!r}, not a 12-digit account id"
        elif listing.caller_account not in {a.id for a in listing.accounts}:
            # AWS lists the management and delegated administrator accounts themselves; an empty or
            # foreign listing (an emulator, a member account) is not taken as "no account to scan"
            why = (f"organizations:ListAccounts did not list the account it was asked from "
                   f"({listing.caller_account}): not the management or a delegated administrator account")
    except UsageError as exc:
        raise UsageError(f"{spec}: {exc}") from None
    except Exception as exc:  # no credentials, AccessDenied, not in an Organization: reported by the scan
        from checks.aws.session import ApiFailure

        why = str(exc) if isinstance(exc, ApiFailure) else f"{type(exc).__name__}: {exc}"
    if why:
        tid = spec.rstrip("/") if region_part else f"{SCHEME}{profile}"
        return [dataclasses.replace(probe, id=tid, address=spec, name=profile or "default",
                                    options={**probe.options, "org_error": f"cannot list the Organization's "
                                                                            f"accounts: {why}"})]
    wanted = {str(a) for a in options.get("accounts") or []}
    active = [a for a in listing.accounts if a.state == "ACTIVE" and (not wanted or a.id in wanted)]
    skipped = [{"id": a.id, "name": a.name, "state": a.state} for a in listing.accounts if a.state != "ACTIVE"]
    facts = {"spec": spec, "listed_by": listing.caller_account, "accounts": len(listing.accounts),
             "scanned": len(active), "skipped": skipped}
    role = str(options.get("role_name") or DEFAULT_ROLE)
    own = options.get("own_credentials", True) is not False
    chain = list(probe.options.get("role_chain") or [])
    out: list[Target] = []
    for acct in sorted(active, key=lambda a: a.id):
        opts = {**base, "role_chain": chain, "name": acct.name or acct.id}
        if not (own and acct.id == listing.caller_account):
            opts.update(role_arn=f"arn:{listing.partition}:iam::{acct.id}:role/{role}",
                        external_id=options.get("external_id"), session_name=options.get("session_name"))
        else:
            opts["account_id"] = acct.id
        for t in account_target(direct, opts, True):
            out.append(dataclasses.replace(t, address=spec, options={**t.options, "organization": facts},
                                           vars={k: v for k, v in t.vars.items() if k != "name"}))
    return out
