"""Sign-in with password and a second factor, sessions, and bearer authentication.

Failures are written down before they are reported: the failure counter, lockout
and the ``auth.login`` event commit in their own unit of work, then the error is
raised, so a failed attempt is never lost with a rolled-back transaction.
"""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from caveat.adapters.db.models import (
    AddressThrottleRow,
    ApiTokenRow,
    LoginNameThrottleRow,
    PersonRow,
    RecoveryCodeRow,
    SessionRow,
)
from caveat.domain.credentials import (
    PasswordHashing,
    TokenKind,
    TotpRejected,
    digest,
    looks_like_recovery_code,
    new_token,
    new_totp_secret,
    normalise_recovery_code,
    totp_uri,
    verify_totp,
)
from caveat.domain.errors import AuthenticationFailed, Conflict, InvalidInput, Throttled
from caveat.domain.events import Actor, ActorKind, Outcome
from caveat.domain.identity import PersonStatus
from caveat.domain.passwords import check_password
from caveat.domain.permissions import Act, Target
from caveat.domain.sealing import UnsealFailed, seal, unseal
from caveat.domain.throttle import ThrottlePolicy
from caveat.services.identity._people import (
    Person,
    person_view,
    replace_recovery_codes,
    revoke_sessions,
)
from caveat.services.identity._principal_loader import build_principal, find_api_token, find_session
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.principal import Acting, Principal, Scope
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory

