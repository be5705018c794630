"""`caveat label ...` and `caveat policy ...`: labels and decisions from the command line.

Label commands are pure (no node needed). Policy commands run on the local node as
its console: the officer view of every decision (ADR 0006).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from caveat.cli.context import state
from caveat.cli.output import errors, out, show, table
from caveat.domain.access import Action, GrantKind
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import CommonLevel, ProjectRole
from caveat.services.kernel.principal import ConsoleOperator

if TYPE_CHECKING:
    from caveat.domain.groups import GroupDirectory
    from caveat.domain.labels import Label
    from caveat.domain.policy import Explanation

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
CONSOLE = ConsoleOperator()


def _day(on: str | None) -> date:
    if on is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(on)
    except ValueError:
        raise InvalidInput(f"{on!r} is not a date", code="invalid_date", field="on") from None


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date or time", code="invalid_date") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
    out.print(f"banner   {result['banner']}", highlight=False)
    out.print(f"portion  {result['portion']}", highlight=False)
    out.print(f"level    {result['common_level']} on the common scale", highlight=False)
    out.print(f"json     {result['canonical']}", highlight=False)


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
        show(result, json_, lambda: out.print(fixed, highlight=False))


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


def print_explanation(found: Explanation, who: str, what: str) -> None:
    """A decision for people: the verdict, then every requirement."""
    verdict = "[green]PERMIT[/]" if found.permitted else "[bold red]DENY[/]"
    failed = "" if found.permitted else f" — failed: {', '.join(found.failed)}"
    out.print(f"{verdict} {found.action} of {what} for {who}{failed}")
    table(
        "Requirements",
        ["#", "requirement", "result", "detail"],
        [
            (
                r.number,
                r.code,
                "n/a" if not r.applies else ("ok" if r.satisfied else "FAILED"),
                r.detail,
            )
            for r in found.requirements
        ],
    )
    for obligation in found.obligations:
        out.print(f"obligation: {obligation.code}: {obligation.detail}")


@policy.command("explain")
def policy_explain(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="username or id")],
    resource: Annotated[str, typer.Option("--resource", help="resource id or unique title")],
    action: ActionOpt = Action.READ,
    json_: JsonOpt = False,
) -> None:
    """Why a person may or may not act on a resource (every requirement, officer view)."""
    with errors(json_):
        node = state(ctx).open()
        rid = node.policy.resolve(resource)
        found = node.policy.explain(CONSOLE, person=user, resource_id=rid, action=action)
        show(found, json_, lambda: print_explanation(found, user, resource))
        if not found.permitted:
            raise typer.Exit(3)


@policy.command("who-can")
def policy_who_can(
    ctx: typer.Context,
    resource: Annotated[str, typer.Argument(help="resource id or unique title")],
    action: ActionOpt = Action.READ,
    json_: JsonOpt = False,
) -> None:
    """Every person's decision on a resource, and the requirements each one fails."""
    with errors(json_):
        node = state(ctx).open()
        found = node.policy.who_can(
            CONSOLE, resource_id=node.policy.resolve(resource), action=action
        )

        def human() -> None:
            table(
                f"Who can {action.value} {resource}",
                ["username", "organisation", "decision", "failed requirements"],
                [
                    (
                        w.username,
                        w.organisation,
                        "permit" if w.permitted else "deny",
                        ", ".join(w.failed),
                    )
                    for w in found.people
                ],
            )
            out.print(found.summary())

        show(found.people, json_, human)


