"""The Cedar oracle catches bugs in the code it used to share with the engine (issue 13).

An outside review planted these bugs in shared code; every one passed the old oracle
(which read the engine's label facts and in-memory ports) and the whole policy suite.
Each is re-applied here as a patch to the engine's side only, and the differential
against the independent encoder (``cedar_model``) must then disagree on some case.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import cedarpy
import pytest

from caveat.domain.identity import Clearance
from caveat.domain.policy import Context, DatedAgreement, MemoryEmbargoes, decide, facts
from caveat.domain.policy.ports import EmbargoTerms
from tests.policy.cedar_model import context_of, entities_of, failed_codes, policy_set, request
from tests.policy.cedar_model import schema_text as cedar_schema
from tests.policy.population import ACTIONS, NOW, mfa_at, random_population

SEEDS = range(6)
CASES = 600


def disagreements() -> int:
    """How many random cases decide() and the Cedar policy judge differently."""
    differ = 0
    for seed in SEEDS:
        population = random_population(seed)
        env = population.environment()
        entities = entities_of(population)
        rng = random.Random(seed * 104729)
        cases = [
            (
                rng.choice(population.subjects),
                rng.choice(ACTIONS),
                rng.choice(population.resources),
                mfa_at(rng),
            )
            for _ in range(CASES)
        ]
        requests = [request(s, a, r, context_of(at, population)) for s, a, r, at in cases]
        results = cedarpy.is_authorized_batch(
            requests, policy_set(), entities, schema=cedar_schema()
        )
        for (subject, action, resource, at), result in zip(cases, results, strict=True):
            ours = decide(subject, action, resource, Context(NOW, at, env))
            if ours.permitted != result.allowed or set(ours.failed_codes) != failed_codes(result):
                differ += 1
    return differ


def _propin_not_originator_controlled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(facts, "ORIGINATOR_CONTROLS", frozenset({"ORCON", "IMCON"}))


def _sap_compartments_not_required(monkeypatch: pytest.MonkeyPatch) -> None:
    original = facts.label_facts

    def without_sap(label, schemes):  # type: ignore[no-untyped-def]
        found = original(label, schemes)
        held = frozenset(c for c in found.held_caveats if not c.startswith("SAP:"))
        return replace(found, held_caveats=held)

    monkeypatch.setattr(facts, "label_facts", without_sap)


def _expired_agreements_in_force(monkeypatch: pytest.MonkeyPatch) -> None:
    def ignoring_end(self: DatedAgreement, on: date) -> bool:
        return self.valid_from is None or self.valid_from <= on

    monkeypatch.setattr(DatedAgreement, "holds_on", ignoring_end)


def _embargo_on_second_nationality_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    original = MemoryEmbargoes.in_force

    def first_nation_only(
        self: MemoryEmbargoes, *, nations: frozenset[str], on: date
    ) -> list[EmbargoTerms]:
        return list(original(self, nations=frozenset(sorted(nations)[:1]), on=on))

    monkeypatch.setattr(MemoryEmbargoes, "in_force", first_nation_only)


def _clearance_expiry_day_off_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Clearance, "valid_on", lambda self, day: day < self.expires)


PLANTED: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "PROPIN no longer originator-controlled": _propin_not_originator_controlled,
    "SAP compartments not required": _sap_compartments_not_required,
    "expired agreements still in force": _expired_agreements_in_force,
    "an embargo on a second nationality ignored": _embargo_on_second_nationality_ignored,
    "the clearance expiry day off by one": _clearance_expiry_day_off_by_one,
}


def test_without_a_planted_bug_the_two_agree() -> None:
    assert disagreements() == 0


@pytest.mark.parametrize("bug", sorted(PLANTED))
def test_the_oracle_finds_the_planted_bug(bug: str, monkeypatch: pytest.MonkeyPatch) -> None:
    PLANTED[bug](monkeypatch)
    assert disagreements() > 0, f"the oracle missed: {bug}"
