"""`caveat label ...` and `caveat policy ...`: labels and decisions from the command line.

Label commands are pure (no server; a node's own groups of nations when its data
directory is at hand, read only). Policy commands ask the server as the signed-in person:
explanations are the officer view when that person is an officer of the subject's
organisation (ADR 0006), and every project, grant and read-on is that person's act under
the permission table (ADR 0011, ADR 0029).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer
from rich.markup import escape

from caveat.cli.context import state
from caveat.cli.output import errors, out, say, show, table
from caveat.cli.remote import _client
from caveat.domain.access import Action, GrantKind
from caveat.domain.errors import CaveatError, InvalidInput, NotFound
from caveat.domain.identity import CommonLevel, ProjectRole

if TYPE_CHECKING:
    from caveat.client import CaveatClient
    from caveat.domain.groups import GroupDirectory
    from caveat.domain.labels import Label

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
OnOpt = Annotated[str | None, typer.Option("--on", help="day for group membership, YYYY-MM-DD")]
ActionOpt = Annotated[
    Action, typer.Option("--action", help="discover, read, modify, release, recall")
]

labels = typer.Typer(help="Parse, render and normalise security labels.", no_args_is_help=True)
policy = typer.Typer(help="Explain decisions of the policy.", no_args_is_help=True)
projects = typer.Typer(help="Projects and their members (need-to-know).", no_args_is_help=True)
resources = typer.Typer(help="The labelled-resource catalogue.", no_args_is_help=True)
policy.add_typer(projects, name="project")
policy.add_typer(resources, name="resource")
Row = dict[str, Any]


def _day(on: str | None) -> date:
    if on is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(on)
    except ValueError:
        raise InvalidInput(f"{on!r} is not a date", code="invalid_date", field="on") from None


def _when(text: str | None) -> str | None:
    """``text`` as an ISO 8601 instant (UTC when no zone is given), checked before sending."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date or time", code="invalid_date") from None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _groups(ctx: typer.Context) -> GroupDirectory:
    """Built-in and custom groups when a node is at hand, else the built-in ones."""
    from caveat.domain.groups import builtin_directory

    cli = state(ctx)
    if cli.settings.database_url is None and not (cli.settings.data_dir / "caveat.db").exists():
        return builtin_directory()  # no node here: label commands still work
    try:
        return cli.open().registry.directory()
    except CaveatError:
        return builtin_directory()


def _label_out(label: Label) -> dict[str, Any]:
    from caveat.domain.labels import (
        common_level,
        label_to_canonical_json,
        label_to_json_object,
        render_banner,
        render_portion,
    )

    return {
        "label": label_to_json_object(label),
        "canonical": label_to_canonical_json(label).decode(),
        "banner": render_banner(label),
        "portion": render_portion(label),
        "common_level": common_level(label),
    }


def _print_label(result: dict[str, Any]) -> None:
    say(f"banner   {result['banner']}")
    say(f"portion  {result['portion']}")
    say(f"level    {result['common_level']} on the common scale")
    say(f"json     {result['canonical']}")


@labels.command("parse")
def label_parse(ctx: typer.Context, text: str, on: OnOpt = None, json_: JsonOpt = False) -> None:
    """Parse a banner (SECRET//REL TO USA, GBR) or portion mark ((S//NF)) strictly."""
    from caveat.domain.labels import parse_marking

    with errors(json_):
        result = _label_out(parse_marking(text, groups=_groups(ctx), on=_day(on)))
        show(result, json_, lambda: _print_label(result))


@labels.command("render")
def label_render(
    ctx: typer.Context,
    label_json: Annotated[str, typer.Argument(help="caveat.label/1 canonical JSON, or @FILE")],
    json_: JsonOpt = False,
) -> None:
    """Render a label's canonical JSON as banner and portion mark (a label that breaks a
    marking rule is refused as `caveat label parse` refuses its banner)."""
    from caveat.domain.labels import label_from_canonical_json

    with errors(json_):
        raw = (
            Path(label_json[1:]).read_bytes() if label_json.startswith("@") else label_json.encode()
        )
        result = _label_out(label_from_canonical_json(raw.strip(), groups=_groups(ctx)))
        show(result, json_, lambda: _print_label(result))


