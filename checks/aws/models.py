"""botocore's service models, held in memory only as far as govscan reads them.

A botocore service model is the whole API of a service as Python dicts: EC2 alone is 4,000 shapes and
13 MB, and the 42 services a full scan reads are 75 MB, most of a scan's fixed memory. govscan calls a
few operations of each (``checks/aws/operations.py``). The loader here keeps, per service, every
operation entry (so every client method exists), the shapes those operations and the service's modeled
errors reach, and no documentation text. A shape outside that set is read from botocore's model file when
first asked for, with everything it reaches: an operation missing from the table costs memory, never a
wrong or missing value.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Iterable

from botocore.loaders import Loader

from checks.aws.operations import OPERATIONS

_SERVICE_MODEL = "service-2"


def _refs(shape: dict[str, Any]) -> Iterable[str]:
    """The shapes one shape refers to (structure members, list member, map key and value)."""
    for ref in (shape.get("members") or {}).values():
        yield ref["shape"]
    for part in ("member", "key", "value"):
        if part in shape:
            yield shape[part]["shape"]


def _closure(shapes: dict[str, Any], roots: Iterable[str]) -> set[str]:
    """Every shape reachable from ``roots`` (names not in ``shapes`` are skipped: botocore reports them)."""
    seen: set[str] = set()
    stack = [r for r in roots if r in shapes]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(r for r in _refs(shapes[name]) if r in shapes and r not in seen)
    return seen


def _undocumented(entry: dict[str, Any]) -> dict[str, Any]:
    """A shape or operation entry without its documentation text (member references included)."""
    out = {k: v for k, v in entry.items() if k != "documentation"}
    if isinstance(out.get("members"), dict):
        out["members"] = {n: {k: v for k, v in ref.items() if k != "documentation"}
                          for n, ref in out["members"].items()}
    return out


def _model_key(key: tuple[Any, ...], service: str) -> bool:
    """Whether a key of botocore's loader cache holds ``service``'s model (the file or the loaded model)."""
    if key[:3] == ("load_service_model", service, _SERVICE_MODEL):
        return True
    path = key[1] if len(key) > 1 else None
    return key[0] == "load_data_with_path" and isinstance(path, str) and path.startswith(f"{service}/") \
        and path.rsplit("/", 1)[-1].startswith(_SERVICE_MODEL)


class LazyShapes(dict[str, Any]):
    """The kept shapes of one service; a shape not kept is loaded (with its closure) on first lookup.

    botocore resolves shapes by ``shape_map[name]``, which calls :meth:`__missing__` for a name not here.
    """

    def __init__(self, loader: ModelLoader, service: str, api_version: str | None, kept: dict[str, Any]):
        super().__init__(kept)
        self._loader = loader
        self._service = service
        self._api_version = api_version

    def __missing__(self, name: str) -> Any:
        with self._loader.lock:
            if dict.__contains__(self, name):
                return dict.__getitem__(self, name)
            full = self._loader.load_full(self._service, self._api_version)["shapes"]
            if name not in full:
                raise KeyError(name)
            added = _closure(full, [name])
            for shape in added:
                if not dict.__contains__(self, shape):
                    dict.__setitem__(self, shape, _undocumented(full[shape]))
            self._loader.misses[(self._service, name)] += 1
            return dict.__getitem__(self, name)


class ModelLoader(Loader):
    """A botocore :class:`~botocore.loaders.Loader` whose service models keep only what govscan reads."""

    def __init__(self, operations: dict[str, frozenset[str]] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.operations = OPERATIONS if operations is None else operations
        self.lock = threading.RLock()
        self._models: dict[tuple[str, str | None], dict[str, Any]] = {}
        self.misses: Counter[tuple[str, str]] = Counter()
        """(service, shape) -> times a shape outside the kept set was loaded (0 when the table is complete)."""

    def load_full(self, service: str, api_version: str | None) -> dict[str, Any]:
        """botocore's whole model of ``service``, not kept in the loader's cache."""
        model: dict[str, Any] = Loader.load_service_model(self, service, _SERVICE_MODEL, api_version=api_version)
        for key in [k for k in list(self._cache) if _model_key(k, service)]:  # cached by botocore's decorator
            self._cache.pop(key, None)
        return model

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        if type_name != _SERVICE_MODEL or service_name not in self.operations:
            return Loader.load_service_model(self, service_name, type_name, api_version=api_version)
        key = (service_name, api_version)
        with self.lock:
            model = self._models.get(key)
            if model is None:
                model = self._pruned(service_name, api_version)
                self._models[key] = model
            return model

    def _pruned(self, service: str, api_version: str | None) -> dict[str, Any]:
        full = self.load_full(service, api_version)
        shapes: dict[str, Any] = full.get("shapes") or {}
        operations: dict[str, Any] = full.get("operations") or {}
        roots: list[str] = [name for name, shape in shapes.items() if shape.get("exception")]
        for name in self.operations[service] & operations.keys():
            op = operations[name]
            roots += [op[part]["shape"] for part in ("input", "output") if part in op]
            roots += [err["shape"] for err in op.get("errors") or ()]
        kept = {name: _undocumented(shapes[name]) for name in _closure(shapes, roots)}
        model = {k: v for k, v in full.items() if k not in ("shapes", "operations", "documentation")}
        model["operations"] = {name: _undocumented(op) for name, op in operations.items()}
        model["shapes"] = LazyShapes(self, service, api_version, kept)
        return model
