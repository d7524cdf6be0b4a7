"""The scan pipeline: load & lint -> plan -> collect -> evaluate -> waive -> store -> gate.

The coordinator (this module) resolves targets and controls, hands one task per target to an
executor (collect once per resource type, evaluate purely, apply waivers), and writes each target's
findings to the store as they arrive. Library first: the CLI only builds a :class:`ScanRequest`.
"""

from __future__ import annotations

import concurrent.futures
import threading
from datetime import datetime, timezone
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from scanner import __version__, registry
from scanner.errors import Diagnostic, GovscanError, PolicyError, UsageError
from scanner.evaluate import evaluate_all, resolve_inputs
from scanner.gate import GateResult, decide, policy
from scanner.model import Collection, Control, Finding, ScanStatus, Target, Waiver
from scanner.policy import load as load_policies
from scanner.policy.tailor import Selection, select
from scanner.provider import CollectContext
from scanner.remote import ControlSet, TargetResult, TargetTask, scan_target
from scanner.store import Store
from scanner.suggest import did_you_mean
from scanner.waivers import apply as apply_waivers
from scanner.waivers import is_expired

# Options that must never be stored (they may carry secrets).
_SECRET_OPTION_WORDS = ("password", "passphrase", "secret", "token", "key_data")


@dataclass
class ScanRequest:
    """Everything a scan needs; built by the CLI or by a library user."""

    targets: list[str] = field(default_factory=list)
    inventory: str | None = None
    profiles: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    waivers: list[str] = field(default_factory=list)
    policy_paths: list[str] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    jobs: int = 4
    gate: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """Scan-wide provider options (accept_new_host_keys, known_hosts, connect_timeout...)."""
    executor: str = "threads"
    """``threads`` (default), ``processes``, or a cluster address such as ``tls://scheduler:8786``."""
    executor_options: dict[str, Any] = field(default_factory=dict)
    """Executor settings (``tls_ca``, ``tls_cert``, ``tls_key``, ``retries``...)."""


class Progress:
    """Progress callbacks (no-op by default); the CLI shows a bar on a terminal."""

    def begin(self, targets: Sequence[Target], controls: int) -> None: ...
    def target_done(self, target: Target, findings: int, error: str | None) -> None: ...
    def note(self, message: str) -> None: ...
    def end(self) -> None: ...


@dataclass
class Plan:
    """What will run: targets, the tailored selection, waivers and per-target controls and inputs."""

    targets: list[Target]
    selection: Selection
    waivers: list[Waiver]
    per_target: dict[str, list[Control]]
    inputs: dict[str, dict[str, dict[str, Any]]]
    """target id -> control id -> resolved inputs."""
    inventory_sha256: str | None = None
    cli_inputs: dict[str, Any] = field(default_factory=dict)
    """``--input`` values, checked and typed."""


@dataclass
class ScanOutcome:
    scan_id: str
    hash: str
    status: ScanStatus
    gate: GateResult
    exit_code: int
    unreachable: list[tuple[str, str]]
    """(target id, reason) of targets that could not be scanned at all."""


@dataclass
class _Collected:
    target: Target
    collection: Collection


def resolve_targets(specs: Sequence[str], options: Mapping[str, Any],
                    where: Diagnostic | None = None) -> list[Target]:
    """Targets for specs, asking each provider in turn; unknown specs are usage errors."""
    out: list[Target] = []
    problems: list[str] = []
    for name in registry.names(registry.PROVIDERS):
        try:
            registry.provider(name)
        except UsageError as exc:
            problems.append(str(exc))
    for spec in specs:
        found = None
        for name in registry.names(registry.PROVIDERS):
            try:
                prov = registry.provider(name)
            except UsageError:
                continue
            try:
                found = prov.parse_target(spec, dict(options))
            except UsageError as exc:
                if where is not None:
                    raise PolicyError([Diagnostic(where.file, where.line, where.col, str(exc))]) from exc
                raise
            if found is not None:
                break
        if found is None:
            message = (f"unknown target {spec!r}: expected local, ssh://[user@]host[:port], aws://[profile][/region], "
                       f"nmap://CIDR-or-host or nmap-xml:FILE")
            if problems:
                message += " (" + "; ".join(problems) + ")"
            if where is not None:
                raise PolicyError([Diagnostic(where.file, where.line, where.col, message)])
            raise UsageError(message)
        out.extend(found)
    return out


