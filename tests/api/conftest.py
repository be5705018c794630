from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.services.identity._people import NewAccount
from tests.support import PASSWORD, FakeClock, Scenario


@pytest.fixture
def http(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    return Scenario(node, clock)


@pytest.fixture
def alice(world: Scenario) -> NewAccount:
    return world.person("alice")


@pytest.fixture
def signed_in(http: TestClient, world: Scenario, alice: NewAccount) -> CaveatClient:
    """An SDK client signed in as alice through the API."""
    client = CaveatClient("http://testserver", http=http)
    world.clock.advance(seconds=30)
    client.login("alice", PASSWORD, world.code(alice))
    return client


@pytest.fixture
def admin(http: TestClient, world: Scenario, operator: NewAccount) -> CaveatClient:
    """The node operator, signed in, with the one-time password changed."""
    client = CaveatClient("http://testserver", http=TestClient(http.app))
    world.clock.advance(seconds=30)
    assert operator.one_time_password is not None
    client.login("operator", operator.one_time_password, world.code(operator))
    client.change_password(operator.one_time_password, PASSWORD)
    return client
