"""The policy service: decisions, explanations, grants, holdings, listings and catalogues.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.policy._catalogue import (
    CatalogueService,
    Registered,
)
from caveat.services.policy._effects import (
    AccessEffects,
    Effect,
)
from caveat.services.policy._grants import (
    Grant,
    GrantService,
    ReadOnRequest,
)
from caveat.services.policy._holdings import (
    CaveatView,
    GrantView,
    HoldingsService,
)
from caveat.services.policy._loader import (
    find_resource,
    not_found,
    people_rows,
    resource_of,
    subject_of,
)
from caveat.services.policy._received import received_from, refuse_received
from caveat.services.policy._service import (
    Page,
    PolicyService,
    ResourceView,
    WhoCan,
    WhoCanReport,
)

__all__ = [
    "AccessEffects",
    "CatalogueService",
    "CaveatView",
    "Effect",
    "Grant",
    "GrantService",
    "GrantView",
    "HoldingsService",
    "Page",
    "PolicyService",
    "ReadOnRequest",
    "Registered",
    "ResourceView",
    "WhoCan",
    "WhoCanReport",
    "find_resource",
    "not_found",
    "people_rows",
    "received_from",
    "refuse_received",
    "resource_of",
    "subject_of",
]
