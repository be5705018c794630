"""Visits: random decisions by the host laboratory's security officers, the visitor's own
officer, a programme manager who asked for the visit, researchers and the console, held
to ``VISIT``. Nobody decides a visit they asked for."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, precondition, rule
from sqlalchemy import select

from caveat.adapters.db.models.compliance import VisitRequestRow
from caveat.domain.lifecycles import VISIT, VisitStatus
from caveat.services.kernel.principal import Acting
from tests.compliance.support import CONSOLE, World
from tests.lifecycles.support import REASON, LifecycleMachine, ctx, one, run, unique

VISITORS = ("bob", "gso")  # of Dstl, visiting AFRL
# The visitor, or a programme manager for them (one who is also a host officer).
REQUESTERS = ("pmso", "self", "pman")
HOST_OFFICERS = frozenset({"sol", "sam", "pmso", "console"})  # AFRL's, and the console
ACTORS = ("sol", "sam", "pmso", "console", "gso", "alice", "bob")


class VisitMachine(LifecycleMachine):
    lifecycle = VISIT
    visits = Bundle("visits")

    def __init__(self, world: World) -> None:
        super().__init__(world.node)
        self.world = world
        self.asked_by: dict[str, str] = {}

    def actor(self, name: str) -> Acting:
        return CONSOLE if name == "console" else self.world.principal(name)

    @initialize(target=visits, visitor=st.sampled_from(VISITORS), asker=st.sampled_from(REQUESTERS))
    def first(self, visitor: str, asker: str) -> str:
        return one(self.request(visitor, asker))

    @precondition(lambda self: self.all_final())
    @rule(target=visits, visitor=st.sampled_from(VISITORS), asker=st.sampled_from(REQUESTERS))
    def request(self, visitor: str, asker: str) -> str:
        world = self.world
        requester = visitor if asker == "self" else asker
        # A project of its own: an approval makes the visitor a member until the last day.
        project = self.node.projects.create_project(CONSOLE, ctx(), name=unique("Lab")).id
        made = self.node.programmes.request_visit(
            world.principal(requester),
            ctx(),
            person=visitor,
            host=world.afrl,
            project=project,
            purpose="wind tunnel trials",
            starts_on=world.today,
            ends_on=world.today + timedelta(days=2),
        )
        self.states[made.id] = VisitStatus.PENDING
        self.asked_by[made.id] = requester
        return made.id

    @rule(record=visits, data=st.data())
    def allowed_move(self, record: str, data: st.DataObject) -> None:
        """A decision the table allows, by a host officer who did not ask for the visit."""
        verb = self.choose(data, record)
        who = data.draw(st.sampled_from(sorted(HOST_OFFICERS - {self.asked_by[record]})))
        self.decide(record, who, verb == "approve")

    @rule(record=visits, who=st.sampled_from(ACTORS), approve=st.booleans())
    def decide(self, record: str, who: str, approve: bool) -> None:
        by = self.actor(who)  # the visitor, when they asked themself

        self.attempt(
            record,
            "approve" if approve else "deny",
            lambda: self.node.programmes.decide_visit(
                by, ctx(), record, approve=approve, reason=REASON
            ),
            permitted=who in HOST_OFFICERS,
            own_request=who in HOST_OFFICERS and who == self.asked_by[record],
            event="visit.decided",
        )

    @rule(record=visits, approve=st.booleans())
    def requester_decides(self, record: str, approve: bool) -> None:
        """Whoever asked for the visit decides it: refused, even a host officer."""
        self.decide(record, self.asked_by[record], approve)

    @rule(record=visits)
    def final_is_final(self, record: str) -> None:
        if self.is_final(record):
            self.decide(record, "console", True)
            self.decide(record, "sam", False)

    def stored(self) -> dict[str, str]:
        with self.node.uow.read() as session:
            rows = session.execute(
                select(VisitRequestRow.id, VisitRequestRow.status).where(
                    VisitRequestRow.id.in_(list(self.states))
                )
            )
            return {i: s for i, s in rows}


def tour(m: VisitMachine) -> None:
    v = m.request("bob", "pmso")
    m.decide(v, "pmso", True)  # asked for it: refused
    m.decide(v, "gso", True)  # the visitor's own officer, not the host's: refused
    m.decide(v, "sol", True)
    m.final_is_final(v)
    w = m.request("gso", "self")
    m.decide(w, "console", False)
    m.decide(w, "sam", True)  # already decided: refused


def test_visit_lifecycle(world: World) -> None:
    run(VisitMachine, world, tour=tour, own=True)
