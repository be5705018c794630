"""Consistency statistics and outlier tests of a precision experiment: ISO 5725-2 7.3.

- Mandel's h and k per laboratory with their 5 % and 1 % critical values (7.3.1);
- Cochran's C on the largest cell variance (7.3.3);
- Grubbs' single test on the highest and lowest cell mean, and the double test on the two
  highest and two lowest (7.3.4).

Each test's verdict is a :class:`Flag` (7.3.2): beyond the 5 % critical value a
straggler, beyond the 1 % value a statistical outlier (for the double Grubbs test,
"beyond" is below: its statistic shrinks as the pair moves away).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from caveat.domain.proficiency import critical_values
from caveat.domain.proficiency._inputs import Vector, balanced
from caveat.domain.proficiency.critical_values import OUTLIER_LEVEL, STRAGGLER_LEVEL
from caveat.domain.proficiency.errors import TooFewResults, ZeroSpread


class Flag(StrEnum):
    """What a test says of the laboratory tested (ISO 5725-2 7.3.2)."""

    CORRECT = "correct"
    STRAGGLER = "straggler"
    OUTLIER = "outlier"


class OutlierTestKind(StrEnum):
    """Which outlier test."""

    COCHRAN = "cochran"
    GRUBBS_HIGH = "grubbs_high"
    GRUBBS_LOW = "grubbs_low"
    DOUBLE_GRUBBS_HIGH = "double_grubbs_high"
    DOUBLE_GRUBBS_LOW = "double_grubbs_low"


CLAUSES = {
    OutlierTestKind.COCHRAN: "ISO 5725-2 7.3.3",
    OutlierTestKind.GRUBBS_HIGH: "ISO 5725-2 7.3.4",
    OutlierTestKind.GRUBBS_LOW: "ISO 5725-2 7.3.4",
    OutlierTestKind.DOUBLE_GRUBBS_HIGH: "ISO 5725-2 7.3.4",
    OutlierTestKind.DOUBLE_GRUBBS_LOW: "ISO 5725-2 7.3.4",
}


@dataclass(frozen=True)
class OutlierTest:
    """One test: the laboratories tested, the statistic, both critical values, the flag."""

    kind: OutlierTestKind
    laboratories: tuple[str, ...]
    statistic: float
    critical_straggler: float
    critical_outlier: float
    flag: Flag
    laboratories_in_test: int
    clause: str


def _upper_flag(statistic: float, straggler: float, outlier: float) -> Flag:
    if statistic > outlier:
        return Flag.OUTLIER
    return Flag.STRAGGLER if statistic > straggler else Flag.CORRECT


def _lower_flag(statistic: float, straggler: float, outlier: float) -> Flag:
    if statistic < outlier:
        return Flag.OUTLIER
    return Flag.STRAGGLER if statistic < straggler else Flag.CORRECT


@dataclass(frozen=True)
class MandelStatistics:
    """Mandel's h (and k, when every cell has replicates) for each laboratory (7.3.1)."""

    laboratories: tuple[str, ...]
    h: tuple[float, ...]
    h_critical_straggler: float
    h_critical_outlier: float
    k: tuple[float, ...] | None
    k_critical_straggler: float | None
    k_critical_outlier: float | None
    replicates: int | None
    clause: str = "ISO 5725-2 7.3.1"


def modal_replicates(groups: Mapping[str, Vector]) -> int:
    """The number of results found in most cells (the n ISO 5725-2 uses when they differ).

    Ties go to the larger n.
    """
    sizes = [g.size for g in groups.values()]
    return max(set(sizes), key=lambda n: (sizes.count(n), n))


def _cell_means_and_sds(groups: Mapping[str, Vector]) -> tuple[Vector, Vector | None]:
    """Each cell's mean and standard deviation (None when a cell holds a single result)."""
    cells = list(groups.values())
    if len({c.size for c in cells}) == 1:
        table = np.stack(cells)  # one pass over a balanced design
        sds = np.std(table, axis=1, ddof=1) if table.shape[1] > 1 else None
        return table.mean(axis=1), sds
    means = np.array([float(c.mean()) for c in cells])
    if min(c.size for c in cells) < 2:
        return means, None
    return means, np.array([float(np.std(c, ddof=1)) for c in cells])


def mandel(
    groups: Mapping[str, Vector], replicates: int | None = None, *, with_k: bool = True
) -> MandelStatistics:
    """h_i = (ȳ_i - ȳ)/s(ȳ), k_i = s_i·√p/√(Σ s_j²) with their critical values (7.3.1).

    ȳ is the mean of the cell means. k and its critical values need replicates in every
    cell and one n: the cells' own when balanced, else ``replicates`` (refused if absent);
    ``with_k=False`` leaves k out.
    """
    names = tuple(groups)
    p = len(names)
    if p < 3:
        raise TooFewResults("Mandel's h needs at least 3 laboratories", field="results")
    means, sds = _cell_means_and_sds(groups)
    spread = float(np.std(means, ddof=1))
    if spread == 0.0:
        raise ZeroSpread("the cell means are all equal, so h is undefined", field="results")
    h = tuple(((means - means.mean()) / spread).tolist())
    h5 = critical_values.mandel_h(p, STRAGGLER_LEVEL)
    h1 = critical_values.mandel_h(p, OUTLIER_LEVEL)
    if sds is None or not with_k:
        return MandelStatistics(names, h, h5, h1, None, None, None, None)
    n = replicates if replicates is not None else balanced(list(groups.values()), field="results")
    pooled = math.sqrt(float(np.mean(sds**2)))
    if pooled == 0.0:
        raise ZeroSpread("every cell's results are identical, so k is undefined", field="results")
    k = tuple((sds / pooled).tolist())
    k5 = critical_values.mandel_k(p, n, STRAGGLER_LEVEL)
    k1 = critical_values.mandel_k(p, n, OUTLIER_LEVEL)
    return MandelStatistics(names, h, h5, h1, k, k5, k1, n)


