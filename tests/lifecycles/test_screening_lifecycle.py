"""Screening hits: random resolutions by the held person's own security officer, the held
person (an officer themself), another laboratory's officer, an export control officer and
the console, held to ``SCREENING_HIT``. Nobody resolves a hold on themself."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, precondition, rule
from sqlalchemy import select

from caveat.adapters.db.models.compliance import ScreeningHitRow
from caveat.domain.compliance import HitStatus
from caveat.domain.identity import Role
from caveat.domain.lifecycles import SCREENING_HIT
from caveat.services.kernel.principal import Acting
from tests.compliance.support import CONSOLE, World
from tests.lifecycles.support import REASON, LifecycleMachine, ctx, one, run, unique

LISTED = ("Robert Partridge", "Vladimir Kurbatov")
RESOLVERS = frozenset({"gso", "console"})  # Dstl's officer (the held people are Dstl's)
ACTORS = ("gso", "console", "sol", "eco", "subject")


class HitMachine(LifecycleMachine):
    lifecycle = SCREENING_HIT
    hits = Bundle("hits")

    def __init__(self, world: World) -> None:
        super().__init__(world.node)
        self.world = world
        self.subject: dict[str, tuple[str, bool]] = {}  # hit -> (person held, an officer?)

    def actor(self, name: str) -> Acting:
        return CONSOLE if name == "console" else self.world.principal(name)

    @initialize(target=hits)
    def first(self) -> str:
        return one(self.hold(LISTED[0], officer=True))

    @precondition(lambda self: self.all_final())
    @rule(target=hits, name=st.sampled_from(LISTED), officer=st.booleans())
    def hold(self, name: str, officer: bool) -> str:
        """A new Dstl person whose name is listed: screening raises a hit on them."""
        username = unique("p").replace(" ", "")
        person = self.node.people.create_person(
            CONSOLE,
            ctx(),
            username=username,
            display_name=name,
            email=f"{username}@example.org",
            organisation=self.world.dstl,
            citizenships=["GBR"],
            roles=[Role.SECURITY_OFFICER if officer else Role.RESEARCHER],
        ).person
        hit = min(
            (h for h in self.node.screening.hits(CONSOLE) if h.subject_id == person.id),
            key=lambda h: h.id,
        )
        self.states[hit.id] = HitStatus.OPEN
        self.subject[hit.id] = (username, officer)
        return hit.id

    @rule(record=hits, who=st.sampled_from(ACTORS), verb=st.sampled_from(SCREENING_HIT.verbs))
    def resolve(self, record: str, who: str, verb: str) -> None:
        subject, officer = self.subject[record]
        by = self.actor(subject if who == "subject" else who)
        held_officer = who == "subject" and officer
        self.attempt(
            record,
            verb,
            lambda: self.node.screening.resolve(by, ctx(), record, outcome=verb, reason=REASON),
            permitted=who in RESOLVERS or held_officer,
            own_request=held_officer,
            event="screening.hit_resolved",
        )

    @rule(record=hits, verb=st.sampled_from(SCREENING_HIT.verbs))
    def held_person_resolves(self, record: str, verb: str) -> None:
        """The person held resolves their own hit: refused, even a security officer."""
        self.resolve(record, "subject", verb)

    @rule(record=hits)
    def final_is_final(self, record: str) -> None:
        if self.is_final(record):
            for verb in SCREENING_HIT.verbs:
                self.resolve(record, "gso", verb)

    def stored(self) -> dict[str, str]:
        with self.node.uow.read() as session:
            rows = session.execute(
                select(ScreeningHitRow.id, ScreeningHitRow.status).where(
                    ScreeningHitRow.id.in_(list(self.states))
                )
            )
            return {i: s for i, s in rows}


def tour(m: HitMachine) -> None:
    h = m.hold(LISTED[0], officer=True)
    m.resolve(h, "subject", "false_positive")  # a hold on themself: refused
    m.resolve(h, "sol", "true_match")  # another laboratory's officer: refused
    m.resolve(h, "gso", "false_positive")
    m.final_is_final(h)
    k = m.hold(LISTED[1], officer=False)
    m.resolve(k, "console", "true_match")
    m.resolve(k, "gso", "false_positive")  # already resolved: refused


def test_screening_hit_lifecycle(world: World) -> None:
    text = "id,name\n" + "".join(f"{i},{n}\n" for i, n in enumerate(LISTED, 1))
    world.node.screening.import_list(
        world.principal("sol"), ctx(), name="Custom", fmt="generic", text=text
    )
    run(HitMachine, world, tour=tour, own=True)
