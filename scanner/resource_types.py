"""Resource types: one class each, registered with a decorator (``@resources.register("host.os")``).

A resource type declares in one place everything the rest of govscan needs to know about it:

- its name and description, and the attributes a control may read, as a typed, nested schema
  (``Attribute("tls.cert", "map", ...)`` is the child ``cert`` of ``tls``): ``govscan resources``
  prints it and the policy lint checks every attribute path a control reads against it;
- its identity facets (:class:`Identity`): what its id is, whether it carries a region, which
  collection fact names its account, which attribute holds its host address and its labels (what
  waivers, evidence and reports match on, instead of special cases in the engine);
- what its collector needs (fact-script sections, API calls with their IAM permissions, nmap scripts:
  :meth:`ResourceKind.collected_with` lists them);
- the function that builds its resources (``build``, whose arguments each provider defines).

Nothing is imported until a provider is asked for its types (see :func:`lookup`).
"""

from __future__ import annotations

import datetime as _dt
import enum
import functools
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterator, Mapping, TypeVar

from scanner.provider import Attribute, ResourceType


class AttrType(str, enum.Enum):
    """The closed set of attribute types (``string|integer`` declares either)."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"
    MAP = "map"
    DATETIME = "datetime"

    def accepts(self, value: Any) -> bool:
        """Whether a collected value (not null) has this type."""
        if self is AttrType.STRING:
            return isinstance(value, str)
        if self is AttrType.DATETIME:
            return isinstance(value, (str, _dt.date))
        if self is AttrType.INTEGER:
            return isinstance(value, int) and not isinstance(value, bool)
        if self is AttrType.NUMBER:
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if self is AttrType.BOOLEAN:
            return isinstance(value, bool)
        if self is AttrType.LIST:
            return isinstance(value, (list, tuple))
        return isinstance(value, Mapping)


def attr_types(attr: Attribute) -> tuple[AttrType, ...]:
    """The declared types of an attribute (raises ValueError for a type outside :class:`AttrType`)."""
    return tuple(AttrType(t) for t in attr.type.split("|"))


@dataclass(frozen=True)
class Node:
    """One attribute in the nested schema: its declaration and the children declared under it.

    A node without declared children is open (a ``map`` of sysctl families, an AWS policy document):
    paths below it are not checked. A list's element is the child ``[]``.
    """

    name: str
    attribute: Attribute | None = None
    children: Mapping[str, "Node"] = field(default_factory=dict)

    def walk(self, prefix: str = "") -> Iterator[tuple[str, "Node"]]:
        for name, child in self.children.items():
            path = f"{prefix}{'' if name == '[]' or not prefix else '.'}{name}"
            yield path, child
            yield from child.walk(path)


def _segments(path: str) -> list[str]:
    out: list[str] = []
    for part in path.split("."):
        name, brackets = part.split("[", 1) if "[" in part else (part, "")
        out.append(name)
        out += ["[]"] * (brackets.count("]"))
    return out


@functools.lru_cache(maxsize=None)
def schema(attributes: tuple[Attribute, ...]) -> Node:
    """The nested schema of a flat attribute list (``ports[].service.name`` under ``ports``)."""
    root: dict[str, Any] = {}
    for attr in attributes:
        level = root
        segs = _segments(attr.name)
        for seg in segs[:-1]:
            level = level.setdefault(seg, {"": None})
        level.setdefault(segs[-1], {"": None})[""] = attr

    def build(name: str, tree: dict[str, Any]) -> Node:
        return Node(name, tree.get(""), {k: build(k, v) for k, v in tree.items() if k != ""})

    return build("", root)


def path_problem(root: Node, path: tuple[str, ...]) -> tuple[str, list[str]] | None:
    """``(unknown dotted prefix, the names declared at that level)`` when ``path`` leaves the
    schema, None when every segment is declared (or reaches an open node)."""
    node = root
    for depth, seg in enumerate(path):
        if not node.children:
            return None
        nxt = node.children.get(seg)
        if nxt is None:
            return ".".join(path[:depth + 1]), [n for n in node.children if n != "[]"]
        node = nxt
    return None


def value_problems(node: Node, attrs: Mapping[str, Any], path: str = "", *,
                   open_top: bool = False) -> Iterator[str]:
    """What in collected ``attrs`` the schema under ``node`` does not declare, or declares with
    another type (null is always allowed: an attribute may be unknown). Conformance tests run this
    on every collector's output; ``open_top`` accepts undeclared top-level attributes."""
    for key, value in attrs.items():
        child = node.children.get(key)
        here = f"{path}.{key}" if path else str(key)
        if child is None:
            if not open_top:
                yield f"{here}: not declared"
            continue
        if value is not None and child.attribute is not None:
            types = attr_types(child.attribute)
            if not any(t.accepts(value) for t in types):
                yield f"{here}: {type(value).__name__} is not {child.attribute.type}"
        if isinstance(value, Mapping) and set(child.children) - {"[]"}:
            yield from value_problems(child, value, here)
        item = child.children.get("[]")
        if item is not None and item.children and isinstance(value, (list, tuple)):
            for element in value:
                if isinstance(element, Mapping):
                    yield from value_problems(item, element, f"{here}[]")


