"""`caveat federation` at two nodes' consoles: each hands the other its descriptor, each
accepts the other by the fingerprint read out, and a wrong fingerprint changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caveat.bootstrap.container import open_node
from caveat.bootstrap.settings import Settings
from caveat.cli.main import app
from caveat.domain.identity import OrganisationKind
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.conftest import empty_tables


def run(data_dir: Path, *args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args, "--json"])
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        return result.exit_code, result.stdout


def ok(data_dir: Path, *args: str) -> Any:
    code, out = run(data_dir, *args)
    assert code == 0, out
    return out


@pytest.fixture
def nodes(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Two nodes; each its own SQLite database (a PostgreSQL run gives the first the
    test database and the second SQLite: two nodes never share a database)."""
    empty_tables(database_url)
    monkeypatch.setenv("CAVEAT_HASH_PROFILE", "test")
    monkeypatch.setenv("CAVEAT_CONFIG_DIR", str(tmp_path / "config"))
    made = []
    for name, nation, org, url in [
        ("us", "USA", "AFRL", database_url),
        ("uk", "GBR", "Dstl", f"sqlite:///{tmp_path / 'uk.db'}"),
    ]:
        monkeypatch.setenv("CAVEAT_DATABASE_URL", url)
        directory = tmp_path / name
        # Each node its own name: a node's log is known to its peers by it.
        ok(directory, "init", "--nation", nation, "--org", org, "--node-name", f"caveat-{name}")
        made.append(directory)
    monkeypatch.delenv("CAVEAT_DATABASE_URL")
    return made


def test_two_nodes_peer_by_descriptor_and_fingerprint(
    nodes: list[Path], tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    us, uk = nodes
    urls = {us: database_url, uk: f"sqlite:///{tmp_path / 'uk.db'}"}

    def at(node: Path, *args: str) -> tuple[int, Any]:
        monkeypatch.setenv("CAVEAT_DATABASE_URL", urls[node])
        return run(node, "federation", *args)

    handed = {}
    for node, nation, org, host in [
        (us, "USA", "Air Force Research Laboratory", "caveat.afrl.example"),
        (uk, "GBR", "Defence Science and Technology Laboratory", "caveat.dstl.example"),
    ]:
        path = tmp_path / f"{nation}.json"
        code, made = at(
            node, "descriptor", "--name", f"{nation} node", "--nation", nation,
            "--organisation", org, "--endpoint", f"https://{host}", "--output", str(path),
        )  # fmt: skip
        assert code == 0, made
        assert json.loads(path.read_text()) == made["descriptor"]
        handed[node] = (path, made["fingerprint"])
    # Each records the other's descriptor ...
    code, proposed = at(us, "propose", str(handed[uk][0]))
    assert code == 0, proposed
    assert (proposed["status"], proposed["nation"]) == ("proposed", "GBR")
    assert proposed["fingerprint"] == handed[uk][1]
    # ... a fingerprint misheard is refused (exit 5, conflict) ...
    misheard = handed[us][1]
    code, refused = at(us, "accept", "GBR node", "--fingerprint", misheard)
    assert code == 5
    assert refused["error"]["code"] == "fingerprint_mismatch"
    # ... and the one read out by the partner's operator is accepted.
    code, accepted = at(us, "accept", "GBR node", "--fingerprint", handed[uk][1])
    assert (code, accepted["status"]) == (0, "active")
    # Received items go into a project of this node (none named: they stay sealed).
    code, unknown = at(us, "receiving-project", "GBR node", "No such project")
    assert (code, unknown["error"]["code"]) == (4, "unknown_project")
    code, sealed = at(us, "receiving-project", "GBR node")
    assert (code, sealed["receiving_project"]) == (0, None)
    code, listed = at(us, "peers")
    assert [(p["name"], p["status"]) for p in listed] == [("GBR node", "active")]
    code, revoked = at(us, "revoke", "GBR node", "--reason", "end of the trial")
    assert (code, revoked["status"]) == (0, "revoked")


def test_init_records_the_organisation_operating_the_node_once(
    nodes: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uk = nodes[1]
    monkeypatch.setenv("CAVEAT_DATABASE_URL", f"sqlite:///{tmp_path / 'uk.db'}")
    shown = ok(uk, "federation", "organisation")
    assert (shown["name"], shown["nation"]) == ("Dstl", "GBR")
    # Another organisation of the node (`caveat org add` is the signed-in operator's act,
    # through the server: here straight through the service).
    node = open_node(Settings(data_dir=uk))
    try:
        node.registry.create_organisation(
            ConsoleOperator(),
            CallContext.cli(),
            name="Another lab",
            nation="GBR",
            kind=OrganisationKind.GOVERNMENT_LABORATORY,
        )
    finally:
        node.close()
    code, refused = run(uk, "federation", "organisation", "Another lab")
    assert code == 5, refused  # a conflict: set once
    assert refused["error"]["code"] == "node_organisation_set"
    assert ok(uk, "federation", "received") == []
