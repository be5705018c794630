"""API tokens for scripts: scoped, expiring, revocable, shown once, stored hashed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from caveat.adapters.db.models import ApiTokenRow
from caveat.domain.credentials import TokenKind, digest, new_token
from caveat.domain.errors import InvalidInput, NotFound, PermissionDenied
from caveat.domain.permissions import Act, Target
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Principal, Scope
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory

MAX_LIFETIME = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """What is known about a token after it was issued (never the secret)."""

    id: str
    name: str
    scopes: tuple[Scope, ...]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: ``secret`` is shown once and then only its hash exists."""

    token: ApiToken
    secret: str


def _view(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        scopes=tuple(Scope(s) for s in row.scopes.split()),
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


class TokenService:
    """Issue, list and revoke a person's API tokens."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def create(
        self,
        by: Principal,
        ctx: CallContext,
        *,
        name: str,
        scopes: Iterable[Scope],
        lifetime: timedelta,
    ) -> IssuedToken:
        """Issue a token with ``scopes`` (a subset of the caller's) for ``lifetime``.
        Tokens trace back to a session with a fresh second factor, never to another token."""
        authorize(by, Act.TOKEN_CREATE, Target(person_id=by.person_id), now=self._uow.clock())
        wanted = frozenset(scopes)
        if not wanted:
            raise InvalidInput("a token needs at least one scope", code="no_scope", field="scopes")
        if not wanted <= by.scopes:
            raise PermissionDenied(
                "a token cannot hold scopes its creator lacks", code="scope_missing"
            )
        if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
            raise InvalidInput(
                "a token lives between one minute and 365 days",
                code="invalid_lifetime",
                field="expires_in_days",
            )
        name = name.strip()
        if not 1 <= len(name) <= 100:
            raise InvalidInput(
                "a token name needs 1 to 100 characters", code="invalid_name", field="name"
            )
        secret = new_token(TokenKind.API)
        with self._uow(ctx) as uow:
            row = ApiTokenRow(
                id=str(uuid.uuid4()),
                token_hash=digest(secret),
                person_id=by.person_id,
                name=name,
                scopes=" ".join(sorted(s.value for s in wanted)),
                created_at=uow.now,
                expires_at=uow.now + lifetime,
            )
            uow.session.add(row)
            uow.record(
                "token.created",
                by.actor(),
                target_id=row.id,
                data={
                    "name": name,
                    "scopes": sorted(s.value for s in wanted),
                    "expires_at": row.expires_at.isoformat(),
                },
            )
            return IssuedToken(_view(row), secret)

    def list(self, by: Principal) -> list[ApiToken]:
        """The caller's tokens, newest first."""
        with self._uow.read() as session:
            rows = session.scalars(
                select(ApiTokenRow)
                .where(ApiTokenRow.person_id == by.person_id)
                .order_by(ApiTokenRow.created_at.desc())
            )
            return [_view(r) for r in rows]

    def revoke(self, by: Principal, ctx: CallContext, token_id: str) -> ApiToken:
        """Revoke one of the caller's tokens (revoking twice is harmless), from a session
        with a fresh second factor."""
        authorize(by, Act.TOKEN_REVOKE, Target(person_id=by.person_id), now=self._uow.clock())
        with self._uow(ctx) as uow:
            row = uow.session.get(ApiTokenRow, token_id)
            if row is None or row.person_id != by.person_id:
                # 404 for others' tokens too: their existence is not the caller's business.
                raise NotFound(f"no API token {token_id!r}", code="unknown_token")
            if row.revoked_at is None:
                row.revoked_at = uow.now
                uow.record("token.revoked", by.actor(), target_id=row.id, data={"name": row.name})
            return _view(row)
