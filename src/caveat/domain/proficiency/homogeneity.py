"""Homogeneity and stability of proficiency test items: ISO 13528:2022 Annex B.

Homogeneity: g items measured m times each give the between-item standard deviation
s_s = √(s_x² - s_w²/m); the items are sufficiently homogeneous when s_s ≤ 0.3·sigma_pt, or
under the expanded criterion s_s² ≤ F1·(0.3·sigma_pt)² + F2·s_w² with F1 = χ²₀.₉₅(g-1)/(g-1)
and F2 = (F₀.₉₅(g-1, g(m-1)) - 1)/m (the factors of Table B.1).
Stability: the means before and after, |ȳ1 - ȳ2| ≤ 0.3·sigma_pt.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from caveat.domain.proficiency._distributions import chi2_upper, f_upper
from caveat.domain.proficiency._inputs import Vector, balanced, cells, finite_number, finite_vector

CRITERION_FRACTION = 0.3  # Annex B: s_s ≤ 0.3 sigma_pt and |ȳ1 - ȳ2| ≤ 0.3 sigma_pt
EXPANDED_CRITERION_LEVEL = 0.05  # Table B.1: the 95 % points of χ² and F
MINIMUM_ITEMS = 2
MINIMUM_REPLICATES = 2


@dataclass(frozen=True)
class HomogeneityCheck:
    """s_x, s_w, s_s of g items x m replicates, and both criteria (ISO 13528:2022 Annex B)."""

    items: int
    replicates: int
    general_mean: float
    s_x: float
    s_w: float
    s_s: float
    sigma_pt: float
    criterion: float
    passes: bool
    f1: float
    f2: float
    expanded_criterion: float
    passes_expanded: bool
    clause: str = "ISO 13528:2022 Annex B (homogeneity check, Table B.1)"


def expanded_criterion_factors(items: int, replicates: int = 2) -> tuple[float, float]:
    """F1 = χ²₀.₉₅(g-1)/(g-1) and F2 = (F₀.₉₅(g-1, g(m-1)) - 1)/m (ISO 13528:2022 Table B.1)."""
    g, m = items, replicates
    f1 = chi2_upper(EXPANDED_CRITERION_LEVEL, g - 1) / (g - 1)
    f2 = (f_upper(EXPANDED_CRITERION_LEVEL, g - 1, g * (m - 1)) - 1.0) / m
    return f1, f2


def homogeneity(results: Sequence[Sequence[float]], sigma_pt: float) -> HomogeneityCheck:
    """Check g items x m replicates (one row per item) against sigma_pt (ISO 13528:2022 Annex B)."""
    rows = cells(
        results, field="results", laboratories=MINIMUM_ITEMS, replicates=MINIMUM_REPLICATES
    )
    m = balanced(rows, field="results")
    sigma = finite_number(sigma_pt, field="sigma_pt", positive=True)
    table = np.stack(rows)
    g = table.shape[0]
    item_means = table.mean(axis=1)
    s_x = float(np.std(item_means, ddof=1))
    s_w = math.sqrt(float(np.mean(np.var(table, axis=1, ddof=1))))
    s_s = math.sqrt(max(s_x**2 - s_w**2 / m, 0.0))
    criterion = CRITERION_FRACTION * sigma
    f1, f2 = expanded_criterion_factors(g, m)
    expanded = math.sqrt(f1 * criterion**2 + f2 * s_w**2)
    return HomogeneityCheck(
        items=g,
        replicates=m,
        general_mean=float(item_means.mean()),
        s_x=s_x,
        s_w=s_w,
        s_s=s_s,
        sigma_pt=sigma,
        criterion=criterion,
        passes=s_s <= criterion,
        f1=f1,
        f2=f2,
        expanded_criterion=expanded,
        passes_expanded=s_s <= expanded,
    )


@dataclass(frozen=True)
class StabilityCheck:
    """The means before and after, their difference and the criterion (ISO 13528:2022 Annex B)."""

    mean_before: float
    mean_after: float
    difference: float
    sigma_pt: float
    criterion: float
    passes: bool
    clause: str = "ISO 13528:2022 Annex B (stability check)"


def stability(
    before: Sequence[float] | Vector, after: Sequence[float] | Vector, sigma_pt: float
) -> StabilityCheck:
    """|ȳ1 - ȳ2| ≤ 0.3·sigma_pt: the items did not change between the two measurements."""
    y1 = finite_vector(before, field="before", minimum=1)
    y2 = finite_vector(after, field="after", minimum=1)
    sigma = finite_number(sigma_pt, field="sigma_pt", positive=True)
    mean_1, mean_2 = float(y1.mean()), float(y2.mean())
    difference = abs(mean_1 - mean_2)
    criterion = CRITERION_FRACTION * sigma
    return StabilityCheck(mean_1, mean_2, difference, sigma, criterion, difference <= criterion)
