"""Composable rules for who may change what (the permission table's vocabulary).

A rule looks at two small records: the :class:`Actor` (who is asking, and how they
proved it) and the :class:`Target` (the facts of the thing being changed that the
service loaded). It answers ``None`` (satisfied) or a :class:`Failure` naming itself,
so a refusal can tell a person exactly which rule failed.

Composition follows sigstore-python's policies: :class:`AllOf` needs every rule,
:class:`AnyOf` needs one, and an empty composition of either kind denies. The only
rule that passes without looking at the target is :class:`NodeConsole`, named so that
nobody grants the console's powers by accident.

Pure: no clock is read here; the caller passes the MFA age it computed from its clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from caveat.domain.identity import Role


class Code(StrEnum):
    """Stable codes of the ways a permission rule fails (clients switch on them)."""

    POLICY_DENIED = "policy_denied"  # a role or organisation rule failed
    SELF_CHANGE = "self_change"  # nobody changes the facts that decide their own access
    NOT_A_PARTY = "not_a_party"  # agreements are changed by their parties only
    NOT_ORIGINATOR = "not_originator"  # marking is the originating organisation's decision
    STEP_UP_REQUIRED = "step_up_required"  # credentials change only with a fresh second factor
    NO_RULE = "no_rule"  # an action the table does not name is denied


# When several alternatives fail, the most telling reason is reported first.
_PRIORITY = (
    Code.SELF_CHANGE,
    Code.STEP_UP_REQUIRED,
    Code.NOT_A_PARTY,
    Code.NOT_ORIGINATOR,
    Code.POLICY_DENIED,
    Code.NO_RULE,
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks. ``console`` is someone at the node's console (holding its data directory)."""

    console: bool = False
    person_id: str | None = None
    organisation_id: str | None = None
    nation: str | None = None  # the nation of the actor's organisation
    roles: frozenset[Role] = frozenset()
    via_token: bool = False  # an API token proves possession, not a second factor
    mfa_age_s: float | None = None  # seconds since the session last proved a second factor


@dataclass(frozen=True, slots=True)
class Target:
    """The facts of what is being changed, as far as the rules need them."""

    person_id: str | None = None  # the person changed (or who asked, for a request)
    organisation_id: str | None = None  # the organisation of that person or thing
    granting_nation: str | None = None  # the nation granting a clearance being recorded
    party_organisations: frozenset[str] = frozenset()  # an agreement's parties
    party_nations: frozenset[str] = frozenset()
    originator_org_id: str | None = None  # a resource's originating organisation
    project_leads: frozenset[str] = frozenset()  # person ids leading the project
    project_members: frozenset[str] = frozenset()  # person ids of the project's current members
    requested_by: str | None = None  # who asked for what is being decided
    beneficiary_id: str | None = None  # who gains access by the change (grants, read-ons)
    round_coordinator: str | None = None  # the person coordinating a proficiency round
    round_closed: bool = False  # a proficiency round's results are no longer blind
    node_organisation_id: str | None = None  # the organisation operating this node
    recipient_organisations: frozenset[str] = frozenset()  # who receives a peer's releases
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a rule does not hold: a stable code and the rule's own words."""

    code: Code
    rule: str
    # Only the console would do: said last, since a person cannot become the console.
    console_only: bool = False
    why: str = ""  # the rule's own sentence, where the code's general one says too little


class Rule:
    """A named predicate over (actor, target)."""

    name: str = "rule"

    def check(self, actor: Actor, target: Target) -> Failure | None:  # pragma: no cover
        raise NotImplementedError

    def describe(self) -> str:
        """The rule as the permission matrix prints it."""
        return self.name


class NodeConsole(Rule):
    """The node's console: holding the data directory already means holding the node's
    keys, so it may administer the node. It never reads labelled content."""

    name = "node console"

    def check(self, actor: Actor, target: Target) -> Failure | None:
        return (
            None
            if actor.console
            else Failure(Code.POLICY_DENIED, "the node's console", console_only=True)
        )


