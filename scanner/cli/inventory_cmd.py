"""``govscan inventory``: build inventory files; its subcommands come from the providers.

A provider adds a subcommand by naming it in :meth:`scanner.provider.Provider.commands` (the network
provider adds ``discover``); the command module is imported only when that subcommand runs.
"""

from __future__ import annotations

import click

from scanner.cli.plugins import ProviderCommands


@click.group(cls=ProviderCommands)
def inventory() -> None:
    """Build inventory files (targets grouped with variables) from what the network shows."""
