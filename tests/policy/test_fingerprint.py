"""The decision fingerprint: every fact in it, and equal fingerprints decide alike.

Live channels remember one decision per fingerprint and message for everyone whose
fingerprint is equal (``services/channels/_subjects.py``); these laws are what make
that sharing safe."""

from __future__ import annotations

import random
from dataclasses import fields, replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.policy import (
    Action,
    Context,
    GrantKind,
    PolicyConfig,
    Subject,
    SubjectFacts,
    decide,
)
from caveat.domain.policy.fingerprint import (
    NARROWED,
    SUBJECT_FIELDS,
    Scope,
    _hashable,
    decision_fingerprint,
)
from tests.policy.population import (
    ACTIONS,
    NOW,
    PROJECTS,
    mfa_at,
    random_population,
)

FIELDS = [f.name for f in fields(SubjectFacts)]
# Resources r00000-r00009 of the first two projects: the scope the fingerprints are for.
SCOPE = Scope(frozenset(PROJECTS[:2]), "r0000")
CONFIG = PolicyConfig()


class _New:
    """A value no fact holds (compares equal only to itself)."""


def _changed(name: str, value: Any, scope: Scope) -> Any:
    """``value`` of facts field ``name`` changed in a way decisions in ``scope`` can see.

    A field of a type this does not know fails the test: a new fact must be given a
    change here, which the test then proves the fingerprint sees."""
    if name == "projects":
        inside = next(iter(sorted(scope.projects)))
        return value - {inside} if inside in value else value | {inside}
    if name in ("access_grants", "originator_grants"):
        grant = scope.id_prefix + "9"
        return value - {grant} if grant in value else value | {grant}
    if name == "mfa_age":
        return 0 if value is None else None
    if isinstance(value, bool):
        return not value
    if isinstance(value, frozenset):
        return value | {_New()}
    if isinstance(value, tuple):
        return (*value, _New())
    if isinstance(value, dict):
        return {**value, _New(): frozenset()}
    pytest.fail(f"no change known for the facts field {name!r} ({type(value).__name__})")


def _facts(seed: int) -> list[tuple[Subject, SubjectFacts, Context]]:
    population = random_population(seed, subjects=12, resources=30)
    env = population.environment()
    rng = random.Random(seed)
    out = []
    for subject in population.subjects:
        context = Context(NOW, mfa_at(rng), env)
        out.append((subject, context.facts(subject), context))
    return out


def test_narrowed_fields_are_fields_of_the_facts() -> None:
    assert set(NARROWED) <= set(FIELDS)


@pytest.mark.parametrize("name", FIELDS)
def test_a_change_to_any_fact_changes_the_fingerprint(name: str) -> None:
    for subject, facts, _ in _facts(7):
        before = decision_fingerprint(subject, facts, CONFIG, SCOPE)
        changed = replace(facts, **{name: _changed(name, getattr(facts, name), SCOPE)})
        assert decision_fingerprint(subject, changed, CONFIG, SCOPE) != before, name


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), name=st.sampled_from(FIELDS), which=st.integers(0, 11))
def test_subjects_differing_in_one_fact_never_share_a_fingerprint(
    seed: int, name: str, which: int
) -> None:
    subject, facts, _ = _facts(seed)[which]
    other = replace(facts, **{name: _changed(name, getattr(facts, name), SCOPE)})
    assert decision_fingerprint(subject, facts, CONFIG, SCOPE) != decision_fingerprint(
        replace(subject, id="someone-else", username="someone"), other, CONFIG, SCOPE
    )


@pytest.mark.parametrize("name", SUBJECT_FIELDS)
def test_the_subject_fields_decide_reads_are_in_the_fingerprint(name: str) -> None:
    subject, facts, _ = _facts(3)[0]
    changes: dict[str, Any] = {name: "somewhere-else"}
    other = replace(subject, **changes)
    assert decision_fingerprint(subject, facts, CONFIG, SCOPE) != decision_fingerprint(
        other, facts, CONFIG, SCOPE
    )


def test_the_policy_settings_are_in_the_fingerprint() -> None:
    subject, facts, _ = _facts(3)[0]
    stricter = PolicyConfig(mfa_max_age=(None, 60, 60, 60, 60))
    assert decision_fingerprint(subject, facts, CONFIG, SCOPE) != decision_fingerprint(
        subject, facts, stricter, SCOPE
    )


class _Recording(Subject):
    """A subject that records which of its fields are read."""

    __slots__ = ()
    read: list[str] = []

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("__"):
            _Recording.read.append(name)
        return object.__getattribute__(self, name)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_decide_reads_of_the_subject_only_what_the_fingerprint_holds(seed: int) -> None:
    population = random_population(seed, subjects=10, resources=30)
    env = population.environment()
    for subject in population.subjects:
        recording = _Recording(**{f.name: getattr(subject, f.name) for f in fields(Subject)})
        context = Context(NOW, NOW - timedelta(minutes=5), env)
        context.facts(recording)  # derived beforehand: the facts read everything
        _Recording.read = []
        for resource in population.resources:
            for action in ACTIONS:
                decide(recording, action, resource, context)
        # "id" only names the decision.
        assert set(_Recording.read) <= {*SUBJECT_FIELDS, "id"}