def _unique_targets(found: list[tuple[Target, Diagnostic | None]]) -> list[Target]:
    """One target per id; the same target named twice with different settings is an error, since
    silently keeping either one's variables (approved ports, user, role) would scan it wrongly."""
    seen: dict[str, tuple[Target, Diagnostic | None]] = {}
    problems: list[Diagnostic] = []
    for t, where in found:
        if t.id not in seen:
            seen[t.id] = (t, where)
            continue
        first, first_where = seen[t.id]
        if (first.options, first.vars) != (t.options, t.vars):
            origin = f"{first_where.file}:{first_where.line}:{first_where.col}" if first_where else "the command line"
            message = f"target {t.id} is listed twice with different settings (first at {origin})"
            if where is None:
                raise UsageError(message)
            problems.append(Diagnostic(where.file, where.line, where.col, message))  # every one, at once
    if problems:
        raise PolicyError(problems)
    return [t for t, _ in seen.values()]


def _parse_cli_inputs(raw: Mapping[str, Any], controls: Mapping[str, Control]) -> dict[str, Any]:
    """Check ``--input`` names and types against the selected controls' inputs.

    YAML typing of a command-line value is a guess (``ports=22`` reads as an integer), so a scalar
    given for a ``string`` input is taken as its text.
    """
    from scanner.policy.lint import type_problem

    specs: dict[str, list[Any]] = {}
    for c in controls.values():
        for s in c.inputs:
            specs.setdefault(s.name, []).append(s)
            specs.setdefault(f"{c.id}.{s.name}", []).append(s)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in specs:
            names = sorted(k for k in specs if "." not in k)
            raise UsageError(f"--input {key}: no selected control has an input {key!r}{did_you_mean(key, names)}")
        kind = specs[key][0].type
        if kind == "string" and isinstance(value, (int, float, bool)) and not isinstance(value, bool):
            value = str(value)
        problem = type_problem(kind, value)
        if problem:
            raise UsageError(f"--input {key}: {problem}")
        out[key] = value
    return out


def plan(req: ScanRequest) -> Plan:
    """Load policies, resolve targets and tailor the selection; raises on any bad input."""
    from scanner.policy.loader import forget_parsed

    pset = load_policies(list(req.policy_paths) + list(req.waivers))
    forget_parsed()  # a scan holds its selected controls, not every file's parsed documents
    found: list[tuple[Target, Diagnostic | None]] = []
    inventory_sha = None
    if req.inventory:
        from scanner import inventory

        listed, inventory_sha = inventory.resolve(req.inventory, dict(req.options), resolve_targets)
        found.extend(listed)
    specs = list(req.targets)
    if not specs and not req.inventory:  # the providers' default targets (the host provider's `local`)
        specs = [t for t in (p.default_target() for p in registry.providers()) if t]
    found.extend((t, None) for t in resolve_targets(specs, req.options))
    targets = _unique_targets(found)

    profiles = list(req.profiles)
    if not profiles and not req.controls:
        kinds = sorted({t.kind for t in targets})
        profiles = [p for p in map(_default_profile, kinds) if p in pset.profiles]
    selection = select(pset, profiles, req.controls)
    if not selection.controls:
        raise UsageError(f"profile {selection.profile} selects no control")
    cli_inputs = _parse_cli_inputs(req.inputs, selection.controls)

    per_target: dict[str, list[Control]] = {}
    inputs: dict[str, dict[str, dict[str, Any]]] = {}
    for t in targets:
        controls = [c for c in selection.controls.values() if c.provider == t.kind]
        if not controls:
            hint = _default_profile(t.kind)
            raise UsageError(f"no selected control applies to target {t.id} ({t.kind})"
                             + (f"; try -p {hint}" if hint else ""))
        per_target[t.id] = sorted(controls, key=lambda c: c.id)
        inputs[t.id] = {c.id: resolve_inputs(c, selection.inputs.get(c.id), t.vars, cli_inputs) for c in controls}
    waivers = list(pset.waivers.values())
    return Plan(targets, selection, waivers, per_target, inputs, inventory_sha, cli_inputs)


