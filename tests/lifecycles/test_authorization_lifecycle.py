"""Export authorizations: random moves by export control officers, the console and
others, held to ``AUTHORIZATION``."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, precondition, rule
from sqlalchemy import select

from caveat.adapters.db.models.compliance import AuthorizationRow
from caveat.domain.lifecycles import AUTHORIZATION, AuthorizationStatus
from caveat.services.compliance._authorizations import AuthorizationDraft
from caveat.services.kernel.principal import Acting
from tests.compliance.support import CONSOLE, World
from tests.lifecycles.support import REASON, LifecycleMachine, ctx, one, run, unique

# Who may move an authorization: an export control officer, or the console; not a
# security officer or a researcher.
MAY = ("eco", "ema", "console")
MAY_NOT = ("sol", "alice")


class AuthorizationMachine(LifecycleMachine):
    lifecycle = AUTHORIZATION
    authorizations = Bundle("authorizations")

    def __init__(self, world: World) -> None:
        super().__init__(world.node)
        self.world = world

    def actor(self, name: str) -> Acting:
        return CONSOLE if name == "console" else self.world.principal(name)

    @initialize(target=authorizations)
    def first(self) -> str:
        return one(self.create())

    @precondition(lambda self: self.all_final())
    @rule(target=authorizations)
    def create(self) -> str:
        made = self.node.authorizations.create(
            CONSOLE,
            ctx(),
            AuthorizationDraft(
                type="DSP-5",
                jurisdiction="USA",
                number=unique("DSP5").replace(" ", "-"),
                entries=("ITAR:USML-XI(c)(1)",),
                valid_from=self.world.today,
                valid_to=self.world.today + timedelta(days=365),
                nations=("GBR",),
            ),
        )
        self.states[made.id] = AuthorizationStatus.ACTIVE
        return made.id

    @rule(record=authorizations, data=st.data(), who=st.sampled_from(MAY))
    def allowed_move(self, record: str, data: st.DataObject, who: str) -> None:
        self.move(record, self.choose(data, record), who)

    @rule(
        record=authorizations,
        verb=st.sampled_from(AUTHORIZATION.verbs),
        who=st.sampled_from(MAY + MAY_NOT),
    )
    def move(self, record: str, verb: str, who: str) -> None:
        by = self.actor(who)
        self.attempt(
            record,
            verb,
            lambda: self.node.authorizations.move(by, ctx(), record, verb, reason=REASON),
            permitted=who in MAY,
            event="authorization.status_changed",
        )

    @rule(record=authorizations)
    def final_is_final(self, record: str) -> None:
        if self.is_final(record):
            for verb in AUTHORIZATION.verbs:
                self.move(record, verb, "console")

    def stored(self) -> dict[str, str]:
        with self.node.uow.read() as session:
            rows = session.execute(
                select(AuthorizationRow.id, AuthorizationRow.status).where(
                    AuthorizationRow.id.in_(list(self.states))
                )
            )
            return {i: s for i, s in rows}


def tour(m: AuthorizationMachine) -> None:
    a = m.create()
    for verb, who in (
        ("reinstate", "eco"),  # not suspended: refused
        ("suspend", "alice"),  # not an export control officer: refused
        ("suspend", "eco"),
        ("reinstate", "ema"),
        ("revoke", "console"),
    ):
        m.move(a, verb, who)
    m.final_is_final(a)


def test_authorization_lifecycle(world: World) -> None:
    run(AuthorizationMachine, world, tour=tour)
