from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from fastapi.testclient import TestClient

from caveat.bootstrap.container import Node
from caveat.server import create_server
from caveat.services.identity._people import NewAccount
from tests.support import PASSWORD, FakeClock, Scenario

_HIDDEN = re.compile(r'name="csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    match = _HIDDEN.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


class Browser:
    """A TestClient that signs in through the login form, as a person would."""

    def __init__(self, client: TestClient, world: Scenario) -> None:
        self.client = client
        self.world = world
        self.csrf = ""

    def sign_in(self, account: NewAccount, password: str = PASSWORD) -> str:
        form = self.client.get("/login")
        self.world.clock.advance(seconds=30)
        response = self.client.post(
            "/login",
            data={
                "csrf": csrf_of(form.text),
                "username": account.person.username,
                "password": password,
                "otp": self.world.code(account),
                "next": "/",
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        page = self.client.get(response.headers["location"])
        self.csrf = csrf_of(page.text)
        return str(response.headers["location"])

    def post(self, path: str, data: Mapping[str, object] | None = None, **kwargs: Any) -> Any:
        payload = {"csrf": self.csrf, **(data or {})}
        return self.client.post(path, data=payload, follow_redirects=False, **kwargs)


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    return Scenario(node, clock)


@pytest.fixture
def browser(node: Node, world: Scenario) -> Iterator[Browser]:
    with TestClient(create_server(node), raise_server_exceptions=False) as client:
        yield Browser(client, world)
