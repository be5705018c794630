"""Artifacts: catalogue entries, encrypted content, uploads, downloads, versions, labels and search.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.artifacts._admin import (
    ArtifactAdmin,
    RotationReport,
    VerifyReport,
)
from caveat.services.artifacts._catalogue import (
    DraftLabel,
    parse_label_text,
)
from caveat.services.artifacts._labelling import (
    Decided,
    write_label_version,
)
from caveat.services.artifacts._lookup import (
    versions_of,
)
from caveat.services.artifacts._precheck import LabelPrecheck
from caveat.services.artifacts._relabels import (
    RelabelPreview,
    RelabelRequest,
    banner_of,
    require_retransfer_allowed,
)
from caveat.services.artifacts._search import (
    ArtifactPage,
    ArtifactSearch,
    ArtifactSummary,
    SearchQuery,
)
from caveat.services.artifacts._service import (
    Appender,
    ArtifactService,
    ArtifactView,
    NewArtifact,
    Provenance,
    ReceivedPage,
    StagedContent,
    UploadStatus,
    VersionView,
)
from caveat.services.artifacts._table import (
    FACET_SCAN,
    FACETS,
    SORTS,
    ArtifactTable,
    ArtifactTables,
    FacetCount,
    TableQuery,
)

__all__ = [
    "FACETS",
    "FACET_SCAN",
    "SORTS",
    "Appender",
    "ArtifactAdmin",
    "ArtifactPage",
    "ArtifactSearch",
    "ArtifactService",
    "ArtifactSummary",
    "ArtifactTable",
    "ArtifactTables",
    "ArtifactView",
    "Decided",
    "DraftLabel",
    "FacetCount",
    "LabelPrecheck",
    "NewArtifact",
    "Provenance",
    "ReceivedPage",
    "RelabelPreview",
    "RelabelRequest",
    "RotationReport",
    "SearchQuery",
    "StagedContent",
    "TableQuery",
    "UploadStatus",
    "VerifyReport",
    "VersionView",
    "banner_of",
    "parse_label_text",
    "require_retransfer_allowed",
    "versions_of",
    "write_label_version",
]
