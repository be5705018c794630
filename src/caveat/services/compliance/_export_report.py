"""The export-records report: records with the people and organisations named, totals per
authorization, and each record checked against its ledger event.

22 CFR 122.5 asks for records an inspector can read; the CSV serves spreadsheets, this
report serves people (the web page and a PDF). A record whose ``export.recorded`` event
is missing or says something else is flagged: the report and the ledger must agree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import EventRow, OrganisationRow, PersonRow


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """Who released what to whom, under which authorization, approved by whom, when."""

    id: str
    release_request_id: str
    resource_id: str
    label_sha256: str
    content_sha256: str | None
    controls: tuple[str, ...]
    nations: tuple[str, ...]
    organisations: tuple[str, ...]
    authorization_id: str | None
    authorization_number: str | None
    requested_by: str
    approved_by: str
    released_at: datetime
    retain_until: date


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One export record as the report shows it."""

    record_id: str
    released_at: datetime
    resource_id: str
    label_sha256: str
    content_sha256: str | None
    controls: tuple[str, ...]
    recipients: tuple[str, ...]  # nation codes and organisation names
    authorization: str  # number, or "not controlled"
    requested_by: str
    approved_by: str
    retain_until: date
    ledger_leaf: int | None  # None until the sequencer integrates the event
    ledger_agrees: bool


@dataclass(frozen=True, slots=True)
class AuthorizationTotal:
    """Records per authorization in the report."""

    authorization: str
    records: int
    first: datetime
    last: datetime
    retain_until: date


@dataclass(frozen=True, slots=True)
class ExportReport:
    """The report for one selection (authorization, period)."""

    generated_at: datetime
    authorization: str | None
    since: date | None
    until: date | None
    lines: tuple[ReportLine, ...]
    totals: tuple[AuthorizationTotal, ...]

    @property
    def disagreements(self) -> int:
        """Records the ledger does not confirm (should be zero)."""
        return sum(1 for line in self.lines if not line.ledger_agrees)


def _names(session: Session, model: Any, ids: set[str], column: Any) -> dict[str, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, column).where(model.id.in_(sorted(ids)))).all())


def export_event_data(record: ExportRecord) -> dict[str, Any]:
    """The data of a record's ``export.recorded`` event: written with the record, and
    what the report expects to find in the ledger."""
    return {
        "release_request_id": record.release_request_id,
        "resource_id": record.resource_id,
        "label_sha256": record.label_sha256,
        "content_sha256": record.content_sha256,
        "controls": list(record.controls),
        "recipients": {
            "nations": list(record.nations),
            "organisations": list(record.organisations),
        },
        "authorization_id": record.authorization_id,
        "authorization_number": record.authorization_number,
        "requested_by": record.requested_by,
        "retain_until": record.retain_until.isoformat(),
    }


def _agrees(record: ExportRecord, event: EventRow | None) -> bool:
    """The ledger event says exactly what the record says, and the approver wrote it."""
    if event is None or event.actor_id != record.approved_by:
        return False
    return bool(json.loads(event.body).get("data") == export_event_data(record))


def build_report(
    session: Session,
    records: Sequence[ExportRecord],
    *,
    generated_at: datetime,
    authorization: str | None,
    since: date | None,
    until: date | None,
) -> ExportReport:
    """The report over ``records``, read in ``session``."""
    people = _names(
        session,
        PersonRow,
        {r.requested_by for r in records} | {r.approved_by for r in records},
        PersonRow.display_name,
    )
    orgs = _names(
        session,
        OrganisationRow,
        {o for r in records for o in r.organisations},
        OrganisationRow.name,
    )
    events = {
        e.target_id: e
        for e in session.scalars(
            select(EventRow).where(
                EventRow.type == "export.recorded",
                EventRow.target_id.in_([r.id for r in records]),
            )
        )
    }
    lines = tuple(
        ReportLine(
            record_id=r.id,
            released_at=r.released_at,
            resource_id=r.resource_id,
            label_sha256=r.label_sha256,
            content_sha256=r.content_sha256,
            controls=r.controls,
            recipients=tuple(r.nations) + tuple(orgs.get(o, o) for o in r.organisations),
            authorization=r.authorization_number or "not controlled",
            requested_by=people.get(r.requested_by, r.requested_by),
            approved_by=people.get(r.approved_by, r.approved_by),
            retain_until=r.retain_until,
            ledger_leaf=None if r.id not in events else events[r.id].leaf_index,
            ledger_agrees=_agrees(r, events.get(r.id)),
        )
        for r in records
    )
    by_authorization: dict[str, list[ReportLine]] = {}
    for line in lines:
        by_authorization.setdefault(line.authorization, []).append(line)
    totals = tuple(
        AuthorizationTotal(
            authorization=name,
            records=len(group),
            first=min(g.released_at for g in group),
            last=max(g.released_at for g in group),
            retain_until=max(g.retain_until for g in group),
        )
        for name, group in sorted(by_authorization.items())
    )
    return ExportReport(generated_at, authorization, since, until, lines, totals)


# PDF


def _latin(text: str) -> str:
    """The core PDF fonts speak Latin-1; anything else is shown as '?' rather than lost
    silently in a way that changes meaning (ids and hashes are ASCII anyway)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _selection(report: ExportReport) -> str:
    parts = [f"authorization {report.authorization}" if report.authorization else "all"]
    if report.since or report.until:
        parts.append(f"from {report.since or 'the start'} to {report.until or 'today'}")
    return ", ".join(parts)


def report_pdf(report: ExportReport, *, node_name: str) -> bytes:
    """The report as an A4 landscape PDF (fpdf2, core fonts, no external resources)."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title("Caveat export records")
    pdf.set_creator("Caveat")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, "Export records", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    stamp = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    pdf.cell(
        0,
        5,
        _latin(f"Node {node_name} - {_selection(report)} - generated {stamp}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    agree = (
        "Every record matches its ledger event."
        if report.disagreements == 0
        else f"{report.disagreements} record(s) do NOT match the ledger: investigate."
    )
    pdf.cell(0, 5, f"{len(report.lines)} record(s). {agree}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Per authorization", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(col_widths=(60, 20, 45, 45, 40), text_align="LEFT") as table:
        table.row(["Authorization", "Records", "First", "Last", "Retain until"])
        for t in report.totals:
            table.row(
                [
                    _latin(t.authorization),
                    str(t.records),
                    t.first.strftime("%Y-%m-%d %H:%M"),
                    t.last.strftime("%Y-%m-%d %H:%M"),
                    t.retain_until.isoformat(),
                ]
            )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Records", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 7)
    widths = (24, 22, 22, 40, 40, 30, 28, 28, 20, 13)
    with pdf.table(col_widths=widths, text_align="LEFT") as table:
        table.row(
            [
                "Released",
                "Record",
                "Resource",
                "Controls",
                "To",
                "Authorization",
                "Requested by",
                "Approved by",
                "Retain until",
                "Ledger",
            ]
        )
        for line in report.lines:
            leaf = "pending" if line.ledger_leaf is None else f"#{line.ledger_leaf}"
            table.row(
                [
                    line.released_at.strftime("%Y-%m-%d %H:%M"),
                    line.record_id[:8],
                    line.resource_id[:8],
                    _latin(", ".join(line.controls) or "-"),
                    _latin(", ".join(line.recipients)),
                    _latin(line.authorization),
                    _latin(line.requested_by),
                    _latin(line.approved_by),
                    line.retain_until.isoformat(),
                    leaf if line.ledger_agrees else f"{leaf} MISMATCH",
                ]
            )
    return bytes(pdf.output())
