"""Commands that talk to a Caveat server through the client SDK."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from caveat.cli.context import forget_credentials, load_credentials, save_credentials
from caveat.cli.output import emit_json, errors, out, show, table
from caveat.domain.errors import PermissionDenied

if TYPE_CHECKING:
    from caveat.client import CaveatClient

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
OtpOpt = Annotated[
    str | None,
    typer.Option(
        "--otp",
        help="a fresh code from your authenticator (needed when you signed in more than "
        "15 minutes ago)",
    ),
]
T = TypeVar("T")
tokens = typer.Typer(help="Manage your API tokens on the server.", no_args_is_help=True)


def _client() -> CaveatClient:
    from caveat.client import CaveatClient

    creds = load_credentials()
    return CaveatClient(creds["server"], token=creds["token"])


def _fresh(client: CaveatClient, otp: str | None, change: Callable[[], T]) -> T:
    """Credentials change only in a session whose second factor is at most 15 minutes
    old: with ``--otp`` the session proves it again first; without, a stale session is
    told how to go on."""
    if otp:
        client.account.step_up(otp)
    try:
        return change()
    except PermissionDenied as exc:
        if exc.code != "step_up_required":
            raise
        raise PermissionDenied(
            "your sign-in proved its second factor more than 15 minutes ago; credentials "
            "change only with a fresh one",
            code=exc.code,
            hint="run the command again with --otp and a fresh code from your authenticator",
        ) from None


def login(
    username: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, envvar="CAVEAT_PASSWORD")],
    otp: Annotated[str, typer.Option(prompt="One-time code (TOTP or recovery code)")],
    server: Annotated[
        str, typer.Option(envvar="CAVEAT_SERVER", help="e.g. http://127.0.0.1:8000")
    ] = "http://127.0.0.1:8000",
    json_: JsonOpt = False,
) -> None:
    """Sign in to a server and keep the session token in your config (mode 0600)."""
    from caveat.client import CaveatClient

    with errors(json_), CaveatClient(server) as client:
        session = client.account.login(username, password, otp)
        path = save_credentials(server, username, session.token)
        summary = {
            "server": server,
            "username": username,
            "expires_at": session.expires_at,
            "must_change_password": session.must_change_password,
            "credentials": str(path),
        }
        show(
            summary,
            json_,
            lambda: out.print(
                f"signed in to {server} as [bold]{username}[/] until {session.expires_at}"
                + (
                    "\n[yellow]change your one-time password now: `caveat passwd`[/]"
                    if session.must_change_password
                    else ""
                )
            ),
        )


def logout(json_: JsonOpt = False) -> None:
    """End the session on the server and forget it locally."""
    with errors(json_):
        with _client() as client:
            client.account.logout()
        forget_credentials()
        show({"signed_out": True}, json_, lambda: out.print("signed out"))


def whoami(json_: JsonOpt = False) -> None:
    """Show who you are signed in as."""
    with errors(json_), _client() as client:
        me = client.account.me()
        show(
            me,
            json_,
            lambda: out.print(
                f"[bold]{me.username}[/] ({me.display_name}), {me.organisation_name}; "
                f"nationalities {', '.join(me.citizenships)}; roles {', '.join(me.roles)}"
            ),
        )


def passwd(
    current: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    new: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    otp: OtpOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Change your password on the server (a fresh second factor: within 15 minutes of
    `caveat login`, or with --otp)."""
    with errors(json_), _client() as client:
        _fresh(client, otp, lambda: client.account.change_password(current, new))
        show({"changed": True}, json_, lambda: out.print("password changed"))


@tokens.command("create")
def token_create(
    name: str,
    scope: Annotated[list[str], typer.Option(help="read, write or admin (repeat)")],
    days: Annotated[int, typer.Option(help="lifetime in days (1-365)")] = 30,
    otp: OtpOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create an API token; the secret is printed once (a fresh second factor: within
    15 minutes of `caveat login`, or with --otp)."""
    with errors(json_), _client() as client:
        issued = _fresh(client, otp, lambda: client.account.create_token(name, scope, days))
        if json_:
            emit_json(issued)
        else:
            out.print(f"token {issued.token.id} expires {issued.token.expires_at}")
            out.print(f"secret (shown once): [bold]{issued.secret}[/]")


@tokens.command("list")
def token_list(json_: JsonOpt = False) -> None:
    """List your API tokens."""
    with errors(json_), _client() as client:
        found = client.account.tokens()
        show(
            found,
            json_,
            lambda: table(
                "API tokens",
                ["id", "name", "scopes", "expires", "revoked"],
                [(t.id, t.name, " ".join(t.scopes), t.expires_at, t.revoked_at) for t in found],
            ),
        )


@tokens.command("revoke")
def token_revoke(token_id: str, otp: OtpOpt = None, json_: JsonOpt = False) -> None:
    """Revoke an API token (a fresh second factor: within 15 minutes of `caveat login`,
    or with --otp)."""
    with errors(json_), _client() as client:
        revoked = _fresh(client, otp, lambda: client.account.revoke_token(token_id))
        show(revoked, json_, lambda: out.print(f"revoked {token_id}"))
