"""Plans over the API with the SDK (``client.plans``) and the command line
(``caveat plan``), as the demo's people: each reads what the policy lets them read."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.cli import main as cli_main
from caveat.cli import plans as cli_plans
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError, NotFound
from caveat.services import demo
from tests.plans.support import PROJECT, World

SignIn = Callable[[str], CaveatClient]
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")


def test_each_reader_gets_their_plan(world: World, signed_in: SignIn) -> None:
    alice, claire = signed_in("alice"), signed_in("claire")
    mine = alice.plans.get(PROJECT)
    assert [w["number"] for w in mine["work_packages"]] == [1, 2]
    assert mine["marking"].startswith("SECRET//REL TO USA, GBR")
    assert mine["may_edit"] is True
    theirs = claire.plans.get(PROJECT)
    assert [w["number"] for w in theirs["work_packages"]] == [1]
    assert theirs["may_edit"] is False
    afrl = {s["organisation"]: s for s in mine["shares"]}["AFRL"]
    assert (afrl["share_percent"], afrl["agreed_percent"], afrl["over"]) == (30.0, 30.0, False)


def test_refusals_keep_their_codes(world: World, signed_in: SignIn) -> None:
    alice, claire, lars = signed_in("alice"), signed_in("claire"), signed_in("lars")
    secret_wp = world.work_packages[1]
    day = world.clock().date().isoformat()
    with pytest.raises(CaveatError) as hidden:
        claire.plans.add_task(secret_wp, title="x", label="UNCLASSIFIED", due_on=day)
    with pytest.raises(CaveatError) as absent:
        claire.plans.add_task(
            "00000000-0000-4000-8000-000000000000", title="x", label="UNCLASSIFIED", due_on=day
        )
    assert hidden.value.code == absent.value.code == "unknown_plan_item"
    assert type(hidden.value) is NotFound
    with pytest.raises(CaveatError) as denied:
        claire.plans.add_task(world.work_packages[0], title="x", label="UNCLASSIFIED", due_on=day)
    assert denied.value.code == "policy_denied"
    with pytest.raises(CaveatError) as outsider:
        lars.plans.get(PROJECT)
    assert outsider.value.code == "unknown_project"
    with pytest.raises(CaveatError) as over:
        alice.plans.add_work_package(
            PROJECT,
            title="More",
            label="UNCLASSIFIED",
            lead_organisation="AFRL",
            starts_on=day,
            ends_on=day,
            efforts={"AFRL": "99"},
        )
    assert over.value.code == "work_share_over_agreement"


def test_the_agenda_counts_from_the_given_day(world: World, signed_in: SignIn) -> None:
    bob = signed_in("bob")
    today = world.clock().date()
    found = bob.plans.agenda(today=today.isoformat())
    # the agenda tells a member of the plan's milestones too (his queue holds his task)
    assert [i["title"] for i in found["overdue"]] == [
        "Calibrate the passive array",
        demo.OVERDUE_MILESTONE,
    ]
    earlier = bob.plans.agenda(today=(today - timedelta(days=10)).isoformat())
    assert earlier["overdue"] == []


class As:
    """Runs `caveat plan ...` as a signed-in person, against the app in process."""

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
            cli_plans,
            "_client",
            lambda: CaveatClient("http://testserver", token=token, http=TestClient(self.http.app)),
        )
        result = CliRunner().invoke(cli_main.app, ["plan", *args, "--json"])
        assert result.exit_code == code, result.stdout
        lines = [line for line in result.stdout.splitlines() if not LOG_LINE.match(line)]
        return json.loads("\n".join(lines))


def test_plan_on_the_command_line(
    world: World, http: TestClient, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = As(http, signed_in, monkeypatch)
    day = world.clock().date().isoformat()
    wp = run(
        "alice", "add", "work-package", PROJECT, "--title", "Field trial", "--label",
        "UNCLASSIFIED", "--lead", "DSTL", "--start", day, "--end", day,
        "--effort", "AFRL=3", "--effort", "DSTL=2", "--effort", "ONERA=1.5",
        "--effort", "WTD81=1.5", "--effort", "FFI=1", "--effort", "NORTHWIND=0.4",
        "--effort", "ASTER=0.4", "--effort", "NIT=0.2",
    )  # fmt: skip
    assert wp["number"] == 3
    task = run(
        "alice", "add", "task", wp["id"], "--title", "Ship the array", "--label",
        "UNCLASSIFIED", "--due", day, "--assignee", "bob",
    )  # fmt: skip
    assert run("bob", "move", task["id"], "start")["status"] == "in_progress"
    refused = run("claire", "move", task["id"], "finish", code=3)
    assert refused["error"]["code"] == "policy_denied"
    m = run("alice", "add", "milestone", wp["id"], "--title", "Go", "--label", "UNCLASSIFIED",
            "--due", day)  # fmt: skip
    assert run("alice", "achieve", m["id"])["achieved_on"] == day
    d = run("alice", "add", "deliverable", wp["id"], "--title", "Data", "--label",
            "UNCLASSIFIED", "--due", day)  # fmt: skip
    missing = run("alice", "deliver", d["id"], "no-such-artifact", code=4)
    assert missing["error"]["code"] == "unknown_artifact"
    listed = run("claire", "list", PROJECT)
    assert [w["number"] for w in listed["work_packages"]] == [1, 3]
    assert run("bob", "agenda", "--today", day)["upcoming"]
