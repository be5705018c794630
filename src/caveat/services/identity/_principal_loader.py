"""Loading a principal behind a bearer credential in two lean queries.

This runs on every request, so it selects columns (no ORM objects, no relationship
loaders): one query joins the credential to its person and organisation, one
fetches citizenships, residencies and roles together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, literal, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import (
    ApiTokenRow,
    OrganisationRow,
    PersonNationRow,
    PersonRoleRow,
    PersonRow,
    SessionRow,
)
from caveat.domain.credentials import digest
from caveat.domain.identity import Clearance, CommonLevel, Person, PersonStatus, Role
from caveat.services.kernel.principal import ALL_SCOPES, Principal, Scope

Queryable = Session | Connection  # both run these column queries

# Plain table columns, not ORM attributes: annotated ORM columns cost a comparison
# storm in SQLAlchemy's result adaptation on every execution of a cached statement.
_p = PersonRow.__table__
_o = OrganisationRow.__table__
_s = SessionRow.__table__
_t = ApiTokenRow.__table__
_n = PersonNationRow.__table__
_r = PersonRoleRow.__table__

CITIZEN = "citizen"
RESIDENT = "resident"

_PERSON = (
    _p.c.id,
    _p.c.username,
    _p.c.display_name,
    _p.c.email,
    _p.c.organisation_id,
    _o.c.name,
    _o.c.nation,
    _p.c.status,
    _p.c.clearance_level,
    _p.c.clearance_name,
    _p.c.clearance_nation,
    _p.c.clearance_expires,
    _p.c.mfa_enrolled_at,
    _p.c.hard_locked,
    _p.c.locked_until,
    _p.c.must_change_password,
    _p.c.created_at,
)
_SESSION = (
    _s.c.id,
    _s.c.revoked_at,
    _s.c.expires_at,
    _s.c.last_seen_at,
    _s.c.mfa_at,
)
_TOKEN = (
    _t.c.id,
    _t.c.revoked_at,
    _t.c.expires_at,
    _t.c.last_used_at,
    _t.c.scopes,
)
CREDENTIAL_COLUMNS = 5  # the person's columns follow the credential's in a lookup row


def _lookup_statement(credential: Any, person_id: Any, token_hash: Any) -> Any:
    return (
        select(*credential, *_PERSON)
        .join(_p, _p.c.id == person_id)
        .join(_o, _o.c.id == _p.c.organisation_id)
        .where(token_hash == bindparam("token_hash"))
    )


# Built once: constructing a statement costs more than running it on this hot path.
_FIND_SESSION = _lookup_statement(_SESSION, _s.c.person_id, _s.c.token_hash)
_FIND_TOKEN = _lookup_statement(_TOKEN, _t.c.person_id, _t.c.token_hash)
_ATTRIBUTES = (
    select(_n.c.nation, _n.c.kind)
    .where(_n.c.person_id == bindparam("person_id"))
    .union_all(select(_r.c.role, literal("role")).where(_r.c.person_id == bindparam("person_id")))
)


def find_session(session: Queryable, token: str) -> Any:
    """(session id, revoked_at, expires_at, last_seen_at, mfa_at, *person) or None."""
    return session.execute(_FIND_SESSION, {"token_hash": digest(token)}).one_or_none()


def find_api_token(session: Queryable, token: str) -> Any:
    """(token id, revoked_at, expires_at, last_used_at, scopes, *person) or None."""
    return session.execute(_FIND_TOKEN, {"token_hash": digest(token)}).one_or_none()


def load_person(session: Queryable, person_id: str, now: datetime) -> Person | None:
    """One person's view by id, in the same two lean queries."""
    row = session.execute(
        select(*_PERSON).join(_o, _o.c.id == _p.c.organisation_id).where(_p.c.id == person_id)
    ).one_or_none()
    return None if row is None else person_from_columns(session, tuple(row), now)


def person_from_columns(session: Queryable, columns: tuple[Any, ...], now: datetime) -> Person:
    """The Person view from the person columns of a lookup plus nations and roles."""
    (
        person_id,
        username,
        display_name,
        email,
        org_id,
        org_name,
        org_nation,
        status,
        level,
        level_name,
        level_nation,
        level_expires,
        mfa_enrolled_at,
        hard_locked,
        locked_until,
        must_change,
        created_at,
    ) = columns
    attributes = session.execute(_ATTRIBUTES, {"person_id": person_id}).all()
    clearance = None
    if level is not None and level_expires is not None:
        clearance = Clearance(
            CommonLevel(level), level_name or "", level_nation or "", level_expires
        )
    return Person(
        id=person_id,
        username=username,
        display_name=display_name,
        email=email,
        organisation_id=org_id,
        organisation_name=org_name,
        organisation_nation=org_nation,
        status=PersonStatus(status),
        roles=tuple(sorted(Role(v) for v, kind in attributes if kind == "role")),
        citizenships=tuple(sorted(v for v, kind in attributes if kind == CITIZEN)),
        residencies=tuple(sorted(v for v, kind in attributes if kind == RESIDENT)),
        clearance=clearance,
        mfa_enrolled_at=mfa_enrolled_at,
        locked=hard_locked or (locked_until is not None and locked_until > now),
        must_change_password=must_change,
        created_at=created_at,
    )


def build_principal(
    session: Queryable,
    lookup: Any,
    now: datetime,
    *,
    mfa_at: datetime | None,
    session_id: str | None = None,
    token_id: str | None = None,
    scopes: frozenset[Scope] = ALL_SCOPES,
) -> Principal:
    """A Principal from a lookup row (credential columns, then person columns)."""
    person = person_from_columns(session, tuple(lookup)[CREDENTIAL_COLUMNS:], now)
    return Principal(
        person=person, mfa_at=mfa_at, session_id=session_id, token_id=token_id, scopes=scopes
    )
