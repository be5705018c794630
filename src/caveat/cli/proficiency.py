"""`caveat proficiency ...`: test procedures, proficiency rounds, a laboratory's results
(one by one or a CSV/XLSX file) and the scores, as the signed-in person through the
node's API (issue 19, ADR 0024). Another laboratory's results stay blind until the round
is closed; then they are shown under codes unless the round reveals identities."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from caveat.cli.output import emit_json, errors, out, show, table
from caveat.cli.remote import _client

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]

proficiency = typer.Typer(
    help="Standardized test and evaluation: procedures, proficiency rounds, results, scores.",
    no_args_is_help=True,
)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"


@proficiency.command("procedures")
def procedures(
    project: Annotated[str | None, typer.Option(help="one project only")] = None,
    json_: JsonOpt = False,
) -> None:
    """The procedures of your projects, with the versions you may read."""
    with errors(json_), _client() as client:
        found = client.proficiency.procedures(project)
        show(
            found,
            json_,
            lambda: table(
                "Test procedures",
                ["procedure", "version", "id", "status", "measurand", "unit", "marking"],
                [
                    (
                        p["name"],
                        v["version"],
                        v["id"],
                        v["status"],
                        v["measurand"],
                        v["unit"],
                        v["marking"],
                    )
                    for p in found
                    for v in p["versions"]
                ],
            ),
        )


@proficiency.command("procedure-create")
def procedure_create(
    project: Annotated[str, typer.Option(help="the project it belongs to")],
    name: Annotated[str, typer.Option(help="the procedure's name")],
    label: Annotated[str, typer.Option(help='its security label, e.g. "UNCLASSIFIED"')],
    measurand: Annotated[str, typer.Option(help="what is measured")],
    unit: Annotated[str, typer.Option(help="the unit results are scored in (m^2, GHz, ...)")],
    method: Annotated[str, typer.Option(help="the method")],
    equipment: Annotated[str, typer.Option(help="the equipment")] = "",
    acceptance: Annotated[str, typer.Option(help="acceptance criteria")] = "",
    uncertainty: Annotated[str, typer.Option(help="how to report uncertainty")] = "",
    version_of: Annotated[
        str | None, typer.Option(help="a procedure id: add a new version to it instead")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Draft a procedure (or a new version of one); a programme manager approves it."""
    content = {
        "label": label,
        "measurand": measurand,
        "unit": unit,
        "method": method,
        "equipment": equipment,
        "acceptance_criteria": acceptance,
        "uncertainty_reporting": uncertainty,
    }
    with errors(json_), _client() as client:
        if version_of is None:
            made = client.proficiency.create_procedure(project=project, name=name, **content)
        else:
            made = client.proficiency.add_version(version_of, **content)
        show(
            made,
            json_,
            lambda: out.print(
                f"{made['procedure']} version {made['version']} ({made['status']}): {made['id']}"
            ),
        )


@proficiency.command("approve")
def approve(version: str, json_: JsonOpt = False) -> None:
    """Approve a draft procedure version (a programme manager who did not write it)."""
    with errors(json_), _client() as client:
        made = client.proficiency.approve(version)
        show(made, json_, lambda: out.print(f"version {made['version']} approved"))


@proficiency.command("rounds")
def rounds(json_: JsonOpt = False) -> None:
    """The rounds of your projects."""
    with errors(json_), _client() as client:
        found = client.proficiency.rounds()
        show(
            found,
            json_,
            lambda: table(
                "Proficiency rounds",
                ["id", "title", "status", "deadline", "coordinator", "your code"],
                [
                    (
                        r["id"],
                        r["title"],
                        r["status"],
                        r["deadline"],
                        r["coordinator"],
                        r["my_code"] or "",
                    )
                    for r in found
                ],
            ),
        )