def _default_profile(kind: str) -> str | None:
    """The profile a provider's targets get when none is given (its ``default_profile``)."""
    try:
        return registry.provider(kind).default_profile
    except UsageError:
        return None


def collect_target(target: Target, controls: list[Control], ctx: CollectContext) -> Collection:
    """Collect every resource type the target's controls read (runs on an executor worker)."""
    types = frozenset(c.resource for c in controls)
    try:
        return registry.provider(target.kind).collect(target, types, ctx)
    except GovscanError as exc:
        return Collection(fatal=str(exc))
    except Exception as exc:  # a collector bug must not pass anything
        return Collection(fatal=f"collector failed: {type(exc).__name__}: {exc}")


def _collect_into(out: dict[str, _Collected], target: Target, controls: list[Control], ctx: CollectContext,
                  slots: threading.Semaphore | None = None) -> None:
    """Collect ``target`` into ``out``; with ``slots``, only once a slot is free (the coordinator frees
    one when it has stored a target's findings), so at most that many collections are held at once."""
    if slots is not None:
        while not slots.acquire(timeout=0.2):
            if ctx.cancel.is_set():
                out[target.id] = _Collected(target, Collection(fatal="scan cancelled before this target was collected"))
                return
    out[target.id] = _Collected(target, collect_target(target, controls, ctx))


def evaluate_target(target: Target, collection: Collection, controls: list[Control],
                    inputs: Mapping[str, Mapping[str, Any]], waivers: list[Waiver], now: datetime) -> Iterator[Finding]:
    """Findings of every control on one collected target, waivers applied, one control at a time.

    A generator, so a target with hundreds of thousands of findings (a 10,000-host nmap import) is
    written to the store in batches instead of being held in memory at once. Without waivers, each
    resource type is removed from ``collection`` after the last control that reads it, so its memory
    serves the findings that follow (the collection is the caller's to discard afterwards).
    """
    if waivers:  # a waiver may match on a resource's tags: every resource stays reachable by id
        by_id = {r.id: r for rs in collection.resources.values() for r in rs}
        for control in controls:
            found = evaluate_all([control], target, collection, inputs, now)
            yield from apply_waivers(found, waivers, target, by_id, facts=collection.facts)
        return
    # without waivers, a resource type's resources are let go once the last control reading them is done
    last = {c.resource: i for i, c in enumerate(controls)}
    for i, control in enumerate(controls):
        yield from evaluate_all([control], target, collection, inputs, now)
        if last[control.resource] == i:
            collection.resources.pop(control.resource, None)


def _attributes_needed(controls: list[Control], waivers: list[Waiver]) -> dict[str, frozenset[str]]:
    """Per resource type, the attribute paths the selected controls (and waivers) can read."""
    from scanner.evaluate import attributes_read
    from scanner.messages import placeholders
    from scanner.resource_types import lookup

    out: dict[str, set[str]] = {}
    unsure: set[str] = set()
    tags = any("tags" in (w.match or {}) for w in waivers)
    for c in controls:
        reads = attributes_read(c)
        if reads is None:
            unsure.add(c.resource)  # a key we cannot reduce to attribute paths: collect everything
        need = out.setdefault(c.resource, set())
        need |= reads or set()
        need |= {str(a) for a in c.result.get("evidence") or ()}
        for status in ("pass", "fail", "error", "notapplicable"):
            for path in placeholders(str(c.result.get(status) or "")):
                root, _, rest = path.partition(".")
                if root == "resource" and rest:
                    need.add(rest.split("|")[0])
        kind = lookup(c.resource) if tags else None
        if kind is not None and kind.identity.labels:  # a waiver matching on tags reads the labels
            need.add(kind.identity.labels)
    # a type left out of the map is collected in full
    return {k: frozenset(v) for k, v in out.items() if k not in unsure}


def _safe_options(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if not any(w in k.lower() for w in _SECRET_OPTION_WORDS)}


def _control_row(scan_id: str, c: Control, inputs: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: ("***redacted***" if (c.input_spec(k) and c.input_spec(k).sensitive) else v)  # type: ignore[union-attr]
             for k, v in inputs.items()}
    return {
        "scan_id": scan_id, "id": c.id, "version": c.version, "sha256": c.sha256, "title": c.title,
        "severity": c.severity.value, "provider": c.provider, "resource": c.resource,
        "mappings": {k: list(v) for k, v in c.mappings.items()}, "tags": list(c.tags), "inputs": shown,
        "document": c.document, "source": c.source.file if c.source else None,
    }


