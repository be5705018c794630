"""A proficiency round's plot data and its reports, as data (issue 19, ADR 0024).

Built by the proficiency service from what closing a round stored (results, scores,
the evaluation record) and only what the reader may read; drawn by adapters (SVG for
the page, PNG inside the PDF; the report as HTML or PDF). Nothing here reads, writes or
draws. The statistics core (numpy) is imported inside the functions that compute (a
kernel density), so importing this module at start-up costs nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from caveat.domain.labels import Label

STANDARD = "ISO 13528:2022"
PRECISION_STANDARD = "ISO 5725-2:2019"


# -- plot data -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Density:
    """A Gaussian kernel density estimate of one item's results: ``density`` at each
    ``grid`` point, the ``bandwidth`` used, the results themselves (``points``, drawn as
    a rug) and the assigned value."""

    grid: tuple[float, ...]
    density: tuple[float, ...]
    bandwidth: float
    points: tuple[float, ...]
    assigned: float


@dataclass(frozen=True, slots=True)
class YoudenData:
    """A Youden plot of two items: one point per laboratory that reported both
    (``labels`` as the reader may see them), with each item's x_pt and sigma_pt."""

    first: str
    second: str
    labels: tuple[str, ...]
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    assigned: tuple[float, float]
    sigma_pt: tuple[float, float]


@dataclass(frozen=True, slots=True)
class ControlPoint:
    """One z-score of a laboratory in a closed round of a procedure."""

    round_id: str
    round_title: str
    closed_at: datetime
    item: str
    z: float


@dataclass(frozen=True, slots=True)
class ControlSeries:
    """A laboratory's z-scores across the closed rounds of one procedure, oldest first
    (only rounds where the reader reads its scores *and* knows who it is, so a chart
    never links one round's code to another's)."""

    laboratory: str
    own: bool
    points: tuple[ControlPoint, ...]
    warning: float
    action: float


def bandwidth(values: Sequence[float], scale: float | None) -> float:
    """Silverman's rule with the round's robust spread, h = 0.9 · s* · p^(-1/5), as the
    statistics core draws a round's density; s* as stored at close when positive, else
    the results' standard deviation, else (all equal) a thousandth of their magnitude
    (or 1 for zeros), so a density is always drawable."""
    from caveat.domain.proficiency.round_evaluation import silverman_bandwidth

    p = len(values)
    spread = scale if scale is not None and scale > 0 and math.isfinite(scale) else 0.0
    if spread == 0.0 and p > 1:
        mean = math.fsum(values) / p
        spread = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (p - 1))
    if spread == 0.0:
        spread = max(abs(v) for v in values) * 1e-3 if values else 0.0
    if spread == 0.0:
        spread = 1.0
    return float(silverman_bandwidth(spread, p))


def kernel_density(
    values: Sequence[float], *, assigned: float, scale: float | None = None
) -> Density | None:
    """The statistics core's Gaussian kernel density (``round_evaluation.kernel_density``)
    of the results the reader may read (None without any)."""
    if not values:
        return None
    from caveat.domain.proficiency.round_evaluation import kernel_density as core_density

    drawn = core_density(values, bandwidth(values, scale), rule="Silverman: 0.9 s* p^(-1/5)")
    return Density(
        drawn.grid, drawn.density, drawn.bandwidth, tuple(float(v) for v in values), assigned
    )


def youden(
    first: tuple[str, float, float],
    second: tuple[str, float, float],
    a: Sequence[tuple[str, str, float]],
    b: Sequence[tuple[str, str, float]],
) -> YoudenData | None:
    """The Youden data of two items, each ``(name, x_pt, sigma_pt)`` with its results as
    ``(code, label, value)``: a point per code present in both, in code order (None
    when no laboratory reported both)."""
    second_by_code = {code: value for code, _, value in b}
    pairs = sorted(
        (code, label, value, second_by_code[code])
        for code, label, value in a
        if code in second_by_code
    )
    if not pairs:
        return None
    return YoudenData(
        first[0],
        second[0],
        tuple(p[1] for p in pairs),
        tuple(p[2] for p in pairs),
        tuple(p[3] for p in pairs),
        (first[1], second[1]),
        (first[2], second[2]),
    )


# -- reports -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportScore:
    """One laboratory's result and scores for one item, as the reader may see them."""

    laboratory: str
    code: str
    own: bool
    value: float
    expanded_uncertainty: float | None
    z: float
    z_verdict: str
    z_prime: float
    z_prime_verdict: str
    zeta: float | None
    zeta_verdict: str | None
    en: float | None
    en_verdict: str | None
    mandel_h: float | None
    mandel_k: float | None


@dataclass(frozen=True, slots=True)
class ReportItem:
    """What closing the round computed for one item, with the method record."""

    name: str
    participants: int
    withheld: int
    assigned_value: float
    assigned_uncertainty: float
    sigma_pt: float
    assigned_method: str
    assigned_clause: str
    sigma_method: str
    sigma_clause: str
    sigma_parameters: tuple[tuple[str, float], ...]
    robust_method: str
    robust_clause: str
    robust_location: float
    robust_scale: float
    iterations: int
    stopping_rule: str | None
    default_coverage_factor: float
    mandel_h_critical: tuple[float, float] | None
    mandel_k_critical: tuple[float, float] | None
    scores: tuple[ReportScore, ...]
    density: Density | None


@dataclass(frozen=True, slots=True)
class ProficiencyReport:
    """A round's report (``laboratory`` None) or one laboratory's: its name as the
    reader sees it and its code; the items' scores are still every one the reader may
    read (the plots show them) and the table shows the laboratory's rows. ``labels``
    are those of everything it shows (the round's results label, the procedure
    version's, each result's), for the roll-up it is marked with. ``constants`` are the
    robust algorithm's, as applied; ``en_boundary`` is the |En| = 1 rule (ISO 13528 or
    ISO/IEC 17043)."""

    standard: str
    round_id: str
    title: str
    status: str
    measurand: str | None
    unit: str | None
    procedure_version_id: str
    coordinator: str
    deadline: datetime
    opened_at: datetime
    closed_at: datetime | None
    reveal_identities: bool
    robust_method: str
    constants: tuple[tuple[str, float], ...]
    assigned_method: str
    sigma_method: str
    sigma_value: float | None
    warning_limit: float
    action_limit: float
    en_limit: float
    en_boundary: str
    laboratory: str | None  # a laboratory's report: its name as the reader sees it
    laboratory_code: str | None
    laboratories: tuple[str, ...]
    items: tuple[ReportItem, ...]
    youden: tuple[YoudenData, ...]
    control: tuple[ControlSeries, ...]
    labels: tuple[Label, ...]
    generated_at: datetime

    @property
    def scope(self) -> str:
        """What the report covers, in words."""
        if self.laboratory is None:
            return "round report"
        return f"laboratory report: {self.laboratory}"
