"""What providers add to the CLI: subcommands of a group and options of ``govscan scan``.

datasette's ``register_commands`` in spirit: a provider names its commands and options
(:meth:`scanner.provider.Provider.commands`, :meth:`~scanner.provider.Provider.cli_options`); the CLI
loads them through the provider registry, so adding a provider never edits the CLI.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

import click


def provider_commands(group: str) -> dict[str, str]:
    """``name -> module:attribute`` of the subcommands providers add to ``group`` (e.g. ``inventory``)."""
    from scanner import registry

    out: dict[str, str] = {}
    for prov in registry.providers():
        for path, target in prov.commands().items():
            parent, _, name = path.rpartition(" ")
            if parent == group:
                out[name] = target
    return out


class ProviderCommands(click.Group):
    """A group whose subcommands providers declare; each is imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(provider_commands(self.name or "")))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = super().get_command(ctx, name)
        if found is not None:
            return found
        target = provider_commands(self.name or "").get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command


def provider_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Apply every provider's ``govscan scan`` options to ``func`` (their values arrive as keyword
    arguments; the command passes them on as scan options)."""
    from scanner import registry

    for prov in reversed(registry.providers()):
        for option in reversed(prov.cli_options()):
            func = option(func)
    return func
