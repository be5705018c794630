"""The federation API: an operator records a peer, another officer accepts it by its
fingerprint, a researcher is refused, and every answer has a documented body."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.federation.test_peers import descriptor, fingerprint
from tests.support import FakeClock, Scenario


@pytest.fixture
def http(node: Node) -> TestClient:
    return TestClient(create_app(node), raise_server_exceptions=False)


def _bearer(world: Scenario, username: str, *roles: Role) -> dict[str, str]:
    account = world.person(username, roles=roles)
    return {"Authorization": f"Bearer {world.login(account).token}"}


def test_record_accept_list_and_refusals(http: TestClient, node: Node, clock: FakeClock) -> None:
    world = Scenario(node, clock)
    olga = _bearer(world, "olga", Role.NODE_OPERATOR)
    operating = node.federation.node_organisation(ConsoleOperator())
    assert operating is not None
    # The operating organisation's officer accepts peers; another organisation's may not.
    officer = world.person(
        "sid", nations=(operating.nation,), roles=(Role.SECURITY_OFFICER,), org=operating.id
    )
    sid = {"Authorization": f"Bearer {world.login(officer).token}"}
    oscar = _bearer(world, "oscar", Role.SECURITY_OFFICER)
    rita = _bearer(world, "rita", Role.RESEARCHER)
    text = descriptor()
    assert http.post("/api/v1/federation/peers", json=text, headers=rita).status_code == 403
    made = http.post("/api/v1/federation/peers", json=text, headers=olga)
    assert made.status_code == 201, made.text
    peer = made.json()
    assert (peer["status"], peer["fingerprint"]) == ("proposed", fingerprint(text))
    wrong = http.post(
        f"/api/v1/federation/peers/{peer['id']}/accept",
        json={"fingerprint": fingerprint(descriptor())},
        headers=sid,
    )
    assert (wrong.status_code, wrong.json()["code"]) == (409, "fingerprint_mismatch")
    bad = http.post("/api/v1/federation/peers", json={**text, "nation": "XX"}, headers=olga)
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_nation")
    foreign = http.post(
        f"/api/v1/federation/peers/{peer['id']}/accept",
        json={"fingerprint": peer["fingerprint"]},
        headers=oscar,
    )
    assert foreign.status_code == 403
    done = http.post(
        f"/api/v1/federation/peers/{peer['id']}/accept",
        json={"fingerprint": peer["fingerprint"]},
        headers=sid,
    )
    assert (done.status_code, done.json()["status"]) == (200, "active")
    # Where received items go: the same officer, once the peer's organisation is set.
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Partner trials")
    receiving = f"/api/v1/federation/peers/{peer['id']}/receiving-project"
    early = http.put(receiving, json={"project": "Partner trials"}, headers=sid)
    assert (early.status_code, early.json()["code"]) == (409, "receiving_project_invalid")
    dstl = world.org("Dstl", "GBR")
    recipient = {"organisation": dstl, "accredited": "SECRET"}
    set_ = http.put(f"/api/v1/federation/peers/{peer['id']}/recipient", json=recipient, headers=sid)
    assert set_.status_code == 200, set_.text
    assert http.put(receiving, json={"project": "Partner trials"}, headers=oscar).status_code == 403
    named = http.put(receiving, json={"project": "Partner trials"}, headers=sid)
    assert (named.status_code, named.json()["receiving_project"]) == (200, "Partner trials")
    listed = http.get("/api/v1/federation/peers", headers=sid).json()
    assert [p["node_id"] for p in listed] == [text["node_id"]]
    assert http.get("/api/v1/federation/peers", headers=rita).status_code == 403
    own = http.get(
        "/api/v1/federation/descriptor",
        params={
            "name": "Own",
            "nation": "USA",
            "organisation": "AFRL",
            "endpoint": "https://caveat.afrl.example",
        },
        headers=olga,
    ).json()
    assert own["descriptor"]["node_id"] == node.uow.node_id
    assert len(own["fingerprint"].replace(" ", "")) == 64


def test_every_federation_answer_has_a_documented_body(http: TestClient) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    for path, methods in spec["paths"].items():
        if not path.startswith("/api/v1/federation"):
            continue
        for method, operation in methods.items():
            ok = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            assert "schema" in ok["content"]["application/json"], (method, path)
