"""Command groups that import and build a command only when it is needed.

Typer builds every command of an app before it runs one, so an app whose command
modules are imported up front pays for all of them on every call. Here the root group
names its commands as ``"module:attribute"`` and imports one when it runs, or when
``--help`` or shell completion lists it; a group of subcommands is built without them,
and each subcommand when it runs or its group's help lists it. The command modules in
turn import services, the database and the web stack inside their commands (ADR 0016).
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

import typer
import typer.main
from typer.core import TyperGroup
from typer.models import CommandInfo, TyperInfo

if TYPE_CHECKING:
    # Typer 0.2x ships its own copy of Click; these are the classes its groups take.
    from typer._click import Command, Context


def _path(ctx: Context, name: str) -> list[str]:
    """The names from below the root down to ``name`` in the group ``ctx`` is of."""
    names = [name]
    while ctx.parent is not None:
        assert ctx.info_name is not None
        names.append(ctx.info_name)
        ctx = ctx.parent
    return names[::-1]


class LazyGroup(TyperGroup):
    """A TyperGroup whose commands are built on first use, in the order help lists them.

    The root names its commands in ``lazy_commands`` (name to ``"module:attribute"``, the
    attribute a command function or a Typer of subcommands); a group of subcommands built
    here gets one builder per subcommand in ``builders``.
    """

    lazy_commands: ClassVar[dict[str, str]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.builders: dict[str, Callable[[], Command]] = {
            name: partial(self._import, name) for name in self.lazy_commands
        }

    def list_commands(self, ctx: Context) -> list[str]:
        """Every command's name, built or not, in the order they were registered."""
        return [*self.builders, *(n for n in super().list_commands(ctx) if n not in self.builders)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        """The command named ``cmd_name``, built the first time it is asked for."""
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.builders:
            command = self.builders[cmd_name]()
            root = ctx.find_root().command
            tag = root.mode_tag(_path(ctx, cmd_name)) if isinstance(root, LazyGroup) else None
            if tag:
                command.help = f"{tag} {command.help or ''}".rstrip()
            self.add_command(command, cmd_name)
        return command

    def mode_tag(self, path: list[str]) -> str | None:
        """What the help of the command at ``path`` (below the root) starts with: where it
        acts. The root overrides this; none by default."""
        return None

    def _import(self, name: str) -> Command:
        module, _, attribute = self.lazy_commands[name].partition(":")
        target = getattr(importlib.import_module(module), attribute)
        # Registered as `app.add_typer` / `app.command` would register it on the root.
        registry = self._holder()
        if isinstance(target, typer.Typer):
            registry.add_typer(target, name=name)
            return self._group(registry.registered_groups[0])
        registry.command(name)(target)
        return self._built(registry.registered_commands[0])

    def _holder(self) -> typer.Typer:
        """A Typer with the root's defaults, to build one command or group on."""
        return typer.Typer(
            rich_markup_mode=self.rich_markup_mode, suggest_commands=self.suggest_commands
        )

    def _built(self, info: CommandInfo | TyperInfo) -> Command:
        """The command or group ``info`` registers, built as Typer builds it."""
        holder = self._holder()
        if isinstance(info, CommandInfo):
            holder.registered_commands.append(info)
        else:
            holder.registered_groups.append(info)
        (command,) = typer.main.get_group(holder).commands.values()
        return command

    def _group(self, info: TyperInfo) -> Command:
        """The group ``info`` registers, with its subcommands left to build on use."""
        subapp = info.typer_instance
        assert subapp is not None
        assert isinstance(info.name, str), "every group is added with a name"
        bare = copy.copy(subapp)
        bare.registered_commands, bare.registered_groups = [], []
        shell = copy.copy(info)
        shell.typer_instance, shell.cls = bare, LazyGroup
        group = self._built(shell)
        assert isinstance(group, LazyGroup)
        for command in subapp.registered_commands:
            assert command.callback is not None
            name = command.name or typer.main.get_command_name(command.callback.__name__)
            group.builders[name] = partial(group._built, command)
        for sub in subapp.registered_groups:
            assert isinstance(sub.name, str), "every group is added with a name"
            group.builders[sub.name] = partial(group._group, sub)
        return group
