"""The domain records every stage of the pipeline passes along.

Plain, frozen, typed dataclasses: a control as loaded, a target to scan, a resource a provider
collected, a finding the evaluator produced. Closed sets are ``str`` enums so they serialise as
their value.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

#: The severities, most severe first: the one definition of their order (ranks, gate choices, CLI
#: choices and report orderings derive from it).
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")


def severity_rank(name: str, default: int = -1) -> int:
    """Higher is more severe: info=0 ... critical=4; ``default`` for a name that is not a severity."""
    return _SEVERITY_RANK.get(name, default)


#: ``--sort`` keys of ``findings`` and of the table and markdown reports; ``severity`` is the default.
SORTS: tuple[str, ...] = ("severity", "status", "control", "resource", "target")
# what needs attention first: a failure, then what could not be evaluated, then the rest
_ATTENTION = {s: i for i, s in enumerate(("fail", "error", "waived", "notchecked", "notapplicable", "pass"))}


def sort_key(by: str = "severity") -> Any:
    """Sort key for finding rows: by ``by`` first, then most severe first, then status (fail, error,
    waived, ...), control id, resource id and target id."""
    if by not in SORTS:
        raise ValueError(f"sort by one of {', '.join(SORTS)}")

    def key(f: Mapping[str, Any]) -> tuple[Any, ...]:
        parts = {"severity": -severity_rank(f.get("severity") or "", -1),
                 "status": _ATTENTION.get(f.get("status") or "", len(_ATTENTION)),
                 "control": f.get("control_id") or "", "resource": f.get("resource_id") or "",
                 "target": f.get("target_id") or ""}
        return (parts[by],) + tuple(parts[k] for k in SORTS)

    return key


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept; the one form every hash is taken over
    (documents, findings, scans, evidence packs).

    One shared encoder: ``json.dumps`` with these options builds a new encoder per call, a third of the
    cost of encoding a finding's evidence. The encoder holds no state between calls; the text is the same.
    """
    return _CANONICAL.encode(obj)


def evidence_json(obj: Any) -> str:
    """The stored text of a finding's evidence: canonical JSON written by orjson, 2-3x faster than
    :func:`canonical_json` on the store's hot path and the same text for everything but floats in
    exponent form (``1e16``, ``1e-05``: orjson writes ``1e16``, ``0.00001``) and NaN/Infinity (orjson
    writes ``null``, which is valid JSON where ``NaN`` is not). Evidence is addressed by the sha256 of
    these bytes and verified against them, never re-encoded. What orjson refuses (integers beyond 64
    bits) falls back to :func:`canonical_json`."""
    import orjson

    try:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS, default=str).decode("utf-8")
    except TypeError:
        return _CANONICAL.encode(obj)


class Status(str, enum.Enum):
    """The result of one control on one resource."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOTAPPLICABLE = "notapplicable"
    NOTCHECKED = "notchecked"
    WAIVED = "waived"


class Severity(str, enum.Enum):
    """How much a failing control matters; ordered by :attr:`rank`."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe: info=0 ... critical=4."""
        return _SEVERITY_RANK[self.value]


_SEVERITY_RANK = {name: len(SEVERITIES) - 1 - i for i, name in enumerate(SEVERITIES)}


class ScanStatus(str, enum.Enum):
    """Lifecycle of a scan row in the store."""

    RUNNING = "running"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    FAILED = "failed"


