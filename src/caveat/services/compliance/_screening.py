"""Denied-party screening in the database: list imports, screening on creation and on
every import, hits that hold their subject, resolution by a security officer; and the
database-backed ``Screening`` source of requirement 8 (ADR 0008).

- An import parses the whole file first (a bad file raises with line and column and
  writes nothing), replaces the entries of the list of that name, re-screens every
  person and organisation against all lists, and records the import and each new hit
  in the same transaction.
- A hit holds its subject (requirement 8 fails) while it is open. Resolved as a false
  positive, the hold ends; resolved as a true match, the hold stays (the reason now
  reads "denied party"). A hit once raised is never raised again for the same entry
  and name, so a false positive stays resolved across re-imports.
- The matcher (``caveat.domain.screening.Matcher``) is built from the stored entries
  and cached per list generation (ids and import times of every list).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow, PersonRow
from caveat.adapters.db.models.compliance import (
    ScreeningEntryRow,
    ScreeningHitRow,
    ScreeningListRow,
)
from caveat.domain.compliance import HitStatus, require_reason
from caveat.domain.errors import InvalidInput, NotFound, PermissionDenied
from caveat.domain.events import Actor
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import SCREENING_HIT
from caveat.domain.permissions import Act, Code, Target
from caveat.domain.policy import ScreeningHold
from caveat.domain.screening import (
    ListedParty,
    Matcher,
    PartyKind,
    TokenMatch,
    parse_csl,
    parse_generic,
    parse_ofac_sdn,
)
from caveat.domain.screening.matcher import DEFAULT_THRESHOLD
from caveat.services.compliance._notices import hit_raised, hit_resolved
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.principal import Acting, ConsoleOperator
from caveat.services.kernel.records import actor_id, canonical, loads, new_id
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory

_INSERT_BATCH = 2000


class ListFormat(StrEnum):
    """The list formats screening imports."""

    SDN = "sdn"  # OFAC SDN legacy sdn.csv (+ alt.csv)
    CSL = "csl"  # US Consolidated Screening List CSV
    GENERIC = "generic"  # name, id, aliases, kind, programs, nations, source


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did."""

    list_id: str
    name: str
    format: str
    entries: int
    sha256: str
    screened: int  # people and organisations screened
    new_hits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Hit:
    """A screening hit as officers see it."""

    id: str
    subject_type: str
    subject_id: str
    screened_name: str
    list_name: str
    source: str
    entry_id: str
    listed_name: str
    matched_name: str
    score: float
    status: str
    created_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    reason: str


@dataclass(frozen=True, slots=True)
class NameMatch:
    """One match of an ad-hoc name check: the entry, the name of it that matched, the
    score (0-100) and which tokens paired, with how alike they are (0-1)."""

    list_name: str
    source: str
    entry_id: str
    kind: str
    listed_name: str
    matched_name: str
    score: float
    programs: tuple[str, ...]
    tokens: tuple[TokenMatch, ...]


@dataclass(frozen=True, slots=True)
class NameCheck:
    """An ad-hoc check of one name against every imported list."""

    name: str
    lists: tuple[str, ...]  # the lists it was screened against
    threshold: float
    matches: tuple[NameMatch, ...]


MAX_CHECK_NAME = 200  # characters, as a screened name is kept on a hit
MAX_CHECK_LIMIT = 50


def _hit(row: ScreeningHitRow) -> Hit:
    return Hit(
        row.id,
        row.subject_type,
        row.subject_id,
        row.screened_name,
        row.list_name,
        row.source,
        row.entry_id,
        row.listed_name,
        row.matched_name,
        row.score,
        row.status,
        row.created_at,
        row.resolved_by,
        row.resolved_at,
        row.reason,
    )


