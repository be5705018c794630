"""Export authorizations (DSP-5/73/85, TAA, MLA, EAR licences and exceptions, national
licences) and the database-backed ``ExportAuthorizations`` source of requirement 7.

An authorization is in force on a day when it is ``active`` and the day lies within
its validity (inclusive). Its end users are organisations, nations or named people;
its machine-checkable provisos (highest classification, no retransfer) are enforced
where a release names it (``services/compliance/_releases.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.compliance import (
    AuthorizationEntryRow,
    AuthorizationRecipientRow,
    AuthorizationRow,
)
from caveat.domain.compliance import (
    AuthorizationType,
    check_authorization,
    control_entries,
    nations,
    require_dates,
    require_reason,
)
from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import AUTHORIZATION, AuthorizationStatus
from caveat.domain.permissions import Act
from caveat.domain.policy import AuthorizationTerms
from caveat.services.identity import find_person
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.generations import GenerationCache
from caveat.services.kernel.principal import Acting
from caveat.services.kernel.records import (
    find_organisation,
    new_id,
    require_level,
)
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory

ACTIVE = AuthorizationStatus.ACTIVE.value  # the one status in force (by its dates)


@dataclass(frozen=True, slots=True)
class AuthorizationDraft:
    """An authorization as recorded by an export control officer."""

    type: str
    jurisdiction: str
    number: str
    entries: tuple[str, ...]
    valid_from: date
    valid_to: date | None
    organisations: tuple[str, ...] = ()  # ids or names
    nations: tuple[str, ...] = ()
    people: tuple[str, ...] = ()  # ids or usernames
    max_level: int | None = None  # proviso: highest classification
    no_retransfer: bool = False  # proviso
    provisos: str = ""


@dataclass(frozen=True, slots=True)
class Authorization:
    """An authorization as services hand it out."""

    id: str
    type: str
    jurisdiction: str
    number: str
    status: str  # active | suspended | revoked | expired | not_yet_valid (on today)
    valid_from: date
    valid_to: date | None
    entries: tuple[str, ...]
    organisations: tuple[str, ...]
    nations: tuple[str, ...]
    people: tuple[str, ...]
    max_level: int | None
    no_retransfer: bool
    provisos: str
    updated_at: datetime


def effective_status(row: AuthorizationRow, today: date) -> str:
    """The stored status, or expired / not yet valid by the dates."""
    if row.status != ACTIVE:
        return row.status
    if today < row.valid_from:
        return "not_yet_valid"
    if row.valid_to is not None and today > row.valid_to:
        return "expired"
    return ACTIVE


def find_authorization(session: Session, ref: str) -> AuthorizationRow:
    """An authorization by id or number."""
    rows = session.scalars(
        select(AuthorizationRow).where(
            or_(AuthorizationRow.id == ref, AuthorizationRow.number == ref)
        )
    ).all()
    if len(rows) > 1:
        raise InvalidInput(
            f"{len(rows)} authorizations are numbered {ref!r}; use the id",
            code="ambiguous_authorization",
        )
    if not rows:
        raise NotFound(f"no export authorization {ref!r}", code="unknown_authorization")
    return rows[0]


def authorization_view(session: Session, row: AuthorizationRow, today: date) -> Authorization:
    """The service view of a row."""
    entries = session.scalars(
        select(AuthorizationEntryRow.entry)
        .where(AuthorizationEntryRow.authorization_id == row.id)
        .order_by(AuthorizationEntryRow.entry)
    ).all()
    recipients = session.execute(
        select(AuthorizationRecipientRow.kind, AuthorizationRecipientRow.ref).where(
            AuthorizationRecipientRow.authorization_id == row.id
        )
    ).all()

    def of(kind: str) -> tuple[str, ...]:
        return tuple(sorted(r for k, r in recipients if k == kind))

    return Authorization(
        id=row.id,
        type=row.type,
        jurisdiction=row.jurisdiction,
        number=row.number,
        status=effective_status(row, today),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        entries=tuple(entries),
        organisations=of("organisation"),
        nations=of("nation"),
        people=of("person"),
        max_level=row.max_common_level,
        no_retransfer=row.no_retransfer,
        provisos=row.provisos,
        updated_at=row.updated_at,
    )


class AuthorizationService:
    """Export control officers record authorizations and change their status."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def create(self, by: Acting, ctx: CallContext, draft: AuthorizationDraft) -> Authorization:
        """Record an authorization; it is in force from ``valid_from``."""
        authorize(by, Act.AUTHORIZATION_WRITE)
        try:
            kind = AuthorizationType(draft.type)
        except ValueError:
            raise InvalidInput(
                f"unknown authorization type {draft.type!r}",
                code="invalid_authorization",
                field="type",
                hint=", ".join(t.value for t in AuthorizationType),
            ) from None
        entries = control_entries(draft.entries)
        number = draft.number.strip()
        check_authorization(kind, draft.jurisdiction, number, entries)
        if draft.max_level is not None:
            require_level(draft.max_level)
        if not (draft.organisations or draft.nations or draft.people):
            raise InvalidInput(
                "an authorization names its end users (organisations, nations or people)",
                code="authorization_end_users_required",
                field="organisations",
            )
        with self._uow(ctx) as uow:
            require_dates(
                draft.valid_from, draft.valid_to, what="authorization", today=uow.now.date()
            )
            if uow.session.scalar(
                select(AuthorizationRow.id).where(
                    AuthorizationRow.jurisdiction == draft.jurisdiction,
                    AuthorizationRow.number == number,
                )
            ):
                raise Conflict(
                    f"{draft.jurisdiction} authorization {number} is already recorded",
                    code="duplicate_authorization",
                    field="number",
                )
            orgs = sorted({find_organisation(uow.session, o).id for o in draft.organisations})
            people = sorted({find_person(uow.session, p).id for p in draft.people})
            row = AuthorizationRow(
                id=new_id(),
                type=kind.value,
                jurisdiction=draft.jurisdiction,
                number=number,
                status=AUTHORIZATION.initial.value,
                valid_from=draft.valid_from,
                valid_to=draft.valid_to,
                max_common_level=draft.max_level,
                no_retransfer=draft.no_retransfer,
                provisos=draft.provisos.strip(),
                created_at=uow.now,
                updated_at=uow.now,
            )
            uow.session.add(row)
            uow.session.flush()
            uow.session.add_all(
                [AuthorizationEntryRow(authorization_id=row.id, entry=e) for e in entries]
                + [
                    AuthorizationRecipientRow(authorization_id=row.id, kind="organisation", ref=o)
                    for o in orgs
                ]
                + [
                    AuthorizationRecipientRow(authorization_id=row.id, kind="nation", ref=n)
                    for n in nations(draft.nations)
                ]
                + [
                    AuthorizationRecipientRow(authorization_id=row.id, kind="person", ref=p)
                    for p in people
                ]
            )
            uow.session.flush()
            view = authorization_view(uow.session, row, uow.now.date())
            uow.record(
                "authorization.created",
                by.actor(),
                target_id=row.id,
                data={
                    "type": view.type,
                    "jurisdiction": view.jurisdiction,
                    "number": view.number,
                    "entries": list(view.entries),
                    "organisations": list(view.organisations),
                    "nations": list(view.nations),
                    "people": list(view.people),
                    "valid_from": view.valid_from.isoformat(),
                    "valid_to": None if view.valid_to is None else view.valid_to.isoformat(),
                    "max_level": view.max_level,
                    "no_retransfer": view.no_retransfer,
                    "provisos": view.provisos,
                },
            )
            return view

    def move(
        self, by: Acting, ctx: CallContext, ref: str, verb: str, *, reason: str
    ) -> Authorization:
        """suspend | reinstate | revoke, effective immediately."""
        move = AUTHORIZATION.find(verb)
        if move is None:
            authorize(by, Act.AUTHORIZATION_WRITE)
            raise InvalidInput(
                f"unknown authorization action {verb!r}",
                code="invalid_authorization_action",
                hint=", ".join(AUTHORIZATION.verbs),
            )
        authorize(by, move.act)
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = find_authorization(uow.session, ref)
            current = AuthorizationStatus(row.status)
            require_move(AUTHORIZATION, verb, current, subject=f"authorization {row.number}")
            previous, row.status, row.updated_at = row.status, move.to.value, uow.now
            uow.record(
                "authorization.status_changed",
                by.actor(),
                target_id=row.id,
                data={"from": previous, "to": move.to.value, "reason": reason},
            )
            return authorization_view(uow.session, row, uow.now.date())

    def list_authorizations(self, by: Acting) -> list[Authorization]:
        """Every authorization (export control officers, security officers, auditors)."""
        authorize(by, Act.AUTHORIZATION_READ)
        with self._uow.read() as session:
            today = self._uow.clock().date()
            rows = session.scalars(
                select(AuthorizationRow).order_by(
                    AuthorizationRow.jurisdiction, AuthorizationRow.number
                )
            ).all()
            return [authorization_view(session, r, today) for r in rows]

    def get(self, by: Acting, ref: str) -> Authorization:
        """One authorization."""
        authorize(by, Act.AUTHORIZATION_READ)
        with self._uow.read() as session:
            return authorization_view(
                session, find_authorization(session, ref), self._uow.clock().date()
            )


