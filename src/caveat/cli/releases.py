"""`caveat release ...` and `caveat export-records`: the release workflow as the signed-in
person (requests, classifications and approvals are named people's decisions, so these
commands talk to the server, never to the data directory as the console)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from caveat.cli.output import errors, out, show, table
from caveat.cli.remote import _client

if TYPE_CHECKING:
    from caveat.client.releases import RelabelRequest, Release

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Reason = Annotated[str, typer.Option(help="why (recorded in the ledger)")]

release = typer.Typer(
    help="Release requests: request, classify, approve, deny; relabel requests.",
    no_args_is_help=True,
)


def _rows(found: list[Release]) -> None:
    table(
        "Release requests",
        ["id", "resource", "to", "status", "controls", "authorization"],
        [
            (
                r.id,
                r.resource_title or f"{r.resource_id[:8]}…",
                ", ".join([*r.nations, *(r.organisation_names or r.organisations)]),
                r.status,
                " ".join(r.controls or ()),
                r.authorization_id or r.not_controlled_reason,
            )
            for r in found
        ],
    )


def _one(done: Release, as_json: bool) -> None:
    show(done, as_json, lambda: out.print(f"release {done.id}: {done.status}"))


def _decided(done: RelabelRequest, as_json: bool) -> None:
    show(done, as_json, lambda: out.print(f"relabel request {done.id}: {done.status}"))


@release.command("request")
def request(
    resource: str,
    justification: Annotated[str, typer.Option(help="why the release is needed")],
    nation: Annotated[list[str] | None, typer.Option(help="release to nation (repeat)")] = None,
    org: Annotated[list[str] | None, typer.Option(help="release to organisation")] = None,
    json_: JsonOpt = False,
) -> None:
    """Ask for a resource to be released to further nations or organisations."""
    with errors(json_), _client() as client:
        _one(client.releases.request(resource, justification, nation or (), org or ()), json_)


@release.command("classify")
def classify(
    request_id: str,
    control: Annotated[
        list[str] | None, typer.Option(help="control entry (repeat; none: confirm the current)")
    ] = None,
    authorization: Annotated[str | None, typer.Option(help="covering authorization")] = None,
    not_controlled: Annotated[
        str, typer.Option(help="why the release needs no authorization")
    ] = "",
    dual_use: Annotated[bool | None, typer.Option("--dual-use/--not-dual-use")] = None,
    review: Annotated[str, typer.Option(help="the dual-use review")] = "",
    json_: JsonOpt = False,
) -> None:
    """Export control: classify (or confirm) and name the authorization."""
    with errors(json_), _client() as client:
        done = client.releases.classify(
            request_id,
            controls=control,
            dual_use=dual_use,
            authorization=authorization,
            not_controlled_reason=not_controlled,
            dual_use_review=review,
        )
        _one(done, json_)


@release.command("approve")
def approve(request_id: str, reason: Reason, json_: JsonOpt = False) -> None:
    """The originator's security officer approves: new label and an export record."""
    with errors(json_), _client() as client:
        _one(client.releases.decide(request_id, approve=True, reason=reason), json_)


@release.command("deny")
def deny(request_id: str, reason: Reason, json_: JsonOpt = False) -> None:
    """The originator's security officer denies."""
    with errors(json_), _client() as client:
        _one(client.releases.decide(request_id, approve=False, reason=reason), json_)


@release.command("list")
def list_requests(
    awaiting: Annotated[
        bool, typer.Option("--awaiting", help="only those waiting for your decision")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Release requests you may see."""
    with errors(json_), _client() as client:
        found = client.releases.requests(awaiting=awaiting)
        show(found, json_, lambda: _rows(found))


@release.command("relabels")
def relabel_requests(
    awaiting: Annotated[
        bool, typer.Option("--awaiting", help="only pending ones waiting for your decision")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Relabel requests: yours, and those your organisation's security officers decide."""
    with errors(json_), _client() as client:
        requested = client.releases.relabel_requests(awaiting=awaiting)
        show(
            requested,
            json_,
            lambda: table(
                "Relabel requests",
                ["id", "resource", "label asked for", "controls", "status", "reason"],
                [
                    (r.id, r.resource_id, r.banner, " ".join(r.export), r.status, r.reason)
                    for r in requested
                ],
            ),
        )


@release.command("relabel-approve")
def relabel_approve(request_id: str, reason: Reason, json_: JsonOpt = False) -> None:
    """The originator's security officer approves a relabel: a new signed label version."""
    with errors(json_), _client() as client:
        _decided(client.releases.decide_relabel(request_id, approve=True, reason=reason), json_)


@release.command("relabel-deny")
def relabel_deny(request_id: str, reason: Reason, json_: JsonOpt = False) -> None:
    """The originator's security officer denies a relabel (the reason is recorded)."""
    with errors(json_), _client() as client:
        _decided(client.releases.decide_relabel(request_id, approve=False, reason=reason), json_)


def export_records(
    authorization: Annotated[str | None, typer.Option(help="number or id")] = None,
    since: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="last day, YYYY-MM-DD")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="print the CSV report")] = False,
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="write the readable report to this PDF file")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Export records per authorization and period (officers and auditors)."""
    with errors(json_), _client() as client:
        releases = client.releases
        if csv:
            sys.stdout.write(
                releases.export_records_csv(authorization=authorization, since=since, until=until)
            )
            return
        if pdf is not None:
            report = releases.export_report(authorization=authorization, since=since, until=until)
            pdf.write_bytes(
                releases.export_records_pdf(authorization=authorization, since=since, until=until)
            )
            summary = {
                "file": str(pdf),
                "records": len(report.lines),
                "disagreements": report.disagreements,
            }
            show(
                summary,
                json_,
                lambda: out.print(
                    f"wrote {pdf}: {summary['records']} record(s), "
                    f"{summary['disagreements']} not matching the ledger",
                    highlight=False,
                ),
            )
            if report.disagreements:
                raise typer.Exit(1)
            return
        records = releases.export_records(authorization=authorization, since=since, until=until)
        show(
            records,
            json_,
            lambda: table(
                "Export records",
                [
                    "released",
                    "resource",
                    "to",
                    "controls",
                    "authorization",
                    "approved by",
                    "retain until",
                ],
                [
                    (
                        r.released_at,
                        r.resource_title or f"{r.resource_id[:8]}…",
                        ", ".join([*r.nations, *(r.organisation_names or r.organisations)]),
                        " ".join(r.controls),
                        r.authorization_number or "not controlled",
                        r.approved_by_name or r.approved_by,
                        r.retain_until,
                    )
                    for r in records
                ],
            ),
        )
