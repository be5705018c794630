"""`caveat put|get|ls|search|show|relabel|verify` and `caveat keys ...`.

put, get, ls, search, show and relabel talk to the server you signed in to (`caveat login`);
verify and keys work on the node's own data directory (they need its keys).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from caveat.cli.context import state
from caveat.cli.output import Exit, err, errors, out, show, table
from caveat.cli.remote import _client
from caveat.domain.errors import CaveatError
from caveat.domain.resources import ResourceKind

if TYPE_CHECKING:
    from caveat.bootstrap.container import Node
    from caveat.client.artifacts import Relabelled, RelabelPreview
    from caveat.services.artifacts import VerifyReport
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

keys = typer.Typer(help="The node's key-encryption keys.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
VERIFY_BATCH = 100  # artifacts per step of `caveat verify --all` (the bar moves per step)


@contextmanager
def _bar(label: str, total: int | None, quiet: bool) -> Iterator[Any]:
    """A progress bar on stderr (none for --json or when stderr is not a terminal)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    if quiet or not sys.stderr.isatty():
        yield lambda _done: None
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda done: progress.update(task, completed=done)


def put(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    project: Annotated[str, typer.Option(help="project name or id")],
    label: Annotated[str, typer.Option(help='security label, e.g. "SECRET//REL TO USA, GBR"')],
    title: Annotated[str | None, typer.Option(help="default: the file name")] = None,
    kind: Annotated[ResourceKind, typer.Option()] = ResourceKind.DOCUMENT,
    control: Annotated[
        list[str] | None, typer.Option(help="export-control entry, e.g. ITAR:USML-XI(c)(1)")
    ] = None,
    dual_use: Annotated[bool, typer.Option(help="dual-use item")] = False,
    summary: Annotated[str, typer.Option()] = "",
    keyword: Annotated[list[str] | None, typer.Option(help="keyword (repeat)")] = None,
    media_type: Annotated[str | None, typer.Option(help="e.g. application/pdf")] = None,
    to: Annotated[str | None, typer.Option(help="add a version to this artifact instead")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="only check that you could read the label; send nothing")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Upload a file (encrypted at rest, resumable, SHA-256 checked by the server)."""
    with errors(json_), _client() as client:
        if check:
            found = client.precheck_label(
                label, controls=control or [], dual_use=dual_use, project=project
            )
            show(found, json_, lambda: _print_precheck(found))
            if not found["readable"]:
                raise typer.Exit(1)
            return
        fields: dict[str, Any] = {"media_type": media_type}
        if to is None:
            fields.update(
                project=project,
                kind=kind.value,
                title=title or file.name,
                label=label,
                controls=control or [],
                dual_use=dual_use,
                summary=summary,
                keywords=keyword or [],
            )
        else:
            fields["artifact_id"] = to
        with _bar(f"put {file.name}", file.stat().st_size, json_) as tick:
            version = client.artifacts.upload(file, progress=tick, **fields)
        show(
            version,
            json_,
            lambda: out.print(
                f"stored [bold]{version.artifact_id}[/] version {version.number} "
                f"({version.size} bytes, sha256 {version.sha256[:16]}…)"
            ),
        )


def _print_precheck(found: dict[str, Any]) -> None:
    if found["readable"]:
        out.print(f"[bold]{found['banner']}[/]: you could read content so labelled")
        return
    err.print(f"[bold]{found['banner']}[/]: you could not read content so labelled:")
    for why in found["failed"]:
        err.print(f"  - {why}")


def get(
    artifact_id: str,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="default: stdout")] = None,
    version: Annotated[int | None, typer.Option(min=1)] = None,
    json_: JsonOpt = False,
) -> None:
    """Download an artifact's content (checked against its signed SHA-256)."""
    with errors(json_), _client() as client:
        meta = client.artifacts.get(artifact_id)
        wanted = meta.versions[-1] if version is None else meta.versions[version - 1]
        if output is None:
            info = client.artifacts.download(artifact_id, sys.stdout.buffer, version=version)
        else:
            partial = output.with_name(f".{output.name}.part")
            try:
                with (
                    partial.open("wb") as handle,
                    _bar(f"get {output.name}", wanted.size, json_) as tick,
                ):
                    info = client.artifacts.download(
                        artifact_id, handle, version=version, progress=tick
                    )
                os.replace(partial, output)
            finally:
                partial.unlink(missing_ok=True)
        if json_ or output is not None:
            show(info, json_, lambda: err.print(f"wrote {output} ({info.bytes} bytes)"))


def ls(
    project: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    after: Annotated[str | None, typer.Option(help="the cursor printed under a page")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    sort: Annotated[
        str | None,
        typer.Option(help="created, title, kind, project, level or version: numbered pages"),
    ] = None,
    ascending: Annotated[bool, typer.Option("--asc", help="with --sort: ascending")] = False,
    page: Annotated[int | None, typer.Option(min=1, help="a numbered page (with --sort)")] = None,
    json_: JsonOpt = False,
) -> None:
    """List the artifacts you may see, newest first; with --sort or --page, a numbered
    page with the total and the counts per level, nation, project, kind and regime."""
    if sort is None and page is None:
        _list(None, project=project, kind=kind, after=after, limit=limit, json_=json_)
        return
    with errors(json_), _client() as client:
        found = client.artifacts.table(
            sort=sort or "created",
            descending=not ascending if sort else True,
            page=page or 1,
            project=project,
            kind=kind,
            limit=limit,
        )

        def human() -> None:
            table(
                "Artifacts",
                ["id", "kind", "title", "label", "v", "created"],
                [
                    (a.id, a.kind, a.title, a.banner, a.latest_version, a.created_at)
                    for a in found.items
                ],
            )
            more = "" if found.total_exact else "more than "
            out.print(f"{more}{found.total} artifacts; page {found.page} of {found.pages}")
            for facet, counts in found.facets.items():
                listed = ", ".join(f"{c.name} {c.count}" for c in counts)
                out.print(f"  {facet}: {listed or 'none'}")

        show(found, json_, human)


def search(
    query: str,
    project: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option()] = None,
    level: Annotated[int | None, typer.Option(min=0, max=4, help="common level 0-4")] = None,
    nation: Annotated[str | None, typer.Option(help="originator's nation")] = None,
    regime: Annotated[str | None, typer.Option(help="ITAR, EAR, WA, MTCR or EU")] = None,
    after: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 50,
    json_: JsonOpt = False,
) -> None:
    """Full-text search over title, summary and keywords (every word must match)."""
    _list(
        query,
        project=project,
        kind=kind,
        level=level,
        nation=nation,
        regime=regime,
        after=after,
        limit=limit,
        json_=json_,
    )


def _list(q: str | None, *, json_: bool, **params: Any) -> None:
    with errors(json_), _client() as client:
        page = client.artifacts.search(q, **params)

        def human() -> None:
            table(
                "Artifacts",
                ["id", "kind", "title", "label", "v", "created"],
                [
                    (a.id, a.kind, a.title, a.banner, a.latest_version, a.created_at)
                    for a in page.items
                ],
            )
            if page.next_after:
                out.print(f"more: --after {page.next_after}")

        show(page, json_, human)


def show_artifact(artifact_id: str, json_: JsonOpt = False) -> None:
    """An artifact: label in your national form and the originator's, versions, why/why not."""
    with errors(json_), _client() as client:
        a = client.artifacts.get(artifact_id)

        def human() -> None:
            out.print(f"[bold]{a.title}[/] ({a.kind}) in {a.project}  id {a.id}")
            out.print(f"label (originator): [bold]{a.banner}[/]")
            out.print(f"label (your form):  {a.viewer_banner or 'no equivalent in your scheme'}")
            if a.export:
                out.print("export control: " + ", ".join(a.export))
            out.print(
                f"from {a.originating_organisation} on node {a.originating_node}, "
                f"by {a.created_by} at {a.created_at}"
            )
            table(
                "Versions",
                ["v", "size", "sha256", "type", "by", "at"],
                [
                    (
                        v.number,
                        v.size,
                        v.sha256[:16] + "…",
                        v.media_type,
                        v.created_by,
                        v.created_at,
                    )
                    for v in a.versions
                ],
            )
            table(
                "Label history",
                ["#", "banner", "export", "by", "at"],
                [
                    (lab.seq, lab.banner, ", ".join(lab.export), lab.created_by, lab.created_at)
                    for lab in a.labels
                ],
            )
            read = a.read
            if read is not None:
                verdict = (
                    "[green]you may read it[/]" if read.permitted else "[red]you may not read it[/]"
                )
                out.print(verdict)
                for r in read.requirements:
                    mark = "[green]✓[/]" if r.satisfied else "[red]✗[/]"
                    out.print(f"  {mark} {r.title}: {r.detail}")

        show(a, json_, human)


def _print_preview(preview: RelabelPreview) -> None:
    """The path a relabel takes and who gains and who loses read access."""
    path = {
        "applied": "it tightens the label: applied at once as a new signed label version",
        "requested": "it is asked of the originating organisation's security officer",
        "release_requested": "it loosens the marking: it becomes a release request "
        "(export control, then the originator's security officer)",
    }[preview.path]
    entries = ", ".join(preview.export) or "no control entries"
    out.print(f"new label: [bold]{preview.banner}[/] · {entries}", highlight=False)
    out.print(f"this relabel: {path}", highlight=False)
    for name, changes, total in (
        ("gain", preview.gains, preview.gained),
        ("lose", preview.loses, preview.lost),
    ):
        out.print(f"would {name} read access: {total}", highlight=False)
        for c in changes:
            out.print(f"  {c.organisation} ({c.nation}): {c.people}", highlight=False)


def relabel(
    artifact_id: str,
    label: Annotated[str, typer.Option(help='the new label, e.g. "SECRET//REL TO USA, GBR"')],
    reason: Annotated[str, typer.Option(help="why (3-2000 characters; kept in the ledger)")] = "",
    control: Annotated[
        list[str] | None,
        typer.Option(
            help="export-control entry, e.g. ITAR:USML-XI(c)(1) (repeat; none given: "
            "the current entries stay)"
        ),
    ] = None,
    no_controls: Annotated[
        bool, typer.Option("--no-controls", help="remove every entry (a loosening: a release)")
    ] = False,
    dual_use: Annotated[
        bool | None,
        typer.Option("--dual-use/--not-dual-use", help="dual-use item (default: unchanged)"),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only show what it would do and who it affects")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask before relabelling")] = False,
    json_: JsonOpt = False,
) -> None:
    """Relabel an artifact, after showing who gains and who loses read access.

    The originating organisation tightens directly (a new label version; every content
    version is signed anew); anyone else's relabel is a request to the originator's
    security officer; anything that loosens becomes a release request."""
    if control and no_controls:
        err.print("[bold red]error:[/] --control and --no-controls exclude each other")
        raise typer.Exit(int(Exit.USAGE))
    controls: list[str] | None = [] if no_controls else (control or None)
    if not dry_run and not reason.strip():
        err.print("[bold red]error:[/] give --reason (3-2000 characters; kept in the ledger)")
        raise typer.Exit(int(Exit.USAGE))
    with errors(json_), _client() as client:
        preview = client.artifacts.preview_relabel(artifact_id, label, controls, dual_use)
        if dry_run:
            show(preview, json_, lambda: _print_preview(preview))
            return
        if not yes:
            if json_:
                err.print("[bold red]error:[/] with --json, confirm with --yes (or --dry-run)")
                raise typer.Exit(int(Exit.USAGE))
            _print_preview(preview)
            if not typer.confirm("Go ahead?", default=False):
                raise typer.Exit(int(Exit.USAGE))
        done = client.artifacts.relabel(artifact_id, label, controls, dual_use, reason=reason)

        def human() -> None:
            if done.artifact is not None:
                relabelled = done.artifact
                out.print(
                    f"relabelled [bold]{relabelled.id}[/] as {relabelled.banner} "
                    f"(label version {len(relabelled.labels)})"
                )
            elif done.relabel_request is not None:
                out.print(
                    f"relabel request [bold]{done.relabel_request.id}[/] waits for a security "
                    "officer of the originating organisation"
                )
            else:
                out.print(
                    f"it loosens the marking: release request [bold]{done.release_id}[/] waits "
                    "for export control (`caveat release list`)"
                )

        show(_relabel_json(done), json_, human)


