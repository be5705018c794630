"""Homogeneity and stability (ISO 13528:2022 Annex B): example E.2 and Table B.1."""

from __future__ import annotations

import math

import pytest

from caveat.domain.proficiency import (
    NonFiniteValue,
    ProficiencyError,
    TooFewResults,
    UnbalancedDesign,
    homogeneity,
    stability,
)
from caveat.domain.proficiency.homogeneity import expanded_criterion_factors
from tests.domain.proficiency import annex_e


def _sigma_pt() -> float:
    return 0.15 * annex_e.E2_PRINTED["mean"]


def test_e2_homogeneity_statistics_at_the_printed_rounding() -> None:
    check = homogeneity(annex_e.E2_HOMOGENEITY, _sigma_pt())
    assert (check.items, check.replicates) == (10, 2)
    assert round(check.general_mean, 5) == annex_e.E2_PRINTED["mean"]
    assert round(check.s_x, 5) == annex_e.E2_PRINTED["s_x"]
    assert round(check.s_w, 5) == annex_e.E2_PRINTED["s_w"]
    assert round(check.s_s, 5) == annex_e.E2_PRINTED["s_s"]
    assert round(check.criterion, 5) == annex_e.E2_CRITERION
    assert check.passes
    assert check.passes_expanded
    assert check.expanded_criterion > check.criterion


def test_e2_stability() -> None:
    before = [v for row in annex_e.E2_HOMOGENEITY for v in row]
    check = stability(before, annex_e.E2_STABILITY, _sigma_pt())
    assert round(check.mean_after, 5) == annex_e.E2_STABILITY_MEAN
    assert round(check.difference, 5) == annex_e.E2_STABILITY_DIFFERENCE
    assert check.passes  # 0.00660 ≤ 0.00842


@pytest.mark.parametrize(("items", "printed"), sorted(annex_e.TABLE_B1.items()))
def test_expanded_criterion_factors_are_table_b1(items: int, printed: tuple[float, float]) -> None:
    f1, f2 = expanded_criterion_factors(items, 2)
    assert (round(f1, 2), round(f2, 2)) == printed


def test_a_heterogeneous_batch_fails() -> None:
    rows = [[1.0, 1.01], [2.0, 2.01], [1.0, 0.99], [2.0, 1.99]]
    check = homogeneity(rows, sigma_pt=0.5)
    assert not check.passes
    assert not check.passes_expanded


def test_negative_between_item_variance_is_zero() -> None:
    rows = [[1.0, 2.0], [1.5, 1.5], [2.0, 1.0]]
    assert homogeneity(rows, sigma_pt=1.0).s_s == 0.0


def test_unbalanced_items_are_refused() -> None:
    with pytest.raises(UnbalancedDesign) as caught:
        homogeneity([[1.0, 1.1], [1.0, 1.2, 1.1], [0.9, 1.0]], sigma_pt=0.1)
    assert caught.value.data["sizes"] == [2, 3]


def test_single_replicates_and_single_items_are_refused() -> None:
    with pytest.raises(TooFewResults):
        homogeneity([[1.0], [1.1], [1.2]], sigma_pt=0.1)
    with pytest.raises(TooFewResults):
        homogeneity([[1.0, 1.1]], sigma_pt=0.1)


def test_nan_and_non_positive_sigma_are_refused() -> None:
    with pytest.raises(NonFiniteValue):
        homogeneity([[1.0, math.nan], [1.0, 1.1]], sigma_pt=0.1)
    with pytest.raises(ProficiencyError):
        homogeneity([[1.0, 1.2], [1.0, 1.1]], sigma_pt=0.0)
    with pytest.raises(NonFiniteValue):
        stability([1.0, 2.0], [math.inf], sigma_pt=0.1)
