"""Whole-target tasks for executors that run elsewhere (a process pool, a Dask cluster).

A remote worker collects **and evaluates** one target and sends back only its findings, so the
coordinator's CPU is spent on storing, not on parsing and evaluation. A task carries references,
never secrets: the target (host and user, account and role, paths of key files *on the worker*), the
resolved inputs and waivers, and the control set by its content hash (shipped to each worker once).
Workers use their own SSH keys, known_hosts and AWS credentials.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from scanner.model import Control, Finding, Target, Waiver


@dataclass(frozen=True)
class ControlSet:
    """The controls of a scan, sent to each worker once and named by the hash of their contents."""

    sha256: str
    controls: Mapping[str, Control]

    @classmethod
    def of(cls, controls: Mapping[str, Control]) -> "ControlSet":
        digest = hashlib.sha256()
        for cid in sorted(controls):
            digest.update(f"{cid}\0{controls[cid].sha256}\n".encode())
        return cls(digest.hexdigest(), dict(controls))


@dataclass(frozen=True)
class TargetTask:
    """One target to collect and evaluate on a worker."""

    target: Target
    control_ids: tuple[str, ...]
    inputs: Mapping[str, Mapping[str, Any]]
    """Control id -> resolved inputs (defaults < profile < inventory < ``--input``)."""
    cli_inputs: Mapping[str, Any]
    waivers: tuple[Waiver, ...]
    options: Mapping[str, Any]
    """Scan-wide provider options without secrets (paths, timeouts, flags)."""
    attributes: Mapping[str, frozenset[str]] | None
    started: datetime
    controls_sha256: str


@dataclass(frozen=True)
class TargetResult:
    """What comes back from a worker: the findings of one target and a short summary."""

    target_id: str
    findings: tuple[Finding, ...]
    facts: Mapping[str, Any]
    fatal: str | None
    api_calls: int
    worker: str
    """``host:pid`` of the worker that ran it (said in progress notes, never stored as evidence)."""


def scan_target(task: TargetTask, control_set: ControlSet) -> TargetResult:
    """Collect and evaluate one target (runs on a worker)."""
    from scanner.engine import collect_target, evaluate_target
    from scanner.provider import CollectContext

    if control_set.sha256 != task.controls_sha256:  # never evaluate against another scan's controls
        raise RuntimeError(f"control set {control_set.sha256[:12]} does not match the task's "
                           f"{task.controls_sha256[:12]}")
    controls = [control_set.controls[c] for c in task.control_ids]
    merged: dict[str, Any] = {}
    for vals in task.inputs.values():
        merged.update(vals)
    merged.update(task.cli_inputs)
    ctx = CollectContext(inputs=merged, control_inputs=task.inputs, options=dict(task.options),
                         attributes=task.attributes)
    collection = collect_target(task.target, controls, ctx)
    findings = tuple(evaluate_target(task.target, collection, controls, task.inputs, list(task.waivers),
                                     task.started))
    return TargetResult(task.target.id, findings, dict(collection.facts), collection.fatal,
                        collection.api_calls, f"{socket.gethostname()}:{os.getpid()}")
