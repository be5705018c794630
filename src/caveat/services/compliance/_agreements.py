"""Agreements: recorded, amended as versions, moved through their lifecycle; and the
database-backed ``Agreements`` source the policy's requirement 6 reads (ADR 0008).

Status changes take effect at once: the policy asks this store on every decision.
An agreement is in force on a day when its status is ``in_force`` and the day lies
within its effective and expiry dates (inclusive); past its expiry it reads as expired.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow
from caveat.adapters.db.models.compliance import (
    AgreementControlRow,
    AgreementCoverageRow,
    AgreementPartyRow,
    AgreementRow,
    AgreementVersionRow,
    ProgrammeProjectRow,
    ProgrammeRow,
)
from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.compliance import (
    AgreementKind,
    AgreementStatus,
    agreement_status,
    control_entries,
    dispute_terms_from,
    ip_terms_from,
    nations,
    overlaps,
    require_dates,
    require_reason,
)
from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.events import Actor
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import builtin_schemes, label_from_canonical_json
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import AGREEMENT
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action, AgreementTerms, PolicyEnvironment, label_facts
from caveat.domain.policy.facts import not_released_to
from caveat.services.identity import RegistryService
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.generations import GenerationCache
from caveat.services.kernel.lookup import by_reference
from caveat.services.kernel.principal import Acting, ConsoleOperator
from caveat.services.kernel.records import (
    actor_id,
    canonical,
    find_organisation,
    loads,
    new_id,
    require_level,
    require_text,
)
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.policy import PolicyService
from caveat.services.projects import find_project


@dataclass(frozen=True, slots=True)
class AgreementDraft:
    """An agreement's terms as given (create) or amended; every field is checked."""

    name: str
    kind: AgreementKind
    effective_on: date
    expires_on: date | None
    max_level: int
    party_nations: tuple[str, ...] = ()
    party_organisations: tuple[str, ...] = ()  # ids or names
    programmes: tuple[str, ...] = ()  # ids or names
    projects: tuple[str, ...] = ()  # ids or names
    technology_areas: tuple[str, ...] = ()
    controls: tuple[str, ...] | None = None  # None: no export-control scope limit
    releasability: tuple[str, ...] = ()  # ceiling: nation and group codes
    ip_terms: dict[str, Any] | None = None
    disputes: dict[str, Any] | None = None
    text_resource_id: str | None = None


@dataclass(frozen=True, slots=True)
class Agreement:
    """An agreement as services hand it out."""

    id: str
    name: str
    kind: str
    status: str  # effective status (expired once past the expiry date)
    version: int
    effective_on: date
    expires_on: date | None
    max_level: int
    party_nations: tuple[str, ...]
    party_organisations: tuple[str, ...]
    programmes: tuple[str, ...]
    projects: tuple[str, ...]
    technology_areas: tuple[str, ...]
    controls: tuple[str, ...] | None
    releasability: tuple[str, ...]
    ip_terms: dict[str, Any]
    disputes: dict[str, Any]
    text_resource_id: str | None
    updated_at: datetime
    versions: tuple[dict[str, Any], ...] = field(default=())
    text_not_released_to: tuple[str, ...] = ()  # party nations that cannot read the text


def _text_barred(
    label_json: str, parties: set[str], directory: GroupDirectory, today: date
) -> list[str]:
    """The party nations the text's label does not release to today."""
    schemes = builtin_schemes()
    label = label_from_canonical_json(label_json.encode(), schemes=schemes, check_rules=False)
    env = PolicyEnvironment(groups=directory, schemes=schemes)
    return not_released_to(label_facts(label, schemes), parties, env, today)


def find_agreement(session: Session, ref: str) -> AgreementRow:
    """An agreement by id or name."""
    row = by_reference(session, AgreementRow, ref, AgreementRow.name)
    if row is None:
        raise NotFound(f"no agreement {ref!r}", code="unknown_agreement")
    return row


def parties_of(session: Session, agreement_id: str) -> Target:
    """An agreement's parties as the permission rules read them (organisation ids and
    nation codes, as stored)."""
    c = _children(session, agreement_id)
    return Target(
        party_organisations=frozenset(c["party_organisations"]),
        party_nations=frozenset(c["party_nations"]),
    )


