"""Plugin discovery through entry points: providers, report renderers and executors.

Built-ins register through the same groups a third-party plugin uses, so they are loaded the same
way. Nothing is imported until first asked for; a plugin that fails to load is reported naming
the plugin and the group.
"""

from __future__ import annotations

import functools
from importlib import metadata
from typing import TYPE_CHECKING, Any

from scanner.errors import UsageError

if TYPE_CHECKING:
    from scanner.provider import Provider, ResourceType

PROVIDERS = "govscan.providers"
REPORTS = "govscan.reports"
EXECUTORS = "govscan.executors"


@functools.lru_cache(maxsize=None)
def _entry_points(group: str) -> dict[str, metadata.EntryPoint]:
    return {ep.name: ep for ep in metadata.entry_points(group=group)}


def names(group: str) -> list[str]:
    """Registered plugin names of a group, sorted."""
    return sorted(_entry_points(group))


@functools.lru_cache(maxsize=None)
def load(group: str, name: str) -> Any:
    """Load the object registered as ``name`` in ``group``."""
    eps = _entry_points(group)
    if name not in eps:
        from scanner.suggest import did_you_mean

        kind = {PROVIDERS: "provider", REPORTS: "report format", EXECUTORS: "executor"}.get(group, group)
        raise UsageError(f"unknown {kind} {name!r}{did_you_mean(name, eps)}")
    try:
        return eps[name].load()
    except Exception as exc:  # a broken plugin is named, not a traceback
        raise UsageError(f"plugin {name!r} in group {group} failed to load: {exc}") from exc


@functools.lru_cache(maxsize=None)
def provider(name: str) -> "Provider":
    """The provider instance registered as ``name``."""
    return load(PROVIDERS, name)()


def providers() -> list["Provider"]:
    """Every registered provider that loads (see :func:`broken` for those that do not)."""
    out = []
    for n in names(PROVIDERS):
        try:
            out.append(provider(n))
        except UsageError:
            continue
    return out


def broken(group: str = PROVIDERS) -> dict[str, str]:
    """Plugins of ``group`` that fail to load, with the reason (named, never silently ignored)."""
    out = {}
    for n in names(group):
        try:
            load(group, n)
        except UsageError as exc:
            out[n] = str(exc)
    return out


@functools.lru_cache(maxsize=None)
def resource_types() -> dict[str, "ResourceType"]:
    """Every resource type of every provider, by name."""
    out: dict[str, ResourceType] = {}
    for prov in providers():
        for rt in prov.resource_types():
            out[rt.name] = rt
    return out


def report(name: str) -> Any:
    """The renderer class registered as ``name``."""
    return load(REPORTS, name)
