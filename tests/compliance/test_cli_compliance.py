"""`caveat programme|agreement|authorization|screen|embargo|visit` on the data directory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caveat.cli.main import app
from tests.conftest import empty_tables


@pytest.fixture
def data_dir(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty_tables(database_url)
    monkeypatch.setenv("CAVEAT_DATABASE_URL", database_url)
    monkeypatch.setenv("CAVEAT_HASH_PROFILE", "test")
    monkeypatch.setenv("CAVEAT_CONFIG_DIR", str(tmp_path / "config"))
    directory = tmp_path / "node"
    ok(directory, "init", "--nation", "GBR", "--org", "Dstl")
    ok(
        directory,
        "org",
        "add",
        "Air Force Research Laboratory",
        "--nation",
        "USA",
        "--short",
        "AFRL",
    )
    ok(directory, "org", "add", "ONERA", "--nation", "FRA", "--short", "ONERA")
    people = (("alice", "Alice Moreno", "AFRL", "USA"), ("claire", "Claire Dubois", "ONERA", "FRA"))
    for username, name, org, nation in people:
        ok(
            directory,
            "user",
            "add",
            username,
            "--name",
            name,
            "--email",
            f"{username}@example.org",
            "--org",
            org,
            "--citizenship",
            nation,
        )
    ok(directory, "policy", "project", "create", "Passive Sensor Fusion")
    return directory


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


def error(data_dir: Path, expected_exit: int, *args: str) -> str:
    code, out = run(data_dir, *args)
    assert code == expected_exit, out
    return str(out["error"]["code"])


def days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def test_programme_participants_funding_activities(data_dir: Path) -> None:
    made = ok(data_dir, "programme", "create", "Sensor Programme", "--description", "passive")
    ok(data_dir, "programme", "add-project", "Sensor Programme", "Passive Sensor Fusion")
    ok(data_dir, "programme", "participant", "Sensor Programme", "AFRL", "--role", "lead")
    shown = ok(
        data_dir,
        "programme",
        "participant",
        "Sensor Programme",
        "ONERA",
        "--role",
        "partner",
        "--work-share",
        "40",
    )
    assert shown["id"] == made["id"]
    assert len(shown["projects"]) == 1
    assert {p["role"] for p in shown["participants"]} == {"lead", "partner"}
    funding = ("programme", "funding", "Sensor Programme", "ONERA")
    ok(
        data_dir,
        *funding,
        "--kind",
        "commitment",
        "--amount",
        "1000",
        "--currency",
        "EUR",
        "--on",
        days(0),
    )
    ok(
        data_dir,
        *funding,
        "--kind",
        "contribution",
        "--amount",
        "250",
        "--currency",
        "EUR",
        "--on",
        days(0),
    )
    summary = ok(data_dir, "programme", "summary", "Sensor Programme")
    assert any(row.get("work_share_percent") == 40 for row in summary)
    assert (
        error(
            data_dir,
            2,
            *funding,
            "--kind",
            "gift",
            "--amount",
            "1",
            "--currency",
            "EUR",
            "--on",
            days(0),
        )
        == "invalid_funding_kind"
    )
    ok(
        data_dir,
        "programme",
        "activity",
        "Sensor Programme",
        "--kind",
        "placement",
        "--title",
        "Exchange at AFRL",
        "--host",
        "AFRL",
        "--person",
        "claire",
        "--starts",
        days(10),
        "--ends",
        days(40),
    )
    assert error(data_dir, 4, "programme", "show", "No such programme") == "unknown_programme"
    assert [p["name"] for p in ok(data_dir, "programme", "list")] == ["Sensor Programme"]


def _agreement(data_dir: Path, name: str, *extra: str) -> Any:
    return ok(
        data_dir,
        "agreement",
        "create",
        name,
        "--kind",
        "mou",
        "--effective",
        days(-1),
        "--expires",
        days(365),
        "--max-level",
        "3",
        "--nation",
        "USA",
        "--nation",
        "FRA",
        "--project",
        "Passive Sensor Fusion",
        *extra,
    )


def test_agreement_lifecycle_amendment_and_refusals(data_dir: Path) -> None:
    made = _agreement(
        data_dir,
        "Sensor MoU",
        "--ip-terms",
        '{"foreground": "joint", "publication_review_days": 60}',
        "--disputes",
        '{"mechanism": "arbitration", "venue": "The Hague"}',
    )
    assert made["status"] == "draft"
    assert made["ip_terms"]["foreground"] == "joint"
    assert ok(data_dir, "agreement", "activate", "Sensor MoU", "--reason", "signed")["status"] == (
        "in_force"
    )
    # A second MoU between the same parties on the same project overlaps.
    _agreement(data_dir, "Second MoU")
    code = error(data_dir, 5, "agreement", "activate", "Second MoU", "--reason", "signed")
    assert code == "overlapping_agreement"
    amended = ok(
        data_dir, "agreement", "amend", "Sensor MoU", "--note", "extended", "--expires", days(700)
    )
    assert amended["version"] == 2
    assert amended["expires_on"] == days(700)
    assert amended["ip_terms"]["foreground"] == "joint"  # kept from version 1
    shown = ok(data_dir, "agreement", "show", made["id"])
    assert [v["note"] for v in shown["versions"]] == ["recorded", "extended"]
    assert ok(data_dir, "agreement", "suspend", "Sensor MoU", "--reason", "audit")["status"] == (
        "suspended"
    )
    assert ok(data_dir, "agreement", "resume", "Sensor MoU", "--reason", "done")["status"] == (
        "in_force"
    )
    code = error(data_dir, 5, "agreement", "resume", "Sensor MoU", "--reason", "again")
    assert code == "invalid_agreement_transition"
    assert ok(data_dir, "agreement", "terminate", "Sensor MoU", "--reason", "ended")["status"] == (
        "terminated"
    )
    # With the first one terminated the second no longer overlaps.
    ok(data_dir, "agreement", "activate", "Second MoU", "--reason", "signed")
    assert ok(data_dir, "agreement", "expire", "Second MoU", "--reason", "lapsed")["status"] == (
        "expired"
    )
    statuses = {a["name"]: a["status"] for a in ok(data_dir, "agreement", "list")}
    assert statuses == {"Sensor MoU": "terminated", "Second MoU": "expired"}
    # Bad input: malformed control entry, bad dates, bad JSON, unknown agreement.
    assert (
        error(
            data_dir,
            2,
            "agreement",
            "create",
            "Scoped",
            "--kind",
            "nda",
            "--effective",
            days(0),
            "--max-level",
            "1",
            "--nation",
            "USA",
            "--nation",
            "FRA",
            "--project",
            "Passive Sensor Fusion",
            "--control",
            "ITAR:USML-XXX",
        )
        == "invalid_control_entry"
    )
    assert (
        error(
            data_dir,
            2,
            "agreement",
            "create",
            "Dated",
            "--kind",
            "nda",
            "--effective",
            "31/12/2026",
            "--max-level",
            "1",
        )
        == "invalid_date"
    )
    assert (
        error(
            data_dir,
            2,
            "agreement",
            "create",
            "Terms",
            "--kind",
            "nda",
            "--effective",
            days(0),
            "--max-level",
            "1",
            "--ip-terms",
            "{not json",
        )
        == "invalid_ip_terms"
    )
    assert error(data_dir, 4, "agreement", "show", "nothing") == "unknown_agreement"


def test_authorizations(data_dir: Path) -> None:
    made = ok(
        data_dir,
        "authorization",
        "create",
        "DSP5-0001",
        "--type",
        "DSP-5",
        "--jurisdiction",
        "USA",
        "--entry",
        "ITAR:USML-XI(c)(1)",
        "--from",
        days(0),
        "--to",
        days(365),
        "--org",
        "ONERA",
        "--max-level",
        "2",
        "--no-retransfer",
    )
    assert made["status"] == "active"
    assert made["no_retransfer"] is True
    assert ok(data_dir, "authorization", "show", "DSP5-0001")["id"] == made["id"]
    moved = ok(data_dir, "authorization", "suspend", "DSP5-0001", "--reason", "review")
    assert moved["status"] == "suspended"
    ok(data_dir, "authorization", "reinstate", "DSP5-0001", "--reason", "cleared")
    ok(data_dir, "authorization", "revoke", "DSP5-0001", "--reason", "withdrawn")
    code = error(data_dir, 5, "authorization", "reinstate", "DSP5-0001", "--reason", "try again")
    assert code == "invalid_authorization_transition"
    assert [a["status"] for a in ok(data_dir, "authorization", "list")] == ["revoked"]
    # An ITAR licence cannot cover an EAR entry.
    code = error(
        data_dir,
        2,
        "authorization",
        "create",
        "DSP5-0002",
        "--type",
        "DSP-5",
        "--jurisdiction",
        "USA",
        "--entry",
        "EAR:3A001.a.1",
        "--from",
        days(0),
        "--org",
        "ONERA",
    )
    assert code.startswith("invalid_")


def test_screening_import_hits_and_resolution(data_dir: Path, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("name,id,source\nClaire Duboiss,X-1,SAMPLE test list\n")
    report = ok(
        data_dir, "screen", "import", str(listed), "--name", "Sample", "--format", "generic"
    )
    assert report["entries"] == 1
    assert len(report["new_hits"]) == 1
    hits = ok(data_dir, "screen", "hits")
    assert [h["screened_name"] for h in hits] == ["Claire Dubois"]
    hit = hits[0]["id"]
    assert ok(data_dir, "screen", "run")["new_hits"] == []  # the same hit is not raised twice
    assert [x["name"] for x in ok(data_dir, "screen", "lists")] == ["Sample"]
    code = error(data_dir, 2, "screen", "resolve", hit, "--outcome", "maybe", "--reason", "x y z")
    assert code == "invalid_resolution"
    done = ok(
        data_dir,
        "screen",
        "resolve",
        hit,
        "--outcome",
        "false_positive",
        "--reason",
        "different date of birth",
    )
    assert done["status"] == "false_positive"
    assert ok(data_dir, "screen", "hits") == []
    assert len(ok(data_dir, "screen", "hits", "--status", "all")) == 1
    # A malformed file imports nothing and says where.
    bad = tmp_path / "bad.csv"
    bad.write_text("id,source\nX-2,nothing\n")
    code = error(data_dir, 2, "screen", "import", str(bad), "--name", "Bad", "--format", "generic")
    assert code == "invalid_screening_file"
    assert [x["name"] for x in ok(data_dir, "screen", "lists")] == ["Sample"]
    assert (
        error(
            data_dir,
            2,
            "screen",
            "import",
            str(tmp_path / "missing.csv"),
            "--name",
            "M",
            "--format",
            "generic",
        )
        == "unreadable_file"
    )


def test_embargoes(data_dir: Path, tmp_path: Path) -> None:
    made = ok(
        data_dir,
        "embargo",
        "add",
        "PRK",
        "--imposed-by",
        "USA",
        "--from",
        "2020-01-01",
        "--source",
        "SAMPLE test data",
        "--regime",
        "arms",
    )
    sample = tmp_path / "embargoes.csv"
    sample.write_text(
        "imposed_by,nation,regime,valid_from,valid_to,source\n"
        "EU,PRK,arms,2020-01-01,,SAMPLE test data\n"
    )
    assert len(ok(data_dir, "embargo", "import", str(sample))) == 1
    sample.write_text(
        "imposed_by,nation,regime,valid_from,valid_to,source\nEU,PRK,arms,not-a-date,,SAMPLE\n"
    )
    assert error(data_dir, 2, "embargo", "import", str(sample)).startswith("invalid_")
    lifted = ok(data_dir, "embargo", "lift", made["id"], "--on", days(0), "--reason", "lifted")
    assert lifted["valid_to"] == days(0)
    assert len(ok(data_dir, "embargo", "list")) == 2


def test_visit_request_and_decision(data_dir: Path) -> None:
    visit = ok(
        data_dir,
        "visit",
        "request",
        "--person",
        "claire",
        "--host",
        "AFRL",
        "--project",
        "Passive Sensor Fusion",
        "--purpose",
        "joint trial",
        "--starts",
        days(1),
        "--ends",
        days(5),
    )
    assert visit["status"] == "pending"
    done = ok(data_dir, "visit", "decide", visit["id"], "--approve", "--reason", "vetted")
    assert done["status"] == "approved"
    code = error(data_dir, 5, "visit", "decide", visit["id"], "--deny", "--reason", "again")
    assert code == "visit_decided"
    members = ok(data_dir, "policy", "project", "list")
    assert members
    assert [v["status"] for v in ok(data_dir, "visit", "list")] == ["approved"]


def test_tables_for_people(data_dir: Path) -> None:
    _agreement(data_dir, "Sensor MoU")
    ok(data_dir, "programme", "create", "Sensor Programme")
    for args in (
        ("agreement", "list"),
        ("agreement", "show", "Sensor MoU"),
        ("programme", "list"),
        ("programme", "summary", "Sensor Programme"),
        ("authorization", "list"),
        ("screen", "hits"),
        ("screen", "lists"),
        ("embargo", "list"),
        ("visit", "list"),
    ):
        result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args])
        assert result.exit_code == 0, (args, result.stdout)
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "agreement", "list"])
    assert "Agreements" in result.stdout
