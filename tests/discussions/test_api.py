"""Discussions over the API with the SDK (``client.discussions``) and the command line
(``caveat discuss``), as the demo's people: the marking follows the reader."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.cli import discussions as cli_discussions
from caveat.cli import main as cli_main
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError, NotFound
from tests.discussions.support import PROJECT, World

SignIn = Callable[[str], CaveatClient]
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")


def test_the_marking_rolls_up_what_each_reader_sees(world: World, signed_in: SignIn) -> None:
    alice, bob, claire = signed_in("alice"), signed_in("bob"), signed_in("claire")
    started = alice.discussions.start(
        project=PROJECT,
        title="Trial window",
        title_label="UNCLASSIFIED",
        text="Kick-off",
        label="UNCLASSIFIED",
    )
    d = started["discussion"]["id"]
    alice.discussions.post(d, text="range slot 3", label="SECRET//REL TO USA, GBR")
    alice.discussions.post(d, text="US only", label="SECRET//NOFORN")
    markings = {
        who: c.discussions.get(d)["marking"]
        for who, c in [("alice", alice), ("bob", bob), ("claire", claire)]
    }
    assert markings["alice"].startswith("SECRET//NOFORN")
    assert markings["bob"].startswith("SECRET//REL TO USA, GBR")
    assert markings["claire"].startswith("NON PROTÉGÉ")  # the French scheme's unclassified
    assert [m["current"]["text"] for m in bob.discussions.get(d)["messages"]] == [
        "Kick-off",
        "range slot 3",
    ]
    listed = {x["id"]: x for x in claire.discussions.list(project=PROJECT)}
    assert listed[d]["messages"] == 1


def test_refusals_keep_their_codes(world: World, signed_in: SignIn) -> None:
    alice, claire = signed_in("alice"), signed_in("claire")
    d = alice.discussions.start(
        project=PROJECT, title="t", title_label="SECRET//NOFORN", text="x", label="SECRET//NOFORN"
    )["discussion"]["id"]
    message = alice.discussions.post(d, text="v1", label="SECRET//NOFORN")
    with pytest.raises(CaveatError) as hidden:
        claire.discussions.get(d)
    with pytest.raises(CaveatError) as absent:
        claire.discussions.get("00000000-0000-4000-8000-000000000000")
    assert hidden.value.code == absent.value.code == "unknown_discussion"
    assert type(hidden.value) is type(absent.value) is NotFound
    with pytest.raises(CaveatError) as loosened:
        alice.discussions.edit(message["id"], text="v2", label="SECRET//REL TO USA, GBR")
    assert loosened.value.code == "edit_loosens_label"
    with pytest.raises(CaveatError) as mention:
        alice.discussions.post(d, text="@claire look", label="SECRET//NOFORN")
    assert mention.value.code == "mention_refused"
    edited = alice.discussions.edit(message["id"], text="v2", label="SECRET//NOFORN")
    assert edited["current"]["number"] == 2
    assert [v["text"] for v in alice.discussions.history(message["id"])["versions"]] == ["v1", "v2"]


class As:
    """Runs `caveat discuss ...` as a signed-in person, against the app in process."""

    def __init__(self, http: TestClient, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch):
        self.http = http
        self.signed_in = signed_in
        self.tokens: dict[str, str] = {}
        self.monkeypatch = monkeypatch

    def __call__(self, who: str, *args: str, code: int = 0) -> Any:
        if who not in self.tokens:
            client = self.signed_in(who)
            self.tokens[who] = client._http.headers["Authorization"].removeprefix("Bearer ")
        token = self.tokens[who]
        self.monkeypatch.setattr(
            cli_discussions,
            "_client",
            lambda: CaveatClient("http://testserver", token=token, http=TestClient(self.http.app)),
        )
        result = CliRunner().invoke(cli_main.app, ["discuss", *args, "--json"])
        assert result.exit_code == code, result.stdout
        lines = [line for line in result.stdout.splitlines() if not LOG_LINE.match(line)]
        return json.loads("\n".join(lines))


def test_discuss_on_the_command_line(
    world: World, http: TestClient, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = As(http, signed_in, monkeypatch)
    started = run(
        "alice", "post", "Kick-off", "--label", "UNCLASSIFIED", "--project", PROJECT,
        "--title", "Trial window",
    )  # fmt: skip
    d = started["discussion"]["id"]
    posted = run(
        "alice", "post", "@bob slot 3?", "--label", "SECRET//REL TO USA, GBR", "--discussion", d
    )
    assert posted["current"]["mentions"] == ["bob"]
    assert [m["discussion_id"] for m in run("bob", "mentions")] == [d]
    assert [x["id"] for x in run("bob", "list")] == [d]
    shown = run("claire", "list", d)
    assert [m["current"]["text"] for m in shown["messages"]] == ["Kick-off"]
    edited = run(
        "alice", "edit", posted["id"], "@bob slot 4?", "--label", "SECRET//REL TO USA, GBR"
    )
    assert edited["edited"] is True
    refused = run("alice", "edit", posted["id"], "slot 4", "--label", "UNCLASSIFIED", code=3)
    assert refused["error"]["code"] == "edit_loosens_label"
