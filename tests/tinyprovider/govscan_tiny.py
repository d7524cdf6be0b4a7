"""The smallest govscan provider: one target form, one resource type, one scan option.

Everything it needs is in this folder; it is registered by one entry-point line
(``tiny = govscan_tiny:TinyProvider`` in the ``govscan.providers`` group). ``tiny://NAME`` greets
NAME; the one resource type, ``tiny.greeting``, is the greeting.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from scanner.errors import UsageError
from scanner.model import Collection, Resource, Target
from scanner.provider import Attribute, CollectContext, Provider, TargetForm
from scanner.resource_types import Identity, ResourceKind, resources


@resources.register("tiny.greeting")
class Greeting(ResourceKind):
    description = "The greeting of one tiny:// target (id `greeting:<name>`)."
    attributes = (
        Attribute("text", "string", "what is said"),
        Attribute("polite", "boolean", "the greeting says please"),
        Attribute("words", "list", "the words of the text"),
    )
    identity = Identity(id="`greeting:<name>`")

    @classmethod
    def collected_with(cls) -> tuple[str, ...]:
        return ("string formatting",)

    @staticmethod
    def build(name: str, salutation: str) -> list[Resource]:
        text = f"{salutation} {name}"
        return [Resource(f"greeting:{name}", "tiny.greeting",
                         {"text": text, "polite": "please" in text, "words": text.split()})]


class TinyProvider(Provider):
    name = "tiny"
    target_forms = (TargetForm("tiny://NAME", "tiny://world", "greets NAME"),)
    default_profile = "tiny-baseline"

    def cli_options(self) -> list[Callable[[Any], Any]]:
        import click

        return [click.option("--tiny-salutation", default="hello", show_default=True,
                             help="How the tiny provider greets.")]

    def parse_target(self, spec: str, options: Mapping[str, Any]) -> list[Target] | None:
        if not spec.startswith("tiny://"):
            return None
        name = spec[len("tiny://"):]
        if not name.isalnum():
            raise UsageError(f"{spec}: expected tiny://NAME (letters and digits)")
        return [Target(spec, self.name, name, name, {"salutation": options.get("tiny_salutation") or "hello"})]

    def collect(self, target: Target, types: frozenset[str], ctx: CollectContext) -> Collection:
        return Collection(resources={"tiny.greeting": Greeting.build(target.address, target.options["salutation"])})
