"""`caveat audit ...`: the ledger from the command line.

The audit explorer and alerts (``events``, ``history``, ``person``, ``csv``, ``alerts``,
``ack``) are the auditors' and security officers' acts: they ask the server as the
signed-in person, who sees titles and labels only where they may discover the resource
(ADR 0012, ADR 0029). Verifying the ledger, its checkpoints, proofs, bundles and
witnesses runs on the node's data directory as its console; ``verify-bundle`` needs no
node at all: an inspector runs it on a bundle file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from caveat.cli.context import state
from caveat.cli.output import emit_json, errors, out, show, table
from caveat.cli.remote import _client
from caveat.domain.errors import InvalidInput
from caveat.domain.events import Outcome
from caveat.services.kernel.principal import ConsoleOperator

if TYPE_CHECKING:
    from caveat.services.ledger import VerifyReport

audit = typer.Typer(help="Verify and explore the tamper-evident ledger.", no_args_is_help=True)
witness = typer.Typer(help="Witnesses of this log, and logs this node witnesses.")
audit.add_typer(witness, name="witness")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
CONSOLE = ConsoleOperator()


@audit.command("integrate")
def integrate(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Integrate pending events into the tree, publish a checkpoint if due, run monitoring."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        done = node.ledger.integrate()
        raised = node.monitoring.scan(CallContext.cli())
        result = {
            "integrated": done.integrated,
            "size": done.size,
            "checkpoint": done.checkpoint.size if done.checkpoint else None,
            "alerts_raised": len(raised),
        }
        show(result, json_, lambda: out.print(f"integrated {done.integrated}; size {done.size}"))


@audit.command("checkpoint")
def checkpoint(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Publish a signed checkpoint of the current tree now and print it."""
    from caveat.services.ledger import b64

    with errors(json_):
        cp = state(ctx).open().ledger.publish_checkpoint(CONSOLE)
        show(
            {"size": cp.size, "root_hash": b64(cp.root_hash), "note": cp.note},
            json_,
            lambda: out.print(cp.note, end="", highlight=False),
        )


