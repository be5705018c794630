"""Robust estimators (ISO 13528:2022 Annex C): the standard's worked example E.3 at its
rounding, the iteration record, the laws (equivariance, permutation) and typed refusals."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from caveat.domain.errors import CaveatError, ErrorKind, InvalidInput
from caveat.domain.proficiency import (
    NonFiniteValue,
    ProficiencyError,
    RobustEstimate,
    RobustMethod,
    StoppingRule,
    TooFewResults,
    ZeroSpread,
    algorithm_a,
    median_made,
    median_niqr,
    q_hampel,
)
from caveat.domain.proficiency.robust import hampel_location, made, niqr, q_method
from tests.domain.proficiency import annex_e


def _at(value: float, decimals: int) -> float:
    return round(value, decimals)


def test_algorithm_a_reproduces_table_e5() -> None:
    estimate = algorithm_a(annex_e.E3_ATRAZINE)
    x_star, s_star, u = annex_e.E3_ALGORITHM_A
    assert _at(estimate.location, 4) == x_star
    assert _at(estimate.scale, 4) == s_star
    assert _at(estimate.standard_uncertainty, 4) == u
    assert estimate.method is RobustMethod.ALGORITHM_A
    assert estimate.clause == "ISO 13528:2022 C.3.1"


def test_algorithm_a_records_its_start_iterations_and_stopping_rule() -> None:
    estimate = algorithm_a(annex_e.E3_ATRAZINE)
    assert estimate.stopping_rule is StoppingRule.THIRD_SIGNIFICANT_FIGURE
    assert estimate.iterations == len(estimate.history) - 1 >= 1
    start_x, start_s = estimate.history[0]
    assert (_at(start_x, 4), _at(start_s, 4)) == (annex_e.E3_MEDIAN, annex_e.E3_MADE)
    assert estimate.history[-1] == (estimate.location, estimate.scale)
    # The rule: the last update left s*'s third significant figure (4th decimal here) and
    # x* at that decimal unchanged; the update before it did not.
    (x0, s0), (x1, s1) = estimate.history[-2:]
    assert (round(x0, 4), round(s0, 4)) == (round(x1, 4), round(s1, 4))
    if estimate.iterations > 1:
        (xa, sa), (xb, sb) = estimate.history[-3:-1]
        assert (round(xa, 4), round(sa, 4)) != (round(xb, 4), round(sb, 4))


def test_full_convergence_reaches_the_same_printed_values() -> None:
    full = algorithm_a(annex_e.E3_ATRAZINE, stopping_rule=StoppingRule.FULL_CONVERGENCE)
    assert full.stopping_rule is StoppingRule.FULL_CONVERGENCE
    assert full.iterations > algorithm_a(annex_e.E3_ATRAZINE).iterations
    assert (_at(full.location, 4), _at(full.scale, 4)) == annex_e.E3_ALGORITHM_A[:2]


def test_q_hampel_reproduces_table_e5() -> None:
    estimate = q_hampel(annex_e.E3_ATRAZINE)
    x_star, s_star, u = annex_e.E3_Q_HAMPEL
    assert _at(estimate.location, 4) == x_star
    assert _at(estimate.scale, 4) == s_star
    assert _at(estimate.standard_uncertainty, 4) == u
    assert estimate.method is RobustMethod.Q_HAMPEL


def test_median_niqr_and_made_reproduce_table_e5() -> None:
    by_niqr = median_niqr(annex_e.E3_ATRAZINE)
    assert _at(by_niqr.location, 4) == annex_e.E3_MEDIAN
    assert _at(by_niqr.scale, 4) == annex_e.E3_NIQR
    assert _at(by_niqr.standard_uncertainty, 4) == annex_e.E3_U_MEDIAN_NIQR
    assert _at(median_made(annex_e.E3_ATRAZINE).scale, 4) == annex_e.E3_MADE


def test_q_method_with_replicates_weights_pairs_by_cell_sizes() -> None:
    # Cells of identical replicates repeat each between-laboratory difference n_i·n_j times,
    # each weighted 1/(n_i n_j), and within-cell differences do not count: the same H1,
    # so the same s* as one value per laboratory, balanced or not.
    single = q_method([1.0, 2.0, 4.0, 7.0, 11.0])
    doubled = q_method([[1.0, 1.0], [2.0, 2.0], [4.0, 4.0], [7.0, 7.0], [11.0, 11.0]])
    assert doubled == pytest.approx(single)
    unbalanced = q_method([[1.0], [2.0, 2.0, 2.0], [4.0, 4.0], [7.0], [11.0, 11.0]])
    assert unbalanced == pytest.approx(single)
    as_cells = q_hampel([[v] for v in annex_e.E3_ATRAZINE])
    as_values = q_hampel(annex_e.E3_ATRAZINE)
    assert (as_cells.location, as_cells.scale) == (as_values.location, as_values.scale)


# --- laws -------------------------------------------------------------------------------

# Results in thousandths between -1000 and 1000, as laboratories report them: a·x + b then
# keeps distinct results distinct (doubles as tiny as 1e-300 would merge into b).
results = st.lists(
    st.integers(-1_000_000, 1_000_000).map(lambda i: i / 1000), min_size=5, max_size=40
)
factors = st.one_of(st.floats(0.01, 100.0), st.floats(-100.0, -0.01))
shifts = st.floats(-1e3, 1e3)


def _estimate(method: str, values: list[float]) -> RobustEstimate:
    if method == "algorithm_a":
        return algorithm_a(values, stopping_rule=StoppingRule.FULL_CONVERGENCE)
    if method == "q_hampel":
        return q_hampel(values)
    if method == "median_niqr":
        return median_niqr(values)
    return median_made(values)


METHODS = ["algorithm_a", "q_hampel", "median_niqr", "median_made"]


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=150, deadline=None)
@given(values=results, a=factors, b=shifts)
def test_location_and_scale_equivariance(
    method: str, values: list[float], a: float, b: float
) -> None:
    try:
        before = _estimate(method, values)
    except ZeroSpread:
        assume(False)
        raise
    after = _estimate(method, [a * v + b for v in values])
    size = max(abs(v) for v in values) * abs(a) + abs(b) + 1.0
    assert after.location == pytest.approx(a * before.location + b, abs=1e-8 * size)
    assert after.scale == pytest.approx(abs(a) * before.scale, rel=1e-8, abs=1e-9 * size)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=100, deadline=None)
@given(values=results, data=st.data())
def test_invariance_to_the_order_of_laboratories(
    method: str, values: list[float], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(values))
    try:
        before = _estimate(method, values)
    except ZeroSpread:
        assume(False)
        raise
    after = _estimate(method, list(shuffled))
    assert (after.location, after.scale) == (before.location, before.scale)


@settings(max_examples=100, deadline=None)
@given(values=results, data=st.data())
def test_third_figure_rule_is_order_invariant_too(values: list[float], data: st.DataObject) -> None:
    try:
        before = algorithm_a(values)
    except ZeroSpread:
        assume(False)
        raise
    after = algorithm_a(data.draw(st.permutations(values)))
    assert after.history == before.history


def test_the_third_figure_rule_stops_within_its_own_precision_of_the_fixed_point() -> None:
    stopped = algorithm_a(annex_e.E3_ATRAZINE)
    full = algorithm_a(annex_e.E3_ATRAZINE, stopping_rule=StoppingRule.FULL_CONVERGENCE)
    unit = 10 ** (math.floor(math.log10(full.scale)) - 2)
    assert abs(stopped.scale - full.scale) < unit
    assert abs(stopped.location - full.location) < unit


def test_clustered_results_make_the_third_figure_rule_stop_early() -> None:
    # Seven equal results, two clusters and a stray: s* grows by a little each iteration,
    # less than the third figure, long before the fixed point. Recorded, not hidden.
    values = [0.0] * 7 + [0.001] * 3 + [0.005] + [-0.006] * 3
    standard = algorithm_a(values)
    full = algorithm_a(values, stopping_rule=StoppingRule.FULL_CONVERGENCE)
    assert full.iterations > 1000 > standard.iterations
    assert (round(full.scale, 4), round(standard.scale, 4)) == (0.0032, 0.0028)


def test_hampel_of_symmetric_results_is_their_centre() -> None:
    assert hampel_location([1.0, 2.0, 3.0, 4.0, 5.0], scale=1.0) == pytest.approx(3.0)


def test_a_result_beyond_4_5_scales_has_no_influence_on_hampel() -> None:
    # ψ is zero beyond c = 4.5: a gross outlier is ignored, not merely down-weighted.
    base = [1.0, 1.4, 2.0, 2.2, 3.0, 3.1, 4.0]
    with_outlier = [*base, 1000.0]
    assert hampel_location(with_outlier, scale=1.0) == pytest.approx(
        hampel_location(base, scale=1.0)
    )


# --- refusals ---------------------------------------------------------------------------


def test_too_few_results_is_a_typed_invalid_input() -> None:
    with pytest.raises(TooFewResults) as caught:
        algorithm_a([1.0, 2.0])
    error = caught.value
    assert isinstance(error, ProficiencyError)
    assert isinstance(error, InvalidInput)
    assert isinstance(error, CaveatError)
    assert error.kind is ErrorKind.INVALID
    assert error.code == "invalid_input"
    assert error.data["reason"] == "too_few_results"
    assert error.data["minimum"] == 3


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("estimator", [algorithm_a, q_hampel, median_niqr, median_made, made, niqr])
def test_nan_and_infinity_are_refused(bad: float, estimator: object) -> None:
    with pytest.raises(NonFiniteValue) as caught:
        estimator([1.0, 2.0, bad, 3.0])  # type: ignore[operator]
    assert caught.value.field is not None
    assert caught.value.data["reason"] == "non_finite_value"


@pytest.mark.parametrize("estimator", [algorithm_a, median_made])
def test_more_than_half_equal_is_zero_spread(estimator: object) -> None:
    with pytest.raises(ZeroSpread) as caught:
        estimator([5.0, 5.0, 5.0, 5.0, 6.0, 9.0])  # type: ignore[operator]
    assert caught.value.hint is not None


def test_all_equal_results_have_no_q_scale() -> None:
    with pytest.raises(ZeroSpread):
        q_hampel([2.0, 2.0, 2.0, 2.0])


def test_a_nested_cell_with_nan_is_refused_with_its_position() -> None:
    with pytest.raises(NonFiniteValue) as caught:
        q_hampel([[1.0, 1.1], [2.0, math.nan], [3.0, 3.1]])
    assert caught.value.field == "results[1]"


def test_the_command_line_does_not_pay_for_numpy() -> None:
    code = "import sys, caveat.domain; print('caveat.domain.proficiency' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
