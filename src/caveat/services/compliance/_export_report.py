"""The export-records report: records with the people and organisations named, totals per
authorization, and each record checked against its ledger event.

22 CFR 122.5 asks for records an inspector can read; the CSV serves spreadsheets, this
report serves people (the web page, and the PDF an adapter draws behind
``ports.ReportRenderer``). A record whose ``export.recorded`` event is missing or says
something else is flagged: the report and the ledger must agree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import EventRow, OrganisationRow, PersonRow
from caveat.domain.compliance.export_report import ExportReport, ReportLine, totals_of


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
    titles: dict[str, str] | None = None,
) -> ExportReport:
    """The report over ``records``, read in ``session``; ``titles``: the titles of the
    resources the reader may discover (the others stay unnamed)."""
    titles = titles or {}
    people = _names(
        session,
        PersonRow,
        {r.requested_by for r in records} | {r.approved_by for r in records},
        PersonRow.display_name,
    )
    # A release to an organisation reads as one: the label's REL TO can name only its
    # nation, the record names the organisation.
    orgs = {
        org_id: f"{name} (organisation, {nation})"
        for org_id, name, nation in session.execute(
            select(OrganisationRow.id, OrganisationRow.name, OrganisationRow.nation).where(
                OrganisationRow.id.in_(sorted({o for r in records for o in r.organisations}))
            )
        ).all()
    }
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
            resource_title=titles.get(r.resource_id),
            destinations=tuple(r.nations) + tuple(r.organisations),
            requested_by_id=r.requested_by,
            approved_by_id=r.approved_by,
        )
        for r in records
    )
    return ExportReport(generated_at, authorization, since, until, lines, totals_of(lines))
