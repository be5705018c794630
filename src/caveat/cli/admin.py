"""Local administration on the node's data directory: people, organisations, groups.

The console keeps the node's powers; every change it makes to an existing person raises
a conduct alert, and suspension, roles and clearances take ``--reason``. ``--dry-run``
shows what a change would do to what the person may read, without making it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from caveat.cli.context import state
from caveat.cli.output import emit_json, errors, out, show, table
from caveat.domain.errors import InvalidInput
from caveat.domain.identity import (
    Clearance,
    CommonLevel,
    OrganisationKind,
    PersonStatus,
    Role,
    parse_common_level,
)

if TYPE_CHECKING:
    from caveat.services.identity import MfaSecrets, NewAccount, Person
    from caveat.services.policy import Effect

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (kept in the ledger)")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="show the change's effect on access; change nothing")
]

users = typer.Typer(help="Manage accounts on this node.", no_args_is_help=True)
orgs = typer.Typer(help="Manage organisations.", no_args_is_help=True)
groups = typer.Typer(help="Manage groups of nations.", no_args_is_help=True)


def print_secrets(account_name: str, mfa: MfaSecrets, password: str | None) -> None:
    """Show one-time secrets, once, with what to do with them."""
    import segno

    out.print(f"[bold]One-time secrets for {account_name}[/] (shown once; hand them over safely)")
    if password is not None:
        out.print(f"  one-time password: [bold]{password}[/]  (must be changed at first sign-in)")
    out.print(f"  TOTP secret:       {mfa.totp_secret}")
    out.print(f"  TOTP URI:          {mfa.totp_uri}")
    out.print("  recovery codes:    " + "  ".join(mfa.recovery_codes))
    if out.is_terminal:
        segno.make(mfa.totp_uri, error="m").terminal(compact=True)


def _person_rows(people: list[Person]) -> None:
    table(
        "People",
        ["username", "name", "organisation", "nationalities", "clearance", "roles", "status"],
        [
            (
                p.username,
                p.display_name,
                p.organisation_name,
                ", ".join(p.citizenships)
                + (f" (res. {', '.join(p.residencies)})" if p.residencies else ""),
                None
                if p.clearance is None
                else f"{p.clearance.national_name} ({p.clearance.granting_nation}, "
                f"to {p.clearance.expires})",
                ", ".join(r.value for r in p.roles),
                p.status.value + (" (locked)" if p.locked else ""),
            )
            for p in people
        ],
    )


@users.command("add")
def user_add(
    ctx: typer.Context,
    username: str,
    name: Annotated[str, typer.Option(help="display name")],
    email: Annotated[str, typer.Option()],
    org: Annotated[str, typer.Option(help="organisation id, name or short name")],
    citizenship: Annotated[list[str], typer.Option(help="every nationality (repeat)")],
    residency: Annotated[list[str] | None, typer.Option(help="permanent residencies")] = None,
    role: Annotated[list[Role] | None, typer.Option(help="roles (repeat)")] = None,
    clearance: Annotated[
        str | None,
        typer.Option(help="level on the common scale: " + ", ".join(lv.name for lv in CommonLevel)),
    ] = None,
    clearance_name: Annotated[str | None, typer.Option(help="national level name")] = None,
    clearance_nation: Annotated[str | None, typer.Option(help="granting nation")] = None,
    clearance_expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create an account; prints a one-time password and TOTP enrolment once."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        granted = None
        if clearance is not None:
            level = _level(clearance)
            granted = Clearance(
                level=level,
                national_name=clearance_name or level.name.replace("_", " "),
                granting_nation=clearance_nation or citizenship[0],
                expires=_date(clearance_expires, "clearance_expires"),
            )
        account = node.people.create_person(
            ConsoleOperator(),
            CallContext.cli(),
            username=username,
            display_name=name,
            email=email,
            organisation=org,
            citizenships=citizenship,
            residencies=residency or [],
            roles=role or [Role.RESEARCHER],
            clearance=granted,
        )
        _show_account(account, json_)


@users.command("set")
def user_set(
    ctx: typer.Context,
    ref: str,
    role: Annotated[list[Role] | None, typer.Option(help="the new roles (repeat)")] = None,
    clearance: Annotated[
        str | None,
        typer.Option(
            help="new level on the common scale: " + ", ".join(lv.name for lv in CommonLevel)
        ),
    ] = None,
    clearance_name: Annotated[str | None, typer.Option(help="national level name")] = None,
    clearance_nation: Annotated[str | None, typer.Option(help="granting nation")] = None,
    clearance_expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    no_clearance: Annotated[bool, typer.Option(help="withdraw the clearance")] = False,
    citizenship: Annotated[
        list[str] | None, typer.Option(help="every nationality (repeat)")
    ] = None,
    residency: Annotated[list[str] | None, typer.Option(help="permanent residencies")] = None,
    reason: ReasonOpt = "",
    dry_run: DryRunOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Change an account's roles, clearance or nationalities (with --reason)."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        granted = None
        if clearance is not None:
            level = _level(clearance)
            current = node.people.get_person(ref)
            granted = Clearance(
                level=level,
                national_name=clearance_name or level.name.replace("_", " "),
                granting_nation=clearance_nation or (citizenship or current.citizenships)[0],
                expires=_date(clearance_expires, "clearance_expires"),
            )
        effect = node.effects.preview(
            ConsoleOperator(),
            ref,
            roles=role,
            clearance=granted,
            remove_clearance=no_clearance,
            citizenships=citizenship,
            residencies=residency,
        )
        if dry_run:
            _show_effect(effect, json_)
            return
        person = node.people.update_person(
            ConsoleOperator(),
            CallContext.cli(),
            ref,
            roles=role,
            clearance=granted,
            remove_clearance=no_clearance,
            citizenships=citizenship,
            residencies=residency,
            reason=reason,
        )
        show(
            person,
            json_,
            lambda: out.print(f"updated {person.username}: {effect.summary()}"),
        )


def _show_effect(effect: Effect, as_json: bool) -> None:
    if as_json:
        emit_json({**asdict(effect), "summary": effect.summary()})
        return
    for line in effect.changes:
        out.print(f"  {line}")
    out.print(effect.summary() + " (dry run: nothing changed)")


def _show_account(account: NewAccount, as_json: bool) -> None:
    if as_json:
        emit_json(account)
        return
    out.print(f"created [bold]{account.person.username}[/] ({account.person.id})")
    print_secrets(account.person.username, account.mfa, account.one_time_password)


def _level(name: str) -> CommonLevel:
    return parse_common_level(name)


def _date(text: str | None, field: str) -> date:
    if text is None:
        raise InvalidInput(
            "a clearance needs an expiry date", field=field, hint="--clearance-expires 2028-12-31"
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date", field=field, hint="use YYYY-MM-DD") from None


@users.command("list")
def user_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List every account."""
    with errors(json_):
        people = state(ctx).open().people.list_people()
        show(people, json_, lambda: _person_rows(people))


