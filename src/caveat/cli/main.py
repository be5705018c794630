"""The `caveat` command line.

Only Typer and this module are imported at start: each command's module is imported when
that command runs (or `--help` lists it), and imports services, the database and the web
stack inside its commands, so `caveat --help`, `caveat version` and the remote commands
start without them (tests/cli/test_startup_imports.py keeps it so).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from caveat.cli.context import CliState
from caveat.cli.lazy import LazyGroup
from caveat.cli.modes import mode_of

# httpx imports its own command line (Click, Pygments, Rich's syntax highlighting) when
# those are installed, as they are beside Typer: about 25 ms of every remote command, for
# a tool `caveat` never runs. Without that module httpx defines a stub `httpx.main`.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


class CaveatCommands(LazyGroup):
    """Every command and group of `caveat`, in the order `caveat --help` lists them."""

    lazy_commands = {
        "backup": "caveat.cli.backup:backup_command",
        "restore": "caveat.cli.backup:restore_command",
        "export-records": "caveat.cli.releases:export_records",
        "login": "caveat.cli.remote:login",
        "logout": "caveat.cli.remote:logout",
        "whoami": "caveat.cli.remote:whoami",
        "passwd": "caveat.cli.remote:passwd",
        "put": "caveat.cli.artifacts:put",
        "get": "caveat.cli.artifacts:get",
        "ls": "caveat.cli.artifacts:ls",
        "search": "caveat.cli.artifacts:search",
        "show": "caveat.cli.artifacts:show_artifact",
        "relabel": "caveat.cli.artifacts:relabel",
        "verify": "caveat.cli.artifacts:verify",
        "version": "caveat.cli.main:version",
        "init": "caveat.cli.node:init",
        "serve": "caveat.cli.node:serve",
        "worker": "caveat.cli.node:worker",
        "db": "caveat.cli.node:db",
        "user": "caveat.cli.admin:users",
        "org": "caveat.cli.admin:orgs",
        "group": "caveat.cli.admin:groups",
        "token": "caveat.cli.remote:tokens",
        "recover": "caveat.cli.recover:recover",
        "demo": "caveat.cli.demo:demo_app",
        "label": "caveat.cli.policy:labels",
        "policy": "caveat.cli.policy:policy",
        "audit": "caveat.cli.ledger:audit",
        "keys": "caveat.cli.artifacts:keys",
        "programme": "caveat.cli.compliance:programmes",
        "agreement": "caveat.cli.compliance:agreements",
        "authorization": "caveat.cli.compliance:authorizations",
        "screen": "caveat.cli.compliance:screen",
        "embargo": "caveat.cli.compliance:embargoes",
        "visit": "caveat.cli.compliance:visits",
        "release": "caveat.cli.releases:release",
        "control-list": "caveat.cli.control_lists:control_list",
        "federation": "caveat.cli.federation:federation",
        "taxii": "caveat.cli.taxii:taxii",
        "intel": "caveat.cli.intel:intel",
        "proficiency": "caveat.cli.proficiency:proficiency",
        "discuss": "caveat.cli.discussions:discuss",
        "plan": "caveat.cli.plans:plan",
        "channel": "caveat.cli.channels:channel",
        "work": "caveat.cli.work:work",
        "notifications": "caveat.cli.work:notifications",
        "mail": "caveat.cli.mail:mail",
    }

    def mode_tag(self, path: list[str]) -> str | None:
        """Remote, console or local (ADR 0029), from caveat.cli.modes."""
        return mode_of(path)


app = typer.Typer(
    name="caveat",
    cls=CaveatCommands,
    help="Caveat: labelled, export-controlled, auditable research sharing between nations.\n\n"
    "Each command says where it acts: \\[remote: as the signed-in user] through a server's "
    "API with your rights (sign in with `caveat login`); \\[console: node data directory] "
    "on this node's data directory, for node operations only (ADR 0029).\n\n"
    "Exit codes: 0 ok, 1 failure, 2 usage or invalid input, 3 denied, 4 not found, 5 conflict.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # tracebacks may hold secrets: never pretty-print locals
)

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
    ctx.obj = CliState(data_dir=data_dir, on_close=ctx.call_on_close)


def build_commit() -> str | None:
    """The git commit this copy of Caveat was built from, or None when nothing says.

    A wheel built by `make dist` carries it in ``caveat/BUILD_COMMIT``; a source checkout
    (an editable install) asks git, and marks uncommitted changes with ``-dirty``.
    """
    import shutil
    import subprocess
    from importlib import resources

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


def version(json_: JsonOpt = False) -> None:
    """Print Caveat's version and the git commit it was built from."""
    from caveat import __version__

    commit = build_commit()
    if json_:
        from caveat.cli.output import emit_json

        emit_json({"version": __version__, "commit": commit})
        return
    typer.echo(f"caveat {__version__} (commit {commit or 'unknown: not recorded in this build'})")
