"""Programmes: parties, cost shares, visits and their records.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.programmes._records import (
    NationFunding,
    ProgrammeRecords,
)
from caveat.services.programmes._service import (
    Programme,
    ProgrammeService,
    Visit,
    visit_decision_refusal,
)

__all__ = [
    "NationFunding",
    "Programme",
    "ProgrammeRecords",
    "ProgrammeService",
    "Visit",
    "visit_decision_refusal",
]
