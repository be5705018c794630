"""Split-mode releases between real nodes (ADR 0033): the package carries one key split
wrapped for the receiver, the originator keeps the other; the receiver keeps the package
sealed and opens it only after obtaining the originator's split over the signed
protocol. A recall before the first open makes it unopenable for good, and the receiver
says why; a third node, a relay or a replayed request gets nothing; offline releases are
unchanged."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.federation import (
    PeerKeySplitRow,
    PeerOutboxRow,
    PeerReceivedSplitRow,
)
from caveat.adapters.tdf import TdfError, unwrap_split
from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.cli import main as cli_main
from caveat.cli import remote
from caveat.domain.errors import Conflict, InvalidInput, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.sealing import seal
from caveat.services.federation._outbound import Outbound, url_of
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.cli.remote_support import LOG_LINE
from tests.federation.test_ingest import AtB, at_b  # noqa: F401 (a fixture)
from tests.federation.test_re_release import (  # noqa: F401 (three: a fixture)
    DATA,
    Three,
    _alerts,
    _client,
    _upload,
    three,
)
from tests.support import Scenario

# Run on one database: the key split's cryptography and protocol; the outbox and cursors are
# tested on both databases in test_releasing.py.
pytestmark = pytest.mark.one_database

CONSOLE = ConsoleOperator()
LABEL = "SECRET//REL TO USA, GBR"


def ctx() -> CallContext:
    return CallContext.cli()


@pytest.fixture
def nodes(three: Three) -> Three:  # noqa: F811 (the fixture)
    """A (US, the originator), B (British, the receiver) and C (Australian, a peer of A
    only), as the re-release tests make them."""
    return three


def _events(node: Node, kind: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        rows = session.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.seq))
        return [json.loads(r.body)["data"] for r in rows]


def _sent_and_pulled(nodes: Three, key_mode: str = "split") -> tuple[str, str]:
    artifact = _upload(nodes.world, f"trials {key_mode}", LABEL)
    sent = nodes.a.federation_releases.send(
        nodes.world.principal("sol"), ctx(), "node-b", artifact, key_mode=key_mode
    )
    assert sent.key_mode == key_mode
    assert nodes.b_link().pull(ctx(), nodes.a_at_b()) == 1
    [item] = nodes.b.federation_releases.received(CONSOLE)
    return artifact, item.id


def _release_id(node: Node) -> str:
    with node.uow.read() as session:
        [row] = session.scalars(select(PeerKeySplitRow)).all()
        return row.release_id


def _signed(nodes: Three, release_id: str, by: Node | None = None) -> tuple[TestClient, str, Any]:
    """A split request to A's protocol, signed with B's key (or ``by``'s)."""
    sender = by or nodes.b
    a_http = TestClient(create_app(nodes.a), base_url="https://a.example")
    url = url_of("https://a.example", f"/splits/{release_id}")
    signing, _ = sender.keys.federation_keys()
    headers = Outbound(sender.uow.node_id, signing, nodes.a.uow.clock()).headers(
        "POST", url, b"", to=nodes.a.uow.node_id
    )
    return a_http, url, headers


def test_a_split_release_opens_only_after_the_receiver_obtains_the_split(nodes: Three) -> None:
    _, item = _sent_and_pulled(nodes)
    with nodes.a.uow.read() as session:
        [queued] = session.scalars(select(PeerOutboxRow)).all()
        [kept] = session.scalars(select(PeerKeySplitRow)).all()
        assert kept.sealed_split is not None
        assert kept.sealed_split.startswith("v1.")  # sealed at rest (domain.sealing)
    manifest = _manifest(queued.package)
    assert [k["sid"] for k in manifest["encryptionInformation"]["keyAccess"]] == ["1", "2"]
    [listed] = nodes.b.federation_releases.received(CONSOLE)
    assert (listed.split, listed.content_sha256) == ("awaiting", "")
    assert listed.size == len(DATA)  # from the bound manifest
    assert _events(nodes.a, "peer.released")[-1]["key_mode"] == "split"

    opened = nodes.b_link().open_split(CONSOLE, ctx(), item)
    assert opened.content_sha256 == hashlib.sha256(DATA).hexdigest()
    [listed] = nodes.b.federation_releases.received(CONSOLE)
    assert (listed.split, listed.content_sha256) == ("obtained", opened.content_sha256)
    [granted] = _events(nodes.a, "peer.split_granted")
    assert granted["grants"] == 1
    [obtained] = _events(nodes.b, "peer.split_obtained")
    assert obtained["content_sha256"] == opened.content_sha256
    with nodes.b.uow.read() as session:
        wait = session.get(PeerReceivedSplitRow, item)
        assert wait is not None
        assert wait.state == "obtained"
        assert wait.sealed_split is not None  # kept, sealed at rest (ADR 0033)
    with pytest.raises(Conflict) as again:
        nodes.b_link().open_split(CONSOLE, ctx(), item)
    assert again.value.code == "split_obtained_already"


def _manifest(package: bytes) -> dict[str, Any]:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        found: dict[str, Any] = json.loads(zf.read("0.manifest.json"))
        return found


def test_a_recall_before_the_first_open_makes_it_unopenable_and_says_why(
    nodes: Three,
) -> None:
    artifact, item = _sent_and_pulled(nodes)
    nodes.a.federation_releases.recalls.recall(
        nodes.world.principal("sol"), ctx(), "node-b", artifact, reason="mis_release"
    )
    with nodes.a.uow.read() as session:
        [row] = session.scalars(select(PeerKeySplitRow)).all()
        assert row.sealed_split is None  # destroyed in the recall's transaction
        assert row.destroyed_at is not None
    assert _events(nodes.a, "peer.recalled")[-1]["splits_destroyed"] == 1
    # B has not pulled the recall yet: its first open asks A, which refuses, in words.
    with pytest.raises(PermissionDenied) as refused:
        nodes.b_link().open_split(CONSOLE, ctx(), item)
    assert refused.value.code == "split_refused"
    assert "recalled" in refused.value.detail
    assert "mis_release" in refused.value.detail
    [at_a] = _events(nodes.a, "peer.split_refused")
    assert at_a["code"] == "split_recalled"
    [denied] = _events(nodes.b, "peer.split_denied")
    assert denied["code"] == "split_recalled"
    [listed] = nodes.b.federation_releases.received(CONSOLE)
    assert (listed.split, listed.content_sha256) == ("refused", "")
    with nodes.b.uow.read() as session:
        wait = session.get(PeerReceivedSplitRow, item)
        assert wait is not None
        assert "recalled" in wait.refusal
    # Asking again changes nothing: the split is gone.
    with pytest.raises(PermissionDenied):
        nodes.b_link().open_split(CONSOLE, ctx(), item)
    assert not _events(nodes.a, "peer.split_granted")
    # Once B pulls the recall the item is hidden; an operator opening it is told why.
    nodes.b_link().pull(ctx(), nodes.a_at_b())
    assert nodes.b.federation_releases.received(CONSOLE) == []
    with pytest.raises(PermissionDenied) as hidden:
        nodes.b_link().open_split(CONSOLE, ctx(), item)
    assert "recalled it (reason: mis_release)" in hidden.value.detail


def test_the_policy_is_decided_again_before_the_split_is_given(nodes: Three) -> None:
    _, item = _sent_and_pulled(nodes)
    nodes.a.federation.set_agreements(CONSOLE, ctx(), "node-b", [])  # no agreement now
    with pytest.raises(PermissionDenied) as refused:
        nodes.b_link().open_split(CONSOLE, ctx(), item)
    assert "no longer permits" in refused.value.detail
    assert _events(nodes.a, "peer.split_refused")[-1]["code"] == "split_not_releasable"


def test_a_third_node_or_a_relay_cannot_fetch_the_split(nodes: Three) -> None:
    _sent_and_pulled(nodes)
    release_id = _release_id(nodes.a)
    # C is a peer of A in good standing, but the release went to B.
    http, url, headers = _signed(nodes, release_id, by=nodes.c)
    answer = http.post(url, content=b"", headers=headers)
    assert answer.status_code == 403
    assert answer.json()["code"] == "split_unknown"
    assert "split" not in answer.json()
    assert _events(nodes.a, "peer.split_refused")[-1]["code"] == "split_unknown"
    assert _alerts(nodes.a, "peer_split_unknown") == 1
    # A relay posing as B (B's node id, another key) is refused before anything is read.
    forged = Outbound(nodes.b.uow.node_id, Ed25519PrivateKey.generate(), nodes.a.uow.clock())
    headers = forged.headers("POST", url, b"", to=nodes.a.uow.node_id)
    assert http.post(url, content=b"", headers=headers).status_code == 401
    # Unsigned: refused likewise.
    assert http.post(url, content=b"").status_code == 401
    assert not _events(nodes.a, "peer.split_granted")


def test_a_replayed_split_request_is_refused(nodes: Three) -> None:
    _sent_and_pulled(nodes)
    http, url, headers = _signed(nodes, _release_id(nodes.a))
    first = http.post(url, content=b"", headers=headers)
    assert first.status_code == 200
    assert set(first.json()["split"]) == {"wrappedKey", "ephemeralPublicKey"}
    assert http.post(url, content=b"", headers=headers).status_code == 401
    assert len(_events(nodes.a, "peer.split_granted")) == 1
    refusals = [e["refusal"] for e in _events(nodes.a, "peer.request_refused")]
    assert refusals == ["replay"]


def test_the_split_answer_is_wrapped_for_the_receiver_alone(nodes: Three) -> None:
    _sent_and_pulled(nodes)
    http, url, headers = _signed(nodes, _release_id(nodes.a))
    wrapped = http.post(url, content=b"", headers=headers).json()["split"]
    _, c_wrapping = nodes.c.keys.federation_keys()
    with pytest.raises(TdfError):
        unwrap_split(c_wrapping, wrapped)
    _, b_wrapping = nodes.b.keys.federation_keys()
    assert len(unwrap_split(b_wrapping, wrapped)) == 32


def test_an_offline_release_is_unchanged(nodes: Three) -> None:
    _, item = _sent_and_pulled(nodes, "offline")
    with nodes.a.uow.read() as session:
        assert session.scalars(select(PeerKeySplitRow)).all() == []
        [queued] = session.scalars(select(PeerOutboxRow)).all()
    [access] = _manifest(queued.package)["encryptionInformation"]["keyAccess"]
    assert "sid" not in access
    [listed] = nodes.b.federation_releases.received(CONSOLE)
    assert listed.split is None
    assert listed.content_sha256 == hashlib.sha256(DATA).hexdigest()
    with pytest.raises(Conflict) as caught:
        nodes.b_link().open_split(CONSOLE, ctx(), item)
    assert caught.value.code == "split_not_needed"
    assert _events(nodes.a, "peer.released")[-1]["key_mode"] == "offline"


def test_an_unknown_key_mode_is_refused(nodes: Three) -> None:
    artifact = _upload(nodes.world, "trials", LABEL)
    with pytest.raises(InvalidInput) as caught:
        nodes.a.federation_releases.send(
            nodes.world.principal("sol"), ctx(), "node-b", artifact, key_mode="escrow"
        )
    assert caught.value.code == "invalid_key_mode"


def test_the_api_releases_split_and_the_protocol_route_is_documented(nodes: Three) -> None:
    world = nodes.world
    artifact = _upload(world, "api trials", LABEL)
    token = world.scenario.login(world.scenario.accounts["sol"]).token
    http = TestClient(create_app(nodes.a), raise_server_exceptions=False)
    path = "/api/v1/federation/peers/node-b/releases"
    headers = {"Authorization": f"Bearer {token}"}
    bad = http.post(path, json={"artifact_id": artifact, "key_mode": "escrow"}, headers=headers)
    assert bad.status_code == 422
    made = http.post(path, json={"artifact_id": artifact, "key_mode": "split"}, headers=headers)
    assert made.status_code == 201, made.text
    assert made.json()["key_mode"] == "split"
    assert _events(nodes.a, "peer.released")[-1]["key_mode"] == "split"
    spec = http.get("/api/v1/openapi.json").json()["paths"]
    assert "/federation/v1/splits/{release}" in spec
    assert "/api/v1/federation/received/{item_id}/open" in spec


def test_a_split_item_becomes_a_local_artifact_on_its_first_open(
    at_b: AtB,  # noqa: F811 (the fixture)
) -> None:
    b = at_b.b
    b.federation.set_receiving_project(at_b.principal("bso"), ctx(), "node-a", "Partner trials")
    artifact = _upload(at_b.world, "split trials", LABEL)
    at_b.world.node.federation_releases.send(
        at_b.world.principal("sol"), ctx(), "node-b", artifact, key_mode="split"
    )
    assert at_b.pull() == 1
    assert at_b.ingested() == []  # nothing to ingest before the split: it stays sealed
    [item] = b.federation_releases.received(CONSOLE)
    opened = at_b.link().open_split(CONSOLE, ctx(), item.id)
    [ingested] = at_b.ingested()
    assert opened.artifact_id == ingested.artifact_id
    assert ingested.origin_resource_id == artifact
    content = b.artifacts.open_content(at_b.principal("reader"), ctx(), ingested.artifact_id)
    assert b"".join(content.chunks) == DATA
    assert len(_events(b, "peer.ingested")) == 1


def test_a_split_that_does_not_open_the_package_is_refused_and_alerted(nodes: Three) -> None:
    _, item = _sent_and_pulled(nodes)
    # The originator's stored split replaced (a misbehaving originator, or an answer
    # altered on the way): the receiver checks it against its key access object.
    with nodes.a.uow(ctx()) as uow:
        [row] = uow.session.scalars(select(PeerKeySplitRow)).all()
        row.sealed_split = seal(
            nodes.a.keys.secret_key(),
            os.urandom(32),
            aad=f"caveat:federation:split:{row.release_id}".encode(),
        )
    with pytest.raises(PermissionDenied) as refused:
        nodes.b_link().open_split(CONSOLE, ctx(), item)
    assert "does not open the package" in refused.value.detail
    [denied] = _events(nodes.b, "peer.split_denied")
    assert denied["code"] == "tdf_tampered"
    assert _alerts(nodes.b, "peer_split_invalid") == 1
    [listed] = nodes.b.federation_releases.received(CONSOLE)
    assert (listed.split, listed.content_sha256) == ("refused", "")


def _cli(
    monkeypatch: pytest.MonkeyPatch, node: Node, people: Scenario, who: str, *args: str
) -> tuple[int, Any]:
    """`caveat federation ...` as ``who`` signed in to ``node``'s API (in this process)."""
    monkeypatch.setattr(remote, "_client", lambda: _client(node, people, who))
    result = CliRunner().invoke(cli_main.app, ["federation", *args, "--json"])
    lines = [line for line in result.stdout.splitlines() if not LOG_LINE.match(line)]
    return result.exit_code, json.loads("\n".join(lines))


def test_the_cli_releases_split_and_opens(nodes: Three, monkeypatch: pytest.MonkeyPatch) -> None:
    artifact = _upload(nodes.world, "cli trials", LABEL)
    a_people = nodes.world.scenario
    code, sent = _cli(
        monkeypatch, nodes.a, a_people, "sol", "release", "node-b", artifact, "--key-mode", "split"
    )
    assert code == 0, sent
    assert sent["key_mode"] == "split"
    code, bad = _cli(
        monkeypatch, nodes.a, a_people, "sol", "release", "node-b", artifact, "--key-mode", "x"
    )
    assert code != 0
    assert bad["error"]["code"] == "invalid_input"  # the API allows offline or split only
    assert nodes.b_link().pull(ctx(), nodes.a_at_b()) == 1
    [item] = nodes.b.federation_releases.received(CONSOLE)
    # B's API, its split requests carried to A's app in this process.
    b = replace(nodes.b, federation_releases=nodes.b_link())
    nodes.b_people.person("bop", nations=("GBR",), roles=(Role.NODE_OPERATOR,))
    code, opened = _cli(monkeypatch, b, nodes.b_people, "bop", "open", item.id)
    assert code == 0, opened
    assert opened["content_sha256"] == hashlib.sha256(DATA).hexdigest()
    code, again = _cli(monkeypatch, b, nodes.b_people, "bop", "open", item.id)
    assert code != 0
    assert again["error"]["code"] == "split_obtained_already"


def test_only_those_who_may_sync_open_a_split_item_and_a_stranger_learns_nothing(
    nodes: Three,
) -> None:
    """The first open asks the originator for its split (a peering act, Act.PEER_PROPOSE):
    a researcher of the receiving node may not ask, and an officer of another
    organisation is refused before any item is looked up, so a real item and an id that
    does not exist get the same answer."""
    _, item = _sent_and_pulled(nodes)
    with pytest.raises(PermissionDenied):
        nodes.b_link().open_split(nodes.b_principal("reader"), ctx(), item)
    answers = []
    for asked in (item, "00000000-0000-4000-8000-000000000000"):
        with pytest.raises(Exception) as refused:  # noqa: PT011 (compared below)
            nodes.b_link().open_split(nodes.b_principal("stranger"), ctx(), asked)
        answers.append((type(refused.value), getattr(refused.value, "code", None)))
    assert answers[0] == answers[1] == (PermissionDenied, "policy_denied")
    assert _events(nodes.a, "peer.split_granted") == []  # nothing was asked of A
    [listed] = nodes.b.federation_releases.received(CONSOLE)
    assert listed.split == "awaiting"