def _variant(subject: Subject, facts: SubjectFacts, rng: random.Random) -> SubjectFacts:
    """Other facts decisions in SCOPE cannot tell from ``facts``: projects and grants
    outside the scope, another MFA age of the same freshness class."""
    return replace(
        facts,
        projects=facts.projects | {"p-outside"},
        access_grants=facts.access_grants | {"r-elsewhere"},
        originator_grants=facts.originator_grants | {"r-elsewhere-too"},
        mfa_age=None if facts.mfa_age is None else facts.mfa_age + rng.randint(0, 1),
    )


_NATIONS = ("nationalities", "jurisdictions", "covering")


def _neighbour(facts: SubjectFacts, donor: SubjectFacts, name: str) -> SubjectFacts:
    """``facts`` with fact ``name`` as ``donor`` has it (nationalities come with the
    groups that cover them, which decide() looks them up in)."""
    if name not in _NATIONS:
        return replace(facts, **{name: getattr(donor, name)})
    return replace(
        facts,
        nationalities=donor.nationalities,
        jurisdictions=donor.jurisdictions,
        covering={**facts.covering, **donor.covering},
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_equal_fingerprints_decide_every_resource_of_the_scope_alike(seed: int) -> None:
    population = random_population(seed, subjects=10, resources=60)
    in_scope = [
        r
        for r in population.resources
        if r.project_id in SCOPE.projects and r.id.startswith(SCOPE.id_prefix)
    ]
    rng = random.Random(seed)
    env = population.environment()
    # Grants on resources of the scope, so the grant sets matter.
    people = [
        replace(s, grants={**s.grants, (r.id, rng.choice(list(GrantKind))): None})
        for s in population.subjects
        for r in rng.sample(in_scope, min(1, len(in_scope)))
    ] or population.subjects
    decided: dict[object, dict[tuple[str, Action], bool]] = {}
    derived = [(s, Context(NOW, mfa_at(rng), env).facts(s)) for s in people]
    for subject, facts in derived:
        # Neighbours: one fact taken from another subject (a fingerprint that left a
        # fact out would join them to this subject and decide differently).
        neighbours = [_neighbour(facts, rng.choice(derived)[1], name) for name in FIELDS]
        for variant in (facts, _variant(subject, facts, rng), *neighbours):
            if variant.mfa_levels != facts.mfa_levels:
                continue  # the extra second crossed a freshness limit: another class
            fingerprint = decision_fingerprint(subject, variant, env.config, SCOPE)
            stand_in = replace(subject, id=f"{subject.id}-{len(decided)}")
            context = Context(NOW, None, env)
            context._memo[id(stand_in)] = (stand_in, variant)
            answers = {
                (r.id, a): decide(stand_in, a, r, context).permitted
                for r in in_scope
                for a in ACTIONS
            }
            assert decided.setdefault(fingerprint, answers) == answers


def test_a_list_keeps_its_order_and_a_set_does_not() -> None:
    """Facts are tuples and frozensets today; a list or set field added later is held
    as exactly as it decides: a list's order and repeats count, a set's order does not
    (and a set is made hashable, not refused)."""
    assert _hashable(["USA", "GBR"]) != _hashable(["GBR", "USA"])
    assert _hashable(["USA"]) != _hashable(["USA", "USA"])
    assert _hashable({"USA", "GBR"}) == _hashable({"GBR", "USA"}) == frozenset({"USA", "GBR"})
    assert _hashable({"n": {"USA", "GBR"}}) == _hashable({"n": {"GBR", "USA"}})
    assert _hashable({"n": frozenset({"USA"})}) != _hashable({"n": frozenset({"GBR"})})
    assert hash(_hashable({"n": [{"a"}, {"b"}]})) == hash(_hashable({"n": [{"a"}, {"b"}]}))


def test_the_scope_is_in_the_fingerprint() -> None:
    # Channels key remembered decisions by fingerprint: one made for another scope
    # (other projects, other resources) is never taken for this one's, even where the
    # subject's facts narrowed to each scope read the same (no project, no grant).
    subject, facts, _ = _facts(3)[0]
    none = frozenset[str]()
    facts = replace(facts, projects=none, access_grants=none, originator_grants=none)
    other = Scope(frozenset(PROJECTS[2:4]), "r0001")
    assert decision_fingerprint(subject, facts, CONFIG, SCOPE) != decision_fingerprint(
        subject, facts, CONFIG, other
    )