def proposed_parties(session: Session, draft: AgreementDraft) -> Target:
    """The parties a draft names (organisations resolved to ids, nations checked)."""
    return Target(
        party_organisations=frozenset(
            find_organisation(session, o).id for o in draft.party_organisations
        ),
        party_nations=frozenset(nations(draft.party_nations)),
    )


def find_programme(session: Session, ref: str) -> ProgrammeRow:
    """A programme by id or name."""
    row = by_reference(session, ProgrammeRow, ref, ProgrammeRow.name)
    if row is None:
        raise NotFound(
            f"no programme {ref!r}",
            code="unknown_programme",
            hint="list programmes with `caveat programme list`",
        )
    return row


def _children(session: Session, agreement_id: str) -> dict[str, Any]:
    parties = session.execute(
        select(AgreementPartyRow.kind, AgreementPartyRow.party).where(
            AgreementPartyRow.agreement_id == agreement_id
        )
    ).all()
    coverage = session.execute(
        select(AgreementCoverageRow.kind, AgreementCoverageRow.ref_id).where(
            AgreementCoverageRow.agreement_id == agreement_id
        )
    ).all()
    controls = session.scalars(
        select(AgreementControlRow.entry).where(AgreementControlRow.agreement_id == agreement_id)
    ).all()
    return {
        "party_nations": sorted(p for k, p in parties if k == "nation"),
        "party_organisations": sorted(p for k, p in parties if k == "organisation"),
        "programmes": sorted(r for k, r in coverage if k == "programme"),
        "projects": sorted(r for k, r in coverage if k == "project"),
        "controls": sorted(controls),
    }


def terms_document(row: AgreementRow, children: dict[str, Any]) -> dict[str, Any]:
    """The full terms of one version, as stored in ``agreement_versions`` and events."""
    return {
        "name": row.name,
        "kind": row.kind,
        "effective_on": row.effective_on.isoformat(),
        "expires_on": None if row.expires_on is None else row.expires_on.isoformat(),
        "max_level": row.max_common_level,
        "releasability": loads(row.releasability_json),
        "technology_areas": loads(row.technology_areas_json),
        "controls": children["controls"] if row.scoped else None,
        "party_nations": children["party_nations"],
        "party_organisations": children["party_organisations"],
        "programmes": children["programmes"],
        "projects": children["projects"],
        "ip_terms": loads(row.ip_terms_json),
        "disputes": loads(row.disputes_json),
        "text_resource_id": row.text_resource_id,
    }


def _view(session: Session, row: AgreementRow, today: date, *, history: bool) -> Agreement:
    c = _children(session, row.id)
    versions: tuple[dict[str, Any], ...] = ()
    if history:
        versions = tuple(
            {
                "version": v.version,
                "note": v.note,
                "created_by": v.created_by,
                "created_at": v.created_at.isoformat(),
                "terms": loads(v.terms_json),
            }
            for v in session.scalars(
                select(AgreementVersionRow)
                .where(AgreementVersionRow.agreement_id == row.id)
                .order_by(AgreementVersionRow.version)
            )
        )
    return Agreement(
        id=row.id,
        name=row.name,
        kind=row.kind,
        status=agreement_status(row.status, row.expires_on, today).value,
        version=row.version,
        effective_on=row.effective_on,
        expires_on=row.expires_on,
        max_level=row.max_common_level,
        party_nations=tuple(c["party_nations"]),
        party_organisations=tuple(c["party_organisations"]),
        programmes=tuple(c["programmes"]),
        projects=tuple(c["projects"]),
        technology_areas=tuple(loads(row.technology_areas_json)),
        controls=tuple(c["controls"]) if row.scoped else None,
        releasability=tuple(loads(row.releasability_json)),
        ip_terms=loads(row.ip_terms_json),
        disputes=loads(row.disputes_json),
        text_resource_id=row.text_resource_id,
        updated_at=row.updated_at,
        versions=versions,
    )