def cochran_test(groups: Mapping[str, Vector], replicates: int | None = None) -> OutlierTest:
    """C = s²_max / Σ s_i², tested against its critical values (7.3.3).

    The cells must have the same n, or ``replicates`` says which n to use.
    """
    names = tuple(groups)
    p = len(names)
    if p < 2 or min(groups[name].size for name in names) < 2:
        raise TooFewResults(
            "Cochran's test needs 2 or more laboratories, each with replicates", field="results"
        )
    n = replicates if replicates is not None else balanced(list(groups.values()), field="results")
    variances = np.array([float(np.var(groups[name], ddof=1)) for name in names])
    total = float(variances.sum())
    if total == 0.0:
        raise ZeroSpread("every cell's results are identical, so C is undefined", field="results")
    largest = int(np.argmax(variances))
    statistic = float(variances[largest]) / total
    c5 = critical_values.cochran(p, n, STRAGGLER_LEVEL)
    c1 = critical_values.cochran(p, n, OUTLIER_LEVEL)
    return OutlierTest(
        OutlierTestKind.COCHRAN, (names[largest],), statistic, c5, c1,
        _upper_flag(statistic, c5, c1), p, CLAUSES[OutlierTestKind.COCHRAN],
    )  # fmt: skip


def _means(means: Mapping[str, float], minimum: int, what: str) -> tuple[tuple[str, ...], Vector]:
    names = tuple(means)
    if len(names) < minimum:
        raise TooFewResults(f"{what} needs at least {minimum} laboratories", field="results")
    values = np.array([float(means[name]) for name in names])
    if not np.all(np.isfinite(values)):
        raise TooFewResults(f"{what} needs finite cell means", field="results")
    if float(np.ptp(values)) == 0.0:
        raise ZeroSpread(f"the cell means are all equal, so {what} is undefined", field="results")
    return names, values


def grubbs_tests(means: Mapping[str, float]) -> tuple[OutlierTest, OutlierTest]:
    """G_p = (x_max - x̄)/s and G_1 = (x̄ - x_min)/s on the cell means (7.3.4)."""
    names, x = _means(means, 3, "Grubbs' test")
    p = x.size
    mean, sd = float(x.mean()), float(np.std(x, ddof=1))
    g5, g1 = critical_values.grubbs(p, STRAGGLER_LEVEL), critical_values.grubbs(p, OUTLIER_LEVEL)
    high, low = int(np.argmax(x)), int(np.argmin(x))
    g_high, g_low = (float(x[high]) - mean) / sd, (mean - float(x[low])) / sd
    return (
        OutlierTest(
            OutlierTestKind.GRUBBS_HIGH, (names[high],), g_high, g5, g1,
            _upper_flag(g_high, g5, g1), p, CLAUSES[OutlierTestKind.GRUBBS_HIGH],
        ),
        OutlierTest(
            OutlierTestKind.GRUBBS_LOW, (names[low],), g_low, g5, g1,
            _upper_flag(g_low, g5, g1), p, CLAUSES[OutlierTestKind.GRUBBS_LOW],
        ),
    )  # fmt: skip


def _sum_of_squares(values: Vector) -> float:
    return float(np.sum((values - values.mean()) ** 2))


def double_grubbs_tests(means: Mapping[str, float]) -> tuple[OutlierTest, OutlierTest]:
    """G = s²(without the two highest, or two lowest) / s²(all) on the cell means (7.3.4).

    The critical values come from the sourced table (p = 4..30); outside it
    :class:`~caveat.domain.proficiency.errors.OutsideTable` is raised.
    """
    names, x = _means(means, 4, "The double Grubbs test")
    p = x.size
    d5 = critical_values.double_grubbs(p, STRAGGLER_LEVEL)
    d1 = critical_values.double_grubbs(p, OUTLIER_LEVEL)
    order = np.argsort(x, kind="stable")
    total = _sum_of_squares(x)
    g_high = _sum_of_squares(x[order[:-2]]) / total
    g_low = _sum_of_squares(x[order[2:]]) / total
    two_high = (names[order[-2]], names[order[-1]])
    two_low = (names[order[0]], names[order[1]])
    return (
        OutlierTest(
            OutlierTestKind.DOUBLE_GRUBBS_HIGH, two_high, g_high, d5, d1,
            _lower_flag(g_high, d5, d1), p, CLAUSES[OutlierTestKind.DOUBLE_GRUBBS_HIGH],
        ),
        OutlierTest(
            OutlierTestKind.DOUBLE_GRUBBS_LOW, two_low, g_low, d5, d1,
            _lower_flag(g_low, d5, d1), p, CLAUSES[OutlierTestKind.DOUBLE_GRUBBS_LOW],
        ),
    )  # fmt: skip
