"""Programmes, agreements, export authorizations, screening, embargoes and visits, as the
signed-in person on a Caveat server (ADR 0008, ADR 0029): each act is checked against
that person's roles and recorded under their name; never the console's."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from caveat.cli.output import errors, say, show, table
from caveat.cli.remote import _client
from caveat.domain.compliance import AgreementKind
from caveat.domain.errors import InvalidInput

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Many = Annotated[list[str] | None, typer.Option()]
Reason = Annotated[str, typer.Option(help="why (recorded in the ledger)")]
Row = dict[str, Any]

programmes = typer.Typer(
    help="Programmes, participants, funding, capacity building.", no_args_is_help=True
)
agreements = typer.Typer(help="Agreements and their lifecycle.", no_args_is_help=True)
authorizations = typer.Typer(help="Export authorizations (licences).", no_args_is_help=True)
screen = typer.Typer(help="Denied-party screening.", no_args_is_help=True)
embargoes = typer.Typer(help="Embargoes per regime.", no_args_is_help=True)
visits = typer.Typer(help="Visit requests to host laboratories.", no_args_is_help=True)


def _day(text: str | None, field: str) -> str | None:
    """``text`` checked as a YYYY-MM-DD day (before anything is sent)."""
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date", code="invalid_date", field=field, hint="use YYYY-MM-DD"
        ) from None


def _required_day(text: str, field: str) -> str:
    day = _day(text, field)
    if day is None:
        raise InvalidInput(f"{field} needs a date", code="invalid_date", field=field)
    return day


def _document(text: str | None, field: str) -> dict[str, Any] | None:
    """A JSON object given inline or as @FILE."""
    if text is None:
        return None
    raw = _read(Path(text[1:]), field) if text.startswith("@") else text
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidInput(
            f"{field} is not JSON", code=f"invalid_{field}", field=field, hint="a JSON object"
        ) from None
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a JSON object", code=f"invalid_{field}", field=field)
    return value


def _read(path: Path, field: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc}", code="unreadable_file", field=field
        ) from None


# programmes


def _programme_rows(found: list[Row]) -> None:
    table(
        "Programmes",
        ["name", "projects", "participants", "id"],
        [
            (
                p["name"],
                len(p["projects"]),
                ", ".join(f"{x['organisation_id'][:8]} ({x['role']})" for x in p["participants"]),
                p["id"],
            )
            for p in found
        ],
    )


@programmes.command("create")
def programme_create(
    name: str, description: Annotated[str, typer.Option()] = "", json_: JsonOpt = False
) -> None:
    """Create a programme (programme managers)."""
    with errors(json_), _client() as client:
        prog = client.create_programme(name, description)
        show(prog, json_, lambda: say(f"created programme {prog['name']} ({prog['id']})"))


@programmes.command("list")
def programme_list(json_: JsonOpt = False) -> None:
    """List programmes."""
    with errors(json_), _client() as client:
        found = client.programmes()
        show(found, json_, lambda: _programme_rows(found))


@programmes.command("show")
def programme_show(ref: str, json_: JsonOpt = False) -> None:
    """One programme with its projects and participants."""
    with errors(json_), _client() as client:
        prog = client.programme(ref)
        show(prog, json_, lambda: _programme_rows([prog]))


@programmes.command("add-project")
def programme_add_project(programme: str, project: str, json_: JsonOpt = False) -> None:
    """Put a project in a programme."""
    with errors(json_), _client() as client:
        client.add_programme_project(programme, project)
        prog = client.programme(programme)
        show(prog, json_, lambda: say(f"{project} is now in {prog['name']}"))


@programmes.command("participant")
def programme_participant(
    programme: str,
    organisation: str,
    role: Annotated[str, typer.Option(help="lead, partner, industry_partner, academic_partner")],
    work_share: Annotated[str | None, typer.Option(help="percent, e.g. 22.5")] = None,
    json_: JsonOpt = False,
) -> None:
    """Add or update a participating organisation."""
    with errors(json_), _client() as client:
        client.set_programme_participant(
            programme, organisation=organisation, role=role, work_share=work_share
        )
        prog = client.programme(programme)
        show(prog, json_, lambda: say(f"{organisation}: {role} in {prog['name']}"))


@programmes.command("funding")
def programme_funding(
    programme: str,
    organisation: str,
    kind: Annotated[str, typer.Option(help="commitment or contribution")],
    amount: Annotated[str, typer.Option(help="decimal amount, e.g. 1250000.00")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code")],
    on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    note: Annotated[str, typer.Option()] = "",
    json_: JsonOpt = False,
) -> None:
    """Record a commitment or contribution."""
    with errors(json_), _client() as client:
        entry = client.record_funding(
            programme,
            organisation=organisation,
            kind=kind,
            amount=amount,
            currency=currency,
            on=_required_day(on, "on"),
            note=note,
        )
        show(entry, json_, lambda: say(f"recorded {kind} {entry['id']}"))


@programmes.command("summary")
def programme_summary(programme: str, json_: JsonOpt = False) -> None:
    """Funding and work share per participant."""
    with errors(json_), _client() as client:
        rows = client.funding_summary(programme)
        columns = list(rows[0]) if rows else ["organisation"]
        show(
            rows,
            json_,
            lambda: table(f"Funding of {programme}", columns, [list(r.values()) for r in rows]),
        )


@programmes.command("nations")
def programme_nations(json_: JsonOpt = False) -> None:
    """Every programme's funding per partner nation and currency (committed, contributed)."""
    with errors(json_), _client() as client:
        rows = client.funding_by_nation()
        show(
            rows,
            json_,
            lambda: table(
                "Funding per programme and partner nation",
                ["programme", "currency", "nation", "committed", "contributed"],
                [
                    (r["programme"], r["currency"], r["nation"], r["committed"], r["contributed"])
                    for r in rows
                ],
            ),
        )


