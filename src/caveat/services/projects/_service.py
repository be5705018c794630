"""Projects and their members: the need-to-know half of the policy (requirement 5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.policy import ProjectMemberRow, ProjectRow
from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.identity import ProjectRole
from caveat.domain.names import clean_name, look_alike
from caveat.domain.permissions import Act, Target
from caveat.services.identity import find_person
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.lookup import by_reference
from caveat.services.kernel.principal import Acting
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class Project:
    """A project as services hand it out."""

    id: str
    name: str
    programme: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A project member, their role in the project and until when."""

    person_id: str
    username: str
    added_at: datetime
    expires_at: datetime | None
    role: str = ProjectRole.MEMBER.value


def project_view(row: ProjectRow) -> Project:
    """A project as services hand it out."""
    return Project(row.id, row.name, row.programme, row.created_at)


def find_project(session: Session, ref: str) -> ProjectRow:
    """A project by id or exact name; NotFound otherwise."""
    row = by_reference(session, ProjectRow, ref, ProjectRow.name)
    if row is None:
        raise NotFound(
            f"no project {ref!r}",
            code="unknown_project",
            hint="list projects with `caveat policy project list`",
        )
    return row


def project_leads(session: Session, project_id: str, now: datetime) -> frozenset[str]:
    """The person ids of the project's current leads (who grant its need-to-know)."""
    return frozenset(
        session.scalars(
            select(ProjectMemberRow.person_id).where(
                ProjectMemberRow.project_id == project_id,
                ProjectMemberRow.role == ProjectRole.LEAD.value,
                or_(ProjectMemberRow.expires_at.is_(None), ProjectMemberRow.expires_at > now),
            )
        )
    )


def need_to_know_target(
    session: Session, project_id: str, person: PersonRow, now: datetime
) -> Target:
    """The facts the need-to-know rules read: the project's leads, and the person who
    gains (or loses) access with their organisation (whose security officer may act)."""
    return Target(
        person_id=person.id,
        beneficiary_id=person.id,
        organisation_id=person.organisation_id,
        project_leads=project_leads(session, project_id, now),
    )


def create_project_in(uow: UnitOfWork, by: Acting, *, name: str) -> ProjectRow:
    """Inside ``uow``: a new project row and its event (the caller authorized it). A new
    project has no members: the lead's own security officer adds the lead."""
    name = clean_name(name, field="name", what="a project name", shortest=2, longest=200)
    clash = look_alike(name, uow.session.scalars(select(ProjectRow.name)))
    if clash == name:
        raise Conflict(f"a project called {name!r} exists", code="duplicate_project", field="name")
    if clash is not None:
        raise Conflict(
            f"{name!r} could be mistaken for the project {clash!r}",
            code="confusable_name",
            field="name",
            hint="choose a name that reads differently",
        )
    row = ProjectRow(id=str(uuid.uuid4()), name=name, programme=None, created_at=uow.now)
    uow.session.add(row)
    uow.record("project.created", by.actor(), target_id=row.id, data={"name": name})
    return row


