"""The `caveat` command line."""

from __future__ import annotations

import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from caveat import __version__
from caveat.adapters.db import schema
from caveat.adapters.db.engine import make_engine
from caveat.bootstrap.container import FirstOperator, init_node
from caveat.bootstrap.settings import Settings
from caveat.cli import (
    admin,
    artifacts,
    compliance,
    control_lists,
    ledger,
    policy,
    releases,
    remote,
)
from caveat.cli import backup as backup_cli
from caveat.cli.context import CliState, state
from caveat.cli.demo import demo_app
from caveat.cli.output import emit_json, errors, out
from caveat.cli.serving import run_server
from caveat.domain.identity import OrganisationKind

app = typer.Typer(
    name="caveat",
    help="Caveat: labelled, export-controlled, auditable research sharing between nations.\n\n"
    "Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 denied, 4 not found, 5 conflict.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # tracebacks may hold secrets: never pretty-print locals
)
db = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(admin.users, name="user")
app.add_typer(admin.orgs, name="org")
app.add_typer(admin.groups, name="group")
app.add_typer(remote.tokens, name="token")
app.add_typer(demo_app, name="demo")
app.add_typer(policy.labels, name="label")
app.add_typer(policy.policy, name="policy")
app.add_typer(ledger.audit, name="audit")
app.add_typer(artifacts.keys, name="keys")
app.add_typer(compliance.programmes, name="programme")
app.add_typer(compliance.agreements, name="agreement")
app.add_typer(compliance.authorizations, name="authorization")
app.add_typer(compliance.screen, name="screen")
app.add_typer(compliance.embargoes, name="embargo")
app.add_typer(compliance.visits, name="visit")
app.add_typer(releases.release, name="release")
app.add_typer(control_lists.control_list, name="control-list")
app.command("backup")(backup_cli.backup_command)
app.command("restore")(backup_cli.restore_command)
app.command("export-records")(releases.export_records)
app.command("login")(remote.login)
app.command("logout")(remote.logout)
app.command("whoami")(remote.whoami)
app.command("passwd")(remote.passwd)
app.command("put")(artifacts.put)
app.command("get")(artifacts.get)
app.command("ls")(artifacts.ls)
app.command("search")(artifacts.search)
app.command("show")(artifacts.show_artifact)
app.command("relabel")(artifacts.relabel)
app.command("verify")(artifacts.verify)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            envvar="CAVEAT_DATA_DIR", help="the node's data directory [default: var/caveat]"
        ),
    ] = None,
) -> None:
    """Select the node by its data directory."""
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    ctx.obj = CliState(settings=settings, on_close=ctx.call_on_close)


def build_commit() -> str | None:
    """The git commit this copy of Caveat was built from, or None when nothing says.

    A wheel built by `make dist` carries it in ``caveat/BUILD_COMMIT``; a source checkout
    (an editable install) asks git, and marks uncommitted changes with ``-dirty``.
    """
    recorded = resources.files("caveat").joinpath("BUILD_COMMIT")
    if recorded.is_file():
        return recorded.read_text(encoding="ascii").strip() or None
    checkout = Path(__file__).resolve().parents[3]
    git = shutil.which("git")
    if git is None or not (checkout / ".git").exists():
        return None
    try:
        found = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [git, "-C", str(checkout), "describe", "--always", "--dirty", "--abbrev=40"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None


@app.command()
def version(json_: JsonOpt = False) -> None:
    """Print Caveat's version and the git commit it was built from."""
    commit = build_commit()
    if json_:
        emit_json({"version": __version__, "commit": commit})
        return
    typer.echo(f"caveat {__version__} (commit {commit or 'unknown: not recorded in this build'})")


@app.command()
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


@db.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="list the migrations that would run; change nothing")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Migrate the database to this version's schema (back it up first)."""
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


@app.command()
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
) -> None:
    """Serve the node's API (127.0.0.1 by default)."""
    settings = state(ctx).settings
    if forwarded_allow_ips:
        settings = settings.model_copy(update={"forwarded_allow_ips": forwarded_allow_ips})
    run_server(settings, host=host, port=port, workers=workers)
