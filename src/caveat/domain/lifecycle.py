"""Lifecycles as data: one table of moves per kind of record, one check (ADR 0014).

A :class:`Lifecycle` is a table of :class:`Transition` rows — a verb, the states it moves
from, the state it moves to, and who may make it — plus the states that are final.
Services look a verb up in the table and call :func:`require_move` with the record's
current state before they change anything; pages offer only the verbs
:meth:`Lifecycle.verbs_from` lists; the stateful tests drive the services with random
moves and hold them to the same table.

``who`` names the rule about the actor: an :class:`~caveat.domain.permissions.Act`, whose
rule is the permission table's (ADR 0011; "nobody decides their own request" is its
``not who asked``), or a :class:`Who` for moves outside that table (an upload's owner).
The service still asks ``authorize`` with the record's facts; the table says which
action it asks for.

A refused move raises :class:`RefusedMove` (a conflict) with the stable code the table
gives for that verb and state — the codes clients saw before the tables existed — and
names the verb, the current state and the moves allowed from it.

Pure: no clock, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from caveat.domain.errors import Conflict
from caveat.domain.permissions import PERMISSIONS, Act

S = TypeVar("S", bound=StrEnum)


class Who(StrEnum):
    """Actors of moves the permission table does not name."""

    OWNER = "owner"  # the person who opened the record, and nobody else


@dataclass(frozen=True, slots=True)
class Transition(Generic[S]):
    """One row: ``verb`` moves a record from any of ``from_states`` to ``to``; ``who``
    may make the move."""

    verb: str
    from_states: frozenset[S]
    to: S
    who: Act | Who

    @property
    def act(self) -> Act:
        """The permission-table action the move needs (for a move whose ``who`` is one)."""
        if not isinstance(self.who, Act):
            raise TypeError(f"{self.verb} is made by {self.who.value}, not by a table action")
        return self.who

    def rule(self) -> str:
        """Who may make the move, in words (the permission table's rule for an Act)."""
        if isinstance(self.who, Act):
            return PERMISSIONS[self.who].rule.describe()
        return "the person who opened it"


@dataclass(frozen=True, slots=True)
class Refusal(Generic[S]):
    """The stable code of a refused move: for ``verbs`` (empty: any) tried from
    ``states`` (empty: any). The first matching refusal of a lifecycle wins."""

    code: str
    verbs: frozenset[str] = frozenset()
    states: frozenset[S] = frozenset()

    def matches(self, verb: str, state: S) -> bool:
        return (not self.verbs or verb in self.verbs) and (not self.states or state in self.states)


class RefusedMove(Conflict):
    """A lifecycle move the record's current state does not allow. ``data`` names the
    verb, the current state and the verbs allowed from it."""

    code = "invalid_transition"


@dataclass(frozen=True, slots=True)
class Lifecycle(Generic[S]):
    """The moves of one kind of record. ``code`` is the refusal code unless one of
    ``refusals`` says otherwise; ``labels`` say how a state reads in a message ("a draft")."""

    name: str
    initial: S
    transitions: tuple[Transition[S], ...]
    terminal: frozenset[S]
    code: str
    refusals: tuple[Refusal[S], ...] = ()
    labels: Mapping[S, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        verbs = [t.verb for t in self.transitions]
        if len(set(verbs)) != len(verbs):
            raise ValueError(f"{self.name}: a verb appears twice")
        for t in self.transitions:
            if not t.from_states:
                raise ValueError(f"{self.name}: {t.verb} moves from no state")
            if t.from_states & self.terminal:
                raise ValueError(f"{self.name}: {t.verb} moves out of a final state")
        if self.initial in self.terminal:
            raise ValueError(f"{self.name}: the initial state is final")

    @property
    def states(self) -> tuple[S, ...]:
        """Every state, in the enum's order."""
        return tuple(type(self.initial))

    @property
    def verbs(self) -> tuple[str, ...]:
        """Every verb, in the table's order."""
        return tuple(t.verb for t in self.transitions)

    def find(self, verb: str) -> Transition[S] | None:
        """The row for ``verb``, or None for a verb the lifecycle does not know."""
        return next((t for t in self.transitions if t.verb == verb), None)

    def transition(self, verb: str) -> Transition[S]:
        """The row for a verb the caller knows is in the table (KeyError otherwise)."""
        move = self.find(verb)
        if move is None:
            raise KeyError(f"{self.name} has no verb {verb!r}")
        return move

    def verbs_from(self, state: S | str) -> tuple[str, ...]:
        """The verbs allowed from ``state`` (none from a final state), in table order.
        A value that is no state of the lifecycle (an effective status such as
        ``not_yet_valid``) allows none."""
        return tuple(t.verb for t in self.transitions if state in t.from_states)

    def allows(self, verb: str, state: S) -> bool:
        """Whether ``verb`` may be made from ``state``."""
        move = self.find(verb)
        return move is not None and state in move.from_states

    def is_terminal(self, state: S) -> bool:
        return state in self.terminal

    def refusal_code(self, verb: str, state: S) -> str:
        """The stable code a refused ``verb`` from ``state`` raises."""
        return next((r.code for r in self.refusals if r.matches(verb, state)), self.code)

    def label(self, state: S) -> str:
        return self.labels.get(state, state.value)


def require_move(
    lifecycle: Lifecycle[S], verb: str, current: S, *, subject: str | None = None
) -> Transition[S]:
    """The transition ``verb`` makes from ``current``; raise :class:`RefusedMove` (with
    the lifecycle's code for that verb and state) when the table does not allow it.
    ``subject`` names the record in the message ("agreement Sensor MoU")."""
    move = lifecycle.find(verb)
    if move is not None and current in move.from_states:
        return move
    what = subject or f"the {lifecycle.name}"
    allowed = lifecycle.verbs_from(current)
    if move is None:
        detail = f"{what} has no move {verb!r}"
    elif lifecycle.is_terminal(current):
        detail = f"cannot {verb} {what}: it is already {current.value}"
    else:
        wanted = " or ".join(lifecycle.label(s) for s in _ordered(lifecycle, move.from_states))
        detail = f"cannot {verb} {what}: it is {current.value}, not {wanted}"
    raise RefusedMove(
        detail,
        code=lifecycle.refusal_code(verb, current),
        field="status",
        hint=(
            f"allowed from {current.value}: {', '.join(allowed)}"
            if allowed
            else f"{current.value} is final: no move is allowed"
        ),
        data={"verb": verb, "state": current.value, "allowed": list(allowed)},
    )


def _ordered(lifecycle: Lifecycle[S], states: frozenset[S]) -> list[S]:
    return [s for s in lifecycle.states if s in states]
