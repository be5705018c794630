"""Issue 11, reproductions 6, 7 and 8 (the agreement form) over the API and the CLI:
agreements are changed only by agreement managers of a party; credentials change only
in a session with a fresh second factor, never with an API token; a hidden agreement
text answers exactly as a missing one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.cli import remote
from caveat.cli.main import app as cli
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.domain.permissions import STEP_UP_WINDOW_S
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import PASSWORD, FakeClock, Scenario

CONSOLE = ConsoleOperator()
STALE = timedelta(seconds=STEP_UP_WINDOW_S + 60)


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    return Scenario(node, clock)


@pytest.fixture
def http(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client


def signed_in(http: TestClient, world: Scenario, account: NewAccount) -> CaveatClient:
    client = CaveatClient("http://testserver", http=TestClient(http.app))
    world.clock.advance(seconds=30)
    client.login(account.person.username, PASSWORD, world.code(account))
    return client


def go_stale(world: Scenario, client: CaveatClient) -> None:
    """Stay active (no idle time-out) until the sign-in's second factor is stale."""
    for _ in range(2):
        world.clock.advance(seconds=STEP_UP_WINDOW_S // 2 + 30)
        client.me()


def refused(call: Any) -> PermissionDenied:
    with pytest.raises(PermissionDenied) as info:
        call()
    return info.value


# --- reproduction 7: tokens take over the second factor ---------------------------------


def test_a_write_token_cannot_change_credentials(http: TestClient, world: Scenario) -> None:
    """A write-scope API token alone replaced the TOTP authenticator, issued new recovery
    codes, revoked all sessions and (with the current password) changed the password."""
    alice = world.person("alice")
    session = signed_in(http, world, alice)
    secret = session.create_token("script", ["read", "write"], expires_in_days=1)["secret"]
    token = CaveatClient("http://testserver", token=secret, http=TestClient(http.app))
    attempts = {
        "credential.authenticator": lambda: token.confirm_totp_enrolment("ticket", "123456"),
        "credential.recovery_codes": token.new_recovery_codes,
        "credential.revoke_sessions": token.revoke_all_sessions,
        "credential.password": lambda: token.change_password(PASSWORD, "amber-meadow-falcon-77"),
        "token.create": lambda: token.create_token("child", ["read"]),
        "token.revoke": lambda: token.revoke_token(session.tokens()[0]["id"]),
    }
    for action, attempt in attempts.items():
        denied = refused(attempt)
        assert denied.code == "step_up_required", action
        assert denied.data["action"] == action
        assert "second factor" in denied.data["rule"]
    # Nothing changed: the session lives, the password and the token stand.
    assert session.me()["username"] == "alice"
    assert token.me()["username"] == "alice"
    signed_in(http, world, alice)  # the old password and authenticator still sign in
    # A token cannot step up either: it carries no second factor.
    world.clock.advance(seconds=30)
    with pytest.raises(CaveatError) as no_factor:
        token.step_up(world.code(alice))
    assert no_factor.value.code == "not_a_session"


def test_a_stale_session_steps_up_then_changes_credentials(
    http: TestClient, world: Scenario
) -> None:
    alice = world.person("alice")
    client = signed_in(http, world, alice)
    made = client.create_token("fresh", ["read"], expires_in_days=1)  # just signed in: fresh
    go_stale(world, client)
    for attempt in (
        client.new_recovery_codes,
        lambda: client.revoke_token(made["token"]["id"]),
        lambda: client.change_password(PASSWORD, "amber-meadow-falcon-77"),
    ):
        denied = refused(attempt)
        assert denied.code == "step_up_required"
        assert "second factor" in (denied.hint or "")
    world.clock.advance(seconds=30)
    client.step_up(world.code(alice))
    assert len(client.new_recovery_codes()) == 10
    assert client.revoke_token(made["token"]["id"])["revoked_at"] is not None
    client.change_password(PASSWORD, "amber-meadow-falcon-77")


def test_a_forced_password_change_right_after_sign_in_is_fresh(
    http: TestClient, world: Scenario
) -> None:
    bob = world.person("bob", nations=("GBR",), password=None)
    assert bob.one_time_password is not None
    client = CaveatClient("http://testserver", http=TestClient(http.app))
    world.clock.advance(seconds=30)
    assert client.login("bob", bob.one_time_password, world.code(bob))["must_change_password"]
    client.change_password(bob.one_time_password, "amber-meadow-falcon-77")
    assert not client.me()["must_change_password"]


def test_the_cli_asks_for_a_fresh_code(
    http: TestClient, world: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`caveat token create` and `caveat passwd` use the session of `caveat login`: fresh
    for 15 minutes, then they say how to go on, and --otp steps up first."""
    alice = world.person("alice")
    client = CaveatClient("http://testserver", http=TestClient(http.app))
    world.clock.advance(seconds=30)
    token = client.login("alice", PASSWORD, world.code(alice))["token"]

    def fresh_client() -> CaveatClient:  # what `caveat login` saved, one client per command
        return CaveatClient("http://testserver", token=token, http=TestClient(http.app))

    monkeypatch.setattr(remote, "_client", fresh_client)
    runner = CliRunner()
    ok = runner.invoke(cli, ["token", "create", "ci", "--scope", "read", "--json"])
    assert ok.exit_code == 0, ok.output
    go_stale(world, client)
    stale = runner.invoke(cli, ["token", "create", "ci2", "--scope", "read"])
    assert stale.exit_code == 3, stale.output
    assert "step_up_required" in stale.output
    assert "--otp" in stale.output
    world.clock.advance(seconds=30)
    stepped = runner.invoke(
        cli, ["token", "create", "ci2", "--scope", "read", "--otp", world.code(alice), "--json"]
    )
    assert stepped.exit_code == 0, stepped.output
    changed = runner.invoke(
        cli,
        [
            "passwd",
            "--current",
            PASSWORD,
            "--new",
            "amber-meadow-falcon-77",
            "--json",
        ],
    )
    assert changed.exit_code == 0, changed.output


# --- reproduction 6: agreements of others -------------------------------------------------


def _agreement(project: str, today: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "GBR-NOR arrangement",
        "kind": "project_arrangement",
        "effective_on": today,
        "max_level": 2,
        "party_nations": ["GBR", "NOR"],
        "projects": [project],
    }
    return fields | changes


def test_an_outsider_cannot_suspend_an_agreement(http: TestClient, world: Scenario) -> None:
    """agnes (ONERA, France, agreement manager) suspended the GBR-NOR arrangement."""
    onera, dstl = world.org("ONERA", "FRA"), world.org("Dstl", "GBR")
    manager = (Role.AGREEMENT_MANAGER,)
    agnes = world.person("agnes", nations=("FRA",), roles=manager, org=onera)
    gareth = world.person("gareth", nations=("GBR",), roles=manager, org=dstl)
    project = world.node.projects.create_project(CONSOLE, CallContext.cli(), name="Radar").id
    today = world.clock().date().isoformat()
    uk = signed_in(http, world, gareth)
    made = uk.create_agreement(**_agreement(project, today))
    uk.move_agreement(made["id"], "activate", "signed by both parties")
    france = signed_in(http, world, agnes)
    for attempt in (
        lambda: france.move_agreement(made["id"], "suspend", "we object"),
        lambda: france.create_agreement(**_agreement(project, today, name="Another")),
    ):
        denied = refused(attempt)
        assert denied.code == "not_a_party"
        assert "party to the agreement" in denied.data["rule"]
    assert uk.agreement(made["id"])["status"] == "in_force"


# --- reproduction 8 (part): the agreement form as an existence oracle -----------------------


def test_a_hidden_text_and_a_missing_one_answer_alike(http: TestClient, world: Scenario) -> None:
    afrl, onera = world.org(), world.org("ONERA", "FRA")
    agnes = world.person("agnes", nations=("FRA",), roles=(Role.AGREEMENT_MANAGER,), org=onera)
    node, day = world.node, world.clock().date()
    project = node.projects.create_project(CONSOLE, CallContext.cli(), name="Radar").id
    node.projects.add_member(CONSOLE, CallContext.cli(), project, "agnes")
    hidden = node.catalogue.register(
        CONSOLE,
        CallContext.cli(),
        project=project,
        kind="document",
        title="US-only annex",
        label=parse_marking("SECRET//NOFORN", groups=node.registry.directory(), on=day),
        originator=afrl,
    ).id
    world.clock.advance(seconds=30)
    login = {"username": "agnes", "password": PASSWORD, "otp": world.code(agnes)}
    token = http.post("/api/v1/auth/login", json=login).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    answers = []
    for ref in (hidden, str(uuid.uuid4())):
        response = http.post(
            "/api/v1/agreements",
            headers=bearer,
            json=_agreement(
                project,
                day.isoformat(),
                name="FRA-GBR MoU",
                party_nations=["FRA", "GBR"],
                text_resource_id=ref,
            ),
        )
        problem = response.json()
        answers.append((response.status_code, problem["code"], problem["detail"].replace(ref, "?")))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (404, "unknown_resource")
    assert "releasable" not in answers[0][2]
