from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.services import demo
from tests.plans.support import World, build  # the demo, as the plan tests build it
from tests.support import FakeClock


@pytest.fixture
def world(node: Node, clock: FakeClock) -> World:
    return build(node, clock)


@pytest.fixture
def http(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def signed_in(http: TestClient, world: World) -> Callable[[str], CaveatClient]:
    """An SDK client signed in through the API as one of the demo's people."""

    def sign_in(username: str) -> CaveatClient:
        client = CaveatClient("http://testserver", http=TestClient(http.app))
        world.clock.advance(seconds=30)
        scenario = world.scenario
        client.login(username, demo.DEMO_PASSWORD, scenario.code(scenario.accounts[username]))
        return client

    return sign_in
