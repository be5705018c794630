"""`caveat --help`, `caveat version` and the remote commands start without the database,
web, migration, PDF or crypto stacks (issue 16: they import lazily, inside the commands
that use them). What is imported is checked, not how long it takes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

# What a local node, the API server or an export needs, and no start-up does.
HEAVY = {"sqlalchemy", "fastapi", "starlette", "alembic", "fpdf", "tink", "uvicorn"}


def imported(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """Top-level packages a fresh interpreter imports to run ``python *args``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    names = {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and not line.endswith("imported package")
    }
    assert names, done.stderr
    return names


def test_the_console_script_is_the_app_these_tests_start() -> None:
    (script,) = entry_points(group="console_scripts", name="caveat")
    assert script.value == "caveat.cli.main:app"


def test_importing_the_entry_point_pulls_in_no_heavy_stack() -> None:
    # Not even pydantic: settings are read when a command first needs them.
    found = imported("-c", "import caveat.cli.main")
    assert found & (HEAVY | {"httpx", "pydantic"}) == set()


@pytest.mark.parametrize("args", [["--help"], ["version"], ["version", "--json"]])
def test_help_and_version_start_without_the_heavy_stacks(args: list[str]) -> None:
    assert imported("-m", "caveat", *args) & (HEAVY | {"httpx"}) == set()


@pytest.mark.parametrize(
    "group", ["user", "policy", "release", "audit", "demo", "db", "agreement", "screen", "recover"]
)
def test_a_groups_help_starts_without_the_heavy_stacks(group: str) -> None:
    assert imported("-m", "caveat", group, "--help") & (HEAVY | {"httpx"}) == set()


@pytest.mark.parametrize(
    "command",
    [["ls"], ["agreement", "list"], ["policy", "project", "list"], ["user", "list"]],
)
def test_remote_commands_take_only_the_client_path(tmp_path: Path, command: list[str]) -> None:
    # Signed in to a server that is not there: the command gets as far as the request.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "credentials.json").write_text(
        json.dumps({"server": f"http://127.0.0.1:{port}", "username": "u", "token": "t"})
    )
    found = imported("-m", "caveat", *command, env={"CAVEAT_CONFIG_DIR": str(tmp_path)})
    assert "httpx" in found  # it did reach the client
    assert found & HEAVY == set()
    assert found & {"pygments", "click"} == set()  # httpx's own command line stays out
