"""Re-release to a third nation, end to end between three real nodes: the node holding a
received item never sends it on; its officer asks, the request travels signed to the
originating node and is decided there; an approval is the originator's own release,
through its policy; the decision travels back signed and is recorded where it was asked.
A request about what the originator never sent, an altered or forged one, and a decision
not signed by the originator are refused and alerted; a replay changes nothing."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.adapters.db.models.federation import PeerOutboxRow, PeerReReleaseRow
from caveat.adapters.db.models.ledger import AlertRow
from caveat.adapters.db.models.notifications import NotificationRow
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.api.app import create_app
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.errors import (
    CaveatError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from caveat.domain.federation_re_releases import (
    Decision,
    DecisionStatement,
    ReReleaseAsk,
    sign_decision,
)
from caveat.domain.identity import Role
from caveat.services.artifacts import NewArtifact
from caveat.services.federation import PeerReleases
from caveat.services.federation._outbound import Outbound, url_of
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.compliance.support import World
from tests.federation.support import Pair, _peer, make_pair, releases
from tests.support import FakeClock, Scenario, migrated_sqlite

# Run on one database: requests routed between three nodes; the release workflow's storage
# is tested on both databases.
pytestmark = pytest.mark.one_database

CONSOLE = ConsoleOperator()
DATA = b"range_km,pd\n40,0.91\n60,0.74\n"


def ctx() -> CallContext:
    return CallContext.cli()


class Three:
    """A (the world's US node), B (British, holding what A released to it) and C
    (Australian, a peer of A only), with B's officer and reader."""

    def __init__(self, pair: Pair, c: Node, world: World) -> None:
        self.pair, self.c, self.world = pair, c, world
        self.a, self.b = pair.a, pair.b
        self.b_people = Scenario(pair.b, world.clock)

    def b_principal(self, username: str) -> Principal:
        return Principal(person=self.b.people.get_person(username), mfa_at=self.world.clock())

    def b_link(self) -> PeerReleases:
        """B's releases speaking to A's app (the protocol, signed, in this process)."""
        a_http = TestClient(create_app(self.a), base_url="https://a.example")
        return releases(self.b, HttpPeerTransport(http=a_http))

    def a_at_b(self) -> str:
        [peer] = self.b.federation.peers(CONSOLE)
        return peer.id


@pytest.fixture
def three(node: Node, clock: FakeClock, tmp_path: Path, world: World) -> Iterator[Three]:
    for pair in make_pair(node, clock, tmp_path, b_nation="GBR"):
        mou = node.agreements.create(CONSOLE, ctx(), world.draft(name="Sensor MoU"))
        node.agreements.move(CONSOLE, ctx(), mou.id, "activate", reason="signed")
        node.federation.set_agreements(CONSOLE, ctx(), "node-b", ["Sensor MoU"])
        node.federation.set_recipient(
            CONSOLE, ctx(), "node-b", organisation=world.dstl, accredited="SECRET"
        )
        c, _ = init_node(
            Settings(
                data_dir=tmp_path / "c",
                database_url=migrated_sqlite(tmp_path / "c.db"),
                hash_profile=HashProfile.TEST,
                node_name="node-c",
            ),
            FirstOperator(
                username="operatorc",
                display_name="Carol C",
                email="carol@c.example",
                organisation="Node C Operations",
                nation="AUS",
            ),
            clock=clock,
        )
        _peer(node, c, "node-c", "AUS", "https://c.example")
        dstg = world.scenario.org("DSTG", "AUS")
        tri = node.agreements.create(
            CONSOLE,
            ctx(),
            world.draft(name="Trilateral", party_nations=("USA", "GBR", "AUS")),
        )
        node.agreements.move(CONSOLE, ctx(), tri.id, "activate", reason="signed")
        node.federation.set_agreements(CONSOLE, ctx(), "node-c", ["Trilateral"])
        node.federation.set_recipient(
            CONSOLE, ctx(), "node-c", organisation=dstg, accredited="SECRET"
        )
        # B: what A releases goes to Dstl, whose officer asks and whose reader reads.
        made = Three(pair, c, world)
        b_dstl = made.b_people.org("Dstl", "GBR")
        pair.b.federation.set_recipient(
            CONSOLE, ctx(), "node-a", organisation=b_dstl, accredited="SECRET"
        )
        made.b_people.person("brit", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=b_dstl)
        made.b_people.person("reader", nations=("GBR",), org=b_dstl)
        other = made.b_people.org("Other Lab", "GBR")
        made.b_people.person(
            "stranger", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=other
        )
        yield made
        c.close()


def _upload(world: World, title: str, label: str) -> str:
    version = world.node.artifacts.put(
        world.principal("alice"),
        ctx(),
        [DATA],
        sha256=hashlib.sha256(DATA).hexdigest(),
        new=NewArtifact(project=world.project, kind="dataset", title=title, label=label),
        filename=f"{title}.csv",
        media_type="text/csv",
    )
    with world.node.uow.read() as session:
        row = session.get(ArtifactVersionRow, version.id)
        assert row is not None
        return row.artifact_id


def _held_at_b(
    three: Three, title: str = "trials", label: str = "SECRET//REL TO USA, AUS, GBR"
) -> tuple[str, str]:
    """An artifact of A released to B and pulled there: (A's artifact id, B's item id)."""
    artifact = _upload(three.world, title, label)
    three.a.federation_releases.send(three.world.principal("sol"), ctx(), "node-b", artifact)
    assert three.b_link().pull(ctx(), three.a_at_b()) == 1
    items = three.b.federation_releases.received(CONSOLE)
    [kept] = [i for i in items if i.origin_resource_id == artifact]
    return artifact, kept.id


def _events(node: Node, kind: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        rows = session.scalars(select(EventRow).where(EventRow.type == kind).order_by(EventRow.seq))
        return [json.loads(r.body)["data"] for r in rows]


def _alerts(node: Node, rule: str) -> int:
    with node.uow.read() as session:
        return len(session.scalars(select(AlertRow).where(AlertRow.rule == rule)).all())


def _notified(node: Node, kind: str) -> list[str]:
    with node.uow.read() as session:
        return [
            n.recipient_id
            for n in session.scalars(select(NotificationRow).where(NotificationRow.kind == kind))
        ]


def test_a_request_travels_is_approved_there_and_the_answer_comes_back(three: Three) -> None:
    artifact, item = _held_at_b(three)
    link = three.b_link()
    brit = three.b_principal("brit")
    asked = link.re_releases.request(
        brit, ctx(), item, nation="aus", peer="node-c", justification="trilateral trials"
    )
    assert asked.direction == "sent"
    assert asked.delivered  # A was reachable: it holds the request
    assert asked.status == "pending"
    assert asked.nation == "AUS"
    [requested] = _events(three.b, "peer.re_release_requested")
    assert requested["item_id"] == item
    assert requested["resource_id"] == artifact

    # On A: pending, who asked as B states it, the originating officers told.
    [received] = three.a.federation_releases.re_releases.requests(CONSOLE)
    assert received.id == asked.id
    assert received.direction == "received"
    assert received.peer == "node-b"
    assert received.requested_by_stated == "Brit"
    [logged] = _events(three.a, "peer.re_release_received")
    assert logged["requested_by_stated"] == "Brit"
    sol = three.world.principal("sol")
    assert sol.person_id in _notified(three.a, "re_release_request")
    assert [p.id for p in three.a.federation_releases.re_releases.pending_for(sol)] == [asked.id]
    assert three.a.work.queue(sol).counts["re_release_decide"] == 1  # sol's queue
    assert three.a.work.queue(three.world.principal("alice")).counts["re_release_decide"] == 0
    # Only an officer of the originating organisation decides.
    with pytest.raises(PermissionDenied):
        three.a.federation_releases.re_releases.decide(
            three.world.principal("alice"), ctx(), asked.id, approve=True
        )

    decided = three.a.federation_releases.re_releases.decide(sol, ctx(), asked.id, approve=True)
    assert decided.status == "approved"
    assert decided.released_to == "node-c"
    [released] = [e for e in _events(three.a, "peer.released") if e["resource_id"] == artifact][1:]
    [decision] = _events(three.a, "peer.re_release_decided")
    assert decision["decision"] == "approved"
    assert decision["released_to"] == "node-c"
    assert decision["release_seq"] == released["seq"]
    with three.a.uow.read() as session:
        to_c = session.scalars(
            select(PeerOutboxRow).where(
                PeerOutboxRow.resource_id == artifact, PeerOutboxRow.kind == "package"
            )
        ).all()
        assert len(to_c) == 2  # B's, and now C's
    with pytest.raises(Conflict) as twice:
        three.a.federation_releases.re_releases.decide(
            sol, ctx(), asked.id, approve=False, reason="changed my mind"
        )
    assert twice.value.code == "re_release_decided"

    # B pulls the signed decision, records it and tells who asked.
    link.pull(ctx(), three.a_at_b())
    [answered] = _events(three.b, "peer.re_release_answered")
    assert answered["decision"] == "approved"
    assert answered["request_id"] == asked.id
    assert brit.person_id in _notified(three.b, "re_release_answered")
    [at_b] = three.b.federation_releases.re_releases.requests(brit)
    assert at_b.status == "approved"


def test_an_approval_the_policy_refuses_fails_with_its_reasons(three: Three) -> None:
    _, item = _held_at_b(three, label="SECRET//REL TO USA, GBR")  # not releasable to AUS
    link = three.b_link()
    asked = link.re_releases.request(
        three.b_principal("brit"), ctx(), item, nation="AUS", justification="please"
    )
    re_releases = three.a.federation_releases.re_releases
    with pytest.raises(PermissionDenied) as refused:
        re_releases.decide(three.world.principal("sol"), ctx(), asked.id, approve=True)
    assert refused.value.code == "node_release_denied"
    assert refused.value.data["failed"]
    [still] = re_releases.requests(CONSOLE)
    assert still.status == "pending"  # nothing decided, nothing sent
    assert _events(three.a, "peer.re_release_decided") == []
    # The officer refuses instead, with a reason, and B learns it.
    with pytest.raises(InvalidInput):
        re_releases.decide(three.world.principal("sol"), ctx(), asked.id, approve=False)
    done = re_releases.decide(
        three.world.principal("sol"), ctx(), asked.id, approve=False, reason="not REL AUS"
    )
    assert done.status == "refused"
    link.pull(ctx(), three.a_at_b())
    [answered] = _events(three.b, "peer.re_release_answered")
    assert answered == {
        "request_id": asked.id,
        "seq": answered["seq"],
        "item_id": item,
        "resource_id": asked.resource_id,
        "nation": "AUS",
        "decision": "refused",
        "reason": "not REL AUS",
    }


def test_only_the_receiving_organisation_s_officer_asks(three: Three) -> None:
    _, item = _held_at_b(three)
    link = three.b_link()
    with pytest.raises(PermissionDenied):
        link.re_releases.request(
            three.b_principal("reader"), ctx(), item, nation="AUS", justification="x"
        )
    with pytest.raises(PermissionDenied):  # an officer, of another organisation
        link.re_releases.request(
            three.b_principal("stranger"), ctx(), item, nation="AUS", justification="x"
        )
    with pytest.raises(InvalidInput):
        link.re_releases.request(
            three.b_principal("brit"), ctx(), item, nation="Australia", justification="x"
        )
    with pytest.raises(InvalidInput):
        link.re_releases.request(
            three.b_principal("brit"), ctx(), item, nation="AUS", justification=" "
        )
    with pytest.raises(NotFound):
        link.re_releases.request(
            three.b_principal("brit"), ctx(), str(uuid.uuid4()), nation="AUS", justification="x"
        )
    assert _events(three.b, "peer.re_release_requested") == []


def test_a_request_crossing_a_recall_is_rejected_there_and_answered(three: Three) -> None:
    artifact, item = _held_at_b(three)
    sol = three.world.principal("sol")
    three.a.federation_releases.recalls.recall(sol, ctx(), "node-b", artifact, reason="mis_release")
    # B asks before its next pull brings the recall: A refuses the request itself.
    made = three.b_link().re_releases.request(
        three.b_principal("brit"), ctx(), item, nation="AUS", justification="x"
    )
    assert made.status == "rejected"
    assert made.reason == "re_release_not_sent"
    [answered] = _events(three.b, "peer.re_release_answered")
    assert answered["decision"] == "rejected"
    assert three.b_principal("brit").person_id in _notified(three.b, "re_release_answered")
    assert _alerts(three.a, "peer_re_release_invalid") == 1
    assert three.a.federation_releases.re_releases.requests(CONSOLE) == []


def test_b_never_releases_to_c_directly(three: Three) -> None:
    _, item = _held_at_b(three)
    _peer(three.b, three.c, "node-c", "AUS", "https://c.example")
    with pytest.raises(PermissionDenied) as refused:
        three.b.federation_releases.send(three.b_principal("brit"), ctx(), "node-c", item)
    assert refused.value.code == "re_release_not_originator"
    assert "node-a" in refused.value.detail


def test_an_unreachable_originator_gets_the_request_on_the_next_sync(three: Three) -> None:
    _, item = _held_at_b(three)
    # B's own transport reaches nobody (a.example is not served): the request is kept.
    kept = three.b.federation_releases.re_releases.request(
        three.b_principal("brit"), ctx(), item, nation="AUS", justification="x"
    )
    assert not kept.delivered
    assert three.a.federation_releases.re_releases.requests(CONSOLE) == []
    three.b_link().pull(ctx(), three.a_at_b())  # the next sync delivers it
    [there] = three.a.federation_releases.re_releases.requests(CONSOLE)
    assert there.id == kept.id
    [here] = three.b.federation_releases.re_releases.requests(CONSOLE)
    assert here.delivered


def _signed_post(three: Three, body: bytes, by: Node | None = None) -> Any:
    """B's node (or ``by``) posting ``body`` to A's protocol, signed with its key."""
    sender = by or three.b
    a_http = TestClient(create_app(three.a), base_url="https://a.example")
    url = url_of("https://a.example", "/re-release-requests")
    signing, _ = sender.keys.federation_keys()
    signer = Outbound(sender.uow.node_id, signing, three.a.uow.clock())
    headers = signer.headers("POST", url, body, to=three.a.uow.node_id)
    headers["content-type"] = "application/json"
    return a_http, url, headers


def _ask(resource_id: str, **changes: str) -> ReReleaseAsk:
    values: dict[str, Any] = {
        "request_id": str(uuid.uuid4()),
        "resource_id": resource_id,
        "nation": "AUS",
        "peer": "",
        "justification": "trials",
        "requested_by": "Brit",
        "requested_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    values.update(changes)
    return ReReleaseAsk(**values)


def test_a_request_about_what_a_never_sent_b_is_refused_and_alerted(three: Three) -> None:
    _held_at_b(three)
    never = _upload(three.world, "never sent", "SECRET//REL TO USA, AUS, GBR")
    body = _ask(never).to_body()
    http, url, headers = _signed_post(three, body)
    answer = http.post(url, content=body, headers=headers)
    assert answer.status_code == 404
    assert answer.json()["code"] == "re_release_not_sent"
    [rejected] = _events(three.a, "peer.re_release_rejected")
    assert rejected["resource_id"] == never
    assert _alerts(three.a, "peer_re_release_invalid") == 1
    assert three.a.federation_releases.re_releases.requests(CONSOLE) == []


def test_an_altered_request_is_refused_and_alerted(three: Three) -> None:
    artifact, _ = _held_at_b(three)
    body = _ask(artifact).to_body()
    http, url, headers = _signed_post(three, body)
    altered = body.replace(b'"AUS"', b'"RUS"')
    answer = http.post(url, content=altered, headers=headers)
    assert answer.status_code == 401
    assert _alerts(three.a, "peer_request_refused") == 1
    assert three.a.federation_releases.re_releases.requests(CONSOLE) == []
    # Signed by a key that is not B's (a third node posing as B): refused likewise.
    signer = Outbound(three.b.uow.node_id, Ed25519PrivateKey.generate(), three.a.uow.clock())
    [a_at_b] = three.b.federation.peers(CONSOLE)
    forged = signer.headers("POST", url, body, to=a_at_b.node_id)
    forged["content-type"] = "application/json"
    assert http.post(url, content=body, headers=forged).status_code == 401
    assert three.a.federation_releases.re_releases.requests(CONSOLE) == []


def test_a_replayed_request_is_idempotent(three: Three) -> None:
    artifact, _ = _held_at_b(three)
    ask = _ask(artifact)
    body = ask.to_body()
    for _ in range(2):  # the same request id again (a retried delivery), freshly signed
        http, url, headers = _signed_post(three, body)
        answer = http.post(url, content=body, headers=headers)
        assert answer.status_code == 200
        assert answer.json() == {"request_id": ask.request_id, "status": "pending"}
    assert len(_events(three.a, "peer.re_release_received")) == 1
    # The same id with other content is a conflict, not a second request.
    other = _ask(artifact, request_id=ask.request_id, nation="NZL").to_body()
    http, url, headers = _signed_post(three, other)
    assert http.post(url, content=other, headers=headers).status_code == 409
    # Another peer (C) cannot take B's request id: officers here decide by id.
    http, url, headers = _signed_post(three, body, by=three.c)
    assert http.post(url, content=body, headers=headers).status_code == 409
    [only] = three.a.federation_releases.re_releases.requests(CONSOLE)
    assert only.nation == "AUS"
    assert only.peer == "node-b"


def test_a_decision_not_signed_by_the_originator_is_refused_and_alerted(three: Three) -> None:
    _, item = _held_at_b(three)
    link = three.b_link()
    asked = link.re_releases.request(
        three.b_principal("brit"), ctx(), item, nation="AUS", justification="x"
    )
    three.a.federation_releases.re_releases.decide(
        three.world.principal("sol"), ctx(), asked.id, approve=False, reason="no"
    )
    forged = sign_decision(
        DecisionStatement(
            request_id=asked.id,
            origin_node_id=three.a.uow.node_id,
            to_node_id=three.b.uow.node_id,
            resource_id=asked.resource_id,
            decision=Decision.APPROVED,
            reason="",
            decided_at=datetime.now(UTC),
        ),
        Ed25519PrivateKey.generate(),
    )
    with three.a.uow(ctx()) as uow:
        row = uow.session.scalar(
            select(PeerOutboxRow).where(PeerOutboxRow.kind == "re_release_decision")
        )
        assert row is not None
        row.package = forged
    link.pull(ctx(), three.a_at_b())
    [refused] = _events(three.b, "peer.package_refused")
    assert refused["code"] == "peer_re_release_invalid"
    assert _alerts(three.b, "peer_package_refused") >= 1
    assert _events(three.b, "peer.re_release_answered") == []
    with three.b.uow.read() as session:
        row_b = session.scalar(select(PeerReReleaseRow))
        assert row_b is not None
        assert row_b.status == "pending"


def test_errors_are_typed(three: Three) -> None:
    with pytest.raises(NotFound) as unknown:
        three.a.federation_releases.re_releases.decide(
            three.world.principal("sol"), ctx(), str(uuid.uuid4()), approve=True
        )
    assert unknown.value.code == "unknown_re_release_request"
    assert isinstance(unknown.value, CaveatError)


# --- surfaces: API and SDK, web, CLI -----------------------------------------------------


def _client(node: Node, people: Scenario, username: str) -> Any:
    from caveat.client import CaveatClient

    http = TestClient(create_app(node), raise_server_exceptions=False)
    token = people.login(people.accounts[username]).token
    return CaveatClient("http://testserver", token=token, http=http)


def test_the_api_and_sdk_ask_list_and_decide(three: Three) -> None:
    _, item = _held_at_b(three)
    brit_b = _client(three.b, three.b_people, "brit")
    with pytest.raises(PermissionDenied):
        _client(three.b, three.b_people, "reader").federation.re_release(
            item, nation="AUS", justification="x"
        )
    with pytest.raises(InvalidInput):
        brit_b.federation.re_release(item, nation="Australia", justification="x")
    # B's own transport reaches nobody here: the request is kept for the next sync.
    made = brit_b.federation.re_release(item, nation="AUS", justification="trials", peer="node-c")
    assert made["status"] == "pending"
    assert made["delivered"] is False
    assert made["to_peer"] == "node-c"
    three.b_link().pull(ctx(), three.a_at_b())
    [listed] = brit_b.federation.re_releases()
    assert listed["delivered"] is True

    sol = _client(three.a, three.world.scenario, "sol")
    [pending] = sol.federation.re_releases(status="pending")
    assert pending["id"] == made["id"]
    assert pending["requested_by_stated"] == "Brit"
    with pytest.raises(PermissionDenied):
        _client(three.a, three.world.scenario, "alice").federation.re_releases()
    with pytest.raises(InvalidInput):
        sol.federation.decide_re_release(made["id"], approve=False)  # a refusal says why
    decided = sol.federation.decide_re_release(made["id"], approve=True)
    assert decided["status"] == "approved"
    assert decided["released_to"] == "node-c"
    with pytest.raises(Conflict):
        sol.federation.decide_re_release(made["id"], approve=True)


def test_the_partners_pages_ask_on_b_and_decide_on_a(three: Three) -> None:
    from caveat.server import create_server
    from tests.web.conftest import Browser

    _, item = _held_at_b(three)
    b_browser = Browser(
        TestClient(create_server(three.b), raise_server_exceptions=False), three.b_people
    )
    b_browser.sign_in(three.b_people.accounts["brit"])
    page = b_browser.client.get("/federation").text
    assert f'action="/federation/received/{item}/re-release"' in page
    assert "No re-release requests." in page
    bad = b_browser.post(
        f"/federation/received/{item}/re-release", {"nation": "XX", "justification": "x"}
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    asked = b_browser.post(
        f"/federation/received/{item}/re-release",
        {"nation": "AUS", "peer": "", "justification": "trilateral trials"},
    )
    assert asked.status_code == 303, asked.text
    assert "next sync" in b_browser.client.get(asked.headers["location"]).text
    three.b_link().pull(ctx(), three.a_at_b())
    [made] = three.b.federation_releases.re_releases.requests(CONSOLE)

    a_browser = Browser(
        TestClient(create_server(three.a), raise_server_exceptions=False), three.world.scenario
    )
    a_browser.sign_in(three.world.scenario.accounts["sol"])
    listing = a_browser.client.get("/federation").text
    assert f'action="/federation/re-releases/{made.id}/approve"' in listing
    assert "not verified" in listing  # who asked is as B states it
    assert "trilateral trials" in listing
    refused = a_browser.post(f"/federation/re-releases/{made.id}/refuse", {"reason": ""})
    assert refused.status_code == 422
    done = a_browser.post(f"/federation/re-releases/{made.id}/refuse", {"reason": "not now"})
    assert done.status_code == 303, done.text
    after = a_browser.client.get("/federation").text
    assert f"/federation/re-releases/{made.id}/approve" not in after
    assert "refused: not now" in after


def _cli(
    monkeypatch: pytest.MonkeyPatch, node: Node, people: Scenario, who: str, *args: str
) -> tuple[int, Any]:
    """`caveat federation re-release ...` as ``who`` signed in to ``node``'s server (its
    API in this process), answering JSON."""
    import re

    from typer.testing import CliRunner

    from caveat.cli import main as cli_main
    from caveat.cli import remote

    monkeypatch.setattr(remote, "_client", lambda: _client(node, people, who))
    result = CliRunner().invoke(cli_main.app, ["federation", "re-release", *args, "--json"])
    log = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")
    lines = [line for line in result.stdout.splitlines() if not log.match(line)]
    return result.exit_code, json.loads("\n".join(lines))


def test_the_cli_asks_lists_and_decides(three: Three, monkeypatch: pytest.MonkeyPatch) -> None:
    _, item = _held_at_b(three)
    code, made = _cli(
        monkeypatch,
        three.b,
        three.b_people,
        "brit",
        "request",
        item,
        "--nation",
        "AUS",
        "--justification",
        "trials",
    )
    assert code == 0, made
    assert made["status"] == "pending"
    code, refused = _cli(
        monkeypatch, three.b, three.b_people, "reader", "request", item, "--nation", "AUS",
        "--justification", "x",
    )  # fmt: skip
    assert code != 0
    assert refused["error"]["code"] == "policy_denied"  # a reader, not an officer
    three.b_link().pull(ctx(), three.a_at_b())
    a_people = three.world.scenario
    code, pending = _cli(monkeypatch, three.a, a_people, "sol", "list", "--status", "pending")
    assert code == 0
    assert [p["id"] for p in pending] == [made["id"]]
    code, bad = _cli(monkeypatch, three.a, a_people, "sol", "decide", made["id"], "--refuse")
    assert code != 0
    assert bad["error"]["code"] == "invalid_re_release_request"
    code, done = _cli(
        monkeypatch, three.a, a_people, "sol", "decide", made["id"], "--refuse",
        "--reason", "not now",
    )  # fmt: skip
    assert code == 0, done
    assert done["status"] == "refused"
