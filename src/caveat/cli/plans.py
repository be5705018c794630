"""`caveat plan ...`: project plans — work packages, tasks, milestones and deliverables —
as the signed-in person through the node's API (issue 21, ADR 0027). Every item carries
its own label; you see what the policy lets you read."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from caveat.cli.output import errors, out, show, table
from caveat.cli.remote import _client

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
LabelOpt = Annotated[str, typer.Option(help='the security label, e.g. "SECRET//REL TO USA, GBR"')]
DueOpt = Annotated[str, typer.Option(help="the due date, YYYY-MM-DD")]

plan = typer.Typer(
    help="Project plans: work packages, tasks, milestones, deliverables and the agenda.",
    no_args_is_help=True,
)
add = typer.Typer(help="Add a work package, task, milestone or deliverable.", no_args_is_help=True)
plan.add_typer(add, name="add")


def _print_plan(found: dict[str, Any]) -> None:
    out.print(f"[bold]{escape(found['marking'])}[/]", highlight=False)
    out.print(f"Plan of {escape(found['project'])}", highlight=False)
    for w in found["work_packages"]:
        out.print(
            f"\n[bold]WP{w['number']}[/] ({escape(w['marking'])}) {escape(w['title'])}  "
            f"{w['starts_on']} to {w['ends_on']}, lead {escape(w['lead_organisation'])}  "
            f"[dim]{w['id']}[/]",
            highlight=False,
        )
        for t in w["tasks"]:
            who = f" @{t['assignee']}" if t["assignee"] else ""
            out.print(
                f"  task ({escape(t['marking'])}) {escape(t['title'])}  due {t['due_on']}  "
                f"{t['status']}{who}  [dim]{t['id']}[/]",
                highlight=False,
            )
        for m in w["milestones"]:
            state = f"achieved {m['achieved_on']}" if m["achieved_on"] else "not yet"
            out.print(
                f"  milestone ({escape(m['marking'])}) {escape(m['title'])}  {m['due_on']}  "
                f"{state}  [dim]{m['id']}[/]",
                highlight=False,
            )
        for d in w["deliverables"]:
            by = ""
            if d["artifact_restricted"]:
                by = " by a restricted artifact"
            elif d["artifact_id"]:
                by = f" by {escape(d['artifact_title'] or d['artifact_id'])}"
            out.print(
                f"  deliverable ({escape(d['marking'])}) {escape(d['title'])}  due {d['due_on']}"
                f"  {d['status']}{by}  [dim]{d['id']}[/]",
                highlight=False,
            )
    if found["shares"]:
        table(
            "Work shares",
            ["partner", "person-months", "share %", "agreed %", ""],
            [
                (
                    s["organisation"],
                    s["person_months"],
                    s["share_percent"],
                    s["agreed_percent"],
                    "over" if s["over"] else "",
                )
                for s in found["shares"]
            ],
        )
    out.print(f"[bold]{escape(found['marking'])}[/]", highlight=False)


@plan.command("list")
def list_(
    project: Annotated[str, typer.Argument(help="a project's id or name")],
    json_: JsonOpt = False,
) -> None:
    """A project's plan as you may read it, with each partner's work share."""
    with errors(json_), _client() as client:
        found = client.plans.get(project)
        show(found, json_, lambda: _print_plan(found))


@plan.command("agenda")
def agenda(
    today: Annotated[str | None, typer.Option(help="count from this day, YYYY-MM-DD")] = None,
    json_: JsonOpt = False,
) -> None:
    """Your overdue items and those due in the next 14 days."""
    with errors(json_), _client() as client:
        found = client.plans.agenda(today=today)

        def render() -> None:
            for name in ("overdue", "upcoming"):
                table(
                    name.capitalize(),
                    ["due", "kind", "project", "WP", "marking", "title"],
                    [
                        (
                            i["due_on"],
                            i["kind"],
                            i["project"],
                            i["work_package"],
                            i["marking"],
                            i["title"],
                        )
                        for i in found[name]
                    ],
                )

        show(found, json_, render)


def _efforts(pairs: list[str]) -> dict[str, str]:
    efforts: dict[str, str] = {}
    for pair in pairs:
        org, sep, amount = pair.partition("=")
        if not sep or not org.strip():
            raise typer.BadParameter(f"{pair!r}: write ORGANISATION=PERSON_MONTHS")
        efforts[org.strip()] = amount.strip()
    return efforts


@add.command("work-package")
def add_work_package(
    project: Annotated[str, typer.Argument(help="a project's id or name")],
    title: Annotated[str, typer.Option(help="the work package's title")],
    label: LabelOpt,
    lead: Annotated[str, typer.Option(help="the lead organisation")],
    starts_on: Annotated[str, typer.Option("--start", help="YYYY-MM-DD")],
    ends_on: Annotated[str, typer.Option("--end", help="YYYY-MM-DD")],
    effort: Annotated[list[str], typer.Option(help="ORGANISATION=PERSON_MONTHS, once per partner")],
    exceed_agreement: Annotated[
        bool, typer.Option(help="record a share beyond a partner's agreed share")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Add a work package with each partner's effort."""
    with errors(json_), _client() as client:
        made = client.plans.add_work_package(
            project,
            title=title,
            label=label,
            lead_organisation=lead,
            starts_on=starts_on,
            ends_on=ends_on,
            efforts=_efforts(effort),
            exceed_agreement=exceed_agreement,
        )
        show(made, json_, lambda: out.print(f"added WP{made['number']} {made['id']}"))


