"""The command line: secrets printed once, --json for scripts, exit codes that mean something;
a fresh node bootstrapped from the console and then administered by its signed-in operator."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caveat.bootstrap.container import open_node
from caveat.bootstrap.settings import Settings
from caveat.cli.main import app
from caveat.domain.credentials import totp_code
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.ledger import EventFilter
from tests.cli.remote_support import LOG_LINE
from tests.conftest import empty_tables
from tests.intel.support import serving

NEW_PASSWORD = "copper-lantern-orchard-31"


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty_tables(database_url)
    monkeypatch.setenv("CAVEAT_DATABASE_URL", database_url)
    monkeypatch.setenv("CAVEAT_HASH_PROFILE", "test")
    monkeypatch.setenv("CAVEAT_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "node"


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    # Without the lines the in-process server logs while it serves.
    lines = [line for line in result.stdout.splitlines(keepends=True) if not LOG_LINE.match(line)]
    return result.exit_code, "".join(lines)


@contextmanager
def operator_signed_in(data_dir: Path, created: dict[str, Any]) -> Iterator[str]:
    """The node `caveat init` made, served; its operator signed in with the CLI (one-time
    password, TOTP code) and the one-time password changed, as on a fresh node."""
    node = open_node(Settings(data_dir=data_dir))
    try:
        with serving(node) as url:
            operator = created["operator"]
            code = totp_code(operator["mfa"]["totp_secret"], datetime.now(UTC))
            password = operator["one_time_password"]
            username = operator["person"]["username"]
            login = ("login", "--server", url, "--username", username, "--password", password)
            signed, out = run(data_dir, *login, "--otp", code, "--json")
            assert signed == 0, out
            assert json.loads(out)["must_change_password"] is True
            changed, out = run(data_dir, "passwd", "--current", password, "--new", NEW_PASSWORD)
            assert changed == 0, out
            yield url
    finally:
        node.close()


def test_init_prints_the_operators_secrets_once_as_json(cli_env: Path) -> None:
    code, out = run(cli_env, "init", "--nation", "GBR", "--org", "Dstl", "--json")
    assert code == 0, out
    created = json.loads(out)
    operator = created["operator"]
    assert operator["one_time_password"]
    assert operator["mfa"]["totp_uri"].startswith("otpauth://")
    assert len(operator["mfa"]["recovery_codes"]) == 10
    assert stat.S_IMODE((cli_env / "keys" / "secrets.key").stat().st_mode) == 0o600
    # Secrets never appear again.
    with operator_signed_in(cli_env, created):
        code, out = run(cli_env, "user", "list", "--json")
    assert code == 0
    assert operator["one_time_password"] not in out
    assert operator["mfa"]["totp_secret"] not in out
    # A second init is a conflict, not a silent overwrite.
    code, _ = run(cli_env, "init", "--nation", "GBR", "--json")
    assert code == 5


def test_a_refused_init_leaves_no_half_made_node(cli_env: Path) -> None:
    # The organisation name is refused after the node's identity was written: the whole
    # init rolls back, so the same command with a good name then succeeds.
    code, out = run(cli_env, "init", "--nation", "GBR", "--org", "D", "--json")
    assert code == 2, out
    assert json.loads(out)["error"]["field"] == "name"
    code, out = run(cli_env, "init", "--nation", "GBR", "--org", "Dstl", "--json")
    assert code == 0, out
    # One initialisation (which also records the operating organisation), nothing left
    # of the refused one (read at the console: the explorer is the auditors', signed in).
    node = open_node(Settings(data_dir=cli_env))
    try:
        found = node.audit.search(ConsoleOperator(), EventFilter(action="node.*"))
    finally:
        node.close()
    types = [e.type for e in found.entries]
    assert sorted(types) == ["node.initialised", "node.organisation_set"]


def test_registry_commands_and_exit_codes(cli_env: Path) -> None:
    code, out = run(cli_env, "init", "--nation", "GBR", "--json")
    assert code == 0, out
    with operator_signed_in(cli_env, json.loads(out)):
        _registry_commands(cli_env)


def _registry_commands(cli_env: Path) -> None:
    """What the signed-in operator does on a fresh node: organisations, accounts, groups."""
    code, out = run(cli_env, "org", "add", "ONERA", "--nation", "FRA", "--short", "ONERA", "--json")
    assert code == 0, out
    assert json.loads(out)["nation"] == "FRA"
    code, out = run(cli_env, "org", "add", "Bad", "--nation", "XXX", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "invalid_nation"
    code, out = run(
        cli_env,
        "user",
        "add",
        "claire",
        "--name",
        "Claire Dubois",
        "--email",
        "claire@onera.example",
        "--org",
        "ONERA",
        "--citizenship",
        "FRA",
        "--citizenship",
        "DEU",
        "--clearance",
        "SECRET",
        "--clearance-expires",
        "2029-01-01",
        "--json",
    )
    assert code == 0, out
    account = json.loads(out)
    assert account["person"]["citizenships"] == ["FRA", "DEU"]
    assert account["one_time_password"]
    assert (
        run(
            cli_env,
            "user",
            "add",
            "claire",
            "--name",
            "C",
            "--email",
            "c@x.example",
            "--org",
            "ONERA",
            "--citizenship",
            "FRA",
            "--json",
        )[0]
        == 5
    )
    assert run(cli_env, "user", "suspend", "nobody", "--json")[0] == 4
    assert run(cli_env, "user", "suspend", "claire", "--json")[0] == 2  # no reason
    assert run(cli_env, "user", "suspend", "claire", "--reason", "left", "--json")[0] == 0
    assert run(cli_env, "user", "unlock", "claire", "--json")[0] == 0
    code, out = run(cli_env, "user", "reset-mfa", "claire", "--json")
    assert code == 0
    assert json.loads(out)["mfa"]["totp_secret"] != account["mfa"]["totp_secret"]
    code, out = run(
        cli_env,
        "group",
        "add",
        "PROG",
        "--name",
        "Programme",
        "--member",
        "FRA",
        "--member",
        "GBR",
        "--json",
    )
    assert code == 0, out
    code, out = run(cli_env, "group", "list", "--on", "2019-06-01", "--json")
    groups = {g["code"]: g for g in json.loads(out)}
    assert "GBR" in groups["EU"]["members_on"]
    assert groups["PROG"]["builtin"] is False


def test_commands_on_an_uninitialised_node_fail_clearly(cli_env: Path) -> None:
    code, out = run(cli_env, "recover", "unlock", "operator", "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] in ("node_not_initialised", "schema_not_current")


def test_usage_errors_exit_2(cli_env: Path) -> None:
    result = CliRunner().invoke(app, ["user", "add"])
    assert result.exit_code == 2


def test_remote_commands_need_a_login(cli_env: Path) -> None:
    code, out = run(cli_env, "whoami", "--json")
    assert code == 3
    assert json.loads(out)["error"]["code"] == "not_logged_in"
    assert not os.path.exists(cli_env / "config")
    # The administrators' commands too, on an initialised node whose data directory is at
    # hand: never the console in their stead.
    assert run(cli_env, "init", "--nation", "GBR", "--json")[0] == 0
    for args in (("user", "list"), ("org", "add", "ONERA", "--nation", "FRA"), ("group", "list")):
        code, out = run(cli_env, *args, "--json")
        assert code == 3, (args, out)
        assert json.loads(out)["error"]["code"] == "not_logged_in"


def test_the_console_recovers_a_locked_out_operator(cli_env: Path) -> None:
    code, out = run(cli_env, "init", "--nation", "GBR", "--json")
    assert code == 0, out
    created = json.loads(out)
    code, out = run(cli_env, "recover", "reset-mfa", "operator", "--reason", "phone lost", "--json")
    assert code == 0, out
    renewed = json.loads(out)["mfa"]
    assert renewed["totp_secret"] != created["operator"]["mfa"]["totp_secret"]
    code, out = run(cli_env, "recover", "unlock", "operator", "--reason", "locked", "--json")
    assert code == 0, out
    # The recovered operator signs in with the new second factor.
    created["operator"]["mfa"] = renewed
    with operator_signed_in(cli_env, created):
        code, out = run(cli_env, "whoami", "--json")
    assert code == 0, out
    assert json.loads(out)["username"] == "operator"


def test_user_set_changes_roles_and_clearance(cli_env: Path) -> None:
    code, out = run(cli_env, "init", "--nation", "GBR", "--org", "Dstl", "--json")
    assert code == 0, out
    with operator_signed_in(cli_env, json.loads(out)):
        _user_set(cli_env)


def _user_set(cli_env: Path) -> None:
    code, out = run(
        cli_env, "user", "add", "paul", "--name", "Paul", "--email", "paul@dstl.example",
        "--org", "Dstl", "--citizenship", "GBR", "--json",
    )  # fmt: skip
    assert code == 0, out
    code, out = run(cli_env, "user", "set", "paul", "--role", "auditor", "--dry-run", "--json")
    assert code == 0, out
    assert json.loads(out)["username"] == "paul"  # the effect, nothing changed yet
    code, out = run(cli_env, "user", "show", "paul", "--json")
    assert json.loads(out)["roles"] == ["researcher"]
    code, out = run(
        cli_env, "user", "set", "paul", "--role", "auditor", "--clearance", "SECRET",
        "--clearance-expires", "2030-01-31", "--reason", "audit duties", "--json",
    )  # fmt: skip
    assert code == 0, out
    changed = json.loads(out)
    assert changed["roles"] == ["auditor"]
    assert changed["clearance"]["expires"] == "2030-01-31"
    code, out = run(cli_env, "user", "set", "paul", "--json")
    assert code == 2
    assert json.loads(out)["error"]["code"] == "nothing_to_change"
