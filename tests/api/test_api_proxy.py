"""Behind a trusted TLS proxy the client address comes from X-Forwarded-For, so one
client's failed sign-ins throttle that client and not everyone behind the proxy; a
forwarded header from anyone else is never believed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node


def _fail(http: TestClient, i: int, address: str) -> int:
    body = {"username": f"nobody{i}", "password": "wrong-password-1234", "otp": "000000"}
    answer = http.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address})
    return int(answer.status_code)


@pytest.fixture
def behind_proxy(node: Node) -> Iterator[TestClient]:
    # The test client connects as "testclient": that is the trusted proxy here.
    node.settings = node.settings.model_copy(update={"forwarded_allow_ips": ["testclient"]})
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client


def test_failures_throttle_the_forwarded_client_only(behind_proxy: TestClient, node: Node) -> None:
    """Reproduction: behind a proxy ~20 bad sign-ins from anyone locked every user out."""
    threshold = node.settings.address_threshold
    assert {_fail(behind_proxy, i, "203.0.113.5") for i in range(threshold)} == {401}
    assert _fail(behind_proxy, 99, "203.0.113.5") == 429
    assert _fail(behind_proxy, 100, "203.0.113.6") == 401  # the next client is not locked out


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted(
    http: TestClient, node: Node
) -> None:
    threshold = node.settings.address_threshold
    for i in range(threshold):
        _fail(http, i, f"198.51.100.{i}")  # a client cannot pick a fresh address per try
    assert _fail(http, 99, "198.51.100.200") == 429
