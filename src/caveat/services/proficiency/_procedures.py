"""Standardized test procedures: versions drafted by anyone in the project, approved by a
programme manager who did not write them (``PROCEDURE`` in domain/lifecycles.py).

Every version is a catalogue resource (kind ``document``) in the procedure's project
under its own label, registered by ``CatalogueService.register_in`` in the same
transaction, so who reads a version is the policy's decision; a change makes a new
version, and approving one supersedes the version approved before it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.proficiency import ProcedureRow, ProcedureVersionRow
from caveat.domain.errors import Conflict, InvalidInput
from caveat.domain.labels import Label
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import PROCEDURE, ProcedureStatus
from caveat.domain.names import clean_name
from caveat.domain.resources import ResourceKind
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.policy import CatalogueService, PolicyService
from caveat.services.proficiency._access import Viewer, label_of, marking, procedure_missing
from caveat.services.proficiency._units import check_unit
from caveat.services.proficiency._views import Procedure, ProcedureDraft, ProcedureVersion
from caveat.services.projects import find_project

MAX_TEXT = 20_000


def _text(value: str, field: str, *, required: bool = False, longest: int = MAX_TEXT) -> str:
    text = value.strip()
    if len(text) > longest or (required and not text):
        need = "1" if required else "0"
        raise InvalidInput(
            f"{field} takes {need} to {longest} characters", code="invalid_input", field=field
        )
    return text


def _person(by: Acting) -> str | None:
    return by.person_id if isinstance(by, Principal) else None


def write_version_in(
    uow: UnitOfWork,
    by: Acting,
    catalogue: CatalogueService,
    procedure: ProcedureRow,
    draft: ProcedureDraft,
    label: Label,
) -> ProcedureVersionRow:
    """A new draft version of ``procedure`` and its catalogue entry (authorized by the
    caller); numbered after the last one."""
    measurand = _text(draft.measurand, "measurand", required=True, longest=300)
    unit = check_unit(draft.unit)
    last = uow.session.scalar(
        select(func.max(ProcedureVersionRow.version)).where(
            ProcedureVersionRow.procedure_id == procedure.id
        )
    )
    number = (last or 0) + 1
    registered = catalogue.register_in(
        uow,
        by,
        project=procedure.project_id,
        kind=ResourceKind.DOCUMENT.value,
        title=f"Test procedure {procedure.name}, version {number}"[:300],
        label=label,
    )
    row = ProcedureVersionRow(
        id=registered.id,
        procedure_id=procedure.id,
        version=number,
        measurand=measurand,
        unit=unit,
        method=_text(draft.method, "method", required=True),
        equipment=_text(draft.equipment, "equipment"),
        acceptance_criteria=_text(draft.acceptance_criteria, "acceptance_criteria"),
        uncertainty_reporting=_text(draft.uncertainty_reporting, "uncertainty_reporting"),
        status=ProcedureStatus.DRAFT.value,
        created_by=_person(by),
        created_at=uow.now,
        approved_by=None,
        approved_at=None,
    )
    uow.session.add(row)
    uow.session.flush()
    return row


def create_in(
    uow: UnitOfWork,
    by: Acting,
    catalogue: CatalogueService,
    *,
    project: str,
    name: str,
    draft: ProcedureDraft,
    label: Label,
) -> tuple[ProcedureRow, ProcedureVersionRow]:
    """A new procedure of ``project`` with its first (draft) version, and its event."""
    name = clean_name(name, field="name", what="a procedure name", shortest=2, longest=200)
    project_row = find_project(uow.session, project)
    clash = uow.session.scalar(
        select(ProcedureRow.id).where(
            ProcedureRow.project_id == project_row.id, ProcedureRow.name == name
        )
    )
    if clash is not None:
        raise Conflict(
            f"the project has a procedure called {name!r}; add a version to it instead",
            code="duplicate_procedure",
            field="name",
        )
    procedure = ProcedureRow(
        id=str(uuid.uuid4()),
        project_id=project_row.id,
        name=name,
        created_by=_person(by),
        created_at=uow.now,
    )
    uow.session.add(procedure)
    uow.session.flush()
    version = write_version_in(uow, by, catalogue, procedure, draft, label)
    uow.record(
        "proficiency.procedure_created",
        by.actor(),
        target_id=procedure.id,
        data={
            "project_id": project_row.id,
            "name": name,
            "version_id": version.id,
            "measurand": version.measurand,
            "unit": version.unit,
        },
    )
    return procedure, version


def approve_in(uow: UnitOfWork, by: Acting, version: ProcedureVersionRow) -> list[str]:
    """Approve a draft version (the caller is authorized) and supersede the version
    approved before it; the superseded ids."""
    require_move(
        PROCEDURE, "approve", ProcedureStatus(version.status), subject=f"version {version.version}"
    )
    earlier = list(
        uow.session.scalars(
            select(ProcedureVersionRow).where(
                ProcedureVersionRow.procedure_id == version.procedure_id,
                ProcedureVersionRow.status == ProcedureStatus.APPROVED.value,
            )
        )
    )
    for old in earlier:
        require_move(PROCEDURE, "supersede", ProcedureStatus(old.status))
        old.status = ProcedureStatus.SUPERSEDED.value
    version.status = ProcedureStatus.APPROVED.value
    version.approved_by = _person(by)
    version.approved_at = uow.now
    uow.record(
        "proficiency.procedure_approved",
        by.actor(),
        target_id=version.procedure_id,
        data={
            "version_id": version.id,
            "version": version.version,
            "supersedes": [old.id for old in earlier],
        },
    )
    return [old.id for old in earlier]


def readable_version(session: Session, who: Viewer, version_id: str) -> ProcedureVersionRow:
    """A version the caller may read (the policy's decision); else not found."""
    row = session.get(ProcedureVersionRow, version_id)
    if row is None or not who.may_read(session.get(ResourceRow, row.id)):
        raise procedure_missing(version_id)
    return row


def _usernames(session: Session, ids: set[str | None]) -> dict[str, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(
        session.execute(
            select(PersonRow.id, PersonRow.username).where(PersonRow.id.in_(wanted))
        ).all()
    )


def version_view(
    session: Session, row: ProcedureVersionRow, policy: PolicyService
) -> ProcedureVersion:
    """One version as handed out."""
    procedure = session.get(ProcedureRow, row.procedure_id)
    resource = session.get(ResourceRow, row.id)
    assert procedure is not None
    assert resource is not None
    names = _usernames(session, {row.created_by, row.approved_by})
    label = label_of(resource, policy)
    return ProcedureVersion(
        id=row.id,
        procedure_id=row.procedure_id,
        procedure=procedure.name,
        version=row.version,
        status=row.status,
        measurand=row.measurand,
        unit=row.unit,
        method=row.method,
        equipment=row.equipment,
        acceptance_criteria=row.acceptance_criteria,
        uncertainty_reporting=row.uncertainty_reporting,
        label=label,
        marking=marking(label, policy),
        created_by=names.get(row.created_by or ""),
        created_at=row.created_at,
        approved_by=names.get(row.approved_by or ""),
        approved_at=row.approved_at,
    )


def procedure_views(
    session: Session, who: Viewer, *, project_id: str | None = None, procedure_id: str | None = None
) -> list[Procedure]:
    """The procedures of the caller's projects with the versions they may read (newest
    first); a procedure none of whose versions they may read is left out."""
    query = select(ProcedureRow).order_by(ProcedureRow.name, ProcedureRow.id)
    if project_id is not None:
        query = query.where(ProcedureRow.project_id == project_id)
    if procedure_id is not None:
        query = query.where(ProcedureRow.id == procedure_id)
    out = []
    for procedure in session.scalars(query):
        if not who.member_of(procedure.project_id):
            continue
        versions = [
            version_view(session, v, who.policy)
            for v in session.scalars(
                select(ProcedureVersionRow)
                .where(ProcedureVersionRow.procedure_id == procedure.id)
                .order_by(ProcedureVersionRow.version.desc())
            )
            if who.may_read(session.get(ResourceRow, v.id))
        ]
        if versions:
            out.append(
                Procedure(procedure.id, procedure.project_id, procedure.name, tuple(versions))
            )
    return out
