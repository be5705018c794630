"""The assigned value x_pt and its standard uncertainty: ISO 13528:2022 clause 7.

An :class:`AssignedValue` records how it was obtained (formulation, a reference value, a
certified reference material or the participants' consensus), the clause, and for a
consensus the robust estimate behind it, so a report can state the choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from caveat.domain.proficiency._inputs import Vector, finite_number
from caveat.domain.proficiency.errors import ProficiencyError
from caveat.domain.proficiency.robust import (
    RobustEstimate,
    RobustMethod,
    algorithm_a,
    median_made,
    median_niqr,
    q_hampel,
)

NEGLIGIBLE_UNCERTAINTY_RATIO = 0.3  # 9.2.1: u(x_pt) ≤ 0.3·sigma_pt is negligible


class AssignedValueMethod(StrEnum):
    """How the assigned value was determined."""

    FORMULATION = "formulation"
    REFERENCE_VALUE = "reference_value"
    CERTIFIED_VALUE = "certified_value"
    CONSENSUS = "consensus"


@dataclass(frozen=True)
class AssignedValue:
    """x_pt with its standard uncertainty u(x_pt), and the method and clause behind them.

    ``expanded_uncertainty`` and ``coverage_factor`` are kept as given for a certified
    value; ``robust`` is the estimate a consensus value came from.
    """

    value: float
    standard_uncertainty: float
    method: AssignedValueMethod
    clause: str
    expanded_uncertainty: float | None = None
    coverage_factor: float | None = None
    robust: RobustEstimate | None = None

    def expanded(self, coverage_factor: float = 2.0) -> float:
        """U(x_pt) = k·u(x_pt), as the En score needs it."""
        return finite_number(coverage_factor, field="coverage_factor", positive=True) * (
            self.standard_uncertainty
        )

    def uncertainty_is_negligible(self, sigma_pt: float) -> bool:
        """True when u(x_pt) ≤ 0.3·sigma_pt, so z needs no allowance for it (ISO 13528 9.2.1)."""
        return self.standard_uncertainty <= NEGLIGIBLE_UNCERTAINTY_RATIO * sigma_pt


def _uncertainty(value: float) -> float:
    u = finite_number(value, field="standard_uncertainty")
    if u < 0.0:
        raise ProficiencyError("a standard uncertainty cannot be negative", field="uncertainty")
    return u


def by_formulation(value: float, standard_uncertainty: float) -> AssignedValue:
    """x_pt known from how the proficiency test item was made (ISO 13528:2022 7.3)."""
    return AssignedValue(
        finite_number(value, field="value"),
        _uncertainty(standard_uncertainty),
        AssignedValueMethod.FORMULATION,
        "ISO 13528:2022 7.3",
    )


def from_reference_value(value: float, standard_uncertainty: float) -> AssignedValue:
    """x_pt measured by one (reference) laboratory (ISO 13528:2022 7.5)."""
    return AssignedValue(
        finite_number(value, field="value"),
        _uncertainty(standard_uncertainty),
        AssignedValueMethod.REFERENCE_VALUE,
        "ISO 13528:2022 7.5",
    )


def from_certified_value(
    value: float, expanded_uncertainty: float, coverage_factor: float
) -> AssignedValue:
    """x_pt from a certified reference material; u(x_pt) = U/k (ISO 13528:2022 7.4)."""
    big_u = _uncertainty(expanded_uncertainty)
    k = finite_number(coverage_factor, field="coverage_factor", positive=True)
    return AssignedValue(
        finite_number(value, field="value"),
        big_u / k,
        AssignedValueMethod.CERTIFIED_VALUE,
        "ISO 13528:2022 7.4",
        expanded_uncertainty=big_u,
        coverage_factor=k,
    )


def from_robust_estimate(estimate: RobustEstimate) -> AssignedValue:
    """x_pt = x* of the participants' results, u(x_pt) = 1.25·s*/√p (ISO 13528:2022 7.7)."""
    return AssignedValue(
        estimate.location,
        estimate.standard_uncertainty,
        AssignedValueMethod.CONSENSUS,
        f"ISO 13528:2022 7.7.2, 7.7.3 ({estimate.clause})",
        robust=estimate,
    )


def by_consensus(
    results: Sequence[float] | Vector, method: RobustMethod = RobustMethod.ALGORITHM_A
) -> AssignedValue:
    """x_pt as the robust consensus of the participants' results (ISO 13528:2022 7.7)."""
    if method is RobustMethod.ALGORITHM_A:
        estimate = algorithm_a(results)
    elif method is RobustMethod.Q_HAMPEL:
        estimate = q_hampel(results)
    elif method is RobustMethod.MEDIAN_NIQR:
        estimate = median_niqr(results)
    else:
        estimate = median_made(results)
    return from_robust_estimate(estimate)