# One message for every credential failure: which part was wrong is not revealed.
T = TypeVar("T")
_BAD_CREDENTIALS = "the username, password or one-time code is wrong"
# Writes to last-seen/last-used are coalesced so that reads stay reads.
_TOUCH_INTERVAL = timedelta(seconds=60)
_ENROLMENT_TTL = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Idle and absolute lifetimes of a sign-in session (ASVS 3.3)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new session: the bearer token is shown once and stored only as a hash."""

    token: str
    session_id: str
    person: Person
    expires_at: datetime
    idle_timeout: timedelta
    mfa_at: datetime


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    """A TOTP seed waiting for confirmation; ``ticket`` carries it sealed to the person."""

    secret: str
    uri: str
    ticket: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class _StoredCredentials:
    id: str
    password_hash: str


class AuthService:
    """Sign-in, sign-out, credential changes and resolution of bearer tokens."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        hashing: PasswordHashing,
        secret_key: Callable[[], bytes],
        issuer: str,
        throttle: ThrottlePolicy,
        sessions: SessionPolicy,
    ) -> None:
        self._uow = uow
        self._hashing = hashing
        self._secret_key = secret_key
        self._issuer = issuer
        self._throttle = throttle
        self._sessions = sessions

    # --- sign-in ------------------------------------------------------------------

    def login(self, ctx: CallContext, *, username: str, password: str, otp: str) -> IssuedSession:
        """Check password and TOTP (or a recovery code) and open a session.

        The Argon2 hash runs outside any transaction: the write that follows is short, so
        concurrent sign-ins never hold the embedded database's one write lock for a hash.
        """
        found = self._stored_credentials(ctx, username)
        # Always hash, also for unknown users, so timing does not reveal who exists.
        password_ok = self._hashing.verify(found.password_hash if found else None, password)
        rehashed = None
        if found is not None and self._hashing.needs_rehash(found.password_hash):
            # A hash made at an older (cheaper) cost verifies faster than the dummy an
            # unknown name is checked against: pay the current cost too, so the two
            # cannot be told apart by time.
            self._hashing.verify(None, password)
            if password_ok:
                rehashed = self._hashing.hash(password)
        failure: Exception | None = None
        with self._uow(ctx) as uow:
            self._check_address(uow)
            # Locked for the rest of this short write: parallel failures must each count
            # (PostgreSQL would otherwise let them overwrite one another).
            row = (
                uow.session.get(PersonRow, found.id, with_for_update={"of": PersonRow})
                if found is not None
                else None
            )
            if row is not None and found is not None and row.password_hash != found.password_hash:
                password_ok = False  # changed while we hashed: the old one no longer counts
            if row is None:
                failure = self._fail_unknown_name(uow, username)
            elif _is_locked(row.hard_locked, row.locked_until, uow.now):
                failure = _locked_error(row.hard_locked, row.locked_until, uow.now)
                self._note_address_failure(uow)
                uow.record(
                    "auth.login",
                    Actor.anonymous(),
                    target_id=row.id,
                    outcome=Outcome.FAILURE,
                    data={"username": username, "reason": "locked"},
                )
            elif not password_ok:
                failure = self._fail(uow, row, username, "bad_password")
            else:
                second = self._check_second_factor(uow, row, otp)
                if second is not None:
                    failure = self._fail(uow, row, username, second)
                elif row.status != PersonStatus.ACTIVE.value:
                    failure = AuthenticationFailed(
                        "this account is suspended",
                        code="account_suspended",
                        hint="ask your security officer",
                    )
                    uow.record(
                        "auth.login",
                        Actor.anonymous(),
                        target_id=row.id,
                        outcome=Outcome.FAILURE,
                        data={"username": username, "reason": "suspended"},
                    )
                else:
                    if rehashed is not None:
                        row.password_hash = rehashed
                    return self._open_session(uow, row)
        assert failure is not None
        raise failure

    def _stored_credentials(self, ctx: CallContext, username: str) -> _StoredCredentials | None:
        """The account's id and password hash, read without the write lock; an address
        already throttled is refused here, before any hashing work."""
        with self._uow.read() as session:
            address = ctx.client_address
            throttle = session.get(AddressThrottleRow, address) if address else None
            if throttle is not None and _is_locked(False, throttle.locked_until, self._uow.clock()):
                raise _address_throttled(throttle.locked_until, self._uow.clock())
            found = session.execute(
                select(PersonRow.id, PersonRow.password_hash).where(PersonRow.username == username)
            ).first()
        return None if found is None else _StoredCredentials(found.id, found.password_hash)

    def _name_key(self, username: str) -> str:
        return hmac.new(
            self._secret_key(), b"login-name\0" + username.encode(), "sha256"
        ).hexdigest()

    def _fail_unknown_name(self, uow: UnitOfWork, username: str) -> Exception:
        """A failed sign-in under a username no account has: counted and locked exactly as
        an account's failures are, so that neither the answer nor its timing tells which
        usernames exist."""
        key = self._name_key(username)
        row = _row_for_update(
            uow,
            LoginNameThrottleRow,
            key,
            lambda: LoginNameThrottleRow(
                name_hash=key, failures=0, hard_locked=False, updated_at=uow.now
            ),
        )
        self._note_address_failure(uow)
        if _is_locked(row.hard_locked, row.locked_until, uow.now):
            reason = "locked"
            failure: Exception = _locked_error(row.hard_locked, row.locked_until, uow.now)
        else:
            reason = "unknown_user"
            row.failures = self._throttle.remembered(row.failures, row.updated_at, uow.now) + 1
            row.updated_at = uow.now
            if self._throttle.is_hard_lock(row.failures):
                row.hard_locked = True
            else:
                row.locked_until = self._throttle.locked_until(row.failures, uow.now)
            failure = AuthenticationFailed(_BAD_CREDENTIALS, code="bad_credentials")
        uow.record(
            "auth.login",
            Actor.anonymous(),
            target_id=None,
            outcome=Outcome.FAILURE,
            # Never the typed name: it is sometimes a password typed in the wrong box.
            data={"name_hmac": key[:16], "reason": reason, "failed_logins": row.failures},
        )
        return failure

    def _check_address(self, uow: UnitOfWork) -> None:
        address = uow.ctx.client_address
        if address is None:
            return
        row = uow.session.get(AddressThrottleRow, address)
        if row is not None and _is_locked(False, row.locked_until, uow.now):
            raise _address_throttled(row.locked_until, uow.now)

    def _note_address_failure(self, uow: UnitOfWork) -> None:
        address = uow.ctx.client_address
        if address is None:
            return
        row = _row_for_update(
            uow,
            AddressThrottleRow,
            address,
            lambda: AddressThrottleRow(address=address, failures=0, updated_at=uow.now),
        )
        if row.failures and uow.now - row.updated_at > self._throttle.forget_after:
            row.failures = 0
        row.failures += 1
        row.updated_at = uow.now
        until = self._throttle.address_locked_until(row.failures, uow.now)
        if until is not None and row.failures == self._throttle.address_threshold:
            uow.record(
                "auth.address_locked",
                Actor.anonymous(),
                target_id=address,
                outcome=Outcome.DENIED,
                data={"failures": row.failures, "until": until.isoformat()},
            )
        row.locked_until = until

    def _fail(
        self,
        uow: UnitOfWork,
        row: PersonRow | None,
        username: str,
        reason: str,
        *,
        event: str = "auth.login",
        actor: Actor | None = None,
    ) -> Exception:
        self._note_address_failure(uow)
        data: dict[str, object] = {"username": username, "reason": reason}
        if row is not None:
            remembered = self._throttle.remembered(
                row.failed_logins, row.last_failed_login_at, uow.now
            )
            row.failed_logins = remembered + 1
            row.last_failed_login_at = uow.now
            data["failed_logins"] = row.failed_logins
            if self._throttle.is_hard_lock(row.failed_logins) and not row.hard_locked:
                row.hard_locked = True
                uow.record(
                    "auth.locked",
                    Actor.anonymous(),
                    target_id=row.id,
                    outcome=Outcome.DENIED,
                    data={"hard": True, "failures": row.failed_logins},
                )
            else:
                until = self._throttle.locked_until(row.failed_logins, uow.now)
                if until is not None:
                    row.locked_until = until
                    uow.record(
                        "auth.locked",
                        Actor.anonymous(),
                        target_id=row.id,
                        outcome=Outcome.DENIED,
                        data={
                            "hard": False,
                            "failures": row.failed_logins,
                            "until": until.isoformat(),
                        },
                    )
        uow.record(
            event,
            actor or Actor.anonymous(),
            target_id=row.id if row else None,
            outcome=Outcome.FAILURE,
            data=data,
        )
        return AuthenticationFailed(_BAD_CREDENTIALS, code="bad_credentials")

    def _check_second_factor(self, uow: UnitOfWork, row: PersonRow, otp: str) -> str | None:
        """None when ``otp`` is a valid TOTP or unused recovery code, else the reason."""
        code = otp.strip().replace(" ", "")
        if looks_like_recovery_code(code):
            stored = uow.session.scalar(
                select(RecoveryCodeRow).where(
                    RecoveryCodeRow.person_id == row.id,
                    RecoveryCodeRow.code_hash == digest(normalise_recovery_code(code)),
                    RecoveryCodeRow.used_at.is_(None),
                )
            )
            if stored is None:
                return "bad_recovery_code"
            stored.used_at = uow.now
            left = (
                uow.session.query(RecoveryCodeRow)
                .filter(RecoveryCodeRow.person_id == row.id, RecoveryCodeRow.used_at.is_(None))
                .count()
            )
            uow.record(
                "auth.recovery_code_used",
                Actor(ActorKind.PERSON, row.id, row.username),
                target_id=row.id,
                data={"codes_left": left},
            )
            return None
        try:
            secret = self._totp_secret(row)
            row.totp_last_step = verify_totp(secret, code, at=uow.now, last_step=row.totp_last_step)
        except TotpRejected as exc:
            return "totp_replay" if "already" in exc.detail else "bad_totp"
        return None

    def _totp_secret(self, row: PersonRow) -> str:
        return unseal(self._secret_key(), row.totp_secret, aad=row.id.encode()).decode()

    def _open_session(self, uow: UnitOfWork, row: PersonRow) -> IssuedSession:
        # The failure count stays (ThrottlePolicy.remembered): only time forgets it.
        token = new_token(TokenKind.SESSION)
        session = SessionRow(
            id=str(uuid.uuid4()),
            token_hash=digest(token),
            person_id=row.id,
            created_at=uow.now,
            last_seen_at=uow.now,
            expires_at=uow.now + self._sessions.absolute,
            mfa_at=uow.now,
            client_address=uow.ctx.client_address,
        )
        uow.session.add(session)
        uow.record(
            "auth.login",
            Actor(ActorKind.PERSON, row.id, row.username),
            target_id=row.id,
            data={"session_id": session.id, "username": row.username},
        )
        return IssuedSession(
            token=token,
            session_id=session.id,
            person=person_view(row, uow.now),
            expires_at=session.expires_at,
            idle_timeout=self._sessions.idle,
            mfa_at=uow.now,
        )

    def unlock_address(self, by: Acting, ctx: CallContext, address: str) -> bool:
        """Lift the throttle on a client address; False if it had none."""
        authorize(by, Act.ADDRESS_UNLOCK)
        with self._uow(ctx) as uow:
            row = uow.session.get(AddressThrottleRow, address)
            if row is None:
                return False
            data = {"failures": row.failures}
            uow.session.delete(row)
            uow.record("auth.address_unlocked", by.actor(), target_id=address, data=data)
            return True

    # --- resolving bearer credentials ---------------------------------------------

    def authenticate(self, ctx: CallContext, token: str) -> Principal:
        """The principal behind a session or API token; AuthenticationFailed otherwise."""
        if token.startswith(TokenKind.SESSION.value + "_"):
            return self._from_session(ctx, token)
        if token.startswith(TokenKind.API.value + "_"):
            return self._from_api_token(ctx, token)
        raise AuthenticationFailed("the credential is not a Caveat token", code="invalid_token")

    def _from_session(self, ctx: CallContext, token: str) -> Principal:
        with self._uow.read_connection() as session:
            now = self._uow.clock()
            found = find_session(session, token)
            if found is None:
                raise AuthenticationFailed("the session is not valid", code="invalid_session")
            session_id, revoked_at, expires_at, last_seen_at, mfa_at = found[:5]
            _check_session(revoked_at, expires_at, last_seen_at, now, self._sessions)
            principal = build_principal(session, found, now, mfa_at=mfa_at, session_id=session_id)
            _check_status(principal.person.status)
        if now - last_seen_at > _TOUCH_INTERVAL:
            self._touch(ctx, SessionRow, session_id, "last_seen_at")
        return principal

    def _from_api_token(self, ctx: CallContext, token: str) -> Principal:
        with self._uow.read_connection() as session:
            now = self._uow.clock()
            found = find_api_token(session, token)
            if found is None:
                raise AuthenticationFailed("the API token is not valid", code="invalid_token")
            token_id, revoked_at, expires_at, last_used_at, scopes = found[:5]
            if revoked_at is not None:
                raise AuthenticationFailed("the API token was revoked", code="token_revoked")
            if expires_at <= now:
                raise AuthenticationFailed(
                    "the API token has expired", code="token_expired", hint="create a new token"
                )
            # A token proves possession, not a fresh second factor: no MFA time.
            principal = build_principal(
                session,
                found,
                now,
                mfa_at=None,
                token_id=token_id,
                scopes=frozenset(Scope(s) for s in scopes.split()),
            )
            _check_status(principal.person.status)
        if last_used_at is None or now - last_used_at > _TOUCH_INTERVAL:
            self._touch(ctx, ApiTokenRow, token_id, "last_used_at")
        return principal

    def _touch(
        self,
        ctx: CallContext,
        table: type[SessionRow] | type[ApiTokenRow],
        row_id: str,
        column: str,
    ) -> None:
        # Bookkeeping, not an action of the person's: no event.
        with self._uow(ctx) as uow:
            row = uow.session.get(table, row_id)
            if row is not None:
                setattr(row, column, uow.now)

    # --- sign-out and credential changes --------------------------------------------

    def step_up(self, by: Principal, ctx: CallContext, *, otp: str) -> datetime:
        """Prove the second factor again inside a session, when the policy asks for a
        fresher MFA; returns the new MFA time. Failures count towards the lockout."""
        if by.session_id is None:
            raise InvalidInput(
                "an API token carries no second factor; sign in to step up",
                code="not_a_session",
            )
        failure: Exception | None = None
        with self._uow(ctx) as uow:
            self._check_address(uow)
            row = uow.session.get(PersonRow, by.person_id)
            session = uow.session.get(SessionRow, by.session_id)
            if row is None or session is None or session.revoked_at is not None:
                raise AuthenticationFailed("the session has ended", code="session_ended")
            if _is_locked(row.hard_locked, row.locked_until, uow.now):
                failure = _locked_error(row.hard_locked, row.locked_until, uow.now)
            else:
                reason = self._check_second_factor(uow, row, otp)
                if reason is None:
                    session.mfa_at = uow.now
                    uow.record("auth.step_up", by.actor(), target_id=row.id)
                    return uow.now
                failure = self._fail(
                    uow, row, row.username, reason, event="auth.step_up", actor=by.actor()
                )
        assert failure is not None
        raise failure

    def logout(self, by: Principal, ctx: CallContext) -> None:
        """End the session ``by`` signed in with."""
        if by.session_id is None:
            raise InvalidInput(
                "only a session can sign out; revoke API tokens instead", code="not_a_session"
            )
        with self._uow(ctx) as uow:
            row = uow.session.get(SessionRow, by.session_id)
            if row is not None and row.revoked_at is None:
                row.revoked_at = uow.now
            uow.record("auth.logout", by.actor(), target_id=by.session_id)

    def needs_step_up(self, by: Principal) -> bool:
        """Whether changing a credential would first need a fresh second factor (for
        pages deciding to ask for a code with the change)."""
        return not allowed(by, Act.PASSWORD_CHANGE, _own(by), now=self._uow.clock())

    def revoke_all_sessions(self, by: Principal, ctx: CallContext) -> int:
        """End every session of ``by`` (sign out everywhere); returns how many ended."""
        authorize(by, Act.SESSIONS_REVOKE_ALL, _own(by), now=self._uow.clock())
        with self._uow(ctx) as uow:
            ended = revoke_sessions(uow, by.person_id)
            uow.record(
                "auth.sessions_revoked",
                by.actor(),
                target_id=by.person_id,
                data={"sessions_ended": ended},
            )
            return ended

    def change_password(self, by: Principal, ctx: CallContext, *, current: str, new: str) -> None:
        """Replace the password after checking the current one; other sessions end.
        A forced change right after sign-in is fresh; later it needs a step-up first.
        Both hashes are computed before the short write, never inside it."""
        authorize(by, Act.PASSWORD_CHANGE, _own(by), now=self._uow.clock())
        with self._uow.read() as session:
            person = session.get(PersonRow, by.person_id)
            assert person is not None
            stored, username = person.password_hash, person.username
            personal = [person.display_name, person.email]
        current_ok = self._hashing.verify(stored, current)
        new_hash = None
        if current_ok:
            if current == new:
                raise InvalidInput(
                    "the new password must differ from the current one",
                    code="password_unchanged",
                    field="new_password",
                )
            check_password(new, personal=personal, username=username)
            new_hash = self._hashing.hash(new)
        failure: Exception | None = None
        with self._uow(ctx) as uow:
            # Locked, so that a parallel change (or a sign-in with the old password)
            # sees this one committed, or this one sees it.
            row = uow.session.get(PersonRow, by.person_id, with_for_update={"of": PersonRow})
            assert row is not None
            if new_hash is None:
                failure = self._fail(uow, row, row.username, "bad_password_on_change")
            elif row.password_hash != stored:
                raise Conflict(
                    "the password was changed meanwhile; sign in again",
                    code="password_changed_meanwhile",
                )
            else:
                row.password_hash = new_hash
                row.password_changed_at = uow.now
                row.must_change_password = False
                ended = revoke_sessions(uow, row.id, keep=by.session_id)
                uow.record(
                    "person.password_changed",
                    by.actor(),
                    target_id=row.id,
                    data={"other_sessions_ended": ended},
                )
        if failure is not None:
            raise failure

    def begin_totp_enrolment(self, by: Principal) -> TotpEnrolment:
        """A new TOTP seed for the person to scan; nothing changes until it is confirmed
        (asked only of a session that could confirm it)."""
        authorize(by, Act.AUTHENTICATOR_REPLACE, _own(by), now=self._uow.clock())
        now = self._uow.clock()
        secret = new_totp_secret()
        expires = now + _ENROLMENT_TTL
        payload = json.dumps({"s": secret, "exp": int(expires.timestamp())}).encode()
        ticket = seal(self._secret_key(), payload, aad=f"totp-enrolment:{by.person_id}".encode())
        return TotpEnrolment(
            secret, totp_uri(secret, account=by.username, issuer=self._issuer), ticket, expires
        )

    def confirm_totp_enrolment(
        self, by: Principal, ctx: CallContext, *, ticket: str, code: str
    ) -> None:
        """Switch to the new TOTP seed once the person proves their app shows its codes."""
        authorize(by, Act.AUTHENTICATOR_REPLACE, _own(by), now=self._uow.clock())
        try:
            raw = unseal(self._secret_key(), ticket, aad=f"totp-enrolment:{by.person_id}".encode())
            payload = json.loads(raw)
        except (UnsealFailed, ValueError):
            raise InvalidInput(
                "the enrolment ticket is not valid", code="invalid_ticket", field="ticket"
            ) from None
        with self._uow(ctx) as uow:
            if uow.now.timestamp() > payload["exp"]:
                raise InvalidInput(
                    "the enrolment has expired; start again",
                    code="enrolment_expired",
                    field="ticket",
                )
            step = verify_totp(payload["s"], code, at=uow.now, last_step=0)
            row = uow.session.get(PersonRow, by.person_id)
            assert row is not None
            row.totp_secret = seal(self._secret_key(), payload["s"].encode(), aad=row.id.encode())
            row.totp_last_step = step
            row.mfa_enrolled_at = uow.now
            uow.record("auth.totp_enrolled", by.actor(), target_id=row.id)

    def new_recovery_codes(self, by: Principal, ctx: CallContext) -> tuple[str, ...]:
        """Replace the person's recovery codes with ten new ones, shown once."""
        authorize(by, Act.RECOVERY_CODES_RENEW, _own(by), now=self._uow.clock())
        with self._uow(ctx) as uow:
            codes = replace_recovery_codes(uow, by.person_id)
            uow.record("auth.recovery_codes_issued", by.actor(), target_id=by.person_id)
            return codes

    def me(self, by: Principal) -> Person:
        """The signed-in person's own account, as checked with the credential."""
        return by.person


