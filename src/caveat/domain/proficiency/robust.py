"""Robust location and scale of participants' results: ISO 13528:2022 Annex C.

- :func:`median_niqr` and :func:`median_made`: the median with nIQR or MADe (C.2).
- :func:`algorithm_a`: Algorithm A, Huber's estimator with iterated scale (C.3).
- :func:`q_hampel`: the Q method for scale with the Hampel estimator for location (C.5).

Each returns a :class:`RobustEstimate` that says which method, clause and constants gave
it, and for Algorithm A every iteration and the stopping rule, so a report can state them.
The standard uncertainty of a consensus value is u(x_pt) = 1.25·s*/√p (7.7.3).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

import numpy as np

from caveat.domain.proficiency._distributions import normal_quantile
from caveat.domain.proficiency._inputs import Vector, cells, finite_vector
from caveat.domain.proficiency.errors import ProficiencyError, ZeroSpread

MADE_FACTOR = 1.483  # C.2.2: MADe = 1.483 · median |x_i - median|
NIQR_FACTOR = 0.7413  # C.2.3: nIQR = 0.7413 · (Q3 - Q1)
ALGORITHM_A_DELTA = 1.5  # C.3.1: winsorize at x* ± 1.5 s*
ALGORITHM_A_FACTOR = 1.134  # C.3.1: s* = 1.134 · sd of the winsorized values
HAMPEL_A, HAMPEL_B, HAMPEL_C = 1.5, 3.0, 4.5  # C.5.3: the ψ function's knots
CONSENSUS_UNCERTAINTY_FACTOR = 1.25  # 7.7.3: u(x_pt) = 1.25 · s* / √p
MINIMUM_RESULTS = 3  # below this a robust scale says nothing (ISO 13528 5.4 on small p)
MAX_ITERATIONS = 10_000  # tens usually; clustered data creep for a thousand or more
FULL_TOLERANCE = 1e-12  # StoppingRule.FULL_CONVERGENCE: change below this fraction of s*
_ULPS = 16 * float(np.finfo(np.float64).eps)
_TIE_ULPS = 16 * float(np.finfo(np.float64).eps)  # differences this close are one tie


Results = Sequence[float] | Sequence[Sequence[float]] | Vector


class RobustMethod(StrEnum):
    """Which estimator produced a robust location and scale."""

    MEDIAN_NIQR = "median_niqr"
    MEDIAN_MADE = "median_made"
    ALGORITHM_A = "algorithm_a"
    Q_HAMPEL = "q_hampel"


CLAUSES = {
    RobustMethod.MEDIAN_NIQR: "ISO 13528:2022 C.2.1, C.2.3",
    RobustMethod.MEDIAN_MADE: "ISO 13528:2022 C.2.1, C.2.2",
    RobustMethod.ALGORITHM_A: "ISO 13528:2022 C.3.1",
    RobustMethod.Q_HAMPEL: "ISO 13528:2022 C.5.2.2, C.5.3, C.5.4",
}


class StoppingRule(StrEnum):
    """When Algorithm A's iteration stops."""

    # C.3.1: no change from one iteration to the next in the third significant figure of
    # s* and in the same decimal place of x*. The printed Annex E values use this rule.
    THIRD_SIGNIFICANT_FIGURE = "third_significant_figure"
    # Iterate to the fixed point (change below 1e-12 of s*); exact equivariance, for tests
    # and for comparing with other software.
    FULL_CONVERGENCE = "full_convergence"


@dataclass(frozen=True)
class RobustEstimate:
    """A robust location x* and scale s* of p results, with how they were obtained.

    ``history`` holds (x*, s*) at the start (median and MADe for Algorithm A) and after
    each iteration; ``iterations`` counts the updates (0 for the non-iterative methods).
    """

    location: float
    scale: float
    count: int
    method: RobustMethod
    clause: str
    iterations: int = 0
    stopping_rule: StoppingRule | None = None
    history: tuple[tuple[float, float], ...] = ()

    @property
    def standard_uncertainty(self) -> float:
        """u(x_pt) = 1.25·s*/√p when x* is used as the assigned value (ISO 13528 7.7.3)."""
        return CONSENSUS_UNCERTAINTY_FACTOR * self.scale / math.sqrt(self.count)


def _results(values: Sequence[float] | Vector) -> Vector:
    return finite_vector(values, field="results", minimum=MINIMUM_RESULTS)


def _zero_spread(what: str) -> ZeroSpread:
    return ZeroSpread(
        f"the {what} of the results is zero, so they cannot be standardised by it",
        field="results",
        hint="more than half the results are equal; prescribe sigma_pt instead of deriving it "
        "from the round",
    )


