"""A node's federation service speaking through another transport (a partner's app in
this process, a transport that lies, one that trusts a test CA)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.api.app import create_app
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.services.federation import FederationService, PeerReleases
from caveat.services.kernel.ports import PeerTransport
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import WitnessReply
from tests.support import FakeClock, migrated_sqlite

CONSOLE = ConsoleOperator()


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


@dataclass
class Pair:
    """Node A (the session's database) and node B (SQLite), peered both ways; ``b_http``
    is B's API, ``a_link`` A's federation service speaking to it."""

    a: Node
    b: Node
    b_http: TestClient
    a_link: FederationService
    a_key: Ed25519PrivateKey


def _peer(at: Node, other: Node, name: str, nation: str, endpoint: str) -> None:
    """``at`` records and accepts ``other``'s descriptor (the console may do both)."""
    made = other.federation.descriptor(
        CONSOLE, name=name, nation=nation, organisation=f"{name} lab", endpoint=endpoint
    )
    ctx = CallContext.cli()
    peer = at.federation.propose(CONSOLE, ctx, json.dumps(made.to_json()))
    at.federation.accept(CONSOLE, ctx, peer.id, made.fingerprint())


def make_pair(
    node: Node,
    clock: FakeClock,
    tmp_path: Path,
    *,
    b_nation: str = "USA",
    a_nation: str = "GBR",  # as B records A (its descriptor names a nation)
) -> Iterator[Pair]:
    b, _ = init_node(
        Settings(
            data_dir=tmp_path / "b",
            database_url=migrated_sqlite(tmp_path / "b.db"),
            hash_profile=HashProfile.TEST,
            node_name="node-b",
        ),
        FirstOperator(
            username="operatorb",  # a short name can be drawn into the one-time password
            display_name="Bob B",
            email="bob@b.example",
            organisation="Node B Operations",
            nation=b_nation,  # B's operating organisation: the nation it receives as
        ),
        clock=clock,
    )
    _peer(node, b, "node-b", b_nation, "https://b.example")
    _peer(b, node, "node-a", a_nation, "https://a.example")
    b_http = TestClient(create_app(b), base_url="https://b.example")
    link = linked(node, HttpPeerTransport(http=b_http))
    yield Pair(node, b, b_http, link, node.keys.federation_keys()[0])
    b.close()


class InProcessWitness:
    """C2SP add-checkpoint requests carried to a partner's app in this process."""

    def __init__(self, http: TestClient) -> None:
        self._http = http

    def add_checkpoint(self, url: str, body: str) -> WitnessReply:
        assert url == "https://b.example"  # the endpoint the peering names
        answer = self._http.post("/add-checkpoint", content=body.encode())
        media = answer.headers.get("content-type", "").split(";")[0]
        return WitnessReply(answer.status_code, media, answer.text)


def releases(node: Node, transport: PeerTransport) -> PeerReleases:
    """``node``'s sending and receiving, its requests carried by ``transport``."""
    return PeerReleases(
        uow=node.uow,
        keys=node.keys,
        policy=node.policy,
        artifacts=node.artifacts,
        transport=transport,
        monitoring=node.monitoring,
    )
