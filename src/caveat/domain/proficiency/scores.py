"""Performance scores and their verdicts: ISO 13528:2022 clause 9.

z (9.4), z' (9.5), ζ (9.6) and En (9.7), each with a verdict under :class:`Limits`:
|score| ≤ warning limit is satisfactory, |score| ≥ action limit unsatisfactory, between
them questionable (9.4.1, defaults 2 and 3). En has one limit (default 1) and no
questionable band; whether |En| equal to the limit is satisfactory is the named setting
:class:`EnBoundary` (ISO 13528 counts |En| ≤ 1 as satisfactory; the issue notes ISO/IEC
17043 is worded otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from caveat.domain.proficiency._inputs import Vector, finite_number, finite_vector
from caveat.domain.proficiency.assigned_value import AssignedValue
from caveat.domain.proficiency.errors import ProficiencyError, ZeroSpread
from caveat.domain.proficiency.sigma_pt import SigmaPt

# A score within this fraction of a limit counts as on it: (0.046 - 0.044)/0.001 must be
# 2 exactly, not 2.0000000000000018 and so "questionable", because of binary fractions.
BOUNDARY_TOLERANCE = 1e-9

Mask = npt.NDArray[np.bool_]


class Verdict(StrEnum):
    """A score's verdict (ISO 13528:2022 9.4.1, 9.7)."""

    SATISFACTORY = "satisfactory"
    QUESTIONABLE = "questionable"
    UNSATISFACTORY = "unsatisfactory"


class ScoreKind(StrEnum):
    """Which performance statistic."""

    Z = "z"
    Z_PRIME = "z_prime"
    ZETA = "zeta"
    EN = "en"


CLAUSES = {
    ScoreKind.Z: "ISO 13528:2022 9.4",
    ScoreKind.Z_PRIME: "ISO 13528:2022 9.5",
    ScoreKind.ZETA: "ISO 13528:2022 9.6",
    ScoreKind.EN: "ISO 13528:2022 9.7",
}


class EnBoundary(StrEnum):
    """Whether |En| exactly at the limit is satisfactory."""

    # ISO 13528:2022 9.7: |En| ≤ 1.0 satisfactory, |En| > 1.0 unsatisfactory. The default.
    SATISFACTORY_AT_LIMIT = "satisfactory_at_limit"
    # |En| < 1.0 satisfactory, |En| ≥ 1.0 unsatisfactory: the stricter reading, for schemes
    # whose rules (the issue cites ISO/IEC 17043's wording) put the limit itself outside.
    UNSATISFACTORY_AT_LIMIT = "unsatisfactory_at_limit"


@dataclass(frozen=True)
class Limits:
    """Warning and action limits for z, z' and ζ; the limit and boundary rule for En."""

    warning: float = 2.0
    action: float = 3.0
    en: float = 1.0
    en_boundary: EnBoundary = EnBoundary.SATISFACTORY_AT_LIMIT

    def __post_init__(self) -> None:
        if not (0.0 < self.warning <= self.action) or not self.en > 0.0:
            raise ProficiencyError(
                "limits must satisfy 0 < warning ≤ action and En limit > 0", field="limits"
            )


@dataclass(frozen=True)
class Score:
    """One score with its verdict."""

    kind: ScoreKind
    value: float
    verdict: Verdict


def _at_or_below(magnitude: Vector, limit: float) -> Mask:
    result: Mask = magnitude <= limit * (1.0 + BOUNDARY_TOLERANCE)
    return result


def _below(magnitude: Vector, limit: float) -> Mask:
    result: Mask = magnitude < limit * (1.0 - BOUNDARY_TOLERANCE)
    return result


_CODES = (Verdict.SATISFACTORY, Verdict.QUESTIONABLE, Verdict.UNSATISFACTORY)


def verdicts(kind: ScoreKind, values: Vector, limits: Limits) -> tuple[Verdict, ...]:
    """The verdict of each score of one kind under ``limits``."""
    magnitude = np.abs(values)
    if kind is ScoreKind.EN:
        if limits.en_boundary is EnBoundary.SATISFACTORY_AT_LIMIT:
            good = _at_or_below(magnitude, limits.en)
        else:
            good = _below(magnitude, limits.en)
        codes = np.where(good, 0, 2)
    else:
        codes = np.where(
            _at_or_below(magnitude, limits.warning),
            0,
            np.where(_below(magnitude, limits.action), 1, 2),
        )
    return tuple(_CODES[int(c)] for c in codes)


def _denominator(squares: Vector, what: str) -> Vector:
    if np.any(squares <= 0.0):
        raise ZeroSpread(
            f"the {what} is zero for at least one result, so the score is undefined",
            field="uncertainties",
            data={"positions": [int(i) for i in np.flatnonzero(squares <= 0.0)[:20]]},
        )
    root: Vector = np.sqrt(squares)
    return root