@programmes.command("activity")
def programme_activity(
    programme: str,
    kind: Annotated[str, typer.Option(help="course or placement")],
    title: Annotated[str, typer.Option()],
    host: Annotated[str, typer.Option(help="host organisation")],
    starts: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    ends: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    person: Annotated[str | None, typer.Option(help="who (placements)")] = None,
    location: Annotated[str, typer.Option()] = "",
    json_: JsonOpt = False,
) -> None:
    """Record a training course or an exchange placement."""
    with errors(json_), _client() as client:
        activity = client.add_activity(
            programme,
            kind=kind,
            title=title,
            host=host,
            starts_on=_required_day(starts, "starts"),
            ends_on=_required_day(ends, "ends"),
            person=person,
            location=location,
        )
        show(activity, json_, lambda: say(f"recorded {kind} {activity['id']}"))


# agreements


def _agreement_rows(found: list[Row]) -> None:
    table(
        "Agreements",
        ["name", "kind", "status", "v", "effective", "expires", "parties", "id"],
        [
            (
                a["name"],
                a["kind"],
                a["status"],
                a["version"],
                a["effective_on"],
                a["expires_on"] or "open",
                " ".join(a["party_nations"]) + f" +{len(a['party_organisations'])} org.",
                a["id"],
            )
            for a in found
        ],
    )


@agreements.command("create")
def agreement_create(
    name: str,
    kind: Annotated[AgreementKind, typer.Option()],
    effective: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    max_level: Annotated[int, typer.Option(help="highest common level 0-4")],
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD (none: open-ended)")] = None,
    nation: Many = None,
    org: Many = None,
    programme: Many = None,
    project: Many = None,
    area: Annotated[list[str] | None, typer.Option(help="technology area (repeat)")] = None,
    control: Annotated[
        list[str] | None, typer.Option(help="scope: control entry, e.g. ITAR:USML-XI(c)(1)")
    ] = None,
    rel: Annotated[list[str] | None, typer.Option(help="releasability ceiling code")] = None,
    ip_terms: Annotated[str | None, typer.Option(help="JSON object or @FILE")] = None,
    disputes: Annotated[str | None, typer.Option(help="JSON object or @FILE")] = None,
    text_resource: Annotated[str | None, typer.Option(help="catalogue id of the text")] = None,
    json_: JsonOpt = False,
) -> None:
    """Record a draft agreement (no effect until activated; agreement managers of a
    proposed party)."""
    with errors(json_):
        terms = {
            "name": name,
            "kind": kind.value,
            "effective_on": _required_day(effective, "effective"),
            "expires_on": _day(expires, "expires"),
            "max_level": max_level,
            "party_nations": nation or [],
            "party_organisations": org or [],
            "programmes": programme or [],
            "projects": project or [],
            "technology_areas": area or [],
            "controls": control,
            "releasability": rel or [],
            "ip_terms": _document(ip_terms, "ip_terms"),
            "disputes": _document(disputes, "disputes"),
            "text_resource_id": text_resource,
        }
        with _client() as client:
            made = client.create_agreement(**terms)
        show(
            made,
            json_,
            lambda: say(f"recorded draft agreement {made['name']} ({made['id']})"),
        )


