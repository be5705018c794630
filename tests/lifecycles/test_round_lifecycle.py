"""Proficiency rounds: random submissions, replacements, closes and cancellations by the
laboratories' people, the coordinator, another programme manager and an outsider,
through the real service and held to ``ROUND``.

A round is opened open (there is no draft round: what is drafted and approved is the
procedure version a round follows, ``PROCEDURE``), takes results while open, and is
closed (scored) or cancelled, both final. Beside the table's rules the machine checks
the blindness rule at random moments: before close nobody but the coordinator reads
another laboratory's values (its submissions, scores or a result's history); after
close they are read under codes. Each accepted move writes exactly one event of its
type about the round; a refused one writes none.
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, precondition, rule
from sqlalchemy import select

from caveat.adapters.db.models.proficiency import RoundRow
from caveat.bootstrap.container import Node
from caveat.domain.errors import NotFound
from caveat.domain.lifecycles import ROUND, RoundStatus
from caveat.services.proficiency import ResultDraft
from tests.lifecycles.support import LifecycleMachine, ctx, one, run
from tests.proficiency.support import VALUES, Trials, build
from tests.support import FakeClock

# Who works where (all project members but eve); pam coordinates every round.
LAB_OF = {
    "alice": "AFRL",
    "walt": "AFRL",
    "nadia": "NRL",
    "pat": "NRL",
    "arlo": "ARL",
    "sandy": "SNL",
    "connie": "SNL",
    "jolene": "APL",
}
ACTORS = (*LAB_OF, "eve", "pam")
PEOPLE_AT_LABS = tuple(LAB_OF)
BASE = {LAB_OF[who]: value for who, value in VALUES.items()}
OFFSETS = (0.0, 0.00005, -0.00007)  # a replacement moves a result a little


class RoundMachine(LifecycleMachine):
    lifecycle = ROUND
    rounds = Bundle("rounds")

    def __init__(self, trials: Trials) -> None:
        super().__init__(trials.node)
        self.trials = trials
        self.submitted: dict[str, set[str]] = {}  # round -> laboratories with a result

    def lab(self, who: str) -> str | None:
        """The laboratory ``who`` submits for (pam is AFRL's too), None for an outsider."""
        return "AFRL" if who == "pam" else LAB_OF.get(who)

    @initialize(target=rounds)
    def first(self) -> str:
        return one(self.open_round())

    @precondition(lambda self: self.all_final())
    @rule(target=rounds)
    def open_round(self) -> str:
        opened = self.trials.open()
        self.states[opened.id] = RoundStatus.OPEN
        self.submitted[opened.id] = set()
        return opened.id

    def refusal_code(self, record: str, who: str) -> str | None:
        """What a refused result move by ``who`` must carry, other than the table's."""
        if who == "eve":
            return "unknown_round"  # not a member: the round does not exist for her
        return None

    @rule(record=rounds, who=st.sampled_from(ACTORS), offset=st.sampled_from(OFFSETS))
    def submit(self, record: str, who: str, offset: float) -> None:
        lab = self.lab(who)
        done = lab in self.submitted[record]
        final = self.is_final(record)
        code = self.refusal_code(record, who)
        if code is None and done and not final:
            code = "already_submitted"
        value = BASE.get(lab or "", 0.1) + offset
        refusal = self.attempt(
            record,
            "submit",
            lambda: self.node.proficiency.submit(
                self.trials.principal(who),
                ctx(),
                record,
                [ResultDraft("Sphere A", value, "m^2", standard_uncertainty=0.002)],
            ),
            permitted=lab is not None and who != "eve" and not done,
            event="proficiency.results_submitted",
            code=code,
        )
        if refusal is None and lab is not None:
            self.submitted[record].add(lab)

    @rule(record=rounds, who=st.sampled_from(ACTORS), offset=st.sampled_from(OFFSETS))
    def resubmit(self, record: str, who: str, offset: float) -> None:
        """Replacing a result is a ``submit`` move too (open to open), with its own event."""
        lab = self.lab(who)
        done = lab in self.submitted[record]
        code = self.refusal_code(record, who)
        if code is None and not done and not self.is_final(record):
            code = "nothing_to_replace"
        self.attempt(
            record,
            "submit",
            lambda: self.node.proficiency.resubmit(
                self.trials.principal(who),
                ctx(),
                record,
                ResultDraft("Sphere A", BASE.get(lab or "", 0.1) + offset, "m^2"),
            ),
            permitted=lab is not None and who != "eve" and done,
            event="proficiency.result_replaced",
            code=code,
        )

    @rule(record=rounds, who=st.sampled_from(("pam", "pat", "alice", "eve")))
    def close(self, record: str, who: str) -> None:
        code = self.refusal_code(record, who)
        evaluable = len(self.submitted[record]) >= 3
        if who == "pam" and not evaluable and not self.is_final(record):
            code = "round_not_evaluable"
        self.attempt(
            record,
            "close",
            lambda: self.node.proficiency.close(self.trials.principal(who), ctx(), record),
            permitted=who == "pam" and evaluable,
            event="proficiency.round_closed",
            code=code,
        )

    @rule(record=rounds, who=st.sampled_from(("pam", "pat", "eve")))
    def cancel(self, record: str, who: str) -> None:
        self.attempt(
            record,
            "cancel",
            lambda: self.node.proficiency.cancel(
                self.trials.principal(who), ctx(), record, reason="lifecycle test"
            ),
            permitted=who == "pam",
            event="proficiency.round_cancelled",
            code=self.refusal_code(record, who),
        )

    @rule(record=rounds, who=st.sampled_from(PEOPLE_AT_LABS))
    def peek(self, record: str, who: str) -> None:
        """Blind until close: a laboratory's people read their own results only, no
        scores, and not another laboratory's history; after close, every result."""
        by = self.trials.principal(who)
        seen = self.node.proficiency.submissions(by, ctx(), record)
        results = self.node.proficiency.results(by, ctx(), record)
        closed = self.states[record] is RoundStatus.CLOSED
        if not closed:
            assert all(s.own for s in seen), f"{who} saw another laboratory's result"
            assert results.items == ()
            assert len(seen) == (1 if self.lab(who) in self.submitted[record] else 0)
            coordinator = self.node.proficiency.submissions(
                self.trials.principal("pam"), ctx(), record
            )
            mine = {s.code for s in seen}
            for other in (s for s in coordinator if s.code not in mine):
                with pytest.raises(NotFound):
                    self.node.proficiency.submission_history(by, ctx(), other.id)
        else:
            assert len(seen) == len(self.submitted[record])
            (item,) = results.items
            assert len(item.scores) == len(self.submitted[record])
            assert all(s.laboratory == s.code for s in seen if not s.own)
        self.tally["peeks"] += 1

    def stored(self) -> dict[str, str]:
        with self.node.uow.read() as session:
            rows = session.scalars(select(RoundRow).where(RoundRow.id.in_(list(self.states))))
            return {r.id: r.status for r in rows}


def tour(m: RoundMachine) -> None:
    r = m.open_round()
    m.peek(r, "nadia")
    m.submit(r, "eve", 0.0)  # outsider: no such round
    m.submit(r, "alice", 0.0)
    m.submit(r, "walt", 0.0)  # AFRL has its result already
    m.resubmit(r, "walt", 0.00005)  # ...but any of its people may replace it
    m.resubmit(r, "nadia", 0.0)  # NRL has nothing to replace
    m.close(r, "pam")  # one result: not evaluable
    m.submit(r, "nadia", 0.0)
    m.submit(r, "arlo", 0.0)
    m.peek(r, "arlo")
    m.peek(r, "alice")
    m.close(r, "pat")  # not the coordinator
    m.close(r, "pam")
    m.peek(r, "sandy")
    m.submit(r, "sandy", 0.0)  # closed
    m.resubmit(r, "alice", 0.0)  # closed
    m.cancel(r, "pam")  # closed
    s = m.open_round()
    m.cancel(s, "pat")  # not the coordinator
    m.cancel(s, "pam")
    m.close(s, "pam")  # cancelled


@pytest.fixture
def trials(node: Node, clock: FakeClock) -> Trials:
    return build(node, clock)


def test_round_lifecycle(trials: Trials) -> None:
    tally = run(RoundMachine, trials, tour=tour)
    assert tally["refused already_submitted"] > 0, tally
    assert tally["refused round_not_open"] > 0, tally
    assert tally["peeks"] > 0, tally