@labels.command("normalise")
def label_normalise(
    ctx: typer.Context, text: str, on: OnOpt = None, json_: JsonOpt = False
) -> None:
    """Print the corrected form of a marking (order, spacing, case, group collapse)."""
    from caveat.domain.labels import normalise

    with errors(json_):
        fixed = normalise(text, _groups(ctx), _day(on))
        result = {"text": text, "normalised": fixed, "changed": fixed != text}
        show(result, json_, lambda: say(fixed))


@labels.command("roll-up")
def label_roll_up(
    ctx: typer.Context,
    markings: list[str],
    scheme: Annotated[str | None, typer.Option(help="scheme of the aggregate")] = None,
    on: OnOpt = None,
    json_: JsonOpt = False,
) -> None:
    """The banner of an aggregate of several markings."""
    from caveat.domain.labels import parse_marking, roll_up

    with errors(json_):
        groups, day = _groups(ctx), _day(on)
        parsed = [parse_marking(m, groups=groups, on=day) for m in markings]
        result = _label_out(roll_up(parsed, groups=groups, on=day, policy=scheme))
        show(result, json_, lambda: _print_label(result))


def print_explanation(found: Row, who: str, what: str) -> None:
    """A decision for people: the verdict, then every requirement."""
    verdict = "[green]PERMIT[/]" if found["permitted"] else "[bold red]DENY[/]"
    failed = "" if found["permitted"] else f" — failed: {', '.join(found['failed'])}"
    what_for = f"{found['action']} of {what} for {who}{failed}"
    out.print(f"{verdict} {escape(what_for)}")
    table(
        "Requirements",
        ["#", "requirement", "result", "detail"],
        [
            (
                r["number"],
                r["code"],
                "n/a" if not r["applies"] else ("ok" if r["satisfied"] else "FAILED"),
                r.get("worded", r["detail"]),
            )
            for r in found["requirements"]
        ],
    )
    for obligation in found["obligations"]:
        say(f"obligation: {obligation['code']}: {obligation['detail']}")


def _summary(found: Row) -> str:
    """One line: permit, or deny with the failed requirement codes."""
    if found["permitted"]:
        return f"permit {found['action']}"
    return f"deny {found['action']}: " + ", ".join(found["failed"])


def resource_id(client: CaveatClient, ref: str) -> str:
    """A resource id from an id (passed on as given: the server decides what the caller
    may ask about it) or from a title unique among the resources you may discover."""
    try:
        return str(UUID(ref))
    except ValueError:
        pass
    found: list[str] = []
    after: str | None = None
    while True:
        page = client.resources(action="discover", after=after, limit=500)
        found += [r["id"] for r in page["items"] if r["title"] == ref]
        after = page.get("next_after")
        if not after:
            break
    if len(found) > 1:
        raise InvalidInput(
            f"{len(found)} resources you may see are titled {ref!r}; use the id",
            code="ambiguous_resource",
        )
    if not found:
        raise NotFound(f"no resource {ref!r} that you may see", code="unknown_resource")
    return found[0]


def _project_id(client: CaveatClient, ref: str) -> str:
    """A project id from its id or name."""
    for project in client.projects():
        if ref in (project["id"], project["name"]):
            return str(project["id"])
    raise NotFound(f"no project {ref!r}", code="unknown_project")


@policy.command("explain")
def policy_explain(
    user: Annotated[str, typer.Option("--user", help="username or id")],
    resource: Annotated[str, typer.Option("--resource", help="resource id or unique title")],
    action: ActionOpt = Action.READ,
    json_: JsonOpt = False,
) -> None:
    """Why a person may or may not act on a resource (every requirement; security
    officers)."""
    with errors(json_), _client() as client:
        found = client.explain(user, resource_id(client, resource), action.value)
        show(found, json_, lambda: print_explanation(found, user, resource))
        if not found["permitted"]:
            raise typer.Exit(3)


