"""A command group that imports a command's module only when the command is needed.

Typer builds every command of an app before it runs one, so an app whose command
modules are imported up front pays for all of them on every call. Here the root group
names its commands as ``"module:attribute"`` and imports one when it runs, or when
``--help`` or shell completion lists it; the command modules in turn import services,
the database and the web stack inside their commands (issue 16: `caveat --help`,
`version` and the remote commands start in well under a second).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, ClassVar

import typer
import typer.main
from typer.core import TyperGroup

if TYPE_CHECKING:
    # Typer 0.2x ships its own copy of Click; these are the classes its groups take.
    from typer._click import Command, Context


class LazyGroup(TyperGroup):
    """A TyperGroup whose commands are listed in ``lazy_commands`` (name to
    ``"module:attribute"``, in the order help lists them); the attribute is a command
    function or a Typer of subcommands, and is imported and built on first use."""

    lazy_commands: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: Context) -> list[str]:
        """Names of the commands built so far, then the ones not yet imported."""
        built = super().list_commands(ctx)
        return [*built, *(name for name in self.lazy_commands if name not in built)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The command named ``cmd_name``, importing its module the first time."""
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy_commands:
            command = self._build(cmd_name)
            self.add_command(command, cmd_name)
        return command

    def _build(self, name: str) -> Command:
        module, _, attribute = self.lazy_commands[name].partition(":")
        target = getattr(importlib.import_module(module), attribute)
        # Registered on a Typer of its own exactly as `app.add_typer` / `app.command`
        # would register it on the root, so names, options and help come out the same.
        holder = typer.Typer(
            rich_markup_mode=self.rich_markup_mode, suggest_commands=self.suggest_commands
        )
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name)
        else:
            holder.command(name)(target)
        return typer.main.get_group(holder).commands[name]