def _relabel_json(done: Relabelled) -> dict[str, Any]:
    """The API's answer: the artifact with ``outcome``, or the pending request."""
    if done.artifact is not None:
        return {"outcome": done.outcome, **dataclasses.asdict(done.artifact)}
    pending = {
        "outcome": done.outcome,
        "artifact_id": done.artifact_id,
        "relabel_request": done.relabel_request,
        "release_id": done.release_id,
    }
    return {k: v for k, v in pending.items() if v is not None}


def sweep_at_start(node: Node) -> None:
    """Remove what crashed uploads left behind; `serve` runs it once, before any worker.

    Only expired sessions and blobs no row names that are older than an hour go, so it
    is safe beside uploads in progress; a failing blob store only warns.
    """
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    try:
        report = node.artifact_admin.cleanup(ConsoleOperator("serve"), CallContext.cli())
    except (CaveatError, OSError) as exc:
        err.print(f"[yellow]warning:[/] the start-up sweep of the blob store failed: {exc}")
        return
    if report.expired_uploads or report.orphan_blobs or report.temporary:
        out.print(
            f"swept {report.expired_uploads} expired uploads, {report.orphan_blobs} orphan "
            f"blobs, {report.temporary} temporary files"
        )


def _verify_all(
    node: Node, console: ConsoleOperator, call: CallContext, *, quiet: bool
) -> VerifyReport:
    """Every artifact, batch by batch, with a progress bar on stderr."""
    from caveat.services.artifacts import VerifyReport

    admin, after, done = node.artifact_admin, None, VerifyReport(0, 0, 0)
    with _counter("verifying artifacts", quiet) as tick:
        while True:
            batch = admin.verify(console, call, after=after, limit=VERIFY_BATCH)
            done = VerifyReport(
                done.artifacts + batch.artifacts,
                done.versions + batch.versions,
                done.bytes + batch.bytes,
                done.problems + batch.problems,
                batch.total,
            )
            tick(done.artifacts, batch.total)
            if batch.next_after is None:
                return done
            after = batch.next_after


