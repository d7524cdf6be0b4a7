"""Load policy files (controls, profiles, waivers) into validated records.

Every problem in every file is collected with its file:line:col before anything is rejected, so a
policy author sees all of them at once; nothing runs on a policy with errors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from scanner.errors import Diagnostic, PolicyError
from scanner.model import Control, Exclusion, InputSpec, Profile, Severity, SourcePos, Waiver, canonical_json
from scanner.policy import schema
from scanner.policy.yamlpos import Document, read_file

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class PolicySet:
    """Everything loaded from a set of policy paths."""

    controls: dict[str, Control] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    waivers: dict[str, Waiver] = field(default_factory=dict)
    documents: dict[tuple[str, str], Document] = field(default_factory=dict)
    """(kind, id) -> the YAML document it came from (for positions in later checks)."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    shadowed: list[tuple[str, Document, Any]] = field(default_factory=list)
    """Documents whose id was already taken: (kind, document, record), reported, not used, still linted."""
    invalid: list[Document] = field(default_factory=list)
    """Documents that failed their schema: not used; what can be is still linted (lint.partial)."""

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "warning"]


def sha256_of(data: Any) -> str:
    """sha256 of the canonical JSON of a document."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def expand_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Diagnostic]]:
    """Files named, plus every *.yaml/*.yml under directories named, sorted for stable output."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files.extend(sorted(f for f in path.rglob("*") if f.suffix in YAML_SUFFIXES and f.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Diagnostic(str(path), 0, 0, "no such file or directory"))
    return files, problems


def builtin_paths() -> list[Path]:
    """The control pack shipped with govscan."""
    import policies

    return [policies.CONTROLS, policies.PROFILES]


_PARSED: dict[tuple[str, int, int], tuple[list[Document], list[Diagnostic]]] = {}


def read_documents(files: Sequence[Path]) -> tuple[list[Document], list[Diagnostic]]:
    """Parse files (cached per process by path, mtime and size: documents are never mutated; the
    shipped files also across runs by content, see :mod:`scanner.policy.cache`)."""
    from scanner.policy.cache import Cache

    docs: list[Document] = []
    problems: list[Diagnostic] = []
    disk: Cache | None = None
    for f in files:
        try:
            st = f.stat()
            key = (str(f), st.st_mtime_ns, st.st_size)
        except OSError:
            key = None
        if key is not None and key in _PARSED:
            cached_docs, cached_problems = _PARSED[key]
            docs.extend(cached_docs)
            problems.extend(cached_problems)
            continue
        if disk is None:
            disk = Cache(files)
        start_docs, start_problems = len(docs), len(problems)
        hit = disk.get(f)
        if hit is not None:
            docs.extend(hit[0])
            problems.extend(hit[1])
        else:
            _read_one(f, docs, problems)
            disk.put(f, docs[start_docs:], problems[start_problems:])
        if key is not None:
            _PARSED[key] = (docs[start_docs:], problems[start_problems:])
    if disk is not None:
        disk.save()
    return docs, problems


def forget_parsed() -> None:
    """Let go of this process's parsed documents (a scan keeps only its selected controls: the documents
    of every shipped file, with their line and column maps, are tens of MB)."""
    _PARSED.clear()


def _read_one(f: Path, docs: list[Document], problems: list[Diagnostic]) -> None:
    """Parse one file, appending its documents and problems."""
    found, errs, _ = read_file(f)
    problems.extend(errs)
    for d in found:
        if d.data is None:
            continue  # an empty document between '---' separators
        docs.append(d)
    if not found and not errs:
        problems.append(Diagnostic(str(f), 1, 1, "empty file: expected a govscan/v1 document", level="warning"))


def load(paths: Iterable[str | Path] = (), *, builtin: bool = True, lint: bool = True) -> PolicySet:
    """Load and lint policy files; raises :class:`PolicyError` if any error was found."""
    pset = collect(paths, builtin=builtin, lint=lint)
    if pset.errors:
        raise PolicyError(pset.errors)
    return pset


def collect(paths: Iterable[str | Path] = (), *, builtin: bool = True, lint: bool = True) -> PolicySet:
    """Load policy files and gather every diagnostic without raising."""
    shipped, problems = expand_paths(builtin_paths()) if builtin else ([], [])
    named, more = expand_paths([Path(p) for p in paths])
    problems += more
    files = _without_shipped_copies(shipped, named) + named
    # the same file named twice is read once
    unique: dict[Path, Path] = {}
    for f in files:
        unique.setdefault(f.resolve(), f)
    docs, errs = read_documents(list(unique.values()))
    pset = PolicySet(diagnostics=problems + errs)
    for doc in docs:
        bad = schema.validate(doc)
        if bad:
            pset.diagnostics.extend(bad)
            pset.invalid.append(doc)
            continue
        _add(pset, doc)
    schema.save_cache()
    if lint:
        from scanner.policy import lint as _lint

        pset.diagnostics.extend(_lint.check(pset))
        if builtin:
            from scanner.policy import stig

            pset.diagnostics.extend(stig.check_mapping(pset.controls))
    return pset


def _without_shipped_copies(shipped: list[Path], named: list[Path]) -> list[Path]:
    """The shipped files, less those the user named again: by resolved path, or by content (the
    ``policies/`` of a checkout next to a non-editable install of the same govscan). A file is not a
    duplicate of itself; it is read once, under the name the user gave, so problems point there."""
    if not named or not shipped:
        return shipped

    def size(f: Path) -> int:
        try:
            return f.stat().st_size
        except OSError:
            return -1

    def digest(f: Path) -> str | None:
        try:
            return hashlib.sha256(f.read_bytes()).hexdigest()
        except OSError:
            return None

    named_paths = {f.resolve() for f in named}
    named_sizes = {size(f) for f in named}
    named_digests: set[str] | None = None
    keep = []
    for f in shipped:
        if f.resolve() in named_paths:
            continue
        if size(f) in named_sizes:  # only files of a size the user named can be copies: hash those
            if named_digests is None:
                named_digests = {d for d in map(digest, named) if d is not None}
            if digest(f) in named_digests:
                continue
        keep.append(f)
    return keep


def _add(pset: PolicySet, doc: Document) -> None:
    data = doc.data
    kind = data["kind"]
    if kind == "Inventory":
        from scanner import inventory

        pset.diagnostics.extend(inventory.check(doc))
        return
    ident = data["metadata"]["id"]
    tables: dict[str, dict[str, Any]] = {"Control": pset.controls, "Profile": pset.profiles, "Waiver": pset.waivers}
    table = tables[kind]
    pos = doc.pos(())
    source = SourcePos(doc.file, pos[0], pos[1])
    builder = {"Control": control_from, "Profile": profile_from, "Waiver": waiver_from}[kind]
    if ident in table:
        first = table[ident].source
        pset.diagnostics.append(doc.diag(("metadata", "id"), f"duplicate {kind.lower()} id {ident!r} (first defined at {first})"))
        pset.shadowed.append((kind, doc, builder(data, source)))
        return
    table[ident] = builder(data, source)
    pset.documents[(kind, ident)] = doc


def control_from(data: dict[str, Any], source: SourcePos | None = None) -> Control:
    """Build a :class:`Control` from a schema-valid document (with the STIG rules policies/stig/mapping.json
    maps to it added to its ``stig`` list)."""
    from scanner.policy import stig

    data = stig.attach(data)
    md = data["metadata"]
    target = data["target"]
    scope = target.get("scope") or {}
    inputs = tuple(
        InputSpec(name=i["name"], type=i["type"], default=i.get("default"),
                  allowed=tuple(i["allowed"]) if "allowed" in i else None,
                  description=i.get("description", ""), sensitive=bool(i.get("sensitive", False)))
        for i in data.get("inputs") or ()
    )
    return Control(
        id=md["id"], version=md["version"], title=md["title"], severity=Severity(md["severity"]),
        provider=target["provider"], resource=target["resource"], assert_=data["assert"],
        description=md.get("description", ""), rationale=md.get("rationale", ""),
        tags=tuple(md.get("tags") or ()), status=md.get("status", "stable"),
        mappings={k: tuple(str(x) for x in v) for k, v in (data.get("mappings") or {}).items()},
        scope_where=scope.get("where"), scope_regions=tuple(scope["regions"]) if "regions" in scope else None,
        platforms=tuple(target.get("platforms") or ()), applies_if=target.get("applies_if"),
        inputs=inputs, result=data.get("result") or {}, remediation=data.get("remediation") or {},
        document=data, sha256=sha256_of(data), source=source, max_age=duration_seconds(data.get("max_age")),
    )


def duration_seconds(text: str | None) -> int | None:
    """``3d`` / ``12h`` (schema-checked) as seconds; None stays None."""
    if text is None:
        return None
    return int(text[:-1]) * (86400 if text.endswith("d") else 3600)


def profile_from(data: dict[str, Any], source: SourcePos | None = None) -> Profile:
    """Build a :class:`Profile` from a schema-valid document."""
    md = data["metadata"]
    extends = data.get("extends") or ()
    if isinstance(extends, str):
        extends = (extends,)
    select = data.get("select") or {}
    exclude = []
    for e in select.get("exclude") or ():
        exclude.append(Exclusion(e, "excluded by profile") if isinstance(e, str) else Exclusion(e["id"], e["reason"]))
    baseline = data.get("baseline") or {}
    return Profile(
        id=md["id"], version=str(md.get("version", "")), title=md["title"], extends=tuple(extends),
        baseline=baseline.get("oscal_profile") or baseline.get("framework"),
        include=tuple(select.get("include") or ()), exclude=tuple(exclude),
        inputs=data.get("inputs") or {}, refine=data.get("refine") or {}, gate=data.get("gate") or {},
        document=data, sha256=sha256_of(data), source=source, max_age=duration_seconds(data.get("max_age")),
        certification=data.get("certification"), benchmark=data.get("benchmark"),
    )


def waiver_from(data: dict[str, Any], source: SourcePos | None = None) -> Waiver:
    """Build a :class:`Waiver` from a schema-valid document."""
    md = data["metadata"]
    return Waiver(
        id=md["id"], title=md.get("title", ""), controls=tuple(data["controls"]), match=data.get("match") or {},
        type=data["type"], justification=data["justification"], approved_by=data["approved_by"],
        expires=data["expires"], poam_id=data.get("poam_id"), run=data.get("run", True),
        document=data, sha256=sha256_of(data), source=source,
    )


def load_controls(paths: Iterable[str | Path], *, builtin: bool = False) -> dict[str, Control]:
    """Controls from the given files/directories (linted; raises PolicyError on any error)."""
    return load(paths, builtin=builtin).controls
