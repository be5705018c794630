"""The recorded entries of a programme: funding lines and capacity-building activities.

``ProgrammeService`` records both and sums the funding, but does not list them; the web
pages show them line by line (who, when, in which currency). Like the programme itself,
these are not labelled information, so reading them needs no role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from caveat.adapters.db.models.compliance import (
    CapacityActivityRow,
    FundingEntryRow,
    ProgrammeRow,
)
from caveat.adapters.db.models.core import OrganisationRow
from caveat.domain.compliance import FundingKind, format_minor
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
class NationFunding:
    """What the partners of one nation committed and contributed to one programme, in
    one currency (decimal strings, and the same in minor units for charts)."""

    programme_id: str
    programme: str
    nation: str
    currency: str
    committed: str
    contributed: str
    committed_minor: int
    contributed_minor: int


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

    def funding_by_nation(self) -> list[NationFunding]:
        """Every programme's funding per partner nation and currency, summed by the
        database in one query (by programme name, then currency and nation)."""
        amount = func.sum(FundingEntryRow.amount_minor)
        query = (
            select(
                ProgrammeRow.id,
                ProgrammeRow.name,
                OrganisationRow.nation,
                FundingEntryRow.currency,
                FundingEntryRow.kind,
                amount,
            )
            .join(ProgrammeRow, ProgrammeRow.id == FundingEntryRow.programme_id)
            .join(OrganisationRow, OrganisationRow.id == FundingEntryRow.organisation_id)
            .group_by(
                ProgrammeRow.id,
                ProgrammeRow.name,
                OrganisationRow.nation,
                FundingEntryRow.currency,
                FundingEntryRow.kind,
            )
        )
        sums: dict[tuple[str, str, str, str], dict[str, int]] = {}
        with self._uow.read() as session:
            for pid, name, nation, currency, kind, total in session.execute(query):
                key = (name, currency, nation, pid)
                sums.setdefault(key, dict.fromkeys(FundingKind, 0))[kind] = int(total)
        return [
            NationFunding(
                pid,
                name,
                nation,
                currency,
                format_minor(s[FundingKind.COMMITMENT]),
                format_minor(s[FundingKind.CONTRIBUTION]),
                s[FundingKind.COMMITMENT],
                s[FundingKind.CONTRIBUTION],
            )
            for (name, currency, nation, pid), s in sorted(sums.items())
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
