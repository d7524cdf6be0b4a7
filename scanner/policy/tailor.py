"""Profile tailoring: which controls run, with which inputs and severities, and the gate.

``extends`` is resolved parents first; a child adds ``include`` selections, removes ``exclude``
ones (each with the reason the report shows), overrides ``inputs``, ``refine``s severities and
overrides ``gate`` keys. ``baseline`` limits the selection to controls mapped to an official
baseline (an OSCAL profile or a shipped baseline such as ``fedramp-rev5-moderate``).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from scanner.errors import UsageError
from scanner.gate import DEFAULTS as GATE_DEFAULTS
from scanner.model import Control, Profile, Severity, severity_rank
from scanner.policy.lint import baseline_ids, oscal_profile_path, strip_version
from scanner.policy.loader import PolicySet, sha256_of
from scanner.suggest import did_you_mean

# The profile `govscan scan` uses for a kind of target when none is given.


@dataclass
class Selection:
    """The outcome of tailoring: what a scan runs."""

    profile: str
    profile_sha256: str
    controls: dict[str, Control] = field(default_factory=dict)
    """Selected controls, with refined severities applied."""
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """control id -> input name -> value (profile overrides only; defaults are on the control)."""
    exclusions: dict[str, tuple[str, str]] = field(default_factory=dict)
    """control id -> (reason, profile id) for controls a profile excluded."""
    gate: dict[str, Any] = field(default_factory=dict)
    benchmark: tuple[str, str] | None = None
    """(framework, level) of the benchmark the profile implements (the child's when it extends one)."""
    manual: tuple[str, ...] = ()
    """The benchmark's manual recommendations the profile (and those it extends) lists: each is a control
    in :attr:`controls` that is reported ``notchecked`` (:mod:`scanner.policy.benchmark`)."""
    stig: str | None = None
    """The DISA STIG benchmark the profile implements (:mod:`scanner.policy.stig`)."""


def _mapping_match(control: Control, framework: str, ids: Iterable[str]) -> bool:
    mapped = control.mappings.get(framework, ())
    wanted = set(ids)
    return any(m in wanted or m.split(".")[0] in wanted for m in mapped)


def _baseline_set(profile: Profile, pset: PolicySet) -> set[str] | None:
    if not profile.baseline:
        return None
    named = baseline_ids(profile.baseline)
    if named is not None:
        return set(named)
    doc = pset.documents.get(("Profile", profile.id))
    path = oscal_profile_path(profile.baseline, doc.file if doc else ".")
    if path is None:
        raise UsageError(f"profile {profile.id}: OSCAL baseline {profile.baseline!r} not found")
    data = json.loads(path.read_text())
    ids: set[str] = set()
    for imp in data.get("profile", {}).get("imports", []):
        for inc in imp.get("include-controls", []):
            ids.update(inc.get("with-ids", []))
    return ids


def _in_baseline(control: Control, ids: set[str]) -> bool:
    for fw, mapped in control.mappings.items():
        if fw.startswith(("nist-800-53", "fedramp")) and any(m in ids for m in mapped):
            return True
    return False


def _resolve(pset: PolicySet, profile_id: str, trail: tuple[str, ...]) -> Selection:
    if profile_id not in pset.profiles:
        raise UsageError(f"unknown profile {profile_id!r}{did_you_mean(profile_id, pset.profiles)}"
                         f" (known: {', '.join(sorted(pset.profiles)) or 'none'})")
    if profile_id in trail:
        raise UsageError(f"profile extends cycle: {' -> '.join(trail + (profile_id,))}")
    prof = pset.profiles[profile_id]
    sel = Selection(profile=prof.id, profile_sha256=prof.sha256)
    parent_hashes = []
    for parent in prof.extends:
        base = _resolve(pset, strip_version(parent), trail + (profile_id,))
        parent_hashes.append(base.profile_sha256)
        sel.controls.update(base.controls)
        for cid, values in base.inputs.items():
            sel.inputs.setdefault(cid, {}).update(values)
        sel.exclusions.update(base.exclusions)
        sel.gate.update(base.gate)
        sel.benchmark = base.benchmark or sel.benchmark
        sel.manual += tuple(m for m in base.manual if m not in sel.manual)
        sel.stig = base.stig or sel.stig
    if not prof.include and not prof.extends and not (prof.document or {}).get("stig"):
        sel.controls.update(pset.controls)
    for inc in prof.include:
        if isinstance(inc, str):
            for cid in fnmatch.filter(pset.controls, inc):
                sel.controls[cid] = pset.controls[cid]
        else:
            ids = inc.get("ids") or sorted(baseline_ids(inc.get("baseline", "")) or ())
            for cid, control in pset.controls.items():
                if _mapping_match(control, inc["mapping"], ids):
                    sel.controls[cid] = control
    limit = _baseline_set(prof, pset)
    if limit is not None:
        for cid in [c for c, ctl in sel.controls.items() if not _in_baseline(ctl, limit)]:
            del sel.controls[cid]
    for exc in prof.exclude:
        for cid in fnmatch.filter(list(sel.controls), exc.control_glob):
            del sel.controls[cid]
            sel.exclusions[cid] = (exc.reason, prof.id)
    for cid, overrides in prof.inputs.items():
        sel.inputs.setdefault(cid, {}).update(overrides)
    for glob, changes in prof.refine.items():
        for cid in fnmatch.filter(list(sel.controls), glob):
            if "severity" in changes:
                sel.controls[cid] = dataclasses.replace(sel.controls[cid], severity=Severity(changes["severity"]))
    sel.gate.update(prof.gate)
    stig_spec = (prof.document or {}).get("stig")
    if stig_spec:
        _add_stig(sel, pset, str(stig_spec["benchmark"]))
    if prof.benchmark:
        _add_manual(sel, prof.benchmark)
    if parent_hashes:  # provenance covers the whole chain: a change in a parent changes the hash
        sel.profile_sha256 = sha256_of([prof.sha256, *parent_hashes])
    return sel


def _add_manual(sel: Selection, spec: Mapping[str, Any]) -> None:
    """The profile's benchmark level, and a never-evaluated control per manual recommendation it lists."""
    from scanner.policy.benchmark import manual_control, recommendations

    framework = str(spec["framework"])
    if recommendations(framework) is None:
        raise UsageError(f"profile {sel.profile}: unknown benchmark {framework!r}")
    sel.benchmark = (framework, str(spec["level"]))
    for rec in spec.get("manual") or ():
        if rec not in sel.manual:
            sel.manual += (str(rec),)
        control = manual_control(framework, str(rec))
        sel.controls[control.id] = control


def _add_stig(sel: Selection, pset: PolicySet, bench: str) -> None:
    """Every control carrying a rule of the STIG ``bench``, and a never-evaluated control per rule none carries."""
    from scanner.policy import stig

    if not stig.catalogue(bench):
        raise UsageError(f"profile {sel.profile}: unknown STIG benchmark {bench!r}")
    sel.stig = bench
    for cid, control in pset.controls.items():
        if any(e.get("benchmark") == bench for e in stig.entries(control.document)):
            sel.controls[cid] = control
    for vuln in stig.coverage(bench, sel.controls.values()).not_covered:
        control = stig.not_assessed_control(bench, vuln)
        sel.controls[control.id] = control


def _gate_rank(severity: str) -> int:
    """A gate severity's strictness, lowest first: info (fails on anything) ... critical, then none."""
    return 99 if severity == "none" else severity_rank(severity, 99)


def _stricter_gate(into: dict[str, Any], other: Mapping[str, Any]) -> None:
    """Merge the gate of one more profile: the strictest setting of each key wins."""
    for key, value in other.items():
        if key not in into:
            into[key] = value
        elif key == "fail_on_severity":
            into[key] = min(into[key], value, key=_gate_rank)
        elif key in ("fail_on_error", "fail_on_notchecked"):
            into[key] = bool(into[key]) or bool(value)
        elif key == "expired_waivers":
            into[key] = "fail" if "fail" in (into[key], value) else value


def select(pset: PolicySet, profile_ids: Iterable[str] = (), control_globs: Iterable[str] = ()) -> Selection:
    """Tailor: resolve the named profiles (merged) and then keep only ``control_globs`` if given.

    With no profile, every loaded control is a candidate for ``control_globs``.
    """
    profile_ids = list(profile_ids)
    globs = list(control_globs)
    if profile_ids:
        sel = Selection(profile="+".join(profile_ids), profile_sha256="")
        hashes = []
        for pid in profile_ids:
            part = _resolve(pset, pid, ())
            sel.controls.update(part.controls)
            for cid, values in part.inputs.items():
                sel.inputs.setdefault(cid, {}).update(values)
            sel.exclusions.update(part.exclusions)
            sel.benchmark = sel.benchmark or part.benchmark
            sel.manual += tuple(m for m in part.manual if m not in sel.manual)
            sel.stig = sel.stig or part.stig
            # a profile that says nothing about a key means the default, which may be the stricter
            _stricter_gate(sel.gate, {**GATE_DEFAULTS, **part.gate} if len(profile_ids) > 1 else part.gate)
            hashes.append(part.profile_sha256)
        for cid in list(sel.exclusions):
            if cid in sel.controls:  # another profile selects it: it runs, so it is not "excluded"
                del sel.exclusions[cid]
        sel.profile_sha256 = hashes[0] if len(hashes) == 1 else sha256_of(hashes)
    else:
        sel = Selection(profile="(controls)", profile_sha256=sha256_of(sorted(globs)), controls=dict(pset.controls))
    if globs:
        keep: dict[str, Control] = {}
        for glob in globs:
            matched = fnmatch.filter(list(sel.controls), glob)
            if not matched:
                where = f"profile {sel.profile}" if profile_ids else "the loaded policies"
                raise UsageError(f"-c {glob!r} matches no control in {where}{did_you_mean(glob, sel.controls)}")
            keep.update({cid: sel.controls[cid] for cid in matched})
        sel.controls = keep
    return sel
