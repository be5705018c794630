"""Creating, migrating and serving the node at its console: `caveat init`, `caveat db`,
`caveat serve` and `caveat worker`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from caveat.cli import admin
from caveat.cli.context import state
from caveat.cli.output import emit_json, errors, out
from caveat.domain.identity import OrganisationKind

if TYPE_CHECKING:
    from caveat.bootstrap.settings import Settings

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
db = typer.Typer(help="Database schema.", no_args_is_help=True)


def init(
    ctx: typer.Context,
    nation: Annotated[str, typer.Option(help="the node's nation (ISO 3166-1 alpha-3)")],
    org: Annotated[str, typer.Option(help="the operating organisation")] = "Node operations",
    org_kind: Annotated[OrganisationKind, typer.Option()] = OrganisationKind.GOVERNMENT_LABORATORY,
    operator: Annotated[str, typer.Option(help="first operator's username")] = "operator",
    name: Annotated[str, typer.Option(help="first operator's display name")] = "Node Operator",
    email: Annotated[
        str, typer.Option(help="first operator's e-mail")
    ] = "operator@localhost.localdomain",
    node_name: Annotated[str | None, typer.Option(help="this node's origin name")] = None,
    json_: JsonOpt = False,
) -> None:
    """Create a node: data directory, schema, keys and the first operator (secrets shown once)."""
    from caveat.bootstrap.container import FirstOperator, init_node

    settings = state(ctx).settings
    if node_name:
        settings = settings.model_copy(update={"node_name": node_name})
    with errors(json_):
        node, account = init_node(
            settings,
            FirstOperator(
                username=operator,
                display_name=name,
                email=email,
                organisation=org,
                nation=nation,
                organisation_kind=org_kind,
            ),
        )
        node.close()
        if json_:
            emit_json(
                {"node": node.identity, "data_dir": str(settings.data_dir), "operator": account}
            )
            return
        out.print(f"node [bold]{node.identity.name}[/] ({node.identity.id}) in {settings.data_dir}")
        admin.print_secrets(account.person.username, account.mfa, account.one_time_password)
        out.print(
            f"next: `caveat --data-dir {settings.data_dir} serve`, then sign in with "
            f"`caveat login --username {account.person.username}` and change the password "
            "(`caveat passwd`); accounts and organisations are added signed in (ADR 0029)",
            highlight=False,
        )


@db.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list the migrations that would run; change nothing")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Migrate the database to this version's schema (back it up first)."""
    from caveat.adapters.db import schema
    from caveat.adapters.db.engine import make_engine

    settings = state(ctx).settings
    if dry_run:
        _db_upgrade_dry_run(settings, json_)
        return
    with errors(json_):
        engine = make_engine(settings.resolved_database_url())
        before = schema.current_revision(engine)
        schema.upgrade(engine)
        after = schema.current_revision(engine)
        engine.dispose()
        result = {"from": before, "to": after}
        if json_:
            emit_json(result)
        else:
            out.print(f"schema {before or 'empty'} -> {after}")


def _db_upgrade_dry_run(settings: Settings, json_: bool) -> None:
    from caveat.adapters.db import schema
    from caveat.adapters.db.engine import make_engine

    with errors(json_):
        engine = make_engine(settings.resolved_database_url())
        try:
            current, pending = schema.current_revision(engine), schema.pending_revisions(engine)
        finally:
            engine.dispose()
        head = schema.head_revision()
        if json_:
            emit_json(
                {
                    "from": current,
                    "to": head,
                    "dry_run": True,
                    "pending": [{"revision": rev, "title": title} for rev, title in pending],
                }
            )
            return
        if not pending:
            out.print(f"schema {current} is this version's; nothing to apply")
            return
        out.print(
            f"schema {current or 'empty'} -> {head}: would apply {len(pending)}, oldest first"
        )
        for rev, title in pending:
            out.print(f"  {rev}  {title}", markup=False, highlight=False, soft_wrap=True)


@db.command("status")
def db_status(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Show the schema revision of the database and of this code."""
    from caveat.adapters.db import schema
    from caveat.adapters.db.engine import make_engine

    settings = state(ctx).settings
    with errors(json_):
        engine = make_engine(settings.resolved_database_url())
        current, head = schema.current_revision(engine), schema.head_revision()
        engine.dispose()
        result = {"current": current, "head": head, "up_to_date": current == head}
        if json_:
            emit_json(result)
        else:
            out.print(f"database at {current or 'empty'}; this code at {head}")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
    forwarded_allow_ips: Annotated[
        list[str] | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="a TLS proxy (address or network) whose X-Forwarded-For is believed; repeat",
        ),
    ] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option(help="serve HTTPS with this certificate chain (PEM); needs --tls-key"),
    ] = None,
    tls_key: Annotated[
        Path | None, typer.Option(help="the certificate's private key (PEM, mode 600)")
    ] = None,
) -> None:
    """Serve the node's API (127.0.0.1 by default; HTTPS with --tls-cert and --tls-key,
    as partner nodes need)."""
    from caveat.cli.serving import run_server

    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter("--tls-cert and --tls-key go together")
    settings = state(ctx).settings
    if forwarded_allow_ips:
        settings = settings.model_copy(update={"forwarded_allow_ips": forwarded_allow_ips})
    tls = None if tls_cert is None or tls_key is None else (tls_cert, tls_key)
    run_server(settings, host=host, port=port, workers=workers, tls=tls)


def worker(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="run each job once in turn and exit (cron, tests)")
    ] = False,
) -> None:
    """Run the node's background jobs without serving HTTP: the ledger sequencer and
    monitoring, the federation sync, the TAXII subscription poller, plan reminders and
    the mail of notifications,
    until SIGINT or SIGTERM. Safe beside `caveat serve`: the jobs take turns through the
    database."""
    import signal
    import threading

    with errors(False):
        node = state(ctx).open()
        jobs = (
            node.ledger_worker,
            node.federation_worker,
            node.taxii_worker,
            node.plan_reminder_worker,
            node.mail_worker,
        )
        if once:
            for job in jobs:
                out.print(f"{job.name}: one run")
                job.run_now()
            out.print("done")
            return
        stop = threading.Event()

        def request_stop(signum: int, _frame: object) -> None:
            out.print(f"{signal.Signals(signum).name}: stopping after the current runs")
            stop.set()

        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for job in jobs:
                job.start()
                state_text = f"every {job.period:g} s" if job.period > 0 else "off (period 0)"
                out.print(f"{job.name}: {state_text}")
            if not any(job.running for job in jobs):
                out.print("[yellow]nothing to run:[/] every job's period is 0")
                return
            out.print("running; SIGINT or SIGTERM stops")
            while not stop.wait(1.0):
                pass
        finally:
            for job in jobs:
                job.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        out.print("stopped")
