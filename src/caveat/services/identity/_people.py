"""Accounts: create people with MFA enrolled, suspend, unlock, reset MFA.

Administration is scoped (the permission table, ``Act.PERSON_*``): a security officer
administers people of their own organisation only; a clearance is recorded only by an
officer of the granting nation; nobody suspends, re-roles or re-clears themself; only
operators give or take the node_operator role. Suspension, roles and clearances take a
reason, kept in the event. The node's operators keep node-wide powers, and each change
they (or the console) make to a person raises a conduct alert in the same transaction.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from caveat.adapters.db.models import (
    OrganisationRow,
    PersonNationRow,
    PersonRoleRow,
    PersonRow,
    RecoveryCodeRow,
    SessionRow,
)
from caveat.domain.compliance import require_reason
from caveat.domain.credentials import (
    PasswordHashing,
    digest,
    new_recovery_codes,
    new_totp_secret,
    normalise_recovery_code,
    totp_uri,
)
from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.identity import (
    Clearance,
    CommonLevel,
    Person,
    PersonStatus,
    Role,
    validate_email,
    validate_nationalities,
    validate_username,
)
from caveat.domain.passwords import check_password, draw_one_time_password
from caveat.domain.permissions import Act, Target
from caveat.domain.sealing import seal
from caveat.services.identity._principal_loader import CITIZEN, RESIDENT
from caveat.services.identity._registry import SubjectHook
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.lookup import by_reference
from caveat.services.kernel.principal import Acting, ConsoleOperator
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory

# Raises a conduct alert inside the caller's unit of work:
# (unit of work, rule, subject id, subject name, summary, data).
ConductAlert = Callable[[UnitOfWork, str, str | None, str | None, str, dict[str, Any]], None]
OPERATOR_CHANGED_PERSON = "operator_changed_person"


def _random_password() -> str:
    return secrets.token_urlsafe(18)


def person_target(row: PersonRow, *, granting_nation: str | None = None) -> Target:
    """The facts the administration rules read about the person changed."""
    return Target(
        person_id=row.id,
        beneficiary_id=row.id,
        organisation_id=row.organisation_id,
        granting_nation=granting_nation,
    )


def by_operator(by: Acting, organisation_id: str) -> bool:
    """Whether a change of a person of ``organisation_id`` uses node-wide powers (the
    console, or an operator who is not that organisation's security officer)."""
    if isinstance(by, ConsoleOperator):
        return True
    return not (Role.SECURITY_OFFICER in by.roles and by.person.organisation_id == organisation_id)


@dataclass(frozen=True, slots=True)
class MfaSecrets:
    """A TOTP seed and recovery codes, shown once to the person they belong to."""

    totp_secret: str
    totp_uri: str
    recovery_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewAccount:
    """A created account and its one-time secrets (password is None if it was chosen)."""

    person: Person
    one_time_password: str | None
    mfa: MfaSecrets


def person_view(row: PersonRow, now: datetime) -> Person:
    """The public view of a person row."""
    clearance = None
    if row.clearance_level is not None and row.clearance_expires is not None:
        clearance = Clearance(
            level=CommonLevel(row.clearance_level),
            national_name=row.clearance_name or "",
            granting_nation=row.clearance_nation or "",
            expires=row.clearance_expires,
        )
    return Person(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        organisation_id=row.organisation_id,
        organisation_name=row.organisation.name,
        organisation_nation=row.organisation.nation,
        status=PersonStatus(row.status),
        roles=tuple(Role(r.role) for r in row.roles),
        citizenships=tuple(n.nation for n in row.nations if n.kind == CITIZEN),
        residencies=tuple(n.nation for n in row.nations if n.kind == RESIDENT),
        clearance=clearance,
        mfa_enrolled_at=row.mfa_enrolled_at,
        locked=row.hard_locked or (row.locked_until is not None and row.locked_until > now),
        must_change_password=row.must_change_password,
        created_at=row.created_at,
    )


def find_person(session: Session, ref: str) -> PersonRow:
    """A person row by id or username; NotFound otherwise."""
    row = session.scalar(
        select(PersonRow).where(or_(PersonRow.id == ref, PersonRow.username == ref))
    )
    if row is None:
        raise NotFound(
            f"no person {ref!r}", code="unknown_person", hint="list people with `caveat user list`"
        )
    return row


def issue_mfa(uow: UnitOfWork, row: PersonRow, *, secret_key: bytes, issuer: str) -> MfaSecrets:
    """Give ``row`` a fresh TOTP seed and recovery codes (old codes are deleted)."""
    secret = new_totp_secret()
    row.totp_secret = seal(secret_key, secret.encode(), aad=row.id.encode())
    row.totp_last_step = 0
    row.mfa_enrolled_at = uow.now
    uow.session.add(row)
    uow.session.flush()  # the person row must exist before codes refer to it
    codes = replace_recovery_codes(uow, row.id)
    return MfaSecrets(secret, totp_uri(secret, account=row.username, issuer=issuer), codes)


def replace_recovery_codes(uow: UnitOfWork, person_id: str) -> tuple[str, ...]:
    """Delete a person's recovery codes and store ten new ones, hashed."""
    uow.session.query(RecoveryCodeRow).filter(RecoveryCodeRow.person_id == person_id).delete()
    codes = new_recovery_codes()
    for code in codes:
        uow.session.add(
            RecoveryCodeRow(person_id=person_id, code_hash=digest(normalise_recovery_code(code)))
        )
    return tuple(codes)


def revoke_sessions(uow: UnitOfWork, person_id: str, *, keep: str | None = None) -> int:
    """End every live session of a person (except ``keep``); returns how many."""
    query = update(SessionRow).where(
        SessionRow.person_id == person_id, SessionRow.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(SessionRow.id != keep)
    result = uow.session.execute(query.values(revoked_at=uow.now))
    return int(getattr(result, "rowcount", 0) or 0)


class PeopleService:
    """Account administration (operators and security officers) and lookups."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        hashing: PasswordHashing,
        secret_key: Callable[[], bytes],
        issuer: str,
    ) -> None:
        self._uow = uow
        self._hashing = hashing
        self._secret_key = secret_key
        self._issuer = issuer
        # Denied-party screening of a new person, in its transaction (container wires it).
        self.on_subject_saved: SubjectHook | None = None
        # Conduct alerts on operators' changes of people (container wires monitoring).
        self.conduct_alert: ConductAlert | None = None

    def _alert(
        self, uow: UnitOfWork, by: Acting, row: PersonRow, what: str, data: dict[str, Any]
    ) -> None:
        """A conduct alert when node-wide powers changed a person (same transaction)."""
        if self.conduct_alert is None or not by_operator(by, row.organisation_id):
            return
        who = by.name if isinstance(by, ConsoleOperator) else by.username
        self.conduct_alert(
            uow,
            OPERATOR_CHANGED_PERSON,
            row.id,
            row.username,
            f"{who} {what} {row.username} with node-wide powers",
            {"by": who, "change": what, **data},
        )

    def create_person(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        username: str,
        display_name: str,
        email: str,
        organisation: str,
        citizenships: Sequence[str],
        residencies: Sequence[str] = (),
        roles: Sequence[Role] = (Role.RESEARCHER,),
        clearance: Clearance | None = None,
        password: str | None = None,
    ) -> NewAccount:
        """Create an account with TOTP enrolled; without ``password`` a one-time one is made.

        Operators create anyone; a security officer creates people of their own
        organisation, with a clearance only of their own nation.
        """
        validate_username(username)
        validate_email(email)
        validate_nationalities(list(citizenships), list(residencies))
        display_name = display_name.strip()
        if not 1 <= len(display_name) <= 200:
            raise InvalidInput(
                "a display name needs 1 to 200 characters",
                code="invalid_name",
                field="display_name",
            )
        one_time = password is None
        personal = [display_name, email]
        if password is None:
            chosen = draw_one_time_password(_random_password, personal=personal, username=username)
        else:
            chosen = password
            check_password(chosen, personal=personal, username=username)
        password_hash = self._hashing.hash(chosen)  # slow: never inside the write
        with self._uow(ctx) as uow:
            org = by_reference(
                uow.session,
                OrganisationRow,
                organisation,
                OrganisationRow.name,
                OrganisationRow.short_name,
            )
            if org is None:
                raise InvalidInput(
                    f"no organisation {organisation!r}",
                    code="unknown_organisation",
                    field="organisation",
                    hint="register it first with `caveat org add`",
                )
            target = Target(
                organisation_id=org.id,
                granting_nation=None if clearance is None else clearance.granting_nation,
            )
            authorize(by, Act.PERSON_CREATE, target, now=uow.now)
            if Role.NODE_OPERATOR in roles:
                authorize(by, Act.PERSON_OPERATOR_ROLE, target, now=uow.now)
            if uow.session.scalar(select(PersonRow.id).where(PersonRow.username == username)):
                raise Conflict(
                    f"the username {username!r} is taken",
                    code="duplicate_username",
                    field="username",
                )
            row = PersonRow(
                id=str(uuid.uuid4()),
                username=username,
                display_name=display_name,
                email=email,
                organisation_id=org.id,
                status=PersonStatus.ACTIVE.value,
                password_hash=password_hash,
                password_changed_at=uow.now,
                must_change_password=one_time,
                failed_logins=0,
                hard_locked=False,
                created_at=uow.now,
            )
            _apply_clearance(row, clearance)
            row.nations = [PersonNationRow(nation=n, kind=CITIZEN) for n in citizenships] + [
                PersonNationRow(nation=n, kind=RESIDENT) for n in residencies
            ]
            row.roles = [PersonRoleRow(role=r.value) for r in sorted(set(roles))]
            row.organisation = org
            mfa = issue_mfa(uow, row, secret_key=self._secret_key(), issuer=self._issuer)
            uow.record(
                "person.created",
                by.actor(),
                target_id=row.id,
                data={
                    "username": username,
                    "organisation_id": org.id,
                    "citizenships": list(citizenships),
                    "residencies": list(residencies),
                    "roles": sorted(r.value for r in set(roles)),
                    "clearance": _clearance_data(clearance),
                },
            )
            if self.on_subject_saved is not None:
                self.on_subject_saved(uow, "person", row.id, (display_name,))
            if not isinstance(by, ConsoleOperator):  # the console sets up the node's accounts
                self._alert(uow, by, row, "created", {"organisation_id": org.id})
            return NewAccount(person_view(row, uow.now), chosen if one_time else None, mfa)

    def list_people(self) -> list[Person]:
        """Every account, by username."""
        with self._uow.read() as session:
            rows = session.scalars(select(PersonRow).order_by(PersonRow.username)).all()
            now = self._uow.clock()
            return [person_view(r, now) for r in rows]

    def display_names(self, person_ids: Sequence[str]) -> dict[str, str]:
        """The display names of the accounts among ``person_ids`` (one read, no roles or
        clearances loaded: for listings that name many rows)."""
        wanted = sorted(set(person_ids))
        found: dict[str, str] = {}
        with self._uow.read() as session:
            for start in range(0, len(wanted), 500):
                rows = session.execute(
                    select(PersonRow.id, PersonRow.display_name).where(
                        PersonRow.id.in_(wanted[start : start + 500])
                    )
                ).all()
                found.update({r.id: r.display_name for r in rows})
        return found

    def get_person(self, ref: str) -> Person:
        """One account by id or username."""
        with self._uow.read() as session:
            return person_view(find_person(session, ref), self._uow.clock())

    def update_person(
        self,
        by: Acting,
        ctx: CallContext,
        ref: str,
        *,
        roles: Sequence[Role] | None = None,
        clearance: Clearance | None = None,
        remove_clearance: bool = False,
        citizenships: Sequence[str] | None = None,
        residencies: Sequence[str] | None = None,
        reason: str = "",
    ) -> Person:
        """Change roles, clearance or nationalities (a renewal, a new passport, a new job),
        for a stated ``reason`` (kept in the event).

        Nobody changes their own; a security officer changes people of their own
        organisation, records clearances of their own nation only, and never gives or
        takes the node_operator role. Every policy decision uses the new facts from the
        next request on, and a change of nationality is screened like a new person.
        """
        if remove_clearance and clearance is not None:
            raise InvalidInput(
                "give a clearance or remove it, not both",
                code="invalid_clearance",
                field="clearance",
            )
        if roles is not None and not roles:
            raise InvalidInput(
                "a person needs at least one role", code="roles_required", field="roles"
            )
        with self._uow(ctx) as uow:
            row = find_person(uow.session, ref)
            nation = None if clearance is None else clearance.granting_nation
            target = person_target(row, granting_nation=nation)
            authorize(by, Act.PERSON_UPDATE, target, now=uow.now)
            before = person_view(row, uow.now)
            if roles is not None and (Role.NODE_OPERATOR in roles) != (
                Role.NODE_OPERATOR in before.roles
            ):
                authorize(by, Act.PERSON_OPERATOR_ROLE, target, now=uow.now)
            changed: dict[str, object] = {}
            if roles is not None and set(roles) != set(before.roles):
                wanted = {r.value for r in roles}
                row.roles = [r for r in row.roles if r.role in wanted] + [
                    PersonRoleRow(role=r) for r in sorted(wanted - {r.role for r in row.roles})
                ]
                changed["roles"] = sorted(r.value for r in set(roles))
            if clearance is not None or remove_clearance:
                _apply_clearance(row, clearance)
                changed["clearance"] = _clearance_data(clearance)
            if citizenships is not None or residencies is not None:
                cit = list(before.citizenships if citizenships is None else citizenships)
                res = list(before.residencies if residencies is None else residencies)
                validate_nationalities(cit, res)
                keep = {(n, CITIZEN) for n in cit} | {(n, RESIDENT) for n in res}
                have = {(n.nation, n.kind) for n in row.nations}
                row.nations = [n for n in row.nations if (n.nation, n.kind) in keep] + [
                    PersonNationRow(nation=n, kind=k) for n, k in sorted(keep - have)
                ]
                changed["citizenships"], changed["residencies"] = cit, res
            if not changed:
                raise InvalidInput("nothing to change", code="nothing_to_change")
            reason = require_reason(reason)  # (the transaction rolls the row back)
            uow.session.flush()
            uow.record(
                "person.updated", by.actor(), target_id=row.id, data={**changed, "reason": reason}
            )
            self._alert(uow, by, row, "changed", {"changed": sorted(changed), "reason": reason})
            if "citizenships" in changed and self.on_subject_saved is not None:
                self.on_subject_saved(uow, "person", row.id, (row.display_name,))
            return person_view(row, uow.now)

    def set_status(
        self, by: Acting, ctx: CallContext, ref: str, status: PersonStatus, *, reason: str = ""
    ) -> Person:
        """Suspend (ending every session) or reactivate an account, for a stated reason
        (never one's own account)."""
        with self._uow(ctx) as uow:
            row = find_person(uow.session, ref)
            authorize(by, Act.PERSON_SET_STATUS, person_target(row), now=uow.now)
            reason = require_reason(reason)
            if row.status != status.value:
                row.status = status.value
                ended = revoke_sessions(uow, row.id) if status is PersonStatus.SUSPENDED else 0
                event = (
                    "person.suspended" if status is PersonStatus.SUSPENDED else "person.reactivated"
                )
                uow.record(
                    event,
                    by.actor(),
                    target_id=row.id,
                    data={"sessions_ended": ended, "reason": reason},
                )
                self._alert(uow, by, row, event.split(".")[1], {"reason": reason})
            return person_view(row, uow.now)

    def unlock(self, by: Acting, ctx: CallContext, ref: str, *, reason: str = "") -> Person:
        """Lift a login lockout (backoff or hard lock) and reset the failure count."""
        with self._uow(ctx) as uow:
            row = find_person(uow.session, ref)
            authorize(by, Act.PERSON_UNLOCK, person_target(row), now=uow.now)
            data: dict[str, Any] = {
                "failed_logins": row.failed_logins,
                "hard_locked": row.hard_locked,
                "reason": reason.strip(),
            }
            row.failed_logins = 0
            row.locked_until = None
            row.hard_locked = False
            uow.record("person.unlocked", by.actor(), target_id=row.id, data=data)
            self._alert(uow, by, row, "unlocked", {"reason": reason.strip()})
            return person_view(row, uow.now)

    def reset_mfa(
        self, by: Acting, ctx: CallContext, ref: str, *, reason: str = ""
    ) -> tuple[Person, MfaSecrets]:
        """Issue a new TOTP seed and recovery codes (a lost phone); ends every session.
        Never one's own (that is re-enrolment with a fresh second factor)."""
        with self._uow(ctx) as uow:
            row = find_person(uow.session, ref)
            authorize(by, Act.PERSON_RESET_MFA, person_target(row), now=uow.now)
            mfa = issue_mfa(uow, row, secret_key=self._secret_key(), issuer=self._issuer)
            ended = revoke_sessions(uow, row.id)
            uow.record(
                "person.mfa_reset",
                by.actor(),
                target_id=row.id,
                data={"sessions_ended": ended, "reason": reason.strip()},
            )
            self._alert(uow, by, row, "reset the second factor of", {"reason": reason.strip()})
            return person_view(row, uow.now), mfa


def _apply_clearance(row: PersonRow, clearance: Clearance | None) -> None:
    row.clearance_level = None if clearance is None else int(clearance.level)
    row.clearance_name = None if clearance is None else clearance.national_name
    row.clearance_nation = None if clearance is None else clearance.granting_nation
    row.clearance_expires = None if clearance is None else clearance.expires


def _clearance_data(clearance: Clearance | None) -> dict[str, object] | None:
    if clearance is None:
        return None
    return {
        "level": clearance.level.name,
        "national_name": clearance.national_name,
        "granting_nation": clearance.granting_nation,
        "expires": clearance.expires.isoformat(),
    }


__all__ = [
    "OPERATOR_CHANGED_PERSON",
    "ConductAlert",
    "MfaSecrets",
    "NewAccount",
    "PeopleService",
    "Person",
    "by_operator",
    "person_target",
]
