"""Programmes: projects grouped under a joint effort, participating organisations with
roles and work shares, joint funding, capacity building, and visits of foreign
nationals (approved by the host's security officer before the temporary membership
they grant)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from caveat.adapters.db.models.compliance import (
    CapacityActivityRow,
    FundingEntryRow,
    ProgrammeParticipantRow,
    ProgrammeProjectRow,
    ProgrammeRow,
    VisitRequestRow,
)
from caveat.adapters.db.models.policy import ProjectMemberRow, ProjectRow
from caveat.domain.compliance import (
    ActivityKind,
    FundingKind,
    ProgrammeRole,
    amount_minor,
    format_minor,
    require_dates,
    require_reason,
    work_share_bp,
)
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.domain.identity import ProjectRole, Role
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import VISIT, VisitStatus
from caveat.domain.names import clean_name, look_alike
from caveat.domain.permissions import Act, Target
from caveat.services.compliance import find_programme
from caveat.services.identity import find_person
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, ConsoleOperator, Principal
from caveat.services.kernel.records import (
    actor_id,
    find_organisation,
    new_id,
    require_text,
)
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.notifications import notify
from caveat.services.projects import Project, create_project_in, find_project, project_view

MANAGERS = (Role.PROGRAMME_MANAGER,)  # who runs programmes (Act.PROGRAMME_MANAGE)


@dataclass(frozen=True, slots=True)
class Programme:
    """A programme with its projects and participants."""

    id: str
    name: str
    description: str
    projects: tuple[str, ...]
    participants: tuple[dict[str, Any], ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Visit:
    """A visit request."""

    id: str
    person_id: str
    host_org_id: str
    project_id: str
    purpose: str
    starts_on: date
    ends_on: date
    status: str
    decided_by: str | None
    reason: str
    requested_by: str | None  # None: asked for at the console


def _visit(row: VisitRequestRow) -> Visit:
    return Visit(
        row.id,
        row.person_id,
        row.host_org_id,
        row.project_id,
        row.purpose,
        row.starts_on,
        row.ends_on,
        row.status,
        row.decided_by,
        row.reason,
        row.requested_by,
    )


def visit_target(visit: Visit) -> Target:
    """The facts ``Act.VISIT_DECIDE`` reads: the host organisation, the visitor, who asked."""
    return Target(
        person_id=visit.person_id,
        beneficiary_id=visit.person_id,
        organisation_id=visit.host_org_id,
        requested_by=visit.requested_by,
    )


def visit_decision_refusal(
    by: Acting, visit: Visit, *, now: datetime | None = None
) -> PermissionDenied | None:
    """Why ``by`` may not decide ``visit``, or None: only a security officer of the host
    organisation decides, and never a visit they make or asked for. The web asks this
    before it offers the decision form; ``decide_visit`` raises it."""
    try:
        authorize(by, Act.VISIT_DECIDE, visit_target(visit), now=now)
    except PermissionDenied as refusal:
        return refusal
    return None


def _tell_visit_decided(uow: UnitOfWork, row: VisitRequestRow, *, approved: bool) -> None:
    """The visitor and whoever asked for the visit learn the decision, in the deciding
    transaction. Both see the visit already (``visits``); the text names its dates only."""
    outcome = "approved" if approved else "refused"
    notify(
        uow,
        [row.person_id, row.requested_by],
        f"visit.{outcome}",
        f"The visit request V-{row.id[:8]} ({row.starts_on} to {row.ends_on}) was {outcome}.",
        link="/visits",
        subject_id=row.id,
    )


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` (UTC): a visit's membership lapses then."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


class ProgrammeService:
    """Programme managers run programmes; host security officers decide visits."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def create(
        self, by: Acting, ctx: CallContext, *, name: str, description: str = ""
    ) -> Programme:
        """A new programme; names are unique."""
        authorize(by, Act.PROGRAMME_MANAGE)
        name = clean_name(name, field="name", what="a programme name", shortest=2, longest=200)
        with self._uow(ctx) as uow:
            clash = look_alike(name, uow.session.scalars(select(ProgrammeRow.name)))
            if clash == name:
                raise Conflict(
                    f"a programme called {name!r} exists", code="duplicate_programme", field="name"
                )
            if clash is not None:
                raise Conflict(
                    f"{name!r} could be mistaken for the programme {clash!r}",
                    code="confusable_name",
                    field="name",
                    hint="choose a name that reads differently",
                )
            row = ProgrammeRow(
                id=new_id(), name=name, description=description.strip(), created_at=uow.now
            )
            uow.session.add(row)
            uow.record("programme.created", by.actor(), target_id=row.id, data={"name": name})
            return Programme(row.id, name, row.description, (), (), row.created_at)

    def add_project(self, by: Acting, ctx: CallContext, programme: str, project: str) -> None:
        """Put a project in a programme (a project is in at most one)."""
        authorize(by, Act.PROGRAMME_MANAGE)
        with self._uow(ctx) as uow:
            prog = find_programme(uow.session, programme)
            self._link(uow, by, prog, find_project(uow.session, project))

    def create_project(self, by: Acting, ctx: CallContext, programme: str, name: str) -> Project:
        """A new project in the programme: both records in one transaction, so a refusal
        leaves no project outside the programme behind."""
        authorize(by, Act.PROGRAMME_MANAGE)
        authorize(by, Act.PROJECT_CREATE)
        with self._uow(ctx) as uow:
            prog = find_programme(uow.session, programme)
            row = create_project_in(uow, by, name=name)
            uow.session.flush()
            self._link(uow, by, prog, row)
            return project_view(row)

    @staticmethod
    def _link(uow: UnitOfWork, by: Acting, prog: ProgrammeRow, proj: ProjectRow) -> None:
        """The link and the project's copy of the programme's name, with the event."""
        if uow.session.scalar(
            select(ProgrammeProjectRow.programme_id).where(
                ProgrammeProjectRow.project_id == proj.id
            )
        ):
            raise Conflict(
                f"project {proj.name} already belongs to a programme",
                code="project_in_programme",
            )
        uow.session.add(ProgrammeProjectRow(programme_id=prog.id, project_id=proj.id))
        proj.programme = prog.name
        uow.record(
            "programme.project_added",
            by.actor(),
            target_id=prog.id,
            data={"project_id": proj.id},
        )

    def set_participant(
        self,
        by: Acting,
        ctx: CallContext,
        programme: str,
        organisation: str,
        *,
        role: str,
        work_share: str | None = None,
    ) -> None:
        """Add or update a participating organisation's role and work share (percent)."""
        authorize(by, Act.PROGRAMME_MANAGE)
        try:
            kind = ProgrammeRole(role)
        except ValueError:
            raise InvalidInput(
                f"unknown programme role {role!r}",
                code="invalid_programme_role",
                field="role",
                hint=", ".join(r.value for r in ProgrammeRole),
            ) from None
        share = work_share_bp(work_share)
        with self._uow(ctx) as uow:
            prog = find_programme(uow.session, programme)
            org = find_organisation(uow.session, organisation)
            rows = {
                r.organisation_id: r
                for r in uow.session.scalars(
                    select(ProgrammeParticipantRow).where(
                        ProgrammeParticipantRow.programme_id == prog.id
                    )
                )
            }
            if kind is ProgrammeRole.LEAD and any(
                r.role == ProgrammeRole.LEAD.value and o != org.id for o, r in rows.items()
            ):
                raise Conflict("the programme already has a lead", code="duplicate_lead")
            row = rows.get(org.id) or ProgrammeParticipantRow(
                programme_id=prog.id, organisation_id=org.id
            )
            row.role, row.work_share_bp = kind.value, share
            rows[org.id] = row
            total = sum(r.work_share_bp or 0 for r in rows.values())
            if total > 10000:
                raise InvalidInput(
                    f"work shares would add up to {total / 100:.2f} %",
                    code="invalid_work_share",
                    field="work_share",
                )
            uow.session.add(row)
            uow.record(
                "programme.participant_set",
                by.actor(),
                target_id=prog.id,
                data={"organisation_id": org.id, "role": kind.value, "work_share_bp": share},
            )

    def record_funding(
        self,
        by: Acting,
        ctx: CallContext,
        programme: str,
        organisation: str,
        *,
        kind: str,
        amount: str,
        currency: str,
        on: date,
        note: str = "",
    ) -> str:
        """A commitment or contribution of a participating organisation."""
        authorize(by, Act.PROGRAMME_MANAGE)
        try:
            funding = FundingKind(kind)
        except ValueError:
            raise InvalidInput(
                f"funding is a commitment or a contribution, not {kind!r}",
                code="invalid_funding_kind",
                field="kind",
            ) from None
        minor = amount_minor(amount, currency)
        with self._uow(ctx) as uow:
            prog = find_programme(uow.session, programme)
            org = find_organisation(uow.session, organisation)
            if uow.session.get(ProgrammeParticipantRow, (prog.id, org.id)) is None:
                raise InvalidInput(
                    f"{org.name} does not take part in {prog.name}",
                    code="not_a_participant",
                    field="organisation",
                )
            row = FundingEntryRow(
                id=new_id(),
                programme_id=prog.id,
                organisation_id=org.id,
                kind=funding.value,
                amount_minor=minor,
                currency=currency,
                entry_date=on,
                note=note.strip(),
                created_at=uow.now,
            )
            uow.session.add(row)
            uow.record(
                "programme.funding_recorded",
                by.actor(),
                target_id=prog.id,
                data={
                    "organisation_id": org.id,
                    "kind": funding.value,
                    "amount": format_minor(minor),
                    "currency": currency,
                    "date": on.isoformat(),
                },
            )
            return row.id

    def funding_summary(self, programme: str) -> list[dict[str, Any]]:
        """Per partner and currency: committed, contributed, outstanding, and work share."""
        with self._uow.read() as session:
            prog = find_programme(session, programme)
            parts = {
                r.organisation_id: r
                for r in session.scalars(
                    select(ProgrammeParticipantRow).where(
                        ProgrammeParticipantRow.programme_id == prog.id
                    )
                )
            }
            sums: dict[tuple[str, str], dict[str, int]] = defaultdict(
                lambda: {"commitment": 0, "contribution": 0}
            )
            for row in session.scalars(
                select(FundingEntryRow).where(FundingEntryRow.programme_id == prog.id)
            ):
                sums[(row.organisation_id, row.currency)][row.kind] += row.amount_minor
            totals: dict[str, int] = defaultdict(int)
            for (_, currency), s in sums.items():
                totals[currency] += s["commitment"]
            out = []
            for (org, currency), s in sorted(sums.items()):
                share = parts[org].work_share_bp if org in parts else None
                committed = s["commitment"]
                out.append(
                    {
                        "organisation_id": org,
                        "role": parts[org].role if org in parts else None,
                        "currency": currency,
                        "committed": format_minor(committed),
                        "contributed": format_minor(s["contribution"]),
                        "outstanding": format_minor(max(0, committed - s["contribution"])),
                        "funding_share_percent": (
                            round(100 * committed / totals[currency], 2) if totals[currency] else 0
                        ),
                        "work_share_percent": None if share is None else share / 100,
                    }
                )
            return out

    def add_activity(
        self,
        by: Acting,
        ctx: CallContext,
        programme: str,
        *,
        kind: str,
        title: str,
        host: str,
        starts_on: date,
        ends_on: date,
        person: str | None = None,
        location: str = "",
    ) -> str:
        """A training course or an exchange placement (who, where, when, host)."""
        authorize(by, Act.PROGRAMME_MANAGE)
        try:
            activity = ActivityKind(kind)
        except ValueError:
            raise InvalidInput(
                f"capacity building is a course or a placement, not {kind!r}",
                code="invalid_activity_kind",
                field="kind",
            ) from None
        if activity is ActivityKind.PLACEMENT and person is None:
            raise InvalidInput(
                "a placement names its person", code="person_required", field="person"
            )
        require_dates(starts_on, ends_on, what="activity")
        with self._uow(ctx) as uow:
            prog = find_programme(uow.session, programme)
            row = CapacityActivityRow(
                id=new_id(),
                programme_id=prog.id,
                kind=activity.value,
                title=require_text(title, field="title"),
                person_id=None if person is None else find_person(uow.session, person).id,
                host_org_id=find_organisation(uow.session, host).id,
                location=location.strip()[:200],
                starts_on=starts_on,
                ends_on=ends_on,
                created_at=uow.now,
            )
            uow.session.add(row)
            uow.record(
                "programme.activity_added",
                by.actor(),
                target_id=prog.id,
                data={
                    "activity_id": row.id,
                    "kind": row.kind,
                    "title": row.title,
                    "person_id": row.person_id,
                    "host_org_id": row.host_org_id,
                    "starts_on": starts_on.isoformat(),
                    "ends_on": ends_on.isoformat(),
                },
            )
            return row.id

    def get(self, programme: str) -> Programme:
        """A programme with projects and participants."""
        with self._uow.read() as session:
            prog = find_programme(session, programme)
            return self._view(session, prog)

    def list_programmes(self) -> list[Programme]:
        """Every programme (names and membership are not labelled information)."""
        with self._uow.read() as session:
            return [
                self._view(session, p)
                for p in session.scalars(select(ProgrammeRow).order_by(ProgrammeRow.name))
            ]

    @staticmethod
    def _view(session: Any, prog: ProgrammeRow) -> Programme:
        projects = session.scalars(
            select(ProgrammeProjectRow.project_id).where(
                ProgrammeProjectRow.programme_id == prog.id
            )
        ).all()
        parts = session.scalars(
            select(ProgrammeParticipantRow).where(ProgrammeParticipantRow.programme_id == prog.id)
        ).all()
        return Programme(
            prog.id,
            prog.name,
            prog.description,
            tuple(sorted(projects)),
            tuple(
                {
                    "organisation_id": p.organisation_id,
                    "role": p.role,
                    "work_share_percent": None
                    if p.work_share_bp is None
                    else p.work_share_bp / 100,
                }
                for p in sorted(parts, key=lambda p: p.organisation_id)
            ),
            prog.created_at,
        )

    # visits

    def request_visit(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        person: str,
        host: str,
        project: str,
        purpose: str,
        starts_on: date,
        ends_on: date,
    ) -> Visit:
        """Ask for a foreign national's visit to a host lab (the visitor or a programme manager)."""
        with self._uow(ctx) as uow:
            visitor = find_person(uow.session, person)
            if not (isinstance(by, Principal) and by.person_id == visitor.id):
                target = Target(person_id=visitor.id, organisation_id=visitor.organisation_id)
                authorize(by, Act.VISIT_REQUEST_FOR_OTHERS, target, now=uow.now)
            host_org = find_organisation(uow.session, host)
            proj = find_project(uow.session, project)
            require_dates(starts_on, ends_on, what="visit", today=uow.now.date())
            if visitor.organisation_id == host_org.id:
                raise InvalidInput(
                    "a visit is to another organisation", code="invalid_visit", field="host"
                )
            row = VisitRequestRow(
                id=new_id(),
                person_id=visitor.id,
                host_org_id=host_org.id,
                project_id=proj.id,
                purpose=require_text(purpose, field="purpose", low=3, high=2000),
                starts_on=starts_on,
                ends_on=ends_on,
                status=VISIT.initial.value,
                requested_by=actor_id(by),
                requested_at=uow.now,
                reason="",
            )
            uow.session.add(row)
            uow.record(
                "visit.requested",
                by.actor(),
                target_id=row.id,
                data={
                    "person_id": visitor.id,
                    "host_org_id": host_org.id,
                    "project_id": proj.id,
                    "starts_on": starts_on.isoformat(),
                    "ends_on": ends_on.isoformat(),
                },
            )
            return _visit(row)

    def decide_visit(
        self, by: Acting, ctx: CallContext, visit_id: str, *, approve: bool, reason: str
    ) -> Visit:
        """The host's security officer approves (temporary membership until the last day)
        or denies; nobody decides their own visit."""
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = uow.session.get(VisitRequestRow, visit_id)
            if row is None:
                raise NotFound(f"no visit request {visit_id!r}", code="unknown_visit")
            move = VISIT.transition("approve" if approve else "deny")
            authorize(by, move.act, visit_target(_visit(row)), now=uow.now)
            require_move(VISIT, move.verb, VisitStatus(row.status), subject=f"visit {row.id}")
            if approve and row.ends_on < uow.now.date():
                raise InvalidInput("the visit is over", code="expired_dates", field="ends_on")
            row.status = move.to.value
            row.decided_by, row.decided_at, row.reason = actor_id(by), uow.now, reason
            uow.record(
                "visit.decided",
                by.actor(),
                target_id=row.id,
                data={"approved": approve, "reason": reason},
            )
            _tell_visit_decided(uow, row, approved=approve)
            if approve:
                self._grant_membership(uow, by, row)
            return _visit(row)

    @staticmethod
    def _grant_membership(uow: Any, by: Acting, row: VisitRequestRow) -> None:
        expires = _end_of(row.ends_on)
        member = uow.session.scalar(
            select(ProjectMemberRow).where(
                ProjectMemberRow.project_id == row.project_id,
                ProjectMemberRow.person_id == row.person_id,
            )
        )
        if member is not None:
            if member.expires_at is None or member.expires_at >= expires:
                return  # already a member for at least as long
            member.expires_at = expires
        else:
            uow.session.add(
                ProjectMemberRow(
                    project_id=row.project_id,
                    person_id=row.person_id,
                    added_at=uow.now,
                    expires_at=expires,
                    role=ProjectRole.VISITOR.value,
                )
            )
        uow.record(
            "project.member_added",
            by.actor(),
            target_id=row.project_id,
            data={"person_id": row.person_id, "expires_at": expires.isoformat(), "visit": row.id},
        )

    def visits(self, by: Acting) -> list[Visit]:
        """Visits the caller may see: their own, their organisation's (officers), all (managers)."""
        with self._uow.read() as session:
            rows = session.scalars(select(VisitRequestRow).order_by(VisitRequestRow.requested_at))
            out = []
            for r in rows:
                everything = isinstance(by, ConsoleOperator) or Role.PROGRAMME_MANAGER in by.roles
                host_officer = (
                    isinstance(by, Principal)
                    and Role.SECURITY_OFFICER in by.roles
                    and r.host_org_id == by.person.organisation_id
                )
                mine = isinstance(by, Principal) and r.person_id == by.person_id
                if everything or host_officer or mine:
                    out.append(_visit(r))
            return out
