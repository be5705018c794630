"""Errors raised when results cannot be evaluated by the method asked for.

Every one is a :class:`ProficiencyError`, an ``invalid_input`` error (the caller can fix
the data or choose another method); ``reason`` names the rule broken, so a report or a
form can say which, and ``data`` carries the numbers behind it.
"""

from __future__ import annotations

from typing import Any

from caveat.domain.errors import InvalidInput


class ProficiencyError(InvalidInput):
    """Raised when results cannot be evaluated by the standard's method as given."""

    reason: str = "invalid"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        hint: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            detail, field=field, hint=hint, data={"reason": self.reason, **(data or {})}
        )


class TooFewResults(ProficiencyError):
    """Raised when fewer results (laboratories, items, replicates) than a method needs."""

    reason = "too_few_results"


class ZeroSpread(ProficiencyError):
    """Raised when a scale estimate is zero, so nothing can be standardised by it."""

    reason = "zero_spread"


class NonFiniteValue(ProficiencyError):
    """Raised when a value is NaN or infinite."""

    reason = "non_finite_value"


class UnbalancedDesign(ProficiencyError):
    """Raised when a method needs the same number of replicates in every cell."""

    reason = "unbalanced_design"


class OutsideTable(ProficiencyError):
    """Raised when a critical value is asked for outside the table it is sourced from."""

    reason = "outside_table"