def parse_list(
    fmt: str, text: str, *, alt_text: str | None = None, name: str = ""
) -> list[ListedParty]:
    """Parse a list file of ``fmt``; malformed files raise ScreeningFormatError."""
    try:
        kind = ListFormat(fmt)
    except ValueError:
        raise InvalidInput(
            f"unknown list format {fmt!r}",
            code="invalid_list_format",
            field="format",
            hint="sdn, csl or generic",
        ) from None
    if alt_text is not None and kind is not ListFormat.SDN:
        raise InvalidInput(
            "alt.csv goes with the OFAC SDN format only", code="invalid_list_format", field="alt"
        )
    if kind is ListFormat.SDN:
        parties = parse_ofac_sdn(text, alt_text)
    elif kind is ListFormat.CSL:
        parties = parse_csl(text)
    else:
        parties = parse_generic(text, source=name or "custom list")
    if not parties:
        raise InvalidInput("the list has no entries", code="empty_list", field="file")
    return parties


def _party(row: ScreeningEntryRow) -> ListedParty:
    return ListedParty(
        source=row.source,
        entry_id=row.entry_id,
        name=row.name,
        kind=PartyKind(row.kind),
        aliases=tuple(loads(row.aliases_json)),
        programs=tuple(loads(row.programs_json)),
        nations=tuple(loads(row.nations_json)),
    )


class _MatcherCache:
    """One matcher per list generation, shared by the threads of a process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[tuple[str, str], ...] | None = None
        self._matcher: Matcher | None = None
        self._names: dict[tuple[str, str], str] = {}

    @staticmethod
    def generation(session: Session) -> tuple[tuple[str, str], ...]:
        """Every list's id with its import time and content hash."""
        return tuple(
            (i, f"{t.isoformat()}/{h}")
            for i, t, h in session.execute(
                select(
                    ScreeningListRow.id, ScreeningListRow.imported_at, ScreeningListRow.sha256
                ).order_by(ScreeningListRow.id)
            )
        )

    def get(self, session: Session) -> tuple[Matcher, dict[tuple[str, str], str]]:
        """The matcher over every stored entry, and each entry's list name."""
        key = self.generation(session)
        with self._lock:
            if key == self._key and self._matcher is not None:
                return self._matcher, self._names
        lists = {
            i: n for i, n in session.execute(select(ScreeningListRow.id, ScreeningListRow.name))
        }
        rows = session.scalars(select(ScreeningEntryRow).order_by(ScreeningEntryRow.id)).all()
        names = {(r.source, r.entry_id): lists[r.list_id] for r in rows}
        matcher = Matcher(_party(r) for r in rows)
        with self._lock:
            self._key, self._matcher, self._names = key, matcher, names
        return matcher, names


