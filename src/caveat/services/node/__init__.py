"""The node itself: its identity and signing keys (the demo scenario is
``caveat.services.demo``, which drives every feature through its entry point).

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.node._service import (
    NodeIdentity,
    create_identity,
    load_identity,
    new_node_id,
    operating_organisation,
    public_key_b64,
    record_operating_organisation,
)

__all__ = [
    "NodeIdentity",
    "create_identity",
    "load_identity",
    "new_node_id",
    "operating_organisation",
    "public_key_b64",
    "record_operating_organisation",
]
