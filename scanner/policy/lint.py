"""Semantic lint of loaded policy documents: what JSON Schema cannot say.

Unknown providers, resource types, attributes and inputs; bad conditions (via
:func:`scanner.conditions.syntax_problems`); framework ids checked against the NIST SP 800-53 rev5
catalog and FedRAMP baselines; profile references and ``extends`` cycles; waiver expiry.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import functools
import json
import re
from pathlib import Path
from typing import Any, Iterator

from scanner.errors import Diagnostic
from scanner.policy.yamlpos import Document
from scanner.resource_types import Node, path_problem
from scanner.suggest import did_you_mean

TEMPLATE_ROOTS = {"resource", "value", "expected", "inputs", "matched", "all_matched", "target", "control"}
"""Message template roots of every control; a provider adds its own (``template_roots``: host's ``host``)."""


def _template_roots(resource: str) -> set[str]:
    from scanner import registry
    from scanner.errors import UsageError

    try:
        extra = registry.provider(resource.split(".")[0]).template_roots
    except UsageError:
        extra = ()
    return TEMPLATE_ROOTS | set(extra)
MAX_WAIVER_DAYS = 365


@functools.lru_cache(maxsize=None)
def nist_ids() -> frozenset[str]:
    import policies

    data = json.loads((policies.FRAMEWORKS / "nist-800-53-rev5.json").read_text())
    return frozenset(data["controls"])


@functools.lru_cache(maxsize=None)
def baseline_ids(name: str) -> frozenset[str] | None:
    """Control ids of a shipped baseline (``fedramp-rev5-moderate``...), or None if there is none."""
    import policies

    path = policies.FRAMEWORKS / f"{name}.json"
    if not path.is_file() or name.startswith("nist-800-53-rev5"):
        return None
    data = json.loads(path.read_text())
    return frozenset(data["ids"]) if "ids" in data else None  # a recommendation list is not a baseline


def baseline_names() -> list[str]:
    import policies

    return sorted(p.stem for p in policies.FRAMEWORKS.glob("*.json") if baseline_ids(p.stem) is not None)


def ksi_ids() -> frozenset[str]:
    """The FedRAMP 20x Key Security Indicator ids (``KSI-CNA-RNT``...) of the shipped rules extract."""
    return baseline_ids("fedramp-20x") or frozenset()


def fedramp_ids() -> frozenset[str]:
    out: set[str] = set()
    for name in ("fedramp-rev5-low", "fedramp-rev5-moderate", "fedramp-rev5-high"):
        out |= baseline_ids(name) or set()
    return frozenset(out)


@functools.lru_cache(maxsize=None)
def cis_aws_ids() -> frozenset[str]:
    """Recommendation ids of the CIS AWS Foundations Benchmark v7.0.0 (``cis-aws-foundations-7.0``)."""
    import policies

    data = json.loads((policies.FRAMEWORKS / "cis-aws-foundations-7.0.json").read_text())
    return frozenset(data["recommendations"])


@functools.lru_cache(maxsize=None)
def prowler_ids() -> frozenset[str]:
    """Prowler's AWS check ids (the ``prowler`` mapping key: the checks a control corresponds to)."""
    import policies

    data = json.loads((policies.FRAMEWORKS / "prowler-aws-checks.json").read_text())
    return frozenset(data["checks"])


@functools.lru_cache(maxsize=None)
def cis_debian12_ids() -> frozenset[str]:
    """Recommendation ids of the CIS Debian Linux 12 Benchmark v1.1.0 (``cis-debian-12``)."""
    from scanner.policy.benchmark import recommendations

    return frozenset((recommendations("cis-debian-12-v1.1.0") or {}).get("recommendations") or ())


def check(pset: Any) -> list[Diagnostic]:
    """Every semantic problem in a :class:`~scanner.policy.loader.PolicySet`."""
    out: list[Diagnostic] = []
    shadowed = getattr(pset, "shadowed", [])
    documents = [(kind, doc, pset.controls[ident] if kind == "Control" else None)
                 for (kind, ident), doc in pset.documents.items()] + list(shadowed)
    for kind, doc, record in documents:
        if kind == "Control":
            out.extend(_control(doc, record))
        elif kind == "Profile":
            out.extend(_profile(doc, pset))
        elif kind == "Waiver":
            out.extend(_waiver(doc, pset))
    out.extend(_cycles(pset))
    from scanner.policy import stig
    out.extend(stig.check(pset))
    # a document that failed its schema: what can still be checked, except where the schema already spoke
    for doc in getattr(pset, "invalid", []):
        taken = {(d.file, d.line, d.col) for d in pset.diagnostics}
        out.extend(d for d in partial(doc) if (d.file, d.line, d.col) not in taken)
    return out


# -- controls ---------------------------------------------------------------------------------

def _control(doc: Document, control: Any) -> Iterator[Diagnostic]:
    from scanner import registry
    from scanner.errors import UsageError

    data = doc.data
    try:
        prov_names = registry.names(registry.PROVIDERS)
        types = registry.resource_types()
    except UsageError as exc:  # a broken provider plugin: name it once per control
        yield doc.diag(("target", "provider"), str(exc))
        return
    if control.provider not in prov_names:
        yield doc.diag(("target", "provider"), f"unknown provider {control.provider!r}{did_you_mean(control.provider, prov_names)}")
    elif control.provider in registry.broken():
        yield doc.diag(("target", "provider"), registry.broken()[control.provider])
        return
    rtype = types.get(control.resource)
    if rtype is None:
        yield doc.diag(("target", "resource"),
                       f"unknown resource type {control.resource!r}{did_you_mean(control.resource, types)}")
    elif not control.resource.startswith(control.provider + "."):
        yield doc.diag(("target", "resource"), f"resource type {control.resource!r} is not provided by {control.provider!r}")
    attrs = rtype.schema() if rtype is not None else None

    declared = [i["name"] for i in data.get("inputs") or ()]
    seen_inputs: set[str] = set()
    for n, spec in enumerate(data.get("inputs") or ()):
        name = spec["name"]
        if name in seen_inputs:
            yield doc.diag(("inputs", n, "name"), f"duplicate input {name!r}")
        seen_inputs.add(name)
        if "default" in spec:
            problem = type_problem(spec["type"], spec["default"])
            if problem:
                yield doc.diag(("inputs", n, "default"), f"default of input {name!r}: {problem}")
            elif "allowed" in spec:
                bad = _not_allowed(spec["default"], spec["allowed"])
                if bad is not None:
                    yield doc.diag(("inputs", n, "default"), f"default of input {name!r}: {bad!r} is not in allowed {spec['allowed']}")

    yield from _control_body(doc, control.resource, attrs, declared)


def partial(doc: Document) -> list[Diagnostic]:
    """What can still be checked in a Control document that failed its schema (conditions, message
    templates, framework ids), so one run reports every problem of the file, not the first kind.
    Best effort: a part too malformed to read is left to the schema's messages."""
    from scanner import registry
    from scanner.errors import UsageError

    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "Control":
        return []
    target: dict[str, Any] = data["target"] if isinstance(data.get("target"), dict) else {}
    resource: str = target["resource"] if isinstance(target.get("resource"), str) else ""
    try:
        rtype = registry.resource_types().get(resource)
    except UsageError:
        rtype = None
    attrs = rtype.schema() if rtype is not None else None
    inputs: list[Any] = data["inputs"] if isinstance(data.get("inputs"), list) else []
    declared = [i["name"] for i in inputs if isinstance(i, dict) and isinstance(i.get("name"), str)]
    out: list[Diagnostic] = []
    try:
        for d in _control_body(doc, resource, attrs, declared):
            out.append(d)
    except (TypeError, AttributeError, KeyError, ValueError, IndexError):
        pass  # the rest of this document is too malformed to read; the schema said why
    return out


def _unknown_attribute(schema: Node, path: tuple[str, ...] | None, resource: str, where: str = "") -> str | None:
    """The message for an attribute path the resource type's schema does not declare, else None.

    Every segment is checked down to an attribute declared without children (an open map)."""
    found = path_problem(schema, path) if path else None
    if found is None:
        return None
    return f"unknown attribute {found[0]!r} of {resource}{where}{_suggest(found)}"


def _suggest(found: tuple[str, list[str]]) -> str:
    """`` (did you mean 'tls.least_grade'?)`` among the names declared where the path left the schema."""
    bad, names = found
    parent = bad.rpartition(".")[0]
    return did_you_mean(bad, [f"{parent}.{n}" if parent else n for n in names])


def _control_body(doc: Document, resource: str, attrs: Any, declared: list[str]) -> Iterator[Diagnostic]:
    """Conditions, result messages, framework ids and metadata of a control document."""
    from scanner import conditions

    data = doc.data
    conds: list[tuple[tuple[Any, ...], Any, bool]] = [(("assert",), data.get("assert"), True)]
    target = data.get("target") or {}
    if (target.get("scope") or {}).get("where") is not None:
        conds.append((("target", "scope", "where"), target["scope"]["where"], True))
    if target.get("applies_if") is not None:
        conds.append((("target", "applies_if"), target["applies_if"], True))
    for base, cond, _ in conds:
        for sub, message in conditions.syntax_problems(cond):
            yield doc.diag(base + tuple(sub), message)
        for name in sorted(conditions.input_refs(cond)):
            if name not in declared:
                path = _find_input_ref(cond, name)
                yield doc.diag(base + path, f"unknown input {name!r}{did_you_mean(name, declared)}")
        if attrs:
            for sub, key in conditions.resource_keys(cond):
                for read in conditions.read_paths(key):  # every attribute the key reads, functions included
                    problem = _unknown_attribute(attrs, read, resource)
                    if problem:
                        yield doc.diag(base + sub, problem)

    result = data.get("result") or {}
    from scanner import messages

    # templates and evidence paths are parsed by the walker that reads them (scanner.conditions.keys)
    for status in ("pass", "fail", "error", "notapplicable"):
        if status in result:
            for message in messages.template_problems(result[status], _template_roots(resource)):
                yield doc.diag(("result", status), message)
            for root, *rest in messages.placeholder_paths(result[status]):
                ref = rest[0] if rest else None
                if root == "inputs" and ref is not None and ref not in declared:
                    yield doc.diag(("result", status), f"unknown input {ref!r} in message{did_you_mean(ref, declared)}")
                elif root == "resource" and ref is not None and attrs and ref != "id":
                    problem = _unknown_attribute(attrs, tuple(rest), resource, " in message")
                    if problem:
                        yield doc.diag(("result", status), problem)
    for n, attr in enumerate(result.get("evidence") or ()):
        problem = conditions.key_problem(attr)
        if problem:
            yield doc.diag(("result", "evidence", n), f"evidence path: {problem}")
            continue
        for attr_path in conditions.read_paths(attr):
            if attr_path is None:
                yield doc.diag(("result", "evidence", n), f"evidence path {attr!r} reads the whole resource: "
                               "name the attributes to keep")
            elif attrs and path_problem(attrs, attr_path):
                yield doc.diag(("result", "evidence", n), f"unknown attribute {attr!r} of {resource}"
                               f"{_suggest(path_problem(attrs, attr_path) or ('', []))}")

    for framework, ids in (data.get("mappings") or {}).items():
        if framework.startswith("nist-800-53"):
            known, label = nist_ids(), "NIST SP 800-53 rev5"
        elif framework == "fedramp-20x":
            known, label = ksi_ids(), "FedRAMP 20x KSI"
        elif framework.startswith("fedramp"):
            known, label = fedramp_ids(), "FedRAMP rev5 baselines"
        elif framework == "cis-aws-foundations-7.0":
            known, label = cis_aws_ids(), "CIS AWS Foundations v7.0.0 recommendation"
        elif framework == "prowler":
            known, label = prowler_ids(), "Prowler AWS check"
        elif framework == "cis-debian-12":
            known, label = cis_debian12_ids(), "CIS Debian Linux 12 v1.1.0 recommendation"
        else:
            continue
        for n, cid in enumerate(ids):
            if cid not in known:
                if framework in ("cis-aws-foundations-7.0", "prowler", "cis-debian-12"):
                    yield doc.diag(("mappings", framework, n), f"unknown {label} {cid!r}{did_you_mean(str(cid), known)}")
                    continue
                if framework == "fedramp-20x":
                    fixed, why, what = str(cid).upper().strip(), "KSI ids are upper case", "id"
                else:
                    fixed = re.sub(r"\((\d+)\)", r".\1", str(cid)).lower().replace(" ", "")
                    why, what = "ids are in OSCAL form", "control id"
                hint = f" (did you mean {fixed!r}? {why})" if fixed in known else did_you_mean(str(cid), known)
                yield doc.diag(("mappings", framework, n), f"unknown {label} {what} {cid!r}{hint}")

    md = data.get("metadata") or {}
    if md.get("status") == "deprecated" and not md.get("replaced_by"):
        yield doc.diag(("metadata", "status"), "a deprecated control must name its replacement in metadata.replaced_by")


def _find_input_ref(cond: Any, name: str, path: tuple[Any, ...] = ()) -> tuple[Any, ...]:
    if isinstance(cond, dict):
        if cond.get("input") == name and len(cond) == 1:
            return path
        items: Any = cond.items()
    elif isinstance(cond, list):
        items = enumerate(cond)
    else:
        return ()
    for k, v in items:
        found = _find_input_ref(v, name, path + (k,))
        if found:
            return found
    return ()


_SCALAR_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def type_problem(type_name: str, value: Any) -> str | None:
    """Why ``value`` is not of input type ``type_name`` (None if it is)."""
    def ok(t: str, v: Any) -> bool:
        if t in ("integer", "number") and isinstance(v, bool):
            return False
        return isinstance(v, _SCALAR_TYPES[t])

    if type_name in _SCALAR_TYPES:
        return None if ok(type_name, value) else f"expected {type_name}, got {type(value).__name__} {value!r}"
    if type_name.startswith("list["):
        inner = type_name[5:-1]
        if not isinstance(value, list):
            return f"expected {type_name}, got {type(value).__name__} {value!r}"
        for item in value:
            if not ok(inner, item):
                return f"expected {type_name}, but item {item!r} is {type(item).__name__}"
        return None
    if type_name == "map":
        return None if isinstance(value, dict) else f"expected map, got {type(value).__name__} {value!r}"
    return f"unknown input type {type_name!r}"


def _not_allowed(value: Any, allowed: list[Any]) -> Any:
    for v in value if isinstance(value, list) else [value]:
        if v not in allowed:
            return v
    return None


# -- profiles ---------------------------------------------------------------------------------

def strip_version(ref: str) -> str:
    return ref.split("@", 1)[0]


def _profile(doc: Document, pset: Any) -> Iterator[Diagnostic]:
    data = doc.data
    ids = list(pset.controls)
    extends = data.get("extends") or []
    extends = [extends] if isinstance(extends, str) else extends
    for n, ref in enumerate(extends):
        name = strip_version(ref)
        if name not in pset.profiles:
            path = ("extends", n) if isinstance(data.get("extends"), list) else ("extends",)
            yield doc.diag(path, f"unknown profile {name!r} in extends{did_you_mean(name, pset.profiles)}")
    baseline = data.get("baseline") or {}
    if "oscal_profile" in baseline:
        if oscal_profile_path(baseline["oscal_profile"], doc.file) is None:
            yield doc.diag(("baseline", "oscal_profile"), f"OSCAL profile {baseline['oscal_profile']!r} not found "
                           f"(give a path, or use baseline.framework: one of {', '.join(baseline_names())})")
    if "framework" in baseline and baseline_ids(baseline["framework"]) is None:
        yield doc.diag(("baseline", "framework"), f"unknown baseline {baseline['framework']!r}"
                       f"{did_you_mean(baseline['framework'], baseline_names())}")
    select = data.get("select") or {}
    for n, inc in enumerate(select.get("include") or ()):
        if isinstance(inc, str):
            if not fnmatch.filter(ids, inc):
                yield doc.diag(("select", "include", n), f"include {inc!r} matches no control{did_you_mean(inc, ids)}")
        else:
            if "ids" not in inc and "baseline" not in inc:
                yield doc.diag(("select", "include", n), "a mapping selector needs 'ids' or 'baseline'")
            if "baseline" in inc and baseline_ids(inc["baseline"]) is None:
                yield doc.diag(("select", "include", n, "baseline"),
                               f"unknown baseline {inc['baseline']!r}{did_you_mean(inc['baseline'], baseline_names())}")
    for n, exc in enumerate(select.get("exclude") or ()):
        glob = exc if isinstance(exc, str) else exc["id"]
        if not fnmatch.filter(ids, glob):
            yield doc.diag(("select", "exclude", n), f"exclude {glob!r} matches no control{did_you_mean(glob, ids)}")
    for section in ("inputs", "refine"):
        for key in (data.get(section) or {}):
            if not isinstance(key, str):  # YAML keys may be numbers: `1:` is not a control id
                yield doc.diag((section, key), f"{section} key {key!r} is not a control id (quote it if it is one)",
                               key=True)
    for cid, values in (data.get("inputs") or {}).items():
        if not isinstance(cid, str):
            continue
        control = pset.controls.get(cid)
        if control is None:
            yield doc.diag(("inputs", cid), f"inputs for unknown control {cid!r}{did_you_mean(cid, ids)}", key=True)
            continue
        names = [i.name for i in control.inputs]
        for name, value in values.items():
            spec = control.input_spec(name)
            if spec is None:
                yield doc.diag(("inputs", cid, name), f"control {cid!r} has no input {name!r}{did_you_mean(name, names)}", key=True)
                continue
            problem = type_problem(spec.type, value)
            if problem:
                yield doc.diag(("inputs", cid, name), f"input {cid}.{name}: {problem}")
            elif spec.allowed is not None and _not_allowed(value, list(spec.allowed)) is not None:
                yield doc.diag(("inputs", cid, name), f"input {cid}.{name}: {_not_allowed(value, list(spec.allowed))!r} "
                               f"is not in allowed {list(spec.allowed)}")
    for cid in (data.get("refine") or {}):
        if isinstance(cid, str) and not fnmatch.filter(ids, cid):
            yield doc.diag(("refine", cid), f"refine of unknown control {cid!r}{did_you_mean(cid, ids)}", key=True)
    if data.get("benchmark"):
        from scanner.policy import benchmark

        for path, message in benchmark.lint(data["benchmark"]):
            yield doc.diag(("benchmark", *path), message)


def oscal_profile_path(ref: str, policy_file: str) -> Path | None:
    import policies

    for base in (Path(policy_file).parent, Path.cwd(), policies.FRAMEWORKS):
        candidate = base / ref
        if candidate.is_file():
            return candidate
    return None


def _cycles(pset: Any) -> Iterator[Diagnostic]:
    reported: set[frozenset[str]] = set()
    for start in pset.profiles:
        stack: list[tuple[str, tuple[str, ...]]] = [(start, (start,))]
        while stack:
            node, trail = stack.pop()
            prof = pset.profiles.get(node)
            if prof is None:
                continue
            for ref in prof.extends:
                name = strip_version(ref)
                if name == start:
                    cycle = trail + (name,)
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        doc = pset.documents[("Profile", start)]
                        yield doc.diag(("extends",), f"profile extends cycle: {' -> '.join(cycle)}")
                elif name not in trail:
                    stack.append((name, trail + (name,)))


# -- waivers ----------------------------------------------------------------------------------

def _waiver(doc: Document, pset: Any) -> Iterator[Diagnostic]:
    data = doc.data
    ids = list(pset.controls)
    for n, glob in enumerate(data["controls"]):
        if not fnmatch.filter(ids, glob):
            yield doc.diag(("controls", n), f"waiver names unknown control {glob!r}{did_you_mean(glob, ids)}")
    globs = [g for g in data["controls"] if any(ch in g for ch in "*?[")]
    if globs and not any((data.get("match") or {}).values()):
        yield doc.diag(("controls",), f"a waiver of control pattern {globs[0]!r} must say what it covers: "
                       "give match (accounts, regions, hosts, targets, resources or tags)")
    try:
        approved = _dt.date.fromisoformat(str(data["approved_by"]["date"]))
    except ValueError:
        approved = None  # the schema already reported it
    try:
        expires = _dt.date.fromisoformat(data["expires"])
    except ValueError:
        yield doc.diag(("expires",), f"{data['expires']!r} is not a valid date")
        return
    today = _dt.datetime.now(_dt.timezone.utc).date()
    if approved is not None and approved > today:
        yield doc.diag(("approved_by", "date"), f"approval date {approved} is in the future: a waiver is "
                       "approved when it is signed, not ahead of time")
    if approved is not None:
        if expires < approved:
            yield doc.diag(("expires",), f"waiver expires ({expires}) before it was approved ({approved})")
        elif (expires - approved).days > MAX_WAIVER_DAYS:
            yield doc.diag(("expires",), f"waiver expires {(expires - approved).days} days after approval "
                           f"({approved} -> {expires}); at most {MAX_WAIVER_DAYS} days are allowed")
    if expires < _dt.datetime.now(_dt.timezone.utc).date():
        yield doc.diag(("expires",), f"waiver {data['metadata']['id']} expired on {expires}: it no longer applies",
                       level="warning")
    for n, res in enumerate((data.get("match") or {}).get("resources") or ()):
        if isinstance(res, dict):
            import re

            try:
                re.compile(res["regex"])
            except re.error as exc:
                yield doc.diag(("match", "resources", n, "regex"), f"invalid regex {res['regex']!r}: {exc}")
