"""Standardized test and evaluation (issue 19, ADR 0024): versioned test procedures,
interlaboratory proficiency rounds, laboratories' results and their scores.

Procedure versions and submissions are catalogue resources, so the one policy decides
who reads them; another laboratory's results stay blind until the round is closed (the
permission table's ``proficiency.result_read``), and are then shown under laboratory
codes unless the round reveals identities. Closing a round scores it with the pure
statistics core (``caveat.domain.proficiency``, ADR 0020), imported only then, so
building the service (and starting the command line) loads neither numpy nor pint.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.proficiency._rounds import (
    ASSIGNED_METHODS,
    EN_BOUNDARIES,
    ROBUST_METHODS,
    ROUND_KINDS,
    SIGMA_METHODS,
)
from caveat.services.proficiency._service import ProficiencyService
from caveat.services.proficiency._upload import COLUMNS, MAX_FILE_BYTES
from caveat.services.proficiency._views import (
    ControlPlot,
    ItemDraft,
    ItemResults,
    Laboratory,
    LabScore,
    Methods,
    PairPlot,
    Plots,
    Procedure,
    ProcedureDraft,
    ProcedureVersion,
    ResultDraft,
    Round,
    RoundDraft,
    RoundItem,
    RoundResults,
    RowError,
    Submission,
)
from caveat.services.proficiency._workflow_views import (
    ItemCheck,
    PrecisionCell,
    PrecisionLevel,
    PrecisionTest,
    RoundWorkflow,
    SubmissionVersion,
    VersionChoice,
)

__all__ = [
    "ASSIGNED_METHODS",
    "COLUMNS",
    "EN_BOUNDARIES",
    "MAX_FILE_BYTES",
    "ROBUST_METHODS",
    "ROUND_KINDS",
    "SIGMA_METHODS",
    "ControlPlot",
    "ItemCheck",
    "ItemDraft",
    "ItemResults",
    "LabScore",
    "Laboratory",
    "Methods",
    "PairPlot",
    "Plots",
    "PrecisionCell",
    "PrecisionLevel",
    "PrecisionTest",
    "Procedure",
    "ProcedureDraft",
    "ProcedureVersion",
    "ProficiencyService",
    "ResultDraft",
    "Round",
    "RoundDraft",
    "RoundItem",
    "RoundResults",
    "RoundWorkflow",
    "RowError",
    "Submission",
    "SubmissionVersion",
    "VersionChoice",
]
