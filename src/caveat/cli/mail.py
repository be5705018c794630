"""`caveat mail`: the node's mail of notifications (ADR 0030), from its console: what
waits or failed, one run of the mail worker, and a test mail to check the settings."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from caveat.cli.context import state
from caveat.cli.output import errors, out, show, table

mail = typer.Typer(
    help="Mail of notifications through the configured SMTP server.", no_args_is_help=True
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


@mail.command("status")
def status(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=200, help="unsent mails to list")] = 20,
    json_: JsonOpt = False,
) -> None:
    """Whether the node mails, how many mails were sent, wait, failed or were skipped,
    and the latest that wait or failed with their last error (no address, no text)."""
    from caveat.services.kernel.principal import ConsoleOperator

    with errors(json_):
        found = state(ctx).open().mail.status(ConsoleOperator(), limit=limit)
        result: dict[str, Any] = {
            "enabled": found.enabled,
            "server": found.server,
            "counts": found.counts,
            "unsent": [
                {
                    "notification_id": e.notification_id,
                    "recipient": e.recipient,
                    "kind": e.kind,
                    "state": e.state,
                    "attempts": e.attempts,
                    "next_attempt_at": e.next_attempt_at.isoformat(),
                    "last_error": e.last_error,
                }
                for e in found.unsent
            ],
        }

        def render() -> None:
            where = found.server if found.enabled else "off (no CAVEAT_SMTP_HOST)"
            out.print(f"mail: {where}", highlight=False)
            table("Mails", ["state", "count"], list(found.counts.items()))
            table(
                "Waiting or failed",
                ["state", "to", "kind", "tries", "next try", "last error"],
                [
                    (
                        e.state,
                        e.recipient,
                        e.kind,
                        e.attempts,
                        e.next_attempt_at.isoformat()[:16] if e.state == "pending" else "",
                        e.last_error or "",
                    )
                    for e in found.unsent
                ],
            )

        show(result, json_, render)


@mail.command("send")
def send(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Send the mails that are due now (one run of the mail worker)."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        run = state(ctx).open().mail.run_due(CallContext.cli())
        result = {
            "sent": run.sent,
            "retrying": run.retrying,
            "failed": run.failed,
            "skipped": run.skipped,
        }
        show(
            result,
            json_,
            lambda: out.print(", ".join(f"{k} {v}" for k, v in result.items()), highlight=False),
        )


@mail.command("test")
def send_test_mail(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="the address to send the test mail to")],
    json_: JsonOpt = False,
) -> None:
    """Send one test mail now through the configured server: checks the host, TLS, the
    login and the From address (errors name the step, never the password)."""
    from caveat.services.kernel.principal import ConsoleOperator

    with errors(json_):
        node = state(ctx).open()
        node.mail.send_test(ConsoleOperator(), to=to)
        show(
            {"sent_to": to, "server": node.mail.server},
            json_,
            lambda: out.print(f"test mail sent to {to} via {node.mail.server}", highlight=False),
        )
