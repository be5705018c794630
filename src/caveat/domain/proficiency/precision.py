"""Repeatability and reproducibility of a precision experiment: ISO 5725-2 clause 7.4.

One level, p laboratories, n_i results in laboratory i (balanced or not):

- s_r² = Σ(n_i - 1)·s_i² / Σ(n_i - 1)
- s_d² = Σ n_i·(ȳ_i - ȳ)² / (p - 1), with the general mean ȳ = Σ n_i ȳ_i / Σ n_i
- n̄ = (Σ n_i - Σ n_i² / Σ n_i) / (p - 1)
- s_L² = max((s_d² - s_r²)/n̄, 0), s_R² = s_L² + s_r²
- r = 2.8·s_r, R = 2.8·s_R (2.8 ≈ 1.96·√2: the 95 % limits for the difference of two results)

With equal n_i these reduce to the balanced forms (n̄ = n).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from caveat.domain.proficiency._inputs import Vector, cells
from caveat.domain.proficiency.errors import TooFewResults

LIMIT_FACTOR = 2.8  # r = 2.8 s_r, R = 2.8 s_R: 1.96·√2, rounded as the standards do
MINIMUM_LABORATORIES = 2


@dataclass(frozen=True)
class Cell:
    """One laboratory's results at one level: count, mean and standard deviation."""

    laboratory: str
    count: int
    mean: float
    sd: float | None  # None for a single result


def cell(laboratory: str, results: Vector) -> Cell:
    """The cell mean and standard deviation (ISO 5725-2 7.4)."""
    sd = float(np.std(results, ddof=1)) if results.size > 1 else None
    return Cell(laboratory, int(results.size), float(results.mean()), sd)


@dataclass(frozen=True)
class PrecisionEstimate:
    """s_r, s_L, s_R, r and R of one level, with the cells they came from."""

    cells: tuple[Cell, ...]
    general_mean: float
    s_d: float
    n_bar: float
    s_r: float
    s_L: float  # noqa: N815 (the standard's symbol)
    s_R: float  # noqa: N815
    balanced: bool
    clause: str = "ISO 5725-2 7.4"

    @property
    def repeatability_limit(self) -> float:
        """r = 2.8·s_r."""
        return LIMIT_FACTOR * self.s_r

    @property
    def reproducibility_limit(self) -> float:
        """R = 2.8·s_R."""
        return LIMIT_FACTOR * self.s_R


def laboratory_cells(
    results: Mapping[str, Sequence[float]], *, laboratories: int, replicates: int = 1
) -> dict[str, Vector]:
    """Each laboratory's results as a finite array, checked for counts."""
    names = list(results)
    arrays = cells(
        [results[name] for name in names],
        field="results",
        laboratories=laboratories,
        replicates=replicates,
    )
    return dict(zip(names, arrays, strict=True))


def precision_from_cells(groups: Mapping[str, Vector]) -> PrecisionEstimate:
    """s_r, s_L, s_R from checked cells (ISO 5725-2 7.4)."""
    made = [cell(name, values) for name, values in groups.items()]
    p = len(made)
    counts = np.array([c.count for c in made], dtype=np.float64)
    means = np.array([c.mean for c in made])
    freedom = float(np.sum(counts - 1.0))
    if freedom <= 0.0:
        raise TooFewResults(
            "no laboratory has replicates, so the repeatability cannot be estimated",
            field="results",
        )
    pooled = sum((c.count - 1) * (c.sd or 0.0) ** 2 for c in made) / freedom
    total = float(counts.sum())
    general_mean = float(np.sum(counts * means) / total)
    s_d2 = float(np.sum(counts * (means - general_mean) ** 2)) / (p - 1)
    n_bar = (total - float(np.sum(counts**2)) / total) / (p - 1)
    s_l2 = max((s_d2 - pooled) / n_bar, 0.0)
    return PrecisionEstimate(
        cells=tuple(made),
        general_mean=general_mean,
        s_d=math.sqrt(s_d2),
        n_bar=n_bar,
        s_r=math.sqrt(pooled),
        s_L=math.sqrt(s_l2),
        s_R=math.sqrt(s_l2 + pooled),
        balanced=len({c.count for c in made}) == 1,
    )


def precision(results: Mapping[str, Sequence[float]]) -> PrecisionEstimate:
    """s_r, s_L, s_R, r and R of one level from each laboratory's results (ISO 5725-2 7.4)."""
    return precision_from_cells(laboratory_cells(results, laboratories=MINIMUM_LABORATORIES))
