"""Mail of notifications through the interfaces: a person's own setting over the API,
the SDK, `caveat notifications email` and the account page; the operator's
`caveat mail status`, `send` and `test` from the node's console."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.bootstrap.settings import Settings
from caveat.cli import main as cli_main
from caveat.cli import work as cli_work
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError
from caveat.server import create_server
from caveat.services import demo
from caveat.services.kernel.principal import ConsoleOperator
from tests.cli.remote_support import LOG_LINE
from tests.notifications.conftest import SmtpServer
from tests.plans.support import World, ctx
from tests.web.conftest import Browser, csrf_of

SignIn = Callable[[str], CaveatClient]


@pytest.fixture
def http(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def signed_in(http: TestClient, world: World) -> SignIn:
    def sign_in(username: str) -> CaveatClient:
        client = CaveatClient("http://testserver", http=TestClient(http.app))
        world.clock.advance(seconds=30)
        scenario = world.scenario
        client.login(username, demo.DEMO_PASSWORD, scenario.code(scenario.accounts[username]))
        return client

    return sign_in


def _json(stdout: str) -> Any:
    return json.loads("\n".join(s for s in stdout.splitlines() if not LOG_LINE.match(s)))


def test_a_person_turns_mail_off_and_on_over_the_api(
    world: World, signed_in: SignIn, http: TestClient
) -> None:
    alice = signed_in("alice")
    assert alice.notifications.email() == {"email": True, "node_mails": True}
    assert alice.notifications.set_email(False) == {"email": False, "node_mails": True}
    assert not world.node.notifications.mail_wanted(world.who("alice"))
    assert world.node.notifications.mail_wanted(world.who("bob"))  # only her own
    issued = alice.account.create_token("read only", scopes=["read"])
    reader = CaveatClient("http://testserver", token=issued.secret, http=TestClient(http.app))
    assert reader.notifications.email()["email"] is False
    with pytest.raises(CaveatError) as refused:
        reader.notifications.set_email(True)
    assert refused.value.code == "scope_missing"
    assert alice.notifications.set_email(True)["email"] is True


def test_a_person_turns_mail_off_on_the_command_line(
    world: World, signed_in: SignIn, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in("bob")
    token = client._http.headers["Authorization"].removeprefix("Bearer ")
    monkeypatch.setattr(
        cli_work,
        "_client",
        lambda: CaveatClient("http://testserver", token=token, http=TestClient(http.app)),
    )
    off = CliRunner().invoke(cli_main.app, ["notifications", "email", "off", "--json"])
    assert off.exit_code == 0, off.stdout
    assert _json(off.stdout) == {"email": False, "node_mails": True}
    shown = CliRunner().invoke(cli_main.app, ["notifications", "email"])
    assert "e-mail of your notifications: off" in shown.stdout
    wrong = CliRunner().invoke(cli_main.app, ["notifications", "email", "maybe"])
    assert wrong.exit_code != 0
    assert not world.node.notifications.mail_wanted(world.who("bob"))


def test_a_person_turns_mail_off_on_the_account_page(node: Node, world: World) -> None:
    with TestClient(create_server(node), raise_server_exceptions=False) as client:
        browser = Browser(client, world.scenario)
        browser.sign_in(world.scenario.accounts["lars"], password=demo.DEMO_PASSWORD)
        page = client.get("/account")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert "E-mail of notifications" in text
        assert "Stop mailing my notifications" in text
        browser.csrf = csrf_of(page.text)
        done = browser.post("/account/email", {"email": "off"})
        assert done.status_code == 303
        assert not node.notifications.mail_wanted(world.who("lars"))
        assert "Mail my notifications to me" in client.get("/account").text
        assert browser.post("/account/email", {"email": "sideways"}).status_code in (400, 422)


@pytest.fixture
def console(
    settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Any]:
    """Runs `caveat --data-dir DIR ...` in process, with the node's mail settings."""
    monkeypatch.setenv("CAVEAT_DATABASE_URL", database_url)
    monkeypatch.setenv("CAVEAT_HASH_PROFILE", "test")
    for name in ("smtp_host", "smtp_port", "smtp_security", "smtp_from", "mail_base_url"):
        monkeypatch.setenv(f"CAVEAT_{name.upper()}", str(getattr(settings, name)))

    def run(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(
            cli_main.app, ["--data-dir", str(settings.data_dir), *args, "--json"]
        )
        assert result.exit_code == code, result.stdout
        return _json(result.stdout)

    return run


def test_the_operator_sees_the_outbox_and_sends_a_test_mail(
    world: World, smtp: SmtpServer, console: Callable[..., Any]
) -> None:
    [pending] = world.node.releases.requests(ConsoleOperator())
    world.node.releases.classify(
        world.who("erin"), ctx(), pending.id, authorization=demo.DEMO_EAR_LICENCE
    )
    world.node.releases.decide(
        world.who("victor"), ctx(), pending.id, approve=True, reason="agreed"
    )
    status = console("mail", "status")
    assert status["enabled"] is True
    assert status["counts"]["pending"] >= 1
    assert "alice" in {e["recipient"] for e in status["unsent"]}
    sent = console("mail", "send")
    assert sent["sent"] >= 1
    assert console("mail", "status")["counts"]["pending"] == 0

    assert console("mail", "test", "--to", "ops@node.test.example")["sent_to"]
    assert len(smtp.inbox.to("ops@node.test.example")) == 1
    smtp.stop()
    down = console("mail", "test", "--to", "ops@node.test.example", code=1)
    assert down["error"]["code"] == "mail_unavailable"
