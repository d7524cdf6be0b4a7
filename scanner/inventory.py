"""Inventory files: the targets of a system boundary, in groups with variables.

```yaml
apiVersion: govscan/v1
kind: Inventory
vars: {sudo: true}                    # every target
groups:
  web:
    vars: {user: admin, approved_ports: [22, 443]}
    targets:
      - ssh://web01.agency.example
      - {target: ssh://web02.agency.example, port: 2222, name: web02}
  accounts:
    targets:
      - {target: "aws://", role_arn: "arn:aws:iam::111122223333:role/Audit", external_id: x}
targets:
  - local
```
Variables merge global < group < target entry; each provider takes the connection options it
understands (user, port, key, jump, sudo; role_arn...) and keeps the rest as target variables, which
override control input defaults of the same name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from scanner.errors import Diagnostic, GovscanError, PolicyError
from scanner.policy.yamlpos import Document, read_file
from scanner.suggest import did_you_mean

_TOP_KEYS = ("apiVersion", "kind", "metadata", "vars", "groups", "targets")
_GROUP_KEYS = ("vars", "targets", "description")


@dataclass(frozen=True)
class Entry:
    """One target line of an inventory, with its merged options and where it was written."""

    spec: str
    options: dict[str, Any]
    group: str | None
    file: str
    line: int
    col: int


def load(path: str | Path) -> tuple[list[Entry], str]:
    """Entries of an inventory file and the file's sha256; raises PolicyError with file:line:col."""
    entries, sha, problems = _load(path)
    if problems:
        raise PolicyError(problems)
    return entries, sha


def resolve(path: str | Path, options: dict[str, Any],
            resolve_targets: Callable[..., list[Any]]) -> tuple[list[tuple[Any, Diagnostic]], str]:
    """Targets of an inventory, each with where it was written, and the file's sha256.

    Every problem of the file is reported at once (PolicyError, one diagnostic per problem with
    file:line:col): its structure, then every entry whose target the providers refuse.
    """
    entries, sha, problems = _load(path)
    found = _resolve_entries(entries, options, resolve_targets, problems)
    if problems:
        raise PolicyError(problems)
    return found, sha


def check(doc: Document) -> list[Diagnostic]:
    """Every problem of an Inventory document (``policy lint`` of an inventory): its structure and
    every target the providers refuse."""
    from scanner.engine import resolve_targets

    entries, problems = _entries(doc)
    _resolve_entries(entries, {}, resolve_targets, problems)
    return problems


def _resolve_entries(entries: list[Entry], options: dict[str, Any], resolve_targets: Callable[..., list[Any]],
                     problems: list[Diagnostic]) -> list[tuple[Any, Diagnostic]]:
    found: list[tuple[Any, Diagnostic]] = []
    for e in entries:
        where = Diagnostic(e.file, e.line, e.col, "")
        try:
            found.extend((t, where) for t in resolve_targets([e.spec], {**options, **e.options}, where))
        except PolicyError as exc:
            problems.extend(exc.diagnostics)
        except GovscanError as exc:
            problems.append(Diagnostic(e.file, e.line, e.col, str(exc)))
    return found


def _load(path: str | Path) -> tuple[list[Entry], str, list[Diagnostic]]:
    p = Path(path)
    docs, problems, raw = read_file(p, what="inventory")
    if problems:
        return [], "", problems
    if len(docs) != 1:
        return [], "", [Diagnostic(str(p), 1, 1, f"expected one Inventory document, found {len(docs)}")]
    entries, problems = _entries(docs[0])
    return entries, hashlib.sha256(raw).hexdigest(), problems


def _entries(doc: Document) -> tuple[list[Entry], list[Diagnostic]]:
    data = doc.data
    problems: list[Diagnostic] = []
    if not isinstance(data, dict):
        return [], [doc.diag((), "expected a mapping with apiVersion: govscan/v1 and kind: Inventory")]
    if data.get("apiVersion") != "govscan/v1":
        problems.append(doc.diag(("apiVersion",), f"unsupported apiVersion {data.get('apiVersion')!r} (expected govscan/v1)"))
    if data.get("kind") != "Inventory":
        problems.append(doc.diag(("kind",), f"expected kind: Inventory, got {data.get('kind')!r}"))
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(doc.diag((key,), f"unknown key {key!r} in inventory{did_you_mean(str(key), _TOP_KEYS)}", key=True))
    global_vars = data.get("vars") or {}
    if not isinstance(global_vars, dict):
        problems.append(doc.diag(("vars",), "vars must be a mapping"))
        global_vars = {}
    out: list[Entry] = []

    def take(items: Any, path: tuple[Any, ...], group: str | None, base: dict[str, Any]) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            problems.append(doc.diag(path, "targets must be a list"))
            return
        for i, item in enumerate(items):
            ipath = path + (i,)
            line, col = doc.pos(ipath)
            if isinstance(item, str):
                out.append(Entry(item, dict(base), group, doc.file, line, col))
            elif isinstance(item, dict):
                spec = item.get("target")
                if not isinstance(spec, str) or not spec:
                    problems.append(doc.diag(ipath, "a target entry needs 'target: <spec>' (e.g. ssh://user@host)"))
                    continue
                opts = dict(base)
                extra_vars = item.get("vars") or {}
                opts.update({k: v for k, v in item.items() if k not in ("target", "vars")})
                if isinstance(extra_vars, dict):
                    opts.update(extra_vars)
                out.append(Entry(spec, opts, group, doc.file, line, col))
            else:
                problems.append(doc.diag(ipath, f"a target must be a string or a mapping, got {type(item).__name__}"))

    groups = data.get("groups") or {}
    if not isinstance(groups, dict):
        problems.append(doc.diag(("groups",), "groups must be a mapping of group name -> {vars, targets}"))
        groups = {}
    for name, group in groups.items():
        if not isinstance(group, dict):
            problems.append(doc.diag(("groups", name), f"group {name!r} must be a mapping with vars and targets"))
            continue
        for key in group:
            if key not in _GROUP_KEYS:
                problems.append(doc.diag(("groups", name, key), f"unknown key {key!r} in group {name!r}"
                                         f"{did_you_mean(str(key), _GROUP_KEYS)}", key=True))
        gvars = dict(global_vars)
        gvars.update(group.get("vars") or {})
        gvars.setdefault("group", name)
        take(group.get("targets"), ("groups", name, "targets"), str(name), gvars)
    take(data.get("targets"), ("targets",), None, dict(global_vars))
    if not out and not problems:
        problems.append(doc.diag((), "inventory names no targets"))
    return out, problems