@policy.command("what-if")
def policy_what_if(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user")],
    resource: Annotated[str, typer.Option("--resource")],
    action: ActionOpt = Action.READ,
    add_nationality: Annotated[list[str] | None, typer.Option(help="nation (repeat)")] = None,
    remove_nationality: Annotated[list[str] | None, typer.Option()] = None,
    expire_agreement: Annotated[list[str] | None, typer.Option(help="agreement id")] = None,
    join_project: Annotated[list[str] | None, typer.Option(help="project id")] = None,
    leave_project: Annotated[list[str] | None, typer.Option(help="project id")] = None,
    clearance: Annotated[str | None, typer.Option(help="common level name, or NONE")] = None,
    label: Annotated[
        str | None, typer.Option(help="the resource marked so instead (banner or portion)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Decide now and under hypothetical changes; show which requirements move."""
    from caveat.domain.labels import parse_marking
    from caveat.domain.policy import (
        AddMembership,
        AddNationality,
        Change,
        ExpireAgreement,
        Relabel,
        RemoveMembership,
        RemoveNationality,
        SetClearance,
        explain,
    )
    from caveat.domain.policy.explain import Audience

    with errors(json_):
        node = state(ctx).open()
        changes: list[Change] = [AddNationality(n) for n in add_nationality or []]
        changes += [RemoveNationality(n) for n in remove_nationality or []]
        changes += [ExpireAgreement(a) for a in expire_agreement or []]
        changes += [AddMembership(node.projects.get_project(p).id) for p in join_project or []]
        changes += [RemoveMembership(node.projects.get_project(p).id) for p in leave_project or []]
        if clearance is not None:
            level = (
                None
                if clearance.upper() == "NONE"
                else CommonLevel[clearance.upper().replace(" ", "_")]
            )
            changes.append(SetClearance(level))
        if label is not None:
            groups = node.registry.directory()
            today = node.uow.clock().date()
            changes.append(Relabel(parse_marking(label, groups=groups, on=today)))
        result = node.policy.what_if(
            CONSOLE,
            person=user,
            resource_id=node.policy.resolve(resource),
            action=action,
            changes=changes,
        )
        before, after = (
            explain(result.before, Audience.OFFICER),
            explain(result.after, Audience.OFFICER),
        )
        payload = {"before": before, "after": after, "changed": [r.code for r in result.changed]}

        def human() -> None:
            out.print(f"now:      {before.summary()}")
            out.print(f"what if:  {after.summary()}")
            out.print("changed:  " + (", ".join(payload["changed"]) or "nothing"))  # type: ignore[arg-type]

        show(payload, json_, human)


@projects.command("create")
def project_create(
    ctx: typer.Context,
    name: str,
    programme: Annotated[str | None, typer.Option(help="an existing programme's name")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create a project, in a programme if one is named (one transaction)."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        made = (
            node.programmes.create_project(CONSOLE, CallContext.cli(), programme, name)
            if programme
            else node.projects.create_project(CONSOLE, CallContext.cli(), name=name)
        )
        show(made, json_, lambda: out.print(f"created project {made.name} ({made.id})"))


@projects.command("list")
def project_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List projects."""
    with errors(json_):
        found = state(ctx).open().projects.list_projects()
        show(
            found,
            json_,
            lambda: table(
                "Projects",
                ["id", "name", "programme"],
                [(p.id, p.name, p.programme) for p in found],
            ),
        )


@projects.command("add-member")
def project_add_member(
    ctx: typer.Context,
    project: str,
    user: str,
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD[THH:MM]")] = None,
    role: Annotated[ProjectRole, typer.Option(help="the member's role in the project")] = (
        ProjectRole.MEMBER
    ),
    json_: JsonOpt = False,
) -> None:
    """Add a person to a project (need-to-know)."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        member = (
            state(ctx)
            .open()
            .projects.add_member(
                CONSOLE, CallContext.cli(), project, user, expires_at=_when(expires), role=role
            )
        )
        show(member, json_, lambda: out.print(f"{member.username} joined {project} as {role}"))


@projects.command("change-member")
def project_change_member(
    ctx: typer.Context,
    project: str,
    user: str,
    role: Annotated[ProjectRole | None, typer.Option(help="new role")] = None,
    expires: Annotated[str | None, typer.Option(help="new end, YYYY-MM-DD[THH:MM]")] = None,
    open_ended: Annotated[bool, typer.Option(help="remove the end date")] = False,
    json_: JsonOpt = False,
) -> None:
    """Change a member's role or end date."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        member = (
            state(ctx)
            .open()
            .projects.update_member(
                CONSOLE,
                CallContext.cli(),
                project,
                user,
                role=role,
                expires_at=_when(expires),
                open_ended=open_ended,
            )
        )
        until = member.expires_at.isoformat() if member.expires_at else "no end date"
        show(member, json_, lambda: out.print(f"{member.username}: {member.role}, {until}"))


@projects.command("remove-member")
def project_remove_member(
    ctx: typer.Context, project: str, user: str, json_: JsonOpt = False
) -> None:
    """Remove a person from a project."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        state(ctx).open().projects.remove_member(CONSOLE, CallContext.cli(), project, user)
        show(
            {"removed": user, "project": project},
            json_,
            lambda: out.print(f"{user} left {project}"),
        )


@resources.command("add")
def resource_add(
    ctx: typer.Context,
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
    """Register a labelled resource."""
    from caveat.domain.labels import parse_marking, render_banner
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        label = parse_marking(marking, groups=node.registry.directory(), on=_day(None))
        made = node.catalogue.register(
            CONSOLE,
            CallContext.cli(),
            project=project,
            kind=kind,
            title=title,
            label=label,
            export=parse_export_classification(control or [], dual_use=dual_use),
            originator=originator,
        )
        show(
            {"id": made.id, "title": made.title, "banner": render_banner(made.label)},
            json_,
            lambda: out.print(f"registered {made.title} ({made.id})"),
        )


@resources.command("list")
def resource_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The whole catalogue (console view)."""
    with errors(json_):
        found = state(ctx).open().policy.catalogue()
        show(
            found,
            json_,
            lambda: table(
                "Catalogue",
                ["id", "title", "kind", "banner"],
                [(r.id, r.title, r.kind, r.banner) for r in found],
            ),
        )


@resources.command("grant")
def resource_grant(
    ctx: typer.Context,
    resource: str,
    user: str,
    kind: Annotated[GrantKind, typer.Option()] = GrantKind.ACCESS,
    expires: Annotated[str | None, typer.Option()] = None,
    json_: JsonOpt = False,
) -> None:
    """Grant a person access (need-to-know) or the originator's permission."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        made = node.grants.grant(
            CONSOLE,
            CallContext.cli(),
            resource=node.policy.resolve(resource),
            person=user,
            kind=kind,
            expires_at=_when(expires),
        )
        show(
            made,
            json_,
            lambda: out.print(f"granted {kind.value} on {resource} to {user} ({made.id})"),
        )


@resources.command("read-on")
def resource_read_on(
    ctx: typer.Context,
    user: str,
    caveat: Annotated[str, typer.Argument(help="TAG:VALUE")],
    reason: Annotated[str, typer.Option(help="why (kept in the ledger)")] = "",
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD[THH:MM]")] = None,
    json_: JsonOpt = False,
) -> None:
    """Read a person on to a caveat (SCI:SI, SAP:SAR-BP) directly at the console: recorded
    as an approved request and raises a conduct alert (people ask and approve instead)."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        made = (
            state(ctx)
            .open()
            .grants.grant_caveat(
                CONSOLE,
                CallContext.cli(),
                person=user,
                caveat=caveat,
                reason=reason,
                expires_at=_when(expires),
            )
        )
        show(made, json_, lambda: out.print(f"{user} read on to {caveat} ({made.id})"))


@resources.command("read-off")
def resource_read_off(
    ctx: typer.Context,
    user: str,
    caveat: Annotated[str, typer.Argument(help="TAG:VALUE")],
    reason: Annotated[str, typer.Option(help="why (kept in the ledger)")] = "",
    json_: JsonOpt = False,
) -> None:
    """Read a person off a caveat."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        state(ctx).open().grants.revoke_caveat(
            CONSOLE, CallContext.cli(), person=user, caveat=caveat, reason=reason
        )
        show(
            {"person": user, "caveat": caveat},
            json_,
            lambda: out.print(f"{user} read off {caveat}"),
        )


@resources.command("read-ons")
def resource_read_ons(
    ctx: typer.Context,
    status: Annotated[str, typer.Option(help="pending, approved, denied or all")] = "pending",
    json_: JsonOpt = False,
) -> None:
    """Read-on requests waiting for (or given) a second officer's decision."""
    with errors(json_):
        found = (
            state(ctx)
            .open()
            .grants.readon_requests(CONSOLE, status=None if status == "all" else status)
        )
        show(
            found,
            json_,
            lambda: table(
                "Read-on requests",
                ["id", "person", "caveat", "status", "reason"],
                [(r.id, r.username, r.caveat, r.status, r.reason) for r in found],
            ),
        )


@resources.command("decide-read-on")
def resource_decide_read_on(
    ctx: typer.Context,
    request_id: str,
    approve: Annotated[bool, typer.Option("--approve/--deny")],
    reason: Annotated[str, typer.Option(help="why (required to deny)")] = "",
    json_: JsonOpt = False,
) -> None:
    """Approve or deny a pending read-on at the console (raises a conduct alert)."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        made = (
            state(ctx)
            .open()
            .grants.decide_readon(
                CONSOLE, CallContext.cli(), request_id, approve=approve, reason=reason
            )
        )
        show(made, json_, lambda: out.print(f"{made.username} {made.caveat}: {made.status}"))


__all__ = ["labels", "policy"]
