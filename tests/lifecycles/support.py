"""The base of the lifecycle state machines: random moves by random actors through the
real services, held to the domain's table and to the events table.

Each machine keeps a model (record id -> state). A move the table allows from the
model's state, made by an actor the test says may make it, must succeed and write
exactly one event of the move's type about the record (and no other record's); any
other move must be refused and write no event at all. After every step the stored
states must equal the model's. Final states are final: every move from one is refused.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, run_state_machine_as_test
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.domain.errors import CaveatError
from caveat.domain.lifecycle import Lifecycle, RefusedMove
from caveat.domain.permissions import Code
from caveat.services.kernel.uow import CallContext

M = TypeVar("M", bound="LifecycleMachine")
# Modest: each machine runs in seconds on SQLite and on PostgreSQL.
MACHINE_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REASON = "lifecycle test"


def ctx() -> CallContext:
    return CallContext.cli()


def unique(prefix: str) -> str:
    """A name no earlier example used (the world outlives each example)."""
    return f"{prefix} {uuid.uuid4().hex[:12]}"


class LifecycleMachine(RuleBasedStateMachine):
    """Moves, their events and the model; subclasses add records, actors and rules."""

    lifecycle: ClassVar[Lifecycle[Any]]
    # What the whole run did, over every example: accepted verbs, refusals by code.
    tally: ClassVar[Counter[str]] = Counter()

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node = node
        self.states: dict[str, StrEnum] = {}
        self.made: Counter[str] = Counter()  # verbs accepted in this example
        self.tally["examples"] += 1

    def all_final(self) -> bool:
        """Whether every record is final: a new one is made only then, so that the
        steps go to moving records rather than to making them."""
        return all(self.lifecycle.is_terminal(s) for s in self.states.values())

    def is_final(self, record: str) -> bool:
        """Whether ``record`` is in a final state of the model."""
        return self.lifecycle.is_terminal(self.states[record])

    def choose(self, data: st.DataObject, record: str) -> str:
        """A verb the table allows from the record's state (any verb from a final one):
        one that keeps the record open three times in four, and one this example has not
        made yet when there is one. Random verbs alone would mostly be refused, and the
        later moves seldom reached."""
        lifecycle, state = self.lifecycle, self.states[record]
        verbs = lifecycle.verbs_from(state) or lifecycle.verbs
        staying = [v for v in verbs if not lifecycle.is_terminal(lifecycle.transition(v).to)]
        closing = [v for v in verbs if v not in staying]
        if staying and (not closing or data.draw(st.integers(0, 3), label="close") < 3):
            verbs = tuple(staying)
        elif closing:
            verbs = tuple(closing)
        fresh = tuple(v for v in verbs if not self.made[v])
        return data.draw(st.sampled_from(fresh or verbs), label="verb")

    # the events table

    def events(self, type_name: str | None = None, target: str | None = None) -> int:
        query = select(func.count()).select_from(EventRow)
        if type_name is not None:
            query = query.where(EventRow.type == type_name)
        if target is not None:
            query = query.where(EventRow.target_id == target)
        with self.node.uow.read() as session:
            return int(session.scalar(query) or 0)

    # one move

    def attempt(
        self,
        record: str,
        verb: str,
        call: Callable[[], object],
        *,
        permitted: bool,
        event: str,
        event_target: str | None = None,
        own_request: bool = False,
        code: str | None = None,
    ) -> CaveatError | None:
        """Make ``verb`` on ``record`` through ``call``. ``permitted``: the actor may make
        this move (the test's own statement of the rule); ``own_request``: the actor would
        be permitted but asked for it themself (must be refused as self_change); ``code``:
        the code a refusal must carry (else the lifecycle's, for a move only the state
        forbids)."""
        state = self.states[record]
        target = event_target or record
        total, typed, mine = self.events(), self.events(event), self.events(event, target)
        if permitted and not own_request and self.lifecycle.allows(verb, state):
            call()
            assert self.events(event, target) == mine + 1, f"{verb}: not one {event} event"
            assert self.events(event) == typed + 1, f"{verb}: {event} about another record"
            self.states[record] = self.lifecycle.transition(verb).to
            self.tally[f"accepted {verb}"] += 1
            self.made[verb] += 1
            return None
        with pytest.raises(CaveatError) as info:
            call()
        refusal = info.value
        assert self.events() == total, f"refused {verb} from {state} wrote an event: {refusal}"
        if code is not None:
            assert refusal.code == code, refusal
        elif own_request:
            assert refusal.code == Code.SELF_CHANGE.value, refusal
        elif permitted:  # only the state forbids it
            assert isinstance(refusal, RefusedMove), refusal
            assert refusal.code == self.lifecycle.refusal_code(verb, state)
            assert refusal.data["allowed"] == list(self.lifecycle.verbs_from(state))
        self.tally[f"refused {refusal.code}"] += 1
        if self.lifecycle.is_terminal(state):
            self.tally["refused from a final state"] += 1
        return refusal

    # the model against the database

    def stored(self) -> dict[str, str]:  # pragma: no cover - every machine overrides it
        raise NotImplementedError

    def expected(self) -> dict[str, str]:
        """What ``stored`` must read for the model's states."""
        return {k: v.value for k, v in self.states.items()}

    @invariant()
    def stored_states_are_the_models(self) -> None:
        self.tally["steps"] += 1
        if self.states:
            assert self.stored() == self.expected()

    @invariant()
    def final_states_have_no_moves(self) -> None:
        for state in self.states.values():
            if self.lifecycle.is_terminal(state):
                assert self.lifecycle.verbs_from(state) == ()


def one(made: object) -> str:
    """The record id a target rule returned (Hypothesis types a rule's result as possibly
    several)."""
    assert isinstance(made, str)
    return made


def run(machine: type[M], *args: Any, tour: Callable[[M], None], own: bool = False) -> Counter[str]:
    """First ``tour``: a fixed walk through every verb of the table (and, with ``own``, a
    refused decision on one's own request) on one machine, with the same checks; then
    random runs under the modest settings. What both did, by verb and refusal code."""
    machine.tally = Counter()
    walker = machine(*args)
    tour(walker)
    walker.stored_states_are_the_models()
    walker.teardown()
    tally = machine.tally
    for verb in machine.lifecycle.verbs:
        assert tally[f"accepted {verb}"] > 0, (verb, tally)
    assert tally["refused from a final state"] > 0, tally
    if own:
        assert tally[f"refused {Code.SELF_CHANGE.value}"] > 0, tally
    # Hypothesis takes any factory of machines; its annotation names only a class.
    run_state_machine_as_test(lambda: machine(*args), settings=MACHINE_SETTINGS)  # type: ignore[arg-type]
    return machine.tally