def execute(p: Plan, req: ScanRequest, store: Store, progress: Progress | None = None,
            cancel: threading.Event | None = None) -> ScanOutcome:
    """Run a plan and store everything; returns the outcome with the gate's exit code."""
    from scanner.malloc import cap_arenas

    progress = progress or Progress()
    cancel = cancel or threading.Event()
    cap_arenas()  # before the scan's threads start: see scanner.malloc
    # the executor first: a cluster that cannot be reached leaves no scan behind
    executor = _make_executor(req.executor, min(req.jobs, len(p.targets)), req.executor_options)
    try:
        return _execute(p, req, store, progress, cancel, executor)
    finally:
        executor.shutdown(wait=not cancel.is_set(), cancel_futures=True)


def _execute(p: Plan, req: ScanRequest, store: Store, progress: Progress, cancel: threading.Event,
             executor: concurrent.futures.Executor) -> ScanOutcome:
    sel = p.selection
    scan_id = store.begin_scan(
        profile=sel.profile, profile_sha256=sel.profile_sha256, tool_version=__version__,
        inventory_sha256=p.inventory_sha256, targets_spec=[t.id for t in p.targets],
        options={"jobs": req.jobs, "executor": req.executor, **_safe_options(req.options)},
    )
    try:
        first_inputs: dict[str, dict[str, Any]] = {}
        for per in p.inputs.values():
            for cid, vals in per.items():
                first_inputs.setdefault(cid, vals)
        store.add_rows("controls", [_control_row(scan_id, c, first_inputs.get(c.id, {})) for c in sel.controls.values()])
        store.add_rows("exclusions", [{"scan_id": scan_id, "control_id": cid, "reason": r, "profile": prof}
                                      for cid, (r, prof) in sel.exclusions.items()])
        store.add_rows("waivers", [{"scan_id": scan_id, "id": w.id, "state": "expired" if is_expired(w) else "active",
                                    "expires": w.expires, "sha256": w.sha256, "document": w.document} for w in p.waivers])
        store.add_rows("targets", [{"scan_id": scan_id, "id": t.id, "kind": t.kind, "address": t.address,
                                    "name": t.name, "facts": None, "error": None, "api_calls": 0} for t in p.targets])
        unreachable: list[tuple[str, str]] = []
        api_calls = 0
        started = datetime.now(timezone.utc)  # every age-days-* check measures from the same instant
        progress.begin(p.targets, len(sel.controls))
        remote = bool(getattr(executor, "remote", False))
        try:
            futures: dict[concurrent.futures.Future[Any], Target] = {}
            # results are handed over here rather than through the futures, which as_completed keeps
            # alive to the end: a collection is freed as soon as its findings are stored
            collected: dict[str, _Collected] = {}
            # at most --jobs collections held at once, finished ones waiting to be evaluated included: an
            # Organization's accounts are collected faster than they are evaluated and stored
            slots = threading.Semaphore(max(1, min(req.jobs, len(p.targets))))
            shared, controls_sha = _share_controls(executor, p) if remote else (None, "")  # type: Any, str
            for t in p.targets:
                if remote:
                    futures[executor.submit(scan_target, _task(p, req, t, started, controls_sha), shared)] = t
                    continue
                ctx_inputs: dict[str, Any] = {}
                for vals in p.inputs[t.id].values():
                    ctx_inputs.update(vals)
                ctx_inputs.update(p.cli_inputs)
                ctx = CollectContext(inputs=ctx_inputs, control_inputs=p.inputs[t.id], options=dict(req.options),
                                     attributes=_attributes_needed(p.per_target[t.id], p.waivers),
                                     cancel=cancel, progress=progress.note)
                futures[executor.submit(_collect_into, collected, t, p.per_target[t.id], ctx, slots)] = t
            # Local workers collect (network-bound, in parallel); evaluation is pure Python, which threads
            # do not parallelise anyway, so it runs here and streams into the store in batches. Remote
            # workers (processes, a cluster) collect and evaluate; only their findings come back.
            for fut in concurrent.futures.as_completed(futures):
                t = futures.pop(fut)
                if remote:
                    result = _remote_result(fut, t, p, started)
                    facts, fatal, calls = result.facts, result.fatal, result.api_calls
                    n = store.add_findings(scan_id, result.findings)
                    del result
                else:
                    fut.result()  # re-raises what escaped the worker
                    coll = collected.pop(t.id).collection
                    facts, fatal, calls = coll.facts, coll.fatal, coll.api_calls
                    n = store.add_findings(scan_id, evaluate_target(t, coll, p.per_target[t.id], p.inputs[t.id],
                                                                    p.waivers, started))
                    del coll  # let the collection go before the next target
                    slots.release()
                store.update_target(scan_id, t.id, facts=_json(facts), error=fatal, api_calls=calls)
                api_calls += calls
                if fatal:
                    unreachable.append((t.id, fatal))
                progress.target_done(t, n, fatal)
                del fut
        except BaseException:
            cancel.set()  # do not wait for collectors still running
            raise
        finally:
            if cancel.is_set():
                executor.shutdown(wait=False, cancel_futures=True)  # do not wait for collectors still running
            progress.end()
        rows = store.control_results(scan_id)
        expired = {w.id for w in p.waivers if is_expired(w)}
        gate = decide(rows, policy(sel.gate, req.gate, sel.profile), expired)
        all_down = len(unreachable) == len(p.targets)
        status = ScanStatus.FAILED if all_down else ScanStatus.COMPLETE
        digest = store.finish_scan(scan_id, status, gate=gate.as_dict(), api_calls=api_calls)
        return ScanOutcome(scan_id, digest, status, gate, 3 if all_down else gate.exit_code, unreachable)
    except BaseException:
        cancel.set()
        store.finish_scan(scan_id, ScanStatus.INTERRUPTED)
        raise


