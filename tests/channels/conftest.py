"""Channel tests run on each broker: the in-process one, and NATS JetStream on a
nats-server of the test's own (never the shared one on 4222)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from caveat.bootstrap.container import Node
from tests.channels.nats_server import NatsServer, nats_server_binary
from tests.channels.support import Alliance, build
from tests.support import FakeClock


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One nats-server with JetStream on a free port for this test session."""
    if nats_server_binary() is None:
        pytest.skip("nats-server is not installed")
    with NatsServer(tmp_path_factory.mktemp("nats")) as server:
        yield server.url


@pytest.fixture(params=["memory", "nats"])
def broker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def alliance(
    node: Node, clock: FakeClock, broker_kind: str, request: pytest.FixtureRequest
) -> Alliance:
    if broker_kind == "nats":
        from caveat.adapters.channels.nats import NatsBroker

        url = request.getfixturevalue("nats_url")
        node.channels.broker = NatsBroker(servers=[url])
    node.channels.refresh_seconds = 0.3
    return build(node, clock)