@policy.command("who-can")
def policy_who_can(
    resource: Annotated[str, typer.Argument(help="resource id or unique title")],
    action: ActionOpt = Action.READ,
    json_: JsonOpt = False,
) -> None:
    """Every person of your organisation's decision on a resource and the requirements
    each one fails; the people of other organisations counted (security officers)."""
    with errors(json_), _client() as client:
        found = client.who_can(resource_id(client, resource), action.value)

        def human() -> None:
            title = found.get("resource_title") or resource
            project = found.get("project_name")
            table(
                f"Who can {action.value} “{title}”"
                + (f" (project “{project}”)" if project else ""),
                ["person", "organisation", "decision", "failed requirements"],
                [
                    (
                        f"{w['name']} ({w['username']})" if w.get("name") else w["username"],
                        w["organisation"],
                        "permit" if w["permitted"] else "deny",
                        ", ".join(f.replace("_", " ") for f in w["failed"]),
                    )
                    for w in found["people"]
                ],
            )
            if found["others"]:
                table(
                    "Other organisations",
                    ["organisation", "nation", "people", "permitted"],
                    [
                        (c["organisation"], c["nation"], c["people"], c["permitted"])
                        for c in found["others"]
                    ],
                )
            say(found["summary"])

        show(found, json_, human)


