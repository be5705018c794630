"""The embedded node's files are private: 0700 directory, 0600 database, WAL and SHM;
``serve`` refuses wider modes with the command that fixes them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caveat.adapters.files import InsecureFileMode, require_private, sqlite_files
from caveat.cli.main import app


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A node initialised on the embedded default (SQLite inside its data directory)."""
    monkeypatch.delenv("CAVEAT_DATABASE_URL", raising=False)
    monkeypatch.setenv("CAVEAT_HASH_PROFILE", "test")
    monkeypatch.setenv("CAVEAT_CONFIG_DIR", str(tmp_path / "config"))
    os.umask(0o022)  # the usual umask: what init creates must not depend on it
    data_dir = tmp_path / "node"
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "init", "--nation", "GBR"])
    assert result.exit_code == 0, result.stdout
    return data_dir


def test_init_makes_the_directory_and_database_private(embedded: Path) -> None:
    """Reproduction: init left the data directory 0755 and the database 0644."""
    assert _mode(embedded) == 0o700
    files = [p for p in sqlite_files(embedded / "caveat.db") if p.exists()]
    assert embedded / "caveat.db" in files
    assert all(_mode(p) == 0o600 for p in files), {str(p): oct(_mode(p)) for p in files}
    require_private(embedded, files)  # and the check agrees


def test_serve_refuses_a_readable_data_directory(embedded: Path) -> None:
    os.chmod(embedded, 0o755)  # noqa: S103 (the mistake under test)
    result = CliRunner().invoke(app, ["--data-dir", str(embedded), "serve", "--port", "1"])
    said = " ".join(result.output.split())  # the console wraps long lines
    assert result.exit_code == 2
    assert "other local accounts can read" in said
    assert f"chmod 700 {embedded}" in said


def test_a_readable_database_file_is_refused(embedded: Path) -> None:
    database = embedded / "caveat.db"
    os.chmod(database, 0o644)
    with pytest.raises(InsecureFileMode) as refused:
        require_private(embedded, sqlite_files(database))
    assert f"chmod 600 {database}" in (refused.value.hint or "")
