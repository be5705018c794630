"""Upgrading: a node made by an earlier Caveat (tests/data/upgrade, built by
make_fixture.sh from commit 254e5af) migrates to this version's schema, whatever that is,
and then its ledger and every stored artifact verify; `caveat db upgrade --dry-run` lists
what would be applied and changes nothing."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from caveat.adapters.db import schema
from caveat.cli.main import app

FIXTURE = Path(__file__).parents[1] / "data" / "upgrade" / "node-254e5af.tar.gz"
FIXTURE_REVISION = "0007"  # the schema head at 254e5af (its `caveat db status`)


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.stdout


def newer_than(revision: str | None) -> list[str]:
    """This code's migrations after ``revision``, oldest first, read from alembic itself."""
    script = ScriptDirectory.from_config(schema._config())
    return [rev.revision for rev in reversed(list(script.iterate_revisions("head", revision)))]


@pytest.fixture
def old_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The 254e5af node, unpacked: its own SQLite database, blobs and keys."""
    monkeypatch.delenv("CAVEAT_DATABASE_URL", raising=False)  # the node's own SQLite file
    monkeypatch.setenv("CAVEAT_CONFIG_DIR", str(tmp_path / "config"))
    assert FIXTURE.is_file(), f"the upgrade fixture is missing from the repository: {FIXTURE}"
    with tarfile.open(FIXTURE) as packed:
        packed.extractall(tmp_path / "node", filter="data")
    return tmp_path / "node"


def test_dry_run_lists_the_pending_migrations_and_changes_nothing(old_node: Path) -> None:
    code, out = run(old_node, "db", "upgrade", "--dry-run", "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["from"] == FIXTURE_REVISION
    assert plan["to"] == schema.head_revision()
    assert plan["dry_run"] is True
    assert [p["revision"] for p in plan["pending"]] == newer_than(FIXTURE_REVISION)
    assert all(p["title"] for p in plan["pending"])

    code, out = run(old_node, "db", "status", "--json")
    assert code == 0, out
    assert json.loads(out)["current"] == FIXTURE_REVISION  # nothing was applied

    code, out = run(old_node, "db", "upgrade", "--dry-run")
    assert code == 0, out
    for step in plan["pending"]:
        assert step["revision"] in out
    if not plan["pending"]:
        assert "nothing to apply" in out


def test_dry_run_on_an_empty_database_lists_every_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAVEAT_DATABASE_URL", raising=False)
    code, out = run(tmp_path / "empty", "db", "upgrade", "--dry-run", "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["from"] is None
    assert [p["revision"] for p in plan["pending"]] == newer_than(None)
    assert plan["pending"][0] == {
        "revision": "0001",
        "title": "initial schema: node, registry, identity, sessions, events",
    }


def test_a_node_made_by_the_previous_version_upgrades_and_verifies(old_node: Path) -> None:
    code, out = run(old_node, "db", "upgrade", "--json")
    assert code == 0, out
    assert json.loads(out) == {"from": FIXTURE_REVISION, "to": schema.head_revision()}

    code, out = run(old_node, "db", "status", "--json")
    assert code == 0, out
    assert json.loads(out)["up_to_date"] is True

    code, out = run(old_node, "audit", "verify")
    assert code == 0, out
    assert out.startswith("ok:"), out

    code, out = run(old_node, "verify", "--all", "--json")
    assert code == 0, out
    checked = json.loads(out)
    assert checked["artifacts"] == 2, checked  # both artifacts the old version stored
    assert not checked.get("problems"), checked

    # Migration 0016 found the organisation `caveat init` created (the same request).
    code, out = run(old_node, "federation", "organisation", "--json")
    assert code == 0, out
    assert json.loads(out)["name"] == "Caveat Node Operations (GBR)", out
