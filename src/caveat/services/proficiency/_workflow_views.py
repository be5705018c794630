"""What the proficiency workflows beside the round hand out: a result's history, a
laboratory's declared procedure version, the items' homogeneity and stability checks,
and a precision study's statistics (ISO 5725-2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SubmissionVersion:
    """One revision of a laboratory's result (``current``: the one in force), in the
    procedure's unit and as reported."""

    submission_id: str
    revision: int
    current: bool
    value: float
    standard_uncertainty: float | None
    coverage_factor: float | None
    replicates: tuple[float, ...]
    reported_value: float
    reported_unit: str
    notes: str
    submitted_by: str
    submitted_at: datetime
    replaced_by: str
    replaced_at: datetime | None


@dataclass(frozen=True, slots=True)
class VersionChoice:
    """A version of the round's procedure the caller may read, to declare."""

    id: str
    version: int
    status: str
    is_rounds: bool


@dataclass(frozen=True, slots=True)
class ItemCheck:
    """A homogeneity or stability check of a round's item (ISO 13528:2022 Annex B):
    ``statistic`` (s_s, or the difference of the means) against ``criterion`` (0.3·sigma_pt);
    ``outcome`` holds every number the domain computed, as JSON. ``in_force``: the
    newest check of its item and kind."""

    id: str
    item: str
    kind: str
    passed: bool
    sigma_pt: float
    criterion: float
    statistic: float
    statistic_name: str
    passes_expanded: bool | None  # homogeneity only: the Table B.1 criterion
    clause: str
    outcome: str
    recorded_by: str
    recorded_at: datetime
    in_force: bool


@dataclass(frozen=True, slots=True)
class RoundWorkflow:
    """What the round page shows of the workflows beside results and scores:
    ``failing`` names the checks in force that fail (flagged when the round closes)."""

    round_id: str
    versions: tuple[VersionChoice, ...]
    checks: tuple[ItemCheck, ...] = ()
    failing: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    precision: tuple[PrecisionLevel, ...] = ()  # a closed precision study's levels


@dataclass(frozen=True, slots=True)
class PrecisionCell:
    """One laboratory's cell at one level of a precision study, as the caller may read
    it: count, mean, standard deviation, Mandel's h and k, and its flag (correct,
    straggler or outlier)."""

    submission_id: str
    laboratory: str
    code: str
    own: bool
    count: int
    mean: float
    sd: float | None
    mandel_h: float | None
    mandel_k: float | None
    flag: str


@dataclass(frozen=True, slots=True)
class PrecisionTest:
    """One test of ISO 5725-2's iterative procedure, in the order it ran."""

    kind: str
    laboratories: tuple[str, ...]  # codes
    statistic: float
    critical_straggler: float  # 5 %
    critical_outlier: float  # 1 %
    flag: str
    clause: str


@dataclass(frozen=True, slots=True)
class PrecisionLevel:
    """What closing a precision study computed for one level (ISO 5725-2 7.3, 7.4):
    s_r, s_L, s_R, r and R without the outliers (``all_*``: with every laboratory)."""

    item_id: str
    item: str
    laboratories: int
    general_mean: float
    s_r: float
    s_L: float  # noqa: N815 (the standard's symbol)
    s_R: float  # noqa: N815
    r: float
    R: float
    all_s_r: float
    all_s_R: float  # noqa: N815
    outliers: tuple[str, ...]
    stragglers: tuple[str, ...]
    mandel_h_critical: tuple[float, float]
    mandel_k_critical: tuple[float, float] | None
    tests: tuple[PrecisionTest, ...]
    cells: tuple[PrecisionCell, ...]
    withheld: int
    notes: tuple[str, ...]
    record: str  # the stored JSON
