"""`caveat demo`: a node with a multinational scenario, ready to try."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from caveat.cli.context import state
from caveat.cli.output import errors, out, table
from caveat.cli.serving import run_server
from caveat.domain.errors import NotFound

if TYPE_CHECKING:
    from caveat.bootstrap.container import Node

demo_app = typer.Typer(help="Run a demo node with a multinational scenario.")
_CREDENTIALS = "demo-credentials.json"


def _credentials_path(data_dir: Path) -> Path:
    return data_dir / _CREDENTIALS


def _seed(ctx: typer.Context) -> tuple[Node, dict[str, Any]]:
    from caveat.bootstrap.container import FirstOperator, init_node, seed_demo
    from caveat.services import demo as scenario

    settings = state(ctx).settings
    node, operator = init_node(
        settings,
        FirstOperator(
            username="ops",
            display_name="Node Operator",
            email="ops@dstl.example",
            organisation="Caveat Node Operations (GBR)",
            nation="GBR",
        ),
    )
    # The people get the published demo password; the operator keeps a one-time one
    # (printed with the logins) and chooses its own at the first sign-in.
    accounts = seed_demo(node)
    creds = {
        "note": "DEMO ONLY: these accounts and secrets are public. Never use in production.",
        "password": scenario.DEMO_PASSWORD,
        "operator": {
            "username": "ops",
            "password": operator.one_time_password,
            "totp_secret": operator.mfa.totp_secret,
        },
        "people": {
            name: {"totp_secret": a.mfa.totp_secret, "recovery_codes": list(a.mfa.recovery_codes)}
            for name, a in accounts.items()
        },
    }
    path = _credentials_path(settings.data_dir)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(creds, handle, indent=1)
    return node, creds


def _load(data_dir: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(_credentials_path(data_dir).read_text())
    except FileNotFoundError:
        raise NotFound(
            "this data directory holds no demo",
            code="no_demo",
            hint="run `make demo` (or `caveat --data-dir DIR demo`) first",
        ) from None
    return data


def _print_logins(creds: dict[str, Any], url: str, data_dir: Path) -> None:
    from caveat.services import demo as scenario

    table(
        f"Demo logins (password for all: {creds['password']})",
        ["username", "who"],
        [(p.username, f"{p.display_name}, {p.organisation}: {p.note}") for p in scenario.PEOPLE],
    )
    out.print(f"Operator: [bold]ops[/], one-time password {creds['operator']['password']}")
    out.print(f"TOTP code for anyone:  [bold]caveat --data-dir {data_dir} demo code USERNAME[/]")
    out.print(
        f"Sign in via the API:   POST {url}/api/v1/auth/login "
        '{"username": "alice", "password": "...", "otp": "<code>"}'
    )
    out.print(f"API docs:              {url}/api/docs")


@demo_app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve: Annotated[bool, typer.Option(help="start the server after seeding")] = True,
    federation: Annotated[
        bool,
        typer.Option(
            "--federation",
            help="three peered nodes (USA, GBR, FRA) over HTTPS on three ports instead",
        ),
    ] = False,
    base_port: Annotated[
        int, typer.Option(help="with --federation: the USA node's port; GBR and FRA the next")
    ] = 8443,
) -> None:
    """Create (first time) and serve a demo node, printing the demo logins."""
    if ctx.invoked_subcommand is not None:
        return
    settings = state(ctx).settings
    if federation:
        from caveat.cli.demo_federation import run

        run(settings, base_port=base_port, serve=serve)
        return
    with errors(False):
        if _credentials_path(settings.data_dir).exists():
            creds = _load(settings.data_dir)
            out.print(f"using the existing demo node in {settings.data_dir}")
        else:
            out.print(f"creating a demo node in {settings.data_dir} ...")
            node, creds = _seed(ctx)
            node.close()
        _print_logins(creds, f"http://{host}:{port}", settings.data_dir)
    if serve:
        run_server(settings, host=host, port=port, workers=1)


@demo_app.command("code")
def code(ctx: typer.Context, username: str) -> None:
    """Print the current TOTP code of a demo account (stands in for their phone)."""
    from caveat.domain.credentials import totp_code

    with errors(False):
        creds = _load(state(ctx).settings.data_dir)
        if username == "ops":
            secret = creds["operator"]["totp_secret"]
        elif username in creds["people"]:
            secret = creds["people"][username]["totp_secret"]
        else:
            raise NotFound(f"no demo account {username!r}", code="unknown_person")
        typer.echo(totp_code(secret, datetime.now(UTC)))
