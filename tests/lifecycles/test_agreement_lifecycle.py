"""Agreements: random moves by agreement managers of a party, of another nation, by
researchers and the console, held to ``AGREEMENT``."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, precondition, rule
from sqlalchemy import select

from caveat.adapters.db.models.compliance import AgreementRow
from caveat.domain.compliance import AgreementStatus
from caveat.domain.lifecycles import AGREEMENT
from caveat.services.kernel.principal import Acting
from tests.compliance.support import CONSOLE, World
from tests.lifecycles.support import REASON, LifecycleMachine, ctx, one, run, unique

# Who may move an agreement: an agreement manager of a party (USA or GBR), or the console;
# not one of another nation, nor a researcher or a security officer.
MAY = ("agnes", "console")
MAY_NOT = ("fam", "alice", "gso")


class AgreementMachine(LifecycleMachine):
    lifecycle = AGREEMENT
    agreements = Bundle("agreements")

    def __init__(self, world: World) -> None:
        super().__init__(world.node)
        self.world = world

    def actor(self, name: str) -> Acting:
        return CONSOLE if name == "console" else self.world.principal(name)

    @initialize(target=agreements)
    def first(self) -> str:
        return one(self.create())

    @precondition(lambda self: self.all_final())
    @rule(target=agreements)
    def create(self) -> str:
        # Each agreement covers a project of its own: none overlaps another in force.
        project = self.node.projects.create_project(CONSOLE, ctx(), name=unique("Trial")).id
        draft = self.world.draft(unique("MoU"), projects=(project,))
        made = self.node.agreements.create(CONSOLE, ctx(), draft)
        self.states[made.id] = AgreementStatus.DRAFT
        return made.id

    @rule(record=agreements, data=st.data(), who=st.sampled_from(MAY))
    def allowed_move(self, record: str, data: st.DataObject, who: str) -> None:
        self.move(record, self.choose(data, record), who)

    @rule(
        record=agreements,
        verb=st.sampled_from(AGREEMENT.verbs),
        who=st.sampled_from(MAY + MAY_NOT),
    )
    def move(self, record: str, verb: str, who: str) -> None:
        by = self.actor(who)
        self.attempt(
            record,
            verb,
            lambda: self.node.agreements.move(by, ctx(), record, verb, reason=REASON),
            permitted=who in MAY,
            event="agreement.status_changed",
        )

    @rule(record=agreements)
    def final_is_final(self, record: str) -> None:
        """From a final state every verb is refused, even for the console."""
        if self.is_final(record):
            for verb in AGREEMENT.verbs:
                self.move(record, verb, "console")

    def stored(self) -> dict[str, str]:
        with self.node.uow.read() as session:
            rows = session.execute(
                select(AgreementRow.id, AgreementRow.status).where(
                    AgreementRow.id.in_(list(self.states))
                )
            )
            return {i: s for i, s in rows}


def tour(m: AgreementMachine) -> None:
    a = m.create()
    for verb, who in (
        ("suspend", "agnes"),  # not in force: refused
        ("activate", "fam"),  # not a party: refused
        ("activate", "agnes"),
        ("suspend", "console"),
        ("activate", "agnes"),  # not a draft: refused
        ("resume", "agnes"),
        ("expire", "agnes"),
    ):
        m.move(a, verb, who)
    m.final_is_final(a)
    b = m.create()
    m.move(b, "terminate", "agnes")
    m.final_is_final(b)


def test_agreement_lifecycle(world: World) -> None:
    run(AgreementMachine, world, tour=tour)
