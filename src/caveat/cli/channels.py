"""`caveat channel ...`: live labelled channels as the signed-in person (through the
server's ``/api/v1/channels``): open, list, publish, and tail (follows the server-sent
events, resuming after a dropped connection from the last event id)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Literal

import typer

from caveat.cli.output import errors, out, show, table
from caveat.cli.remote import _client

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]

channel = typer.Typer(
    help="Live labelled channels: create, list, publish, tail.", no_args_is_help=True
)


@channel.command("create")
def create(
    name: Annotated[str, typer.Argument(help="the channel's name")],
    project: Annotated[str | None, typer.Option(help="the project whose members read it")] = None,
    programme: Annotated[
        str | None, typer.Option(help="the programme whose projects' members read it")
    ] = None,
    description: Annotated[str, typer.Option(help="what it carries")] = "",
    max_messages: Annotated[int | None, typer.Option(help="messages kept (retention)")] = None,
    max_age: Annotated[int | None, typer.Option(help="seconds a message is kept")] = None,
    json_: JsonOpt = False,
) -> None:
    """Open a channel of a project or programme (programme managers, security officers)."""
    with errors(json_), _client() as client:
        made = client.channels.create(
            name,
            project=project,
            programme=programme,
            description=description,
            max_messages=max_messages,
            max_age_seconds=max_age,
        )
        show(made, json_, lambda: out.print(f"channel {made['id']}: {made['name']}"))


@channel.command("list")
def list_(json_: JsonOpt = False) -> None:
    """The channels you may read."""
    with errors(json_), _client() as client:
        found = client.channels.list()
        show(
            found,
            json_,
            lambda: table(
                "Channels",
                ["id", "name", "kept", "publish"],
                [
                    (
                        c["id"],
                        c["name"],
                        f"{c['max_messages']} / {c['max_age_seconds']} s",
                        c["can_publish"],
                    )
                    for c in found
                ],
            ),
        )


@channel.command("publish")
def publish(
    channel_ref: Annotated[str, typer.Argument(metavar="CHANNEL", help="channel id or name")],
    body: Annotated[str, typer.Argument(help="the message; - reads standard input")],
    label: Annotated[
        str, typer.Option(help='the message\'s label, e.g. "SECRET//REL TO USA, GBR"')
    ],
    json_: JsonOpt = False,
) -> None:
    """Publish a message under its own label."""
    text = sys.stdin.read() if body == "-" else body
    with errors(json_), _client() as client:
        done = client.channels.publish(channel_ref, text, label=label)
        show(done, json_, lambda: out.print(f"event {done['id']}  {done['label']}"))


@channel.command("tail")
def tail(
    channel_ref: Annotated[str, typer.Argument(metavar="CHANNEL", help="channel id or name")],
    after: Annotated[
        str | None, typer.Option(help="resume after this event id (as a message showed it)")
    ] = None,
    count: Annotated[
        int | None, typer.Option(help="stop after this many messages (default: follow)")
    ] = None,
    websocket: Annotated[
        bool, typer.Option("--websocket", help="follow over the WebSocket, not server-sent events")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Follow a channel: the messages you may read, live; reconnects and resumes by itself."""
    seen = 0
    transport: Literal["sse", "websocket"] = "websocket" if websocket else "sse"
    with errors(json_), _client() as client:
        for event in client.channels.tail(channel_ref, after=after, transport=transport):
            if json_:
                sys.stdout.write(json.dumps({"event": event.event, **event.data}) + "\n")
                sys.stdout.flush()
            elif event.event == "message":
                d = event.data
                out.print(f"[{d['id']}] {d['label']}  {d['publisher']}: {d['body']}", markup=False)
            else:
                out.print(f"({event.event}: {event.data})", markup=False)
            if event.event == "message":
                seen += 1
                if count is not None and seen >= count:
                    return