@dataclass(frozen=True, slots=True)
class HasRole(Rule):
    """The actor holds one of ``roles``."""

    roles: tuple[Role, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return "role " + " or ".join(r.value for r in self.roles)

    def check(self, actor: Actor, target: Target) -> Failure | None:
        if actor.console or not set(self.roles) & actor.roles:
            return Failure(Code.POLICY_DENIED, self.name)
        return None


@dataclass(frozen=True, slots=True)
class _Predicate(Rule):
    """A rule that is one comparison of actor and target facts."""

    label: str
    code: Code
    test: Callable[[Actor, Target], bool]
    why: str = ""

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.label

    def check(self, actor: Actor, target: Target) -> Failure | None:
        return (
            None
            if (not actor.console and self.test(actor, target))
            else Failure(self.code, self.label, why=self.why)
        )


def _is(value: str | None, other: str | None) -> bool:
    return value is not None and value == other


OWN_ORGANISATION = _Predicate(
    "of the same organisation",
    Code.POLICY_DENIED,
    lambda a, t: _is(a.organisation_id, t.organisation_id),
)
NOT_SELF = _Predicate(
    "not the subject themself",
    Code.SELF_CHANGE,
    lambda a, t: a.person_id is not None and a.person_id not in {t.person_id, t.beneficiary_id},
)
SIGNED_IN = _Predicate(
    "a signed-in person", Code.POLICY_DENIED, lambda a, t: a.person_id is not None
)
SELF = _Predicate(
    "the subject themself", Code.POLICY_DENIED, lambda a, t: _is(a.person_id, t.person_id)
)
GRANTING_NATION = _Predicate(
    "of the nation granting the clearance",
    Code.POLICY_DENIED,
    lambda a, t: t.granting_nation is None or _is(a.nation, t.granting_nation),
)
PARTY = _Predicate(
    "of an organisation party to the agreement",
    Code.NOT_A_PARTY,
    lambda a, t: (
        (a.organisation_id in t.party_organisations)
        or (a.nation is not None and a.nation in t.party_nations)
    ),
)
ORIGINATOR = _Predicate(
    "of the originating organisation",
    Code.NOT_ORIGINATOR,
    lambda a, t: _is(a.organisation_id, t.originator_org_id),
)
PROJECT_LEAD = _Predicate(
    "lead of the project", Code.POLICY_DENIED, lambda a, t: a.person_id in t.project_leads
)
PROJECT_MEMBER = _Predicate(
    "member of the project", Code.POLICY_DENIED, lambda a, t: a.person_id in t.project_members
)
COORDINATOR = _Predicate(
    "coordinator of the round",
    Code.POLICY_DENIED,
    lambda a, t: _is(a.person_id, t.round_coordinator),
)
ROUND_CLOSED = _Predicate(
    "the round is closed",
    Code.POLICY_DENIED,
    lambda a, t: a.person_id is not None and t.round_closed,
    why="other laboratories' results stay blind until the round closes",
)
NODE_ORGANISATION = _Predicate(
    "of the organisation operating this node",
    Code.POLICY_DENIED,
    lambda a, t: _is(a.organisation_id, t.node_organisation_id),
    why="who receives what goes to a partner node, and ending a peering, are decided by "
    "the organisation operating this node",
)
NOT_RECIPIENT = _Predicate(
    "not of the organisation receiving the peer's releases",
    Code.SELF_CHANGE,
    lambda a, t: (
        a.organisation_id is not None and a.organisation_id not in t.recipient_organisations
    ),
    why="an organisation does not decide what its own node may receive",
)
NOT_REQUESTER = _Predicate(
    "not who asked",
    Code.SELF_CHANGE,
    lambda a, t: not _is(a.person_id, t.requested_by),
    why="nobody decides a request they made",
)


@dataclass(frozen=True, slots=True)
class FreshSecondFactor(Rule):
    """A signed-in session whose second factor was proved within ``within_s`` seconds;
    never an API token (a token would otherwise replace the second factor it bypasses)."""

    within_s: int

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"a session with a second factor proved in the last {self.within_s // 60} min"

    def check(self, actor: Actor, target: Target) -> Failure | None:
        fresh = (
            not actor.console
            and not actor.via_token
            and actor.mfa_age_s is not None
            and 0 <= actor.mfa_age_s <= self.within_s
        )
        return None if fresh else Failure(Code.STEP_UP_REQUIRED, self.name)


@dataclass(frozen=True, slots=True)
class AllOf(Rule):
    """Every rule holds; an empty AllOf denies."""

    rules: tuple[Rule, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return " and ".join(_bracket(r) for r in self.rules) or "nothing (denied)"

    def check(self, actor: Actor, target: Target) -> Failure | None:
        if not self.rules:
            return Failure(Code.NO_RULE, self.name)
        for rule in self.rules:
            failed = rule.check(actor, target)
            if failed is not None:
                return failed
        return None


@dataclass(frozen=True, slots=True)
class AnyOf(Rule):
    """One of the rules holds; an empty AnyOf denies. When all fail, the most telling
    failure is reported: a self-change before a missing role, and what a person could
    satisfy before "the node's console"."""

    rules: tuple[Rule, ...]

    @property
    def name(self) -> str:  # type: ignore[override]
        return " or ".join(_bracket(r) for r in self.rules) or "nothing (denied)"

    def check(self, actor: Actor, target: Target) -> Failure | None:
        if not self.rules:
            return Failure(Code.NO_RULE, self.name)
        failures = []
        for rule in self.rules:
            failed = rule.check(actor, target)
            if failed is None:
                return None
            failures.append(failed)
        return min(failures, key=lambda f: (f.console_only, _PRIORITY.index(f.code)))


def _bracket(rule: Rule) -> str:
    return f"({rule.name})" if isinstance(rule, AllOf | AnyOf) else rule.name


def all_of(*rules: Rule) -> AllOf:
    """Every one of ``rules``."""
    return AllOf(tuple(rules))


def any_of(*rules: Rule) -> AnyOf:
    """One of ``rules``."""
    return AnyOf(tuple(rules))


def role(*roles: Role) -> HasRole:
    """One of ``roles``."""
    return HasRole(tuple(roles))
