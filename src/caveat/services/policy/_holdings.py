"""Who holds what: the explicit grants on a resource and the caveats a person is read on
to. Read-only views; the writes live in ``GrantService`` (services/policy/_grants.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.policy import CaveatHoldingRow, ResourceGrantRow
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action
from caveat.services.identity import find_person
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.policy._loader import find_resource, not_found
from caveat.services.policy._service import PolicyService
from caveat.services.projects import project_leads


@dataclass(frozen=True, slots=True)
class GrantView:
    """One explicit grant on a resource."""

    id: str
    person_id: str
    username: str
    kind: str  # access | originator
    granted_at: datetime
    expires_at: datetime | None
    expired: bool


@dataclass(frozen=True, slots=True)
class CaveatView:
    """One caveat a person holds."""

    caveat: str
    granted_at: datetime
    expires_at: datetime | None
    expired: bool


class HoldingsService:
    """Lists grants (officers, programme managers, auditors and the project's leads, of a
    resource they may discover) and caveat holdings (the person's own security officers
    and auditors)."""

    def __init__(self, *, uow: UnitOfWorkFactory, policy: PolicyService) -> None:
        self._uow = uow
        self._policy = policy

    def grants(self, by: Acting, resource: str) -> list[GrantView]:
        """The grants on ``resource``, newest first."""
        with self._uow.read() as session:
            now = self._uow.clock()
            row = find_resource(session, resource)
            if isinstance(by, Principal):
                seen = self._policy.decide_row(session, by, Action.DISCOVER, row, now)
                if not seen.permitted:  # a role never stands in for the policy
                    raise not_found(resource)
            leads = project_leads(session, row.project_id, now)
            authorize(by, Act.GRANT_READ, Target(project_leads=leads), now=now)
            found = session.execute(
                select(ResourceGrantRow, PersonRow.username)
                .join(PersonRow, PersonRow.id == ResourceGrantRow.person_id)
                .where(ResourceGrantRow.resource_id == row.id)
                .order_by(ResourceGrantRow.granted_at.desc(), ResourceGrantRow.id)
            ).all()
            return [
                GrantView(
                    g.id,
                    g.person_id,
                    username,
                    g.kind,
                    g.granted_at,
                    g.expires_at,
                    g.expires_at is not None and g.expires_at <= now,
                )
                for g, username in found
            ]

    def caveats(self, by: Acting, person: str) -> list[CaveatView]:
        """The caveats ``person`` holds, by name."""
        with self._uow.read() as session:
            now = self._uow.clock()
            row = find_person(session, person)
            target = Target(person_id=row.id, organisation_id=row.organisation_id)
            authorize(by, Act.PERSON_CAVEATS_READ, target, now=now)
            held = session.scalars(
                select(CaveatHoldingRow)
                .where(CaveatHoldingRow.person_id == row.id)
                .order_by(CaveatHoldingRow.caveat)
            ).all()
            return [
                CaveatView(
                    h.caveat,
                    h.granted_at,
                    h.expires_at,
                    h.expires_at is not None and h.expires_at <= now,
                )
                for h in held
            ]
