"""One round's evaluation in one call: consensus, sigma_pt, every score and the plots' data.

:func:`evaluate_round` runs the robust estimator asked for (ISO 13528:2022 Annex C), takes
the assigned value and sigma_pt from it unless they are given (7.7, 8.6), scores every result
(clause 9) and adds what the plots draw: the results in ascending order with their
expanded-uncertainty bars, and a kernel density of the results (clause 10's density plot;
Gaussian kernel).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from caveat.domain.proficiency._inputs import Vector, finite_number, finite_vector
from caveat.domain.proficiency.assigned_value import AssignedValue, from_robust_estimate
from caveat.domain.proficiency.robust import (
    MINIMUM_RESULTS,
    RobustEstimate,
    RobustMethod,
    algorithm_a,
    median_made,
    median_niqr,
    q_hampel,
)
from caveat.domain.proficiency.scores import Limits, ScoreKind, ScoreSet, evaluate
from caveat.domain.proficiency.sigma_pt import SigmaPt, from_round

DENSITY_POINTS = 256
DENSITY_REACH = 3.0  # the grid runs from min - 3h to max + 3h


@dataclass(frozen=True)
class KernelDensity:
    """A Gaussian kernel density of the results on an even grid, and its bandwidth h."""

    grid: tuple[float, ...]
    density: tuple[float, ...]
    bandwidth: float
    bandwidth_rule: str


def silverman_bandwidth(scale: float, count: int) -> float:
    """h = 0.9 · s* · p^(-1/5): Silverman's rule of thumb with the robust s* as spread."""
    return 0.9 * scale * math.pow(count, -0.2)


def kernel_density(
    values: Sequence[float] | Vector,
    bandwidth: float,
    *,
    points: int = DENSITY_POINTS,
    rule: str = "given",
) -> KernelDensity:
    """Gaussian kernel density of ``values`` with bandwidth h on ``points`` grid points."""
    x = finite_vector(values, field="results", minimum=1)
    h = finite_number(bandwidth, field="bandwidth", positive=True)
    grid = np.linspace(x.min() - DENSITY_REACH * h, x.max() + DENSITY_REACH * h, points)
    # Σ exp(-½((g - x_i)/h)²) as one matrix product keeps 1,000 results x 256 points fast.
    u = (grid[:, None] - x[None, :]) / h
    density = np.exp(-0.5 * u * u).sum(axis=1) / (x.size * h * math.sqrt(2.0 * math.pi))
    return KernelDensity(tuple(grid.tolist()), tuple(density.tolist()), h, rule)


@dataclass(frozen=True)
class RoundEvaluation:
    """Everything a round's report and plots need, with the choices that produced it."""

    results: tuple[float, ...]
    robust: RobustEstimate
    assigned: AssignedValue
    sigma_pt: SigmaPt
    limits: Limits
    scores: tuple[ScoreSet, ...]
    ascending: tuple[int, ...]  # positions of the results, smallest first
    density: KernelDensity

    def score(self, kind: ScoreKind) -> ScoreSet | None:
        """The scores of one kind, or None when the inputs did not allow it."""
        return next((s for s in self.scores if s.kind is kind), None)


def robust_estimate(results: Vector, method: RobustMethod) -> RobustEstimate:
    """Run the robust estimator named by ``method`` on one result per participant."""
    if method is RobustMethod.ALGORITHM_A:
        return algorithm_a(results)
    if method is RobustMethod.Q_HAMPEL:
        return q_hampel(results)
    if method is RobustMethod.MEDIAN_NIQR:
        return median_niqr(results)
    return median_made(results)


def evaluate_round(
    results: Sequence[float] | Vector,
    *,
    method: RobustMethod = RobustMethod.ALGORITHM_A,
    assigned: AssignedValue | None = None,
    sigma_pt: SigmaPt | None = None,
    standard_uncertainties: Sequence[float] | Vector | None = None,
    expanded_uncertainties: Sequence[float] | Vector | None = None,
    limits: Limits = Limits(),
    density_points: int = DENSITY_POINTS,
) -> RoundEvaluation:
    """Evaluate one round of one measurand: x_pt and sigma_pt by consensus unless given."""
    x = finite_vector(results, field="results", minimum=MINIMUM_RESULTS)
    estimate = robust_estimate(x, method)
    x_pt = assigned if assigned is not None else from_robust_estimate(estimate)
    sigma = sigma_pt if sigma_pt is not None else from_round(estimate)
    scored = evaluate(
        x,
        x_pt,
        sigma,
        standard_uncertainties=standard_uncertainties,
        expanded_uncertainties=expanded_uncertainties,
        limits=limits,
    )
    density = kernel_density(
        x,
        silverman_bandwidth(estimate.scale, x.size),
        points=density_points,
        rule="Silverman: 0.9 · s* · p^(-1/5)",
    )
    return RoundEvaluation(
        results=tuple(x.tolist()),
        robust=estimate,
        assigned=x_pt,
        sigma_pt=sigma,
        limits=limits,
        scores=tuple(scored.values()),
        ascending=tuple(np.argsort(x, kind="stable").tolist()),
        density=density,
    )
