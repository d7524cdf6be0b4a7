"""What was read decides, when a control also reads an attribute that was deliberately not collected.

A collector leaves an attribute out on purpose (``notchecked``): the running audit rules of a ``rootfs:``
tree, the setuid programs without the filesystem walk. A control that reads it is ``notchecked``, unless
what was read already decides:

- ``notapplicable`` when the control's platform, or its ``applies_if`` on attributes that were read, rules
  it out (a tree's package database says auditd is not installed: its audit-rule controls do not apply);
- ``fail`` when the assert is FALSE on what was read while every check on a not-collected attribute stayed
  UNKNOWN (three-valued logic: no value of those can make it TRUE).

Never a pass: a TRUE assert needs every attribute it reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scanner import conditions
from scanner.evaluate import _PLAIN_KEY, _lost, off_platform
from scanner.model import Finding, Resource, Status

if TYPE_CHECKING:
    from scanner.evaluate import _Evaluator


def _gate_decidable(ev: _Evaluator, resource: Resource) -> bool:
    """Whether ``applies_if`` reads only plain attribute paths, none of them left out."""
    c = ev.control
    assert c.applies_if is not None
    reads = [_PLAIN_KEY.fullmatch(k.strip()) for _, k in conditions.resource_keys(c.applies_if)]
    return all(m is not None for m in reads) and not _lost(
        frozenset(m.group(1).replace('"', "") for m in reads if m), resource.attr_notchecked)


def not_applicable_anyway(ev: _Evaluator, resource: Resource, platform: frozenset[str] | str | None) -> Finding | None:
    """``notapplicable`` when the platform or ``applies_if`` (on attributes that were read) rules the control
    out; else None. An ``applies_if`` that reads a not-collected attribute, or is UNKNOWN, decides nothing."""
    c = ev.control
    tags = frozenset([platform]) if isinstance(platform, str) else platform
    if off_platform(c.platforms, tags):
        return ev._off_platform(resource, tags)
    if c.applies_if is None or not _gate_decidable(ev, resource):
        return None
    gate = conditions.evaluate(c.applies_if, resource.attrs, ev.inputs, ev.now)
    return ev._not_applicable(resource, gate) if gate.truth is False and not gate.unknown else None


def fails_anyway(ev: _Evaluator, resource: Resource, platform: frozenset[str] | str | None) -> Finding | None:
    """``fail`` when the assert is FALSE on what was collected while every check on a not-checked attribute
    stayed UNKNOWN, else None.

    A golden image (``rootfs:``) whose sysctl files persist ``ip_forward = 1`` fails the control even though
    the running value is not checked; one that persists 0 stays ``notchecked``."""
    c = ev.control
    tags = frozenset([platform]) if isinstance(platform, str) else platform
    if ev.reads is None or off_platform(c.platforms, tags):
        return None
    if c.applies_if is not None:
        if not _gate_decidable(ev, resource):
            return None
        if conditions.evaluate(c.applies_if, resource.attrs, ev.inputs, ev.now).truth is not True:
            return None
    outcome = conditions.evaluate(c.assert_, resource.attrs, ev.inputs, ev.now)
    if outcome.truth is not False:
        return None
    for check in outcome.checks:
        if "_of[" in check.path or not check.key or check.unknown:
            continue  # an element's key is relative to the element; an UNKNOWN check decided nothing
        m = _PLAIN_KEY.fullmatch(check.key.strip())
        if m is None or _lost(frozenset({m.group(1).replace('"', "")}), resource.attr_notchecked):
            return None  # an operator decided on the absent value (exists, absent, empty...)
    unread = sorted(k for k in resource.attr_notchecked if _lost(ev.reads, {k: ""}))
    evidence = {**ev.evidence(resource, outcome), "notchecked": {k: resource.attr_notchecked[k] for k in unread}}
    message = (f"{ev.message(Status.FAIL, resource, outcome)} (failed on what was read; not checked: "
               f"{', '.join(unread)}: {resource.attr_notchecked[unread[0]]})" if unread else
               ev.message(Status.FAIL, resource, outcome))
    return ev.finding(resource.id, resource.type, Status.FAIL, message, evidence, resource.region)