@add.command("task")
def add_task(
    work_package: Annotated[str, typer.Argument(help="the work package's id")],
    title: Annotated[str, typer.Option(help="the task's title")],
    label: LabelOpt,
    due: DueOpt,
    assignee: Annotated[str | None, typer.Option(help="a member's username")] = None,
    json_: JsonOpt = False,
) -> None:
    """Add a task to a work package."""
    with errors(json_), _client() as client:
        made = client.plans.add_task(
            work_package, title=title, label=label, due_on=due, assignee=assignee
        )
        show(made, json_, lambda: out.print(f"added task {made['id']}"))


@add.command("milestone")
def add_milestone(
    work_package: Annotated[str, typer.Argument(help="the work package's id")],
    title: Annotated[str, typer.Option(help="the milestone's title")],
    label: LabelOpt,
    due: DueOpt,
    json_: JsonOpt = False,
) -> None:
    """Add a milestone to a work package."""
    with errors(json_), _client() as client:
        made = client.plans.add_milestone(work_package, title=title, label=label, due_on=due)
        show(made, json_, lambda: out.print(f"added milestone {made['id']}"))


@add.command("deliverable")
def add_deliverable(
    work_package: Annotated[str, typer.Argument(help="the work package's id")],
    title: Annotated[str, typer.Option(help="the deliverable's title")],
    label: LabelOpt,
    due: DueOpt,
    json_: JsonOpt = False,
) -> None:
    """Add a deliverable to a work package."""
    with errors(json_), _client() as client:
        made = client.plans.add_deliverable(work_package, title=title, label=label, due_on=due)
        show(made, json_, lambda: out.print(f"added deliverable {made['id']}"))


@plan.command("move")
def move(
    task: Annotated[str, typer.Argument(help="the task's id")],
    verb: Annotated[str, typer.Argument(help="start, pause, finish or cancel")],
    json_: JsonOpt = False,
) -> None:
    """Move a task in its lifecycle."""
    with errors(json_), _client() as client:
        made = client.plans.move_task(task, verb)
        show(made, json_, lambda: out.print(f"task {made['id']} is {made['status']}"))


@plan.command("achieve")
def achieve(
    milestone: Annotated[str, typer.Argument(help="the milestone's id")],
    on: Annotated[str | None, typer.Option(help="the day it was achieved, YYYY-MM-DD")] = None,
    json_: JsonOpt = False,
) -> None:
    """Mark a milestone achieved."""
    with errors(json_), _client() as client:
        made = client.plans.achieve(milestone, on=on)
        show(made, json_, lambda: out.print(f"milestone achieved on {made['achieved_on']}"))


@plan.command("deliver")
def deliver(
    deliverable: Annotated[str, typer.Argument(help="the deliverable's id")],
    artifact: Annotated[str, typer.Argument(help="an artifact of the project (its id)")],
    json_: JsonOpt = False,
) -> None:
    """Deliver a deliverable by an artifact you may read."""
    with errors(json_), _client() as client:
        made = client.plans.deliver(deliverable, artifact=artifact)
        show(made, json_, lambda: out.print(f"deliverable {made['id']} is {made['status']}"))
