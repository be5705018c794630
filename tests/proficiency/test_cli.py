"""`caveat proficiency ...` as signed-in people against the node's API (in process): a
procedure drafted and approved, a round opened, results submitted by option and by file,
the close and the scores, a plot written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.cli import main as cli_main
from caveat.cli import proficiency as cli_proficiency
from caveat.client import CaveatClient
from tests.proficiency.support import PROJECT, VALUES, Trials

SignIn = Callable[[str], CaveatClient]
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")


class As:
    """Runs commands as whoever signed in last."""

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
            cli_proficiency,
            "_client",
            lambda: CaveatClient("http://testserver", token=token, http=TestClient(self.http.app)),
        )
        result = CliRunner().invoke(cli_main.app, ["proficiency", *args, "--json"])
        assert result.exit_code == code, result.stdout
        # The server's request log shares this process's stdout: its lines are left out.
        lines = [line for line in result.stdout.splitlines() if not LOG_LINE.match(line)]
        return json.loads("\n".join(lines))


@pytest.fixture
def run(http: TestClient, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch) -> As:
    return As(http, signed_in, monkeypatch)


def test_a_round_on_the_command_line(trials: Trials, run: As, tmp_path: Path) -> None:
    made = run(
        "walt", "procedure-create", "--project", PROJECT, "--name", "Sphere RCS",
        "--label", "UNCLASSIFIED", "--measurand", "radar cross-section", "--unit", "m^2",
        "--method", "monostatic",
    )  # fmt: skip
    assert made["status"] == "draft"
    refused = run("walt", "approve", made["id"], code=3)  # no programme manager
    assert refused["error"]["code"] == "policy_denied"
    assert run("pam", "approve", made["id"])["status"] == "approved"
    listed = run("alice", "procedures")
    assert [v["status"] for v in listed[0]["versions"]] == ["approved"]
    deadline = (trials.clock() + timedelta(days=3)).isoformat()
    opened = run(
        "pam", "open", "--project", PROJECT, "--procedure-version", made["id"],
        "--title", "Sphere round", "--deadline", deadline, "--lab", "AFRL", "--lab", "NRL",
        "--lab", "ARL", "--lab", "SNL", "--lab", "APL", "--item", "Sphere A",
        "--label", "UNCLASSIFIED",
    )  # fmt: skip
    round_id = opened["id"]
    assert [r["id"] for r in run("alice", "rounds")] == [round_id]
    for who, value in VALUES.items():
        if who == "nadia":
            continue
        run(who, "submit", round_id, "--item", "Sphere A", "--value", str(value),
            "--unit", "m^2", "--u", "0.002", "--replicate", str(value))  # fmt: skip
    results = tmp_path / "nrl.csv"
    results.write_text(f"item,value,unit,u\nSphere A,{VALUES['nadia'] * 1e4},cm^2,20\n")
    uploaded = run("nadia", "upload", round_id, str(results))
    assert uploaded[0]["value"] == pytest.approx(VALUES["nadia"])
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("item,value\nSphere A,1\n")
    refused = run("nadia", "upload", round_id, str(wrong), code=2)
    assert refused["error"]["code"] == "invalid_results_file"
    assert len(run("alice", "submissions", round_id)) == 1
    closed = run("pam", "close", round_id)
    assert closed["round"]["status"] == "closed"
    scores = run("alice", "results", round_id)["items"][0]["scores"]
    assert len(scores) == 5
    item = closed["items"][0]["item_id"]
    svg = tmp_path / "scores.svg"
    written = run("alice", "plot", round_id, item, "scores", "--output", str(svg))
    assert written["bytes"] > 1000
    assert svg.read_text().startswith("<svg")
    report = tmp_path / "round.pdf"
    wrote = run("alice", "report", round_id, "--output", str(report))
    assert wrote["format"] == "pdf"
    assert report.read_bytes().startswith(b"%PDF")
    page = tmp_path / "mine.html"
    code = next(s["laboratory"].split()[0] for s in scores if s["own"])
    run("alice", "report", round_id, "--laboratory", code, "--output", str(page))
    assert "ISO 13528:2022" in page.read_text()
