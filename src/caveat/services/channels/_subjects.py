"""Readers' facts for a thousand different people: cached reads, shared decisions.

A thousand subscribers who are a thousand different people each derive their facts
every refresh and would each decide every message. Two things make that affordable:

- **Subject cache.** What a derivation reads of the person (their row, memberships,
  grants, caveat holdings, organisation) and of the channel (its scope) is kept under
  the ``subjects`` policy generation (``services/kernel/generations.py``), which the
  unit of work raises in the same transaction as any change to people, credentials'
  enrolment and locks, memberships, programmes, grants, organisations, groups,
  agreements, authorizations, screening, embargoes or visits (``uow.GENERATION_TRIGGERS``).
  The policy sources' answers (agreements, authorizations, screening holds, embargoes:
  each of their changes raises the generation too) and the group directory are kept
  the same way. A derivation reads the generation first in its one read transaction,
  so what it uses is never older than a fresh read would be: a refresh sees a change as
  soon as it would have without the cache, and a refresh with nothing changed is one
  primary-key read. The facts themselves are derived afresh each time from what is
  cached, at the derivation's moment (expiries, MFA age, the day).
- **Shared decisions.** A reader's facts carry the decisions remembered for their
  fingerprint (``domain/policy/fingerprint.py``): every field of the facts, narrowed
  to the channel, the subject's organisation and the policy settings. People whose
  fingerprints are equal share one decision per message; any difference in any fact
  gives them separate decisions.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, cast

from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow
from caveat.domain.identity import Person
from caveat.domain.labels import Originator
from caveat.domain.policy import (
    Agreements,
    AgreementTerms,
    AuthorizationTerms,
    Embargoes,
    EmbargoTerms,
    ExportAuthorizations,
    PolicyEnvironment,
    Screening,
    ScreeningHold,
    Subject,
)
from caveat.services.channels._store import ChannelInfo, find_row, info_of, scope_projects
from caveat.services.identity import find_person, person_view
from caveat.services.kernel.generations import GenerationCache
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.policy import PolicyService, subject_of

SOURCE = "subjects"
Decided = dict[tuple[int, str], bool]
_CLASSES = 8192  # fingerprints kept before the table starts afresh


@dataclass(frozen=True, slots=True)
class Base:
    """What a derivation reads for one person and channel, as of one generation."""

    person: Person
    subject: Subject
    info: ChannelInfo
    scope: frozenset[str]
    originator: Originator


class _Agreements:
    def __init__(self, inner: Agreements, cache: GenerationCache[Any]) -> None:
        self._inner, self._cache = inner, cache

    def in_force(self, *, organisation_id: str, nation: str, on: date) -> Sequence[AgreementTerms]:
        return cast(
            Sequence[AgreementTerms],
            self._cache.get(
                ("agreements", organisation_id, nation, on),
                lambda _: tuple(
                    self._inner.in_force(organisation_id=organisation_id, nation=nation, on=on)
                ),
            ),
        )


class _Authorizations:
    def __init__(self, inner: ExportAuthorizations, cache: GenerationCache[Any]) -> None:
        self._inner, self._cache = inner, cache

    def in_force(
        self, *, person_id: str, organisation_id: str, nations: frozenset[str], on: date
    ) -> Sequence[AuthorizationTerms]:
        return cast(
            Sequence[AuthorizationTerms],
            self._cache.get(
                ("authorizations", person_id, organisation_id, nations, on),
                lambda _: tuple(
                    self._inner.in_force(
                        person_id=person_id, organisation_id=organisation_id, nations=nations, on=on
                    )
                ),
            ),
        )


class _Screening:
    def __init__(self, inner: Screening, cache: GenerationCache[Any]) -> None:
        self._inner, self._cache = inner, cache

    def holds(self, *, person_id: str, organisation_id: str) -> Sequence[ScreeningHold]:
        return cast(
            Sequence[ScreeningHold],
            self._cache.get(
                ("holds", person_id, organisation_id),
                lambda _: tuple(
                    self._inner.holds(person_id=person_id, organisation_id=organisation_id)
                ),
            ),
        )


class _Embargoes:
    def __init__(self, inner: Embargoes, cache: GenerationCache[Any]) -> None:
        self._inner, self._cache = inner, cache

    def in_force(self, *, nations: frozenset[str], on: date) -> Sequence[EmbargoTerms]:
        return cast(
            Sequence[EmbargoTerms],
            self._cache.get(
                ("embargoes", nations, on),
                lambda _: tuple(self._inner.in_force(nations=nations, on=on)),
            ),
        )


class SubjectCache:
    """Persons' and channels' reads, the policy sources' answers and the policy
    environment, per generation of the subjects counter."""

    def __init__(self, uow: UnitOfWorkFactory, policy: PolicyService) -> None:
        self._uow = uow
        self._policy = policy
        self._bases: GenerationCache[Base] = GenerationCache(uow, SOURCE, size=16384)
        self._envs: GenerationCache[PolicyEnvironment] = GenerationCache(uow, SOURCE, size=8)
        self._answers: GenerationCache[Any] = GenerationCache(uow, SOURCE, size=16384)

    def environment(self, session: Session) -> PolicyEnvironment:
        """The policy environment (groups as stored; sources answering from the cache)
        of the current generation."""
        p = self._policy
        # The sources by identity: a source swapped on the service is a new environment
        # (each cached environment keeps its sources alive, so an id is never reused).
        key = (p.config, id(p.agreements), id(p.authorizations), id(p.screening), id(p.embargoes))

        def build(_: Session) -> PolicyEnvironment:
            env = p.environment()
            answers = self._answers
            return replace(
                env,
                agreements=_Agreements(env.agreements, answers),
                authorizations=_Authorizations(env.authorizations, answers),
                screening=_Screening(env.screening, answers),
                embargoes=_Embargoes(env.embargoes, answers),
            )

        return self._envs.get_in(session, key, build)

    def base(self, session: Session, person_id: str, ref: str) -> Base:
        """The person's and the channel's reads (cached while the generation stands)."""
        now = self._uow.clock()

        def read(s: Session) -> Base:
            # ``locked`` is the one part of a person view that moves with time alone;
            # no fact and no decision reads it.
            person = person_view(find_person(s, person_id), now)
            return self.base_of(s, person, ref)

        return self._bases.get_in(session, (person_id, ref), read)

    @staticmethod
    def base_of(session: Session, person: Person, ref: str) -> Base:
        """The reads for ``person`` (as given) and the channel, uncached."""
        row = find_row(session, ref)
        org = session.get(OrganisationRow, person.organisation_id)
        assert org is not None  # a person's organisation is never deleted
        return Base(
            person=person,
            subject=subject_of(session, person),
            info=info_of(row),
            scope=scope_projects(session, row),
            originator=Originator(org.short_name or org.name, org.nation),
        )


class SharedDecisions:
    """Remembered decisions per fingerprint: one table of decisions for all readers
    whose decision-relevant facts are equal."""

    def __init__(self, size: int = _CLASSES) -> None:
        self._size = size
        self._classes: dict[Hashable, Decided] = {}
        self._lock = threading.Lock()

    def of(self, fingerprint: Hashable) -> Decided:
        """The decisions remembered for ``fingerprint`` (a new table for a new one)."""
        with self._lock:
            found = self._classes.get(fingerprint)
            if found is None:
                if len(self._classes) >= self._size:
                    self._classes = {}
                found = self._classes[fingerprint] = {}
            return found

    def __len__(self) -> int:
        return len(self._classes)
