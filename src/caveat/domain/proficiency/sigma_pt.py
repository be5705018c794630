"""The standard deviation for proficiency assessment sigma_pt: ISO 13528:2022 clause 8.

A :class:`SigmaPt` records how sigma_pt was chosen (a prescribed value, fitness for purpose as
a fraction of x_pt, a general model, a previous precision experiment, or the round's own
robust s*), the clause and the parameters, so a report can state them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from caveat.domain.proficiency._inputs import finite_number
from caveat.domain.proficiency.errors import ProficiencyError
from caveat.domain.proficiency.robust import RobustEstimate

HORWITZ_FACTOR = 0.02  # Horwitz: sigma = 0.02 · c^0.8495, c a dimensionless mass fraction
HORWITZ_EXPONENT = 0.8495


class SigmaPtMethod(StrEnum):
    """How sigma_pt was chosen."""

    PRESCRIBED = "prescribed"
    FITNESS_FOR_PURPOSE = "fitness_for_purpose"
    GENERAL_MODEL = "general_model"
    PRECISION_EXPERIMENT = "precision_experiment"
    ROBUST_SD_OF_ROUND = "robust_sd_of_round"


@dataclass(frozen=True)
class SigmaPt:
    """sigma_pt, with the method, the clause and the parameters that gave it."""

    value: float
    method: SigmaPtMethod
    clause: str
    parameters: tuple[tuple[str, float], ...] = ()


def _positive(value: float, method: str) -> float:
    if not value > 0.0:
        raise ProficiencyError(
            f"sigma_pt by {method} comes to {value:g}; it must be greater than zero",
            field="sigma_pt",
        )
    return value


def prescribed(value: float) -> SigmaPt:
    """sigma_pt set by experts or by a regulation (ISO 13528:2022 8.2)."""
    sigma = _positive(finite_number(value, field="sigma_pt"), "prescription")
    return SigmaPt(sigma, SigmaPtMethod.PRESCRIBED, "ISO 13528:2022 8.2")


def fitness_for_purpose(assigned_value: float, fraction: float) -> SigmaPt:
    """sigma_pt = fraction · |x_pt|, fitness for purpose as a share of x_pt (ISO 13528:2022 8.2)."""
    x_pt = finite_number(assigned_value, field="assigned_value")
    share = finite_number(fraction, field="fraction", positive=True)
    return SigmaPt(
        _positive(share * abs(x_pt), "fitness for purpose"),
        SigmaPtMethod.FITNESS_FOR_PURPOSE,
        "ISO 13528:2022 8.2",
        (("fraction", share), ("assigned_value", x_pt)),
    )


def general_model(assigned_value: float, intercept: float, slope: float) -> SigmaPt:
    """sigma_pt = a + b·x_pt, a general model of sigma against level (ISO 13528:2022 8.3, 8.4)."""
    x_pt = finite_number(assigned_value, field="assigned_value")
    a = finite_number(intercept, field="intercept")
    b = finite_number(slope, field="slope")
    return SigmaPt(
        _positive(a + b * x_pt, "the general model"),
        SigmaPtMethod.GENERAL_MODEL,
        "ISO 13528:2022 8.4",
        (("intercept", a), ("slope", b), ("assigned_value", x_pt)),
    )


def horwitz(mass_fraction: float) -> SigmaPt:
    """sigma_pt = 0.02·c^0.8495 with c a mass fraction (the Horwitz model, ISO 13528:2022 8.4)."""
    c = finite_number(mass_fraction, field="mass_fraction", positive=True)
    return SigmaPt(
        HORWITZ_FACTOR * c**HORWITZ_EXPONENT,
        SigmaPtMethod.GENERAL_MODEL,
        "ISO 13528:2022 8.4 (Horwitz)",
        (("factor", HORWITZ_FACTOR), ("exponent", HORWITZ_EXPONENT), ("mass_fraction", c)),
    )


def from_precision_experiment(
    reproducibility_sd: float, repeatability_sd: float, replicates: int
) -> SigmaPt:
    """sigma_pt = √(s_R² - s_r²·(1 - 1/m)) from an ISO 5725-2 study of m replicates (8.5)."""
    s_big_r = finite_number(reproducibility_sd, field="reproducibility_sd")
    s_r = finite_number(repeatability_sd, field="repeatability_sd")
    if replicates < 1:
        raise ProficiencyError("replicates must be at least 1", field="replicates")
    variance = s_big_r**2 - s_r**2 * (1.0 - 1.0 / replicates)
    return SigmaPt(
        _positive(math.sqrt(max(variance, 0.0)), "the precision experiment"),
        SigmaPtMethod.PRECISION_EXPERIMENT,
        "ISO 13528:2022 8.5",
        (("s_R", s_big_r), ("s_r", s_r), ("replicates", float(replicates))),
    )


def from_round(estimate: RobustEstimate) -> SigmaPt:
    """sigma_pt = s*, the robust standard deviation of this round's results (ISO 13528:2022 8.6)."""
    return SigmaPt(
        _positive(estimate.scale, "the round's robust s*"),
        SigmaPtMethod.ROBUST_SD_OF_ROUND,
        f"ISO 13528:2022 8.6 ({estimate.clause})",
        (("s_star", estimate.scale), ("participants", float(estimate.count))),
    )
