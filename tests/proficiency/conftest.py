from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from tests.proficiency.support import Trials, build
from tests.support import PASSWORD, FakeClock


@pytest.fixture
def trials(node: Node, clock: FakeClock) -> Trials:
    return build(node, clock)


@pytest.fixture
def http(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def signed_in(http: TestClient, trials: Trials) -> Callable[[str], CaveatClient]:
    """An SDK client signed in through the API as one of the trials' people."""

    def sign_in(username: str) -> CaveatClient:
        client = CaveatClient("http://testserver", http=TestClient(http.app))
        trials.clock.advance(seconds=30)
        client.login(username, PASSWORD, trials.world.code(trials.world.accounts[username]))
        return client

    return sign_in
