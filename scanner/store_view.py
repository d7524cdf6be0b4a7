"""Reading one stored scan: :class:`ScanView` and the typed read model it returns (re-exported by
:mod:`scanner.store`): what renderers, the ledger and ``govscan diff`` read.

Findings (:class:`FindingRecord`), their evidence (:class:`Evidence`), and the scan's control and
waiver snapshots (:class:`ControlRecord`, :class:`WaiverRecord`), built once per view from the stored
rows. The SQL runs in :mod:`scanner.store_read`; this module is the only place that reads the
govscan/v1 policy layout of a snapshot's ``document``, so the policy schema can change without
changing what a report reads.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

if TYPE_CHECKING:
    from scanner.store import Store

#: The frameworks whose ids are NIST SP 800-53 control ids (FedRAMP rev5 uses the same ids).
NIST_FRAMEWORKS = ("nist-800-53-rev5", "fedramp-rev5")
_TOKEN = re.compile(r"^[^\W\d][\w.\-]*$")


def control_sort_key(cid: str) -> tuple[Any, ...]:
    """Catalog order of NIST ids: ``ac-2`` < ``ac-2.1`` < ``ac-10``."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[-.]", cid))


def nist_ids(mappings: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The NIST SP 800-53 ids ``mappings`` name (lower case, well formed), in catalog order."""
    ids: set[str] = set()
    for fw in NIST_FRAMEWORKS:
        for cid in (mappings or {}).get(fw) or []:
            if isinstance(cid, str) and _TOKEN.match(cid.lower()):
                ids.add(cid.lower())
    return tuple(sorted(ids, key=control_sort_key))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()


class WaiverState(str, enum.Enum):
    """What a waiver did to a finding (the renderers read this, never re-derive it)."""

    WAIVED = "waived"
    """A waiver in force covers the failure: the finding is ``waived``."""
    EXPIRED = "expired"
    """A matching waiver had expired when the scan ran: the finding stays ``fail`` and names it."""


#: Version of the evidence document a finding references (the keys :class:`Evidence` reads). Evidence
#: is content-addressed and hashed into the chain, so the version is declared here, not stored in it.
EVIDENCE_SCHEMA = 1

#: The stored columns of a finding, in table order: what ``dict(record)`` holds.
FINDING_COLUMNS = ("id", "scan_id", "control_id", "target_id", "resource_id", "resource_type", "region", "status",
                   "severity", "message", "evidence_sha256", "waiver_id", "time", "hash")


@dataclass(frozen=True, eq=False)  # equal to a mapping of the same columns, as a row was
class FindingRecord(Mapping[str, Any]):
    """One stored finding as renderers read it: typed, frozen, with its waiver state explicit.

    It is also a read-only mapping of the stored columns (``f["status"]``, ``dict(f)``), so a
    renderer written against rows keeps working while it moves to attributes."""

    id: int
    scan_id: str
    control_id: str
    target_id: str
    resource_id: str
    resource_type: str
    region: str | None
    status: str
    """pass, fail, error, waived, notapplicable or notchecked (:class:`scanner.model.Status`)."""
    severity: str
    message: str
    evidence_sha256: str | None
    waiver_id: str | None
    time: str
    hash: str
    """The finding's hash in the scan's chain."""
    waiver_state: WaiverState | None = None
    """``waived`` or ``expired`` when a waiver matched the failure, else None."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "FindingRecord":
        state = None
        if row.get("waiver_id"):
            state = WaiverState.WAIVED if row["status"] == "waived" else WaiverState.EXPIRED
        values: dict[str, Any] = {k: row.get(k) for k in FINDING_COLUMNS}
        return cls(**values, waiver_state=state)

    def __getitem__(self, key: str) -> Any:
        if key not in FINDING_COLUMNS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(FINDING_COLUMNS)

    def __len__(self) -> int:
        return len(FINDING_COLUMNS)


@dataclass(frozen=True, eq=False)  # equal to the stored document it reads
class Evidence(Mapping[str, Any]):
    """The evidence of a finding (schema :data:`EVIDENCE_SCHEMA`): what was expected and observed,
    where it was read. A read-only mapping of the stored document as well."""

    document: Mapping[str, Any]
    schema: int = EVIDENCE_SCHEMA

    @property
    def expected(self) -> Any:
        return self.document.get("expected")

    @property
    def found(self) -> Any:
        return self.document.get("found")

    @property
    def observed(self) -> Mapping[str, Any]:
        """Attribute path -> the value the control read (``result.evidence`` paths included)."""
        return self.document.get("observed") or {}

    @property
    def locations(self) -> list[Mapping[str, Any]]:
        """``{"attribute", "path", "line"}`` of where the attributes read were found on the target."""
        return list(self.document.get("locations") or [])

    @property
    def error(self) -> str | None:
        return self.document.get("error")

    def __getitem__(self, key: str) -> Any:
        return self.document[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document)

    def __len__(self) -> int:
        return len(self.document)


@dataclass(frozen=True)
class Remediation:
    """How to fix a failure of a control: text, and the commands or code that do it."""

    text: str = ""
    cli: str = ""
    terraform: str = ""
    ansible: str = ""
    url: str = ""

    @classmethod
    def of(cls, value: Any) -> "Remediation":
        if isinstance(value, Mapping):
            return cls(**{k: _text(value.get(k) or "") for k in ("text", "cli", "terraform", "ansible", "url")})
        return cls(text=_text(value or ""))

    def __bool__(self) -> bool:
        return any((self.text, self.cli, self.terraform, self.ansible, self.url))


@dataclass(frozen=True)
class StigRef:
    """The DISA STIG rule (one benchmark's) a control checks."""

    benchmark: str
    vuln_id: str
    rule_id: str
    stig_id: str
    severity: str
    """CAT I, CAT II or CAT III."""
    cci: tuple[str, ...] = ()
    shared_with: tuple[str, ...] = ()
    """Other controls checking the rest of the rule."""

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> "StigRef":
        return cls(_text(entry.get("benchmark")), _text(entry.get("vuln_id")), _text(entry.get("rule_id")),
                   _text(entry.get("stig_id")), _text(entry.get("severity")), _strings(entry.get("cci")),
                   _strings(entry.get("shared_with")))


#: The stored columns of a control snapshot a record carries (``document`` is read into the fields below).
CONTROL_COLUMNS = ("id", "version", "sha256", "title", "severity", "provider", "resource", "mappings", "tags",
                   "inputs", "source")


@dataclass(frozen=True)
class ControlRecord:
    """One control as the scan ran it: its stored columns and what reports show of its document."""

    id: str
    version: str | None
    sha256: str | None
    title: str
    severity: str
    """The effective severity (after ``refine``)."""
    provider: str | None
    resource: str | None
    mappings: Mapping[str, tuple[str, ...]]
    """framework -> catalog ids."""
    tags: tuple[str, ...]
    inputs: Mapping[str, Any]
    """Resolved inputs (sensitive ones redacted)."""
    source: str | None
    """``file:line`` of the control's YAML when it ran."""
    description: str = ""
    rationale: str = ""
    remediation: Remediation = Remediation()
    check: Any = None
    """The ``assert`` condition as run (a JSON value)."""
    stig: tuple[StigRef, ...] = ()
    max_age: int | None = None
    """The evidence age the control itself declares (seconds), for the ledger; None: none declared."""
    not_assessed: str = ""
    """Why a profile's recommendation is reported without being evaluated (a CIS manual one, a STIG rule no
    control implements); "" for an evaluated control."""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "ControlRecord":
        """The record of a decoded ``controls`` snapshot row (JSON columns parsed)."""
        doc = _map(row.get("document"))
        meta = _map(doc.get("metadata"))
        raw_stig = doc.get("stig")
        mappings = _map(row.get("mappings"))
        return cls(
            id=str(row["id"]), version=row.get("version"), sha256=row.get("sha256"), title=_text(row.get("title")),
            severity=_text(row.get("severity")), provider=row.get("provider"), resource=row.get("resource"),
            mappings={str(fw): _strings(ids) for fw, ids in mappings.items()}, tags=_strings(row.get("tags")),
            inputs=dict(_map(row.get("inputs"))), source=row.get("source"),
            description=_text(meta.get("description") or doc.get("description") or ""),
            rationale=_text(meta.get("rationale") or ""), remediation=Remediation.of(doc.get("remediation")),
            check=doc.get("assert"),
            stig=tuple(StigRef.of(e) for e in (raw_stig if isinstance(raw_stig, list) else ())
                       if isinstance(e, Mapping) and e.get("benchmark") and e.get("vuln_id")),
            max_age=_declared_age(doc.get("max_age")), not_assessed=_text(doc.get("not_assessed") or ""))

    @classmethod
    def missing(cls, control_id: str, severity: str = "") -> "ControlRecord":
        """Stands for a control a finding names whose snapshot is not in the scan (titled by its id)."""
        return cls(control_id, None, None, control_id, severity, None, None, {}, (), {}, None)

    @property
    def nist(self) -> tuple[str, ...]:
        """The NIST SP 800-53 ids the control maps to (through NIST or FedRAMP rev5), in catalog order."""
        return nist_ids(self.mappings)

    def columns(self) -> dict[str, Any]:
        """The stored columns (without the document): what ``govscan report -f json`` lists."""
        return {k: getattr(self, k) for k in CONTROL_COLUMNS}


def _declared_age(value: Any) -> int | None:
    if not (isinstance(value, str) and value[:-1].isdigit() and value[-1:] in ("d", "h")):
        return None
    return int(value[:-1]) * (86400 if value.endswith("d") else 3600)


@dataclass(frozen=True)
class Approval:
    """Who approved a waiver, in what role, when."""

    name: str = ""
    role: str = ""
    date: str = ""


@dataclass(frozen=True)
class WaiverRecord:
    """One waiver as the scan applied it."""

    id: str
    state: str
    """``active`` (in force when the scan ran) or ``expired``."""
    expires: str | None
    sha256: str | None
    title: str = ""
    type: str = ""
    """false-positive, operational-requirement, risk-adjustment or compensating-control."""
    justification: str = ""
    poam_id: str = ""
    controls: tuple[str, ...] = ()
    approved_by: Approval = Approval()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "WaiverRecord":
        """The record of a decoded ``waivers`` snapshot row."""
        doc = _map(row.get("document"))
        meta = _map(doc.get("metadata"))
        ab = _map(doc.get("approved_by"))
        return cls(id=str(row["id"]), state=_text(row.get("state")), expires=row.get("expires") or doc.get("expires"),
                   sha256=row.get("sha256"), title=_text(meta.get("title") or ""), type=_text(doc.get("type") or ""),
                   justification=_text(doc.get("justification") or ""), poam_id=_text(doc.get("poam_id") or ""),
                   controls=_strings(doc.get("controls")),
                   approved_by=Approval(*(_text(ab.get(k) or "") for k in ("name", "role", "date"))))

    @property
    def active(self) -> bool:
        return self.state == "active"

    def columns(self) -> dict[str, Any]:
        """The stored columns (without the document)."""
        return {"id": self.id, "state": self.state, "expires": self.expires, "sha256": self.sha256}


_JSON_COLUMNS = {
    "scans": ("targets_spec", "options", "gate", "summary"),
    "targets": ("facts",),
    "controls": ("mappings", "tags", "inputs", "document"),
    "waivers": ("document",),
}


def _decode(table: str, row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for col in _JSON_COLUMNS.get(table, ()):
        if out.get(col) is not None:
            out[col] = json.loads(out[col])
    return out


class ScanView:
    """A read-only view of one stored scan: what every renderer reads (the store runs the SQL)."""

    def __init__(self, store: Store, scan_id: str):
        self.store = store
        self.id = scan_id
        self.scan = _decode("scans", store.scan_row(scan_id))
        self.targets = [_decode("targets", r) for r in store.snapshot_rows(scan_id, "targets")]
        self.controls: dict[str, ControlRecord] = {
            r.id: r for r in (ControlRecord.from_row(_decode("controls", x))
                              for x in store.snapshot_rows(scan_id, "controls"))}
        """control id -> the control as the scan ran it, in id order."""
        self.waivers: list[WaiverRecord] = [WaiverRecord.from_row(_decode("waivers", r))
                                            for r in store.snapshot_rows(scan_id, "waivers")]
        self._waiver_index = {w.id: w for w in self.waivers}
        self.exclusions = store.snapshot_rows(scan_id, "exclusions")

    def control(self, control_id: str, severity: str = "") -> ControlRecord:
        """The snapshot of ``control_id``, or a stand-in (no title) when the scan holds none."""
        return self.controls.get(control_id) or ControlRecord.missing(control_id, severity)

    def waiver(self, waiver_id: str | None) -> WaiverRecord | None:
        """The waiver ``waiver_id`` as the scan applied it (None when absent)."""
        return self._waiver_index.get(waiver_id or "")

    def documents(self, table: str) -> Iterator[tuple[str, str | None, str]]:
        """``(id, sha256, canonical JSON)`` of each control or waiver snapshot's document exactly as stored
        (what the evidence pack writes; reports read the records, never the policy layout)."""
        from scanner.model import canonical_json

        for ident, sha, text in self.store.documents(self.id, table):
            yield ident, sha, canonical_json(json.loads(text)) if text is not None else "null"

    def findings(self, *, status: Iterable[str] | None = None, severity: Iterable[str] | None = None,
                 control: str | None = None, resource: str | None = None) -> Iterator[FindingRecord]:
        """Findings in insertion order, optionally filtered; streamed, not loaded at once."""
        for row in self.store.finding_rows(self.id, status=status, severity=severity, control=control,
                                           resource=resource):
            yield FindingRecord.from_row(row)

    def evidence(self, sha256: str | None) -> Evidence | None:
        """The evidence stored under ``sha256`` (None if absent)."""
        text = self.store.evidence_text(sha256) if sha256 else None
        return Evidence(json.loads(text)) if text is not None else None

    def counts(self) -> dict[str, dict[str, int]]:
        """Finding counts: status -> severity -> n."""
        return self.store.summary(self.id)

    def finding_count(self) -> int:
        return self.store.finding_count(self.id)

    def history(self, limit: int = 12) -> list[dict[str, Any]]:
        """The sealed scans of exactly this scan's targets up to this one, oldest first (at most ``limit``):
        ``{"id", "seq", "started", "status", "summary"}`` (summary: status -> severity -> n)."""
        seq = self.scan.get("seq")
        if seq is None:
            return []
        mine = sorted(t["id"] for t in self.targets)
        out = []
        for sid, sseq, started, status, summary, targets in self.store.history_rows(seq):
            if sorted((targets or "").split("\x1f")) == mine or (not targets and not mine):
                out.append({"id": sid, "seq": sseq, "started": started, "status": status,
                            "summary": json.loads(summary) if summary else {}})
                if len(out) >= limit:
                    break
        return out[::-1]


def control_snapshots(store: Store, scan_ids: Iterable[str]) -> dict[str, ControlRecord]:
    """control id -> its snapshot in the newest of ``scan_ids`` (oldest first) that ran it (the ledger's controls)."""
    return {cid: ControlRecord.from_row(_decode("controls", row))
            for cid, row in store.latest_control_rows(scan_ids).items()}
