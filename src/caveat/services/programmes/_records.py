"""The recorded entries of a programme: funding lines and capacity-building activities.

``ProgrammeService`` records both and sums the funding, but does not list them; the web
pages show them line by line (who, when, in which currency). Like the programme itself,
these are not labelled information, so reading them needs no role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from caveat.adapters.db.models.compliance import CapacityActivityRow, FundingEntryRow
from caveat.domain.compliance import format_minor
from caveat.services.compliance import find_programme
from caveat.services.kernel.uow import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class FundingEntry:
    """One commitment or contribution of a participating organisation."""

    id: str
    organisation_id: str
    kind: str
    amount: str
    currency: str
    on: date
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Activity:
    """A training course or an exchange placement."""

    id: str
    kind: str
    title: str
    person_id: str | None
    host_org_id: str
    location: str
    starts_on: date
    ends_on: date


class ProgrammeRecords:
    """Lists what ``ProgrammeService`` recorded for a programme."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def funding_entries(self, programme: str) -> list[FundingEntry]:
        """Every funding line, oldest first by date."""
        with self._uow.read() as session:
            prog = find_programme(session, programme)
            rows = session.scalars(
                select(FundingEntryRow)
                .where(FundingEntryRow.programme_id == prog.id)
                .order_by(FundingEntryRow.entry_date, FundingEntryRow.created_at)
            )
            return [
                FundingEntry(
                    r.id,
                    r.organisation_id,
                    r.kind,
                    format_minor(r.amount_minor),
                    r.currency,
                    r.entry_date,
                    r.note,
                    r.created_at,
                )
                for r in rows
            ]

    def activities(self, programme: str) -> list[Activity]:
        """Courses and placements, by start date."""
        with self._uow.read() as session:
            prog = find_programme(session, programme)
            rows = session.scalars(
                select(CapacityActivityRow)
                .where(CapacityActivityRow.programme_id == prog.id)
                .order_by(CapacityActivityRow.starts_on, CapacityActivityRow.title)
            )
            return [
                Activity(
                    r.id,
                    r.kind,
                    r.title,
                    r.person_id,
                    r.host_org_id,
                    r.location,
                    r.starts_on,
                    r.ends_on,
                )
                for r in rows
            ]
