"""Channel rows: creating one, finding one a reader may see, and its scope's projects.

A channel is seen by the current members of its project, or of any project of its
programme (need-to-know, as the policy reads it); anyone else gets the "not found" of a
channel that does not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.channels import ChannelRow
from caveat.adapters.db.models.compliance import ProgrammeProjectRow
from caveat.domain.channels import Retention
from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.names import clean_name
from caveat.services.compliance import find_programme
from caveat.services.kernel.lookup import by_reference
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.projects import find_project

MAX_DESCRIPTION = 4000


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What the service keeps of a channel while it serves readers (no session needed)."""

    id: str
    name: str
    description: str
    project_id: str | None
    programme_id: str | None
    retention: Retention
    created_at: datetime


def info_of(row: ChannelRow) -> ChannelInfo:
    return ChannelInfo(
        id=row.id,
        name=row.name,
        description=row.description,
        project_id=row.project_id,
        programme_id=row.programme_id,
        retention=Retention.of(row.max_messages, row.max_age_seconds),
        created_at=row.created_at,
    )


def not_found(ref: str) -> NotFound:
    """The one answer for a missing channel and for one the caller may not see."""
    return NotFound(f"no channel {ref!r}", code="unknown_channel")


def scope_projects(session: Session, row: ChannelRow) -> frozenset[str]:
    """The projects whose members read the channel."""
    if row.project_id is not None:
        return frozenset({row.project_id})
    return frozenset(
        session.scalars(
            select(ProgrammeProjectRow.project_id).where(
                ProgrammeProjectRow.programme_id == row.programme_id
            )
        )
    )


def find_row(session: Session, ref: str) -> ChannelRow:
    """A channel by id or name (NotFound otherwise; callers then check who may see it)."""
    row = by_reference(session, ChannelRow, ref, ChannelRow.name)
    if row is None:
        raise not_found(ref)
    return row


def visible_rows(session: Session, projects: frozenset[str]) -> list[ChannelRow]:
    """The channels of these projects and of the programmes they belong to, by name."""
    if not projects:
        return []
    programmes = select(ProgrammeProjectRow.programme_id).where(
        ProgrammeProjectRow.project_id.in_(sorted(projects))
    )
    return list(
        session.scalars(
            select(ChannelRow)
            .where(
                or_(
                    ChannelRow.project_id.in_(sorted(projects)),
                    ChannelRow.programme_id.in_(programmes),
                )
            )
            .order_by(ChannelRow.name, ChannelRow.id)
        )
    )


def create_in(
    uow: UnitOfWork,
    by: Acting,
    *,
    name: str,
    description: str,
    project: str | None,
    programme: str | None,
    retention: Retention,
) -> ChannelRow:
    """A new channel of ``project`` or ``programme`` (exactly one) and its event."""
    name = clean_name(name, field="name", what="a channel name", shortest=1, longest=200)
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"a description has at most {MAX_DESCRIPTION} characters",
            code="invalid_input",
            field="description",
        )
    if (project is None) == (programme is None):
        raise InvalidInput(
            "a channel belongs to one project or one programme",
            code="channel_scope_required",
            field="project",
            hint="give --project or --programme, not both",
        )
    session = uow.session
    project_id = None if project is None else find_project(session, project).id
    programme_id = None if programme is None else find_programme(session, programme).id
    taken = session.scalar(select(ChannelRow.id).where(ChannelRow.name == name))
    if taken is not None:
        raise Conflict(f"a channel named {name!r} exists", code="channel_name_taken", field="name")
    row = ChannelRow(
        id=str(uuid.uuid4()),
        name=name,
        description=description,
        project_id=project_id,
        programme_id=programme_id,
        max_messages=retention.max_messages,
        max_age_seconds=retention.max_age_seconds,
        created_by=by.person_id if isinstance(by, Principal) else None,
        created_at=uow.now,
    )
    session.add(row)
    uow.record(
        "channel.created",
        by.actor(),
        target_id=row.id,
        data={
            "name": name,
            "project_id": project_id,
            "programme_id": programme_id,
            "max_messages": retention.max_messages,
            "max_age_seconds": retention.max_age_seconds,
        },
    )
    return row