@users.command("show")
def user_show(ctx: typer.Context, ref: str, json_: JsonOpt = False) -> None:
    """Show one account."""
    with errors(json_):
        person = state(ctx).open().people.get_person(ref)
        show(person, json_, lambda: _person_rows([person]))


def _status(
    ctx: typer.Context, ref: str, status: PersonStatus, reason: str, dry_run: bool, json_: bool
) -> None:
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        effect = node.effects.preview(ConsoleOperator(), ref, status=status)
        if dry_run:
            _show_effect(effect, json_)
            return
        person = node.people.set_status(
            ConsoleOperator(), CallContext.cli(), ref, status, reason=reason
        )
        show(
            person,
            json_,
            lambda: out.print(f"{person.username}: {person.status.value}; {effect.summary()}"),
        )


@users.command("suspend")
def user_suspend(
    ctx: typer.Context,
    ref: str,
    reason: ReasonOpt = "",
    dry_run: DryRunOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Suspend an account and end its sessions (with --reason)."""
    _status(ctx, ref, PersonStatus.SUSPENDED, reason, dry_run, json_)


@users.command("reactivate")
def user_reactivate(
    ctx: typer.Context,
    ref: str,
    reason: ReasonOpt = "",
    dry_run: DryRunOpt = False,
    json_: JsonOpt = False,
) -> None:
    """Reactivate a suspended account (with --reason)."""
    _status(ctx, ref, PersonStatus.ACTIVE, reason, dry_run, json_)


@users.command("unlock")
def user_unlock(
    ctx: typer.Context, ref: str, reason: ReasonOpt = "", json_: JsonOpt = False
) -> None:
    """Lift a login lockout."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        person = (
            state(ctx)
            .open()
            .people.unlock(ConsoleOperator(), CallContext.cli(), ref, reason=reason)
        )
        show(person, json_, lambda: out.print(f"{person.username}: unlocked"))


