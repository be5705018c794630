"""`caveat recover`: the console's break-glass acts on accounts (ADR 0029).

When nobody who could sign in and fix an account can (the only operator locked out, or
their authenticator lost), the holder of the node's data directory lifts the lockout or
issues a new second factor. Every other act on people is the signed-in administrator's
(`caveat user`); these two remain the console's, and each raises a conduct alert as
every console change to an existing person does."""

from __future__ import annotations

from typing import Annotated

import typer

from caveat.cli.admin import print_secrets
from caveat.cli.context import state
from caveat.cli.output import emit_json, errors, out, show

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
ReasonOpt = Annotated[str, typer.Option("--reason", help="why (kept in the ledger)")]

recover = typer.Typer(
    help="Break-glass account recovery at the node's console (raises a conduct alert).",
    no_args_is_help=True,
)


@recover.command("unlock")
def recover_unlock(
    ctx: typer.Context, ref: str, reason: ReasonOpt = "", json_: JsonOpt = False
) -> None:
    """Lift a login lockout when nobody who may sign in can (with --reason)."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        person = node.people.unlock(ConsoleOperator(), CallContext.cli(), ref, reason=reason)
        show(person, json_, lambda: out.print(f"{person.username}: unlocked"))


@recover.command("reset-mfa")
def recover_reset_mfa(
    ctx: typer.Context, ref: str, reason: ReasonOpt = "", json_: JsonOpt = False
) -> None:
    """Issue a new TOTP seed and recovery codes (printed once) when nobody who may sign
    in can; ends every session of the account (with --reason)."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        person, mfa = node.people.reset_mfa(
            ConsoleOperator(), CallContext.cli(), ref, reason=reason
        )
        if json_:
            emit_json({"person": person, "mfa": mfa})
        else:
            print_secrets(person.username, mfa, None)
