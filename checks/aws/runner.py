"""Runs the AWS collectors for one target: session, identity, regions, then a thread pool of tasks."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Mapping, Sequence

from checks.aws.api import Api
from checks.aws.kind import AwsKind
from checks.aws.session import DEFAULT_MAX_ATTEMPTS, ApiFailure, AssumeRoleFailure, AwsSession, RoleHop, call
from scanner.model import CollectError, Collection, Resource
from scanner.provider import CollectContext

_ENABLED = ("opt-in-not-required", "opted-in")
MAX_WORKERS = 32
FANOUT_WORKERS = 16


def _describe(failure: ApiFailure, region: str | None) -> str:
    return f"{failure.note}{failure.code} on {failure.api}" + (f" in {region}" if region else "") + (
        f" at {failure.endpoint}" if failure.endpoint else "")


def run_collection(options: Mapping[str, Any], wanted: Sequence[str], ctx: CollectContext,
                   kinds: Mapping[str, type[AwsKind]],
                   slow_first: Sequence[str] = ()) -> Collection:
    """Collect ``wanted`` resource types for the account ``options`` describe (never raises)."""
    started = time.monotonic()
    out = Collection()
    if options.get("organization"):  # aws-org://: the listing this account came from (skipped accounts...)
        out.facts["organization"] = options["organization"]
    regional = [t for t in wanted if kinds[t].regional]
    try:
        max_attempts = int(options.get("max_attempts") or DEFAULT_MAX_ATTEMPTS)
        workers = int(options.get("jobs") or MAX_WORKERS)  # the scan-wide --jobs counts targets
        chain = [RoleHop(h["role_arn"], h.get("external_id"), h.get("session_name") or "govscan")
                 for h in options.get("role_chain") or []]
        configured = list(options.get("regions") or [])
        session = AwsSession(options.get("profile"), chain, max_attempts=max_attempts,
                             pool_size=workers + FANOUT_WORKERS,
                             default_region=configured[0] if configured else None,
                             concurrency=int(options["concurrency"]) if options.get("concurrency") else None)
        ident = call(session.client("sts"), "GetCallerIdentity")
    except AssumeRoleFailure as failure:  # names the role, so in an Organization the account
        account = failure.role_arn.split(":")[4] if failure.role_arn.count(":") >= 5 else "?"
        out.fatal = (f"cannot assume role {failure.role_arn} in account {account}: {failure.code} on {failure.api}"
                     + (f" at {failure.endpoint}" if failure.endpoint else ""))
        return out
    except ApiFailure as failure:
        out.fatal = f"cannot authenticate: {failure}"
        return out
    except Exception as exc:  # missing profile, no credentials, bad config: one clear reason
        out.fatal = f"cannot authenticate: {type(exc).__name__}: {exc}"
        return out
    account, partition = ident["Account"], ident["Arn"].split(":")[1]
    planned = options.get("account_id")
    if planned and planned != account:  # the target id names another account: never mix them up
        out.fatal = f"the credentials now belong to account {account}, not {planned} that this target names"
        return out
    out.facts.update(account_id=account, partition=partition, caller_arn=ident["Arn"])

    with ThreadPoolExecutor(FANOUT_WORKERS, thread_name_prefix="aws-fanout") as fanout:
        api = Api(session, account, partition, fanout)
        # e.g. the ports the security group controls ask about: every control's own values, not only
        # the last one of each name
        api.inputs = {**ctx.inputs, **{f"{cid}.{name}": value for cid, values in ctx.control_inputs.items()
                                       for name, value in values.items()}}
        api.attributes = ctx.attributes
        regions: list[str] = []
        if regional:
            try:
                regions, bad = _regions(api, configured)
            except ApiFailure as failure:
                for t in regional:
                    out.errors.append(CollectError(t, f"cannot list regions: {_describe(failure, None)}",
                                                   scope=failure.api))
                regional, bad = [], {}
            for region, why in bad.items():
                for t in regional:
                    out.errors.append(CollectError(t, f"region {region} {why}", scope=region, region=region))
        # Without a regional type the regions are not listed; the configured ones still bound S3.
        api.regions = tuple(regions) if regional else tuple(configured)
        out.facts["regions"] = regions
        tasks: list[tuple[str, str | None]] = []
        for t in sorted(wanted, key=lambda t: (t not in slow_first, t)):
            tasks += [(t, r) for r in regions] if kinds[t].regional else [(t, None)]
        for t in wanted:
            out.resources.setdefault(t, [])
        with ThreadPoolExecutor(max(1, min(workers, len(tasks))), thread_name_prefix="aws") as pool:
            futures: list[tuple[str, str | None, Future[list[Resource]]]] = [
                (t, r, pool.submit(_task, kinds[t].build, api, r, ctx)) for t, r in tasks]
            for t, r, fut in futures:
                try:
                    out.resources[t].extend(fut.result())
                except ApiFailure as failure:
                    out.errors.append(CollectError(t, _describe(failure, r), scope=r or failure.api, region=r))
                except Exception as exc:  # a collector bug: reported as error, never a pass
                    out.errors.append(CollectError(t, f"collector failed: {type(exc).__name__}: {exc}",
                                                   scope=r, region=r))
    out.api_calls = session.counter.total
    out.facts.update(api_calls=out.api_calls, http_attempts=session.counter.attempts,
                     repeated_calls=[k for k in session.counter.repeated() if k not in _POLLED],
                     seconds=round(time.monotonic() - started, 3))
    return out


# Calls that may legitimately repeat: polling the credential report until AWS has built it.
_POLLED = ("iam:GetCredentialReport",)


def _task(fn: Callable[..., list[Resource]], api: Api, region: str | None,
          ctx: CollectContext) -> list[Resource]:
    if ctx.cancel.is_set():
        raise ApiFailure("govscan:Collect", "Cancelled")
    return fn(api, region)


def _regions(api: Api, configured: list[str]) -> tuple[list[str], dict[str, str]]:
    """The regions to scan and, for configured ones that cannot be scanned, why."""
    listed = api.list("ec2", None, "DescribeRegions", "Regions", AllRegions=True)
    status = {r["RegionName"]: r.get("OptInStatus", "opt-in-not-required") for r in listed}
    if not configured:
        return sorted(r for r, s in status.items() if s in _ENABLED), {}
    ok, bad = [], {}
    for region in configured:
        if region not in status:
            bad[region] = "is not an AWS region of this partition"
        elif status[region] not in _ENABLED:
            bad[region] = f"is not enabled for this account ({status[region]})"
        else:
            ok.append(region)
    return ok, bad
