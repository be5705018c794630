"""Which procedure version each laboratory follows in a round.

ISO/IEC 17043 (7.2, 7.4) asks the provider to record the method each participant used
and to report it; it does not refuse a participant whose method differs, because a
deviation is information for the assessment (and often the reason for a poor score).
So a laboratory declares a version of the round's procedure — when it submits, or on its
own — and a version other than the round's is recorded and **flagged** (``deviates``),
shown on the round page and with the scores, and listed in the close's event. A version
of another procedure, or one the caller may not read, is refused as a missing one.

A declaration is a laboratory's act (``proficiency.submit`` on its organisation), while
the round is open; it may be changed until close, each time with a
``proficiency.procedure_declared`` event. Who sees a declaration follows the blindness
rule: the laboratory, the coordinator, and everyone once the round is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.proficiency import (
    ParticipantRow,
    ProcedureVersionRow,
    RoundRow,
)
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.proficiency._access import Viewer, procedure_missing
from caveat.services.proficiency._procedures import readable_version
from caveat.services.proficiency._submissions import Lab


@dataclass(frozen=True, slots=True)
class Declared:
    """A laboratory's declared version: its id and number, and whether it is not the
    round's."""

    version_id: str
    version: int
    deviates: bool


def declare_in(
    uow: UnitOfWork, by: Principal, who: Viewer, round_row: RoundRow, lab: Lab, version_id: str
) -> Declared:
    """Record the laboratory's declaration (the round is open: checked by the caller)."""
    version = readable_version(uow.session, who, version_id)
    expected = uow.session.get(ProcedureVersionRow, round_row.procedure_version_id)
    assert expected is not None
    if version.procedure_id != expected.procedure_id:
        raise procedure_missing(version_id)  # another procedure: not this round's to follow
    participant = uow.session.get(ParticipantRow, (round_row.id, lab.organisation.id))
    assert participant is not None
    deviates = version.id != expected.id
    participant.declared_version_id = version.id
    participant.declared_by = by.person_id
    participant.declared_at = uow.now
    uow.session.flush()
    uow.record(
        "proficiency.procedure_declared",
        by.actor(),
        target_id=round_row.id,
        data={
            "organisation_id": lab.organisation.id,
            "code": lab.code,
            "version_id": version.id,
            "version": version.version,
            "round_version_id": expected.id,
            "round_version": expected.version,
            "deviates": deviates,
        },
    )
    return Declared(version.id, version.version, deviates)


def declarations(session: Session, round_row: RoundRow) -> dict[str, Declared]:
    """Every declaration of the round by organisation id."""
    found = session.execute(
        select(ParticipantRow.organisation_id, ProcedureVersionRow.id, ProcedureVersionRow.version)
        .join(ProcedureVersionRow, ProcedureVersionRow.id == ParticipantRow.declared_version_id)
        .where(ParticipantRow.round_id == round_row.id)
    )
    return {
        org: Declared(vid, number, vid != round_row.procedure_version_id)
        for org, vid, number in found
    }


def summary(session: Session, round_row: RoundRow) -> dict[str, Any]:
    """What the close's event records of the declarations: by code, and which deviate."""
    codes = dict(
        session.execute(
            select(ParticipantRow.organisation_id, ParticipantRow.code).where(
                ParticipantRow.round_id == round_row.id
            )
        ).all()
    )
    made = declarations(session, round_row)
    return {
        "declared": {codes[org]: d.version for org, d in sorted(made.items())},
        "undeclared": sorted(code for org, code in codes.items() if org not in made),
        "deviating": sorted(codes[org] for org, d in made.items() if d.deviates),
    }


def versions_of(session: Session, who: Viewer, round_row: RoundRow) -> list[ProcedureVersionRow]:
    """The versions of the round's procedure the caller may read, newest first."""
    expected = session.get(ProcedureVersionRow, round_row.procedure_version_id)
    assert expected is not None
    return [
        v
        for v in session.scalars(
            select(ProcedureVersionRow)
            .where(ProcedureVersionRow.procedure_id == expected.procedure_id)
            .order_by(ProcedureVersionRow.version.desc())
        )
        if who.may_read(session.get(ResourceRow, v.id))
    ]
