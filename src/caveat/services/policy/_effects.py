"""What a risky change of a person would do, before it is confirmed: how many catalogue
entries the person may read now and afterwards (the policy's own listing query over the
changed facts), and the change in words.

Only someone who may make the change may ask (the same rule as the change itself), and
the answer is counts, never titles: the officer may not be cleared for what the person
reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.identity import Clearance, PersonStatus, Role
from caveat.domain.permissions import Act
from caveat.domain.policy import Action, Context, Subject
from caveat.services.identity import find_person, person_target, person_view
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.policy import listing as policy_listing
from caveat.services.policy._loader import subject_of
from caveat.services.policy._service import PolicyService


@dataclass(frozen=True, slots=True)
class Effect:
    """A change's effect on what one person may read."""

    person_id: str
    username: str
    changes: tuple[str, ...]  # the change in words
    readable_before: int
    readable_after: int
    gained: int
    lost: int

    def summary(self) -> str:
        """One sentence, e.g. "bob will lose access to 3 entries (5 → 2)"."""
        parts = []
        if self.lost:
            parts.append(f"lose access to {self.lost} catalogue entr{_ies(self.lost)}")
        if self.gained:
            parts.append(f"gain access to {self.gained} catalogue entr{_ies(self.gained)}")
        if not parts:
            parts.append("keep access to the same catalogue entries")
        return (
            f"{self.username} will {' and '.join(parts)} "
            f"(may read {self.readable_before} now, {self.readable_after} afterwards)"
        )


def _ies(n: int) -> str:
    return "y" if n == 1 else "ies"


class AccessEffects:
    """Previews of account changes (suspension, roles, clearance, nationalities, caveats)."""

    def __init__(self, *, uow: UnitOfWorkFactory, policy: PolicyService) -> None:
        self._uow = uow
        self._policy = policy

    def preview(
        self,
        by: Acting,
        ref: str,
        *,
        status: PersonStatus | None = None,
        roles: Sequence[Role] | None = None,
        clearance: Clearance | None = None,
        remove_clearance: bool = False,
        citizenships: Sequence[str] | None = None,
        residencies: Sequence[str] | None = None,
        add_caveat: str | None = None,
        remove_caveat: str | None = None,
    ) -> Effect:
        """The effect of the change on what the person may read; authorized as the change."""
        with self._uow.read() as session:
            now = self._uow.clock()
            row = find_person(session, ref)
            person = person_view(row, now)
            nation = None if clearance is None else clearance.granting_nation
            target = person_target(row, granting_nation=nation)
            if status is not None:
                authorize(by, Act.PERSON_SET_STATUS, target, now=now)
            if any(v is not None for v in (roles, clearance, citizenships, residencies)) or (
                remove_clearance
            ):
                authorize(by, Act.PERSON_UPDATE, target, now=now)
            if add_caveat is not None:
                authorize(by, Act.READON_REQUEST, target, now=now)
            if remove_caveat is not None:
                authorize(by, Act.READOFF, target, now=now)
            before = subject_of(session, person)
            after, words = before, []
            if status is not None and status is not person.status:
                after = replace(after, active=status is PersonStatus.ACTIVE)
                words.append(f"{person.username} becomes {status.value}")
            if roles is not None and set(roles) != set(person.roles):
                gained = sorted(r.value for r in set(roles) - set(person.roles))
                lost = sorted(r.value for r in set(person.roles) - set(roles))
                if gained:
                    words.append("gains the role " + ", ".join(gained))
                if lost:
                    words.append("loses the role " + ", ".join(lost))
            if remove_clearance or clearance is not None:
                after = replace(after, clearance=clearance)
                old = _clearance_words(person.clearance)
                words.append(f"clearance {old} becomes {_clearance_words(clearance)}")
            if citizenships is not None:
                after = replace(after, citizenships=frozenset(citizenships))
                words.append("citizenships become " + (", ".join(citizenships) or "none"))
            if residencies is not None:
                after = replace(after, residencies=frozenset(residencies))
                words.append("residencies become " + (", ".join(residencies) or "none"))
            if add_caveat is not None:
                after = replace(after, caveats={**after.caveats, add_caveat: None})
                words.append(f"is read on to {add_caveat}")
            if remove_caveat is not None:
                kept = {k: v for k, v in after.caveats.items() if k != remove_caveat}
                after = replace(after, caveats=kept)
                words.append(f"is read off {remove_caveat}")
            was = self._readable(session, before, now)
            will = self._readable(session, after, now)
            return Effect(
                person.id,
                person.username,
                tuple(words),
                len(was),
                len(will),
                len(will - was),
                len(was - will),
            )

    def _readable(self, session: Session, subject: Subject, now: datetime) -> set[str]:
        env = self._policy.environment()
        # As if the person had just proved their second factor: the change, not the
        # session, is what the preview is about.
        facts = Context(now, now, env).facts(subject)
        postgres = session.get_bind().dialect.name == "postgresql"
        where = policy_listing.visible(subject, facts, Action.READ, env, postgres=postgres)
        return set(session.scalars(select(ResourceRow.id).where(where)))


def _clearance_words(clearance: Clearance | None) -> str:
    if clearance is None:
        return "none"
    return (
        f"{clearance.national_name or clearance.level.name} ({clearance.granting_nation}, "
        f"until {clearance.expires.isoformat()})"
    )


__all__ = ["AccessEffects", "Effect"]
