"""Input checks shared by the estimators: finite numbers, enough of them, balanced cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from caveat.domain.proficiency.errors import (
    NonFiniteValue,
    ProficiencyError,
    TooFewResults,
    UnbalancedDesign,
)

Vector = npt.NDArray[np.float64]


def finite_vector(values: Sequence[float] | Vector, *, field: str, minimum: int) -> Vector:
    """``values`` as a 1-D float array of at least ``minimum`` finite numbers."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ProficiencyError(f"{field} must be a flat list of numbers", field=field)
    if array.size < minimum:
        raise TooFewResults(
            f"{field} has {array.size} values; this method needs at least {minimum}",
            field=field,
            data={"count": int(array.size), "minimum": minimum},
        )
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise NonFiniteValue(
            f"{field} holds a value that is not a finite number (position {int(bad[0])})",
            field=field,
            hint="remove or correct NaN and infinite values before evaluating",
            data={"positions": [int(i) for i in bad[:20]]},
        )
    return array


def finite_number(value: float, *, field: str, positive: bool = False) -> float:
    """``value`` as a float, refused if NaN or infinite (or not > 0 when ``positive``)."""
    number = float(value)
    if not np.isfinite(number):
        raise NonFiniteValue(f"{field} is not a finite number", field=field)
    if positive and number <= 0.0:
        raise TooFewResults(f"{field} must be greater than zero", field=field)
    return number


def cells(
    results: Sequence[Sequence[float]], *, field: str, laboratories: int, replicates: int = 1
) -> list[Vector]:
    """Each laboratory's results as a finite array, with enough laboratories and replicates."""
    if len(results) < laboratories:
        raise TooFewResults(
            f"{field} has {len(results)} laboratories; this method needs at least {laboratories}",
            field=field,
            data={"count": len(results), "minimum": laboratories},
        )
    return [
        finite_vector(cell, field=f"{field}[{i}]", minimum=replicates)
        for i, cell in enumerate(results)
    ]


def balanced(groups: Sequence[Vector], *, field: str) -> int:
    """The common number of replicates, refused if the cells differ."""
    sizes = sorted({g.size for g in groups})
    if len(sizes) != 1:
        raise UnbalancedDesign(
            f"{field} has cells of {', '.join(map(str, sizes))} replicates; this method needs "
            "the same number in every cell",
            field=field,
            data={"sizes": sizes},
        )
    return sizes[0]
