"""Work queues and notifications over the API: raw HTTP (typed answers, 404 for another
person's notification), the SDK (``client.work``, ``client.notifications``) and the
command line (``caveat work``, ``caveat notifications``), as the demo's people."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.cli import main as cli_main
from caveat.cli import work as cli_work
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError, NotFound
from caveat.services import demo
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.work import KINDS
from tests.plans.support import World, ctx

SignIn = Callable[[str], CaveatClient]
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")


def _approve_demo_release(world: World) -> str:
    [pending] = world.node.releases.requests(ConsoleOperator())
    world.node.releases.classify(
        world.who("erin"), ctx(), pending.id, authorization=demo.DEMO_EAR_LICENCE
    )
    world.node.releases.decide(world.who("victor"), ctx(), pending.id, approve=True, reason="yes")
    return pending.id


def test_the_work_queue_over_the_api(world: World, signed_in: SignIn) -> None:
    erin = signed_in("erin").work.queue()
    assert list(erin["counts"]) == list(KINDS)  # every kind, zero included
    assert erin["counts"]["release_classify"] == 1
    assert erin["total"] == len(erin["items"]) == sum(erin["counts"].values())
    claire = signed_in("claire").work.queue(today=world.clock().date().isoformat())
    assert claire["counts"]["release_classify"] == 0
    for item in claire["items"]:
        assert set(item) == {"kind", "id", "text", "link", "due_on", "marking"}


def test_notifications_over_the_api(world: World, signed_in: SignIn, http: TestClient) -> None:
    release = _approve_demo_release(world)
    alice = signed_in("alice")
    found = alice.notifications.list()
    assert found["unread"] == 1
    [note] = found["notifications"]
    assert note["text"] == f"Your release request R-{release[:8]} was approved."
    assert note["read_at"] is None
    # Another person cannot mark it, nor learn that it exists: a 404 as for a made-up id.
    bob = signed_in("bob")
    with pytest.raises(CaveatError) as other:
        bob.notifications.mark_read(note["id"])
    with pytest.raises(CaveatError) as missing:
        bob.notifications.mark_read("00000000-0000-4000-8000-000000000000")
    assert type(other.value) is NotFound
    assert other.value.code == missing.value.code == "unknown_notification"
    assert bob.notifications.list()["notifications"] == []
    raw = http.post(
        f"/api/v1/notifications/{note['id']}/read",
        headers={"Authorization": bob._http.headers["Authorization"]},
    )
    assert raw.status_code == 404
    assert raw.json()["code"] == "unknown_notification"
    assert alice.notifications.list(unread=True)["unread"] == 1
    done = alice.notifications.mark_read(note["id"])
    assert done["read_at"] is not None
    assert alice.notifications.list(unread=True) == {"unread": 0, "notifications": []}


def test_a_read_only_token_reads_but_does_not_mark(
    world: World, signed_in: SignIn, http: TestClient
) -> None:
    _approve_demo_release(world)
    alice = signed_in("alice")
    [note] = alice.notifications.list()["notifications"]
    issued = alice.account.create_token("read only", scopes=["read"])
    reader = CaveatClient("http://testserver", token=issued.secret, http=TestClient(http.app))
    assert reader.notifications.list()["unread"] == 1
    with pytest.raises(CaveatError) as refused:
        reader.notifications.mark_read(note["id"])
    assert refused.value.code == "scope_missing"


class As:
    """Runs `caveat work` or `caveat notifications` as a signed-in person, in process."""

    def __init__(self, http: TestClient, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch):
        self.http, self.signed_in, self.monkeypatch = http, signed_in, monkeypatch

    def __call__(self, who: str, *args: str, code: int = 0) -> Any:
        client = self.signed_in(who)
        token = client._http.headers["Authorization"].removeprefix("Bearer ")
        self.monkeypatch.setattr(
            cli_work,
            "_client",
            lambda: CaveatClient("http://testserver", token=token, http=TestClient(self.http.app)),
        )
        result = CliRunner().invoke(cli_main.app, [*args, "--json"])
        assert result.exit_code == code, result.stdout
        lines = [line for line in result.stdout.splitlines() if not LOG_LINE.match(line)]
        return json.loads("\n".join(lines))


def test_work_and_notifications_on_the_command_line(
    world: World, http: TestClient, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = As(http, signed_in, monkeypatch)
    assert run("erin", "work")["counts"]["release_classify"] == 1
    assert run("ingrid", "work")["counts"]["screening_hit"] == 1
    found = run("oskar", "notifications")
    assert found["unread"] == 1
    [note] = found["notifications"]
    assert note["kind"] == "screening.hold_placed"
    refused = run("ingrid", "notifications", "read", note["id"], code=4)
    assert refused["error"]["code"] == "unknown_notification"
    assert run("oskar", "notifications", "read", note["id"])["read_at"] is not None
    assert run("oskar", "notifications", "--unread")["notifications"] == []


def test_the_commands_print_for_people(
    world: World, http: TestClient, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = signed_in("ingrid")
    token = client._http.headers["Authorization"].removeprefix("Bearer ")
    monkeypatch.setattr(
        cli_work,
        "_client",
        lambda: CaveatClient("http://testserver", token=token, http=TestClient(http.app)),
    )
    work = CliRunner().invoke(cli_main.app, ["work"])
    assert work.exit_code == 0, work.stdout
    assert "screening hit" in work.stdout
    notes = CliRunner().invoke(cli_main.app, ["notifications"])
    assert notes.exit_code == 0, notes.stdout
    assert "1 unread" in notes.stdout
