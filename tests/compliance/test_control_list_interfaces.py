"""The control-list catalogue through the API, the CLI and the web page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.client import CaveatClient
from caveat.server import create_server
from tests.cli.remote_support import remote_cli
from tests.compliance.support import World
from tests.support import PASSWORD


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.node), raise_server_exceptions=False) as client:
        yield client


def _signed_in(http: TestClient, world: World) -> TestClient:
    client = CaveatClient("http://testserver", http=http)
    world.clock.advance(seconds=30)
    client.login("bob", PASSWORD, world.scenario.code(world.scenario.accounts["bob"]))
    return http


def test_api_lists_and_describes_entries(http: TestClient, world: World) -> None:
    assert http.get("/api/v1/control-lists").status_code == 401
    _signed_in(http, world)
    lists = http.get("/api/v1/control-lists").json()
    assert {row["regime"] for row in lists} == {"ITAR", "EAR", "WA", "MTCR", "EU"}
    found = http.get(
        "/api/v1/control-lists/describe", params={"entry": ["EAR:9A610.x", "MTCR:1.A.1"]}
    ).json()
    assert found[0]["entry"] == "EAR:9A610.x"
    assert found[0]["headings"][-1]["code"] == "ML10"
    assert found[1]["mtcr_category"] == 1
    bad = http.get("/api/v1/control-lists/describe", params={"entry": "MTCR:5.A.1"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_control_entry"
    assert "reserved" in bad.json()["detail"]


def test_cli_describes_and_refuses_with_usage_exit(world: World, tmp_path: Path) -> None:
    """The CLI asks the signed-in server: its catalogue is the one its node checks."""
    with remote_cli(world.scenario, tmp_path) as cli:
        assert cli.error(None, 3, "control-list", "show") == "not_logged_in"
        found = cli.ok("bob", "control-list", "describe", "ITAR:USML-XV(a)")
        assert found[0]["headings"][0]["title"] == "Spacecraft and related articles"
        assert cli.error("bob", 2, "control-list", "describe", "WA:1A101").startswith("invalid_")
        assert [r["regime"] for r in cli.ok("bob", "control-list", "show", "WA")] == ["WA"]
        table = cli.invoke("bob", "control-list", "describe", "EAR:3A001.a.1")
        assert table.exit_code == 0
        assert "National security" in table.stdout


def test_web_page_checks_an_entry(world: World) -> None:
    with TestClient(create_server(world.node), raise_server_exceptions=False) as client:
        assert client.get("/control-lists", follow_redirects=False).status_code == 303
        _signed_in(client, world)
        page = client.get("/control-lists", params={"entry": "EAR:3A001.a.1"})
        assert page.status_code == 200
        assert "National security" in page.text
        assert "22 CFR 121.1" in page.text
        refused = client.get("/control-lists", params={"entry": "EAR:3A701"})
        assert refused.status_code == 422
        assert "third digit 7 is not used" in refused.text