@agreements.command("list")
def agreement_list(json_: JsonOpt = False) -> None:
    """List agreements with their status today."""
    with errors(json_), _client() as client:
        found = client.agreements()
        show(found, json_, lambda: _agreement_rows(found))


@agreements.command("show")
def agreement_show(ref: str, json_: JsonOpt = False) -> None:
    """One agreement with every version."""
    with errors(json_), _client() as client:
        found = client.agreement(ref)

        def human() -> None:
            _agreement_rows([found])
            table(
                "Versions",
                ["version", "note", "at"],
                [(v["version"], v["note"], v["created_at"]) for v in found["versions"]],
            )

        show(found, json_, human)


# The terms an amendment carries: every one, the current value where no option replaces it.
_TERMS = (
    "name",
    "kind",
    "effective_on",
    "expires_on",
    "max_level",
    "party_nations",
    "party_organisations",
    "programmes",
    "projects",
    "technology_areas",
    "controls",
    "releasability",
    "ip_terms",
    "disputes",
    "text_resource_id",
)


@agreements.command("amend")
def agreement_amend(
    ref: str,
    note: Annotated[str, typer.Option(help="why (kept with the version)")],
    name: Annotated[str | None, typer.Option()] = None,
    effective: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    expires: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    open_ended: Annotated[bool, typer.Option(help="remove the expiry date")] = False,
    max_level: Annotated[int | None, typer.Option()] = None,
    nation: Many = None,
    org: Many = None,
    programme: Many = None,
    project: Many = None,
    area: Many = None,
    control: Many = None,
    unscoped: Annotated[bool, typer.Option(help="remove the control-entry scope")] = False,
    rel: Many = None,
    ip_terms: Annotated[str | None, typer.Option(help="JSON object or @FILE")] = None,
    disputes: Annotated[str | None, typer.Option(help="JSON object or @FILE")] = None,
    text_resource: Annotated[
        str | None, typer.Option(help="catalogue id of the amended text")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """A new version: the current terms with the options given replaced."""
    with errors(json_), _client() as client:
        now = client.agreement(ref)
        terms = {key: now[key] for key in _TERMS}
        given: dict[str, Any] = {
            "name": name,
            "effective_on": _day(effective, "effective"),
            "expires_on": _day(expires, "expires"),
            "max_level": max_level,
            "party_nations": nation,
            "party_organisations": org,
            "programmes": programme,
            "projects": project,
            "technology_areas": area,
            "controls": control,
            "releasability": rel,
            "ip_terms": _document(ip_terms, "ip_terms"),
            "disputes": _document(disputes, "disputes"),
            "text_resource_id": text_resource,
        }
        terms.update({k: v for k, v in given.items() if v not in (None, [])})
        if open_ended:
            terms["expires_on"] = None
        if unscoped:
            terms["controls"] = None
        made = client.amend_agreement(now["id"], note=note, **terms)
        show(made, json_, lambda: say(f"{made['name']}: version {made['version']}"))


def _move(ref: str, verb: str, reason: str, json_: bool) -> None:
    with errors(json_), _client() as client:
        moved = client.move_agreement(ref, verb, reason)
        show(moved, json_, lambda: say(f"{moved['name']}: {moved['status']}"))


@agreements.command("activate")
def agreement_activate(ref: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Bring a draft into force (refused if it overlaps another)."""
    _move(ref, "activate", reason, json_)


@agreements.command("suspend")
def agreement_suspend(ref: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Suspend an agreement in force (access ends at once)."""
    _move(ref, "suspend", reason, json_)


@agreements.command("resume")
def agreement_resume(ref: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Bring a suspended agreement back into force."""
    _move(ref, "resume", reason, json_)


@agreements.command("expire")
def agreement_expire(ref: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Mark an agreement expired (final)."""
    _move(ref, "expire", reason, json_)


@agreements.command("terminate")
def agreement_terminate(ref: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Terminate an agreement (final)."""
    _move(ref, "terminate", reason, json_)


# authorizations


def _authorization_rows(found: list[Row]) -> None:
    table(
        "Export authorizations",
        ["type", "jurisdiction", "number", "status", "valid", "entries", "end users", "id"],
        [
            (
                a["type"],
                a["jurisdiction"],
                a["number"],
                a["status"],
                f"{a['valid_from']} to {a['valid_to'] or 'open'}",
                " ".join(a["entries"]),
                len(a["organisations"]) + len(a["nations"]) + len(a["people"]),
                a["id"],
            )
            for a in found
        ],
    )


@authorizations.command("create")
def authorization_create(
    number: str,
    type_: Annotated[str, typer.Option("--type", help="DSP-5, DSP-73, DSP-85, TAA, MLA, ...")],
    jurisdiction: Annotated[str, typer.Option(help="USA, EU or a nation")],
    entry: Annotated[list[str], typer.Option(help="covered control entry (repeat)")],
    valid_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
    valid_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    org: Many = None,
    nation: Many = None,
    person: Many = None,
    max_level: Annotated[int | None, typer.Option(help="proviso: highest level 0-4")] = None,
    no_retransfer: Annotated[bool, typer.Option(help="proviso: no retransfer")] = False,
    provisos: Annotated[str, typer.Option(help="free-text provisos")] = "",
    json_: JsonOpt = False,
) -> None:
    """Record an export authorization (export control officers)."""
    with errors(json_):
        terms = {
            "type": type_,
            "jurisdiction": jurisdiction,
            "number": number,
            "entries": entry,
            "valid_from": _required_day(valid_from, "from"),
            "valid_to": _day(valid_to, "to"),
            "organisations": org or [],
            "nations": nation or [],
            "people": person or [],
            "max_level": max_level,
            "no_retransfer": no_retransfer,
            "provisos": provisos,
        }
        with _client() as client:
            made = client.create_authorization(**terms)
        show(
            made,
            json_,
            lambda: say(f"recorded {made['type']} {made['number']} ({made['id']})"),
        )


@authorizations.command("list")
def authorization_list(json_: JsonOpt = False) -> None:
    """List authorizations with their status today."""
    with errors(json_), _client() as client:
        found = client.authorizations()
        show(found, json_, lambda: _authorization_rows(found))


@authorizations.command("show")
def authorization_show(ref: str, json_: JsonOpt = False) -> None:
    """One authorization (by id or number)."""
    with errors(json_), _client() as client:
        found = client.authorization(ref)
        show(found, json_, lambda: _authorization_rows([found]))


def _authorization_move(ref: str, verb: str, reason: str, json_: bool) -> None:
    with errors(json_), _client() as client:
        moved = client.move_authorization(ref, verb, reason)
        show(moved, json_, lambda: say(f"{moved['number']}: {moved['status']}"))


@authorizations.command("suspend")
def authorization_suspend(ref: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Suspend an authorization."""
    _authorization_move(ref, "suspend", reason, json_)


@authorizations.command("reinstate")
def authorization_reinstate(ref: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Reinstate a suspended authorization."""
    _authorization_move(ref, "reinstate", reason, json_)


@authorizations.command("revoke")
def authorization_revoke(ref: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Revoke an authorization (final)."""
    _authorization_move(ref, "revoke", reason, json_)


# screening


def _hit_rows(found: list[Row]) -> None:
    table(
        "Screening hits",
        ["id", "subject", "screened name", "list", "listed name", "score", "status"],
        [
            (
                h["id"],
                f"{h['subject_type']} {h['subject_id'][:8]}",
                h["screened_name"],
                h["list_name"],
                h["listed_name"],
                f"{h['score']:.1f}",
                h["status"] + (f" ({h['reason']})" if h.get("reason") else ""),
            )
            for h in found
        ],
    )


def _check_rows(found: Row) -> None:
    if not found["lists"]:
        say("no list is imported yet: there is nothing to screen against")
        return
    table(
        escape(f"{found['name']!r} against {', '.join(found['lists'])}"),
        ["score", "list", "entry", "listed name", "matched as", "tokens that paired"],
        [
            (
                f"{m['score']:.1f}",
                m["list_name"] or m["source"],
                f"{m['entry_id']} ({m['kind']})",
                m["listed_name"],
                "" if m["matched_name"] == m["listed_name"] else m["matched_name"],
                ", ".join(
                    t["query"]
                    if t["query"] == t["listed"]
                    else f"{t['query']}~{t['listed']} {t['similarity']:.2f}"
                    for t in m["tokens"]
                ),
            )
            for m in found["matches"]
        ],
    )
    if not found["matches"]:
        say(f"no match at or above {found['threshold']:.0f}")


@screen.command("name")
def screen_name(
    name: Annotated[str, typer.Argument(help="the name of a person or organisation")],
    limit: Annotated[int, typer.Option(help="the best this many (ties at the last kept)")] = 5,
    json_: JsonOpt = False,
) -> None:
    """Check one name against every imported list: the matches, with the tokens that paired
    and the score. Records nothing and holds nobody."""
    with errors(json_), _client() as client:
        found = client.check_name(name, limit=limit)
        show(found, json_, lambda: _check_rows(found))


@screen.command("import")
def screen_import(
    path: Path,
    name: Annotated[str, typer.Option(help="the list's name (replaces a list of that name)")],
    format_: Annotated[str, typer.Option("--format", help="sdn, csl or generic")],
    alt: Annotated[Path | None, typer.Option(help="alt.csv of an SDN list")] = None,
    json_: JsonOpt = False,
) -> None:
    """Import a list (all or nothing) and re-screen everyone."""
    with errors(json_):
        text = _read(path, "path")
        alt_text = None if alt is None else _read(alt, "alt")
        with _client() as client:
            report = client.import_screening_list(name, format_, text, alt_text)
        show(
            report,
            json_,
            lambda: say(
                f"imported {report['entries']} entries into {report['name']}; screened "
                f"{report['screened']}, {len(report['new_hits'])} new hit(s)"
            ),
        )


@screen.command("lists")
def screen_lists(json_: JsonOpt = False) -> None:
    """The imported lists."""
    with errors(json_), _client() as client:
        found = client.screening_lists()
        show(
            found,
            json_,
            lambda: table(
                "Screening lists",
                ["name", "format", "entries", "imported", "sha256"],
                [
                    (r["name"], r["format"], r["entries"], r["imported_at"], r["sha256"])
                    for r in found
                ],
            ),
        )


@screen.command("run")
def screen_run(json_: JsonOpt = False) -> None:
    """Re-screen every person and organisation against every list."""
    with errors(json_), _client() as client:
        done = client.run_screening()
        show(done, json_, lambda: say(f"{len(done['new_hits'])} new hit(s)"))


@screen.command("hits")
def screen_hits(
    status: Annotated[str, typer.Option(help="open, false_positive, true_match or all")] = "open",
    json_: JsonOpt = False,
) -> None:
    """Screening hits (open ones by default)."""
    with errors(json_), _client() as client:
        found = client.screening_hits(status)
        show(found, json_, lambda: _hit_rows(found))


@screen.command("resolve")
def screen_resolve(
    hit: str,
    outcome: Annotated[str, typer.Option(help="false_positive or true_match")],
    reason: Reason,
    json_: JsonOpt = False,
) -> None:
    """Resolve a hit as a false positive (hold ends) or a true match."""
    with errors(json_), _client() as client:
        done = client.resolve_hit(hit, outcome, reason)
        show(done, json_, lambda: say(f"hit {done['id']}: {done['status']}"))


# embargoes


def _embargo_rows(found: list[Row]) -> None:
    table(
        "Embargoes",
        ["nation", "imposed by", "regime", "from", "to", "source", "id"],
        [
            (
                e["nation"],
                e["imposed_by"],
                e["regime"],
                e["valid_from"],
                e["valid_to"] or "open",
                e["source"],
                e["id"],
            )
            for e in found
        ],
    )


@embargoes.command("add")
def embargo_add(
    nation: str,
    imposed_by: Annotated[str, typer.Option(help="a nation or EU")],
    valid_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
    source: Annotated[str, typer.Option(help="citation: instrument, article, URL")],
    valid_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
    regime: Annotated[str, typer.Option()] = "",
    json_: JsonOpt = False,
) -> None:
    """Record one embargo."""
    with errors(json_):
        terms = {
            "imposed_by": imposed_by,
            "nation": nation,
            "valid_from": _required_day(valid_from, "from"),
            "valid_to": _day(valid_to, "to"),
            "source": source,
            "regime": regime,
        }
        with _client() as client:
            made = client.add_embargo(**terms)
        show(made, json_, lambda: say(f"recorded embargo {made['id']} on {made['nation']}"))


@embargoes.command("import")
def embargo_import(path: Path, json_: JsonOpt = False) -> None:
    """Record every embargo of a CSV file (all or nothing)."""
    with errors(json_):
        text = _read(path, "path")
        with _client() as client:
            made = client.import_embargoes(text)
        show(made, json_, lambda: say(f"recorded {len(made)} embargo(es)"))


@embargoes.command("list")
def embargo_list(json_: JsonOpt = False) -> None:
    """List embargoes."""
    with errors(json_), _client() as client:
        found = client.embargoes()
        show(found, json_, lambda: _embargo_rows(found))


@embargoes.command("lift")
def embargo_lift(
    ref: str,
    on: Annotated[str, typer.Option(help="the embargo's last day, YYYY-MM-DD")],
    reason: Reason,
    json_: JsonOpt = False,
) -> None:
    """End an embargo on a day."""
    with errors(json_):
        last_day = _required_day(on, "on")
        with _client() as client:
            lifted = client.lift_embargo(ref, last_day, reason)
        show(
            lifted,
            json_,
            lambda: say(f"embargo {lifted['id']} ends on {lifted['valid_to']}"),
        )


# visits


def _visit_rows(found: list[Row]) -> None:
    table(
        "Visit requests",
        ["id", "person", "host", "project", "dates", "status"],
        [
            (
                v["id"],
                v["person_id"][:8],
                v["host_org_id"][:8],
                v["project_id"][:8],
                f"{v['starts_on']} to {v['ends_on']}",
                v["status"],
            )
            for v in found
        ],
    )


@visits.command("request")
def visit_request(
    person: Annotated[str, typer.Option(help="the visitor")],
    host: Annotated[str, typer.Option(help="the host organisation")],
    project: Annotated[str, typer.Option()],
    purpose: Annotated[str, typer.Option()],
    starts: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    ends: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    json_: JsonOpt = False,
) -> None:
    """Ask for a visit to a host laboratory."""
    with errors(json_):
        terms = {
            "person": person,
            "host": host,
            "project": project,
            "purpose": purpose,
            "starts_on": _required_day(starts, "starts"),
            "ends_on": _required_day(ends, "ends"),
        }
        with _client() as client:
            made = client.request_visit(**terms)
        show(made, json_, lambda: say(f"visit request {made['id']}: {made['status']}"))


@visits.command("decide")
def visit_decide(
    visit: str,
    reason: Reason,
    approve: Annotated[bool, typer.Option("--approve/--deny")],
    json_: JsonOpt = False,
) -> None:
    """Approve (temporary membership) or deny a visit (the host's security officer)."""
    with errors(json_), _client() as client:
        done = client.decide_visit(visit, approve=approve, reason=reason)
        show(done, json_, lambda: say(f"visit {done['id']}: {done['status']}"))


@visits.command("list")
def visit_list(json_: JsonOpt = False) -> None:
    """Every visit request you may see."""
    with errors(json_), _client() as client:
        found = client.visits()
        show(found, json_, lambda: _visit_rows(found))
