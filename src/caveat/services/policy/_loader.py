"""Reading policy attribute values (subjects, resources) from the database."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.policy import (
    CaveatHoldingRow,
    ProjectMemberRow,
    ResourceGrantRow,
    ResourceRow,
)
from caveat.domain.errors import NotFound
from caveat.domain.export_control import export_from_canonical_json
from caveat.domain.identity import Person, PersonStatus
from caveat.domain.labels import SchemeRegistry, label_from_canonical_json
from caveat.domain.policy import GrantKind, Resource, Subject, make_resource


def subject_of(session: Session, person: Person) -> Subject:
    """The policy subject for ``person``: memberships, grants and caveats from the tables."""
    memberships = {
        project: expiry
        for project, expiry in session.execute(
            select(ProjectMemberRow.project_id, ProjectMemberRow.expires_at).where(
                ProjectMemberRow.person_id == person.id
            )
        )
    }
    grants = {
        (resource, GrantKind(kind)): expiry
        for resource, kind, expiry in session.execute(
            select(
                ResourceGrantRow.resource_id, ResourceGrantRow.kind, ResourceGrantRow.expires_at
            ).where(ResourceGrantRow.person_id == person.id)
        )
    }
    caveats = {
        caveat: expiry
        for caveat, expiry in session.execute(
            select(CaveatHoldingRow.caveat, CaveatHoldingRow.expires_at).where(
                CaveatHoldingRow.person_id == person.id
            )
        )
    }
    return Subject(
        id=person.id,
        username=person.username,
        organisation_id=person.organisation_id,
        organisation_nation=person.organisation_nation,
        active=person.status is PersonStatus.ACTIVE,
        mfa_enrolled=person.mfa_enrolled_at is not None,
        citizenships=frozenset(person.citizenships),
        residencies=frozenset(person.residencies),
        clearance=person.clearance,
        memberships=memberships,
        grants=grants,
        caveats=caveats,
    )


def resource_of(row: ResourceRow, schemes: SchemeRegistry) -> Resource:
    """The policy resource for a catalogue row, its facts derived afresh from the label."""
    label = (
        None
        if row.label_json is None
        else label_from_canonical_json(row.label_json.encode(), schemes=schemes, check_rules=False)
    )
    return make_resource(
        id=row.id,
        project_id=row.project_id,
        kind=row.kind,
        label=label,
        schemes=schemes,
        export=export_from_canonical_json(row.export_json.encode()),
        originator_org_id=row.originator_org_id,
    )


def find_resource(session: Session, ref: str) -> ResourceRow:
    """A catalogue row by id; NotFound otherwise (callers hide existence where needed)."""
    row = session.get(ResourceRow, ref)
    if row is None:
        raise not_found(ref)
    return row


def not_found(ref: str) -> NotFound:
    """The one answer for a missing resource and for one the caller may not discover."""
    return NotFound(f"no resource {ref!r}", code="unknown_resource")


def people_rows(session: Session) -> Sequence[PersonRow]:
    """Every person row (who-can walks them)."""
    return session.scalars(select(PersonRow).order_by(PersonRow.username)).all()