class ScreeningService:
    """Imports lists, screens subjects, raises and resolves hits."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._cache = _MatcherCache()

    # lists

    def import_list(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        name: str,
        fmt: str,
        text: str,
        alt_text: str | None = None,
    ) -> ImportReport:
        """Import (or replace) the list called ``name`` and re-screen everyone against all lists."""
        authorize(by, Act.SCREENING_IMPORT)
        name = name.strip()
        if not 2 <= len(name) <= 120:
            raise InvalidInput(
                "a list name needs 2 to 120 characters", code="invalid_name", field="name"
            )
        parties = parse_list(fmt, text, alt_text=alt_text, name=name)  # all or nothing
        digest = hashlib.sha256(text.encode() + b"\0" + (alt_text or "").encode()).hexdigest()
        with self._uow(ctx) as uow:
            session = uow.session
            row = session.scalar(select(ScreeningListRow).where(ScreeningListRow.name == name))
            if row is None:
                row = ScreeningListRow(id=new_id(), name=name)
                session.add(row)
            else:
                session.execute(
                    delete(ScreeningEntryRow).where(ScreeningEntryRow.list_id == row.id)
                )
            row.format, row.sha256, row.entries, row.imported_at = (
                fmt,
                digest,
                len(parties),
                uow.now,
            )
            session.flush()
            values = [
                {
                    "list_id": row.id,
                    "source": p.source[:200],
                    "entry_id": p.entry_id[:80],
                    "name": p.name,
                    "kind": p.kind.value,
                    "aliases_json": canonical(list(p.aliases)),
                    "programs_json": canonical(list(p.programs)),
                    "nations_json": canonical(list(p.nations)),
                }
                for p in parties
            ]
            for start in range(0, len(values), _INSERT_BATCH):
                session.execute(insert(ScreeningEntryRow), values[start : start + _INSERT_BATCH])
            uow.record(
                "screening.list_imported",
                by.actor(),
                target_id=row.id,
                data={"name": name, "format": fmt, "entries": len(parties), "sha256": digest},
            )
            matcher, lists = self._cache.get(session)
            subjects = _all_subjects(session)
            new = []
            for kind, subject_id, names in subjects:
                new += self._screen(uow, by.actor(), matcher, lists, kind, subject_id, names)
            return ImportReport(row.id, name, fmt, len(parties), digest, len(subjects), tuple(new))

    def lists(self, by: Acting) -> list[dict[str, object]]:
        """The imported lists."""
        authorize(by, Act.SCREENING_READ)
        with self._uow.read() as session:
            return [
                {
                    "id": r.id,
                    "name": r.name,
                    "format": r.format,
                    "entries": r.entries,
                    "sha256": r.sha256,
                    "imported_at": r.imported_at.isoformat(),
                }
                for r in session.scalars(select(ScreeningListRow).order_by(ScreeningListRow.name))
            ]

    # screening

    def check_name(self, by: Acting, name: str, *, limit: int = 5) -> NameCheck:
        """Screen one name against every imported list, ad hoc (an officer asking "is this
        name listed?" before anyone is registered): the matches, best first, each with the
        tokens that paired and the score. Ties at the last place are all returned.

        A read like the list of hits (Act.SCREENING_READ): it records nothing and holds
        nobody. Screening is recorded where it has an effect, as the hits it raises on a
        person or organisation; a name that is no subject raises none.
        """
        authorize(by, Act.SCREENING_READ)
        name = name.strip()
        if not 1 <= len(name) <= MAX_CHECK_NAME:
            raise InvalidInput(
                f"a name to check needs 1 to {MAX_CHECK_NAME} characters",
                code="invalid_name",
                field="name",
            )
        if not 1 <= limit <= MAX_CHECK_LIMIT:
            raise InvalidInput(
                f"limit is 1 to {MAX_CHECK_LIMIT}", code="invalid_limit", field="limit"
            )
        with self._uow.read() as session:
            imported = tuple(
                session.scalars(select(ScreeningListRow.name).order_by(ScreeningListRow.name))
            )
            if not imported:
                return NameCheck(name, (), DEFAULT_THRESHOLD, ())
            matcher, lists = self._cache.get(session)
        found = matcher.screen(name, limit=limit)
        return NameCheck(
            name,
            imported,
            matcher.threshold,
            tuple(
                NameMatch(
                    list_name=lists.get((m.party.source, m.party.entry_id), ""),
                    source=m.party.source,
                    entry_id=m.party.entry_id,
                    kind=m.party.kind.value,
                    listed_name=m.party.name,
                    matched_name=m.matched_name,
                    score=m.score,
                    programs=m.party.programs,
                    tokens=m.tokens,
                )
                for m in found
            ),
        )

    def screen_in(
        self, uow: UnitOfWork, kind: str, subject_id: str, names: tuple[str, ...]
    ) -> None:
        """Screen one subject inside the caller's transaction (creation and change hooks)."""
        self.screen_subject(uow, kind, subject_id, names)

    def screen_subject(
        self, uow: UnitOfWork, kind: str, subject_id: str, names: Sequence[str]
    ) -> list[str]:
        """Screen one subject in ``uow``; the ids of new hits."""
        if uow.session.scalar(select(ScreeningListRow.id).limit(1)) is None:
            return []
        matcher, lists = self._cache.get(uow.session)
        actor = ConsoleOperator("screening").actor()
        return self._screen(uow, actor, matcher, lists, kind, subject_id, names)

    def run(self, by: Acting, ctx: CallContext) -> list[str]:
        """Re-screen every person and organisation against every list; the new hits."""
        authorize(by, Act.SCREENING_RUN)
        with self._uow(ctx) as uow:
            matcher, lists = self._cache.get(uow.session)
            new = []
            for kind, subject_id, names in _all_subjects(uow.session):
                new += self._screen(uow, by.actor(), matcher, lists, kind, subject_id, names)
            return new

    def _screen(
        self,
        uow: UnitOfWork,
        actor: Actor,
        matcher: Matcher,
        lists: dict[tuple[str, str], str],
        kind: str,
        subject_id: str,
        names: Sequence[str],
    ) -> list[str]:
        session = uow.session
        known: set[tuple[str, str, str]] = set(
            (a, b, c)
            for a, b, c in session.execute(
                select(
                    ScreeningHitRow.source, ScreeningHitRow.entry_id, ScreeningHitRow.matched_name
                ).where(ScreeningHitRow.subject_id == subject_id)
            )
        )
        raised = []
        for screened in dict.fromkeys(n for n in names if n and n.strip()):
            for match in matcher.screen(screened):
                key = (
                    match.party.source[:200],
                    match.party.entry_id[:80],
                    match.matched_name[:500],
                )
                if key in known:
                    continue
                known.add(key)
                row = ScreeningHitRow(
                    id=new_id(),
                    subject_type=kind,
                    subject_id=subject_id,
                    screened_name=screened[:200],
                    list_name=lists.get((match.party.source, match.party.entry_id), ""),
                    source=key[0],
                    entry_id=key[1],
                    listed_name=match.party.name,
                    matched_name=key[2],
                    score=round(match.score, 2),
                    status=SCREENING_HIT.initial.value,
                    created_at=uow.now,
                    reason="",
                )
                session.add(row)
                uow.record(
                    "screening.hit_raised",
                    actor,
                    target_id=row.id,
                    data={
                        "subject_type": kind,
                        "subject_id": subject_id,
                        "screened_name": row.screened_name,
                        "source": row.source,
                        "entry_id": row.entry_id,
                        "matched_name": row.matched_name,
                        "score": row.score,
                    },
                )
                hit_raised(uow, row)  # same transaction as the hit and its event
                raised.append(row.id)
        return raised

    # hits

    def hits(self, by: Acting, *, status: str | None = HitStatus.OPEN.value) -> list[Hit]:
        """Hits the officer may see: on people of their organisation, and on organisations."""
        authorize(by, Act.SCREENING_READ)
        with self._uow.read() as session:
            query = select(ScreeningHitRow).order_by(ScreeningHitRow.created_at, ScreeningHitRow.id)
            if status is not None:
                query = query.where(ScreeningHitRow.status == HitStatus(status).value)
            if not isinstance(by, ConsoleOperator):
                own_people = select(PersonRow.id).where(
                    PersonRow.organisation_id == by.person.organisation_id
                )
                query = query.where(
                    or_(
                        ScreeningHitRow.subject_type == "organisation",
                        ScreeningHitRow.subject_id.in_(own_people),
                    )
                )
            return [_hit(r) for r in session.scalars(query)]

    def awaiting(self, by: Acting) -> list[Hit]:
        """Open hits waiting for ``by`` (the work queue): those ``hits`` shows them that
        ``resolve`` would let them decide, by the same rule it applies."""
        if not allowed(by, Act.SCREENING_READ):
            return []
        open_hits = self.hits(by)
        with self._uow.read() as session:
            mine = []
            for hit in open_hits:
                row = session.get(ScreeningHitRow, hit.id)
                try:
                    if row is not None:
                        self._require_resolver(session, by, row)
                        mine.append(hit)
                except PermissionDenied:
                    continue
            return mine

    def resolve(
        self, by: Acting, ctx: CallContext, hit_id: str, *, outcome: str, reason: str
    ) -> Hit:
        """A security officer decides a hit: false positive (hold ends) or true match.
        A hit on a person is their own organisation's officer's, never their own; a hit
        on an organisation is an officer's of another organisation (Act.SCREENING_RESOLVE)."""
        move = SCREENING_HIT.find(outcome)  # the verbs are the outcomes
        if move is None:
            raise InvalidInput(
                f"a hit is resolved as false_positive or true_match, not {outcome!r}",
                code="invalid_resolution",
                field="outcome",
            )
        # The role first, before anything about the hit is looked up or told.
        authorize(by, move.act, Target(organisation_id=_own_organisation(by)))
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = uow.session.get(ScreeningHitRow, hit_id)
            if row is None:
                raise NotFound(f"no screening hit {hit_id!r}", code="unknown_hit")
            self._require_resolver(uow.session, by, row)
            require_move(SCREENING_HIT, move.verb, HitStatus(row.status), subject=_of(row))
            row.status, row.reason = move.to.value, reason
            row.resolved_by, row.resolved_at = actor_id(by), uow.now
            uow.record(
                "screening.hit_resolved",
                by.actor(),
                target_id=row.id,
                data={
                    "subject_type": row.subject_type,
                    "subject_id": row.subject_id,
                    "outcome": move.to.value,
                    "reason": reason,
                },
            )
            hit_resolved(uow, row, resolver=actor_id(by))
            return _hit(row)

    @staticmethod
    def _require_resolver(session: Session, by: Acting, row: ScreeningHitRow) -> None:
        """Separation of duties: nobody resolves a hold on themselves or their organisation;
        a hit on a person is for their own organisation's security officer."""
        if row.subject_type == "person":
            org = session.scalar(
                select(PersonRow.organisation_id).where(PersonRow.id == row.subject_id)
            )
            authorize(
                by, Act.SCREENING_RESOLVE, Target(person_id=row.subject_id, organisation_id=org)
            )
            return
        # A hold on an organisation is decided from outside it: the officer acts for their
        # own organisation, which must not be the one held.
        own = _own_organisation(by)
        authorize(by, Act.SCREENING_RESOLVE, Target(organisation_id=own))
        if own is not None and own == row.subject_id:
            raise PermissionDenied(
                "a hit on your own organisation is resolved by another organisation's officer",
                code=Code.SELF_CHANGE.value,
                hint="ask a security officer of another organisation",
                data={
                    "action": Act.SCREENING_RESOLVE.value,
                    "rule": "not of the organisation held",
                },
            )


def _of(row: ScreeningHitRow) -> str:
    return f"the hit on {row.screened_name}"


def _own_organisation(by: Acting) -> str | None:
    """The organisation an officer acts for (None for the console)."""
    return None if isinstance(by, ConsoleOperator) else by.person.organisation_id


def _all_subjects(session: Session) -> list[tuple[str, str, tuple[str, ...]]]:
    people: list[tuple[str, str, tuple[str, ...]]] = [
        ("person", i, (n,))
        for i, n in session.execute(select(PersonRow.id, PersonRow.display_name))
    ]
    orgs: list[tuple[str, str, tuple[str, ...]]] = [
        ("organisation", i, (n, s or ""))
        for i, n, s in session.execute(
            select(OrganisationRow.id, OrganisationRow.name, OrganisationRow.short_name)
        )
    ]
    return people + orgs


def holds_of(session: Session, subject_ids: Iterable[str]) -> list[ScreeningHold]:
    """Open and true-match hits on the given subjects, as policy holds."""
    ids = sorted(set(subject_ids))
    rows = session.scalars(
        select(ScreeningHitRow)
        .where(
            ScreeningHitRow.subject_id.in_(ids),
            ScreeningHitRow.status.in_([HitStatus.OPEN.value, HitStatus.TRUE_MATCH.value]),
        )
        .order_by(ScreeningHitRow.id)
    ).all()
    return [
        ScreeningHold(
            r.id,
            r.subject_type,
            (
                f"possible match ({r.score:.0f}) with {r.matched_name!r} on {r.source}"
                if r.status == HitStatus.OPEN.value
                else f"denied party: confirmed match with {r.matched_name!r} on {r.source}"
            ),
        )
        for r in rows
    ]


class DbScreening:
    """Requirement 8's source: unresolved or confirmed hits on the person or organisation."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def holds(self, *, person_id: str, organisation_id: str) -> Sequence[ScreeningHold]:
        with self._uow.read() as session:
            # Within a shared read (a page of decisions, one snapshot) each question is
            # asked of the database once; a read of its own is a new session each time.
            asked = session.info.setdefault("screening_holds", {})
            key = (person_id, organisation_id)
            if key not in asked:
                asked[key] = tuple(holds_of(session, key))
            answer: tuple[ScreeningHold, ...] = asked[key]
            return answer
