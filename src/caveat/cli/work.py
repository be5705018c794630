"""`caveat work` and `caveat notifications`: the signed-in person's work queue and
notifications through the node's API (issues 16 and 21, ADR 0028). Remote like
`caveat ls`: sign in first with `caveat login`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from caveat.cli.output import errors, out, show, table
from caveat.cli.remote import _client

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


def work(
    today: Annotated[str | None, typer.Option(help="count from this day, YYYY-MM-DD")] = None,
    json_: JsonOpt = False,
) -> None:
    """What waits for your act: releases, screening hits, visits, expiring agreements
    and licences, and plan items, with counts per kind."""
    with errors(json_), _client() as client:
        found = client.work.queue(today=today)

        def render() -> None:
            counts = [(k.replace("_", " "), n) for k, n in found["counts"].items() if n]
            table(f"Work waiting for you ({found['total']})", ["kind", "count"], counts)
            table(
                "Items",
                ["kind", "due", "marking", "what", "where"],
                [
                    (i["kind"], i["due_on"] or "", i["marking"] or "", i["text"], i["link"])
                    for i in found["items"]
                ],
            )

        show(found, json_, render)


notifications = typer.Typer(
    help="Your notifications: list them (the default) or mark one read.",
    invoke_without_command=True,
)


def _print(found: dict[str, Any]) -> None:
    out.print(f"{found['unread']} unread", highlight=False)
    table(
        "Notifications",
        ["", "when", "what", "id"],
        [
            ("*" if n["read_at"] is None else "", n["created_at"][:16], n["text"], n["id"])
            for n in found["notifications"]
        ],
    )


@notifications.callback()
def list_notifications(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="only the unread ones")] = False,
    json_: JsonOpt = False,
) -> None:
    """Your notifications, newest first (* unread)."""
    if ctx.invoked_subcommand is not None:
        return
    with errors(json_), _client() as client:
        found = client.notifications.list(unread=unread)
        show(found, json_, lambda: _print(found))


@notifications.command("read")
def mark_read(notification_id: str, json_: JsonOpt = False) -> None:
    """Mark one of your notifications read."""
    with errors(json_), _client() as client:
        done = client.notifications.mark_read(notification_id)
        show(done, json_, lambda: out.print(f"read: {done['text']}", highlight=False))


@notifications.command("email")
def email(
    setting: Annotated[
        str | None, typer.Argument(help="on or off; without it, show the current setting")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Whether your notifications are mailed to you (their kind and a link only), or
    turn it on or off."""
    with errors(json_), _client() as client:
        if setting is None:
            found = client.notifications.email()
        elif setting in ("on", "off"):
            found = client.notifications.set_email(setting == "on")
        else:
            raise typer.BadParameter("on or off", param_hint="SETTING")

        def render() -> None:
            mine = "on" if found["email"] else "off"
            node = "" if found["node_mails"] else " (this node sends no mail)"
            out.print(f"e-mail of your notifications: {mine}{node}", highlight=False)

        show(found, json_, render)
