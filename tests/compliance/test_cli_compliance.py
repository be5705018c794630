"""`caveat programme|agreement|authorization|screen|embargo|visit` against a served node,
each command as the signed-in officer or manager whose act it is (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.compliance import AgreementKind
from caveat.domain.identity import OrganisationKind, Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.cli.remote_support import RemoteCli, remote_cli
from tests.support import PASSWORD, FakeClock, Scenario

# Who does what: each act is done by the person whose role it is.
PROGRAMMES = "paula"  # programme manager, AFRL
AGREEMENTS = "amy"  # agreement manager, AFRL (a USA party)
EXPORTS = "ezra"  # export control officer, AFRL
AFRL_OFFICER = "sam"  # security officer, AFRL (hosts visits)
ONERA_OFFICER = "sofia"  # security officer, ONERA (claire's own officer)


def _world(node: Node, clock: FakeClock) -> Scenario:
    world = Scenario(node, clock)
    for name, nation, short in (
        ("Air Force Research Laboratory", "USA", "AFRL"),
        ("ONERA", "FRA", "ONERA"),
    ):
        node.registry.create_organisation(
            ConsoleOperator(),
            CallContext.cli(),
            name=name,
            nation=nation,
            kind=OrganisationKind.GOVERNMENT_LABORATORY,
            short_name=short,
        )
    afrl, onera = world.org("Air Force Research Laboratory"), world.org("ONERA")
    world.person("alice", nations=("USA",), org=afrl)
    # Screened by her full name (a sample list names her, misspelt).
    world.accounts["claire"] = node.people.create_person(
        ConsoleOperator(),
        CallContext.cli(),
        username="claire",
        display_name="Claire Dubois",
        email="claire@example.org",
        organisation=onera,
        citizenships=["FRA"],
        roles=[Role.RESEARCHER],
        password=PASSWORD,
    )
    world.person(PROGRAMMES, nations=("USA",), org=afrl, roles=(Role.PROGRAMME_MANAGER,))
    world.person(AGREEMENTS, nations=("USA",), org=afrl, roles=(Role.AGREEMENT_MANAGER,))
    world.person(EXPORTS, nations=("USA",), org=afrl, roles=(Role.EXPORT_CONTROL_OFFICER,))
    world.person(AFRL_OFFICER, nations=("USA",), org=afrl, roles=(Role.SECURITY_OFFICER,))
    world.person(ONERA_OFFICER, nations=("FRA",), org=onera, roles=(Role.SECURITY_OFFICER,))
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Passive Sensor Fusion")
    return world


@pytest.fixture
def cli(node: Node, clock: FakeClock, tmp_path: Path) -> Iterator[RemoteCli]:
    with remote_cli(_world(node, clock), tmp_path) as remote:
        yield remote


def days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def test_programme_participants_funding_activities(cli: RemoteCli) -> None:
    made = cli.ok(PROGRAMMES, "programme", "create", "Sensor Programme", "--description", "passive")
    cli.ok(PROGRAMMES, "programme", "add-project", "Sensor Programme", "Passive Sensor Fusion")
    cli.ok(PROGRAMMES, "programme", "participant", "Sensor Programme", "AFRL", "--role", "lead")
    shown = cli.ok(
        PROGRAMMES,
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
    cli.ok(
        PROGRAMMES,
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
    cli.ok(
        PROGRAMMES,
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
    summary = cli.ok(PROGRAMMES, "programme", "summary", "Sensor Programme")
    assert any(row.get("work_share_percent") == 40 for row in summary)
    by_nation = cli.ok(PROGRAMMES, "programme", "nations")
    eur = [r for r in by_nation if r["programme"] == "Sensor Programme" and r["currency"] == "EUR"]
    assert [(r["committed"], r["contributed"]) for r in eur] == [("1000.00", "250.00")]
    assert (
        cli.error(
            PROGRAMMES,
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
        == "invalid_input"  # the API's schema refuses the kind before the service sees it
    )
    cli.ok(
        PROGRAMMES,
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
    assert cli.error(PROGRAMMES, 4, "programme", "show", "No such programme") == "unknown_programme"
    assert [p["name"] for p in cli.ok(PROGRAMMES, "programme", "list")] == ["Sensor Programme"]


def _agreement(cli: RemoteCli, name: str, *extra: str) -> Any:
    return cli.ok(
        AGREEMENTS,
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


def test_agreement_lifecycle_amendment_and_refusals(cli: RemoteCli) -> None:
    made = _agreement(
        cli,
        "Sensor MoU",
        "--ip-terms",
        '{"foreground": "joint", "publication_review_days": 60}',
        "--disputes",
        '{"mechanism": "arbitration", "venue": "The Hague"}',
    )
    assert made["status"] == "draft"
    assert made["ip_terms"]["foreground"] == "joint"
    assert cli.ok(AGREEMENTS, "agreement", "activate", "Sensor MoU", "--reason", "signed")[
        "status"
    ] == ("in_force")
    # A second MoU between the same parties on the same project overlaps.
    _agreement(cli, "Second MoU")
    code = cli.error(AGREEMENTS, 5, "agreement", "activate", "Second MoU", "--reason", "signed")
    assert code == "overlapping_agreement"
    amended = cli.ok(
        AGREEMENTS, "agreement", "amend", "Sensor MoU", "--note", "extended", "--expires", days(700)
    )
    assert amended["version"] == 2
    assert amended["expires_on"] == days(700)
    assert amended["ip_terms"]["foreground"] == "joint"  # kept from version 1
    shown = cli.ok(AGREEMENTS, "agreement", "show", made["id"])
    assert [v["note"] for v in shown["versions"]] == ["recorded", "extended"]
    assert cli.ok(AGREEMENTS, "agreement", "suspend", "Sensor MoU", "--reason", "audit")[
        "status"
    ] == ("suspended")
    assert cli.ok(AGREEMENTS, "agreement", "resume", "Sensor MoU", "--reason", "done")[
        "status"
    ] == ("in_force")
    code = cli.error(AGREEMENTS, 5, "agreement", "resume", "Sensor MoU", "--reason", "again")
    assert code == "invalid_agreement_transition"
    assert cli.ok(AGREEMENTS, "agreement", "terminate", "Sensor MoU", "--reason", "ended")[
        "status"
    ] == ("terminated")
    # With the first one terminated the second no longer overlaps.
    cli.ok(AGREEMENTS, "agreement", "activate", "Second MoU", "--reason", "signed")
    assert cli.ok(AGREEMENTS, "agreement", "expire", "Second MoU", "--reason", "lapsed")[
        "status"
    ] == ("expired")
    statuses = {a["name"]: a["status"] for a in cli.ok(AGREEMENTS, "agreement", "list")}
    assert statuses == {"Sensor MoU": "terminated", "Second MoU": "expired"}
    # Bad input: malformed control entry, bad dates, bad JSON, unknown agreement.
    assert (
        cli.error(
            AGREEMENTS,
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
        cli.error(
            AGREEMENTS,
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
        cli.error(
            AGREEMENTS,
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
    assert cli.error(AGREEMENTS, 4, "agreement", "show", "nothing") == "unknown_agreement"


def test_authorizations(cli: RemoteCli) -> None:
    made = cli.ok(
        EXPORTS,
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
    assert cli.ok(EXPORTS, "authorization", "show", "DSP5-0001")["id"] == made["id"]
    moved = cli.ok(EXPORTS, "authorization", "suspend", "DSP5-0001", "--reason", "review")
    assert moved["status"] == "suspended"
    cli.ok(EXPORTS, "authorization", "reinstate", "DSP5-0001", "--reason", "cleared")
    cli.ok(EXPORTS, "authorization", "revoke", "DSP5-0001", "--reason", "withdrawn")
    code = cli.error(EXPORTS, 5, "authorization", "reinstate", "DSP5-0001", "--reason", "try again")
    assert code == "invalid_authorization_transition"
    assert [a["status"] for a in cli.ok(EXPORTS, "authorization", "list")] == ["revoked"]
    # An ITAR licence cannot cover an EAR entry.
    code = cli.error(
        EXPORTS,
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


def test_screening_import_hits_and_resolution(cli: RemoteCli, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("name,id,source\nClaire Duboiss,X-1,SAMPLE test list\n")
    report = cli.ok(
        EXPORTS, "screen", "import", str(listed), "--name", "Sample", "--format", "generic"
    )
    assert report["entries"] == 1
    assert len(report["new_hits"]) == 1
    # Hits are seen by the officers of the screened person's organisation.
    assert cli.ok(EXPORTS, "screen", "hits") == []
    hits = cli.ok(ONERA_OFFICER, "screen", "hits")
    assert [h["screened_name"] for h in hits] == ["Claire Dubois"]
    hit = hits[0]["id"]
    assert cli.ok(EXPORTS, "screen", "run")["new_hits"] == []  # the same hit is not raised twice
    assert [x["name"] for x in cli.ok(EXPORTS, "screen", "lists")] == ["Sample"]
    code = cli.error(
        ONERA_OFFICER, 2, "screen", "resolve", hit, "--outcome", "maybe", "--reason", "x y z"
    )
    assert code == "invalid_input"  # the API's schema names the outcomes
    # The hit is resolved by claire's own security officer (ONERA), not by the importer.
    code = cli.error(
        EXPORTS, 3, "screen", "resolve", hit, "--outcome", "false_positive", "--reason", "x y z"
    )
    assert code == "policy_denied"
    done = cli.ok(
        ONERA_OFFICER,
        "screen",
        "resolve",
        hit,
        "--outcome",
        "false_positive",
        "--reason",
        "different date of birth",
    )
    assert done["status"] == "false_positive"
    assert cli.ok(ONERA_OFFICER, "screen", "hits") == []
    assert len(cli.ok(ONERA_OFFICER, "screen", "hits", "--status", "all")) == 1
    # A malformed file imports nothing and says where.
    bad = tmp_path / "bad.csv"
    bad.write_text("id,source\nX-2,nothing\n")
    code = cli.error(
        EXPORTS, 2, "screen", "import", str(bad), "--name", "Bad", "--format", "generic"
    )
    assert code == "invalid_screening_file"
    assert [x["name"] for x in cli.ok(EXPORTS, "screen", "lists")] == ["Sample"]
    assert (
        cli.error(
            EXPORTS,
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


def test_embargoes(cli: RemoteCli, tmp_path: Path) -> None:
    made = cli.ok(
        EXPORTS,
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
    assert cli.error("alice", 3, "embargo", "import", str(sample)) == "policy_denied"
    assert len(cli.ok(EXPORTS, "embargo", "import", str(sample))) == 1
    sample.write_text(
        "imposed_by,nation,regime,valid_from,valid_to,source\nEU,PRK,arms,not-a-date,,SAMPLE\n"
    )
    assert cli.error(EXPORTS, 2, "embargo", "import", str(sample)).startswith("invalid_")
    lifted = cli.ok(EXPORTS, "embargo", "lift", made["id"], "--on", days(0), "--reason", "lifted")
    assert lifted["valid_to"] == days(0)
    assert len(cli.ok(EXPORTS, "embargo", "list")) == 2


def test_visit_request_and_decision(cli: RemoteCli) -> None:
    visit = cli.ok(
        PROGRAMMES,
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
    # The host's security officer decides, not the programme manager who asked.
    code = cli.error(PROGRAMMES, 3, "visit", "decide", visit["id"], "--approve", "--reason", "fine")
    assert code == "policy_denied"
    done = cli.ok(AFRL_OFFICER, "visit", "decide", visit["id"], "--approve", "--reason", "vetted")
    assert done["status"] == "approved"
    code = cli.error(AFRL_OFFICER, 5, "visit", "decide", visit["id"], "--deny", "--reason", "again")
    assert code == "visit_decided"
    members = cli.ok(PROGRAMMES, "policy", "project", "list")
    assert members
    assert [v["status"] for v in cli.ok(PROGRAMMES, "visit", "list")] == ["approved"]


def test_tables_for_people(cli: RemoteCli) -> None:
    _agreement(cli, "Sensor MoU")
    cli.ok(PROGRAMMES, "programme", "create", "Sensor Programme")
    for who, *args in (
        (AGREEMENTS, "agreement", "list"),
        (AGREEMENTS, "agreement", "show", "Sensor MoU"),
        (PROGRAMMES, "programme", "list"),
        (PROGRAMMES, "programme", "summary", "Sensor Programme"),
        (PROGRAMMES, "programme", "nations"),
        (EXPORTS, "authorization", "list"),
        (EXPORTS, "screen", "hits"),
        (EXPORTS, "screen", "lists"),
        (EXPORTS, "screen", "name", "Claire Dubois"),
        (EXPORTS, "embargo", "list"),
        (PROGRAMMES, "visit", "list"),
    ):
        result = cli.invoke(who, *args)
        assert result.exit_code == 0, (args, result.stdout)
    assert "Agreements" in cli.invoke(AGREEMENTS, "agreement", "list").stdout
    # A name from the server is printed as typed, never read as Rich markup.
    named = cli.invoke(PROGRAMMES, "programme", "create", "[link=https://x.example]Lure[/link]")
    assert named.exit_code == 0, named.output
    assert "created programme [link=https://x.example]Lure[/link]" in named.stdout


def test_a_researcher_is_refused_what_the_console_may_do(
    cli: RemoteCli, node: Node, tmp_path: Path
) -> None:
    """Remote commands act with the signed-in person's rights: a researcher cannot record
    an agreement, although the node's console could; nor is a remote command run as the
    console when nobody is signed in, even with the node's data directory at hand."""
    terms = (
        "--kind", "mou", "--effective", days(0), "--max-level", "1",
        "--nation", "USA", "--nation", "FRA", "--project", "Passive Sensor Fusion",
    )  # fmt: skip
    code = cli.error("alice", 3, "agreement", "create", "Researcher MoU", *terms)
    assert code == "policy_denied"
    data_dir = ("--data-dir", str(node.settings.data_dir))
    assert cli.error(None, 3, *data_dir, "agreement", "create", "Nobody MoU", *terms) == (
        "not_logged_in"
    )
    assert node.agreements.list_agreements(ConsoleOperator()) == []
    # What the console could have done: the same draft, recorded as the console.
    from caveat.services.compliance import AgreementDraft

    made = node.agreements.create(
        ConsoleOperator(),
        CallContext.cli(),
        AgreementDraft(
            name="Console MoU",
            kind=AgreementKind.MOU,
            effective_on=datetime.now(UTC).date(),
            expires_on=None,
            max_level=1,
            party_nations=("USA", "FRA"),
            projects=("Passive Sensor Fusion",),
        ),
    )
    assert made.status == "draft"
    # The agreement manager of a party may, as themselves.
    assert cli.ok(AGREEMENTS, "agreement", "create", "Manager MoU", *terms)["status"] == "draft"
    # Reading is the officers' too: a researcher gets a denial, not an empty list.
    assert cli.error("alice", 3, "agreement", "list") == "policy_denied"
