"""Release requests: random classifications and decisions by export control officers,
security officers of the originating laboratory and of another one, and researchers,
held to ``RELEASE``. Nobody classifies or decides their own request, and nobody decides
a request they classified."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, precondition, rule
from sqlalchemy import select

from caveat.adapters.db.models.compliance import ReleaseRequestRow
from caveat.domain.compliance import ReleaseStatus
from caveat.domain.labels import parse_marking
from caveat.domain.lifecycles import RELEASE
from tests.compliance.support import CONSOLE, World
from tests.lifecycles.support import REASON, LifecycleMachine, ctx, one, run, unique

REQUESTERS = ("duo", "sol", "eco", "alice")  # officers who may not act on their own
CLASSIFIERS = frozenset({"eco", "ema", "duo"})  # export control officers who see the resource
DECIDERS = frozenset({"sol", "sam", "duo"})  # security officers of the originator (AFRL)
ACTORS = ("alice", "sol", "sam", "gso", "eco", "ema", "duo")
EVENTS = {"classify": "release.classified", "approve": "release.decided", "deny": "release.decided"}


@dataclass
class Request:
    requested_by: str
    classified_by: str | None = None


class ReleaseMachine(LifecycleMachine):
    lifecycle = RELEASE
    releases = Bundle("releases")

    def __init__(self, world: World) -> None:
        super().__init__(world.node)
        self.world = world
        self.requests: dict[str, Request] = {}

    @initialize(target=releases, requester=st.sampled_from(REQUESTERS))
    def first(self, requester: str) -> str:
        return one(self.request(requester))

    @precondition(lambda self: self.all_final())
    @rule(target=releases, requester=st.sampled_from(REQUESTERS))
    def request(self, requester: str) -> str:
        # A resource of its own for each request: an approval widens its label.
        world, node = self.world, self.node
        label = parse_marking(
            "SECRET//REL TO USA, GBR", groups=node.registry.directory(), on=world.today
        )
        resource = node.catalogue.register(
            CONSOLE,
            ctx(),
            project=world.project,
            kind="document",
            title=unique("report"),
            label=label,
            originator=world.afrl,
        ).id
        made = node.releases.request(
            world.principal(requester),
            ctx(),
            resource=resource,
            to_nations=("FRA",),
            justification="joint trial",
        )
        self.states[made.id] = ReleaseStatus.PENDING
        self.requests[made.id] = Request(requester)
        return made.id

    @rule(record=releases, data=st.data())
    def allowed_move(self, record: str, data: st.DataObject) -> None:
        """A move the table allows, by someone who may make it."""
        asked, verb = self.requests[record], self.choose(data, record)
        if verb == "classify":
            who = data.draw(st.sampled_from(sorted(CLASSIFIERS - {asked.requested_by})))
            self.classify(record, who)
        else:
            others = DECIDERS - {asked.requested_by, asked.classified_by}
            self.decide(record, data.draw(st.sampled_from(sorted(others))), verb == "approve")

    @rule(record=releases, who=st.sampled_from(ACTORS))
    def classify(self, record: str, who: str) -> None:
        asked = self.requests[record]
        by = self.world.principal(who)
        refusal = self.attempt(
            record,
            "classify",
            lambda: self.node.releases.classify(
                by, ctx(), record, not_controlled_reason="published in the open literature"
            ),
            permitted=who in CLASSIFIERS,
            own_request=who in CLASSIFIERS and who == asked.requested_by,
            event=EVENTS["classify"],
        )
        if refusal is None:
            asked.classified_by = who

    @rule(record=releases, who=st.sampled_from(ACTORS), approve=st.booleans())
    def decide(self, record: str, who: str, approve: bool) -> None:
        asked = self.requests[record]
        by = self.world.principal(who)
        verb = "approve" if approve else "deny"
        self.attempt(
            record,
            verb,
            lambda: self.node.releases.decide(by, ctx(), record, approve=approve, reason=REASON),
            permitted=who in DECIDERS,
            own_request=who in DECIDERS and who in (asked.requested_by, asked.classified_by),
            event=EVENTS[verb],
        )

    @rule(record=releases, approve=st.booleans())
    def own_decision(self, record: str, approve: bool) -> None:
        """The requester classifies or decides, or the classifier decides: refused."""
        asked = self.requests[record]
        self.classify(record, asked.requested_by)
        self.decide(record, asked.requested_by, approve)
        if asked.classified_by is not None:
            self.decide(record, asked.classified_by, approve)

    @rule(record=releases)
    def final_is_final(self, record: str) -> None:
        if not self.is_final(record):
            return
        asked = self.requests[record]
        self.classify(record, next(iter(sorted(CLASSIFIERS - {asked.requested_by}))))
        others = DECIDERS - {asked.requested_by, asked.classified_by}
        for approve in (True, False):
            self.decide(record, sorted(others)[0], approve)

    def stored(self) -> dict[str, str]:
        with self.node.uow.read() as session:
            rows = session.execute(
                select(ReleaseRequestRow.id, ReleaseRequestRow.status).where(
                    ReleaseRequestRow.id.in_(list(self.states))
                )
            )
            return {i: s for i, s in rows}


def tour(m: ReleaseMachine) -> None:
    r = m.request("duo")
    m.decide(r, "sol", True)  # not classified yet: refused
    m.classify(r, "duo")  # their own request: refused
    m.classify(r, "alice")  # not an export control officer: refused
    m.classify(r, "ema")
    m.decide(r, "duo", True)  # their own request: refused
    m.decide(r, "gso", True)  # not of the originating laboratory: refused
    m.decide(r, "sol", True)
    m.final_is_final(r)
    s = m.request("alice")
    m.classify(s, "duo")
    m.decide(s, "duo", True)  # they classified it: refused
    m.decide(s, "sam", False)
    t = m.request("sol")
    m.decide(t, "sam", False)  # denied before classification
    m.final_is_final(t)


def test_release_lifecycle(world: World) -> None:
    run(ReleaseMachine, world, tour=tour, own=True)