def _positive_scale(scale: float, what: str) -> float:
    if not scale > 0.0:
        raise _zero_spread(what)
    return scale


def made(values: Sequence[float] | Vector) -> float:
    """MADe = 1.483 · median |x_i - median(x)| (ISO 13528:2022 C.2.2)."""
    x = _results(values)
    return MADE_FACTOR * float(np.median(np.abs(x - np.median(x))))


def niqr(values: Sequence[float] | Vector) -> float:
    """nIQR = 0.7413 · (Q3 - Q1) with quartiles by linear interpolation (C.2.3).

    Linear interpolation between order statistics (Hyndman and Fan type 7) is the quartile
    rule that reproduces Table E.5's printed nIQR; the standard notes that packages differ.
    """
    x = _results(values)
    q1, q3 = np.quantile(x, [0.25, 0.75])
    return NIQR_FACTOR * float(q3 - q1)


def median_niqr(values: Sequence[float] | Vector) -> RobustEstimate:
    """The median as x* and nIQR as s* (ISO 13528:2022 C.2.1, C.2.3)."""
    x = _results(values)
    scale = _positive_scale(niqr(x), "nIQR")
    return RobustEstimate(
        float(np.median(x)),
        scale,
        x.size,
        RobustMethod.MEDIAN_NIQR,
        CLAUSES[RobustMethod.MEDIAN_NIQR],
    )


def median_made(values: Sequence[float] | Vector) -> RobustEstimate:
    """The median as x* and MADe as s* (ISO 13528:2022 C.2.1, C.2.2)."""
    x = _results(values)
    scale = _positive_scale(made(x), "MADe")
    return RobustEstimate(
        float(np.median(x)),
        scale,
        x.size,
        RobustMethod.MEDIAN_MADE,
        CLAUSES[RobustMethod.MEDIAN_MADE],
    )


def _third_figure_unchanged(before: tuple[float, float], after: tuple[float, float]) -> bool:
    """C.3.1's rule: s*'s third significant figure, and x* at that decimal place, unchanged."""
    unit = 10.0 ** (math.floor(math.log10(after[1])) - 2)
    return round(before[0] / unit) == round(after[0] / unit) and round(before[1] / unit) == round(
        after[1] / unit
    )


def algorithm_a(
    values: Sequence[float] | Vector,
    *,
    stopping_rule: StoppingRule = StoppingRule.THIRD_SIGNIFICANT_FIGURE,
) -> RobustEstimate:
    """Algorithm A (ISO 13528:2022 C.3.1): Huber's M-estimator with iterated scale.

    Start at x* = median, s* = 1.483·MAD; then repeatedly winsorize at x* ± 1.5 s*, take
    x* = mean and s* = 1.134·sd of the winsorized values, until ``stopping_rule`` holds.
    """
    # Sorted, as C.3.1 writes the data: the sums then do not depend on the input order.
    x = np.sort(_results(values))
    p = x.size
    location = float(np.median(x))
    scale = _positive_scale(MADE_FACTOR * float(np.median(np.abs(x - location))), "MADe")
    history = [(location, scale)]
    for iteration in range(1, MAX_ITERATIONS + 1):
        delta = ALGORITHM_A_DELTA * scale
        winsorized = np.clip(x, location - delta, location + delta)
        new_location = float(winsorized.mean())
        new_scale = ALGORITHM_A_FACTOR * math.sqrt(
            float(np.sum((winsorized - new_location) ** 2)) / (p - 1)
        )
        history.append((new_location, new_scale))
        if stopping_rule is StoppingRule.THIRD_SIGNIFICANT_FIGURE:
            done = _third_figure_unchanged((location, scale), (new_location, new_scale))
        else:
            # Relative to s*, but never finer than the doubles can hold x* (x* = 1000 with
            # s* = 0.001 moves by whole ulps of 1000, far above 1e-12 · s*).
            limit = FULL_TOLERANCE * new_scale + _ULPS * abs(new_location)
            done = abs(new_location - location) <= limit and abs(new_scale - scale) <= limit
        location, scale = new_location, new_scale
        if done:
            return RobustEstimate(
                location, scale, p, RobustMethod.ALGORITHM_A, CLAUSES[RobustMethod.ALGORITHM_A],
                iterations=iteration, stopping_rule=stopping_rule, history=tuple(history),
            )  # fmt: skip
    raise ProficiencyError(
        f"Algorithm A did not converge in {MAX_ITERATIONS} iterations", field="results"
    )


