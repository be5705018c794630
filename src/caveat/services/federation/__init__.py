"""Federation: this node's descriptor and the partner nodes it peers with (issue 18).

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.federation._peers import FederationService, Peer

__all__ = ["FederationService", "Peer"]
