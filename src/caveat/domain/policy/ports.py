"""What the policy reads about agreements, export authorizations, screening and embargoes.

Each source is a small Protocol returning plain terms for one subject on one day, so
the same terms feed a single decision and the SQL that lists what a subject may
see. A later issue records the data; until then the node wires the in-memory
stores below, empty, and the policy fails closed (no agreement, no authorization).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """An agreement in force that covers a subject's organisation or nation.

    ``projects``: the projects it covers; ``max_common_level``: its classification
    ceiling; ``controls``: the control entries in its scope (None: no export scope
    limit; an empty set covers only resources without control entries).
    """

    id: str
    name: str
    projects: frozenset[str]
    max_common_level: int
    controls: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class AuthorizationTerms:
    """An export authorization (licence, TAA, exemption) covering a subject."""

    id: str
    name: str
    entries: frozenset[str]  # REGIME:CODE entries it authorizes


@dataclass(frozen=True, slots=True)
class ScreeningHold:
    """An unresolved denied-party screening hit on a person or their organisation."""

    id: str
    on: str  # "person" | "organisation"
    reason: str


@dataclass(frozen=True, slots=True)
class EmbargoTerms:
    """An embargo by ``imposed_by`` (a nation or "EU") on ``nation``."""

    id: str
    imposed_by: str
    nation: str
    source: str


class Agreements(Protocol):
    """Agreements in force on ``on`` whose parties include the organisation or nation."""

    def in_force(
        self, *, organisation_id: str, nation: str, on: date
    ) -> Sequence[AgreementTerms]: ...


class ExportAuthorizations(Protocol):
    """Authorizations valid on ``on`` naming the person, their organisation or nation."""

    def in_force(
        self, *, person_id: str, organisation_id: str, nations: frozenset[str], on: date
    ) -> Sequence[AuthorizationTerms]: ...


class Screening(Protocol):
    """Unresolved screening holds on the person or their organisation."""

    def holds(self, *, person_id: str, organisation_id: str) -> Sequence[ScreeningHold]: ...


class Embargoes(Protocol):
    """Embargoes in force on ``on`` against any of ``nations``."""

    def in_force(self, *, nations: frozenset[str], on: date) -> Sequence[EmbargoTerms]: ...


@dataclass(frozen=True, slots=True)
class DatedAgreement:
    """An agreement for the in-memory store: parties and validity dates (inclusive)."""

    terms: AgreementTerms
    organisations: frozenset[str] = frozenset()
    nations: frozenset[str] = frozenset()
    valid_from: date | None = None
    valid_to: date | None = None

    def holds_on(self, on: date) -> bool:
        if self.valid_from is not None and on < self.valid_from:
            return False
        return self.valid_to is None or on <= self.valid_to


class MemoryAgreements:
    """Agreements held in memory (tests, what-if, and the node until they are recorded)."""

    def __init__(self, agreements: Iterable[DatedAgreement] = ()) -> None:
        self.agreements = tuple(agreements)

    def in_force(self, *, organisation_id: str, nation: str, on: date) -> Sequence[AgreementTerms]:
        return [
            a.terms
            for a in self.agreements
            if a.holds_on(on) and (organisation_id in a.organisations or nation in a.nations)
        ]

    def expire(self, agreement_id: str, on: date) -> MemoryAgreements:
        """A copy in which ``agreement_id`` ended the day before ``on``."""
        ended = date.fromordinal(on.toordinal() - 1)
        return MemoryAgreements(
            replace(a, valid_to=ended) if a.terms.id == agreement_id else a for a in self.agreements
        )


@dataclass(frozen=True, slots=True)
class DatedAuthorization:
    """An authorization for the in-memory store: recipients and validity dates."""

    terms: AuthorizationTerms
    people: frozenset[str] = frozenset()
    organisations: frozenset[str] = frozenset()
    nations: frozenset[str] = frozenset()
    valid_from: date | None = None
    valid_to: date | None = None


class MemoryAuthorizations:
    """Export authorizations held in memory."""

    def __init__(self, authorizations: Iterable[DatedAuthorization] = ()) -> None:
        self.authorizations = tuple(authorizations)

    def in_force(
        self, *, person_id: str, organisation_id: str, nations: frozenset[str], on: date
    ) -> Sequence[AuthorizationTerms]:
        return [
            a.terms
            for a in self.authorizations
            if (a.valid_from is None or a.valid_from <= on)
            and (a.valid_to is None or on <= a.valid_to)
            and (
                person_id in a.people
                or organisation_id in a.organisations
                or bool(nations & a.nations)
            )
        ]


class MemoryScreening:
    """Screening holds held in memory, by person or organisation id."""

    def __init__(self, holds: Iterable[tuple[str, ScreeningHold]] = ()) -> None:
        self.by_subject: dict[str, list[ScreeningHold]] = {}
        for subject_id, hold in holds:
            self.by_subject.setdefault(subject_id, []).append(hold)

    def holds(self, *, person_id: str, organisation_id: str) -> Sequence[ScreeningHold]:
        return [*self.by_subject.get(person_id, ()), *self.by_subject.get(organisation_id, ())]


@dataclass(frozen=True, slots=True)
class DatedEmbargo:
    """An embargo for the in-memory store with its validity dates."""

    terms: EmbargoTerms
    valid_from: date | None = None
    valid_to: date | None = None


class MemoryEmbargoes:
    """Embargoes held in memory."""

    def __init__(self, embargoes: Iterable[DatedEmbargo] = ()) -> None:
        self.embargoes = tuple(embargoes)

    def in_force(self, *, nations: frozenset[str], on: date) -> Sequence[EmbargoTerms]:
        return [
            e.terms
            for e in self.embargoes
            if e.terms.nation in nations
            and (e.valid_from is None or e.valid_from <= on)
            and (e.valid_to is None or on <= e.valid_to)
        ]
