"""ISO 5725-2: s_r, s_L, s_R for balanced and unbalanced designs (checked against scipy's
one-way analysis of variance, an independent implementation), Mandel's h and k, and the
outlier screening of 7.3 (Cochran first, then Grubbs, outliers out, recompute)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats  # type: ignore[import-untyped,unused-ignore]

from caveat.domain.proficiency import (
    Flag,
    NonFiniteValue,
    OutlierTestKind,
    TooFewResults,
    UnbalancedDesign,
    cochran_test,
    mandel,
    precision,
    screen,
)
from caveat.domain.proficiency.precision import laboratory_cells

cell = st.lists(st.integers(-10_000, 10_000).map(lambda i: i / 100), min_size=2, max_size=5)


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(cell, min_size=2, max_size=12))
def test_mean_squares_agree_with_scipy_one_way_anova(cells: list[list[float]]) -> None:
    results = {f"L{i}": c for i, c in enumerate(cells)}
    estimate = precision(results)
    if estimate.s_r == 0.0 or estimate.s_d == 0.0:
        return
    anova = stats.f_oneway(*[np.array(c) for c in cells])
    assert estimate.s_d**2 / estimate.s_r**2 == pytest.approx(float(anova.statistic), rel=1e-9)
    n = np.array([len(c) for c in cells], dtype=float)
    n_bar = (n.sum() - (n**2).sum() / n.sum()) / (len(cells) - 1)
    assert estimate.n_bar == pytest.approx(n_bar)
    assert estimate.s_L**2 == pytest.approx(max((estimate.s_d**2 - estimate.s_r**2) / n_bar, 0.0))
    assert estimate.s_R**2 == pytest.approx(estimate.s_L**2 + estimate.s_r**2)
    assert estimate.balanced == (len(set(n)) == 1)


def test_balanced_design_uses_the_textbook_forms() -> None:
    results = {"A": [10.1, 10.3], "B": [10.6, 10.4], "C": [9.9, 10.0], "D": [10.2, 10.5]}
    estimate = precision(results)
    means = np.array([np.mean(v) for v in results.values()])
    s_r2 = float(np.mean([np.var(v, ddof=1) for v in results.values()]))
    s_l2 = float(np.var(means, ddof=1)) - s_r2 / 2
    assert estimate.balanced
    assert estimate.n_bar == 2
    assert estimate.s_r == pytest.approx(math.sqrt(s_r2))
    assert estimate.s_L == pytest.approx(math.sqrt(s_l2))
    assert estimate.repeatability_limit == pytest.approx(2.8 * estimate.s_r)
    assert estimate.reproducibility_limit == pytest.approx(2.8 * estimate.s_R)
    assert estimate.general_mean == pytest.approx(float(means.mean()))


def test_between_laboratory_variance_below_zero_is_zero() -> None:
    estimate = precision({"A": [1.0, 3.0], "B": [1.0, 3.0], "C": [1.0, 3.0]})
    assert estimate.s_L == 0.0
    assert estimate.s_R == estimate.s_r


def test_precision_refuses_what_it_cannot_estimate() -> None:
    with pytest.raises(TooFewResults):
        precision({"A": [1.0, 2.0]})
    with pytest.raises(TooFewResults):
        precision({"A": [1.0], "B": [2.0], "C": [3.0]})
    with pytest.raises(NonFiniteValue):
        precision({"A": [1.0, math.nan], "B": [2.0, 2.1]})


# --- Mandel's h and k ------------------------------------------------------------------


def test_mandel_h_sums_to_zero_and_k_squares_average_one() -> None:
    groups = laboratory_cells(
        {"A": [10.1, 10.3], "B": [10.6, 10.4], "C": [9.9, 10.0], "D": [10.2, 10.9]},
        laboratories=3,
    )
    statistics = mandel(groups)
    assert sum(statistics.h) == pytest.approx(0.0, abs=1e-12)
    assert statistics.k is not None
    assert sum(k * k for k in statistics.k) == pytest.approx(4.0)
    assert statistics.replicates == 2
    assert statistics.h_critical_outlier > statistics.h_critical_straggler


def test_mandel_k_needs_one_n_and_replicates() -> None:
    unbalanced = laboratory_cells(
        {"A": [1.0, 1.2], "B": [1.1, 1.3, 1.2], "C": [0.9, 1.0]}, laboratories=3
    )
    with pytest.raises(UnbalancedDesign):
        mandel(unbalanced)
    assert mandel(unbalanced, replicates=2).k is not None
    singles = laboratory_cells({"A": [1.0], "B": [1.2], "C": [0.9]}, laboratories=3)
    assert mandel(singles).k is None


def test_cochran_on_unbalanced_cells_needs_to_be_told_n() -> None:
    unbalanced = laboratory_cells(
        {"A": [1.0, 1.2], "B": [1.1, 1.3, 1.2], "C": [0.9, 1.0]}, laboratories=3
    )
    with pytest.raises(UnbalancedDesign):
        cochran_test(unbalanced)
    assert cochran_test(unbalanced, replicates=2).laboratories_in_test == 3


# --- the screening procedure -----------------------------------------------------------


def _clean(p: int, seed: int = 7) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    return {
        f"L{i:02d}": [
            round(float(v), 4) for v in 10.0 + rng.normal(0, 0.2) + rng.normal(0, 0.05, 2)
        ]
        for i in range(p)
    }


def test_clean_data_keep_every_laboratory() -> None:
    result = screen(_clean(10))
    assert result.outliers == ()
    assert next(t.kind for t in result.tests) is OutlierTestKind.COCHRAN
    assert result.without_outliers == result.all_laboratories
    assert {t.kind for t in result.tests} >= {
        OutlierTestKind.DOUBLE_GRUBBS_HIGH,
        OutlierTestKind.DOUBLE_GRUBBS_LOW,
    }


def test_a_laboratory_with_scattered_replicates_is_removed_by_cochran_first() -> None:
    results = _clean(10)
    results["L03"] = [9.0, 11.0]
    screened = screen(results)
    first = screened.tests[0]
    assert (first.kind, first.laboratories, first.flag) == (
        OutlierTestKind.COCHRAN,
        ("L03",),
        Flag.OUTLIER,
    )
    assert first.statistic > first.critical_outlier
    assert screened.tests[1].kind is OutlierTestKind.COCHRAN  # repeated on the rest
    assert "L03" in screened.outliers
    assert screened.without_outliers.s_r < screened.all_laboratories.s_r
    assert len(screened.without_outliers.cells) == 10 - len(screened.outliers)


def test_a_laboratory_far_off_is_removed_by_grubbs_and_the_other_end_is_retested() -> None:
    results = _clean(10)
    results["L05"] = [14.0, 14.05]
    screened = screen(results)
    kinds = [t.kind for t in screened.tests]
    grubbs = [t for t in screened.tests if t.kind is OutlierTestKind.GRUBBS_HIGH]
    assert grubbs[0].laboratories == ("L05",)
    assert grubbs[0].flag is Flag.OUTLIER
    assert OutlierTestKind.GRUBBS_LOW in kinds  # the other end, once more
    assert OutlierTestKind.DOUBLE_GRUBBS_HIGH not in kinds  # not after a single outlier
    assert screened.outliers == ("L05",)
    assert screened.without_outliers.s_R < screened.all_laboratories.s_R


def test_a_pair_masking_each_other_is_found_by_the_double_test() -> None:
    results = _clean(12, seed=11)
    results["L02"] = [11.3, 11.35]
    results["L09"] = [11.35, 11.3]
    screened = screen(results)
    double = next(t for t in screened.tests if t.kind is OutlierTestKind.DOUBLE_GRUBBS_HIGH)
    assert set(double.laboratories) == {"L02", "L09"}
    assert double.flag is Flag.OUTLIER
    assert set(screened.outliers) == {"L02", "L09"}


def test_more_laboratories_than_the_double_table_is_noted_not_guessed() -> None:
    screened = screen(_clean(35))
    assert any("double Grubbs test not applied" in note for note in screened.notes)
    assert all(
        t.kind not in (OutlierTestKind.DOUBLE_GRUBBS_HIGH, OutlierTestKind.DOUBLE_GRUBBS_LOW)
        for t in screened.tests
    )


def test_unbalanced_cells_use_the_most_frequent_n_and_say_so() -> None:
    results = _clean(8)
    results["L01"] = [*results["L01"], 10.0]
    screened = screen(results)
    assert screened.mandel.replicates == 2
    assert any("n = 2" in note for note in screened.notes)
    assert not screened.all_laboratories.balanced


def test_single_results_skip_cochran_with_a_note() -> None:
    screened = screen({f"L{i}": [10.0 + i / 10] for i in range(6)} | {"L9": [10.1, 10.2]})
    assert screened.tests[0].kind is not OutlierTestKind.COCHRAN
    assert any("Cochran" in note for note in screened.notes)


def test_stragglers_are_flagged_and_kept() -> None:
    results = _clean(10)
    screened = screen(results)
    for name in screened.stragglers:
        assert name not in screened.outliers
        assert any(c.laboratory == name for c in screened.without_outliers.cells)


def test_identical_replicates_skip_cochran_with_a_note() -> None:
    screened = screen({"A": [1.0, 1.0], "B": [1.2, 1.2], "C": [1.1, 1.1], "D": [1.3, 1.3]})
    assert any("no cell shows any spread" in note for note in screened.notes)
    assert screened.tests[0].kind in (OutlierTestKind.GRUBBS_HIGH, OutlierTestKind.GRUBBS_LOW)
    assert screened.mandel.k is None


def test_screening_needs_three_laboratories() -> None:
    with pytest.raises(TooFewResults):
        screen({"A": [1.0, 1.1], "B": [1.2, 1.3]})
