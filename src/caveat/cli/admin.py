"""People, organisations and groups of nations, as the signed-in person on a server.

Every act is checked against that person's rights (an officer administers their own
organisation's people, never their own account) and recorded under their name; changes
to an existing person take ``--reason``, and ``--dry-run`` shows what a change would do
to what the person may read, without making it. The node's console keeps only the
break-glass acts of `caveat recover` (ADR 0029)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from caveat.cli.output import emit_json, errors, out, say, show, table
from caveat.cli.remote import _client
from caveat.domain.errors import InvalidInput
from caveat.domain.identity import CommonLevel, OrganisationKind, Role, parse_common_level

if TYPE_CHECKING:
    from caveat.services.identity import MfaSecrets

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (kept in the ledger)")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="show the change's effect on access; change nothing")
]
Row = dict[str, Any]

users = typer.Typer(help="Manage accounts.", no_args_is_help=True)
orgs = typer.Typer(help="Manage organisations.", no_args_is_help=True)
groups = typer.Typer(help="Manage groups of nations.", no_args_is_help=True)


def print_secrets(account_name: str, mfa: MfaSecrets, password: str | None) -> None:
    """Show one-time secrets, once, with what to do with them."""
    _print_secrets(account_name, mfa.totp_secret, mfa.totp_uri, mfa.recovery_codes, password)


def _print_secrets(
    account_name: str,
    totp_secret: str,
    totp_uri: str,
    recovery_codes: Any,
    password: str | None,
) -> None:
    import segno

    out.print(
        f"[bold]One-time secrets for {escape(account_name)}[/] (shown once; hand them over safely)"
    )
    if password is not None:
        out.print(f"  one-time password: [bold]{password}[/]  (must be changed at first sign-in)")
    say(f"  TOTP secret:       {totp_secret}")
    say(f"  TOTP URI:          {totp_uri}")
    say("  recovery codes:    " + "  ".join(recovery_codes))
    if out.is_terminal:
        segno.make(totp_uri, error="m").terminal(compact=True)


def _print_mfa(account_name: str, mfa: Row, password: str | None) -> None:
    """The secrets of an API answer (``otpauth_uri``) shown as `print_secrets` shows them."""
    _print_secrets(
        account_name, mfa["totp_secret"], mfa["otpauth_uri"], mfa["recovery_codes"], password
    )


def _person_rows(people: list[Row]) -> None:
    table(
        "People",
        ["username", "name", "organisation", "nationalities", "clearance", "roles", "status"],
        [
            (
                p["username"],
                p["display_name"],
                p["organisation_name"],
                ", ".join(p["citizenships"])
                + (f" (res. {', '.join(p['residencies'])})" if p["residencies"] else ""),
                None
                if p["clearance"] is None
                else f"{p['clearance']['national_name']} ({p['clearance']['granting_nation']}, "
                f"to {p['clearance']['expires']})",
                ", ".join(p["roles"]),
                p["status"] + (" (locked)" if p["locked"] else ""),
            )
            for p in people
        ],
    )


def _clearance(
    level_name: str,
    national_name: str | None,
    granting_nation: str,
    expires: str | None,
) -> Row:
    """A clearance as the API takes it, checked here first."""
    level = parse_common_level(level_name)
    return {
        "level": int(level),
        "national_name": national_name or level.name.replace("_", " "),
        "granting_nation": granting_nation,
        "expires": _date(expires, "clearance_expires").isoformat(),
    }


def _date(text: str | None, field: str) -> date:
    if text is None:
        raise InvalidInput(
            "a clearance needs an expiry date", field=field, hint="--clearance-expires 2028-12-31"
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date", field=field, hint="use YYYY-MM-DD") from None


def _show_effect(effect: Row, as_json: bool) -> None:
    if as_json:
        emit_json(effect)
        return
    for line in effect["changes"]:
        say(f"  {line}")
    say(effect["summary"] + " (dry run: nothing changed)")


CLEARANCE_HELP = "level on the common scale: " + ", ".join(lv.name for lv in CommonLevel)


@users.command("add")
def user_add(
    username: str,
    name: Annotated[str, typer.Option(help="display name")],
    email: Annotated[str, typer.Option()],
    org: Annotated[str, typer.Option(help="organisation id, name or short name")],
    citizenship: Annotated[list[str], typer.Option(help="every nationality (repeat)")],
    residency: Annotated[list[str] | None, typer.Option(help="permanent residencies")] = None,
    role: Annotated[list[Role] | None, typer.Option(help="roles (repeat)")] = None,
    clearance: Annotated[str | None, typer.Option(help=CLEARANCE_HELP)] = None,
    clearance_name: Annotated[str | None, typer.Option(help="national level name")] = None,
    clearance_nation: Annotated[str | None, typer.Option(help="granting nation")] = None,
    clearance_expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create an account; prints a one-time password and TOTP enrolment once."""
    with errors(json_):
        granted = (
            None
            if clearance is None
            else _clearance(
                clearance, clearance_name, clearance_nation or citizenship[0], clearance_expires
            )
        )
        with _client() as client:
            account = client.create_person(
                username=username,
                display_name=name,
                email=email,
                organisation=org,
                citizenships=citizenship,
                residencies=residency or [],
                roles=[r.value for r in role or [Role.RESEARCHER]],
                clearance=granted,
            )
        if json_:
            emit_json(account)
            return
        person = account["person"]
        out.print(f"created [bold]{escape(person['username'])}[/] ({person['id']})")
        _print_mfa(person["username"], account["mfa"], account["one_time_password"])