@contextmanager
def _counter(label: str, quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """An "n of m" progress bar on stderr (none for --json or when stderr is not a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    if quiet or not sys.stderr.isatty():
        yield lambda _done, _total: None
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def verify(
    ctx: typer.Context,
    artifact_id: Annotated[str | None, typer.Argument(help="one artifact; or --all")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every artifact on this node")] = False,
    json_: JsonOpt = False,
) -> None:
    """Check bindings, labels, keys and every encrypted byte on this node (needs its keys)."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    if (artifact_id is None) == (not all_):
        raise typer.BadParameter("give an artifact id or --all")
    with errors(json_):
        node = state(ctx).open()
        console, call = ConsoleOperator(), CallContext.cli()
        cleaned = node.artifact_admin.cleanup(console, call) if all_ else None
        report = (
            _verify_all(node, console, call, quiet=json_)
            if all_
            else node.artifact_admin.verify(console, call, artifact_id)
        )
        result = {
            "clean": report.clean,
            "artifacts": report.artifacts,
            "versions": report.versions,
            "bytes": report.bytes,
            "problems": report.problems,
            "swept": cleaned,
        }

        def human() -> None:
            out.print(
                f"checked {report.artifacts} artifacts, {report.versions} versions, "
                f"{report.bytes} bytes"
            )
            for p in report.problems:
                err.print(f"[red]✗[/] {p.artifact_id} v{p.version}: {p.detail} [{p.code}]")
            if report.clean:
                out.print("[green]clean[/]")

        show(result, json_, human)
        if not report.clean:
            raise typer.Exit(int(Exit.FAILURE))


@keys.command("status")
def keys_status(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """The key-encryption keys and how many data keys each wraps."""
    with errors(json_):
        status = state(ctx).open().artifact_admin.key_status()
        show(
            status,
            json_,
            lambda: table(
                "Key-encryption keys",
                ["key id", "status", "primary", "data keys"],
                [
                    (
                        k.key_id,
                        k.status,
                        "yes" if k.primary else "",
                        status.wrapped.get(k.key_id, 0),
                    )
                    for k in status.keys
                ],
            ),
        )


@keys.command("rotate")
def keys_rotate(
    ctx: typer.Context,
    reencrypt: Annotated[
        bool, typer.Option(help="also re-encrypt all content under fresh data keys")
    ] = False,
    disable_old: Annotated[
        bool, typer.Option(help="then disable the old KEK keys (back up keys/ first)")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Add a new primary KEK key and rewrap every data key (content stays as it is)."""
    from caveat.services.kernel.principal import ConsoleOperator
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        report = (
            state(ctx)
            .open()
            .artifact_admin.rotate(
                ConsoleOperator(), CallContext.cli(), reencrypt=reencrypt, disable_old=disable_old
            )
        )
        show(
            report,
            json_,
            lambda: out.print(
                f"new primary KEK key {report.primary.key_id}; rewrapped {report.rewrapped} "
                f"data keys; re-encrypted {report.reencrypted} versions"
                + (f"; disabled {report.disabled}" if report.disabled else "")
            ),
        )
