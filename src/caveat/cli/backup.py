"""``caveat backup`` and ``caveat restore`` (node operations at the console)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from caveat.cli.context import state
from caveat.cli.output import errors, out, show

PASSPHRASE_ENV = "CAVEAT_BACKUP_PASSPHRASE"  # noqa: S105 (a variable name)

PassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help=f"read the keys' passphrase from this file (else ${PASSPHRASE_ENV}, else a prompt)",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is not None:
        return path.read_text().rstrip("\n")
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    return str(
        typer.prompt("passphrase for the keys", hide_input=True, confirmation_prompt=confirm)
    )


def _progress(json_: bool) -> Callable[[str], None]:
    return (lambda _: None) if json_ else (lambda line: out.print(f"[dim]{line}[/]"))


def backup_command(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(help="a new, empty directory for the backup")],
    passphrase_file: PassphraseFile = None,
    json_: JsonOpt = False,
) -> None:
    """Take a consistent online snapshot: database, blobs, keys sealed under a passphrase,
    and the ledger checkpoint of that moment (console only)."""
    from caveat.bootstrap.backup import backup

    with errors(json_):
        passphrase = _passphrase(passphrase_file, confirm=True)
        summary = backup(state(ctx).settings, dest, passphrase, _progress(json_))
        show(
            summary,
            json_,
            lambda: out.print(
                f"backed up node {summary.node_id} ({summary.database}, {summary.blobs} blobs) "
                f"at checkpoint {summary.checkpoint_size} to {summary.path}"
            ),
        )


def restore_command(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="a directory written by `caveat backup`")],
    passphrase_file: PassphraseFile = None,
    json_: JsonOpt = False,
) -> None:
    """Restore a backup into this (empty) data directory and database; refused unless the
    backup is complete and its ledger verifies against its checkpoint."""
    from caveat.bootstrap.backup import restore

    with errors(json_):
        summary = restore(
            state(ctx).settings,
            source,
            _passphrase(passphrase_file, confirm=False),
            _progress(json_),
        )
        show(
            summary,
            json_,
            lambda: out.print(
                f"restored node {summary.node_id} at checkpoint {summary.checkpoint_size}; "
                "run `caveat verify --all` to check every artifact's content"
            ),
        )
