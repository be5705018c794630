"""Differential oracle: decide() against the same policy written in Cedar (cedarpy).

Over 10,000 random (subject, action, resource, context) cases both must agree on
the decision and on exactly which requirements failed.
"""

from __future__ import annotations

import random
from pathlib import Path

import cedarpy
import pytest

from caveat.domain.policy import Context, decide
from tests.policy.cedar_model import (
    context_of,
    entities_of,
    failed_codes,
    policy_set,
    request,
    schema_text,
)
from tests.policy.population import ACTIONS, NOW, mfa_at, random_population

SEEDS = range(25)
CASES_PER_SEED = 440  # 25 x 440 = 11,000 cases


def test_the_cedar_policy_validates_against_its_schema() -> None:
    from tests.policy.cedar_model import HERE

    result = cedarpy.validate_policies((HERE / "caveat.cedar").read_text(), schema_text())
    assert result.validation_passed, result.errors


@pytest.mark.parametrize("seed", SEEDS)
def test_decide_agrees_with_cedar(seed: int) -> None:
    population = random_population(seed)
    env = population.environment()
    entities = entities_of(population)
    rng = random.Random(seed * 7919)
    cases = []
    contexts = {}
    for _ in range(CASES_PER_SEED):
        subject = rng.choice(population.subjects)
        resource = rng.choice(population.resources)
        action = rng.choice(ACTIONS)
        at = mfa_at(rng)
        if at not in contexts:
            contexts[at] = Context(NOW, at, env)
        cases.append((subject, action, resource, at))
    requests = [request(s, a, r, context_of(at, population)) for s, a, r, at in cases]
    results = cedarpy.is_authorized_batch(requests, policy_set(), entities, schema=schema_text())
    permits = 0
    for (subject, action, resource, at), result in zip(cases, results, strict=True):
        assert not result.diagnostics.errors, result.diagnostics.errors  # an error would fail open
        ours = decide(subject, action, resource, contexts[at])
        assert ours.permitted == result.allowed, (
            seed,
            subject.id,
            action,
            resource.id,
            ours.failed_codes,
        )
        assert set(ours.failed_codes) == failed_codes(result), (
            seed,
            subject.id,
            action,
            resource.id,
        )
        permits += ours.permitted
    assert 0 < permits < len(cases)


def test_the_oracle_borrows_only_the_policys_data_types() -> None:
    """The Cedar model shares nothing with the engine but its input and output types
    (issue 13): a helper imported from ``caveat.domain.policy`` would let a bug planted
    there pass both sides alike."""
    import ast
    from types import ModuleType

    from tests.policy import cedar_model

    borrowed = {
        name
        for name, value in vars(cedar_model).items()
        if (
            value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", "")
        ).startswith("caveat.domain.policy")
    }
    assert borrowed <= {"Action", "GrantKind", "Resource", "Subject"}
    tree = ast.parse(Path(cedar_model.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert {m for m in imported if m.startswith("caveat.domain.policy")} == {"caveat.domain.policy"}