@dataclass(frozen=True)
class Identity:
    """What identifies a resource of a type, and what waivers and reports match it on."""

    id: str = ""
    """What the resource id is, for people (``the bucket ARN``, ``user:<name>``)."""
    account: str | None = None
    """The collection fact naming the account the resources belong to (``account_id``)."""
    region: bool = False
    """Resources carry the region they were read in (waivers' ``match.regions``, scope regions)."""
    host: str | None = None
    """The attribute holding the address of the host a resource is on (None: the target's)."""
    labels: str | None = None
    """The attribute holding the resource's labels (tags) that waivers' ``match.tags`` reads."""


class ResourceKind:
    """Base class of every resource type. Subclasses set the class attributes and ``build``."""

    name: ClassVar[str] = ""
    """Dotted name (``host.sshd``, ``aws.s3.bucket``), set by :meth:`Registry.register`."""
    description: ClassVar[str] = ""
    attributes: ClassVar[tuple[Attribute, ...]] = ()
    identity: ClassVar[Identity] = Identity()
    open_attributes: ClassVar[str] = ""
    """Set (to what they are) when resources carry attributes beyond the declared ones, e.g. every
    key of a configuration file; the lint still accepts only declared attributes."""

    @classmethod
    def provider(cls) -> str:
        return cls.name.split(".")[0]

    @classmethod
    def collected_with(cls) -> tuple[str, ...]:
        """What the collector runs or calls to build it (shown by ``govscan resources``)."""
        return ()

    @classmethod
    def schema(cls) -> Node:
        return schema(cls.attributes)

    @classmethod
    def describe(cls) -> ResourceType:
        """The documentation record (``govscan resources``)."""
        return ResourceType(cls.name, cls.description, cls.attributes, cls.collected_with())

    @classmethod
    def labels_of(cls, attrs: Mapping[str, Any]) -> dict[str, str]:
        """The resource's labels as ``{key: value}`` (empty when the type has none)."""
        raw = attrs.get(cls.identity.labels) if cls.identity.labels else None
        return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}


K = TypeVar("K", bound=type[ResourceKind])


class Registry:
    """Resource types by name (Cloud Custodian's plugin registry, for resource types)."""

    def __init__(self) -> None:
        self._kinds: dict[str, type[ResourceKind]] = {}

    def register(self, name: str) -> Callable[[K], K]:
        """Class decorator: register a :class:`ResourceKind` subclass as ``name``."""

        def add(cls: K) -> K:
            if name in self._kinds and self._kinds[name] is not cls:
                raise ValueError(f"resource type {name!r} is registered twice")
            for attr in cls.attributes:
                attr_types(attr)  # a type outside the closed set is a bug of the declaration
            cls.name = name
            self._kinds[name] = cls
            return cls

        return add

    def of(self, provider: str) -> list[type[ResourceKind]]:
        """The registered types of one provider, in registration order."""
        return [k for n, k in self._kinds.items() if n.split(".")[0] == provider]

    def get(self, name: str) -> type[ResourceKind] | None:
        return self._kinds.get(name)


resources = Registry()


def lookup(name: str) -> type[ResourceKind] | None:
    """The registered type ``name``, loading its provider on first use (None when unknown)."""
    kind = resources.get(name)
    if kind is None:
        from scanner import registry
        from scanner.errors import UsageError

        try:
            registry.resource_types()
        except UsageError:
            return None
        kind = resources.get(name)
    return kind