def _between_laboratory_differences(
    groups: Vector | list[Vector],
) -> tuple[Vector, Vector | None]:
    """All |y_ik - y_jm| for laboratories i < j, with weights 1/(n_i n_j) when cells differ.

    Returns the differences and their weights (None when every weight is equal).
    """
    if isinstance(groups, np.ndarray):
        # One result each: sorted, v_j - v_i (j > i) is |difference| and nearly in order,
        # which the sort that follows finishes quickly.
        v = np.sort(groups)
        upper = np.triu(np.ones((v.size, v.size), dtype=bool), k=1)
        return (v[None, :] - v[:, None])[upper], None
    sizes = {g.size for g in groups}
    if len(sizes) == 1:
        n = sizes.pop()
        table = np.stack(groups)  # p x n
        p = table.shape[0]
        upper = np.triu(np.ones((p, p), dtype=bool), k=1)
        if n == 1:
            column = table[:, 0]
            return np.abs(column[:, None] - column[None, :])[upper], None
        blocks = np.abs(table[:, None, :, None] - table[None, :, None, :])  # p x p x n x n
        return blocks[upper].ravel(), None
    differences, weights = [], []
    for i in range(len(groups) - 1):
        for j in range(i + 1, len(groups)):
            d = np.abs(groups[i][:, None] - groups[j][None, :]).ravel()
            differences.append(d)
            weights.append(np.full(d.size, 1.0 / (groups[i].size * groups[j].size)))
    return np.concatenate(differences), np.concatenate(weights)


def q_method(results: Results) -> float:
    """The Q method's robust standard deviation s* (ISO 13528:2022 C.5.2.2).

    H1 is the distribution of absolute between-laboratory differences (weighted 1/(n_i n_j)
    with replicates); G1 interpolates linearly between the mid-points of H1's steps
    (G1(x_1) = H1(x_1)/2 at the first, through the origin when x_1 > 0); then
    s* = G1⁻¹(0.25 + 0.75·H1(0)) / (√2 · Φ⁻¹(0.625 + 0.375·H1(0))).
    """
    return _q_scale(_groups(results))


def _q_scale(groups: Vector | list[Vector]) -> float:
    differences, weights = _between_laboratory_differences(groups)
    if weights is None:
        sorted_d = np.sort(differences)
        cumulative = None
    else:
        order = np.argsort(differences, kind="stable")
        sorted_d = differences[order]
        cumulative = np.cumsum(weights[order])
    # Differences equal in decimals can differ in their last bits (0.3 - 0.2 vs 0.2 - 0.1):
    # those within a few ulps of the largest result are one step of H1, as they are in
    # the data. Without this, a·x + b would split or merge ties and move s* (G1 runs
    # through the mid-points of H1's steps, so the steps matter).
    tie = _TIE_ULPS * float(np.max(np.abs(_values_of(groups))))
    if sorted_d[-1] <= tie:
        raise _zero_spread("Q-method scale")
    # The last position of each run of equal differences: H1's steps are there.
    last = np.append(np.flatnonzero(np.diff(sorted_d) > tie), sorted_d.size - 1)

    def h1(step: int) -> float:
        """H1 at the step-th distinct difference (0 before the first)."""
        if step < 0:
            return 0.0
        if cumulative is None:
            return float(last[step] + 1) / sorted_d.size
        return float(cumulative[last[step]] / cumulative[-1])

    def g1(step: int) -> float:
        """G1 at the step-th distinct difference: the mid-point of H1's jump there."""
        return 0.5 * (h1(step) + h1(step - 1))

    h0 = h1(0) if sorted_d[0] <= tie else 0.0
    target = 0.25 + 0.75 * h0
    # G1 rises with each step: find the first at or above the target by bisection (only
    # a few dozen of the ~p²/2 steps are looked at), then interpolate linearly to it.
    step = bisect_left(range(last.size), target, key=g1)
    if step == last.size:
        quantile = float(sorted_d[-1])
    else:
        x1, y1 = float(sorted_d[last[step]]), g1(step)
        x0, y0 = (float(sorted_d[last[step - 1]]), g1(step - 1)) if step > 0 else (0.0, 0.0)
        if step > 0 and last[step - 1] == last[0] and h0 > 0.0:
            x0 = 0.0  # the step at zero: its differences are ties, whatever their last bits
        quantile = x1 if y1 == target else x0 + (target - y0) * (x1 - x0) / (y1 - y0)
    scale = quantile / (math.sqrt(2.0) * normal_quantile(0.625 + 0.375 * h0))
    return _positive_scale(scale, "Q-method scale")