class AgreementService:
    """Agreement managers of a party record, amend and move agreements; their status
    decides requirement 6 at once."""

    def __init__(
        self, *, uow: UnitOfWorkFactory, registry: RegistryService, policy: PolicyService
    ) -> None:
        self._uow = uow
        self._registry = registry
        self._policy = policy
        self._when_ended: list[Callable[[UnitOfWork, str, Actor], None]] = []

    def when_ended(self, hook: Callable[[UnitOfWork, str, Actor], None]) -> None:
        """Call ``hook`` in the unit of work that takes an agreement out of force
        (suspended, expired, terminated), with its id and who did it: federation
        recalls what the agreement covered there."""
        self._when_ended.append(hook)

    # writing

    def create(self, by: Acting, ctx: CallContext, draft: AgreementDraft) -> Agreement:
        """Record a draft agreement (version 1); it has no effect until brought into force.
        An agreement manager records only agreements their organisation (or nation) is
        party to."""
        with self._uow(ctx) as uow:
            authorize(by, Act.AGREEMENT_CREATE, proposed_parties(uow.session, draft), now=uow.now)
            name = require_text(draft.name, field="name")
            if uow.session.scalar(select(AgreementRow.id).where(AgreementRow.name == name)):
                raise Conflict(
                    f"an agreement called {name!r} exists", code="duplicate_agreement", field="name"
                )
            row = AgreementRow(
                id=new_id(),
                status=AGREEMENT.initial.value,
                version=1,
                created_at=uow.now,
            )
            self._apply(uow, by, row, draft)
            uow.session.add(row)
            uow.session.flush()
            self._write_children(uow, row, draft)
            terms = self._snapshot(uow, row, "recorded", by)
            uow.record(
                "agreement.created", by.actor(), target_id=row.id, data={"version": 1, **terms}
            )
            return _view(uow.session, row, uow.now.date(), history=False)

    def amend(
        self, by: Acting, ctx: CallContext, ref: str, draft: AgreementDraft, *, note: str
    ) -> Agreement:
        """A new version with the given terms (the old one is kept); checks overlap again.
        Only a party amends, and the amended agreement must still name the amender's
        party (nobody hands an agreement over to others)."""
        authorize(by, Act.AGREEMENT_READ)  # whether it exists is for readers to learn
        note = require_reason(note, field="note")
        with self._uow(ctx) as uow:
            row = find_agreement(uow.session, ref)
            authorize(by, Act.AGREEMENT_AMEND, parties_of(uow.session, row.id), now=uow.now)
            authorize(by, Act.AGREEMENT_AMEND, proposed_parties(uow.session, draft), now=uow.now)
            today = uow.now.date()
            status = agreement_status(row.status, row.expires_on, today)
            if AGREEMENT.is_terminal(status):
                raise Conflict(
                    f"agreement {row.name} is {status.value}: it can no longer be amended",
                    code="agreement_closed",
                )
            name = require_text(draft.name, field="name")
            if uow.session.scalar(
                select(AgreementRow.id).where(AgreementRow.name == name, AgreementRow.id != row.id)
            ):
                raise Conflict(
                    f"an agreement called {name!r} exists", code="duplicate_agreement", field="name"
                )
            self._apply(uow, by, row, draft)
            for table in (AgreementPartyRow, AgreementCoverageRow, AgreementControlRow):
                uow.session.execute(delete(table).where(table.agreement_id == row.id))
            self._write_children(uow, row, draft)
            if status is AgreementStatus.IN_FORCE:
                self._require_no_overlap(uow.session, row)
            row.version += 1
            terms = self._snapshot(uow, row, note, by)
            uow.record(
                "agreement.amended",
                by.actor(),
                target_id=row.id,
                data={"version": row.version, "note": note, **terms},
            )
            return _view(uow.session, row, today, history=False)

    def move(self, by: Acting, ctx: CallContext, ref: str, verb: str, *, reason: str) -> Agreement:
        """activate | suspend | resume | expire | terminate, effective immediately; only
        by an agreement manager of a party."""
        authorize(by, Act.AGREEMENT_READ)  # whether it exists is for readers to learn
        move = AGREEMENT.find(verb)
        if move is None:
            raise InvalidInput(
                f"unknown agreement action {verb!r}",
                code="invalid_agreement_action",
                hint=", ".join(AGREEMENT.verbs),
            )
        reason = require_reason(reason)
        target = move.to
        with self._uow(ctx) as uow:
            row = find_agreement(uow.session, ref)
            authorize(by, move.act, parties_of(uow.session, row.id), now=uow.now)
            today = uow.now.date()
            current = agreement_status(row.status, row.expires_on, today)
            require_move(AGREEMENT, verb, current, subject=f"agreement {row.name}")
            if target is AgreementStatus.IN_FORCE:
                require_dates(row.effective_on, row.expires_on, what="agreement", today=today)
                self._require_no_overlap(uow.session, row)
            previous = row.status
            row.status = target.value
            row.updated_at = uow.now
            uow.record(
                "agreement.status_changed",
                by.actor(),
                target_id=row.id,
                data={
                    "from": current.value,
                    "stored_from": previous,
                    "to": target.value,
                    "reason": reason,
                    "version": row.version,
                },
            )
            if current is AgreementStatus.IN_FORCE and target is not AgreementStatus.IN_FORCE:
                for hook in self._when_ended:
                    hook(uow, row.id, by.actor())
            return _view(uow.session, row, today, history=False)

    # reading

    def list_agreements(self, by: Acting) -> list[Agreement]:
        """Every agreement (agreement managers, officers, programme managers, auditors)."""
        authorize(by, Act.AGREEMENT_READ)
        with self._uow.read() as session:
            today = self._uow.clock().date()
            rows = session.scalars(select(AgreementRow).order_by(AgreementRow.name)).all()
            return [_view(session, r, today, history=False) for r in rows]

    def get(self, by: Acting, ref: str) -> Agreement:
        """One agreement with every version."""
        authorize(by, Act.AGREEMENT_READ)
        with self._uow.read() as session:
            row = find_agreement(session, ref)
            today = self._uow.clock().date()
            found = _view(session, row, today, history=True)
            text = session.get(ResourceRow, row.text_resource_id or "")
            if text is None or text.label_json is None:
                return found
            # Relabelling the text tighter is never refused (that is the safe direction),
            # so the agreement says when its parties can no longer read it.
            orgs = session.scalars(
                select(OrganisationRow.nation).where(
                    OrganisationRow.id.in_(found.party_organisations)
                )
            )
            parties = set(found.party_nations) | set(orgs)
            barred = _text_barred(text.label_json, parties, self._registry.directory(), today)
            return replace(found, text_not_released_to=tuple(barred))

    def may_change(self, by: Acting, agreement: Agreement) -> bool:
        """Whether ``by`` may amend and move ``agreement`` (an agreement manager of a
        party): for pages deciding which controls to offer."""
        parties = Target(
            party_organisations=frozenset(agreement.party_organisations),
            party_nations=frozenset(agreement.party_nations),
        )
        return allowed(by, Act.AGREEMENT_MOVE, parties, now=self._uow.clock())

    # helpers

    def _apply(self, uow: UnitOfWork, by: Acting, row: AgreementRow, draft: AgreementDraft) -> None:
        try:
            kind = AgreementKind(draft.kind)
        except ValueError:
            raise InvalidInput(
                f"unknown agreement kind {draft.kind!r}",
                code="invalid_agreement_kind",
                field="kind",
                hint=", ".join(k.value for k in AgreementKind),
            ) from None
        require_dates(draft.effective_on, draft.expires_on, what="agreement")
        if not draft.party_nations and not draft.party_organisations:
            raise InvalidInput(
                "an agreement needs parties (nations and/or organisations)",
                code="agreement_parties_required",
                field="parties",
            )
        if len(set(draft.party_nations)) + len(set(draft.party_organisations)) < 2:
            raise InvalidInput(
                "an agreement needs at least two parties",
                code="agreement_parties_required",
                field="parties",
            )
        if not draft.programmes and not draft.projects:
            raise InvalidInput(
                "an agreement covers at least one programme or project",
                code="agreement_coverage_required",
                field="projects",
            )
        directory = self._registry.directory()
        ceiling = tuple(sorted(set(draft.releasability)))
        ceiling_nations = directory.expand(ceiling, draft.effective_on)
        party_nations = set(nations(draft.party_nations))
        for ref in draft.party_organisations:
            party_nations.add(find_organisation(uow.session, ref).nation)
        outside = sorted(party_nations - ceiling_nations) if ceiling else []
        if outside:
            raise InvalidInput(
                f"the releasability ceiling {', '.join(ceiling)} excludes parties of "
                f"{', '.join(outside)}: the agreement contradicts itself",
                code="contradictory_agreement",
                field="releasability",
                hint="widen the ceiling or drop the party",
            )
        areas = tuple(
            sorted({require_text(a, field="technology_area") for a in draft.technology_areas})
        )
        row.name = require_text(draft.name, field="name")
        row.kind = kind.value
        row.effective_on = draft.effective_on
        row.expires_on = draft.expires_on
        row.max_common_level = require_level(draft.max_level)
        row.releasability_json = canonical(list(ceiling))
        row.technology_areas_json = canonical(list(areas))
        row.scoped = draft.controls is not None
        row.ip_terms_json = canonical(ip_terms_from(draft.ip_terms).document())
        row.disputes_json = canonical(dispute_terms_from(draft.disputes).document())
        if draft.text_resource_id is not None:
            text = uow.session.get(ResourceRow, draft.text_resource_id)
            # A resource the actor may not discover answers exactly as a missing one, and
            # its label is never checked (or reported) for them: no existence oracle.
            kept = draft.text_resource_id == row.text_resource_id  # already on the agreement
            if text is None or not (kept or self._discoverable(uow, by, text)):
                raise NotFound(
                    f"no resource {draft.text_resource_id!r} for the agreement text",
                    code="unknown_resource",
                    field="text_resource_id",
                )
            self._check_text(text, party_nations, directory, uow.now.date())
        row.text_resource_id = draft.text_resource_id
        row.updated_at = uow.now

    def _discoverable(self, uow: UnitOfWork, by: Acting, text: ResourceRow) -> bool:
        """The policy's discover decision on the text for ``by`` (the console, holding
        the node's data directory, sees the catalogue)."""
        if isinstance(by, ConsoleOperator):
            return True
        decision = self._policy.decide_row(uow.session, by, Action.DISCOVER, text, uow.now)
        return decision.permitted

    @staticmethod
    def _check_text(
        text: ResourceRow, parties: set[str], directory: GroupDirectory, today: date
    ) -> None:
        """The signed text is handled by its label like any artifact, and every party must
        be able to read its own agreement: the label must release to each party nation."""
        if text.label_json is None:
            raise InvalidInput(
                "the agreement text must carry a security label",
                code="unlabelled_agreement_text",
                field="text_resource_id",
            )
        barred = _text_barred(text.label_json, parties, directory, today)
        if barred:
            raise InvalidInput(
                f"the agreement text is not releasable to {', '.join(barred)}: every party "
                "must be able to read its agreement",
                code="agreement_text_not_releasable",
                field="text_resource_id",
                hint="release the text to the parties first, or attach another",
            )

    def _write_children(self, uow: UnitOfWork, row: AgreementRow, draft: AgreementDraft) -> None:
        session = uow.session
        orgs = {find_organisation(session, o).id for o in draft.party_organisations}
        session.add_all(
            [
                AgreementPartyRow(agreement_id=row.id, kind="nation", party=n)
                for n in nations(draft.party_nations)
            ]
            + [
                AgreementPartyRow(agreement_id=row.id, kind="organisation", party=o)
                for o in sorted(orgs)
            ]
        )
        programmes = {find_programme(session, p).id for p in draft.programmes}
        projects = {find_project(session, p).id for p in draft.projects}
        session.add_all(
            [
                AgreementCoverageRow(agreement_id=row.id, kind="programme", ref_id=p)
                for p in sorted(programmes)
            ]
            + [
                AgreementCoverageRow(agreement_id=row.id, kind="project", ref_id=p)
                for p in sorted(projects)
            ]
        )
        if draft.controls is not None:
            session.add_all(
                [
                    AgreementControlRow(agreement_id=row.id, entry=e)
                    for e in control_entries(draft.controls)
                ]
            )
        session.flush()

    def _snapshot(
        self, uow: UnitOfWork, row: AgreementRow, note: str, by: Acting
    ) -> dict[str, Any]:
        terms = terms_document(row, _children(uow.session, row.id))
        uow.session.add(
            AgreementVersionRow(
                agreement_id=row.id,
                version=row.version,
                terms_json=canonical(terms),
                note=note,
                created_by=actor_id(by),
                created_at=uow.now,
            )
        )
        return terms

    def _require_no_overlap(self, session: Session, row: AgreementRow) -> None:
        """No other agreement of the same kind between the same parties covering a common
        programme or project is in force (or suspended) over an overlapping period."""
        mine = _children(session, row.id)
        parties = (set(mine["party_nations"]), set(mine["party_organisations"]))
        covered = {("programme", p) for p in mine["programmes"]} | {
            ("project", p) for p in mine["projects"]
        }
        # A project covered directly clashes with the same project covered through its programme.
        covered |= {("project", p) for p in _projects_of(session, mine["programmes"])}
        others = session.scalars(
            select(AgreementRow).where(
                AgreementRow.id != row.id,
                AgreementRow.kind == row.kind,
                AgreementRow.status.in_(
                    [AgreementStatus.IN_FORCE.value, AgreementStatus.SUSPENDED.value]
                ),
            )
        ).all()
        for other in others:
            if not overlaps(row.effective_on, row.expires_on, other.effective_on, other.expires_on):
                continue
            theirs = _children(session, other.id)
            if (set(theirs["party_nations"]), set(theirs["party_organisations"])) != parties:
                continue
            their_cover = {("programme", p) for p in theirs["programmes"]} | {
                ("project", p) for p in theirs["projects"]
            }
            their_cover |= {("project", p) for p in _projects_of(session, theirs["programmes"])}
            common = covered & their_cover
            if common:
                raise Conflict(
                    f"agreement {other.name} ({other.kind}) between the same parties already "
                    f"covers {len(common)} of the same programmes/projects from "
                    f"{other.effective_on} to {other.expires_on or 'open end'}",
                    code="overlapping_agreement",
                    data={"agreement_id": other.id},
                    hint="amend the existing agreement instead, or terminate it first",
                )