def _share_controls(executor: Any, p: Plan) -> tuple[Any, str]:
    """Send the scan's control set to the workers once; tasks name it by its content hash."""
    sensitive = sorted(f"{c.id}.{s.name}" for per in p.per_target.values() for c in per for s in c.inputs
                       if s.sensitive and any(v.get(c.id, {}).get(s.name) not in (None, "") for v in p.inputs.values()))
    if sensitive:
        raise UsageError(f"a remote executor would send sensitive input values to its workers ({', '.join(sensitive)}); "
                         "use --executor threads for this scan")
    control_set = ControlSet.of({c.id: c for per in p.per_target.values() for c in per})
    return executor.share(control_set), control_set.sha256


def _task(p: Plan, req: ScanRequest, t: Target, started: datetime, controls_sha256: str) -> TargetTask:
    controls = p.per_target[t.id]
    return TargetTask(
        target=t, control_ids=tuple(c.id for c in controls), inputs=p.inputs[t.id], cli_inputs=p.cli_inputs,
        waivers=tuple(p.waivers), options=_safe_options(req.options),
        attributes=_attributes_needed(controls, p.waivers), started=started,
        controls_sha256=controls_sha256,
    )


def _remote_result(fut: concurrent.futures.Future[Any], t: Target, p: Plan, started: datetime) -> TargetResult:
    """A worker's result, or (when the task failed even after the executor's retries: a worker died,
    the cluster went away) an ``error`` on every control of the target naming the reason."""
    try:
        return fut.result()
    except (Exception, concurrent.futures.CancelledError) as exc:  # cancelled by the cluster, not by us

        reason = f"worker failed: {type(exc).__name__}: {exc}" if str(exc) else f"worker failed: {type(exc).__name__}"
        coll = Collection(fatal=reason)
        findings = tuple(evaluate_target(t, coll, p.per_target[t.id], p.inputs[t.id], p.waivers, started))
        return TargetResult(t.id, findings, {}, reason, 0, "")


def _json(obj: Any) -> str:
    from scanner.store import canonical

    return canonical(obj or {})


def _make_executor(name: str, jobs: int, options: Mapping[str, Any]) -> concurrent.futures.Executor:
    from scanner.executors import make

    return make(name, jobs, options)


def run_scan(req: ScanRequest, store: Store, progress: Progress | None = None,
             cancel: threading.Event | None = None) -> ScanOutcome:
    """Plan and execute a scan (the library entry point behind ``govscan scan``)."""
    return execute(plan(req), req, store, progress, cancel)