@users.command("set")
def user_set(
    ref: str,
    role: Annotated[list[Role] | None, typer.Option(help="the new roles (repeat)")] = None,
    clearance: Annotated[str | None, typer.Option(help="new " + CLEARANCE_HELP)] = None,
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
    """Change an account's roles, clearance or nationalities (with --reason; an officer
    of the clearance's granting nation changes a clearance)."""
    with errors(json_), _client() as client:
        granted = None
        if clearance is not None:
            nations = citizenship or client.person(ref)["citizenships"]
            granted = _clearance(
                clearance, clearance_name, clearance_nation or nations[0], clearance_expires
            )
        change: Row = {
            "roles": None if role is None else [r.value for r in role],
            "clearance": granted,
            "remove_clearance": no_clearance,
            "citizenships": citizenship,
            "residencies": residency,
        }
        effect = client.preview_person_change(ref, **change)
        if dry_run:
            _show_effect(effect, json_)
            return
        person = client.change_person(ref, reason, **change)
        show(
            person,
            json_,
            lambda: say(f"updated {person['username']}: {effect['summary']}"),
        )


@users.command("list")
def user_list(json_: JsonOpt = False) -> None:
    """List every account (node operators and security officers)."""
    with errors(json_), _client() as client:
        people = client.people()
        show(people, json_, lambda: _person_rows(people))


@users.command("show")
def user_show(ref: str, json_: JsonOpt = False) -> None:
    """Show one account (your own, or any for administrators)."""
    with errors(json_), _client() as client:
        person = client.person(ref)
        show(person, json_, lambda: _person_rows([person]))


def _status(ref: str, status: str, reason: str, dry_run: bool, json_: bool) -> None:
    with errors(json_), _client() as client:
        effect = client.preview_person_change(ref, status=status)
        if dry_run:
            _show_effect(effect, json_)
            return
        if status == "suspended":
            person = client.suspend(ref, reason)
        else:
            person = client.reactivate(ref, reason)
        show(
            person,
            json_,
            lambda: say(f"{person['username']}: {person['status']}; {effect['summary']}"),
        )


@users.command("suspend")
def user_suspend(
    ref: str, reason: ReasonOpt = "", dry_run: DryRunOpt = False, json_: JsonOpt = False
) -> None:
    """Suspend an account and end its sessions (with --reason)."""
    _status(ref, "suspended", reason, dry_run, json_)


@users.command("reactivate")
def user_reactivate(
    ref: str, reason: ReasonOpt = "", dry_run: DryRunOpt = False, json_: JsonOpt = False
) -> None:
    """Reactivate a suspended account (with --reason)."""
    _status(ref, "active", reason, dry_run, json_)


@users.command("unlock")
def user_unlock(ref: str, reason: ReasonOpt = "", json_: JsonOpt = False) -> None:
    """Lift a login lockout."""
    with errors(json_), _client() as client:
        person = client.unlock(ref, reason)
        show(person, json_, lambda: say(f"{person['username']}: unlocked"))


@users.command("unlock-address")
def user_unlock_address(address: str, json_: JsonOpt = False) -> None:
    """Lift the sign-in throttle on a client address (after repeated failures from it)."""
    with errors(json_), _client() as client:
        lifted = client.unlock_address(address)
        show(
            lifted,
            json_,
            lambda: say(f"{address}: {'unlocked' if lifted['unlocked'] else 'was not throttled'}"),
        )


@users.command("reset-mfa")
def user_reset_mfa(ref: str, reason: ReasonOpt = "", json_: JsonOpt = False) -> None:
    """Issue a new TOTP seed and recovery codes (printed once); ends every session."""
    with errors(json_), _client() as client:
        mfa = client.reset_mfa(ref, reason)
        if json_:
            emit_json({"person": ref, "mfa": mfa})
        else:
            _print_mfa(ref, mfa, None)


@orgs.command("add")
def org_add(
    name: str,
    nation: Annotated[str, typer.Option(help="ISO 3166-1 alpha-3")],
    kind: Annotated[OrganisationKind, typer.Option()] = OrganisationKind.GOVERNMENT_LABORATORY,
    short: Annotated[str | None, typer.Option(help="short name")] = None,
    json_: JsonOpt = False,
) -> None:
    """Register an organisation (node operators)."""
    with errors(json_), _client() as client:
        org = client.create_organisation(name, nation, kind.value, short)
        show(org, json_, lambda: say(f"registered {org['name']} ({org['id']})"))


@orgs.command("list")
def org_list(json_: JsonOpt = False) -> None:
    """List organisations."""
    with errors(json_), _client() as client:
        found = client.organisations()
        show(
            found,
            json_,
            lambda: table(
                "Organisations",
                ["name", "short", "nation", "kind", "id"],
                [(o["name"], o["short_name"], o["nation"], o["kind"], o["id"]) for o in found],
            ),
        )


@groups.command("add")
def group_add(
    code: str,
    name: Annotated[str, typer.Option()],
    member: Annotated[list[str], typer.Option(help="member nation (repeat)")],
    valid_from: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    source: Annotated[str, typer.Option(help="where the membership comes from")] = "",
    json_: JsonOpt = False,
) -> None:
    """Create a custom group of nations (node operators and security officers)."""
    with errors(json_):
        since = _date(valid_from, "from").isoformat() if valid_from else None
        with _client() as client:
            group = client.create_group(code, name, member, valid_from=since, source=source)
        show(group, json_, lambda: say(f"created group {group['code']}"))


@groups.command("list")
def group_list(
    on: Annotated[str | None, typer.Option(help="members on this day (YYYY-MM-DD)")] = None,
    json_: JsonOpt = False,
) -> None:
    """List built-in and custom groups with their members on a day (default today)."""
    with errors(json_):
        day = _date(on, "on").isoformat() if on else None
        with _client() as client:
            found = client.groups(day)
        show(
            found,
            json_,
            lambda: table(
                f"Groups on {day or 'today'}",
                ["code", "name", "kind", "members"],
                [
                    (
                        g["code"],
                        g["name"],
                        "built-in" if g["builtin"] else "custom",
                        " ".join(g["members_on"]),
                    )
                    for g in found
                ],
            ),
        )