@dataclass(frozen=True)
class SourcePos:
    """Where something was written: file, 1-based line and column."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class InputSpec:
    """A typed, defaulted parameter of a control (InSpec input / XCCDF Value)."""

    name: str
    type: str
    """One of string, integer, number, boolean, list[string], list[integer], list[number], map."""
    default: Any = None
    allowed: tuple[Any, ...] | None = None
    description: str = ""
    sensitive: bool = False
    """Redacted in the store, reports and logs."""


@dataclass(frozen=True)
class Control:
    """A loaded and validated ``kind: Control`` document."""

    id: str
    version: str
    title: str
    severity: Severity
    provider: str
    resource: str
    assert_: Mapping[str, Any]
    """The compliant condition (the ``assert`` key of the document)."""
    description: str = ""
    rationale: str = ""
    tags: tuple[str, ...] = ()
    status: str = "stable"
    mappings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    scope_where: Mapping[str, Any] | None = None
    scope_regions: tuple[str, ...] | None = None
    platforms: tuple[str, ...] = ()
    applies_if: Mapping[str, Any] | None = None
    inputs: tuple[InputSpec, ...] = ()
    result: Mapping[str, Any] = field(default_factory=dict)
    """Message templates (``pass``, ``fail``, ``error``) and ``evidence`` attribute list."""
    remediation: Mapping[str, str] = field(default_factory=dict)
    document: Mapping[str, Any] = field(default_factory=dict)
    """The whole document as loaded (plain data), snapshotted into the store."""
    sha256: str = ""
    """sha256 of the canonical JSON of :attr:`document`."""
    source: SourcePos | None = None
    max_age: int | None = None
    """How fresh its evidence must be, in seconds (``max_age: 3d``); None: the profile's or class's."""
    not_assessed: str = ""
    """Non-empty for a control that is never evaluated (a benchmark's manual recommendation, see
    :mod:`scanner.policy.benchmark`): every target gets ``notchecked`` with this reason."""

    def input_spec(self, name: str) -> InputSpec | None:
        for spec in self.inputs:
            if spec.name == name:
                return spec
        return None


@dataclass(frozen=True)
class Exclusion:
    """A control a profile deselected, with the reason the report shows."""

    control_glob: str
    reason: str


@dataclass(frozen=True)
class Profile:
    """A loaded ``kind: Profile`` document (tailoring), before ``extends`` is resolved."""

    id: str
    version: str
    title: str
    extends: tuple[str, ...] = ()
    baseline: str | None = None
    include: tuple[Any, ...] = ()
    """Id globs (str) or ``{"mapping": fw, "ids": [...]}`` selectors."""
    exclude: tuple[Exclusion, ...] = ()
    inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    refine: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    gate: Mapping[str, Any] = field(default_factory=dict)
    document: Mapping[str, Any] = field(default_factory=dict)
    sha256: str = ""
    source: SourcePos | None = None
    max_age: int | None = None
    """How fresh the evidence of the controls it selects must be, in seconds; None: from the class."""
    certification: Mapping[str, str] | None = None
    """``{"framework": "fedramp-20x", "class": "b"|"c"}`` when the profile is for a certification class."""
    benchmark: Mapping[str, Any] | None = None
    """``{"framework": <policies/frameworks name>, "level": ..., "manual": [ids]}``: the benchmark level the
    profile implements (:mod:`scanner.policy.benchmark`)."""


@dataclass(frozen=True)
class Waiver:
    """A loaded ``kind: Waiver`` document."""

    id: str
    title: str
    controls: tuple[str, ...]
    match: Mapping[str, Any]
    type: str
    justification: str
    approved_by: Mapping[str, Any]
    expires: str
    """ISO date (YYYY-MM-DD); the waiver applies through the end of that day (UTC)."""
    poam_id: str | None = None
    run: bool = True
    document: Mapping[str, Any] = field(default_factory=dict)
    sha256: str = ""
    source: SourcePos | None = None


@dataclass(frozen=True)
class Target:
    """One thing to scan: a host, an AWS account, a network range or nmap file."""

    id: str
    """Stable id used in findings, e.g. ``local:web01``, ``ssh://admin@web01:22``, ``aws:123456789012``."""
    kind: str
    """The provider name that handles it (host, aws, network)."""
    address: str
    name: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Provider-specific connection options (user, port, key, sudo, role_arn, regions...)."""
    vars: Mapping[str, Any] = field(default_factory=dict)
    """Inventory variables; they override control input defaults for this target."""


@dataclass(frozen=True)
class Resource:
    """One collected resource: a plain-dict view a control's conditions read."""

    id: str
    type: str
    attrs: Mapping[str, Any]
    region: str | None = None
    error: str | None = None
    """Set when the provider could not read this resource at all: every control on it is ``error``."""
    attr_errors: Mapping[str, str] = field(default_factory=dict)
    """Attribute paths (``tls`` or ``tls.cert``) that could not be read, with the reason: a control
    whose ``assert`` reads one of them is ``error`` on this resource; the others still decide."""
    attr_notchecked: Mapping[str, str] = field(default_factory=dict)
    """Attribute paths the collector deliberately did not collect (an opt-in check left off), with the
    reason: a control whose ``applies_if`` or ``assert`` reads one of them is ``notchecked`` (not
    assessed), never ``pass`` or ``notapplicable``. Unreadable attributes (:attr:`attr_errors`) win."""
    sources: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    """Where attributes were read on the target: attribute path (``permitrootlogin``, ``tls.cert``)
    -> ``({"path": "/etc/ssh/sshd_config", "line": 12}, ...)`` (``line`` may be absent). A finding's
    evidence carries the locations of the attributes its control reads (``evidence.locations``), which
    reports turn into file locations (SARIF physicalLocation)."""
    coverage: Mapping[str, Any] = field(default_factory=dict)
    """List attributes that hold only part of what exists (a port table lists the ports nmap
    scanned): attribute path -> a :class:`scanner.coverage.ListCoverage`. A control that would pass
    while reading entries outside the covered part is ``error`` or ``notchecked`` instead."""


@dataclass(frozen=True)
class CollectError:
    """A resource type (or part of it, e.g. one region) that could not be collected."""

    resource_type: str
    message: str
    scope: str | None = None
    """What part was lost, e.g. a region ``us-east-1`` or an API ``s3:GetBucketPolicy``."""
    region: str | None = None
    """The region the lost part was in (set by providers whose resources carry a region)."""


@dataclass
class Collection:
    """What a provider returns for one target."""

    resources: dict[str, list[Resource]] = field(default_factory=dict)
    errors: list[CollectError] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    """A short summary of the target (os, account id...) stored on the targets row."""
    api_calls: int = 0
    fatal: str | None = None
    """Set when the target could not be reached at all (every control on it is ``error``)."""
    incomplete: dict[str, str] = field(default_factory=dict)
    """Resource type -> why some resources of that type may not have been seen (a partial port scan
    finds no TLS service on the ports it skipped): a control that finds none in scope is then
    ``notchecked`` with that reason, never ``notapplicable``."""


@dataclass(frozen=True)
class Finding:
    """The result of one control on one resource of one target."""

    control_id: str
    target_id: str
    resource_id: str
    resource_type: str
    status: Status
    severity: Severity
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    region: str | None = None
    waiver_id: str | None = None