@proficiency.command("open")
def open_round(
    project: Annotated[str, typer.Option(help="the round's project")],
    procedure_version: Annotated[str, typer.Option(help="an approved procedure version id")],
    title: Annotated[str, typer.Option(help="the round's title")],
    deadline: Annotated[str, typer.Option(help="ISO 8601 time with zone, e.g. 2027-03-01T12:00Z")],
    lab: Annotated[list[str], typer.Option(help="a participating organisation (repeat)")],
    item: Annotated[list[str], typer.Option(help="a test item (repeat)")],
    label: Annotated[str, typer.Option(help="the label results take by default")],
    coordinator: Annotated[str | None, typer.Option(help="default: you")] = None,
    robust_method: Annotated[str, typer.Option(help="algorithm_a, q_hampel, ...")] = "algorithm_a",
    sigma_method: Annotated[
        str, typer.Option(help="robust_sd_of_round, prescribed or fitness_for_purpose")
    ] = "robust_sd_of_round",
    sigma_value: Annotated[float | None, typer.Option(help="sigma_pt, or the share")] = None,
    reveal_identities: Annotated[
        bool, typer.Option(help="show laboratories by name after close, not by code")
    ] = False,
    kind: Annotated[
        str, typer.Option(help="proficiency (ISO 13528) or precision_study (ISO 5725-2)")
    ] = "proficiency",
    json_: JsonOpt = False,
) -> None:
    """Open a proficiency round or precision study (programme managers)."""
    with errors(json_), _client() as client:
        when = datetime.fromisoformat(deadline.replace("Z", "+00:00"))
        made = client.proficiency.open_round(
            project=project,
            procedure_version=procedure_version,
            title=title,
            deadline=when.isoformat(),
            laboratories=lab,
            items=[{"name": name} for name in item],
            label=label,
            coordinator=coordinator,
            methods={
                "robust_method": robust_method,
                "sigma_method": sigma_method,
                "sigma_value": sigma_value,
            },
            reveal_identities=reveal_identities,
            kind=kind,
        )
        show(made, json_, lambda: out.print(f"round {made['id']}: {made['title']} (open)"))


