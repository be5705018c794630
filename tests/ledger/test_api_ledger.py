"""The ledger over HTTP: C2SP endpoints, proofs, explorer and alerts via the SDK."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.errors import PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.ledger import (
    Checkpoint,
    Ed25519Signer,
    open_checkpoint,
    sign_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.ledger.support import add_events
from tests.support import PASSWORD, FakeClock, Scenario


@pytest.fixture
def http(node: Node) -> Iterator[TestClient]:
    node.ledger_worker._period = 0  # tests drive the sequencer themselves
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client


def _client(http: TestClient, world: Scenario, username: str, role: Role) -> CaveatClient:
    account = world.person(username, roles=(role,))
    client = CaveatClient("http://testserver", http=TestClient(http.app))
    world.clock.advance(seconds=30)
    client.login(username, PASSWORD, world.code(account))
    return client


@pytest.fixture
def auditor(http: TestClient, node: Node, clock: FakeClock) -> CaveatClient:
    clock.now = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    return _client(http, Scenario(node, clock), "audrey", Role.AUDITOR)


def test_checkpoint_and_tiles_are_public(http: TestClient, node: Node) -> None:
    add_events(node, 300)
    node.ledger.publish_now()
    note = http.get("/checkpoint")
    assert note.status_code == 200
    assert note.headers["content-type"].startswith("text/plain")
    cp = open_checkpoint(note.text, origin="test-node", log_verifier=node.ledger.verifier())
    assert cp.checkpoint.size == 304
    tile = http.get("/tile/0/000")
    assert tile.status_code == 200
    assert len(tile.content) == 256 * 32
    assert http.get("/tile/0/001.p/47").status_code == 200
    assert http.get("/tile/0/001").status_code == 404
    assert http.get("/tile/entries/000").status_code == 401  # entries need a signed-in auditor


@pytest.mark.parametrize(
    "path",
    [
        "/tile/00/000",  # level with a leading zero
        "/tile/0/000.p/047",  # width with a leading zero
        "/tile/0/x000/000",  # an index with a leading x000 element
        "/tile/0/000.p/256",  # a full tile written as partial
        "/tile/0/000.p/0",
        "/tile/0/00",  # elements are three digits
        "/tile/9/000",  # levels past the tree: no such tile (not 422)
        "/tile/63/000",
        "/tile/64/000",
        "/tile/0/x999/x999/x999/x999/x999/x999/999",  # an index past any log
        "/tile/0/\u0660\u0660\u0660",  # Arabic-Indic digits are digits, but not these
        "/tile/0/\uff10\uff10\uff10",  # full-width digits
        "/tile/0/x\u0660\u0660\u0660/000",
        "/tile/0/" + "x001/" * 1500 + "000",  # once a 500 (too many digits for int)
    ],
)
def test_only_the_canonical_tile_path_is_served(http: TestClient, node: Node, path: str) -> None:
    add_events(node, 300)
    node.ledger.publish_now()
    assert http.get(path).status_code == 404


def test_full_tiles_are_immutable_and_partial_ones_cached_briefly(
    http: TestClient, node: Node
) -> None:
    add_events(node, 300)
    node.ledger.publish_now()
    full = http.get("/tile/0/000")
    assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
    partial = http.get("/tile/0/001.p/47")
    assert partial.headers["cache-control"] == "public, max-age=60"
    assert http.get("/checkpoint").headers["cache-control"] == "no-store"  # it moves on


def test_proofs_through_the_client_verify(
    http: TestClient, node: Node, auditor: CaveatClient, clock: FakeClock
) -> None:
    operator = _client(http, Scenario(node, clock), "otto", Role.NODE_OPERATOR)
    add_events(node, 40)
    with pytest.raises(PermissionDenied) as refused:
        auditor.publish_checkpoint()  # only operators (and the sequencer) publish
    assert refused.value.code == "policy_denied"
    first = operator.publish_checkpoint()
    add_events(node, 9)
    second = operator.publish_checkpoint()
    p = auditor.inclusion_proof(index=12)
    unb = base64.b64decode
    verify_inclusion(
        p["index"],
        p["size"],
        unb(p["leaf_hash"]),
        [unb(h) for h in p["proof"]],
        unb(p["root_hash"]),
    )
    c = auditor.consistency_proof(first["size"])
    verify_consistency(
        first["size"],
        second["size"],
        [unb(h) for h in c["proof"]],
        unb(first["root_hash"]),
        unb(second["root_hash"]),
    )
    assert auditor.ledger_entry(12)["schema"] == "caveat.event/1"
    assert len(http.get("/tile/entries/000.p/5", headers=auditor._http.headers).content) > 5


def test_explorer_csv_and_alerts_through_the_client(
    http: TestClient, node: Node, auditor: CaveatClient, clock: FakeClock
) -> None:
    page = auditor.audit_events(action="person.*", limit=1)
    assert len(page["entries"]) == 1
    assert page["next_cursor"]
    assert "person.created" in auditor.audit_events_csv(action="person.created")
    me = auditor.me()["id"]
    assert auditor.person_history(me)["entries"]
    clock.now = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # after hours
    officer = _client(http, Scenario(node, clock), "sam", Role.SECURITY_OFFICER)
    node.ledger.integrate()
    node.monitoring.scan(CallContext.cli())
    [alert] = [a for a in officer.alerts(status="open") if a["subject_name"] == "sam"]
    with pytest.raises(PermissionDenied):
        officer.acknowledge_alert(alert["id"], "me myself")  # the alert is about sam
    done = node.monitoring.acknowledge(ConsoleOperator(), CallContext.cli(), alert["id"], note="ok")
    assert officer.alerts()[0]["status"] == done.status == "acknowledged"


def test_the_events_table_through_the_client(auditor: CaveatClient, node: Node) -> None:
    table = auditor.audit_table(sort="type", dir="asc", limit=2, actor_kind="person")
    types = [e["type"] for e in table["entries"]]
    assert types == sorted(types)
    kinds = {f["value"]: f["count"] for f in table["facets"]["actor_kind"]}
    assert kinds["person"] == table["total"]  # the facet leaves its own filter out
    assert table["pages"] == -(-table["total"] // 2)
    logins = auditor.audit_table(action="person.created")
    by_type = {f["value"]: f["count"] for f in logins["facets"]["type"]}
    assert logins["total"] == by_type["person.created"]
    day = logins["facets"]["day"][0]["value"]
    assert auditor.audit_table(day=day)["total"] == sum(
        f["count"] for f in logins["facets"]["day"] if f["value"] == day
    ) + sum(
        f["count"]
        for f in auditor.audit_table(day=day)["facets"]["type"]
        if f["value"] != "person.created"
    )


def test_the_activity_through_the_client(auditor: CaveatClient, node: Node) -> None:
    for filters in ({}, {"action": "person.*"}, {"actor_kind": "person"}):
        activity = auditor.audit_activity(**filters)
        table = auditor.audit_table(**filters)
        assert activity["total"] == table["total"] > 0
        assert sum(sum(b["counts"].values()) for b in activity["bars"]) == activity["total"]
        assert activity["period"] in ("hour", "day", "month")
    assert auditor.audit_activity(action="person.*")["families"] == ["access"]
    day = auditor.audit_table()["facets"]["day"][0]["value"]
    assert len(auditor.audit_activity(day=day)["bars"]) == 24


def test_researchers_cannot_explore(http: TestClient, node: Node, clock: FakeClock) -> None:
    rita = _client(http, Scenario(node, clock), "rita", Role.RESEARCHER)
    with pytest.raises(PermissionDenied):
        rita.audit_events()
    with pytest.raises(PermissionDenied):
        rita.audit_activity()
    assert rita.inclusion_proof(index=0)["size"] >= 1  # proofs reveal only hashes


def _post(http: TestClient, body: str) -> tuple[int, str, str]:
    r = http.post("/add-checkpoint", content=body, headers={"content-type": "text/plain"})
    return r.status_code, r.headers.get("content-type", ""), r.text


def test_witness_endpoint_follows_tlog_witness(http: TestClient, node: Node) -> None:
    partner = Ed25519Signer.generate("partner.example/log")
    node.witnesses.trust_log(ConsoleOperator(), CallContext.cli(), vkey=partner.verifier().vkey)
    root = bytes(32)
    signed = sign_checkpoint(Checkpoint("partner.example/log", 5, root), partner)
    assert _post(http, "garbage")[0] == 400
    unknown = sign_checkpoint(Checkpoint("nobody", 5, root), Ed25519Signer.generate("nobody"))
    assert _post(http, f"old 0\n\n{unknown}")[0] == 404
    forged = sign_checkpoint(
        Checkpoint("partner.example/log", 5, root), Ed25519Signer.generate("partner.example/log")
    )
    assert _post(http, f"old 0\n\n{forged}")[0] == 403
    assert _post(http, f"old 6\n\n{signed}")[0] == 400  # old size beyond the checkpoint
    status, _, text = _post(http, f"old 0\n\n{signed}")
    assert status == 200
    assert text.startswith("\u2014 test-node ")
    assert _post(http, f"old 0\n\n{signed}")[:2] == (409, "text/x.tlog.size")
    other = sign_checkpoint(Checkpoint("partner.example/log", 5, b"\x01" * 32), partner)
    assert _post(http, f"old 5\n\n{other}")[0] == 409  # same size, another root: a fork
    bigger = sign_checkpoint(Checkpoint("partner.example/log", 9, root), partner)
    proof = base64.b64encode(b"\x02" * 32).decode()
    assert _post(http, f"old 5\n{proof}\n\n{bigger}")[0] == 422


def test_entry_bundles_are_never_kept_by_a_cache_without_asking(
    http: TestClient, node: Node, auditor: CaveatClient
) -> None:
    add_events(node, 300)
    node.ledger.publish_now()
    bundle = auditor._http.get("/tile/entries/000")
    assert bundle.status_code == 200
    assert bundle.headers["cache-control"] == "private, no-cache"
