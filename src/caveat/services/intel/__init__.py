"""Threat intelligence: the TAXII 2.1 server over labelled STIX 2.1 objects (issue 20,
ADR 0023).

Collections belong to projects; every stored object version is a catalogue resource, so
the one policy decides every read inside the query, and every write and read is in the
ledger. STIX itself (parsing, labels, markings) is the domain's (``caveat.domain.stix``,
ADR 0021), imported only when objects are read or written, so commands that never touch
STIX do not load the stix2 library.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.intel._browse import Entry, Link, Listing, ObjectPage
from caveat.services.intel._filters import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Endpoint,
    Filters,
    added_time,
    read_filters,
    stix_time,
)
from caveat.services.intel._service import TaxiiService
from caveat.services.intel._subscriptions import (
    PollResult,
    Refusal,
    Subscription,
    SubscriptionService,
)
from caveat.services.intel._views import (
    API_ROOT,
    MAX_CONTENT_LENGTH,
    MEDIA_STIX,
    MEDIA_TAXII,
    Collection,
    Outcome,
    Page,
    Status,
    Version,
)

__all__ = [
    "API_ROOT",
    "DEFAULT_LIMIT",
    "MAX_CONTENT_LENGTH",
    "MAX_LIMIT",
    "MEDIA_STIX",
    "MEDIA_TAXII",
    "Collection",
    "Endpoint",
    "Entry",
    "Filters",
    "Link",
    "Listing",
    "ObjectPage",
    "Outcome",
    "Page",
    "PollResult",
    "Refusal",
    "Status",
    "Subscription",
    "SubscriptionService",
    "TaxiiService",
    "Version",
    "added_time",
    "read_filters",
    "stix_time",
]