def _values_of(groups: Vector | list[Vector]) -> Vector:
    if isinstance(groups, np.ndarray):
        return groups
    return np.concatenate(groups)


def _hampel_psi(u: Vector) -> Vector:
    """ψ of the Hampel estimator with knots 1.5, 3, 4.5 (ISO 13528:2022 C.5.3.2)."""
    magnitude = np.abs(u)
    sign = np.sign(u)
    return np.where(
        magnitude <= HAMPEL_A,
        u,
        np.where(
            magnitude <= HAMPEL_B,
            HAMPEL_A * sign,
            np.where(
                magnitude <= HAMPEL_C,
                HAMPEL_A * (HAMPEL_C - magnitude) / (HAMPEL_C - HAMPEL_B) * sign,
                0.0,
            ),
        ),
    )


def hampel_location(values: Sequence[float] | Vector, scale: float) -> float:
    """The Hampel estimator of location by the finite-step algorithm (ISO 13528:2022 C.5.3.3).

    Ψ(x) = Σ ψ((y_i - x)/s*) is piecewise linear with knots y_i ± {1.5, 3, 4.5}·s*; its
    zeros are found exactly between knots (Ψ is zero beyond the outermost knots too). The
    zero nearest the median is x*; when two are equally near, x* is the median.
    """
    y = np.sort(_results(values))
    median = float(np.median(y))
    s = _positive_scale(scale, "scale")
    ramp = HAMPEL_A / (HAMPEL_C - HAMPEL_B)
    offsets = np.array([-HAMPEL_C, -HAMPEL_B, -HAMPEL_A, HAMPEL_A, HAMPEL_B, HAMPEL_C])
    # dΨ/dx changes at each knot by these amounts (Ψ is 0 left of every knot).
    jumps = np.array([ramp, -ramp, -1.0, 1.0, ramp, -ramp]) / s
    knots = (y[:, None] + offsets[None, :] * s).ravel()
    steps = np.broadcast_to(jumps, (y.size, 6)).ravel()
    order = np.argsort(knots, kind="stable")
    knots, slopes = knots[order], np.cumsum(steps[order])
    psi = np.concatenate(([0.0], np.cumsum(slopes[:-1] * np.diff(knots))))
    tolerance = 1e-9 * y.size
    roots = [float(k) for k in knots[np.abs(psi) <= tolerance]]
    crossing = np.flatnonzero((psi[:-1] * psi[1:] < 0.0) & (np.abs(psi[:-1]) > tolerance))
    for k in crossing:
        left, right = float(knots[k]), float(knots[k + 1])
        # Refine with Ψ evaluated directly at both ends: the sweep's sums carry rounding.
        at_left = float(np.sum(_hampel_psi((y - left) / s)))
        at_right = float(np.sum(_hampel_psi((y - right) / s)))
        roots.append(left - at_left * (right - left) / (at_right - at_left))
    if not roots:
        return median
    candidates = np.unique(np.asarray(roots))
    distance = np.abs(candidates - median)
    nearest = np.flatnonzero(distance <= distance.min() + 1e-12 * (abs(median) + s))
    if nearest.size == 1:
        return float(candidates[nearest[0]])
    return median


def _groups(results: Results) -> Vector | list[Vector]:
    """One result per laboratory as a vector, or one array of replicates per laboratory."""
    if isinstance(results, np.ndarray) or not any(
        isinstance(r, Sequence | np.ndarray) for r in results
    ):
        return _results(cast(Sequence[float] | Vector, results))
    nested = [
        [float(v) for v in r] if isinstance(r, Sequence | np.ndarray) else [float(r)]
        for r in results
    ]
    return cells(nested, field="results", laboratories=MINIMUM_RESULTS)


def q_hampel(results: Results) -> RobustEstimate:
    """Q/Hampel (ISO 13528:2022 C.5.4): s* by the Q method, x* by the Hampel estimator.

    ``results`` holds one value per laboratory or each laboratory's replicates; the Hampel
    estimator is applied to the laboratories' means.
    """
    groups = _groups(results)
    scale = _q_scale(groups)
    if isinstance(groups, np.ndarray):
        means = groups
    else:
        means = np.array([float(g.mean()) for g in groups])
    location = hampel_location(means, scale)
    return RobustEstimate(
        location, scale, means.size, RobustMethod.Q_HAMPEL, CLAUSES[RobustMethod.Q_HAMPEL]
    )
