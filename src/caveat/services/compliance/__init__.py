"""Compliance: agreements, export authorizations, embargoes, releases, export records and screening.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.domain.compliance.export_report import ExportReport, ReportLine
from caveat.services.compliance._agreements import (
    Agreement,
    AgreementDraft,
    AgreementService,
    DbAgreements,
    find_programme,
    terms_in_force,
)
from caveat.services.compliance._authorizations import (
    Authorization,
    AuthorizationDraft,
    AuthorizationService,
    DbAuthorizations,
)
from caveat.services.compliance._embargoes import (
    FILE_COLUMNS,
    DbEmbargoes,
    Embargo,
    EmbargoDraft,
    EmbargoService,
)
from caveat.services.compliance._export_report import ExportRecord
from caveat.services.compliance._releases import (
    Release,
    ReleaseService,
)
from caveat.services.compliance._screening import (
    DbScreening,
    Hit,
    ListFormat,
    NameCheck,
    ScreeningService,
)

__all__ = [
    "FILE_COLUMNS",
    "Agreement",
    "AgreementDraft",
    "AgreementService",
    "Authorization",
    "AuthorizationDraft",
    "AuthorizationService",
    "DbAgreements",
    "DbAuthorizations",
    "DbEmbargoes",
    "DbScreening",
    "Embargo",
    "EmbargoDraft",
    "EmbargoService",
    "ExportRecord",
    "ExportReport",
    "Hit",
    "ListFormat",
    "NameCheck",
    "Release",
    "ReleaseService",
    "ReportLine",
    "ScreeningService",
    "find_programme",
    "terms_in_force",
]
