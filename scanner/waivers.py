"""Apply waivers to findings: matching, unexpired waivers turn a failure into ``waived``.

A waived finding was still evaluated (``run: true``) and keeps its evidence; an expired waiver no
longer applies: the finding stays ``fail`` and its message says which waiver expired when.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import fnmatch
import re
from typing import Any, Iterable, Mapping

from scanner.model import Finding, Resource, Status, Target, Waiver


def today() -> _dt.date:
    return _dt.datetime.now(_dt.timezone.utc).date()


def is_expired(waiver: Waiver, on: _dt.date | None = None) -> bool:
    """True once the expiry day has passed (a waiver is valid through its ``expires`` date).

    A waiver whose approval date is later than ``on`` is not in force either (the lint rejects it).
    """
    day = on or today()
    try:
        approved = _dt.date.fromisoformat(str(waiver.approved_by.get("date")))
    except ValueError:
        approved = None
    return _dt.date.fromisoformat(waiver.expires) < day or (approved is not None and approved > day)


def _glob_any(value: str | None, patterns: Iterable[str]) -> bool:
    return value is not None and any(fnmatch.fnmatchcase(value, p) for p in patterns)




def matches(waiver: Waiver, finding: Finding, target: Target, resource: Resource | None,
            facts: Mapping[str, Any] | None = None) -> bool:
    """Whether ``waiver`` covers ``finding``: every key given in ``match`` must match (lists are OR).

    ``hosts`` matches the target's address and the ``name`` an operator wrote for it in an
    inventory; names learned from the network (reverse DNS, nmap hostnames, which ``inventory
    discover`` writes as ``label``) are never matched, so a PTR record cannot claim a waiver.
    """
    if not any(fnmatch.fnmatchcase(finding.control_id, g) for g in waiver.controls):
        return False
    from scanner.resource_types import lookup

    m = waiver.match
    kind = lookup(finding.resource_type)  # its identity facets say what account and labels are
    if "accounts" in m:
        key = kind.identity.account if kind is not None else None
        account = str(((facts or {}).get(key) or target.vars.get(key) or target.options.get(key) or "")
                      if key else "")
        if account not in [str(a) for a in m["accounts"]]:
            return False
    if "regions" in m and not _glob_any(finding.region, m["regions"]):
        return False
    if "hosts" in m and not (_glob_any(target.name, m["hosts"]) or _glob_any(target.address, m["hosts"])):
        return False
    if "targets" in m and not _glob_any(target.id, m["targets"]):
        return False
    if "resources" in m:
        ok = False
        for pat in m["resources"]:
            if isinstance(pat, dict):
                ok = re.fullmatch(pat["regex"], finding.resource_id) is not None
            else:
                ok = fnmatch.fnmatchcase(finding.resource_id, pat)
            if ok:
                break
        if not ok:
            return False
    if "tags" in m:
        tags = kind.labels_of(resource.attrs) if resource is not None and kind is not None else {}
        if any(tags.get(k) != str(v) for k, v in m["tags"].items()):
            return False
    return True


def apply(findings: list[Finding], waivers: Iterable[Waiver], target: Target,
          resources: Mapping[str, Resource], on: _dt.date | None = None,
          facts: Mapping[str, Any] | None = None) -> list[Finding]:
    """Return findings with waivers applied (``fail`` -> ``waived``; expired waivers noted)."""
    waivers = list(waivers)
    if not waivers:
        return findings
    day = on or today()
    out = []
    for f in findings:
        if f.status is not Status.FAIL:
            out.append(f)
            continue
        res = resources.get(f.resource_id)
        hits = [w for w in waivers if matches(w, f, target, res, facts)]
        # a waiver in force wins over an expired one that also matches
        hit = next((w for w in hits if not is_expired(w, day)), hits[0] if hits else None)
        if hit is None:
            out.append(f)
        elif is_expired(hit, day):
            out.append(dataclasses.replace(
                f, waiver_id=hit.id, message=f"{f.message} (waiver {hit.id} expired on {hit.expires})"))
        else:
            out.append(dataclasses.replace(
                f, status=Status.WAIVED, waiver_id=hit.id,
                message=f"{f.message} (waived by {hit.id} until {hit.expires}: {hit.type})"))
    return out