@audit.command("keys")
def keys(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Print the log's verifier key and this node's witness (cosigner) key."""
    with errors(json_):
        node = state(ctx).open()
        result = {
            "origin": node.ledger.origin,
            "log_vkey": node.ledger.verifier().vkey,
            "witness_vkey": node.witnesses.cosigner_vkey(),
        }
        show(
            result,
            json_,
            lambda: out.print(
                f"log:     {result['log_vkey']}\nwitness: {result['witness_vkey']}",
                highlight=False,
            ),
        )


@audit.command("prove")
def prove(
    ctx: typer.Context,
    index: Annotated[int | None, typer.Option(help="leaf index")] = None,
    event: Annotated[str | None, typer.Option(help="event id")] = None,
    size: Annotated[int | None, typer.Option(help="checkpoint size (default latest)")] = None,
    json_: JsonOpt = False,
) -> None:
    """Print an inclusion proof for an entry (by leaf index or event id)."""
    from caveat.services.ledger import b64

    with errors(json_):
        if (index is None) == (event is None):
            raise InvalidInput("give exactly one of --index and --event", field="index")
        ledger = state(ctx).open().ledger
        proof = (
            ledger.inclusion_proof(index, size)
            if index is not None
            else ledger.inclusion_proof_for_event(str(event), size)
        )
        result = {
            "index": proof.index,
            "size": proof.size,
            "leaf_hash": b64(proof.leaf_hash),
            "proof": [b64(h) for h in proof.proof],
            "root_hash": b64(proof.root_hash),
        }
        show(result, json_, lambda: emit_json(result))


@audit.command("consistency")
def consistency(
    ctx: typer.Context,
    old: int,
    new: Annotated[int | None, typer.Option(help="newer size (default latest)")] = None,
    json_: JsonOpt = False,
) -> None:
    """Print a consistency proof from checkpoint size OLD to a newer one."""
    from caveat.services.ledger import b64

    with errors(json_):
        proof = state(ctx).open().ledger.consistency_proof(old, new)
        result = {
            "old_size": proof.old_size,
            "new_size": proof.new_size,
            "proof": [b64(h) for h in proof.proof],
            "old_root": b64(proof.old_root),
            "new_root": b64(proof.new_root),
        }
        show(result, json_, lambda: emit_json(result))


def _report(report: VerifyReport, json_: bool) -> None:
    result = {
        "ok": report.ok,
        "entries": report.entries,
        "checkpoints": report.checkpoints,
        "cosignatures": report.cosignatures,
        "pending": report.pending,
        "covered": report.covered,
        "first_bad_index": report.first_bad_index,
        "findings": report.findings,
    }
    if json_:
        emit_json(result)  # the report is the whole answer; the exit code says it failed
        if not report.ok:
            raise typer.Exit(1)
    elif report.ok:
        out.print(
            f"[green]ok[/]: {report.entries} entries, {report.checkpoints} checkpoints, "
            f"{report.cosignatures} cosignatures verified ({report.pending} pending)"
        )
    else:
        for finding in report.findings:
            out.print(f"[red]{finding.kind}[/] {finding.detail}", highlight=False)
        out.print(f"checkpoints vouch for entries [0, {report.covered}) of {report.entries}")
    report.require_ok()


@audit.command("verify")
def verify(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Recompute the whole tree from the database and check every hash and signature."""
    with errors(json_):
        _report(state(ctx).open().ledger_verifier.verify(), json_)


@audit.command("export")
def export(ctx: typer.Context, file: Path, json_: JsonOpt = False) -> None:
    """Write a self-contained bundle (entries, checkpoints, public keys) to FILE."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        summary = state(ctx).open().bundles.export(CONSOLE, CallContext.cli(), file)
        show(
            summary,
            json_,
            lambda: out.print(
                f"wrote {summary.entries} entries, {summary.checkpoints} checkpoints"
            ),
        )


@audit.command("verify-bundle")
def verify_bundle_command(
    file: Path,
    log_key: Annotated[
        str | None, typer.Option(help="pin the log's verifier key (obtained out of band)")
    ] = None,
    witness_key: Annotated[
        list[str] | None,
        typer.Option(help="pin a witness's cosigner key (obtained out of band); repeat"),
    ] = None,
    min_cosignatures: Annotated[
        int | None,
        typer.Option(min=0, help="cosignatures of pinned witnesses a checkpoint needs (default 1)"),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Check a bundle offline: no database, no server."""
    from caveat.services.ledger import verify_bundle

    with errors(json_):
        witnesses = witness_key or []
        report = verify_bundle(
            file, log_vkey=log_key, witness_vkeys=witnesses, min_cosignatures=min_cosignatures
        )
        if not json_:
            if log_key is None:
                out.print(
                    "[yellow]note:[/] the log key was taken from the bundle; pin it with --log-key"
                )
            if not witnesses:
                out.print(
                    "[yellow]note:[/] cosignatures were checked against the witness keys in "
                    "the bundle and none were required; pin them with --witness-key"
                )
        _report(report, json_)


# --- witnesses ----------------------------------------------------------------------


@witness.command("add")
def witness_add(
    ctx: typer.Context,
    vkey: Annotated[str, typer.Argument(help="the witness's cosigner key (name+id+key)")],
    url: Annotated[str, typer.Argument(help="its URL prefix; add-checkpoint is appended")],
    json_: JsonOpt = False,
) -> None:
    """Configure a partner to witness this node's log."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        added = (
            state(ctx).open().witnesses.add_witness(CONSOLE, CallContext.cli(), vkey=vkey, url=url)
        )
        show(added, json_, lambda: out.print(f"witness {added.name} at {added.url}"))


@witness.command("list")
def witness_list(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the witnesses of this log."""
    with errors(json_):
        found = state(ctx).open().witnesses.witnesses()
        show(
            found,
            json_,
            lambda: table(
                "Witnesses",
                ["name", "url", "cosigned size"],
                [(w.name, w.url, w.last_size) for w in found],
            ),
        )


@witness.command("request")
def witness_request(
    ctx: typer.Context,
    witness: Annotated[str | None, typer.Option(help="ask only this witness (by name)")] = None,
    json_: JsonOpt = False,
) -> None:
    """Publish a checkpoint and ask every configured witness (or one) to cosign it."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        outcomes = (
            state(ctx)
            .open()
            .witnesses.request_cosignatures(CONSOLE, CallContext.cli(), witness=witness)
        )
        show(
            outcomes,
            json_,
            lambda: table(
                "Cosignatures",
                ["witness", "status", "size", "detail"],
                [(o.witness, o.status, o.size, o.detail) for o in outcomes],
            ),
        )
        if any(o.status != "cosigned" for o in outcomes):
            raise typer.Exit(1)


@witness.command("trust-log")
def witness_trust_log(
    ctx: typer.Context,
    vkey: Annotated[str, typer.Argument(help="the partner log's verifier key")],
    origin: Annotated[str | None, typer.Option(help="default: the key's name")] = None,
    json_: JsonOpt = False,
) -> None:
    """Agree to witness a partner log (its add-checkpoint requests are then accepted)."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        log = (
            state(ctx)
            .open()
            .witnesses.trust_log(CONSOLE, CallContext.cli(), vkey=vkey, origin=origin)
        )
        show(log, json_, lambda: out.print(f"witnessing {log.origin}"))


