"""The provider seam: how a kind of target is reached and its resources collected.

A provider is registered under the ``govscan.providers`` entry-point group (built-ins use the same
group as third-party plugins). It declares the resource types it can produce, turns target
specifications (``ssh://...``, ``aws://...``) into :class:`~scanner.model.Target` records, and
collects resources for a target. It never evaluates controls: evaluation is the engine's job and
is pure.
"""

from __future__ import annotations

import abc
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Sequence

from scanner.model import Collection, Target


@dataclass(frozen=True)
class Attribute:
    """One attribute of a resource type that a control's ``key`` can read."""

    name: str
    """JMESPath-style path, e.g. ``permitrootlogin`` or ``Encryption.Rules[].ApplyServerSideEncryptionByDefault``."""
    type: str
    """string, integer, number, boolean, list, map, datetime, ..."""
    description: str = ""


@dataclass(frozen=True)
class ResourceType:
    """A resource type a provider produces, documented for control authors (``govscan resources``)."""

    name: str
    """Dotted name, e.g. ``host.sshd`` or ``aws.s3.bucket``; the first part is the provider."""
    description: str
    attributes: tuple[Attribute, ...]
    api_calls: tuple[str, ...] = ()
    """What the collector calls to build it (AWS API names, host commands, nmap scripts)."""

    def attribute_names(self) -> frozenset[str]:
        return frozenset(a.name.split(".")[0].split("[")[0] for a in self.attributes)

    def schema(self) -> Any:
        """The nested attribute schema (:class:`scanner.resource_types.Node`) the lint checks paths against."""
        from scanner.resource_types import schema

        return schema(self.attributes)


@dataclass
class CollectContext:
    """What a provider may use while collecting one target.

    ``inputs`` holds the resolved inputs of every selected control that reads this target (merged by
    name) plus ``--input`` values, so a collector can honour opt-ins such as a filesystem walk.
    """

    inputs: Mapping[str, Any] = field(default_factory=dict)
    control_inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Control id -> its resolved inputs, for a collector that must honour every control's values
    (``inputs`` merges them by name, so two controls' ``admin_ports`` would hide one another)."""
    attributes: Mapping[str, frozenset[str]] | None = None
    """Resource type -> the attribute paths the selected controls read (in scope, applies_if, assert,
    message templates and evidence; ``Tags`` when a waiver matches on tags). A collector may skip an
    API call whose attributes nobody reads; ``None`` means "unknown: collect everything"."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Scan-wide provider options from the CLI (accept_new_host_keys, known_hosts, timeouts...)."""
    cancel: threading.Event = field(default_factory=threading.Event)
    """Set when the scan is being interrupted; long collectors should check it."""
    progress: Callable[[str], None] = lambda message: None
    """Report a short progress note (shown on a terminal, never stored)."""


@dataclass(frozen=True)
class TargetForm:
    """One way to write a target this provider handles, documented with an example that parses."""

    syntax: str
    """``ssh://[user@]host[:port]``"""
    example: str
    """A spec :meth:`Provider.parse_target` accepts (the conformance tests parse it)."""
    description: str = ""


class Provider(abc.ABC):
    """Base class of every provider plugin.

    Everything provider-specific is declared here, not in the engine: its resource types (registered
    classes, :mod:`scanner.resource_types`), its target forms, its default profile and target, the
    options it adds to ``govscan scan``, the commands it adds to the CLI and the template roots its
    messages may use.
    """

    name: ClassVar[str]
    """The provider name used in controls' ``target.provider`` (host, aws, network)."""
    target_forms: ClassVar[tuple[TargetForm, ...]] = ()
    default_profile: ClassVar[str | None] = None
    """The profile ``govscan scan`` runs on this provider's targets when none is given."""
    template_roots: ClassVar[tuple[str, ...]] = ()
    """Extra message template roots (``{host.name}``) :meth:`template_context` fills."""

    resource_modules: ClassVar[tuple[str, ...]] = ()
    """Modules whose ``@resources.register`` classes are this provider's resource types (imported on
    first use; a provider may instead define its types in its own module)."""

    def kinds(self) -> list[Any]:
        """This provider's registered resource type classes (:class:`scanner.resource_types.ResourceKind`)."""
        import importlib

        from scanner.resource_types import resources

        for module in self.resource_modules:
            importlib.import_module(module)
        return resources.of(self.name)

    def resource_types(self) -> Sequence[ResourceType]:
        """Every resource type this provider can collect, as documentation records."""
        return tuple(k.describe() for k in self.kinds())

    @abc.abstractmethod
    def parse_target(self, spec: str, options: Mapping[str, Any]) -> list[Target] | None:
        """Turn a target spec into targets, or return None if this provider does not handle it.

        ``options`` are inventory variables merged for this target (global < group < target) plus
        scan-wide CLI options; the provider keeps the connection options it understands in
        ``Target.options`` and the rest in ``Target.vars``. Raise :class:`scanner.errors.UsageError`
        for a spec that is this provider's but malformed.
        """

    @abc.abstractmethod
    def collect(self, target: Target, types: frozenset[str], ctx: CollectContext) -> Collection:
        """Collect the given resource types for one target.

        Must not raise for runtime problems on the target (unreachable host, AccessDenied,
        unparsable output): record them in ``Collection.errors`` (one resource type or part of it
        lost) or ``Collection.fatal`` (the whole target lost). An exception that escapes anyway
        becomes ``error`` findings for every control on the target; it is never a pass.
        """

    def default_target(self) -> str | None:
        """The target scanned when ``govscan scan`` is given none (only the host provider has one)."""
        return None

    def template_context(self, target: Target) -> dict[str, Any]:
        """Values of :attr:`template_roots` for messages about ``target``."""
        return {}

    def cli_options(self) -> list[Callable[[Any], Any]]:
        """``click.option`` decorators this provider adds to ``govscan scan``; their values reach
        :meth:`parse_target` and :attr:`CollectContext.options` under the option's name."""
        return []

    def commands(self) -> Mapping[str, str]:
        """Commands this provider adds to the CLI (datasette's ``register_commands``): the command
        path, e.g. ``inventory discover``, -> ``module:attribute`` of a click command, imported on use."""
        return {}
