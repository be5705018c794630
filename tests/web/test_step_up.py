"""Step-up: when a SECRET read needs a fresher second factor, the page asks for a code
and the session carries on (no sign-out); a wrong code counts as a failed attempt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.services.kernel.principal import ConsoleOperator, Scope
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from tests.support import Scenario
from tests.web.conftest import Browser
from tests.web.content import PROJECT, UK_LAB, Content


def test_a_stale_second_factor_is_refreshed_in_the_page(
    browser: Browser, node: Node, world: Scenario
) -> None:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    content = Content(world, node, PROJECT)
    content.member("sam", nations=("GBR", "USA"), lab=UK_LAB)
    content.put("sam", title="Shock tube data", label="SECRET//REL TO USA, GBR")
    artifact = content.artifact_id("Shock tube data")
    browser.sign_in(content.accounts["sam"])
    assert "Confirm it is you" not in browser.client.get(f"/artifacts/{artifact}").text
    # SECRET needs a second factor from the last hour; stay active past it.
    for _ in range(3):
        world.clock.advance(minutes=25)
        browser.client.get("/")
    page = browser.client.get(f"/artifacts/{artifact}").text
    assert "Confirm it is you" in page
    assert 'action="/step-up"' in page
    wrong: Any = browser.post("/step-up", {"otp": "000000", "next": f"/artifacts/{artifact}"})
    assert wrong.status_code == 303
    assert "Code%20not%20accepted" in wrong.headers["location"]
    assert "Confirm it is you" in browser.client.get(f"/artifacts/{artifact}").text
    world.clock.advance(seconds=30)
    code = world.code(content.accounts["sam"])
    done: Any = browser.post("/step-up", {"otp": code, "next": "https://evil.example/"})
    assert done.headers["location"].startswith("/?done=")  # never off-site
    assert "Confirm it is you" not in browser.client.get(f"/artifacts/{artifact}").text
    kinds = [
        (e.outcome, e.type)
        for e in node.audit.search(ConsoleOperator(), EventFilter(action="auth.step_up")).entries
    ]
    assert kinds == [("success", "auth.step_up"), ("failure", "auth.step_up")]


def test_the_api_steps_up_and_tokens_cannot(node: Node, world: Scenario) -> None:
    account = world.person("sam")
    session = world.login(account)
    principal = node.auth.authenticate(CallContext("test", "10.0.0.1"), session.token)
    token = node.tokens.create(
        principal,
        CallContext.cli(),
        name="script",
        scopes=[Scope.READ, Scope.WRITE],
        lifetime=timedelta(days=1),
    )
    with TestClient(create_app(node), raise_server_exceptions=False) as http:
        world.clock.advance(seconds=30)
        ok = http.post(
            "/api/v1/auth/step-up",
            json={"otp": world.code(account)},
            headers={"Authorization": f"Bearer {session.token}"},
        )
        assert ok.status_code == 200, ok.text
        refused = http.post(
            "/api/v1/auth/step-up",
            json={"otp": "123456"},
            headers={"Authorization": f"Bearer {token.secret}"},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "not_a_session"