@witness.command("logs")
def witness_logs(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the partner logs this node witnesses."""
    with errors(json_):
        found = state(ctx).open().witnesses.witnessed_logs()
        show(
            found,
            json_,
            lambda: table(
                "Witnessed logs",
                ["origin", "size", "root"],
                [(w.origin, w.size, w.root_hash) for w in found],
            ),
        )


# --- audit explorer and alerts: as the signed-in auditor or officer ---------------------


def _actor(e: dict[str, Any]) -> str:
    """The actor as a person reads it: display name (username), else what the event says."""
    name, recorded = e.get("actor_display_name"), e["actor_name"] or e["actor_id"]
    if name and recorded and name != recorded:
        return f"{name} ({recorded})"
    return str(name or recorded or e["actor_kind"])


def _target(e: dict[str, Any]) -> str:
    """The target by name where the server names it to you, else its type and id."""
    if e.get("target_name"):
        return f"{e['target_type']} “{e['target_name']}”"
    if not e["target_id"]:
        return str(e["target_type"])
    return f"{e['target_type']}:{e['target_id']}"


def _page(page: dict[str, Any], json_: bool) -> None:
    show(
        page,
        json_,
        lambda: table(
            "Events",
            ["leaf", "time", "type", "outcome", "actor", "target"],
            [
                (
                    e["leaf_index"],
                    e["occurred_at"],
                    e["type"],
                    e["outcome"],
                    _actor(e),
                    _target(e),
                )
                for e in page["entries"]
            ],
        ),
    )


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=value.tzinfo or UTC).isoformat()


@audit.command("events")
def events(
    actor: Annotated[str | None, typer.Option(help="person id or username")] = None,
    target_type: Annotated[str | None, typer.Option()] = None,
    target_id: Annotated[str | None, typer.Option()] = None,
    action: Annotated[str | None, typer.Option(help="event type; may end in *")] = None,
    outcome: Annotated[Outcome | None, typer.Option()] = None,
    since: Annotated[datetime | None, typer.Option(help="UTC")] = None,
    until: Annotated[datetime | None, typer.Option(help="UTC, exclusive")] = None,
    cursor: Annotated[int | None, typer.Option(help="next_cursor of the previous page")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    json_: JsonOpt = False,
) -> None:
    """Search the event log, newest first (auditors and security officers)."""
    with errors(json_), _client() as client:
        page = client.audit_events(
            actor=actor,
            target_type=target_type,
            target_id=target_id,
            action=action,
            outcome=None if outcome is None else outcome.value,
            since=_when(since),
            until=_when(until),
            cursor=cursor,
            limit=limit,
        )
        _page(page, json_)


@audit.command("activity")
def activity(
    actor: Annotated[str | None, typer.Option(help="person id or username")] = None,
    target_type: Annotated[str | None, typer.Option()] = None,
    target_id: Annotated[str | None, typer.Option()] = None,
    action: Annotated[str | None, typer.Option(help="event type; may end in *")] = None,
    outcome: Annotated[Outcome | None, typer.Option()] = None,
    since: Annotated[datetime | None, typer.Option(help="UTC")] = None,
    until: Annotated[datetime | None, typer.Option(help="UTC, exclusive")] = None,
    json_: JsonOpt = False,
) -> None:
    """Matching events per UTC hour, day or month and event family (the web's timeline)."""
    with errors(json_), _client() as client:
        found = client.audit_activity(
            actor=actor,
            target_type=target_type,
            target_id=target_id,
            action=action,
            outcome=None if outcome is None else outcome.value,
            since=_when(since),
            until=_when(until),
        )
        families = list(found["families"])
        show(
            found,
            json_,
            lambda: table(
                f"Events per {found['period']} (UTC): {found['total']}",
                [found["period"], *families, "total"],
                [
                    (
                        b["period"],
                        *(b["counts"].get(f, 0) for f in families),
                        sum(b["counts"].values()),
                    )
                    for b in found["bars"]
                    if b["counts"]
                ],
            ),
        )


@audit.command("history")
def history(
    target_type: str,
    target_id: str,
    cursor: Annotated[int | None, typer.Option()] = None,
    json_: JsonOpt = False,
) -> None:
    """Everything that happened to one target (artifact, person, token...)."""
    with errors(json_), _client() as client:
        page = {} if cursor is None else {"cursor": cursor}
        _page(client.target_history(target_type, target_id, **page), json_)


@audit.command("person")
def person(
    person_id: str,
    cursor: Annotated[int | None, typer.Option()] = None,
    json_: JsonOpt = False,
) -> None:
    """Everything one person did, and everything done to their account."""
    with errors(json_), _client() as client:
        page = {} if cursor is None else {"cursor": cursor}
        _page(client.person_history(person_id, **page), json_)


@audit.command("csv")
def csv_export(
    file: Path,
    action: Annotated[str | None, typer.Option()] = None,
    actor: Annotated[str | None, typer.Option()] = None,
    since: Annotated[datetime | None, typer.Option(help="UTC")] = None,
    until: Annotated[datetime | None, typer.Option(help="UTC, exclusive")] = None,
    json_: JsonOpt = False,
) -> None:
    """Export matching events (oldest first) as CSV to FILE; the export is recorded."""
    with errors(json_), _client() as client:
        text = client.audit_events_csv(
            action=action, actor=actor, since=_when(since), until=_when(until)
        )
        file.write_text(text, encoding="utf-8")
        rows = text.count("\n") - 1
        show({"file": str(file), "rows": rows}, json_, lambda: out.print(f"wrote {rows} events"))


@audit.command("alerts")
def alerts(
    status: Annotated[str | None, typer.Option(help="open or acknowledged")] = None,
    json_: JsonOpt = False,
) -> None:
    """List conduct-monitoring alerts, newest first."""
    with errors(json_), _client() as client:
        found = client.alerts(status=status)
        show(
            found,
            json_,
            lambda: table(
                "Alerts",
                ["id", "raised", "rule", "severity", "status", "summary"],
                [
                    (a["id"], a["raised_at"], a["rule"], a["severity"], a["status"], a["summary"])
                    for a in found
                ],
            ),
        )


@audit.command("ack")
def acknowledge(
    alert_id: str,
    note: Annotated[str, typer.Option(help="what was found and done")],
    json_: JsonOpt = False,
) -> None:
    """Acknowledge an alert with a note (an officer other than the one it is about)."""
    with errors(json_), _client() as client:
        done = client.acknowledge_alert(alert_id, note)
        show(done, json_, lambda: out.print(f"acknowledged {done['id']}"))
