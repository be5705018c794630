"""`caveat taxii ...`: the node's TAXII 2.1 collections as the signed-in person (through
the server's ``/taxii2/``, like any TAXII client), and opening a collection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from caveat.cli.output import emit_json, errors, out, show, table
from caveat.cli.remote import _client
from caveat.domain.errors import InvalidInput

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]

taxii = typer.Typer(
    help="TAXII 2.1 collections of labelled STIX objects: list, open, add, get.",
    no_args_is_help=True,
)


@taxii.command("collections")
def collections(json_: JsonOpt = False) -> None:
    """The collections of your projects, and whether you may read and write them."""
    with errors(json_), _client() as client:
        found = client.taxii.collections()
        show(
            found,
            json_,
            lambda: table(
                "TAXII collections",
                ["id", "title", "read", "write"],
                [(c.id, c.title, c.can_read, c.can_write) for c in found],
            ),
        )


@taxii.command("create")
def create(
    project: Annotated[str, typer.Option(help="the project whose members see it")],
    title: Annotated[str, typer.Option(help="the collection's title")],
    description: Annotated[str, typer.Option(help="what it holds")] = "",
    default_label: Annotated[
        str | None,
        typer.Option(help="label of objects posted without a Caveat label (none: refused)"),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Open a TAXII collection for a project (programme managers, security officers)."""
    with errors(json_), _client() as client:
        made = client.taxii.create_collection(
            project, title, description=description, default_label=default_label
        )
        show(made, json_, lambda: out.print(f"collection {made.id}: {made.title}"))


def _envelope(path: Path) -> bytes:
    """A TAXII envelope's bytes from a file holding an envelope or a STIX bundle."""
    data = path.read_bytes()
    try:
        document = json.loads(data)
    except ValueError:
        raise InvalidInput(f"{path} is not JSON", code="invalid_stix", field="file") from None
    if isinstance(document, dict) and document.get("type") == "bundle":
        return json.dumps({"objects": document.get("objects", [])}).encode()
    return data


@taxii.command("add")
def add(
    collection: str,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="bundle or envelope")],
    json_: JsonOpt = False,
) -> None:
    """Add the objects of a STIX bundle (or TAXII envelope) to a collection."""
    with errors(json_), _client() as client:
        status = client.taxii.add(collection, _envelope(file))

        def human() -> None:
            out.print(
                f"status {status.id}: {status.success_count} added, {status.failure_count} refused"
            )
            for failure in status.failures:
                out.print(f"  {failure.get('id')}: {failure.get('message')}")

        show(status, json_, human)
        if status.failure_count:
            raise typer.Exit(1)


@taxii.command("get")
def get(
    collection: str,
    object_id: Annotated[str | None, typer.Argument(help="one object (default: all)")] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="STIX type (repeat)")] = None,
    added_after: Annotated[str | None, typer.Option(help="a date_added (exclusive)")] = None,
    version: Annotated[
        str | None, typer.Option(help="first, last (default), all or a timestamp")
    ] = None,
    limit: Annotated[int, typer.Option(help="objects per request")] = 100,
    json_: JsonOpt = False,
) -> None:
    """The objects you may read in a collection (every page), with their markings."""
    with errors(json_), _client() as client:
        objects: list[dict[str, Any]] = []
        following: str | None = None
        while True:
            page = client.taxii.objects(
                collection,
                object_id=object_id,
                added_after=added_after,
                types=type_ or (),
                version=version,
                limit=limit,
                next_page=following,
            )
            objects += page.get("objects", [])
            following = page.get("next")
            if not page.get("more") or following is None:
                break
        if json_:
            emit_json({"objects": objects})
            return
        table(
            "STIX objects",
            ["id", "type", "version", "name"],
            [
                (o.get("id"), o.get("type"), o.get("modified", ""), o.get("name", ""))
                for o in objects
            ],
        )
