from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.bootstrap.settings import Settings
from caveat.client import CaveatClient
from caveat.services import demo
from caveat.services.identity._people import NewAccount
from tests.plans.support import Seed, World, seed, world_of
from tests.snapshots import Seeded, seeded
from tests.support import FakeClock


@pytest.fixture
def seeded_plans(settings: Settings, clock: FakeClock) -> Iterator[Seeded[Seed]]:
    """The demo's people, projects and plan (restored from a snapshot after the first test)."""
    with seeded("plans", seed, settings, clock) as made:
        yield made


@pytest.fixture
def initialised(seeded_plans: Seeded[Seed]) -> tuple[Node, NewAccount]:
    return seeded_plans.node, seeded_plans.operator


@pytest.fixture
def world(seeded_plans: Seeded[Seed], clock: FakeClock) -> World:
    return world_of(seeded_plans.node, clock, seeded_plans.made)


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
