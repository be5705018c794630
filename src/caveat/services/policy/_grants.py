"""Need-to-know on one resource and compartment read-ons: the facts of the policy that
people grant each other.

Two rules bind every method here (docs/threat-model.md, "Who may change what"):

- an explicit grant is made by the project's lead or the grantee's own security officer
  (an originator's permission by the originating organisation's security officer),
  never to oneself, and only on a resource the granter may discover;
- a read-on to a compartment (``SCI:…``, ``SAP:…``, any ``TAG:VALUE`` caveat) takes two
  people: the person's own security officer asks, a *different* security officer of the
  person's organisation approves; both steps are ledger events with the request's id.
  The node's console may read on directly (node operations); that raises a conduct alert.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.policy import (
    CaveatHoldingRow,
    ReadOnRequestRow,
    ResourceGrantRow,
    ResourceRow,
)
from caveat.domain.compliance import require_reason
from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.identity import Role
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action, GrantKind
from caveat.services.identity import ConductAlert, find_person
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.principal import Acting, ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.policy._loader import find_resource, not_found
from caveat.services.policy._received import refuse_received
from caveat.services.policy._service import PolicyService
from caveat.services.projects import project_leads

PENDING, APPROVED, DENIED = "pending", "approved", "denied"


@dataclass(frozen=True, slots=True)
class Grant:
    """An explicit grant on a resource."""

    id: str
    resource_id: str
    person_id: str
    kind: GrantKind
    granted_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReadOnRequest:
    """A request to read a person on to a caveat, and its decision."""

    id: str
    person_id: str
    username: str
    caveat: str
    expires_at: datetime | None
    requested_by: str | None  # None: the node's console
    requested_at: datetime
    reason: str
    status: str  # pending | approved | denied
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str


def _request(row: ReadOnRequestRow, username: str) -> ReadOnRequest:
    return ReadOnRequest(
        row.id,
        row.person_id,
        username,
        row.caveat,
        row.expires_at,
        row.requested_by,
        row.requested_at,
        row.reason,
        row.status,
        row.decided_by,
        row.decided_at,
        row.decision_reason,
    )


def caveat_name(caveat: str) -> str:
    """A caveat a person can be read on to: upper-case ``TAG:VALUE``."""
    caveat = caveat.strip()
    tag, sep, value = caveat.partition(":")
    if not sep or not tag or not value or len(caveat) > 120 or caveat != caveat.upper():
        raise InvalidInput(
            f"{caveat!r} is not TAG:VALUE",
            code="invalid_caveat",
            field="caveat",
            hint="for example SCI:SI-G ABCD",
        )
    return caveat


def _expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(
            "that would already have expired", code="invalid_expiry", field="expires_at"
        )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _person_target(person: PersonRow, *, requested_by: str | None = None) -> Target:
    return Target(
        person_id=person.id,
        beneficiary_id=person.id,
        organisation_id=person.organisation_id,
        requested_by=requested_by,
    )


def _actor_id(by: Acting) -> str | None:
    return None if isinstance(by, ConsoleOperator) else by.person_id


class GrantService:
    """Grants on resources and read-ons to caveats (who grants is the permission table's)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        policy: PolicyService,
        conduct_alert: ConductAlert | None = None,
    ) -> None:
        self._uow = uow
        self._policy = policy
        # Raises a conduct alert in the caller's unit of work (container wires monitoring).
        self.conduct_alert: ConductAlert | None = conduct_alert

    # --- explicit grants on a resource ---------------------------------------------

    def grant(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        resource: str,
        person: str,
        kind: GrantKind,
        expires_at: datetime | None = None,
    ) -> Grant:
        """Grant a person need-to-know (access) or the originator's permission on a resource.

        Access: the project's lead or the grantee's own security officer, never oneself.
        Originator's permission: a security officer of the originating organisation. The
        granter must be able to discover the resource (else it is "not found").
        """
        with self._uow(ctx) as uow:
            row = self._visible_row(uow, by, resource)
            grantee = find_person(uow.session, person)
            target = self._grant_target(uow, row, grantee)
            act = Act.GRANT_ORIGINATOR if kind is GrantKind.ORIGINATOR else Act.GRANT_ACCESS
            authorize(by, act, target, now=uow.now)
            # A grant reaches past the receiving project the node's officers chose, or
            # stands in for the originator's own permission: neither is this node's.
            refuse_received(uow.session, row.id, "grant access to")
            _expiry(expires_at, uow.now)
            taken = uow.session.scalar(
                select(ResourceGrantRow.id).where(
                    ResourceGrantRow.resource_id == row.id,
                    ResourceGrantRow.person_id == grantee.id,
                    ResourceGrantRow.kind == kind.value,
                )
            )
            if taken:
                raise Conflict(
                    f"{grantee.username} already holds that grant", code="duplicate_grant"
                )
            grant = ResourceGrantRow(
                id=str(uuid.uuid4()),
                resource_id=row.id,
                person_id=grantee.id,
                kind=kind.value,
                granted_at=uow.now,
                expires_at=expires_at,
            )
            uow.session.add(grant)
            uow.record(
                "resource.grant_added",
                by.actor(),
                target_id=row.id,
                data={
                    "grant_id": grant.id,
                    "person_id": grantee.id,
                    "kind": kind.value,
                    "expires_at": _iso(expires_at),
                },
            )
            return Grant(grant.id, row.id, grantee.id, kind, uow.now, expires_at)

    def revoke_grant(self, by: Acting, ctx: CallContext, *, resource: str, grant_id: str) -> None:
        """Withdraw a grant; access through it ends now (the lead, the grantee's own
        officer, or an officer of the originating organisation)."""
        with self._uow(ctx) as uow:
            row = self._visible_row(uow, by, resource)
            grant = uow.session.get(ResourceGrantRow, grant_id)
            if grant is None or grant.resource_id != row.id:
                raise NotFound(f"no grant {grant_id!r} on this resource", code="unknown_grant")
            grantee = uow.session.get(PersonRow, grant.person_id)
            assert grantee is not None  # a foreign key
            authorize(by, Act.GRANT_REVOKE, self._grant_target(uow, row, grantee), now=uow.now)
            uow.session.delete(grant)
            uow.record(
                "resource.grant_revoked",
                by.actor(),
                target_id=row.id,
                data={"grant_id": grant.id, "person_id": grant.person_id, "kind": grant.kind},
            )

    def may_grant(self, by: Principal, resource: str) -> bool:
        """Whether ``by`` could grant access on ``resource`` to someone (a lead of its
        project, or a security officer): for pages deciding whether to offer the form."""
        if Role.SECURITY_OFFICER in by.roles:
            return True
        with self._uow.read() as session:
            row = session.get(ResourceRow, resource)
            return row is not None and by.person_id in project_leads(
                session, row.project_id, self._uow.clock()
            )

    @staticmethod
    def _grant_target(uow: UnitOfWork, row: ResourceRow, grantee: PersonRow) -> Target:
        return Target(
            person_id=grantee.id,
            beneficiary_id=grantee.id,
            organisation_id=grantee.organisation_id,
            project_leads=project_leads(uow.session, row.project_id, uow.now),
            originator_org_id=row.originator_org_id,
        )

    def _visible_row(self, uow: UnitOfWork, by: Acting, ref: str) -> ResourceRow:
        row = find_resource(uow.session, ref)
        if isinstance(by, Principal):
            # A role never stands in for the policy: the granter must see it too, and a
            # hidden resource gives the same answer as a missing one.
            decision = self._policy.decide_row(uow.session, by, Action.DISCOVER, row, uow.now)
            if not decision.permitted:
                raise not_found(ref)
        return row

    # --- read-ons: two people ------------------------------------------------------

    def request_readon(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        person: str,
        caveat: str,
        reason: str,
        expires_at: datetime | None = None,
    ) -> ReadOnRequest:
        """Ask for a person to be read on to ``caveat`` (the person's own security
        officer, never for themself); a different officer approves."""
        caveat = caveat_name(caveat)
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = find_person(uow.session, person)
            authorize(by, Act.READON_REQUEST, _person_target(row), now=uow.now)
            _expiry(expires_at, uow.now)
            self._not_held(uow, row, caveat)
            pending = uow.session.scalar(
                select(ReadOnRequestRow.id).where(
                    ReadOnRequestRow.person_id == row.id,
                    ReadOnRequestRow.caveat == caveat,
                    ReadOnRequestRow.status == PENDING,
                )
            )
            if pending:
                raise Conflict(
                    f"a read-on of {row.username} to {caveat} is already waiting ({pending})",
                    code="duplicate_readon",
                )
            request = ReadOnRequestRow(
                id=str(uuid.uuid4()),
                person_id=row.id,
                caveat=caveat,
                expires_at=expires_at,
                requested_by=_actor_id(by),
                requested_at=uow.now,
                reason=reason,
                status=PENDING,
                decision_reason="",
            )
            uow.session.add(request)
            uow.record(
                "person.readon_requested",
                by.actor(),
                target_id=row.id,
                data={
                    "request_id": request.id,
                    "caveat": caveat,
                    "expires_at": _iso(expires_at),
                    "reason": reason,
                },
            )
            return _request(request, row.username)

    def decide_readon(
        self, by: Acting, ctx: CallContext, request_id: str, *, approve: bool, reason: str = ""
    ) -> ReadOnRequest:
        """Approve (the person holds the caveat from now) or deny a pending read-on: a
        security officer of the person's organisation other than who asked, never for
        themself. The console may decide too (a conduct alert)."""
        reason = reason.strip()
        if not approve:
            reason = require_reason(reason)
        with self._uow(ctx) as uow:
            request = uow.session.get(ReadOnRequestRow, request_id)
            if request is None:
                raise NotFound(f"no read-on request {request_id!r}", code="unknown_readon")
            row = uow.session.get(PersonRow, request.person_id)
            assert row is not None  # a foreign key
            target = _person_target(row, requested_by=request.requested_by)
            authorize(by, Act.READON_APPROVE, target, now=uow.now)
            if request.status != PENDING:
                raise Conflict(f"the read-on was already {request.status}", code="readon_decided")
            request.status = APPROVED if approve else DENIED
            request.decided_by, request.decided_at = _actor_id(by), uow.now
            request.decision_reason = reason
            if not approve:
                uow.record(
                    "person.readon_denied",
                    by.actor(),
                    target_id=row.id,
                    data={"request_id": request.id, "caveat": request.caveat, "reason": reason},
                )
                return _request(request, row.username)
            if request.expires_at is not None:
                _expiry(request.expires_at, uow.now)
            self._not_held(uow, row, request.caveat)
            self._hold(uow, by, row, request, approval_reason=reason)
            return _request(request, row.username)

    def grant_caveat(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        person: str,
        caveat: str,
        reason: str,
        expires_at: datetime | None = None,
    ) -> ReadOnRequest:
        """Read a person on directly: asking and approving at once, which only the node's
        console may do (node operations). Recorded as an approved request, and a conduct
        alert is raised. People use :meth:`request_readon` and :meth:`decide_readon`."""
        caveat = caveat_name(caveat)
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = find_person(uow.session, person)
            authorize(by, Act.READON_REQUEST, _person_target(row), now=uow.now)
            target = _person_target(row, requested_by=_actor_id(by))
            authorize(by, Act.READON_APPROVE, target, now=uow.now)
            _expiry(expires_at, uow.now)
            self._not_held(uow, row, caveat)
            request = ReadOnRequestRow(
                id=str(uuid.uuid4()),
                person_id=row.id,
                caveat=caveat,
                expires_at=expires_at,
                requested_by=_actor_id(by),
                requested_at=uow.now,
                reason=reason,
                status=APPROVED,
                decided_by=_actor_id(by),
                decided_at=uow.now,
                decision_reason="read on directly at the node's console",
            )
            uow.session.add(request)
            uow.record(
                "person.readon_requested",
                by.actor(),
                target_id=row.id,
                data={
                    "request_id": request.id,
                    "caveat": caveat,
                    "expires_at": _iso(expires_at),
                    "reason": reason,
                    "direct": True,
                },
            )
            self._hold(uow, by, row, request, approval_reason=request.decision_reason)
            return _request(request, row.username)

    def revoke_caveat(
        self, by: Acting, ctx: CallContext, *, person: str, caveat: str, reason: str
    ) -> None:
        """Read a person off a caveat (their own security officer, or the console)."""
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = find_person(uow.session, person)
            authorize(by, Act.READOFF, _person_target(row), now=uow.now)
            holding = uow.session.get(CaveatHoldingRow, (row.id, caveat))
            if holding is None:
                raise NotFound(f"{row.username} does not hold {caveat}", code="unknown_caveat")
            uow.session.delete(holding)
            uow.record(
                "person.caveat_revoked",
                by.actor(),
                target_id=row.id,
                data={"caveat": caveat, "reason": reason},
            )
            self._alert_if_console(
                uow, by, row, f"the console read {row.username} off {caveat}", reason
            )

    def readon_requests(
        self, by: Acting, *, status: str | None = PENDING, person: str | None = None
    ) -> list[ReadOnRequest]:
        """Read-on requests, oldest first: every one for the console and auditors, those
        of people of their own organisation for security officers."""
        with self._uow.read() as session:
            query = (
                select(ReadOnRequestRow, PersonRow.username, PersonRow.organisation_id)
                .join(PersonRow, PersonRow.id == ReadOnRequestRow.person_id)
                .order_by(ReadOnRequestRow.requested_at, ReadOnRequestRow.id)
            )
            if status is not None:
                query = query.where(ReadOnRequestRow.status == status)
            if person is not None:
                found = find_person(session, person)
                authorize(by, Act.PERSON_CAVEATS_READ, _person_target(found))
                query = query.where(ReadOnRequestRow.person_id == found.id)
            elif isinstance(by, Principal) and Role.AUDITOR not in by.roles:
                own = Target(organisation_id=by.person.organisation_id)
                authorize(by, Act.PERSON_CAVEATS_READ, own)
                query = query.where(PersonRow.organisation_id == by.person.organisation_id)
            return [_request(r, username) for r, username, _ in session.execute(query).all()]

    def may_decide(self, by: Principal, request: ReadOnRequest) -> bool:
        """Whether ``by`` may decide ``request`` (pages offer the buttons accordingly)."""
        with self._uow.read() as session:
            row = session.get(PersonRow, request.person_id)
            if row is None:
                return False
            target = _person_target(row, requested_by=request.requested_by)
        return allowed(by, Act.READON_APPROVE, target, now=self._uow.clock())

    # helpers

    @staticmethod
    def _not_held(uow: UnitOfWork, row: PersonRow, caveat: str) -> None:
        if uow.session.get(CaveatHoldingRow, (row.id, caveat)) is not None:
            raise Conflict(f"{row.username} already holds {caveat}", code="duplicate_caveat")

    def _hold(
        self,
        uow: UnitOfWork,
        by: Acting,
        row: PersonRow,
        request: ReadOnRequestRow,
        *,
        approval_reason: str,
    ) -> None:
        uow.session.add(
            CaveatHoldingRow(
                person_id=row.id,
                caveat=request.caveat,
                granted_at=uow.now,
                expires_at=request.expires_at,
            )
        )
        uow.record(
            "person.caveat_granted",
            by.actor(),
            target_id=row.id,
            data={
                "caveat": request.caveat,
                "expires_at": _iso(request.expires_at),
                "request_id": request.id,
                "requested_by": request.requested_by,
                "reason": request.reason,
                "approval": approval_reason,
            },
        )
        self._alert_if_console(
            uow,
            by,
            row,
            f"the console read {row.username} on to {request.caveat}",
            request.reason,
            request_id=request.id,
        )

    def _alert_if_console(
        self,
        uow: UnitOfWork,
        by: Acting,
        row: PersonRow,
        summary: str,
        reason: str,
        **data: Any,
    ) -> None:
        if isinstance(by, ConsoleOperator) and self.conduct_alert is not None:
            self.conduct_alert(
                uow,
                "operator_changed_person",
                row.id,
                row.username,
                summary,
                {"by": by.name, "reason": reason, **data},
            )


__all__ = ["Grant", "GrantService", "ReadOnRequest", "caveat_name"]