@users.command("unlock-address")
def user_unlock_address(ctx: typer.Context, address: str, json_: JsonOpt = False) -> None:
    """Lift the sign-in throttle on a client address (after repeated failures from it)."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        lifted = (
            state(ctx).open().auth.unlock_address(ConsoleOperator(), CallContext.cli(), address)
        )
        show(
            {"address": address, "unlocked": lifted},
            json_,
            lambda: out.print(f"{address}: {'unlocked' if lifted else 'was not throttled'}"),
        )


@users.command("reset-mfa")
def user_reset_mfa(
    ctx: typer.Context, ref: str, reason: ReasonOpt = "", json_: JsonOpt = False
) -> None:
    """Issue a new TOTP seed and recovery codes (printed once); ends every session."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        person, mfa = (
            state(ctx)
            .open()
            .people.reset_mfa(ConsoleOperator(), CallContext.cli(), ref, reason=reason)
        )
        if json_:
            emit_json({"person": person, "mfa": mfa})
        else:
            print_secrets(person.username, mfa, None)


@orgs.command("add")
def org_add(
    ctx: typer.Context,
    name: str,
    nation: Annotated[str, typer.Option(help="ISO 3166-1 alpha-3")],
    kind: Annotated[OrganisationKind, typer.Option()] = OrganisationKind.GOVERNMENT_LABORATORY,
    short: Annotated[str | None, typer.Option(help="short name")] = None,
    json_: JsonOpt = False,
) -> None:
    """Register an organisation."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        org = (
            state(ctx)
            .open()
            .registry.create_organisation(
                ConsoleOperator(),
                CallContext.cli(),
                name=name,
                nation=nation,
                kind=kind,
                short_name=short,
            )
        )
        show(org, json_, lambda: out.print(f"registered {org.name} ({org.id})"))


@orgs.command("list")
def org_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List organisations."""
    with errors(json_):
        found = state(ctx).open().registry.list_organisations()
        show(
            found,
            json_,
            lambda: table(
                "Organisations",
                ["name", "short", "nation", "kind", "id"],
                [(o.name, o.short_name, o.nation, o.kind, o.id) for o in found],
            ),
        )


@groups.command("add")
def group_add(
    ctx: typer.Context,
    code: str,
    name: Annotated[str, typer.Option()],
    member: Annotated[list[str], typer.Option(help="member nation (repeat)")],
    valid_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    source: Annotated[str, typer.Option(help="where the membership comes from")] = "",
    json_: JsonOpt = False,
) -> None:
    """Create a custom group of nations."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        group = (
            state(ctx)
            .open()
            .registry.create_group(
                ConsoleOperator(),
                CallContext.cli(),
                code=code,
                name=name,
                members=member,
                valid_from=_date(valid_from, "from") if valid_from else None,
                source=source,
            )
        )
        show(group, json_, lambda: out.print(f"created group {group.code}"))


@groups.command("list")
def group_list(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option(help="members on this day (YYYY-MM-DD)")] = None,
    json_: JsonOpt = False,
) -> None:
    """List built-in and custom groups with their members on a day (default today)."""
    with errors(json_):
        node = state(ctx).open()
        day = _date(on, "on") if on else node.uow.clock().date()
        found = node.registry.directory().all()
        rows: list[dict[str, object]] = [
            {
                "code": g.code,
                "name": g.name,
                "builtin": g.builtin,
                "source": g.source,
                "members_on": sorted(g.members_on(day)),
            }
            for g in found
        ]
        human = [
            (
                g.code,
                g.name,
                "built-in" if g.builtin else "custom",
                " ".join(sorted(g.members_on(day))),
            )
            for g in found
        ]
        show(
            rows,
            json_,
            lambda: table(f"Groups on {day}", ["code", "name", "kind", "members"], human),
        )
