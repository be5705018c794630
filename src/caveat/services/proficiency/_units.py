"""Units: what laboratories report in, checked and converted to the procedure's unit.

pint (its default registry, built once per process, on first use: it costs about 0.3 s
and imports numpy) reads unit text; a unit that measures another quantity, or one that
is not linear (decibels), is refused with the field named. Values and replicates convert
as quantities, offset units included (°C to K); an uncertainty converts as a difference,
by the scale factor alone.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from caveat.domain.errors import InvalidInput

MAX_UNIT = 60
# Relative size of the curvature that counts as "not linear": conversions of linear units
# agree to rounding, and decibels miss by orders of magnitude.
LINEARITY = 1e-9


@functools.cache
def _registry() -> Any:
    import pint

    return pint.UnitRegistry()


def _parse(text: str, field: str) -> Any:
    import pint

    text = text.strip()
    if not text or len(text) > MAX_UNIT:
        raise InvalidInput(
            f"{field} needs a unit of 1 to {MAX_UNIT} characters",
            code="unknown_unit",
            field=field,
            hint="for example m^2, cm^2, GHz, mg/kg or degC",
        )
    try:
        return _registry().Unit(text)
    except (pint.PintError, ValueError, TypeError, AttributeError, SyntaxError) as exc:
        raise InvalidInput(
            f"{field}: {text!r} is not a unit Caveat knows",
            code="unknown_unit",
            field=field,
            hint="for example m^2, cm^2, GHz, mg/kg or degC (the pint unit library's names)",
        ) from exc


def check_unit(text: str, *, field: str = "unit") -> str:
    """``text`` stripped, once pint has read it as a unit; unknown_unit otherwise."""
    _parse(text, field)
    return text.strip()


@dataclass(frozen=True, slots=True)
class Converted:
    """A reported result in the procedure's unit."""

    value: float
    standard_uncertainty: float | None
    replicates: tuple[float, ...]


def _converter(unit: str, target: str, field: str) -> Any:
    import pint

    source, goal = _parse(unit, field), _parse(target, "procedure unit")
    quantity = _registry().Quantity

    def convert(x: float) -> float:
        return float(quantity(x, source).to(goal).magnitude)

    try:
        zero, one, two = convert(0.0), convert(1.0), convert(2.0)
    except pint.DimensionalityError as exc:
        raise InvalidInput(
            f"{field}: {unit.strip()!r} cannot be converted to the procedure's unit "
            f"{target!r} (it measures {source.dimensionality}, the procedure "
            f"{goal.dimensionality})",
            code="incompatible_unit",
            field=field,
            hint=f"report the result in {target} or a unit of the same quantity",
        ) from exc
    except (pint.PintError, ValueError, TypeError, ArithmeticError) as exc:
        raise InvalidInput(
            f"{field}: {unit.strip()!r} cannot be converted to {target!r}",
            code="incompatible_unit",
            field=field,
        ) from exc
    scale = one - zero
    if not math.isfinite(scale) or abs(two - 2 * one + zero) > LINEARITY * max(abs(scale), 1e-300):
        raise InvalidInput(
            f"{field}: {unit.strip()!r} is not a linear unit; it cannot carry an uncertainty "
            f"into {target!r}",
            code="incompatible_unit",
            field=field,
            hint=f"report the result in {target}",
        )
    return convert, scale


def convert(
    value: float,
    standard_uncertainty: float | None,
    replicates: Sequence[float],
    *,
    unit: str,
    to: str,
    field: str = "unit",
) -> Converted:
    """The result in ``to``: value and replicates as quantities, the uncertainty by the
    scale factor alone (a difference has no offset)."""
    if unit.strip() == to.strip():
        return Converted(value, standard_uncertainty, tuple(replicates))
    change, scale = _converter(unit, to, field)
    return Converted(
        change(value),
        None if standard_uncertainty is None else standard_uncertainty * abs(scale),
        tuple(change(r) for r in replicates),
    )