def _projects_of(session: Session, programmes: Sequence[str]) -> set[str]:
    if not programmes:
        return set()
    return set(
        session.scalars(
            select(ProgrammeProjectRow.project_id).where(
                ProgrammeProjectRow.programme_id.in_(list(programmes))
            )
        )
    )


class DbAgreements:
    """Requirement 6's source: agreements in force on a day naming the organisation or nation.

    The agreements the subject's organisation or nation is a
    party to, in force and within their dates; covered projects include those of
    covered programmes as they stand now.
    """

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._cache: GenerationCache[tuple[AgreementTerms, ...]] = GenerationCache(
            uow, "agreements"
        )

    def in_force(self, *, organisation_id: str, nation: str, on: date) -> Sequence[AgreementTerms]:
        return self._cache.get(
            (organisation_id, nation, on),
            lambda session: tuple(
                terms_in_force(session, organisation_id=organisation_id, nation=nation, on=on)
            ),
        )


def terms_in_force(
    session: Session, *, organisation_id: str, nation: str, on: date
) -> list[AgreementTerms]:
    """The policy terms of the agreements in force on ``on`` for the organisation or nation."""
    rows = session.execute(
        select(
            AgreementRow.id, AgreementRow.name, AgreementRow.max_common_level, AgreementRow.scoped
        )
        .join(AgreementPartyRow, AgreementPartyRow.agreement_id == AgreementRow.id)
        .where(
            or_(
                (AgreementPartyRow.kind == "organisation")
                & (AgreementPartyRow.party == organisation_id),
                (AgreementPartyRow.kind == "nation") & (AgreementPartyRow.party == nation),
            ),
            AgreementRow.status == AgreementStatus.IN_FORCE.value,
            AgreementRow.effective_on <= on,
            or_(AgreementRow.expires_on.is_(None), AgreementRow.expires_on >= on),
        )
        .distinct()
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    projects: dict[str, set[str]] = {i: set() for i in ids}
    for agreement_id, kind, ref in session.execute(
        select(
            AgreementCoverageRow.agreement_id,
            AgreementCoverageRow.kind,
            AgreementCoverageRow.ref_id,
        ).where(AgreementCoverageRow.agreement_id.in_(ids))
    ):
        if kind == "project":
            projects[agreement_id].add(ref)
    for agreement_id, project in session.execute(
        select(AgreementCoverageRow.agreement_id, ProgrammeProjectRow.project_id)
        .join(
            ProgrammeProjectRow,
            ProgrammeProjectRow.programme_id == AgreementCoverageRow.ref_id,
        )
        .where(AgreementCoverageRow.agreement_id.in_(ids), AgreementCoverageRow.kind == "programme")
    ):
        projects[agreement_id].add(project)
    controls: dict[str, set[str]] = {i: set() for i in ids}
    for agreement_id, entry in session.execute(
        select(AgreementControlRow.agreement_id, AgreementControlRow.entry).where(
            AgreementControlRow.agreement_id.in_(ids)
        )
    ):
        controls[agreement_id].add(entry)
    return [
        AgreementTerms(
            id=r.id,
            name=r.name,
            projects=frozenset(projects[r.id]),
            max_common_level=r.max_common_level,
            controls=frozenset(controls[r.id]) if r.scoped else None,
        )
        for r in sorted(rows, key=lambda r: r.id)
    ]
