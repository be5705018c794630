"""`caveat control-list`: the shipped control-list catalogue, offline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from caveat.cli.output import errors, out, show, table
from caveat.domain.export_control import Regime, parse_control_entry, render_control_entry

if TYPE_CHECKING:
    from caveat.domain.control_lists import EntryDescription

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
    from caveat.domain.control_lists import control_lists

    rows = [r for r in control_lists().rows() if regime is None or r["regime"] == regime]

    def human() -> None:
        for row in rows:
            out.print(f"[bold]{row['regime']}[/] {row['name']}", highlight=False)
            out.print(f"  source: {row['source']} (as of {row['as_of']})", highlight=False)
            for key in ("categories", "munitions"):
                for heading in row.get(key, []):
                    out.print(f"  {heading['code']:>6}  {heading['title']}", highlight=False)
            for item in row.get("items", []):
                title = "(reserved)" if item["reserved"] else item["title"]
                cat = "I" if item["category"] == 1 else "II"
                out.print(f"  item {item['item']:>2}  Cat {cat:<2} {title}", highlight=False)

    show(rows, json_, human)


@control_list.command("describe")
def describe(
    entries: Annotated[list[str], typer.Argument(help="e.g. EAR:3A001.a.1 ITAR:USML-XI(c)")],
    json_: JsonOpt = False,
) -> None:
    """Check entries against the catalogue and say what each is about."""
    from caveat.domain.control_lists import describe_entry

    with errors(json_):
        found: list[tuple[str, EntryDescription]] = []
        for text in entries:
            entry = parse_control_entry(text.strip())
            found.append(
                (render_control_entry(entry), describe_entry(entry.regime.value, entry.code))
            )

        def human() -> None:
            table(
                "Control entries",
                ["entry", "on the list", "MTCR category"],
                [(e, d.summary, d.mtcr_category or "") for e, d in found],
            )

        show([{"entry": e, **_as_dict(d)} for e, d in found], json_, human)


def _as_dict(d: EntryDescription) -> dict[str, object]:
    return {
        "list_name": d.list_name,
        "source": d.source,
        "as_of": d.as_of,
        "headings": [{"code": h.code, "title": h.title} for h in d.headings],
        "mtcr_category": d.mtcr_category,
        "note": d.note,
    }
