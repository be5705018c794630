"""What a partner node would receive, and why not the rest: the policy decides each item
of the catalogue for the peer's organisation, nation, accreditation and the agreements
its peering names, at the console, through the API and the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from caveat.adapters.db.models import EventRow
from caveat.api.app import create_app
from caveat.bootstrap.settings import Settings
from caveat.cli.main import app
from caveat.domain.errors import CaveatError
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.compliance.support import World
from tests.federation.test_peers import descriptor, fingerprint

CONSOLE = ConsoleOperator()


def ctx() -> CallContext:
    return CallContext.cli()


def _register(world: World, marking: str, title: str, *controls: str) -> str:
    label = parse_marking(marking, groups=world.node.registry.directory(), on=world.today)
    return world.node.catalogue.register(
        CONSOLE,
        ctx(),
        project=world.project,
        kind="document",
        title=title,
        label=label,
        originator=world.afrl,
        export=parse_export_classification(list(controls)),
    ).id


@pytest.fixture
def peered(world: World) -> dict[str, Any]:
    """A DSTL node peered under an agreement in force; items of several kinds."""
    node = world.node
    mou = node.agreements.create(CONSOLE, ctx(), world.draft(name="Sensor MoU"))
    node.agreements.move(CONSOLE, ctx(), mou.id, "activate", reason="signed")
    text = descriptor(nation="GBR", name="DSTL node")
    peer = node.federation.propose(CONSOLE, ctx(), json.dumps(text))
    node.federation.accept(CONSOLE, ctx(), peer.id, fingerprint(text))
    node.federation.set_agreements(CONSOLE, ctx(), peer.id, ["Sensor MoU"])
    items = {
        "noforn": _register(world, "SECRET//NOFORN", "noforn"),
        "top": _register(world, "TOP SECRET//REL TO USA, GBR", "top"),
        "orcon": _register(world, "SECRET//ORCON/REL TO USA, GBR", "orcon"),
    }
    return {"peer": peer.id, "items": items}


def _by_title(preview: Any) -> dict[str, Any]:
    return {i.title: i for i in preview.items}


def test_a_peer_receives_nothing_until_an_officer_says_who_it_is(
    world: World, peered: dict[str, Any]
) -> None:
    with pytest.raises(CaveatError) as unset:
        world.node.federation.preview(CONSOLE, peered["peer"])
    assert unset.value.code == "peer_recipient_unset"
    with pytest.raises(CaveatError) as foreign:
        world.node.federation.set_recipient(
            CONSOLE, ctx(), peered["peer"], organisation=world.afrl, accredited="SECRET"
        )
    assert foreign.value.code == "peer_not_a_party"  # AFRL is American; the peer British
    with pytest.raises(CaveatError) as level:
        world.node.federation.set_recipient(
            CONSOLE, ctx(), peered["peer"], organisation=world.dstl, accredited="COSMIC"
        )
    assert level.value.code == "invalid_input"


def test_each_item_goes_or_says_why_not(world: World, peered: dict[str, Any]) -> None:
    node = world.node
    made = node.federation.set_recipient(
        CONSOLE, ctx(), peered["peer"], organisation=world.dstl, accredited="SECRET"
    )
    assert made.recipient_organisation == "Dstl"
    assert made.accredited_level == "secret"
    preview = node.federation.preview(CONSOLE, peered["peer"])
    items = _by_title(preview)
    assert items["plain"].releasable
    assert items["plain"].failed == ()
    assert items["controlled"].failed == ("export_authorization",)
    assert "ITAR:USML-XI(c)(1)" in items["controlled"].reasons[0]
    assert items["noforn"].failed == ("releasability",)
    assert set(items["top"].failed) == {"clearance", "agreement"}  # accreditation, MoU ceiling
    assert items["orcon"].failed == ("caveats",)  # goes back to the originator
    assert (preview.releasable, preview.withheld) == (1, 4)
    with node.uow.read() as session:
        [event] = session.scalars(select(EventRow).where(EventRow.type == "peer.recipient_set"))
    assert json.loads(event.body)["data"]["accredited_level"] == 3


def test_an_officer_sees_only_what_they_may_discover(world: World, peered: dict[str, Any]) -> None:
    node = world.node
    node.federation.set_recipient(
        CONSOLE, ctx(), peered["peer"], organisation=world.dstl, accredited="SECRET"
    )
    everything = node.federation.preview(CONSOLE, peered["peer"])
    # gso, DSTL's security officer, is in no project: the dry run shows them nothing.
    nothing = node.federation.preview(world.principal("gso"), peered["peer"])
    assert len(everything.items) == 5
    assert nothing.items == ()
    paged = node.federation.preview(CONSOLE, peered["peer"], limit=2)
    assert len(paged.items) == 2
    assert paged.next_after == paged.items[-1].resource_id
    rest = node.federation.preview(CONSOLE, peered["peer"], after=paged.next_after)
    ids = [i.resource_id for i in paged.items + rest.items]
    assert sorted(ids) == sorted(i.resource_id for i in everything.items)  # each once


def test_the_recipient_is_not_set_by_who_recorded_the_peer(world: World) -> None:
    node = world.node
    world.scenario.person(
        "olga",
        nations=("GBR",),
        roles=(Role.NODE_OPERATOR, Role.SECURITY_OFFICER),
        org=world.scenario.org("Caveat Node Operations (GBR)", "GBR"),  # operating the node
    )
    olga = world.principal("olga")
    text = descriptor(nation="GBR", name="Another node")
    peer = node.federation.propose(olga, ctx(), json.dumps(text))
    node.federation.accept(CONSOLE, ctx(), peer.id, fingerprint(text))
    with pytest.raises(CaveatError) as own:
        node.federation.set_recipient(
            olga, ctx(), peer.id, organisation=world.dstl, accredited="SECRET"
        )
    assert own.value.code == "self_change"


def test_the_api_and_the_cli_show_the_same_dry_run(
    world: World, peered: dict[str, Any], settings: Settings, database_url: str
) -> None:
    sol = world.scenario.login(world.scenario.accounts["sol"]).token
    http = TestClient(create_app(world.node), raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {sol}"}
    recipient = f"/api/v1/federation/peers/{peered['peer']}/recipient"
    chosen = {"organisation": "Dstl", "accredited": "SECRET"}
    # sol is AFRL's officer: who receives releases is the node's operating organisation's.
    refused = http.put(recipient, json=chosen, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["rule"] == "of the organisation operating this node"
    nso = world.scenario.person(
        "nso",
        nations=("GBR",),
        roles=(Role.SECURITY_OFFICER,),
        org=world.scenario.org("Caveat Node Operations (GBR)", "GBR"),
    )
    officer = {"Authorization": f"Bearer {world.scenario.login(nso).token}"}
    answer = http.put(recipient, json=chosen, headers=officer)
    assert answer.status_code == 200, answer.text
    shown = http.get(f"/api/v1/federation/peers/{peered['peer']}/preview", headers=headers)
    assert shown.status_code == 200, shown.text
    api_view = {i["title"]: i["failed"] for i in shown.json()["items"]}
    env = {"CAVEAT_DATABASE_URL": database_url, "CAVEAT_HASH_PROFILE": "test"}
    cli = CliRunner().invoke(
        app,
        ["--data-dir", str(settings.data_dir), "federation", "preview", "DSTL node", "--json"],
        env=env,
    )
    assert cli.exit_code == 0, cli.output
    cli_view = {i["title"]: i["failed"] for i in json.loads(cli.stdout)["items"]}
    # sol (a project member cleared SECRET) sees what the console sees but the TOP SECRET item.
    assert cli_view == {**api_view, "top": ["clearance", "agreement"]}
    assert api_view["plain"] == []


def test_nobody_learns_of_a_hold_on_their_own_organisation_from_a_dry_run(
    world: World, peered: dict[str, Any]
) -> None:
    node = world.node
    node.federation.set_recipient(
        CONSOLE, ctx(), peered["peer"], organisation=world.dstl, accredited="SECRET"
    )
    sol = world.principal("sol")
    node.screening.import_list(sol, ctx(), name="Custom", fmt="generic", text="id,name\n1,Dstl\n")
    [hit] = node.screening.hits(CONSOLE)
    officer = _by_title(node.federation.preview(CONSOLE, peered["peer"]))["plain"]
    assert officer.failed == ("screening",)
    assert hit.id in " ".join(officer.reasons)
    # Dstl's own officer: the hold on their organisation holds them too, so the dry run
    # shows them nothing to learn it from.
    node.projects.add_member(CONSOLE, ctx(), world.project, "gso")
    assert node.federation.preview(world.principal("gso"), peered["peer"]).items == ()
    # An operator is not compliance staff: the subject's words, never the hold's id.
    world.scenario.person("olga", nations=("USA",), roles=(Role.NODE_OPERATOR,))
    node.projects.add_member(CONSOLE, ctx(), world.project, "olga")
    told = _by_title(node.federation.preview(world.principal("olga"), peered["peer"]))["plain"]
    assert told.failed == ("screening",)
    assert hit.id not in " ".join(told.reasons)
    assert "compliance check is open" in " ".join(told.reasons)
