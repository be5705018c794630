"""What the proficiency service hands out, and the drafts it takes.

Views are as the caller may see them: a laboratory other than the caller's own appears
under its code (L01, L02, ...) unless the caller coordinates the round or the round
reveals identities; a submission or score the caller may not read is not in a view at
all (only counted, as ``withheld``). ``label`` is the label shown (for page banners) and
``marking`` its banner text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from caveat.domain.labels import Label

# -- drafts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcedureDraft:
    """The content of a procedure version."""

    measurand: str
    unit: str
    method: str
    equipment: str = ""
    acceptance_criteria: str = ""
    uncertainty_reporting: str = ""


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """A test item (or level) of a round, with its assigned value when known beforehand
    (``assigned_uncertainty`` is u, or U for a certified value with its ``coverage``)."""

    name: str
    assigned_value: float | None = None
    assigned_uncertainty: float | None = None
    assigned_coverage: float | None = None


@dataclass(frozen=True, slots=True)
class Methods:
    """A round's statistical choices (ISO 13528:2022; ADR 0020 names each option).

    ``robust_method``: algorithm_a, q_hampel, median_niqr or median_made;
    ``assigned_method``: consensus, reference_value, certified_value or formulation (the
    last three take each item's assigned value); ``sigma_method``: robust_sd_of_round,
    prescribed (``sigma_value`` is sigma_pt) or fitness_for_purpose (``sigma_value`` is the
    share of x_pt); limits for z, z' and ζ, the En limit and its boundary rule."""

    robust_method: str = "algorithm_a"
    assigned_method: str = "consensus"
    sigma_method: str = "robust_sd_of_round"
    sigma_value: float | None = None
    warning_limit: float = 2.0
    action_limit: float = 3.0
    en_limit: float = 1.0
    en_boundary: str = "satisfactory_at_limit"


@dataclass(frozen=True, slots=True)
class RoundDraft:
    """A round to open."""

    project: str
    procedure_version: str
    title: str
    deadline: datetime
    laboratories: Sequence[str]
    items: Sequence[ItemDraft]
    label: str
    coordinator: str | None = None  # default: whoever opens it (a person)
    methods: Methods = field(default_factory=Methods)
    reveal_identities: bool = False
    # "proficiency" (ISO 13528 scores at close) or "precision_study" (ISO 5725-2 at close)
    kind: str = "proficiency"


@dataclass(frozen=True, slots=True)
class ResultDraft:
    """One laboratory result for one item, as reported."""

    item: str
    value: float
    unit: str
    standard_uncertainty: float | None = None
    coverage_factor: float | None = None
    replicates: Sequence[float] = ()
    notes: str = ""


# -- views ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcedureVersion:
    """One version of a procedure."""

    id: str
    procedure_id: str
    procedure: str
    version: int
    status: str
    measurand: str
    unit: str
    method: str
    equipment: str
    acceptance_criteria: str
    uncertainty_reporting: str
    label: Label
    marking: str
    created_by: str | None
    created_at: datetime
    approved_by: str | None
    approved_at: datetime | None


@dataclass(frozen=True, slots=True)
class Procedure:
    """A procedure of a project with the versions the caller may read (newest first)."""

    id: str
    project_id: str
    name: str
    versions: tuple[ProcedureVersion, ...]


@dataclass(frozen=True, slots=True)
class RoundItem:
    """A test item of a round."""

    id: str
    name: str
    assigned_value: float | None
    assigned_uncertainty: float | None
    assigned_coverage: float | None


@dataclass(frozen=True, slots=True)
class Laboratory:
    """A participating laboratory as the caller sees it: ``name`` is its code unless the
    caller may know who it is (``organisation_id`` None then)."""

    code: str
    name: str
    organisation_id: str | None
    own: bool
    # The procedure version it declared it follows (shown to the laboratory, the
    # coordinator, and everyone after close); ``deviates``: not the round's version.
    declared_version: int | None = None
    deviates: bool = False


@dataclass(frozen=True, slots=True)
class Round:
    """A round as the caller sees it. ``measurand`` and ``unit`` are None when the caller
    may not read the procedure version; ``submitted`` is counted for its coordinator only."""

    id: str
    title: str
    project_id: str
    procedure_version_id: str
    measurand: str | None
    unit: str | None
    coordinator: str
    deadline: datetime
    status: str
    methods: Methods
    reveal_identities: bool
    label: Label
    marking: str
    opened_at: datetime
    closed_at: datetime | None
    items: tuple[RoundItem, ...]
    laboratories: tuple[Laboratory, ...]
    my_code: str | None
    is_coordinator: bool
    submitted: int | None
    kind: str = "proficiency"  # or "precision_study"


@dataclass(frozen=True, slots=True)
class Submission:
    """One result the caller may read, in the procedure's unit and as reported."""

    id: str
    round_id: str
    item: str
    laboratory: str
    code: str
    own: bool
    value: float
    standard_uncertainty: float | None
    coverage_factor: float | None
    expanded_uncertainty: float | None
    replicates: tuple[float, ...]
    unit: str
    reported_value: float
    reported_uncertainty: float | None
    reported_replicates: tuple[float, ...]
    reported_unit: str
    notes: str
    submitted_by: str
    submitted_at: datetime
    label: Label
    marking: str
    revision: int = 1  # 2 and more: replaced while the round was open (history kept)


@dataclass(frozen=True, slots=True)
class LabScore:
    """One laboratory's result and scores for one item (NULL scores: not computable)."""

    submission_id: str
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
    label: Label
    marking: str
    declared_version: int | None = None  # the procedure version the laboratory declared
    deviates: bool = False  # it declared a version other than the round's


@dataclass(frozen=True, slots=True)
class ItemResults:
    """What closing the round computed for one item, with the scores the caller may read;
    ``evaluation`` records every method choice, clause and constant (ISO 13528:2022)."""

    item_id: str
    item: str
    participants: int
    assigned_value: float
    assigned_uncertainty: float
    sigma_pt: float
    assigned_method: str
    assigned_clause: str
    sigma_method: str
    sigma_clause: str
    robust_method: str
    robust_clause: str
    iterations: int
    scores: tuple[LabScore, ...]
    withheld: int
    mandel_h_critical: tuple[float, float] | None
    mandel_k_critical: tuple[float, float] | None
    evaluation: str  # the stored JSON


@dataclass(frozen=True, slots=True)
class Plots:
    """One item's plots as SVG documents (the Mandel plot when replicates allowed it)."""

    item_id: str
    item: str
    results: str
    scores: str
    mandel: str | None
    density: str | None = None  # the kernel density of its results


@dataclass(frozen=True, slots=True)
class RoundResults:
    """A round's results: nothing until it is closed; plots when asked for."""

    round: Round
    items: tuple[ItemResults, ...]
    plots: tuple[Plots, ...] = ()
    youden: tuple[PairPlot, ...] = ()  # consecutive items paired: (1, 2), (3, 4), ...
    control: tuple[ControlPlot, ...] = ()  # z across the procedure's rounds, per laboratory


@dataclass(frozen=True, slots=True)
class RowError:
    """One fault in a results file: the row (1 is the header) and the column."""

    row: int
    column: str
    message: str


@dataclass(frozen=True, slots=True)
class PairPlot:
    """The Youden plot of two items of a round (SVG)."""

    first: str
    second: str
    svg: str


@dataclass(frozen=True, slots=True)
class ControlPlot:
    """A laboratory's z-score control chart across the closed rounds of the round's
    procedure (SVG): the reader's own laboratory, or one whose identity they know."""

    laboratory: str
    own: bool
    svg: str
    labels: tuple[Label, ...] = ()  # of the results it shows, for the page's banner