def _uncertainties(values: Sequence[float] | Vector, count: int, field: str) -> Vector:
    u = finite_vector(values, field=field, minimum=count)
    if u.size != count or np.any(u < 0.0):
        raise ProficiencyError(
            f"{field} needs one non-negative value per result ({count})", field=field
        )
    return u


def z_values(results: Vector, x_pt: float, sigma_pt: float) -> Vector:
    """z = (x - x_pt)/sigma_pt (ISO 13528:2022 9.4)."""
    out: Vector = (results - x_pt) / finite_number(sigma_pt, field="sigma_pt", positive=True)
    return out


def z_prime_values(results: Vector, x_pt: float, sigma_pt: float, u_x_pt: float) -> Vector:
    """z' = (x - x_pt)/√(sigma_pt² + u²(x_pt)) (ISO 13528:2022 9.5)."""
    sigma = finite_number(sigma_pt, field="sigma_pt", positive=True)
    out: Vector = (results - x_pt) / np.sqrt(sigma**2 + u_x_pt**2)
    return out


def zeta_values(results: Vector, x_pt: float, u_results: Vector, u_x_pt: float) -> Vector:
    """ζ = (x - x_pt)/√(u²(x) + u²(x_pt)) (ISO 13528:2022 9.6)."""
    out: Vector = (results - x_pt) / _denominator(u_results**2 + u_x_pt**2, "combined uncertainty")
    return out


def en_values(results: Vector, x_pt: float, big_u_results: Vector, big_u_x_pt: float) -> Vector:
    """En = (x - x_pt)/√(U²(x) + U²(x_pt)) (ISO 13528:2022 9.7)."""
    out: Vector = (results - x_pt) / _denominator(
        big_u_results**2 + big_u_x_pt**2, "combined expanded uncertainty"
    )
    return out


@dataclass(frozen=True)
class ScoreSet:
    """One kind of score for every result of a round, in the order the results were given."""

    kind: ScoreKind
    clause: str
    values: tuple[float, ...]
    verdicts: tuple[Verdict, ...]

    def count(self, verdict: Verdict) -> int:
        """How many results have ``verdict``."""
        return sum(1 for v in self.verdicts if v is verdict)


def score_set(kind: ScoreKind, values: Vector, limits: Limits) -> ScoreSet:
    """Wrap computed scores with their verdicts."""
    return ScoreSet(kind, CLAUSES[kind], tuple(values.tolist()), verdicts(kind, values, limits))


def evaluate(
    results: Sequence[float] | Vector,
    assigned: AssignedValue,
    sigma_pt: SigmaPt,
    *,
    standard_uncertainties: Sequence[float] | Vector | None = None,
    expanded_uncertainties: Sequence[float] | Vector | None = None,
    assigned_coverage_factor: float = 2.0,
    limits: Limits = Limits(),
) -> dict[ScoreKind, ScoreSet]:
    """Every score the inputs allow: z and z' always, ζ with u(x), En with U(x).

    En uses U(x_pt) = k·u(x_pt) with ``assigned_coverage_factor`` k, unless the assigned
    value was certified with its own expanded uncertainty.
    """
    x = finite_vector(results, field="results", minimum=1)
    x_pt, u_x_pt = assigned.value, assigned.standard_uncertainty
    sets = {
        ScoreKind.Z: score_set(ScoreKind.Z, z_values(x, x_pt, sigma_pt.value), limits),
        ScoreKind.Z_PRIME: score_set(
            ScoreKind.Z_PRIME, z_prime_values(x, x_pt, sigma_pt.value, u_x_pt), limits
        ),
    }
    if standard_uncertainties is not None:
        u = _uncertainties(standard_uncertainties, x.size, "standard_uncertainties")
        sets[ScoreKind.ZETA] = score_set(ScoreKind.ZETA, zeta_values(x, x_pt, u, u_x_pt), limits)
    if expanded_uncertainties is not None:
        big_u = _uncertainties(expanded_uncertainties, x.size, "expanded_uncertainties")
        if assigned.expanded_uncertainty is not None:
            big_u_pt = assigned.expanded_uncertainty
        else:
            big_u_pt = assigned.expanded(assigned_coverage_factor)
        sets[ScoreKind.EN] = score_set(ScoreKind.EN, en_values(x, x_pt, big_u, big_u_pt), limits)
    return sets


def score(kind: ScoreKind, value: float, limits: Limits = Limits()) -> Score:
    """One already-computed score with its verdict under ``limits``."""
    number = finite_number(value, field="score")
    return Score(kind, number, verdicts(kind, np.array([number]), limits)[0])
