"""Screening in the database: imports of all three formats (bad files import nothing and
name line and column), screening on creation and on import, holds and resolution; the
ad-hoc check of one name through the service, the API, the web form and the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.compliance import ScreeningEntryRow, ScreeningListRow
from caveat.api.app import create_app
from caveat.client import CaveatClient
from caveat.domain.errors import Conflict, InvalidInput, PermissionDenied
from caveat.domain.identity import OrganisationKind, Role
from caveat.domain.screening import ScreeningFormatError, score
from caveat.server import create_server
from tests.cli.remote_support import RemoteCli
from tests.compliance.support import CONSOLE, World, ctx
from tests.compliance.test_cli_compliance import EXPORTS, cli
from tests.support import PASSWORD
from tests.web.conftest import Browser

__all__ = ["cli"]  # the command-line tests' served node, as a fixture here too

SDN = Path(__file__).parents[1] / "data" / "screening" / "sdn-2024-05-03.csv"

GENERIC = "id,name,aliases,kind,nations\nG1,Boris Badenov,Natasha Partner,individual,PTV\n"
CSL = (
    "_id,source,entity_number,type,programs,name,title,addresses,alt_names,citizenships,"
    "nationalities\n"
    "c1,Entity List (EL) - Bureau of Industry and Security,,Entity,EAR,Acme Rocket Works,,,"
    "Acme Rockets;ARW Ltd,,\n"
)


def test_imports_all_three_formats_and_screens_on_import(world: World) -> None:
    node, sol = world.node, world.principal("sol")
    world.scenario.person("boris", nations=("USA",))  # display name "Boris": no hit
    report = node.screening.import_list(sol, ctx(), name="Custom", fmt="generic", text=GENERIC)
    assert report.entries == 1
    assert report.new_hits == ()
    csl = node.screening.import_list(sol, ctx(), name="CSL", fmt="csl", text=CSL)
    assert csl.entries == 1
    sdn = (
        '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
        '2674,"ABBAS, Abu","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    )
    alt = '2674,1,"aka","ABU ABBAS FRONT MAN",-0- \n'
    got = node.screening.import_list(sol, ctx(), name="SDN", fmt="sdn", text=sdn, alt_text=alt)
    assert got.entries == 2
    # An organisation registered under a listed name is held from its creation on.
    node.registry.create_organisation(
        CONSOLE, ctx(), name="Acme Rocket Works", nation="USA", kind=_kind()
    )
    hits = node.screening.hits(CONSOLE)
    assert [h.matched_name for h in hits] == ["Acme Rocket Works"]
    # Re-importing a list re-screens everyone: a person already there is now held.
    world.scenario.person("abu", nations=("USA",))
    updated = 'id,name\nX,Abu\nY,"Boris Badenov"\n'
    report = node.screening.import_list(sol, ctx(), name="Custom", fmt="generic", text=updated)
    with node.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(ScreeningListRow)) == 3
        assert session.scalar(select(func.count()).select_from(ScreeningEntryRow)) == 5
        types = list(
            session.scalars(
                select(EventRow.type)
                .where(EventRow.type.like("screening.%"))
                .order_by(EventRow.seq)
            )
        )
    assert any(h.screened_name == "Abu" for h in node.screening.hits(CONSOLE))
    assert report.screened >= 8
    assert report.new_hits
    assert types.count("screening.list_imported") == 4
    assert types.count("screening.hit_raised") == len(node.screening.hits(CONSOLE))


def _kind() -> OrganisationKind:
    return OrganisationKind.INDUSTRY


@pytest.mark.parametrize(
    ("fmt", "text", "line", "column"),
    [
        ("generic", "id,name\n1,Good Name\n2,\n", 3, 2),
        ("csl", CSL.replace("Acme Rocket Works,,,", "Acme Rocket Works,,"), 2, None),
        ("sdn", '36,"AEROCARIBBEAN",-0- ,"CUBA"\n', 1, None),
    ],
)
def test_a_bad_file_imports_nothing(
    world: World, fmt: str, text: str, line: int, column: int | None
) -> None:
    sol = world.principal("sol")
    with pytest.raises(ScreeningFormatError) as info:
        world.node.screening.import_list(sol, ctx(), name="bad", fmt=fmt, text=text)
    assert info.value.data["line"] == line
    if column is not None:
        assert info.value.data["column"] == column
    with world.node.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(ScreeningEntryRow)) == 0
        assert session.scalar(select(func.count()).select_from(ScreeningListRow)) == 0


def test_hit_holds_until_resolved_and_separation_of_duties(world: World) -> None:
    node, sol = world.node, world.principal("sol")
    node.screening.import_list(
        sol, ctx(), name="Custom", fmt="generic", text="id,name\n1,Robert Partridge\n"
    )
    dstl = world.dstl
    assert world.failed("bob", world.plain) == {"agreement"}
    world.scenario.person("rob", nations=("GBR",), org=dstl)
    account = world.node.people.create_person(
        CONSOLE,
        ctx(),
        username="rpartridge",
        display_name="Robert Partrige",
        email="rp@example.org",
        organisation=dstl,
        citizenships=["GBR"],
        roles=[Role.SECURITY_OFFICER],
    )
    hits = node.screening.hits(CONSOLE)
    assert len(hits) == 1
    assert hits[0].subject_id == account.person.id
    assert "screening" in world.failed("rpartridge", world.plain)
    with pytest.raises(PermissionDenied) as info:  # another organisation's officer
        node.screening.resolve(sol, ctx(), hits[0].id, outcome="false_positive", reason="dob")
    assert info.value.code == "policy_denied"
    assert info.value.data["rule"] == "of the same organisation"
    me = world.principal("rpartridge")
    with pytest.raises(PermissionDenied) as info:
        node.screening.resolve(me, ctx(), hits[0].id, outcome="false_positive", reason="it's me")
    assert info.value.code == "self_change"
    gso = world.principal("gso")
    assert [h.id for h in node.screening.hits(gso)] == [hits[0].id]
    node.screening.resolve(
        gso, ctx(), hits[0].id, outcome="false_positive", reason="different date of birth"
    )
    assert "screening" not in world.failed("rpartridge", world.plain)
    with pytest.raises(Conflict):
        node.screening.resolve(gso, ctx(), hits[0].id, outcome="true_match", reason="changed")
    # A re-import does not raise the resolved hit again.
    assert node.screening.run(sol, ctx()) == []


def test_true_match_keeps_the_hold(world: World) -> None:
    node, sol = world.node, world.principal("sol")
    node.screening.import_list(sol, ctx(), name="Custom", fmt="generic", text="id,name\n1,Bob\n")
    hit = next(h for h in node.screening.hits(CONSOLE) if h.screened_name == "Bob")
    assert "screening" in world.failed("bob", world.plain)
    node.screening.resolve(
        world.principal("gso"), ctx(), hit.id, outcome="true_match", reason="confirmed by passport"
    )
    assert "screening" in world.failed("bob", world.plain)


def test_real_sdn_list_imports_and_screens(world: World) -> None:
    node, sol = world.node, world.principal("sol")
    text = SDN.read_text(encoding="utf-8", errors="strict")
    report = node.screening.import_list(sol, ctx(), name="OFAC SDN", fmt="sdn", text=text)
    assert report.entries > 14_000  # no time bound: it would fail on a slow machine, not a bug
    account = node.people.create_person(
        CONSOLE,
        ctx(),
        username="zawahiri",
        display_name="Ayman al-Zawahiri",
        email="z@example.org",
        organisation=world.afrl,
        citizenships=["USA"],
    )
    hits = [h for h in node.screening.hits(CONSOLE) if h.subject_id == account.person.id]
    assert any(h.source == "OFAC SDN" for h in hits)
    assert "screening" in world.failed("zawahiri", world.plain)


# --- the ad-hoc check of one name (issue 13) ---------------------------------------------

CHECK_LIST = (
    "id,name,aliases,kind\n"
    'Z1,"AL-ZAWAHIRI, Ayman",,individual\n'
    "G1,GEFEST-M LLC,,entity\n"
    'I1,"IVANOV, Sergey Borisovich",,individual\n'
    + "".join(f"T{n},ABU MUHAMMAD,,individual\n" for n in range(6))
)


def _events(world: World) -> list[str]:
    """Every event but sign-ins (the API and web tests sign in) and the conduct alerts a
    sign-in raises: the test clock starts at the wall clock, so a run outside working
    hours raises ``unusual_hours`` for the sign-in."""
    with world.node.uow.read() as session:
        return list(
            session.scalars(
                select(EventRow.id)
                .where(EventRow.type.not_like("auth.%"), EventRow.type != "alert.raised")
                .order_by(EventRow.id)
            )
        )


def test_an_officer_checks_a_name_and_nothing_is_recorded(world: World) -> None:
    node, sol = world.node, world.principal("sol")
    assert node.screening.check_name(sol, "Ayman al-Zawahiri").lists == ()  # nothing yet
    node.screening.import_list(sol, ctx(), name="Custom", fmt="generic", text=CHECK_LIST)
    before, hits = _events(world), node.screening.hits(CONSOLE, status=None)
    # A transposed letter in the given name, the hyphen typed as a space.
    found = node.screening.check_name(sol, "Aymna al Zawahiri")
    assert found.lists == ("Custom",)
    (match,) = found.matches
    assert (match.entry_id, match.list_name, match.kind) == ("Z1", "Custom", "individual")
    assert ("aymna", "ayman") in {(t.query, t.listed) for t in match.tokens}
    assert any(t.listed.endswith("zawahiri") and t.similarity == 1 for t in match.tokens)
    assert match.score == score("Aymna al Zawahiri", "AL-ZAWAHIRI, Ayman")
    # L.L.C. is LLC; an export control officer may check too.
    eco = world.principal("eco")
    assert [m.entry_id for m in node.screening.check_name(eco, "Gefest-M L.L.C.").matches] == ["G1"]
    # Six parties tie on their exact name: all six, past the best five.
    tied = node.screening.check_name(sol, "Abu Muhammad", limit=5)
    assert sorted(m.entry_id for m in tied.matches) == [f"T{n}" for n in range(6)]
    assert node.screening.check_name(sol, "Boris Badenov").matches == ()
    # A read: no event, no hit, nobody held.
    assert _events(world) == before
    assert node.screening.hits(CONSOLE, status=None) == hits


@pytest.mark.parametrize(
    ("name", "limit", "code"),
    [("", 5, "invalid_name"), ("x" * 201, 5, "invalid_name"), ("Ivanov", 0, "invalid_limit")],
)
def test_a_check_refuses_bad_input(world: World, name: str, limit: int, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        world.node.screening.check_name(world.principal("sol"), name, limit=limit)
    assert info.value.code == code


def test_a_check_is_for_officers(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.node.screening.check_name(world.principal("bob"), "Ayman al-Zawahiri")


def test_the_check_through_the_api_and_the_web_form(world: World) -> None:
    node = world.node
    node.screening.import_list(
        world.principal("sol"), ctx(), name="Custom", fmt="generic", text=CHECK_LIST
    )
    before = _events(world)
    with TestClient(create_app(node), raise_server_exceptions=False) as http:
        client = CaveatClient("http://testserver", http=http)
        world.clock.advance(seconds=30)
        client.login("sol", PASSWORD, world.scenario.code(world.scenario.accounts["sol"]))
        answer = http.post("/api/v1/screening/check", json={"name": "Sergei B. Ivanov"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["lists"] == ["Custom"]
        assert [m["entry_id"] for m in body["matches"]] == ["I1"]
        assert {"query": "sergei", "listed": "sergey", "similarity": 0.95} in body["matches"][0][
            "tokens"
        ]
        refused = http.post("/api/v1/screening/check", json={"name": "x", "unknown": 1})
        assert refused.status_code == 422
        world.clock.advance(seconds=30)
        client.login("bob", PASSWORD, world.scenario.code(world.scenario.accounts["bob"]))
        denied = http.post("/api/v1/screening/check", json={"name": "Ivanov"})
        assert denied.status_code == 403
    with TestClient(create_server(node), raise_server_exceptions=False) as http:
        browser = Browser(http, world.scenario)
        browser.sign_in(world.scenario.accounts["sol"])
        page = browser.post("/screening/check", {"name": "Gefest M Limited Liability Company"})
        assert page.status_code == 200
        text = page.text
        assert 'id="check-result"' in text
        assert "GEFEST-M LLC" in text
        assert "entry G1" in text
        assert "<code>gefest</code>" in text
        empty = browser.post("/screening/check", {"name": "  "})
        assert empty.status_code == 422
        assert 'id="check-error"' in empty.text
    assert _events(world) == before


def test_caveat_screen_name_on_the_command_line(cli: RemoteCli, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text(CHECK_LIST)
    assert cli.ok(EXPORTS, "screen", "name", "Ayman al-Zawahiri")["lists"] == []
    cli.ok(EXPORTS, "screen", "import", str(listed), "--name", "Custom", "--format", "generic")
    found = cli.ok(EXPORTS, "screen", "name", "Al Zawahiri Ayman")
    assert [m["entry_id"] for m in found["matches"]] == ["Z1"]
    assert found["matches"][0]["score"] == 100
    tied = cli.ok(EXPORTS, "screen", "name", "Abu Muhammad", "--limit", "2")
    assert len(tied["matches"]) == 6
    assert cli.error(EXPORTS, 2, "screen", "name", "") == "invalid_input"
    # A researcher may not check names.
    assert cli.error("alice", 3, "screen", "name", "Gefest LLC") == "policy_denied"
    human = cli.invoke(EXPORTS, "screen", "name", "Gefest LLC")
    assert human.exit_code == 0, human.stdout
    assert "GEFEST-M LLC" in human.stdout
    # The officer reads which of the name's tokens paired with the listed name's.
    assert "tokens that paired" in human.stdout
    assert re.search(r"\bgefest\b", human.stdout)
    assert [t["query"] for t in found["matches"][0]["tokens"]] == ["zawahiri", "ayman", "al"]
