"""Pure evaluation of one control on the resources collected from one target.

No I/O: given a control, a target, a :class:`~scanner.model.Collection` and resolved inputs, return
findings. Every path that cannot decide yields ``error``, never ``pass``.
"""

from __future__ import annotations

import fnmatch
from datetime import datetime
import json
import re
from typing import Any, Iterable, Iterator, Mapping

from scanner.model import Collection, Control, Finding, Resource, Status, Target

REDACTED = "***redacted***"


def resolve_inputs(control: Control, *layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Input values: the control's defaults, overridden by each layer in turn.

    A layer maps ``name`` or ``<control-id>.name`` to a value; only declared inputs are taken
    (target vars hold many unrelated variables).
    """
    values = {spec.name: spec.default for spec in control.inputs}
    for layer in layers:
        if not layer:
            continue
        for spec in control.inputs:
            qualified = f"{control.id}.{spec.name}"
            if qualified in layer:
                values[spec.name] = layer[qualified]
            elif spec.name in layer:
                values[spec.name] = layer[spec.name]
    return values


def _redactor(control: Control, inputs: Mapping[str, Any]):
    secrets = [str(inputs[s.name]) for s in control.inputs if s.sensitive and inputs.get(s.name) not in (None, "")]

    def scrub(obj: Any) -> Any:
        if not secrets:
            return obj
        if isinstance(obj, str):
            for s in secrets:
                obj = obj.replace(s, REDACTED)
            return obj
        if isinstance(obj, dict):
            return {k: scrub(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [scrub(v) for v in obj]
        return obj

    return scrub


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= 200 else text[:197] + "..."


def _missing_key(outcome: Any) -> str:
    """The key whose absence left a condition UNKNOWN: ``dictcheck``, ``ports``, or for a list element
    ``ports[2].service.name`` (``@`` is the element itself)."""
    d, element = outcome.decisive, outcome.element
    if d is None:
        return "@"
    if element and not d.missing:  # a quantifier left UNKNOWN by one of its elements
        index = element[element.rindex("[") + 1:-1]
        for c in outcome.checks:
            if c.unknown and c.missing and (c.path == element or c.path.startswith(element + ".")):
                return f"{d.key}[{index}].{c.key or '@'}" if c.key else f"{d.key}[{index}]"
    return d.key if d.key is not None else "@"


def _evidence_checks(outcome: Any) -> tuple[list[Any], int]:
    """The checks worth keeping as evidence, and how many per-element checks were left out.

    A quantifier over a list of 900 packages evaluates its ``where`` on every element; the evidence
    keeps the quantifier's own check, the checks outside quantifiers, and those of the element that
    decided (or, when the quantifier is UNKNOWN, of the first element that was), not every element's.
    """
    decisive, element = outcome.decisive, outcome.element
    kept, skipped = [], 0
    for c in outcome.checks:
        if ("_of[" not in c.path or c is decisive
                or (element and (c.path == element or c.path.startswith(element + ".")))):
            kept.append(c)
        else:
            skipped += 1
    return kept, skipped


# a key that starts with a plain dotted attribute path; what follows an index, filter or pipe reads
# inside that attribute
_PLAIN_KEY = re.compile(r'([A-Za-z0-9_"\-]+(?:\.[A-Za-z0-9_"\-]+)*)(?:[\[|].*)?', re.S)


def _control_keys(control: Control, scope_only: bool) -> Iterator[str]:
    from scanner.conditions import resource_keys

    conds = (control.scope_where,) if scope_only else (control.scope_where, control.applies_if, control.assert_)
    for cond in conds:
        for _, key in resource_keys(cond or {}):
            yield key.strip()


def attributes_read(control: Control, scope_only: bool = False) -> frozenset[str] | None:
    """Dotted attribute paths the control reads from the resource (``tls.cert.expired``), in its
    ``scope.where``, ``applies_if`` and ``assert`` (only ``scope.where`` with ``scope_only``).

    None when a key is not a plain path (``length(Grants)``): what it reads is then unknown.
    """
    out = set()
    for key in _control_keys(control, scope_only):
        m = _PLAIN_KEY.fullmatch(key)
        if m is None:
            return None
        out.add(m.group(1).replace('"', ""))
    return frozenset(out)


def _lost(reads: frozenset[str] | None, attr_errors: Mapping[str, str]) -> str | None:
    """The first unreadable attribute path (``tls`` or ``tls.cert``) that overlaps what is read
    (any of them when what is read is unknown)."""
    if reads is None:
        return next(iter(attr_errors), None)
    for lost in attr_errors:
        for path in reads:
            if path == lost or path.startswith(lost + ".") or lost.startswith(path + "."):
                return lost
    return None


def _provider_context(target: Target) -> dict[str, Any]:
    """The template roots the target's provider adds (none for a provider that is not registered)."""
    from scanner import registry
    from scanner.errors import UsageError

    try:
        return registry.provider(target.kind).template_context(target)
    except UsageError:
        return {}


class _Evaluator:
    def __init__(self, control: Control, target: Target, inputs: Mapping[str, Any], now: datetime | None = None):
        self.now = now
        self.control = control
        self.target = target
        self.inputs = dict(inputs)
        self.scrub = _redactor(control, self.inputs)
        self.scope_reads = attributes_read(control, scope_only=True)
        self.reads = attributes_read(control)
        shown = {s.name: (REDACTED if s.sensitive else self.inputs.get(s.name)) for s in control.inputs}
        self.base_context = {
            "inputs": shown,
            "target": {"id": target.id, "name": target.name or target.address, "address": target.address},
            **_provider_context(target),  # e.g. the host provider's {host.name}
            "control": {"id": control.id, "title": control.title},
        }

    def finding(self, resource_id: str, resource_type: str, status: Status, message: str,
                evidence: Mapping[str, Any] | None = None, region: str | None = None) -> Finding:
        return Finding(
            control_id=self.control.id, target_id=self.target.id, resource_id=resource_id,
            resource_type=resource_type, status=status, severity=self.control.severity,
            message=self.scrub(message), evidence=self.scrub(dict(evidence or {})), region=region,
        )

    def error(self, resource_id: str, message: str, region: str | None = None) -> Finding:
        return self.finding(resource_id, self.control.resource, Status.ERROR, message, {"error": message}, region)

    def message(self, status: Status, resource: Resource, outcome: Any) -> str:
        from scanner import messages

        template = self.control.result.get(status.value)
        decisive = outcome.decisive if outcome is not None else None
        if template:
            context = dict(self.base_context)
            context.update({
                "resource": {"id": resource.id, **dict(resource.attrs)},
                "value": outcome.value if outcome is not None else None,
                "expected": decisive.expected if decisive is not None else None,
                "matched": outcome.matched if outcome is not None else None,
                "all_matched": self.all_matched(resource, outcome) or [],
            })
            return messages.render(template, context)
        if status is Status.PASS:
            return f"{resource.id}: {self.control.title}"
        if decisive is None:
            return f"{resource.id}: {self.control.title}: not compliant"
        found = "missing" if decisive.missing else _fmt(decisive.actual)
        if outcome.unknown and not decisive.missing:  # a list element left it undecided
            found += f" ({_missing_key(outcome)} is missing)"
        return f"{resource.id}: expected {decisive.describe()}, found {found}"

    def evidence(self, resource: Resource, outcome: Any) -> dict[str, Any]:
        from scanner.conditions.keys import read

        # read by the conditions' own walker: what the assert saw is what the evidence stores
        observed = {attr: read(attr, resource.attrs) for attr in self.control.result.get("evidence") or ()}
        ev: dict[str, Any] = {"observed": observed}
        locations = self.locations(resource)
        if locations:
            ev["locations"] = locations
        if outcome is not None:
            kept, skipped = _evidence_checks(outcome)
            ev["checks"] = [
                {"key": c.key, "op": c.op, "expected": c.expected, "actual": c.actual, "missing": c.missing, "ok": c.ok}
                for c in kept
            ]
            if skipped:
                ev["element_checks_omitted"] = skipped
            if outcome.decisive is not None:
                ev["expected"] = outcome.decisive.describe()
                ev["found"] = None if outcome.decisive.missing else outcome.decisive.actual
            if outcome.matched is not None:
                ev["matched"] = outcome.matched
                every = self.all_matched(resource, outcome)
                if every is not None and len(every) > 1:
                    ev["all_matched"] = every
            if outcome.unknown:  # not decided by the data: a key it needs is missing
                ev["undecided"] = f"{_missing_key(outcome)} is missing"
        return ev

    def all_matched(self, resource: Resource, outcome: Any) -> list[Any] | None:
        """Every element the decisive quantifier matched (scanner.matches), only for a fail."""
        if outcome is None or outcome.ok or outcome.matched is None:
            return None
        from scanner.matches import all_matches

        return all_matches(self.control.assert_, outcome, resource.attrs, self.inputs, self.now)

    def locations(self, resource: Resource) -> list[dict[str, Any]]:
        """The recorded source locations of the attributes this control reads, each with its attribute."""
        if not resource.sources:
            return []
        out: list[dict[str, Any]] = []
        for attr, places in resource.sources.items():
            if self.reads is not None and not any(
                    r == attr or r.startswith(attr + ".") or attr.startswith(r + ".") for r in self.reads):
                continue
            out.extend({"attribute": attr, **dict(p)} for p in places)
        return out

    def _unreadable(self, resource: Resource, lost: str | None) -> Finding:
        message = f"{resource.id}: {lost} could not be read: {resource.attr_errors[lost or '']}"
        return self.finding(resource.id, resource.type, Status.ERROR, message,
                            {**self.evidence(resource, None), "error": message}, resource.region)

    def _notchecked(self, resource: Resource, skipped: str) -> Finding:
        message = f"{resource.id}: not checked: {resource.attr_notchecked[skipped]}"
        return self.finding(resource.id, resource.type, Status.NOTCHECKED, message,
                            {**self.evidence(resource, None), "notchecked": message}, resource.region)

    def on_resource(self, resource: Resource, platform: frozenset[str] | str | None) -> Finding | None:
        from scanner import conditions

        c = self.control
        if resource.error:
            return self.error(resource.id, f"{resource.id}: could not be read: {resource.error}", resource.region)
        if c.scope_regions is not None and resource.region is not None:
            if not any(fnmatch.fnmatchcase(resource.region, g) for g in c.scope_regions):
                return None
        try:
            # an attribute the scope reads that could not be read: we cannot tell whether it is in scope
            if _lost(self.scope_reads, resource.attr_errors):
                return self._unreadable(resource, _lost(self.scope_reads, resource.attr_errors))
            if _lost(self.scope_reads, resource.attr_notchecked):
                return self._notchecked(resource, _lost(self.scope_reads, resource.attr_notchecked) or "")
            scope = None
            if c.scope_where is not None:
                scope = conditions.evaluate(c.scope_where, resource.attrs, self.inputs, self.now)
                if scope.truth is False:
                    return None
                # UNKNOWN: the resource may be in scope, so it is assessed (never dropped unseen)
            # in scope: an attribute applies_if or the assert reads that could not be read is an error
            if _lost(self.reads, resource.attr_errors):
                return self._unreadable(resource, _lost(self.reads, resource.attr_errors))
            # an attribute the collector deliberately left out: not assessed (after scope: in scope only),
            # unless what was read already fails it whatever the unread values are
            skipped = _lost(self.reads, resource.attr_notchecked)
            if skipped is not None:
                # what was read may already decide: not applicable (applies_if false on attributes that were
                # read), or failed whatever the unread values are; else not assessed
                from scanner.evaluate_partial import fails_anyway, not_applicable_anyway

                return (not_applicable_anyway(self, resource, platform) or fails_anyway(self, resource, platform)
                        or self._notchecked(resource, skipped))
            tags = frozenset([platform]) if isinstance(platform, str) else platform
            if off_platform(c.platforms, tags):
                return self._off_platform(resource, tags)
            if c.applies_if is not None:
                gate = conditions.evaluate(c.applies_if, resource.attrs, self.inputs, self.now)
                if gate.unknown:
                    return self._undecided_gate(resource, gate)
                if gate.truth is False:
                    return self._not_applicable(resource, gate)
            outcome = conditions.evaluate(c.assert_, resource.attrs, self.inputs, self.now)
        except conditions.ConditionError as exc:
            return self.error(resource.id, f"{resource.id}: {exc}", resource.region)
        # only a TRUE assert passes: FALSE and UNKNOWN (data missing) are `fail`
        status = Status.PASS if outcome.ok else Status.FAIL
        if outcome.ok and resource.coverage:
            # a pass on a partial list must have read every entry it is about (scanner.coverage)
            from scanner.coverage import gap

            missing = gap(c.assert_, resource.coverage, self.inputs)
            if missing is not None:
                message = f"{resource.id}: {missing.reason}"
                return self.finding(resource.id, resource.type, missing.status, message,
                                    {**self.evidence(resource, outcome), "not_covered": missing.reason},
                                    resource.region)
        evidence = self.evidence(resource, outcome)
        if scope is not None and scope.unknown:
            why = f"{_missing_key(scope)} is missing" + (f" ({scope.decisive.describe()})" if scope.decisive else "")
            evidence["scope_undecided"] = why
            if status is Status.PASS:
                # in scope or not is unknown: a failure stands either way, a pass would claim more than was read
                message = f"{resource.id}: cannot tell whether {c.id} applies to it: {why} (scope.where)"
                return self.finding(resource.id, resource.type, Status.ERROR, message,
                                    {**evidence, "error": message}, resource.region)
        return self.finding(resource.id, resource.type, status, self.message(status, resource, outcome),
                            evidence, resource.region)

    def _off_platform(self, resource: Resource, tags: frozenset[str] | None) -> Finding:
        return self.finding(resource.id, resource.type, Status.NOTAPPLICABLE,
                            f"{resource.id}: not applicable on platform {'/'.join(sorted(tags or ()))}",
                            region=resource.region)

    def _not_applicable(self, resource: Resource, gate: Any) -> Finding:
        """``applies_if`` is false: the control's own ``result.notapplicable`` message (it can name the reason)
        if it has one."""
        c = self.control
        why = gate.decisive.describe() if gate.decisive else "applies_if"
        message = (self.message(Status.NOTAPPLICABLE, resource, gate)
                   if c.result.get("notapplicable") else f"{resource.id}: not applicable ({why} is false)")
        return self.finding(resource.id, resource.type, Status.NOTAPPLICABLE, message,
                            self.evidence(resource, gate), resource.region)

    def _undecided_gate(self, resource: Resource, gate: Any) -> Finding:
        """``applies_if`` is UNKNOWN: neither applicable nor not, so the finding is ``error``."""
        what = gate.decisive.describe() if gate.decisive is not None else "applies_if"
        message = (f"{resource.id}: cannot tell whether {self.control.id} applies: "
                   f"{_missing_key(gate)} is missing (applies_if {what})")
        return self.finding(resource.id, resource.type, Status.ERROR, message,
                            {**self.evidence(resource, gate), "error": message}, resource.region)


def evaluate_control(control: Control, target: Target, collection: Collection,
                     inputs: Mapping[str, Any] | None = None, now: datetime | None = None) -> list[Finding]:
    """Findings of ``control`` on one target's collection.

    ``inputs`` are resolved input values (see :func:`resolve_inputs`); missing ones take defaults.
    ``now`` is the instant ``age-days-*`` operators measure from (the scan's start).
    """
    values = resolve_inputs(control, inputs)
    ev = _Evaluator(control, target, values, now)
    if control.not_assessed:  # a manual recommendation: never evaluated, never a pass
        return [ev.finding(target.id, control.resource, Status.NOTCHECKED,
                           f"{target.name or target.id}: not checked: {control.title}: {control.not_assessed}",
                           {"notchecked": control.not_assessed})]
    if collection.fatal:
        return [ev.error(target.id, f"{target.id}: {collection.fatal}")]
    off = _off_platform(control, collection.facts or {})
    if off:  # e.g. a RHEL-only control on a Debian host: one finding for the target, whatever was collected
        return [ev.finding(target.id, control.resource, Status.NOTAPPLICABLE, f"{target.name or target.id}: {off}")]
    errors = [e for e in collection.errors if e.resource_type == control.resource]
    out: list[Finding] = []
    for err in errors:
        rid = f"{target.id}/{err.scope}" if err.scope else target.id
        region = err.region
        out.append(ev.error(rid, f"{control.resource} not collected{f' ({err.scope})' if err.scope else ''}: {err.message}", region))
    facts = collection.facts or {}
    # the target's platform tags: "linux" and, when its provider names one, the OS family ("rhel")
    listed = facts.get("platforms")
    platform = (frozenset(str(t) for t in listed) if isinstance(listed, (list, tuple))
                else frozenset([facts["platform"]]) if facts.get("platform") else None)
    seen_any = False
    for resource in collection.resources.get(control.resource, ()):
        try:
            f = ev.on_resource(resource, platform)
        except Exception as exc:  # a bug in an operator must not pass a resource
            f = ev.error(resource.id, f"{resource.id}: internal error evaluating {control.id}: {type(exc).__name__}: {exc}",
                         resource.region)
        if f is not None:
            seen_any = True
            out.append(f)
    if not seen_any and not errors:
        unseen = collection.incomplete.get(control.resource)
        if unseen:  # "none in scope" is not proven when part of the target was not looked at
            out.append(ev.finding(target.id, control.resource, Status.NOTCHECKED,
                                  f"{target.name or target.id}: not checked: no {control.resource} resource in scope "
                                  f"among those collected, but {unseen}"))
        else:
            out.append(ev.finding(target.id, control.resource, Status.NOTAPPLICABLE,
                                  f"{target.name or target.id}: no {control.resource} resource in scope"))
    return out


def off_platform(platforms: Iterable[str], tags: Iterable[str] | None) -> bool:
    """Whether a control for ``platforms`` does not apply to a target or resource tagged ``tags``
    (``["linux", "debian"]``). A target whose OS family is unknown (``other``: no readable os-release)
    is not known to be off a family's platform: the control applies (fail closed), never notapplicable."""
    wanted, have = set(platforms or ()), set(tags or ())
    if not wanted or not have or wanted & have:
        return False
    return not ("other" in have and "linux" in have and wanted <= _FAMILIES)


_FAMILIES = frozenset({"debian", "rhel", "suse", "alpine", "arch"})


def _off_platform(control: Control, facts: Mapping[str, Any]) -> str | None:
    """Why ``control`` does not apply to a target whose facts name its platforms (``platforms``: e.g.
    ``["linux", "rhel"]``, the OS family included), or None. A target whose facts do not list them is not
    judged here (the per-resource ``platform`` check still applies)."""
    tags = facts.get("platforms")
    if not isinstance(tags, (list, tuple)) or not off_platform(control.platforms, tags):
        return None
    shown = facts.get("pretty_name") or "/".join(str(t) for t in tags)
    return (f"not applicable: the control is for {', '.join(control.platforms)}; this target is "
            f"{'/'.join(str(t) for t in tags)} ({shown})")


def evaluate_all(controls: Iterable[Control], target: Target, collection: Collection,
                 inputs_for: Mapping[str, Mapping[str, Any]] | None = None,
                 now: datetime | None = None) -> list[Finding]:
    """Every control on one target; ``inputs_for`` maps control id -> resolved inputs."""
    out: list[Finding] = []
    for control in controls:
        out.extend(evaluate_control(control, target, collection, (inputs_for or {}).get(control.id), now))
    return out


__all__ = ["evaluate_control", "evaluate_all", "resolve_inputs", "attributes_read"]
