"""Policy questions: decide, explain, who-can, what-if, and listing what a subject may see.

Who may ask what (ADR 0006):

- anyone, about themselves: their own decision, subject view, only for resources they
  may discover (anything else is the "not found" of a missing resource);
- security officers, about people of their own organisation, for resources they may
  discover themselves: the officer view, what-if; who-can lists the people of the
  officer's own organisation with their failed requirements and only counts the people
  of every other organisation (nobody learns another organisation's screening holds,
  clearances or caveats from it);
- the node console (holder of the data directory): the officer view of anything.

Who may ask is the permission table's (Act.POLICY_EXPLAIN, Act.POLICY_WHO_CAN); what
others learn about a resource follows the policy's discover decision (ADR 0012).

Officer questions assume the subject has just proved MFA (their session is not in
the question); the subject's own decisions use their real MFA time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.errors import InvalidInput
from caveat.domain.identity import Person
from caveat.domain.labels import (
    Label,
    NoEquivalentLevel,
    SchemeRegistry,
    builtin_schemes,
    equivalent,
    label_from_canonical_json,
    render_banner,
)
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import (
    Action,
    Agreements,
    Audience,
    Change,
    Context,
    Decision,
    Embargoes,
    Explanation,
    ExportAuthorizations,
    MemoryAgreements,
    MemoryAuthorizations,
    MemoryEmbargoes,
    MemoryScreening,
    PolicyConfig,
    PolicyEnvironment,
    Resource,
    Screening,
    WhatIf,
    decide,
    explain,
    what_if,
)
from caveat.services.identity import RegistryService, find_person, person_view
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, ConsoleOperator, Principal
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.policy import listing as policy_listing
from caveat.services.policy._loader import (
    find_resource,
    not_found,
    people_rows,
    resource_of,
    subject_of,
)

MAX_PAGE = 500


@dataclass(frozen=True, slots=True)
class ResourceView:
    """What discover shows: metadata and the label, never content."""

    id: str
    project_id: str
    kind: str
    title: str
    banner: str | None
    label: Label | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Page:
    """One keyset page of a listing and the number of visible resources: exact up to
    ``policy_listing.COUNT_CAP``; beyond it ``total`` is the cap, ``total_exact`` false,
    and the answer reads "more than {total}" (counting on would read every candidate)."""

    items: tuple[ResourceView, ...]
    total: int
    next_after: str | None
    total_exact: bool = True


@dataclass(frozen=True, slots=True)
class WhoCan:
    """One person's decision on a resource (who-can)."""

    person_id: str
    username: str
    organisation: str  # its name (organisations are not labelled information)
    permitted: bool
    failed: tuple[str, ...]
    organisation_id: str = ""


@dataclass(frozen=True, slots=True)
class Counted:
    """The people of one other organisation: how many, and how many may act."""

    organisation: str
    nation: str
    people: int
    permitted: int
    organisation_id: str = ""


@dataclass(frozen=True, slots=True)
class WhoCanReport:
    """Who-can as the asking officer may see it: the people of their own organisation
    listed with their failed requirements, everyone else counted per organisation (the
    console lists everyone)."""

    resource_id: str
    action: str
    people: tuple[WhoCan, ...]
    others: tuple[Counted, ...]

    @property
    def total(self) -> int:
        """Every person the answer covers, listed or counted."""
        return len(self.people) + sum(c.people for c in self.others)

    @property
    def permitted(self) -> int:
        """How many of them may act."""
        return sum(w.permitted for w in self.people) + sum(c.permitted for c in self.others)

    def summary(self) -> str:
        """One line, e.g. "3 of 9 people may read (2 of 5 people in 2 other organisations)"."""
        line = f"{self.permitted} of {self.total} people may {self.action}"
        if self.others:
            counted = sum(c.people for c in self.others)
            allowed = sum(c.permitted for c in self.others)
            line += (
                f" ({allowed} of {counted} people in {len(self.others)} other "
                f"organisation{'s' if len(self.others) != 1 else ''}, counted, not listed)"
            )
        return line


