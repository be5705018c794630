"""The ledger: events, checkpoints, tiles, bundles, witnesses, audit queries and monitoring alerts.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.ledger._activity import (
    FAMILY_NAMES,
    Activity,
    ActivityBar,
    Period,
    family_of,
)
from caveat.services.ledger._audit import (
    EVENT_FACETS,
    EVENT_SORTS,
    TABLE_COUNT_CAP,
    WITHHELD,
    AuditEntry,
    AuditPage,
    AuditService,
    AuditTable,
    EventFacet,
    EventFilter,
    csv_cell,
)
from caveat.services.ledger._bundle import (
    BundleExporter,
    verify_bundle,
)
from caveat.services.ledger._monitoring import (
    Alert,
    AlertStatus,
    MonitoringService,
    MonitorRules,
)
from caveat.services.ledger._service import (
    TILE_WIDTH,
    CheckpointSchedule,
    ConsistencyProof,
    InclusionProof,
    LedgerService,
    StoredCheckpoint,
    b64,
    origin_for,
)
from caveat.services.ledger._verify import (
    LedgerVerifier,
    VerifyReport,
)
from caveat.services.ledger._witness import (
    HttpWitnessTransport,
    WitnessBadProof,
    WitnessBadRequest,
    WitnessBadSignature,
    WitnessOutcome,
    WitnessReply,
    WitnessRootMismatch,
    WitnessService,
    WitnessStaleSize,
    WitnessUnknownLog,
)
from caveat.services.ledger._worker import (
    LedgerWorker,
)

__all__ = [
    "EVENT_FACETS",
    "EVENT_SORTS",
    "FAMILY_NAMES",
    "TABLE_COUNT_CAP",
    "TILE_WIDTH",
    "WITHHELD",
    "Activity",
    "ActivityBar",
    "Alert",
    "AlertStatus",
    "AuditEntry",
    "AuditPage",
    "AuditService",
    "AuditTable",
    "BundleExporter",
    "CheckpointSchedule",
    "ConsistencyProof",
    "EventFacet",
    "EventFilter",
    "HttpWitnessTransport",
    "InclusionProof",
    "LedgerService",
    "LedgerVerifier",
    "LedgerWorker",
    "MonitorRules",
    "MonitoringService",
    "Period",
    "StoredCheckpoint",
    "VerifyReport",
    "WitnessBadProof",
    "WitnessBadRequest",
    "WitnessBadSignature",
    "WitnessOutcome",
    "WitnessReply",
    "WitnessRootMismatch",
    "WitnessService",
    "WitnessStaleSize",
    "WitnessUnknownLog",
    "b64",
    "csv_cell",
    "family_of",
    "origin_for",
    "verify_bundle",
]
