"""A person's work queue: what waits for *their* act, by kind, with counts.

The queue asks each owning feature the question it already answers, with its own rule
and the policy (ADR 0028): releases (``ReleaseService.awaiting``: the right officer,
never one's own request, and an export control officer only for resources they may
discover), screening hits (``ScreeningService.awaiting``: what ``resolve`` would let
them decide), visits (``visit_decision_refusal``), agreements they may amend and
licences they may write that end within 30 days, the part of their plan agenda they
may act on (``PlanService.waiting``: items they may read, and of those the tasks they may
move and the milestones and deliverables of plans they may edit; the rest of the agenda
is for knowing, on the dashboard and /plans), and partner nodes' re-release
requests (``PeerReReleases.pending_for``: the originating organisation's officers, for
artifacts they may discover). Nothing is counted here that was not first listed for this
person, so a count can never include what the policy hides.

Texts name a release or hit by reference only: a release's subject title is shown by
its own page, to whoever may discover it, not repeated here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from caveat.domain.compliance import ReleaseStatus
from caveat.domain.labels import Label
from caveat.domain.lifecycles import RELEASE, VISIT
from caveat.domain.permissions import Act
from caveat.services.compliance import (
    AgreementService,
    AuthorizationService,
    ReleaseService,
    ScreeningService,
)
from caveat.services.federation import PeerReReleases
from caveat.services.identity import PeopleService
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.plans import PlanService
from caveat.services.programmes import ProgrammeService, visit_decision_refusal

EXPIRY_DAYS = 30  # agreements and licences ending this soon need someone to act
# Every kind, in the order the queue shows them; counts list each (zero included), so a
# reader sees the same shape whatever their role.
KINDS = (
    "release_classify",
    "release_decide",
    "screening_hit",
    "visit_decide",
    "re_release_decide",
    "agreement_expiring",
    "licence_expiring",
    "plan_overdue",
    "plan_upcoming",
)


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One thing waiting for the person: what to do, where, and by when."""

    kind: str
    id: str
    text: str
    link: str
    due_on: date | None = None
    marking: str | None = None  # a labelled plan item's marking (the reader may read it)
    label: Label | None = None  # that item's label, for a page's banner


@dataclass(frozen=True, slots=True)
class WorkQueue:
    """The queue as of ``today``, with a count per kind."""

    today: date
    items: tuple[WorkItem, ...]

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(i.kind for i in self.items)
        return {k: found.get(k, 0) for k in KINDS}

    @property
    def total(self) -> int:
        return len(self.items)


class WorkService:
    """Builds a person's work queue from the features that own each kind of work."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        releases: ReleaseService,
        screening: ScreeningService,
        programmes: ProgrammeService,
        agreements: AgreementService,
        authorizations: AuthorizationService,
        plans: PlanService,
        people: PeopleService,
        re_releases: PeerReReleases | None = None,
    ) -> None:
        self._uow = uow
        self._releases = releases
        self._screening = screening
        self._programmes = programmes
        self._agreements = agreements
        self._authorizations = authorizations
        self._plans = plans
        self._people = people
        self._re_releases = re_releases

    def queue(self, by: Principal, *, today: date | None = None) -> WorkQueue:
        """What waits for ``by``'s act today."""
        authorize(by, Act.WORK_READ)
        day = today or self._uow.clock().date()
        items = [
            *self._release_items(by),
            *self._hit_items(by),
            *self._visit_items(by),
            *self._re_release_items(by),
            *self._expiring(by, day),
            *self._plan_items(by, day),
        ]
        order = {k: n for n, k in enumerate(KINDS)}
        items.sort(key=lambda i: (order[i.kind], i.due_on or date.max, i.id))
        return WorkQueue(day, tuple(items))

    def _release_items(self, by: Principal) -> list[WorkItem]:
        out = []
        for r in self._releases.awaiting(by):
            classify = RELEASE.allows("classify", ReleaseStatus(r.status))
            kind, verb = (
                ("release_classify", "Classify") if classify else ("release_decide", "Decide")
            )
            out.append(
                WorkItem(kind, r.id, f"{verb} release request R-{r.id[:8]}", f"/releases/{r.id}")
            )
        return out

    def _hit_items(self, by: Principal) -> list[WorkItem]:
        return [
            WorkItem(
                "screening_hit",
                h.id,
                f"Adjudicate the screening hit on {h.screened_name} ({h.list_name or h.source})",
                "/screening",
            )
            for h in self._screening.awaiting(by)
        ]

    def _visit_items(self, by: Principal) -> list[WorkItem]:
        now = self._uow.clock()
        names: dict[str, str] | None = None
        out = []
        for v in self._programmes.visits(by):
            if not VISIT.verbs_from(v.status) or visit_decision_refusal(by, v, now=now):
                continue
            if names is None:
                names = {p.id: p.display_name for p in self._people.list_people()}
            who = names.get(v.person_id, "a visitor")
            text = f"Decide the visit of {who}, {v.starts_on} to {v.ends_on}"
            out.append(WorkItem("visit_decide", v.id, text, "/visits", v.starts_on))
        return out

    def _re_release_items(self, by: Principal) -> list[WorkItem]:
        """Peers' re-release requests this officer may decide (about what they may
        discover, of their originating organisation): by request id and nation only."""
        if self._re_releases is None:
            return []
        return [
            WorkItem(
                "re_release_decide",
                r.id,
                f"Decide {r.peer}'s re-release request {r.id[:8]} to {r.nation}",
                "/federation#re-releases",
            )
            for r in self._re_releases.pending_for(by)
        ]

    def _expiring(self, by: Principal, today: date) -> list[WorkItem]:
        until = today + timedelta(days=EXPIRY_DAYS)
        out = []
        if allowed(by, Act.AGREEMENT_READ):
            for a in self._agreements.list_agreements(by):
                ends = a.expires_on
                if a.status != "in_force" or ends is None or not today <= ends <= until:
                    continue
                if self._agreements.may_change(by, a):  # a party's agreement manager renews
                    text = f"Agreement {a.name} expires on {ends}"
                    out.append(
                        WorkItem("agreement_expiring", a.id, text, f"/agreements/{a.id}", ends)
                    )
        if allowed(by, Act.AUTHORIZATION_WRITE):
            for z in self._authorizations.list_authorizations(by):
                ends = z.valid_to
                if z.status != "active" or ends is None or not today <= ends <= until:
                    continue
                text = f"Licence {z.jurisdiction} {z.number} expires on {ends}"
                out.append(
                    WorkItem("licence_expiring", z.id, text, f"/authorizations/{z.id}", ends)
                )
        return out

    def _plan_items(self, by: Principal, today: date) -> list[WorkItem]:
        agenda = self._plans.waiting(by, today=today)
        out = []
        for state, items in (("overdue", agenda.overdue), ("upcoming", agenda.upcoming)):
            for i in items:
                text = f"{i.kind.capitalize()} {i.title} ({i.project}) due {i.due_on}"
                link = f"/plans/{i.project_id}"
                out.append(
                    WorkItem(f"plan_{state}", i.id, text, link, i.due_on, i.marking, i.label)
                )
        return out
