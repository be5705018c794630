"""`caveat control-list`: the control-list catalogue of the server you are signed in to.

The server's catalogue is the edition its node checks control entries against; a copy
of the CLI from another release may ship another edition, so the CLI asks the server
rather than reading its own (ADR 0029).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from caveat.cli.output import errors, out, say, show, table
from caveat.cli.remote import _client
from caveat.domain.export_control import Regime

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
control_list = typer.Typer(
    help="The control-list catalogue (USML, CCL, Wassenaar, MTCR, EU Annex I).",
    no_args_is_help=True,
)


@control_list.command("show")
def show_lists(
    regime: Annotated[Regime | None, typer.Argument(help="one regime, or all")] = None,
    json_: JsonOpt = False,
) -> None:
    """The lists with their sources, editions and top-level headings."""
    with errors(json_), _client() as client:
        rows = [r for r in client.control_lists() if regime is None or r["regime"] == regime]

    def human() -> None:
        for row in rows:
            out.print(f"[bold]{escape(row['regime'])}[/] {escape(row['name'])}", highlight=False)
            say(f"  source: {row['source']} (as of {row['as_of']})")
            for key in ("categories", "munitions"):
                for heading in row.get(key, []):
                    say(f"  {heading['code']:>6}  {heading['title']}")
            for item in row.get("items", []):
                title = "(reserved)" if item["reserved"] else item["title"]
                cat = "I" if item["category"] == 1 else "II"
                say(f"  item {item['item']:>2}  Cat {cat:<2} {title}")

    show(rows, json_, human)


@control_list.command("describe")
def describe(
    entries: Annotated[list[str], typer.Argument(help="e.g. EAR:3A001.a.1 ITAR:USML-XI(c)")],
    json_: JsonOpt = False,
) -> None:
    """Check entries against the catalogue and say what each is about."""
    with errors(json_), _client() as client:
        found: list[dict[str, Any]] = client.describe_entries([e.strip() for e in entries])

        def human() -> None:
            table(
                "Control entries",
                ["entry", "on the list", "MTCR category"],
                [
                    (
                        d["entry"],
                        " / ".join(h["title"] for h in d["headings"]),
                        d["mtcr_category"] or "",
                    )
                    for d in found
                ],
            )

        show(found, json_, human)
