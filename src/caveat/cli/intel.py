"""`caveat intel subscription ...`: subscriptions of your collections to partners' TAXII
2.1 collections, as the signed-in person (through the server's
``/api/v1/taxii/subscriptions``): add, list, show, poll now, remove.

A secret is read from a prompt or ``CAVEAT_TAXII_SECRET``, never from an argument (it
would stay in the shell's history and the process list), and never printed."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from caveat.cli.output import errors, out, show, table
from caveat.cli.remote import _client

if TYPE_CHECKING:
    from caveat.client.taxii import TaxiiSubscription

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]

intel = typer.Typer(
    help="Threat intelligence: subscriptions to partners' TAXII collections.",
    no_args_is_help=True,
)
subscription = typer.Typer(
    help="Ingest a partner's TAXII 2.1 collection on a schedule, under a label.",
    no_args_is_help=True,
)
intel.add_typer(subscription, name="subscription")


def _when(value: str | None) -> str:
    return "-" if value is None else value


def _last_result(s: TaxiiSubscription) -> str:
    return f"{s.ingested} ingested, {s.refused} refused"


@subscription.command("add")
def add(
    url: Annotated[str, typer.Argument(help="the partner's collection URL (https)")],
    collection: Annotated[str, typer.Option(help="the local collection objects go into")],
    label: Annotated[
        str,
        typer.Option(help="unmarked objects take it; objects marked wider are refused"),
    ],
    auth: Annotated[
        str, typer.Option(help="how to sign in to the partner: basic, bearer or none")
    ] = "none",
    username: Annotated[str, typer.Option(help="the partner account (basic)")] = "",
    every: Annotated[
        int, typer.Option("--every", help="seconds between polls (60 to 604800)")
    ] = 900,
    json_: JsonOpt = False,
) -> None:
    """Subscribe one of your collections to a partner's (programme managers and security
    officers); the first poll is due at once. The partner's password or token comes from
    CAVEAT_TAXII_SECRET or a prompt, never from the command line."""
    if auth not in ("basic", "bearer", "none"):
        raise typer.BadParameter("basic, bearer or none", param_hint="--auth")
    secret = os.environ.get("CAVEAT_TAXII_SECRET", "")
    if auth != "none" and not secret:
        secret = typer.prompt("Password" if auth == "basic" else "Token", hide_input=True, err=True)
    with errors(json_), _client() as client:
        made = client.taxii.subscribe(
            url,
            collection,
            label,
            auth=auth,
            username=username,
            secret=secret,
            interval_seconds=every,
        )
        show(
            made,
            json_,
            lambda: out.print(
                f"subscription {made.id}: {made.url} into "
                f"{made.collection_title or made.collection_id}"
                f" under {made.label}, every {made.interval_seconds} s; first poll due now"
            ),
        )


@subscription.command("list")
def list_(
    removed: Annotated[bool, typer.Option(help="removed subscriptions too")] = False,
    json_: JsonOpt = False,
) -> None:
    """The subscriptions of the collections you may see, with how their polls go."""
    with errors(json_), _client() as client:
        found = client.taxii.subscriptions(removed=removed)
        show(
            found,
            json_,
            lambda: table(
                "TAXII subscriptions",
                ["id", "partner", "collection", "label", "state", "last poll", "result", "next"],
                [
                    (
                        s.id,
                        s.url,
                        s.collection_title or s.collection_id,
                        s.label,
                        s.state,
                        _when(s.last_attempt_at),
                        _last_result(s),
                        _when(s.next_poll_at),
                    )
                    for s in found
                ],
            ),
        )


@subscription.command("show")
def show_one(subscription_id: str, json_: JsonOpt = False) -> None:
    """One subscription: where from, where to, under which label, and its status."""
    with errors(json_), _client() as client:
        s = client.taxii.subscription(subscription_id)

        def human() -> None:
            for name, value in (
                ("subscription", s.id),
                ("partner", s.url),
                ("collection", f"{s.collection_title} ({s.collection_id})"),
                ("label", s.label),
                ("owner", s.owner),
                ("auth", s.auth),
                ("every", f"{s.interval_seconds} s"),
                ("state", s.state),
                ("last poll", _when(s.last_attempt_at)),
                ("last success", _when(s.last_success_at)),
                ("next poll", _when(s.next_poll_at)),
                ("lag", "-" if s.lag_seconds is None else f"{s.lag_seconds} s"),
                ("totals", _last_result(s)),
                ("failures", str(s.failures)),
                ("last error", s.last_error or "-"),
            ):
                out.print(f"{name:>13}: {value}", markup=False, highlight=False)
            for r in s.last_refusals:
                out.print(f"  refused {r.object_id}: {r.reason}", markup=False, highlight=False)

        show(s, json_, human)


@subscription.command("poll")
def poll(subscription_id: str, json_: JsonOpt = False) -> None:
    """Poll now, whatever the schedule or backoff (exit 1 when the poll failed)."""
    with errors(json_), _client() as client:
        done = client.taxii.poll(subscription_id)

        def human() -> None:
            out.print(
                f"{done.ingested} ingested, {done.held} held already, {done.refused} refused "
                f"in {done.pages} page(s)" + ("; caught up" if done.caught_up else ""),
                markup=False,
                highlight=False,
            )
            if done.error:
                out.print(f"poll failed: {done.error}", markup=False, highlight=False)

        show(done, json_, human)
        if done.error:
            raise typer.Exit(1)


@subscription.command("remove")
def remove(subscription_id: str, json_: JsonOpt = False) -> None:
    """Stop polling and erase the stored credentials; what was ingested stays."""
    with errors(json_), _client() as client:
        client.taxii.unsubscribe(subscription_id)
        show(
            {"removed": subscription_id},
            json_,
            lambda: out.print(f"removed subscription {subscription_id}"),
        )