class ProjectService:
    """Creates projects (programme managers, security officers) and manages their members:
    need-to-know is granted by the project's lead or the person's own security officer,
    never to oneself; anyone may leave a project."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def create_project(self, by: Acting, ctx: CallContext, *, name: str) -> Project:
        """Create a project outside any programme; names are unique. (A project in a
        programme is created by ``ProgrammeService.create_project``.)"""
        authorize(by, Act.PROJECT_CREATE)
        with self._uow(ctx) as uow:
            return project_view(create_project_in(uow, by, name=name))

    def list_projects(self) -> list[Project]:
        """Every project, by name (names and programmes are not labelled information)."""
        with self._uow.read() as session:
            return [
                project_view(r)
                for r in session.scalars(select(ProjectRow).order_by(ProjectRow.name))
            ]

    def projects_of(self, person_id: str, *, now: datetime | None = None) -> list[Project]:
        """The projects a person is a current member of, by name (the dashboard's list)."""
        when = now or self._uow.clock()
        with self._uow.read() as session:
            rows = session.scalars(
                select(ProjectRow)
                .join(ProjectMemberRow, ProjectMemberRow.project_id == ProjectRow.id)
                .where(
                    ProjectMemberRow.person_id == person_id,
                    or_(ProjectMemberRow.expires_at.is_(None), ProjectMemberRow.expires_at > when),
                )
                .order_by(ProjectRow.name)
            )
            return [project_view(r) for r in rows]

    def get_project(self, ref: str) -> Project:
        """One project by id or name."""
        with self._uow.read() as session:
            return project_view(find_project(session, ref))

    def members(self, ref: str) -> list[Member]:
        """The members of a project, by username."""
        with self._uow.read() as session:
            project = find_project(session, ref)
            rows = session.execute(
                select(ProjectMemberRow, PersonRow.username)
                .join(PersonRow, PersonRow.id == ProjectMemberRow.person_id)
                .where(ProjectMemberRow.project_id == project.id)
                .order_by(PersonRow.username)
            ).all()
            return [
                Member(m.person_id, username, m.added_at, m.expires_at, m.role)
                for m, username in rows
            ]

    def add_member(
        self,
        by: Acting,
        ctx: CallContext,
        project: str,
        person: str,
        *,
        expires_at: datetime | None = None,
        role: ProjectRole | str = ProjectRole.MEMBER,
    ) -> Member:
        """Add a person to a project (need-to-know), optionally until ``expires_at``."""
        role = _project_role(role)
        with self._uow(ctx) as uow:
            project_row = find_project(uow.session, project)
            person_row = find_person(uow.session, person)
            target = need_to_know_target(uow.session, project_row.id, person_row, uow.now)
            authorize(by, Act.PROJECT_MEMBER_ADD, target, now=uow.now)
            _require_future(expires_at, uow.now)
            existing = uow.session.scalar(
                select(ProjectMemberRow).where(
                    ProjectMemberRow.project_id == project_row.id,
                    ProjectMemberRow.person_id == person_row.id,
                )
            )
            if existing is not None:
                raise Conflict(
                    f"{person_row.username} is already a member of {project_row.name}",
                    code="duplicate_member",
                )
            row = ProjectMemberRow(
                project_id=project_row.id,
                person_id=person_row.id,
                added_at=uow.now,
                expires_at=expires_at,
                role=role.value,
            )
            uow.session.add(row)
            uow.record(
                "project.member_added",
                by.actor(),
                target_id=project_row.id,
                data={
                    "person_id": person_row.id,
                    "expires_at": None if expires_at is None else expires_at.isoformat(),
                    "role": role.value,
                },
            )
            return Member(person_row.id, person_row.username, row.added_at, expires_at, role.value)

    def update_member(
        self,
        by: Acting,
        ctx: CallContext,
        project: str,
        person: str,
        *,
        role: ProjectRole | str | None = None,
        expires_at: datetime | None = None,
        open_ended: bool = False,
    ) -> Member:
        """Change a member's role or end date (``open_ended`` removes the end date)."""
        new_role = None if role is None else _project_role(role)
        if open_ended and expires_at is not None:
            raise InvalidInput(
                "give an end date or open_ended, not both",
                code="invalid_expiry",
                field="expires_at",
            )
        with self._uow(ctx) as uow:
            project_row = find_project(uow.session, project)
            person_row = find_person(uow.session, person)
            target = need_to_know_target(uow.session, project_row.id, person_row, uow.now)
            authorize(by, Act.PROJECT_MEMBER_UPDATE, target, now=uow.now)
            _require_future(expires_at, uow.now)
            row = self._membership(uow, project_row, person_row)
            if new_role is not None:
                row.role = new_role.value
            if open_ended:
                row.expires_at = None
            elif expires_at is not None:
                row.expires_at = expires_at
            uow.record(
                "project.member_updated",
                by.actor(),
                target_id=project_row.id,
                data={
                    "person_id": person_row.id,
                    "role": row.role,
                    "expires_at": None if row.expires_at is None else row.expires_at.isoformat(),
                },
            )
            return Member(
                person_row.id, person_row.username, row.added_at, row.expires_at, row.role
            )

    @staticmethod
    def _membership(
        uow: UnitOfWork, project_row: ProjectRow, person_row: PersonRow
    ) -> ProjectMemberRow:
        row = uow.session.scalar(
            select(ProjectMemberRow).where(
                ProjectMemberRow.project_id == project_row.id,
                ProjectMemberRow.person_id == person_row.id,
            )
        )
        if row is None:
            raise NotFound(
                f"{person_row.username} is not a member of {project_row.name}",
                code="unknown_member",
            )
        return row

    def remove_member(self, by: Acting, ctx: CallContext, project: str, person: str) -> None:
        """Remove a person from a project; their need-to-know through it ends now. The
        lead, the person's own security officer, or the person (leaving) may."""
        with self._uow(ctx) as uow:
            project_row = find_project(uow.session, project)
            person_row = find_person(uow.session, person)
            target = need_to_know_target(uow.session, project_row.id, person_row, uow.now)
            authorize(by, Act.PROJECT_MEMBER_REMOVE, target, now=uow.now)
            row = self._membership(uow, project_row, person_row)
            uow.session.delete(row)
            uow.record(
                "project.member_removed",
                by.actor(),
                target_id=project_row.id,
                data={"person_id": person_row.id},
            )


def _project_role(value: ProjectRole | str) -> ProjectRole:
    try:
        return ProjectRole(value)
    except ValueError:
        raise InvalidInput(
            f"unknown project role {value!r}",
            code="invalid_project_role",
            field="role",
            hint="one of " + ", ".join(r.value for r in ProjectRole),
        ) from None


def _require_future(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(
            "the membership would already have expired", code="invalid_expiry", field="expires_at"
        )