def _own(by: Principal) -> Target:
    """One's own credentials: changed only in a session whose second factor is fresh,
    never with an API token (the rule's failure is ``step_up_required``)."""
    return Target(person_id=by.person_id)


def _check_session(
    revoked_at: datetime | None,
    expires_at: datetime,
    last_seen_at: datetime,
    now: datetime,
    policy: SessionPolicy,
) -> None:
    if revoked_at is not None:
        raise AuthenticationFailed("the session has ended; sign in again", code="session_ended")
    if now >= expires_at:
        raise AuthenticationFailed("the session has expired; sign in again", code="session_expired")
    if now - last_seen_at > policy.idle:
        raise AuthenticationFailed(
            "the session timed out after inactivity; sign in again", code="session_idle"
        )


def _check_status(status: PersonStatus) -> None:
    if status is not PersonStatus.ACTIVE:
        raise AuthenticationFailed("this account is suspended", code="account_suspended")


def _row_for_update(uow: UnitOfWork, model: type[T], key: str, make: Callable[[], T]) -> T:
    """The row ``key`` of ``model``, locked until the unit of work ends, created first if
    missing; a row created at the same moment by a parallel request is taken, not
    clashed with (the insert runs in a savepoint)."""
    row = uow.session.get(model, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with uow.session.begin_nested():
            uow.session.add(make())
    except DatabaseIntegrityError:
        pass
    row = uow.session.get(model, key, with_for_update=True, populate_existing=True)
    assert row is not None
    return row


def _is_locked(hard_locked: bool, locked_until: datetime | None, now: datetime) -> bool:
    return hard_locked or (locked_until is not None and locked_until > now)


def _locked_error(hard_locked: bool, locked_until: datetime | None, now: datetime) -> Throttled:
    # The same words for an account and for a name no account has (see _fail_unknown_name).
    if hard_locked:
        return Throttled(
            "this account is locked after repeated failures",
            code="account_locked",
            hint="ask a node operator to unlock it",
        )
    assert locked_until is not None
    return Throttled(
        "too many failed sign-ins; try again later",
        code="account_throttled",
        data={"retry_after": _seconds_until(locked_until, now)},
    )


def _address_throttled(locked_until: datetime | None, now: datetime) -> Throttled:
    assert locked_until is not None
    return Throttled(
        "too many failed sign-ins from this address; try again later",
        code="address_throttled",
        data={"retry_after": _seconds_until(locked_until, now)},
    )


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))
