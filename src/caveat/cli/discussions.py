"""`caveat discuss ...`: labelled discussions of projects and artifacts, as the signed-in
person through the node's API (issue 21, ADR 0026). Every message carries its own
label; you see the messages the policy lets you read, under a marking rolled up for you."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from caveat.cli.output import emit_json, errors, out, show, table
from caveat.cli.remote import _client

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
LabelOpt = Annotated[str, typer.Option(help='the security label, e.g. "SECRET//REL TO USA, GBR"')]

discuss = typer.Typer(
    help="Labelled discussions of projects and artifacts: post, list, edit.",
    no_args_is_help=True,
)


def _print_discussion(found: dict[str, Any]) -> None:
    d = found["discussion"]
    out.print(f"[bold]{escape(found['marking'])}[/]", highlight=False)
    about = d["artifact"] or d["project"]
    out.print(
        f"{escape(d['title_marking'])} {escape(d['title'])}  ({escape(about)}, {d['id']})",
        highlight=False,
    )
    for m in found["messages"]:
        v = m["current"]
        edited = f" (edited, version {v['number']})" if m["edited"] else ""
        out.print(
            f"\n[dim]{m['posted_at']}  {escape(m['author'])}  message {m['id']}{edited}[/]",
            highlight=False,
        )
        out.print(f"({escape(v['marking'])}) {escape(v['text'])}", highlight=False)
    out.print(f"\n[bold]{escape(found['marking'])}[/]", highlight=False)


@discuss.command("post")
def post(
    text: Annotated[str, typer.Argument(help="the message; @username mentions a reader")],
    label: LabelOpt,
    discussion: Annotated[str | None, typer.Option(help="post in this discussion (its id)")] = None,
    project: Annotated[str | None, typer.Option(help="start a discussion of this project")] = None,
    artifact: Annotated[
        str | None, typer.Option(help="start a discussion of this artifact (its id)")
    ] = None,
    title: Annotated[str | None, typer.Option(help="the new discussion's title")] = None,
    title_label: Annotated[
        str | None, typer.Option(help="the title's label (default: UNCLASSIFIED)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Post a message in a discussion, or start one (--project or --artifact, --title)."""
    with errors(json_), _client() as client:
        if discussion is not None:
            made = client.discussions.post(discussion, text=text, label=label)
            show(made, json_, lambda: out.print(f"posted message {made['id']}"))
            return
        if title is None:
            raise typer.BadParameter("name --discussion, or --title to start one")
        started = client.discussions.start(
            title=title,
            title_label=title_label or "UNCLASSIFIED",
            text=text,
            label=label,
            project=project,
            artifact=artifact,
        )
        show(started, json_, lambda: _print_discussion(started))


@discuss.command("list")
def list_(
    discussion: Annotated[
        str | None, typer.Argument(help="a discussion's id: show its messages")
    ] = None,
    project: Annotated[str | None, typer.Option(help="one project's discussions")] = None,
    artifact: Annotated[str | None, typer.Option(help="one artifact's discussions")] = None,
    json_: JsonOpt = False,
) -> None:
    """The discussions you may read, or the messages of one."""
    with errors(json_), _client() as client:
        if discussion is not None:
            found = client.discussions.get(discussion)
            show(found, json_, lambda: _print_discussion(found))
            return
        listed = client.discussions.list(project=project, artifact=artifact)
        show(
            listed,
            json_,
            lambda: table(
                "Discussions",
                ["id", "title", "marking", "of", "messages", "last posted"],
                [
                    (
                        d["id"],
                        d["title"],
                        d["title_marking"],
                        d["artifact"] or d["project"],
                        d["messages"],
                        d["last_posted_at"],
                    )
                    for d in listed
                ],
            ),
        )


@discuss.command("edit")
def edit(
    message: Annotated[str, typer.Argument(help="your message's id")],
    text: Annotated[str, typer.Argument(help="the new text")],
    label: LabelOpt,
    json_: JsonOpt = False,
) -> None:
    """Edit your own message: a new version; its label may tighten, never loosen."""
    with errors(json_), _client() as client:
        made = client.discussions.edit(message, text=text, label=label)
        show(
            made,
            json_,
            lambda: out.print(f"message {made['id']} is at version {made['current']['number']}"),
        )


@discuss.command("history")
def history(
    message: Annotated[str, typer.Argument(help="a message's id")],
    json_: JsonOpt = False,
) -> None:
    """Every version of a message you may read."""
    with errors(json_), _client() as client:
        found = client.discussions.history(message)
        if json_:
            emit_json(found)
            return
        table(
            f"Versions ({found['marking']})",
            ["version", "written", "marking", "text"],
            [(v["number"], v["written_at"], v["marking"], v["text"]) for v in found["versions"]],
        )


@discuss.command("mentions")
def mentions(json_: JsonOpt = False) -> None:
    """The messages that mention you."""
    with errors(json_), _client() as client:
        found = client.discussions.mentions()
        show(
            found,
            json_,
            lambda: table(
                "Mentions",
                ["discussion", "author", "written", "marking", "text"],
                [
                    (m["discussion"], m["author"], m["written_at"], m["marking"], m["text"])
                    for m in found
                ],
            ),
        )
