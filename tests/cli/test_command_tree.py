"""Every command and group answers `--help`: the commands are imported lazily (issue 16),
so a name that points nowhere or an option type that no longer resolves shows up here,
not in front of a user."""

from __future__ import annotations

from collections.abc import Iterator

import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from caveat.cli.main import CaveatCommands, app


def command_paths() -> Iterator[tuple[list[str], list[str]]]:
    """Every command path, with the names of its subcommands (empty for a command)."""
    root = typer.main.get_command(app)
    pending: list[tuple[list[str], object, typer.Context]] = [([], root, typer.Context(root))]
    while pending:
        path, command, ctx = pending.pop()
        if not isinstance(command, TyperGroup):
            yield path, []
            continue
        names = command.list_commands(ctx)
        yield path, names
        for name in names:
            sub = command.get_command(ctx, name)
            assert sub is not None, [*path, name]
            pending.append(([*path, name], sub, typer.Context(sub, parent=ctx, info_name=name)))


def test_every_command_answers_help_and_lists_its_subcommands() -> None:
    runner = CliRunner()
    seen = 0
    for path, names in command_paths():
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: caveat" in result.output, path
        for name in names:
            assert f" {name} " in result.output, (path, name)
        seen += 1
    assert seen > 100  # the tree really was walked (144 paths when this was written)


def test_the_root_lists_every_lazily_registered_command_in_order() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, CaveatCommands)
    assert root.list_commands(typer.Context(root)) == list(CaveatCommands.lazy_commands)


MODE_TAGS = (
    "[remote: as the signed-in user]",
    "[console: node data directory]",
    "[local: no server needed]",
    "[mixed: each command says its mode]",
)


def test_every_command_and_group_says_where_it_acts() -> None:
    """ADR 0029: each help starts with its mode, so nobody mistakes a console command for
    one that acts as them (or the reverse)."""
    runner = CliRunner()
    for path, _ in command_paths():
        if not path:
            continue
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert any(tag in result.output for tag in MODE_TAGS), path


def test_the_officers_commands_are_remote_and_node_operations_the_console() -> None:
    runner = CliRunner()
    remote = ["agreement", "authorization", "screen", "embargo", "programme", "visit", "policy"]
    remote += ["control-list", "user", "org", "group", "release"]
    console = ["init", "db", "keys", "serve", "worker", "verify", "backup", "restore", "recover"]
    for name in remote:
        listed = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        assert "[remote: as the signed-in user]" in listed, name
    for name in console:
        listed = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        assert "[console: node data directory]" in listed, name
    audit_verify = runner.invoke(app, ["audit", "verify", "--help"], env={"COLUMNS": "200"})
    assert "[console: node data directory]" in audit_verify.output
