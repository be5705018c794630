"""The compliance API end to end through the SDK: agreement lifecycle flips a real
cross-national read decision; screening import, hit and resolution; typed problems."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError
from tests.compliance.support import World
from tests.support import PASSWORD


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.node), raise_server_exceptions=False) as client:
        yield client


def client_for(http: TestClient, world: World, username: str) -> CaveatClient:
    client = CaveatClient("http://testserver", http=http)
    world.clock.advance(seconds=30)
    client.login(username, PASSWORD, world.scenario.code(world.scenario.accounts[username]))
    return client


def test_agreement_and_screening_through_the_api(http: TestClient, world: World) -> None:
    agnes = client_for(http, world, "agnes")
    created = agnes.create_agreement(
        name="Sensor MoU",
        kind="mou",
        effective_on=world.today.isoformat(),
        expires_on=(world.today + timedelta(days=5)).isoformat(),
        max_level=3,
        party_nations=["USA", "GBR"],
        projects=[world.project],
        ip_terms={"foreground": "joint", "publication_review_days": 60},
        disputes={"mechanism": "consultation", "governing_law": "none: MoU"},
    )
    assert created["status"] == "draft"
    assert created["ip_terms"]["foreground"] == "joint"
    assert "agreement" in world.failed("bob", world.plain)
    agnes.move_agreement("Sensor MoU", "activate", "signed by both parties")
    assert world.failed("bob", world.plain) == set()
    with pytest.raises(CaveatError) as info:
        agnes.move_agreement("Sensor MoU", "activate", "again")
    assert info.value.code == "invalid_agreement_transition"
    with pytest.raises(CaveatError) as info:
        client_for(http, world, "bob").create_agreement(
            name="X",
            kind="nda",
            effective_on=world.today.isoformat(),
            max_level=0,
            party_nations=["USA", "GBR"],
            projects=[world.project],
        )
    assert info.value.code == "policy_denied"  # bob is no agreement manager

    sol = client_for(http, world, "sol")
    report = sol.import_screening_list("Custom", "generic", "id,name\n1,Bob\n")
    assert report["entries"] == 1
    assert len(report["new_hits"]) == 1
    with pytest.raises(CaveatError) as info:
        sol.import_screening_list("Broken", "generic", "id,name\n1,\n")
    assert info.value.code == "invalid_screening_file"
    gso = client_for(http, world, "gso")
    [hit] = gso.screening_hits()
    assert "screening" in world.failed("bob", world.plain)
    gso.resolve_hit(hit["id"], "false_positive", "a different Bob: date of birth")
    assert world.failed("bob", world.plain) == set()
    eco = client_for(http, world, "eco")
    added = eco.add_embargo(
        imposed_by="USA",
        nation="GBR",
        valid_from=world.today.isoformat(),
        source="SAMPLE: not a real embargo",
    )
    assert "embargo" in world.failed("bob", world.plain)
    eco.lift_embargo(added["id"], world.today.isoformat(), "test ends")
    world.clock.advance(days=1)
    assert "embargo" not in world.failed("bob", world.plain)
