"""``caveat put | ls | show | get`` through ``client.artifacts`` (issue 15): the CLI reads
the SDK's typed answers, and its ``--json`` output is the API's JSON, field for field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.cli import artifacts as cli_artifacts
from caveat.cli import main as cli_main
from caveat.client import CaveatClient
from caveat.services.kernel.principal import Principal
from tests.artifacts.conftest import LABEL, World, client_for, sha


def test_put_ls_show_get_use_the_artifacts_resource(
    world: World,
    alice: Principal,
    http: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert alice.person.username == "alice"

    def client() -> CaveatClient:
        return client_for(http, world, "alice")

    monkeypatch.setattr(cli_artifacts, "_client", client)

    def run(*args: str) -> Any:
        result = CliRunner().invoke(cli_main.app, [*args, "--json"])
        assert result.exit_code == 0, result.stdout
        lines = result.stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if line in ("{", "["))
        return json.loads("\n".join(lines[start:]))  # after the request log lines

    data = b"range_km,pd\n40,0.9\n"
    source = tmp_path / "trial.csv"
    source.write_bytes(data)
    stored = run("put", str(source), "--project", world.project, "--label", LABEL)
    artifact = stored["artifact_id"]
    assert (stored["number"], stored["sha256"]) == (1, sha(data))

    page = run("ls")
    assert [a["id"] for a in page["items"]] == [artifact]
    assert set(page) == {"items", "next_after"}
    numbered = run("ls", "--sort", "title", "--asc")
    assert numbered["total"] == 1
    assert numbered["pages"] == 1
    assert [c["count"] for c in numbered["facets"]["kind"]] == [1]
    shown = run("show", artifact)
    raw = client().artifact(artifact)
    assert shown == raw  # every field of the API's answer, in JSON form
    target = tmp_path / "copy.csv"
    got = run("get", artifact, "-o", str(target))
    assert (got["bytes"], got["sha256"], got["version"]) == (len(data), sha(data), 1)
    assert target.read_bytes() == data


def test_put_check_says_whether_the_label_could_be_read_and_sends_nothing(
    world: World,
    alice: Principal,
    http: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(cli_artifacts, "_client", lambda: client_for(http, world, "alice"))
    source = tmp_path / "trial.csv"
    source.write_bytes(b"range_km,pd\n40,0.9\n")

    def check(label: str) -> Any:
        args = ["put", str(source), "--project", world.project, "--label", label, "--check"]
        return CliRunner().invoke(cli_main.app, [*args, "--json"])

    fine = check(LABEL)
    assert fine.exit_code == 0, fine.stdout
    assert '"readable": true' in fine.stdout
    above = check("TOP SECRET")
    assert above.exit_code == 1  # scripts can stop before sending the file
    assert '"readable": false' in above.stdout
    assert client_for(http, world, "alice").artifacts.search().items == ()  # nothing stored
