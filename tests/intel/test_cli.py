"""`caveat taxii create | collections | add | get` as signed-in people, against a node
serving over HTTP on loopback (the CLI talks to /taxii2/ like any TAXII client)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caveat.bootstrap.container import Node
from caveat.cli import main as cli_main
from caveat.domain.stix import export_bundle
from tests.intel.support import Population, indicator, populate, serving
from tests.support import FakeClock

LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")


@pytest.fixture
def population(node: Node, clock: FakeClock) -> Population:
    return populate(node, clock)


@pytest.fixture
def url(node: Node, population: Population) -> Iterator[str]:
    with serving(node) as base:
        yield base


def _as(who: str, url: str, population: Population, config: Path, *args: str) -> Any:
    (config / "credentials.json").write_text(
        json.dumps({"server": url, "username": who, "token": population.tokens[who]})
    )
    result = CliRunner().invoke(
        cli_main.app, [*args, "--json"], env={"CAVEAT_CONFIG_DIR": str(config)}
    )
    assert result.exit_code == 0, result.stdout
    # The server's request log shares this process's stdout: its lines are left out.
    lines = [line for line in result.stdout.splitlines() if not LOG_LINE.match(line)]
    return json.loads("\n".join(lines))


def test_open_add_list_get(url: str, population: Population, tmp_path: Path) -> None:
    from caveat.domain.labels import parse_marking
    from caveat.domain.stix import LabelledObject, stix_object

    node = population.node
    made = _as(
        "paula",
        url,
        population,
        tmp_path,
        "taxii",
        "create",
        "--project",
        "Cyber threats",
        "--title",
        "Reports",
        "--default-label",
        "UNCLASSIFIED",
    )
    assert made["title"] == "Reports"
    assert made["can_read"] is True
    day = node.uow.clock().date()
    groups = node.registry.directory()
    marked = [
        LabelledObject(
            stix_object(indicator(1)), parse_marking("SECRET//NOFORN", groups=groups, on=day)
        ),
        LabelledObject(
            stix_object(indicator(2)),
            parse_marking("SECRET//REL TO USA, GBR", groups=groups, on=day),
        ),
    ]
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(export_bundle(marked, schemes=node.policy.schemes))
    unmarked = tmp_path / "envelope.json"
    unmarked.write_text(json.dumps({"objects": [indicator(3)]}))  # takes the default label
    for source in (bundle, unmarked):
        status = _as("alice", url, population, tmp_path, "taxii", "add", made["id"], str(source))
        assert status["failure_count"] == 0
        assert status["status"] == "complete"
    listed = _as("sam", url, population, tmp_path, "taxii", "collections")
    assert {c["title"] for c in listed} == {"Indicators", "Reports"}
    alice = _as("alice", url, population, tmp_path, "taxii", "get", made["id"], "--limit", "1")
    sam = _as("sam", url, population, tmp_path, "taxii", "get", made["id"])
    assert len(alice["objects"]) == 3
    assert [o["name"] for o in sam["objects"]] == ["Indicator 2", "Indicator 3"]  # not NOFORN