@proficiency.command("submit")
def submit(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    item: Annotated[str, typer.Option(help="the test item")],
    value: Annotated[float, typer.Option(help="the result")],
    unit: Annotated[str, typer.Option(help="its unit (converted to the procedure's)")],
    u: Annotated[float | None, typer.Option("--u", help="standard uncertainty")] = None,
    k: Annotated[float | None, typer.Option("--k", help="coverage factor")] = None,
    replicate: Annotated[list[float] | None, typer.Option(help="a replicate (repeat)")] = None,
    notes: Annotated[str, typer.Option(help="method notes")] = "",
    label: Annotated[str | None, typer.Option(help="default: the round's label")] = None,
    procedure_version: Annotated[
        str | None, typer.Option(help="the procedure version your laboratory followed")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Submit your laboratory's result for one item."""
    with errors(json_), _client() as client:
        result: dict[str, Any] = {
            "item": item,
            "value": value,
            "unit": unit,
            "standard_uncertainty": u,
            "coverage_factor": k,
            "replicates": replicate or [],
            "notes": notes,
        }
        made = client.proficiency.submit(
            round_id, [result], label=label, procedure_version=procedure_version
        )
        show(made, json_, lambda: _submissions_table(made))


@proficiency.command("resubmit")
def resubmit(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    item: Annotated[str, typer.Option(help="the test item")],
    value: Annotated[float, typer.Option(help="the corrected result")],
    unit: Annotated[str, typer.Option(help="its unit (converted to the procedure's)")],
    u: Annotated[float | None, typer.Option("--u", help="standard uncertainty")] = None,
    k: Annotated[float | None, typer.Option("--k", help="coverage factor")] = None,
    replicate: Annotated[list[float] | None, typer.Option(help="a replicate (repeat)")] = None,
    notes: Annotated[str, typer.Option(help="method notes")] = "",
    label: Annotated[
        str | None, typer.Option(help="default: the result's; may tighten, never loosen")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Replace your laboratory's result for one item while the round is open (the
    replaced revision is kept as history)."""
    with errors(json_), _client() as client:
        result: dict[str, Any] = {
            "item": item,
            "value": value,
            "unit": unit,
            "standard_uncertainty": u,
            "coverage_factor": k,
            "replicates": replicate or [],
            "notes": notes,
        }
        made = client.proficiency.resubmit(round_id, result, label=label)
        show(made, json_, lambda: _submissions_table([made]))


@proficiency.command("history")
def history(
    submission: Annotated[str, typer.Argument(metavar="SUBMISSION", help="a result's id")],
    json_: JsonOpt = False,
) -> None:
    """Every revision of a result you may read, oldest first."""
    with errors(json_), _client() as client:
        found = client.proficiency.submission_history(submission)
        show(
            found,
            json_,
            lambda: table(
                "Revisions",
                ["revision", "value", "u", "reported", "submitted by", "at", "replaced by"],
                [
                    (
                        f"{v['revision']}{' (current)' if v['current'] else ''}",
                        _number(v["value"]),
                        _number(v["standard_uncertainty"]),
                        f"{_number(v['reported_value'])} {v['reported_unit']}",
                        v["submitted_by"],
                        v["submitted_at"],
                        v["replaced_by"],
                    )
                    for v in found
                ],
            ),
        )


@proficiency.command("declare")
def declare(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    version: Annotated[str, typer.Option(help="the procedure version's id")],
    json_: JsonOpt = False,
) -> None:
    """Declare which version of the round's procedure your laboratory follows (another
    version than the round's is recorded and flagged)."""
    with errors(json_), _client() as client:
        made = client.proficiency.declare_procedure(round_id, version)
        mine = next((lab for lab in made["laboratories"] if lab["own"]), None)
        flag = " (not the round's version: flagged)" if mine and mine["deviates"] else ""
        show(
            made,
            json_,
            lambda: out.print(
                f"{made['my_code']} follows version {mine and mine['declared_version']}{flag}"
            ),
        )


def _series(text: str, name: str) -> list[float]:
    try:
        return [float(p) for p in text.replace(",", ";").split(";") if p.strip()]
    except ValueError:
        raise typer.BadParameter(f"{name}: numbers separated by ;") from None


def _checks_table(found: dict[str, Any]) -> None:
    table(
        "Item checks (ISO 13528 Annex B)",
        ["item", "kind", "outcome", "statistic", "criterion", "sigma_pt", "in force"],
        [
            (
                c["item"],
                c["kind"],
                "pass" if c["passed"] else "FAIL",
                f"{c['statistic_name']} = {_number(c['statistic'])}",
                _number(c["criterion"]),
                _number(c["sigma_pt"]),
                "yes" if c["in_force"] else "",
            )
            for c in found["checks"]
        ],
    )
    for flag in found["failing"]:
        out.print(f"failing: {flag}")


@proficiency.command("check-homogeneity")
def check_homogeneity(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    item: Annotated[str, typer.Option(help="the round's item")],
    row: Annotated[
        list[str], typer.Option(help="one test item's replicates, separated by ; (repeat)")
    ],
    sigma_pt: Annotated[float | None, typer.Option(help="default: the round's")] = None,
    json_: JsonOpt = False,
) -> None:
    """Record a homogeneity check (the coordinator): s_s against 0.3 sigma_pt."""
    results = [_series(r, "row") for r in row]
    with errors(json_), _client() as client:
        made = client.proficiency.record_homogeneity(round_id, item, results, sigma_pt=sigma_pt)
        show(made, json_, lambda: _checks_table({"checks": [made], "failing": []}))


@proficiency.command("check-stability")
def check_stability(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    item: Annotated[str, typer.Option(help="the round's item")],
    before: Annotated[str, typer.Option(help="results before, separated by ;")],
    after: Annotated[str, typer.Option(help="results after, separated by ;")],
    sigma_pt: Annotated[float | None, typer.Option(help="default: the round's")] = None,
    json_: JsonOpt = False,
) -> None:
    """Record a stability check (the coordinator): |mean before - mean after| against
    0.3 sigma_pt."""
    first, second = _series(before, "before"), _series(after, "after")
    with errors(json_), _client() as client:
        made = client.proficiency.record_stability(round_id, item, first, second, sigma_pt=sigma_pt)
        show(made, json_, lambda: _checks_table({"checks": [made], "failing": []}))


@proficiency.command("checks")
def checks(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")], json_: JsonOpt = False
) -> None:
    """The round's homogeneity and stability checks, failing ones named."""
    with errors(json_), _client() as client:
        found = client.proficiency.workflow(round_id)
        show(found, json_, lambda: _checks_table(found))


@proficiency.command("precision")
def precision(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")], json_: JsonOpt = False
) -> None:
    """A closed precision study's statistics per level (ISO 5725-2): s_r, s_L, s_R, r, R,
    outliers and stragglers, the laboratories' cells with Mandel's h and k."""
    with errors(json_), _client() as client:
        found = client.proficiency.precision(round_id)

        def tables() -> None:
            if not found:
                out.print("no precision statistics: not a closed precision study")
            for level in found:
                out.print(
                    f"{level['item']}: s_r = {_number(level['s_r'])}, "
                    f"s_L = {_number(level['s_L'])}, s_R = {_number(level['s_R'])}, "
                    f"r = {_number(level['r'])}, R = {_number(level['R'])}; outliers: "
                    f"{', '.join(level['outliers']) or 'none'}; stragglers: "
                    f"{', '.join(level['stragglers']) or 'none'}"
                )
                table(
                    f"Cells, {level['item']}",
                    ["laboratory", "n", "mean", "sd", "h", "k", "flag"],
                    [
                        (
                            c["laboratory"],
                            c["count"],
                            _number(c["mean"]),
                            _number(c["sd"]),
                            _number(c["mandel_h"]),
                            _number(c["mandel_k"]),
                            c["flag"],
                        )
                        for c in level["cells"]
                    ],
                )

        show(found, json_, tables)


@proficiency.command("upload")
def upload(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX")],
    label: Annotated[str | None, typer.Option(help="default: the round's label")] = None,
    json_: JsonOpt = False,
) -> None:
    """Submit a file of results (columns item, value, unit; optionally
    standard_uncertainty or u, coverage_factor or k, replicates separated by ;, notes):
    every row good, or nothing stored and each fault named by row and column."""
    with errors(json_), _client() as client:
        made = client.proficiency.upload(round_id, file.name, file.read_bytes(), label=label)
        show(made, json_, lambda: _submissions_table(made))


def _submissions_table(found: list[dict[str, Any]]) -> None:
    table(
        "Results",
        ["item", "laboratory", "value", "u", "unit", "reported", "marking"],
        [
            (
                s["item"],
                s["laboratory"],
                _number(s["value"]),
                _number(s["standard_uncertainty"]),
                s["unit"],
                f"{_number(s['reported_value'])} {s['reported_unit']}",
                s["marking"],
            )
            for s in found
        ],
    )


@proficiency.command("submissions")
def submissions(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")], json_: JsonOpt = False
) -> None:
    """The results you may read: your laboratory's; the others' after close."""
    with errors(json_), _client() as client:
        found = client.proficiency.submissions(round_id)
        show(found, json_, lambda: _submissions_table(found))


@proficiency.command("close")
def close(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")], json_: JsonOpt = False
) -> None:
    """Close and score the round (its coordinator)."""
    with errors(json_), _client() as client:
        found = client.proficiency.close(round_id)
        show(found, json_, lambda: _results_table(found))


@proficiency.command("cancel")
def cancel(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    reason: Annotated[str, typer.Option(help="why")],
    json_: JsonOpt = False,
) -> None:
    """Cancel an open round (its coordinator)."""
    with errors(json_), _client() as client:
        made = client.proficiency.cancel(round_id, reason)
        show(made, json_, lambda: out.print(f"round {made['id']} cancelled"))


def _results_table(found: dict[str, Any]) -> None:
    if not found["items"]:
        out.print(f"round {found['round']['title']} is {found['round']['status']}: no scores yet")
    for item in found["items"]:
        out.print(
            f"{item['item']}: x_pt = {_number(item['assigned_value'])} "
            f"(u = {_number(item['assigned_uncertainty'])}, {item['assigned_method']}), "
            f"sigma_pt = {_number(item['sigma_pt'])} ({item['sigma_method']}); "
            f"{item['participants']} results, {item['withheld']} not yours to read"
        )
        table(
            f"Scores, {item['item']}",
            ["laboratory", "value", "z", "", "zeta", "", "En", ""],
            [
                (
                    s["laboratory"],
                    _number(s["value"]),
                    _number(s["z"]),
                    s["z_verdict"],
                    _number(s["zeta"]),
                    s["zeta_verdict"] or "",
                    _number(s["en"]),
                    s["en_verdict"] or "",
                )
                for s in item["scores"]
            ],
        )


@proficiency.command("results")
def results(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")], json_: JsonOpt = False
) -> None:
    """The round's scores you may read (after close)."""
    with errors(json_), _client() as client:
        found = client.proficiency.results(round_id)
        show(found, json_, lambda: _results_table(found))


@proficiency.command("plot")
def plot(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    item: Annotated[str, typer.Argument(help="the item's id (see `results --json`)")],
    kind: Annotated[str, typer.Argument(help="results, scores, mandel or density")],
    output: Annotated[Path, typer.Option("--output", "-o", help="where to write the SVG")],
    json_: JsonOpt = False,
) -> None:
    """Write one item's plot as an SVG file."""
    with errors(json_), _client() as client:
        svg = client.proficiency.plot(round_id, item, kind)
        output.write_text(svg, encoding="utf-8")
        if json_:
            emit_json({"written": str(output), "bytes": len(svg.encode())})
        else:
            out.print(f"wrote {output}")


@proficiency.command("report")
def report(
    round_id: Annotated[str, typer.Argument(metavar="ROUND")],
    output: Annotated[Path, typer.Option("--output", "-o", help="where to write the report")],
    laboratory: Annotated[
        str | None, typer.Option(help="one laboratory's report, by its code (L01, ...)")
    ] = None,
    format_: Annotated[
        str | None,
        typer.Option("--format", help="pdf or html (default: from the file's suffix, else pdf)"),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Write the round's report (or one laboratory's) as PDF or HTML, marked with the
    roll-up of what it shows."""
    chosen = (format_ or ("html" if output.suffix.lower() in (".html", ".htm") else "pdf")).lower()
    with errors(json_), _client() as client:
        body = client.proficiency.report(round_id, format=chosen, laboratory=laboratory)
        output.write_bytes(body)
        if json_:
            emit_json({"written": str(output), "format": chosen, "bytes": len(body)})
        else:
            out.print(f"wrote {output} ({chosen}, {len(body)} bytes)")
