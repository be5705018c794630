"""The outlier screening of a precision experiment, step by step: ISO 5725-2 7.3.2 to 7.3.4.

1. Cochran's test on the largest cell variance; a statistical outlier is set aside and the
   test repeated on the rest, until it finds none (7.3.3).
2. Grubbs' single test on the cell means, at the more extreme end first. An outlier there
   is set aside and the other end tested once more, without the double test; if neither
   end is an outlier, the double test is applied to both ends (7.3.4).
3. s_r, s_L, s_R, r and R are computed again without the statistical outliers.

Stragglers are flagged and kept (7.3.2); the standard leaves the final decision on each
flagged laboratory to the panel, so :class:`Screening` shows every test it ran, and both
the estimates with every laboratory and those without the outliers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from caveat.domain.proficiency import critical_values
from caveat.domain.proficiency._inputs import Vector
from caveat.domain.proficiency.consistency import (
    Flag,
    MandelStatistics,
    OutlierTest,
    cochran_test,
    double_grubbs_tests,
    grubbs_tests,
    mandel,
    modal_replicates,
)
from caveat.domain.proficiency.errors import ZeroSpread
from caveat.domain.proficiency.precision import (
    PrecisionEstimate,
    laboratory_cells,
    precision_from_cells,
)

MINIMUM_LABORATORIES = 3


@dataclass(frozen=True)
class Screening:
    """Every test run in order, the flags, and the precision before and after."""

    tests: tuple[OutlierTest, ...]
    stragglers: tuple[str, ...]
    outliers: tuple[str, ...]
    mandel: MandelStatistics
    all_laboratories: PrecisionEstimate
    without_outliers: PrecisionEstimate
    notes: tuple[str, ...]
    clause: str = "ISO 5725-2 7.3.2, 7.3.3, 7.3.4"


def _cochran_rounds(kept: dict[str, Vector], tests: list[OutlierTest], notes: list[str]) -> None:
    if min(v.size for v in kept.values()) < 2:
        notes.append("Cochran's test not applied: some cells hold a single result")
        return
    while len(kept) >= MINIMUM_LABORATORIES:
        n = modal_replicates(kept)
        if len({v.size for v in kept.values()}) > 1:
            notes.append(f"Cochran's test with n = {n}, the number of results in most cells")
        try:
            test = cochran_test(kept, replicates=n)
        except ZeroSpread:
            notes.append("Cochran's test not applied: no cell shows any spread")
            return
        tests.append(test)
        if test.flag is not Flag.OUTLIER:
            return
        del kept[test.laboratories[0]]


def _grubbs_rounds(kept: dict[str, Vector], tests: list[OutlierTest], notes: list[str]) -> None:
    if len(kept) < MINIMUM_LABORATORIES:
        notes.append("Grubbs' test not applied: fewer than 3 laboratories remain")
        return
    try:
        high, low = grubbs_tests({name: float(v.mean()) for name, v in kept.items()})
    except ZeroSpread:
        notes.append("Grubbs' test not applied: every cell mean is the same")
        return
    first, second = (high, low) if high.statistic >= low.statistic else (low, high)
    tests.append(first)
    if first.flag is Flag.OUTLIER:
        del kept[first.laboratories[0]]
        if len(kept) < MINIMUM_LABORATORIES:
            return
        again = grubbs_tests({name: float(v.mean()) for name, v in kept.items()})
        other = again[0] if second.kind is again[0].kind else again[1]
        tests.append(other)
        if other.flag is Flag.OUTLIER:
            del kept[other.laboratories[0]]
        return
    tests.append(second)
    low_p, high_p = critical_values.double_grubbs_range()
    if not low_p <= len(kept) <= high_p:
        notes.append(
            f"double Grubbs test not applied: its sourced table covers {low_p} to {high_p} "
            f"laboratories, not {len(kept)}"
        )
        return
    pairs = double_grubbs_tests({name: float(v.mean()) for name, v in kept.items()})
    tests.extend(pairs)
    for pair in pairs:
        if pair.flag is Flag.OUTLIER:
            for name in pair.laboratories:
                kept.pop(name, None)


def screen(results: Mapping[str, Sequence[float]]) -> Screening:
    """Run ISO 5725-2's outlier screening on one level and recompute without the outliers."""
    groups = laboratory_cells(results, laboratories=MINIMUM_LABORATORIES)
    everyone = precision_from_cells(groups)
    tests: list[OutlierTest] = []
    notes: list[str] = []
    try:
        statistics = mandel(groups, replicates=modal_replicates(groups))
    except ZeroSpread:
        notes.append("Mandel's k left out: every cell's results are identical")
        statistics = mandel(groups, with_k=False)
    kept = dict(groups)
    _cochran_rounds(kept, tests, notes)
    _grubbs_rounds(kept, tests, notes)
    outliers = tuple(name for name in groups if name not in kept)
    stragglers = tuple(
        dict.fromkeys(
            name
            for test in tests
            if test.flag is Flag.STRAGGLER
            for name in test.laboratories
            if name in kept
        )
    )
    return Screening(
        tests=tuple(tests),
        stragglers=stragglers,
        outliers=outliers,
        mandel=statistics,
        all_laboratories=everyone,
        without_outliers=precision_from_cells(kept),
        notes=tuple(notes),
    )
