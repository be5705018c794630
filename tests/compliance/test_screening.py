"""Screening in the database: imports of all three formats (bad files import nothing and
name line and column), screening on creation and on import, holds and resolution."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.compliance import ScreeningEntryRow, ScreeningListRow
from caveat.domain.errors import Conflict, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.screening import ScreeningFormatError
from tests.compliance.support import CONSOLE, World, ctx

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
            session.scalars(select(EventRow.type).where(EventRow.type.like("screening.%")))
        )
    assert any(h.screened_name == "Abu" for h in node.screening.hits(CONSOLE))
    assert report.screened >= 8
    assert report.new_hits
    assert types.count("screening.list_imported") == 4
    assert types.count("screening.hit_raised") == len(node.screening.hits(CONSOLE))


def _kind():  # type: ignore[no-untyped-def]
    from caveat.domain.identity import OrganisationKind

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
    started = time.perf_counter()
    report = node.screening.import_list(sol, ctx(), name="OFAC SDN", fmt="sdn", text=text)
    elapsed = time.perf_counter() - started
    assert report.entries > 14_000
    assert elapsed < 30
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