def authorizations_in_force(
    session: Session, *, person_id: str, organisation_id: str, nations: frozenset[str], on: date
) -> list[AuthorizationTerms]:
    """The terms of active authorizations valid on ``on`` naming the person, org or nations."""
    refs = [person_id, organisation_id, *sorted(nations)]
    ids = session.scalars(
        select(AuthorizationRow.id)
        .join(
            AuthorizationRecipientRow,
            AuthorizationRecipientRow.authorization_id == AuthorizationRow.id,
        )
        .where(
            AuthorizationRecipientRow.ref.in_(refs),
            or_(
                (AuthorizationRecipientRow.kind == "person")
                & (AuthorizationRecipientRow.ref == person_id),
                (AuthorizationRecipientRow.kind == "organisation")
                & (AuthorizationRecipientRow.ref == organisation_id),
                (AuthorizationRecipientRow.kind == "nation")
                & AuthorizationRecipientRow.ref.in_(sorted(nations) or [""]),
            ),
            AuthorizationRow.status == ACTIVE,
            AuthorizationRow.valid_from <= on,
            or_(AuthorizationRow.valid_to.is_(None), AuthorizationRow.valid_to >= on),
        )
        .distinct()
    ).all()
    if not ids:
        return []
    entries: dict[str, set[str]] = {i: set() for i in ids}
    numbers = {
        i: n
        for i, n in session.execute(
            select(AuthorizationRow.id, AuthorizationRow.number).where(AuthorizationRow.id.in_(ids))
        )
    }
    for authorization_id, entry in session.execute(
        select(AuthorizationEntryRow.authorization_id, AuthorizationEntryRow.entry).where(
            AuthorizationEntryRow.authorization_id.in_(ids)
        )
    ):
        entries[authorization_id].add(entry)
    return [
        AuthorizationTerms(id=i, name=numbers[i], entries=frozenset(entries[i]))
        for i in sorted(ids)
    ]


class DbAuthorizations:
    """Requirement 7's source: the database, through a generation-checked cache."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._cache: GenerationCache[tuple[AuthorizationTerms, ...]] = GenerationCache(
            uow, "authorizations"
        )

    def in_force(
        self, *, person_id: str, organisation_id: str, nations: frozenset[str], on: date
    ) -> Sequence[AuthorizationTerms]:
        return self._cache.get(
            (person_id, organisation_id, nations, on),
            lambda session: tuple(
                authorizations_in_force(
                    session,
                    person_id=person_id,
                    organisation_id=organisation_id,
                    nations=nations,
                    on=on,
                )
            ),
        )