@policy.command("what-if")
def policy_what_if(
    user: Annotated[str, typer.Option("--user")],
    resource: Annotated[str, typer.Option("--resource")],
    action: ActionOpt = Action.READ,
    add_nationality: Annotated[list[str] | None, typer.Option(help="nation (repeat)")] = None,
    remove_nationality: Annotated[list[str] | None, typer.Option()] = None,
    expire_agreement: Annotated[list[str] | None, typer.Option(help="agreement id")] = None,
    join_project: Annotated[list[str] | None, typer.Option(help="project id or name")] = None,
    leave_project: Annotated[list[str] | None, typer.Option(help="project id or name")] = None,
    clearance: Annotated[str | None, typer.Option(help="common level name, or NONE")] = None,
    label: Annotated[
        str | None, typer.Option(help="the resource marked so instead (banner or portion)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Decide now and under hypothetical changes; show which requirements move (security
    officers)."""
    with errors(json_), _client() as client:
        changes: list[Row] = [
            {"kind": "add_nationality", "nation": n} for n in add_nationality or []
        ]
        changes += [{"kind": "remove_nationality", "nation": n} for n in remove_nationality or []]
        changes += [{"kind": "expire_agreement", "agreement": a} for a in expire_agreement or []]
        changes += [
            {"kind": "add_membership", "project": _project_id(client, p)}
            for p in join_project or []
        ]
        changes += [
            {"kind": "remove_membership", "project": _project_id(client, p)}
            for p in leave_project or []
        ]
        if clearance is not None:
            changes.append({"kind": "set_clearance", "level": _level(clearance)})
        if label is not None:
            changes.append({"kind": "relabel", "marking": label})
        if not changes:
            raise InvalidInput(
                "give at least one change", code="no_changes", hint="e.g. --remove-nationality GBR"
            )
        result = client.what_if(user, resource_id(client, resource), changes, action.value)

        def human() -> None:
            say(f"now:      {_summary(result['before'])}")
            say(f"what if:  {_summary(result['after'])}")
            say("changed:  " + (", ".join(result["changed"]) or "nothing"))
            moved = set(result["changed"])
            pairs = zip(
                result["before"]["requirements"], result["after"]["requirements"], strict=True
            )
            rows = [
                (b["code"], b.get("worded", b["detail"]), a.get("worded", a["detail"]))
                for b, a in pairs
                if b["code"] in moved
            ]
            if rows:
                table("Requirements that change", ["requirement", "now", "what if"], rows)

        show(result, json_, human)


def _level(name: str) -> int | None:
    """A common level's number from its name (NONE: no clearance)."""
    if name.upper() == "NONE":
        return None
    try:
        return int(CommonLevel[name.upper().replace(" ", "_")])
    except KeyError:
        raise InvalidInput(
            f"{name!r} is not a common level",
            code="invalid_level",
            field="clearance",
            hint=", ".join(level.name for level in CommonLevel) + " or NONE",
        ) from None


@projects.command("create")
def project_create(
    name: str,
    programme: Annotated[str | None, typer.Option(help="an existing programme's name")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create a project, in a programme if one is named (one transaction; programme
    managers and security officers)."""
    with errors(json_), _client() as client:
        made = client.create_project(name, programme)
        show(made, json_, lambda: say(f"created project {made['name']} ({made['id']})"))


@projects.command("list")
def project_list(json_: JsonOpt = False) -> None:
    """List projects."""
    with errors(json_), _client() as client:
        found = client.projects()
        show(
            found,
            json_,
            lambda: table(
                "Projects",
                ["id", "name", "programme"],
                [(p["id"], p["name"], p.get("programme")) for p in found],
            ),
        )


@projects.command("add-member")
def project_add_member(
    project: str,
    user: str,
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD[THH:MM]")] = None,
    role: Annotated[ProjectRole, typer.Option(help="the member's role in the project")] = (
        ProjectRole.MEMBER
    ),
    json_: JsonOpt = False,
) -> None:
    """Add a person to a project (need-to-know: the project's lead or the person's own
    security officer, never yourself)."""
    with errors(json_):
        until = _when(expires)
        with _client() as client:
            member = client.add_project_member(project, user, until, role.value)
        show(
            member,
            json_,
            lambda: say(f"{member['username']} joined {project} as {role.value}"),
        )


@projects.command("change-member")
def project_change_member(
    project: str,
    user: str,
    role: Annotated[ProjectRole | None, typer.Option(help="new role")] = None,
    expires: Annotated[str | None, typer.Option(help="new end, YYYY-MM-DD[THH:MM]")] = None,
    open_ended: Annotated[bool, typer.Option(help="remove the end date")] = False,
    json_: JsonOpt = False,
) -> None:
    """Change a member's role or end date."""
    with errors(json_):
        until = _when(expires)
        with _client() as client:
            member = client.change_project_member(
                project,
                user,
                role=None if role is None else role.value,
                expires_at=until,
                open_ended=open_ended,
            )
        ends = member["expires_at"] or "no end date"
        show(member, json_, lambda: say(f"{member['username']}: {member['role']}, {ends}"))


@projects.command("remove-member")
def project_remove_member(project: str, user: str, json_: JsonOpt = False) -> None:
    """Remove a person from a project."""
    with errors(json_), _client() as client:
        client.remove_project_member(project, user)
        show(
            {"removed": user, "project": project},
            json_,
            lambda: say(f"{user} left {project}"),
        )


@resources.command("add")
def resource_add(
    project: Annotated[str, typer.Option()],
    title: Annotated[str, typer.Option()],
    marking: Annotated[str, typer.Option(help="banner or portion mark")],
    originator: Annotated[str, typer.Option(help="originating organisation")],
    kind: Annotated[str, typer.Option()] = "document",
    control: Annotated[
        list[str] | None, typer.Option(help="control entry, e.g. EAR:3A001.a.1")
    ] = None,
    dual_use: Annotated[bool, typer.Option()] = False,
    json_: JsonOpt = False,
) -> None:
    """Register a labelled resource in a project you belong to."""
    with errors(json_), _client() as client:
        made = client.register_resource(
            project=project,
            kind=kind,
            title=title,
            marking=marking,
            controls=control or [],
            dual_use=dual_use,
            originator=originator,
        )
        show(made, json_, lambda: say(f"registered {made['title']} ({made['id']})"))


@resources.command("list")
def resource_list(
    action: ActionOpt = Action.DISCOVER,
    limit: Annotated[int, typer.Option(help="at most this many (1-500)")] = 50,
    after: Annotated[str | None, typer.Option(help="the next page: the last id shown")] = None,
    json_: JsonOpt = False,
) -> None:
    """The resources you may discover (or --action), a page at a time."""
    with errors(json_), _client() as client:
        page = client.resources(action=action.value, after=after, limit=limit)

        def human() -> None:
            table(
                "Catalogue",
                ["id", "title", "kind", "banner"],
                [(r["id"], r["title"], r["kind"], r["banner"]) for r in page["items"]],
            )
            more = "" if page["total_exact"] else "more than "
            say(f"{more}{page['total']} in all")
            if page.get("next_after"):
                say(f"next page: --after {page['next_after']}")

        show(page, json_, human)


@resources.command("grant")
def resource_grant(
    resource: str,
    user: str,
    kind: Annotated[GrantKind, typer.Option()] = GrantKind.ACCESS,
    expires: Annotated[str | None, typer.Option()] = None,
    json_: JsonOpt = False,
) -> None:
    """Grant a person access (need-to-know: the project's lead or the person's own
    security officer) or the originator's permission (its security officers)."""
    with errors(json_):
        until = _when(expires)
        with _client() as client:
            made = client.grant(resource_id(client, resource), user, kind.value, until)
        show(
            made,
            json_,
            lambda: say(f"granted {kind.value} on {resource} to {user} ({made['id']})"),
        )


@resources.command("read-on")
def resource_read_on(
    user: str,
    caveat: Annotated[str, typer.Argument(help="TAG:VALUE")],
    reason: Annotated[str, typer.Option(help="why (kept in the ledger)")] = "",
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD[THH:MM]")] = None,
    json_: JsonOpt = False,
) -> None:
    """Ask for a person of your organisation to be read on to a caveat (SCI:SI, SAP:SAR-BP);
    another security officer of the organisation decides (`decide-read-on`)."""
    with errors(json_):
        until = _when(expires)
        with _client() as client:
            made = client.request_readon(user, caveat, reason, until)
        show(
            made,
            json_,
            lambda: say(f"read-on of {user} to {caveat} requested ({made['id']})"),
        )


@resources.command("read-off")
def resource_read_off(
    user: str,
    caveat: Annotated[str, typer.Argument(help="TAG:VALUE")],
    reason: Annotated[str, typer.Option(help="why (kept in the ledger)")] = "",
    json_: JsonOpt = False,
) -> None:
    """Read a person off a caveat (their own security officer)."""
    with errors(json_), _client() as client:
        client.read_off(user, caveat, reason)
        show(
            {"person": user, "caveat": caveat},
            json_,
            lambda: say(f"{user} read off {caveat}"),
        )


@resources.command("read-ons")
def resource_read_ons(
    status: Annotated[str, typer.Option(help="pending, approved, denied or all")] = "pending",
    json_: JsonOpt = False,
) -> None:
    """Read-on requests of your organisation's people waiting for (or given) a second
    officer's decision."""
    with errors(json_), _client() as client:
        found = client.readon_requests(status)
        show(
            found,
            json_,
            lambda: table(
                "Read-on requests",
                ["id", "person", "caveat", "status", "reason"],
                [(r["id"], r["username"], r["caveat"], r["status"], r["reason"]) for r in found],
            ),
        )


@resources.command("decide-read-on")
def resource_decide_read_on(
    request_id: str,
    approve: Annotated[bool, typer.Option("--approve/--deny")],
    reason: Annotated[str, typer.Option(help="why (required to deny)")] = "",
    json_: JsonOpt = False,
) -> None:
    """Approve or deny a read-on another officer asked for (never your own)."""
    with errors(json_), _client() as client:
        made = client.decide_readon(request_id, approve, reason)
        show(
            made,
            json_,
            lambda: say(f"{made['username']} {made['caveat']}: {made['status']}"),
        )


__all__ = ["labels", "policy", "print_explanation", "resource_id"]