def _banner(label: Label | None, schemes: SchemeRegistry) -> str | None:
    if label is None:
        return None
    try:
        return render_banner(label, schemes=schemes)
    except InvalidInput:
        return None  # a label with categories CAPCO cannot write: shown as JSON only


def view_of(row: Any, schemes: SchemeRegistry) -> ResourceView:
    """The discover view of a catalogue row (ORM row or Core result row)."""
    label = (
        None
        if row.label_json is None
        else label_from_canonical_json(row.label_json.encode(), schemes=schemes, check_rules=False)
    )
    return ResourceView(
        row.id, row.project_id, row.kind, row.title, _banner(label, schemes), label, row.created_at
    )


class PolicyService:
    """Answers policy questions against the catalogue, people and the data sources of 6-9."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        registry: RegistryService,
        config: PolicyConfig | None = None,
        agreements: Agreements | None = None,
        authorizations: ExportAuthorizations | None = None,
        screening: Screening | None = None,
        embargoes: Embargoes | None = None,
    ) -> None:
        self._uow = uow
        self._registry = registry
        self.config = config or PolicyConfig()
        # Until agreements and the rest are recorded (a later issue) the sources are
        # empty: cross-national access fails closed on requirement 6.
        self.agreements: Agreements = agreements or MemoryAgreements()
        self.authorizations: ExportAuthorizations = authorizations or MemoryAuthorizations()
        self.screening: Screening = screening or MemoryScreening()
        self.embargoes: Embargoes = embargoes or MemoryEmbargoes()
        self.schemes = builtin_schemes()

    def viewer_scheme(self, principal: Principal) -> str | None:
        """The scheme of the viewer's organisation nation, if the node knows one."""
        return self.environment().scheme_by_nation.get(principal.organisation_nation)

    def banner_in(self, label: Label, scheme: str | None) -> str | None:
        """``label``'s banner as ``scheme`` protects it (None: no scheme or no equivalent
        level): the viewer's national form."""
        if scheme is None:
            return None
        try:
            return render_banner(
                equivalent(label, scheme, schemes=self.schemes), schemes=self.schemes
            )
        except (NoEquivalentLevel, InvalidInput):
            return None

    def environment(self) -> PolicyEnvironment:
        """Groups (built-in and custom, as stored now), schemes, settings and sources."""
        return PolicyEnvironment(
            groups=self._registry.directory(),
            schemes=self.schemes,
            config=self.config,
            agreements=self.agreements,
            authorizations=self.authorizations,
            screening=self.screening,
            embargoes=self.embargoes,
        )

    # decisions inside other services' units of work

    def decide_in(
        self,
        session: Session,
        principal: Principal,
        action: Action,
        resource: Resource,
        now: datetime,
    ) -> Decision:
        """The principal's own decision on ``resource`` (used while writing)."""
        subject = subject_of(session, principal.person)
        return decide(subject, action, resource, Context(now, principal.mfa_at, self.environment()))

    def decide_row(
        self,
        session: Session,
        principal: Principal,
        action: Action,
        row: ResourceRow,
        now: datetime,
    ) -> Decision:
        """The principal's own decision on a catalogue row."""
        return self.decide_in(session, principal, action, resource_of(row, self.schemes), now)

    # the subject's own questions

    def my_decision(self, principal: Principal, resource_id: str, action: Action) -> Explanation:
        """The principal's decision on a resource, subject view; not found unless discoverable."""
        with self._uow.read() as session:
            now = self._uow.clock()
            resource = self._discoverable(session, principal, resource_id, now)
            subject = subject_of(session, principal.person)
            ctx = Context(now, principal.mfa_at, self.environment())
            return explain(decide(subject, action, resource, ctx), Audience.SUBJECT)

    def get(self, principal: Principal, resource_id: str) -> ResourceView:
        """A resource's metadata and label, if the principal may discover it."""
        with self._uow.read() as session:
            now = self._uow.clock()
            self._discoverable(session, principal, resource_id, now)
            return view_of(find_resource(session, resource_id), self.schemes)

    def list_visible(
        self,
        principal: Principal,
        *,
        action: Action = Action.DISCOVER,
        after: str | None = None,
        limit: int = 50,
    ) -> Page:
        """The resources the principal may ``action``: a keyset page and the total, exact
        up to ``policy_listing.COUNT_CAP`` (see ``Page``)."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be 1-{MAX_PAGE}", code="invalid_limit", field="limit")
        with self._uow.read() as session:
            now = self._uow.clock()
            subject = subject_of(session, principal.person)
            env = self.environment()
            facts = Context(now, principal.mfa_at, env).facts(subject)
            postgres = session.get_bind().dialect.name == "postgresql"
            where = policy_listing.visible(subject, facts, action, env, postgres=postgres)
            resources = ResourceRow.__table__.c
            arms = policy_listing.arms_of(
                resources.project_id, resources.id, facts, action, postgres=postgres
            )
            policy_listing.steer(session)
            window, instead = policy_listing.first_page(
                session, where, arms, after=after, limit=limit
            )
            rows = session.execute(window).all()
            if len(rows) < limit and instead is not None:  # few visible here: by project
                rows = session.execute(instead).all()
            cap = policy_listing.COUNT_CAP
            counted = session.execute(policy_listing.capped_count_query(where, cap)).scalar_one()
            items = tuple(view_of(row, self.schemes) for row in rows)
            following = items[-1].id if len(items) == limit else None
            return Page(items, min(int(counted), cap), following, total_exact=counted <= cap)

    # officers' questions

    def explain(self, by: Acting, *, person: str, resource_id: str, action: Action) -> Explanation:
        """Why ``person`` may or may not ``action`` the resource: officer view."""
        with self._uow.read() as session:
            now = self._uow.clock()
            target = person_view(find_person(session, person), now)
            authorize(by, Act.POLICY_EXPLAIN, _about(target))
            resource = self._officer_resource(session, by, resource_id, now)
            subject = subject_of(session, target)
            return explain(
                decide(subject, action, resource, Context(now, now, self.environment())),
                Audience.OFFICER,
            )

    def what_if(
        self,
        by: Acting,
        *,
        person: str,
        resource_id: str,
        action: Action,
        changes: Sequence[Change],
    ) -> WhatIf:
        """The decision now and under hypothetical ``changes`` (officer view)."""
        if not changes:
            raise InvalidInput("name at least one change", code="no_changes", field="changes")
        with self._uow.read() as session:
            now = self._uow.clock()
            target = person_view(find_person(session, person), now)
            authorize(by, Act.POLICY_EXPLAIN, _about(target))
            resource = self._officer_resource(session, by, resource_id, now)
            subject = subject_of(session, target)
            return what_if(
                subject, action, resource, Context(now, now, self.environment()), changes
            )

    def who_can(self, by: Acting, *, resource_id: str, action: Action) -> WhoCanReport:
        """Every person's decision on the resource: the officer's own organisation listed
        (with failed requirements), other organisations counted; the console lists all."""
        authorize(by, Act.POLICY_WHO_CAN)
        with self._uow.read() as session:
            now = self._uow.clock()
            resource = self._officer_resource(session, by, resource_id, now)
            own = None if isinstance(by, ConsoleOperator) else by.person.organisation_id
            ctx = Context(now, now, self.environment())
            listed: list[WhoCan] = []
            counted: dict[tuple[str, str, str], list[int]] = {}
            for row in people_rows(session):
                person = person_view(row, now)
                decision = decide(subject_of(session, person), action, resource, ctx)
                if own is None or person.organisation_id == own:
                    listed.append(
                        WhoCan(
                            person.id,
                            person.username,
                            person.organisation_name,
                            decision.permitted,
                            tuple(decision.failed_codes),
                            person.organisation_id,
                        )
                    )
                else:
                    key = (
                        person.organisation_nation,
                        person.organisation_name,
                        person.organisation_id,
                    )
                    tally = counted.setdefault(key, [0, 0])
                    tally[0] += 1
                    tally[1] += int(decision.permitted)
            others = tuple(
                Counted(name, nation, n, allowed, org_id)
                for (nation, name, org_id), (n, allowed) in sorted(counted.items())
            )
            return WhoCanReport(resource_id, action.value, tuple(listed), others)

    def discoverable_in(
        self, session: Session, by: Acting, resource_ids: Iterable[str], now: datetime
    ) -> frozenset[str]:
        """Which of ``resource_ids`` ``by`` may discover, in one query (the console: all).

        What others learn about a resource (audit events, ledger entries) follows this;
        an id that names no catalogued resource is never discoverable (fail closed)."""
        wanted = sorted(set(resource_ids))
        if not wanted:
            return frozenset()
        if isinstance(by, ConsoleOperator):
            return frozenset(wanted)
        subject = subject_of(session, by.person)
        env = self.environment()
        facts = Context(now, by.mfa_at, env).facts(subject)
        postgres = session.get_bind().dialect.name == "postgresql"
        where = policy_listing.visible(subject, facts, Action.DISCOVER, env, postgres=postgres)
        found: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(
                session.scalars(
                    select(ResourceRow.id).where(ResourceRow.id.in_(chunk)).where(where)
                ).all()
            )
        return frozenset(found)

    def discoverable_titles(
        self, principal: Principal, resource_ids: Iterable[str]
    ) -> dict[str, tuple[str, str]]:
        """The title and project id of each of ``resource_ids`` the principal may
        discover, in one read (as ``get`` decides, without a read per resource); the
        others are absent (fail closed)."""
        with self._uow.read() as session:
            seen = sorted(self.discoverable_in(session, principal, resource_ids, self._uow.clock()))
            found: dict[str, tuple[str, str]] = {}
            for start in range(0, len(seen), 500):
                rows = session.execute(
                    select(ResourceRow.id, ResourceRow.title, ResourceRow.project_id).where(
                        ResourceRow.id.in_(seen[start : start + 500])
                    )
                ).all()
                found.update({r.id: (r.title, r.project_id) for r in rows})
            return found

    def resolve(self, ref: str) -> str:
        """A resource id from an id or a unique title (the console's convenience)."""
        with self._uow.read() as session:
            if session.get(ResourceRow, ref) is not None:
                return ref
            ids = session.scalars(select(ResourceRow.id).where(ResourceRow.title == ref)).all()
            if len(ids) == 1:
                return ids[0]
            if ids:
                raise InvalidInput(
                    f"{len(ids)} resources are titled {ref!r}; use the id",
                    code="ambiguous_resource",
                )
            raise not_found(ref)

    def catalogue(self) -> list[ResourceView]:
        """Every catalogue entry (the console's view; holders of the data directory)."""
        with self._uow.read() as session:
            rows = session.scalars(select(ResourceRow).order_by(ResourceRow.title)).all()
            return [view_of(r, self.schemes) for r in rows]

    # helpers

    def _discoverable(
        self, session: Session, principal: Principal, resource_id: str, now: datetime
    ) -> Resource:
        row = session.get(ResourceRow, resource_id)
        if row is None:
            raise not_found(resource_id)
        resource = resource_of(row, self.schemes)
        subject = subject_of(session, principal.person)
        if not decide(
            subject, Action.DISCOVER, resource, Context(now, principal.mfa_at, self.environment())
        ).permitted:
            raise not_found(resource_id)  # the same answer as for a resource that does not exist
        return resource

    def _officer_resource(
        self, session: Session, by: Acting, resource_id: str, now: datetime
    ) -> Resource:
        """The resource an officer asks about (after authorize): the console's any
        resource; an officer's only one they may discover themselves (the officer's view
        shows the label), else the "not found" of a missing one."""
        if isinstance(by, ConsoleOperator):
            return resource_of(find_resource(session, resource_id), self.schemes)
        return self._discoverable(session, by, resource_id, now)


def _about(person: Person) -> Target:
    """The permission target of a question about ``person``: officers explain the
    decisions of people of their own organisation only."""
    return Target(person_id=person.id, organisation_id=person.organisation_id)
