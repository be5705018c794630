"""x_pt and sigma_pt by each method of ISO 13528:2022 clauses 7 and 8, with the choice recorded;
known answers from Annex E (E.3, E.9, E.10)."""

from __future__ import annotations

import math

import pytest

from caveat.domain.proficiency import (
    AssignedValueMethod,
    ProficiencyError,
    RobustMethod,
    SigmaPtMethod,
    algorithm_a,
    by_consensus,
    by_formulation,
    from_certified_value,
    from_reference_value,
)
from caveat.domain.proficiency import sigma_pt as sp
from tests.domain.proficiency import annex_e


def test_consensus_by_algorithm_a_is_table_e5_with_the_choice_recorded() -> None:
    assigned = by_consensus(annex_e.E3_ATRAZINE)
    assert (round(assigned.value, 4), round(assigned.standard_uncertainty, 4)) == (0.2570, 0.0085)
    assert assigned.method is AssignedValueMethod.CONSENSUS
    assert assigned.robust is not None
    assert assigned.robust.method is RobustMethod.ALGORITHM_A
    assert "7.7" in assigned.clause
    assert "C.3.1" in assigned.clause


@pytest.mark.parametrize(
    ("method", "printed"),
    [
        (RobustMethod.Q_HAMPEL, (0.2600, 0.0091)),
        (RobustMethod.MEDIAN_NIQR, (0.2620, 0.0086)),
    ],
)
def test_consensus_by_other_estimators_is_table_e5(
    method: RobustMethod, printed: tuple[float, float]
) -> None:
    assigned = by_consensus(annex_e.E3_ATRAZINE, method)
    assert (round(assigned.value, 4), round(assigned.standard_uncertainty, 4)) == printed
    assert assigned.robust is not None
    assert assigned.robust.method is method


def test_formulation_reference_and_certified_values_say_what_they_are() -> None:
    assert by_formulation(10.0, 0.1).method is AssignedValueMethod.FORMULATION
    reference = from_reference_value(10.0, 0.2)
    assert (reference.method, reference.clause) == (
        AssignedValueMethod.REFERENCE_VALUE,
        "ISO 13528:2022 7.5",
    )
    certified = from_certified_value(0.044, 0.0082, 2.0)
    assert certified.method is AssignedValueMethod.CERTIFIED_VALUE
    assert certified.standard_uncertainty == pytest.approx(0.0041)
    assert (certified.expanded_uncertainty, certified.coverage_factor) == (0.0082, 2.0)


def test_negligible_uncertainty_is_point_three_sigma() -> None:
    assigned = by_formulation(1.0, 0.3)
    assert assigned.uncertainty_is_negligible(1.0)
    assert not assigned.uncertainty_is_negligible(0.99)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_assigned_values_must_be_finite(bad: float) -> None:
    with pytest.raises(ProficiencyError):
        by_formulation(bad, 0.1)
    with pytest.raises(ProficiencyError):
        from_certified_value(1.0, bad, 2.0)


def test_uncertainty_cannot_be_negative_and_k_must_be_positive() -> None:
    with pytest.raises(ProficiencyError):
        from_reference_value(1.0, -0.1)
    with pytest.raises(ProficiencyError):
        from_certified_value(1.0, 0.1, 0.0)


@pytest.mark.parametrize(("level", "printed"), annex_e.E9_HORWITZ)
def test_horwitz_model_reproduces_e9(level: float, printed: float) -> None:
    sigma = sp.horwitz(level * 1e-6)  # mg/kg as a mass fraction
    assert round(sigma.value * 1e6, 3) == printed
    assert sigma.method is SigmaPtMethod.GENERAL_MODEL
    assert dict(sigma.parameters)["exponent"] == 0.8495


def test_precision_experiment_reproduces_e10() -> None:
    s_big_r, s_r, m, printed = annex_e.E10_PRECISION
    sigma = sp.from_precision_experiment(s_big_r, s_r, int(m))
    assert round(sigma.value, 1) == printed
    assert sigma.method is SigmaPtMethod.PRECISION_EXPERIMENT


def test_fitness_for_purpose_is_a_share_of_the_assigned_value() -> None:
    sigma = sp.fitness_for_purpose(annex_e.E2_PRINTED["mean"], 0.15)
    assert round(sigma.value, 5) == annex_e.E2_SIGMA_PT
    assert dict(sigma.parameters) == {"fraction": 0.15, "assigned_value": 0.18715}


def test_general_model_and_prescribed_and_from_round() -> None:
    assert sp.general_model(10.0, 0.5, 0.1).value == pytest.approx(1.5)
    assert sp.prescribed(0.0066).method is SigmaPtMethod.PRESCRIBED
    sigma = sp.from_round(algorithm_a(annex_e.E3_ATRAZINE))
    assert round(sigma.value, 4) == 0.0395
    assert sigma.method is SigmaPtMethod.ROBUST_SD_OF_ROUND
    assert dict(sigma.parameters)["participants"] == 34


@pytest.mark.parametrize(
    "make",
    [
        lambda: sp.prescribed(0.0),
        lambda: sp.prescribed(-1.0),
        lambda: sp.fitness_for_purpose(0.0, 0.1),
        lambda: sp.general_model(1.0, -2.0, 0.5),
        lambda: sp.prescribed(math.nan),
    ],
)
def test_sigma_pt_must_be_positive_and_finite(make: object) -> None:
    with pytest.raises(ProficiencyError):
        make()  # type: ignore[operator]
