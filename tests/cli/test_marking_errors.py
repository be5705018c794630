"""A refused marking in the CLI: the caret view under the message, and in --json the
rule, the position or path, and the diagnostics text."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from caveat.cli.main import app
from caveat.client import _error
from caveat.domain.labels.errors import marking_caret, marking_diagnostics

BAD = "SECRET//REL TO USA, ZZZ"
CARET = "  SECRET//REL TO USA, ZZZ\n" + " " * 22 + "^\n"
# NOFORN beside REL TO, as canonical JSON: refused with a JSON path, not a position.
CLASH = (
    '{"alternatives":[],"categories":[{"tag":"DISSEM","type":"RESTRICTIVE","values":["NOFORN"]},'
    '{"tag":"REL TO","type":"PERMISSIVE","values":["GBR","USA"]}],"classification":2,'
    '"created":null,"originator":null,"policy":"USA","privacy_mark":null,'
    '"version":"caveat.label/1"}'
)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CAVEAT_DATABASE_URL", raising=False)  # no node: built-in groups
    monkeypatch.setenv("CAVEAT_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "none"


def _run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.stdout, result.stderr


def test_the_caret_is_printed_under_the_error_message(data_dir: Path) -> None:
    code, _, err = _run(data_dir, "label", "parse", BAD)
    assert code == 2
    assert err.startswith("error: 'ZZZ' is neither a country code nor a known group")
    # The message (rich may wrap it), then the marking and the caret, then the hint.
    assert err.index("[invalid_marking]") < err.index(CARET) < err.index("hint: use ISO 3166")


def test_json_errors_carry_the_rule_the_position_and_the_diagnostics(data_dir: Path) -> None:
    code, out, _ = _run(data_dir, "label", "parse", "--json", BAD)
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "invalid_marking"
    assert (error["rule"], error["position"]) == ("unknown_value", 20)
    assert error["diagnostics"].split("\n")[1:3] == CARET.rstrip("\n").split("\n")
    assert error["diagnostics"].startswith(error["detail"])


def test_a_label_given_as_json_is_located_by_its_path(data_dir: Path) -> None:
    code, out, _ = _run(data_dir, "label", "render", "--json", CLASH)
    assert code == 2
    error = json.loads(out)["error"]
    assert (error["rule"], error["path"]) == ("noforn_with_release", "/categories/0/values/0")
    assert "diagnostics" not in error  # a path, no caret
    code, _, err = _run(data_dir, "label", "render", CLASH)
    assert "^" not in err


def test_other_errors_say_nothing_more(data_dir: Path) -> None:
    code, out, _ = _run(data_dir, "label", "parse", "--json", "--on", "yesterday", "SECRET")
    assert code == 2
    assert set(json.loads(out)["error"]) == {"code", "detail", "field", "hint"}


def test_a_marking_error_from_a_node_keeps_its_caret() -> None:
    # The Python client rebuilds a node's problem+json: the CLI's remote commands print
    # the same caret view as local ones.
    body = {
        "code": "invalid_marking",
        "detail": "'ZZZ' is neither a country code nor a known group at position 20",
        "field": "marking",
        "hint": "use ISO 3166-1 alpha-3 codes",
        "text": "SECRET//REL TO USA, ZZZ",
        "position": 20,
        "rule": "unknown_value",
    }
    rebuilt = _error(httpx.Response(422, json=body))
    assert rebuilt.code == "invalid_marking"
    assert marking_caret(rebuilt) == CARET.rstrip("\n")
    assert marking_diagnostics(rebuilt) == (
        f"{body['detail']}\n{CARET}hint: use ISO 3166-1 alpha-3 codes"
    )
