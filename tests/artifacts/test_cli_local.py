"""The node-local artifact commands: keys status, keys rotate, verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caveat.cli.main import app
from tests.conftest import empty_tables


@pytest.fixture
def data_dir(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty_tables(database_url)
    monkeypatch.setenv("CAVEAT_DATABASE_URL", database_url)
    monkeypatch.setenv("CAVEAT_HASH_PROFILE", "test")
    monkeypatch.setenv("CAVEAT_LEDGER_WORKER_SECONDS", "0")
    node = tmp_path / "node"
    assert _run(node, "init", "--nation", "GBR", "--json")[0] == 0
    return node


def _run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.stdout


def test_keys_status_rotate_and_verify(data_dir: Path) -> None:
    code, out = _run(data_dir, "keys", "status", "--json")
    assert code == 0, out
    first = json.loads(out)["keys"]
    assert len(first) == 1
    assert first[0]["primary"] is True
    code, out = _run(data_dir, "keys", "rotate", "--disable-old", "--json")
    assert code == 0, out
    rotated = json.loads(out)
    assert rotated["disabled"] == [first[0]["key_id"]]
    code, out = _run(data_dir, "verify", "--all", "--json")
    assert code == 0, out
    assert json.loads(out)["clean"] is True


def test_verify_needs_an_id_or_all(data_dir: Path) -> None:
    assert _run(data_dir, "verify")[0] == 2
    code, out = _run(data_dir, "verify", "no-such-artifact", "--json")
    assert code == 4
    assert json.loads(out)["error"]["code"] == "unknown_artifact"
