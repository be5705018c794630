"""A node's federation service speaking through another transport (a partner's app in
this process, a transport that lies, one that trusts a test CA)."""

from __future__ import annotations

from caveat.bootstrap.container import Node
from caveat.services.federation import FederationService
from caveat.services.kernel.ports import PeerTransport


def linked(node: Node, transport: PeerTransport) -> FederationService:
    """``node``'s federation service, its requests carried by ``transport``."""
    return FederationService(
        uow=node.uow,
        keys=node.keys,
        requests=node.federation.requests,
        transport=transport,
        policy=node.policy,
        ledger=node.ledger,
        witnesses=node.witnesses,
    )
