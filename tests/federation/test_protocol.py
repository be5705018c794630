"""The signed protocol between nodes (``/federation/v1``): two real nodes, each with
its own database and keys, peered both ways; one speaks to the other through the
other's ASGI app. Every refusal answers alike, lands in the receiver's ledger with its
reason, and a known peer's refusal raises an alert."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.ledger import AlertRow
from caveat.adapters.federation_signatures import sign_request
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.bootstrap.container import Node
from caveat.domain.errors import Conflict, IntegrityError, ServiceUnavailable
from caveat.domain.ledger import Ed25519Signer, sign_note
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import WitnessService
from tests.federation.support import InProcessWitness, Pair, linked
from tests.federation.test_peers import descriptor
from tests.support import FakeClock

CONSOLE = ConsoleOperator()
HELLO = "https://b.example/federation/v1/hello"


def _signed(pair: Pair, clock: FakeClock, **overrides: Any) -> dict[str, str]:
    """Headers of a request A signs for B (``overrides`` change what is signed)."""
    signing: dict[str, Any] = {
        "key_id": pair.a.uow.node_id,
        "key": pair.a_key,
        "audience": pair.b.uow.node_id,
        "created": clock(),
        "nonce": "n" + Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()[:40],
    }
    url = overrides.pop("url", HELLO)
    body = overrides.pop("body", b"")
    return sign_request("GET", url, body, **{**signing, **overrides})


def _refusals(node: Node) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.type == "peer.request_refused").order_by(EventRow.seq)
        )
        return [json.loads(r.body)["data"] for r in rows]


def _alerts(node: Node) -> list[AlertRow]:
    with node.uow.read() as session:
        return list(
            session.scalars(select(AlertRow).where(AlertRow.rule == "peer_request_refused"))
        )


def test_hello_goes_both_ways_over_signed_requests(pair: Pair) -> None:
    answer = pair.a_link.hello(CONSOLE, "node-b")
    assert answer.node_id == pair.b.uow.node_id
    assert answer.name == "node-b"
    assert answer.you_are == "node-a"
    assert _refusals(pair.b) == []


def test_a_signed_request_is_accepted_once(pair: Pair, clock: FakeClock) -> None:
    headers = _signed(pair, clock)
    first = pair.b_http.get("/federation/v1/hello", headers=headers)
    assert first.status_code == 200, first.text
    again = pair.b_http.get("/federation/v1/hello", headers=headers)
    assert again.status_code == 401
    assert again.json()["code"] == "peer_request_refused"
    assert [r["refusal"] for r in _refusals(pair.b)] == ["replay"]
    assert len(_alerts(pair.b)) == 1


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"key": Ed25519PrivateKey.generate()}, "bad_signature"),
        ({"url": "https://b.example/federation/v1/hello?also=1"}, "bad_signature"),
        ({"audience": "9d1f5a52-0000-4000-8000-000000000000"}, "wrong_audience"),
        ({"body": b"something else"}, "digest_mismatch"),
        ({"created": "later"}, "not_yet_valid"),
        ({"created": "earlier"}, "expired"),
        ({"lifetime": timedelta(hours=1)}, "too_long"),
    ],
)
def test_a_bad_request_is_refused_recorded_and_alerted_once_the_peer_signed_it(
    pair: Pair, clock: FakeClock, change: dict[str, Any], refusal: str
) -> None:
    shifts = {"later": timedelta(minutes=5), "earlier": -timedelta(minutes=10)}
    if change.get("created") in shifts:
        change = {"created": clock() + shifts[change["created"]]}
    headers = _signed(pair, clock, **change)
    answer = pair.b_http.get("/federation/v1/hello", headers=headers)
    assert answer.status_code == 401
    assert answer.json()["code"] == "peer_request_refused"
    assert answer.json()["detail"] == "the request was refused"  # never the reason
    assert [r["refusal"] for r in _refusals(pair.b)] == [refusal]
    if refusal == "bad_signature":  # not the peer's signature: a stranger, no alert
        assert _alerts(pair.b) == []
        return
    [alert] = _alerts(pair.b)
    assert refusal in alert.summary


def test_strangers_and_unsigned_requests_are_refused_without_an_alert(
    pair: Pair, clock: FakeClock
) -> None:
    stranger = _signed(pair, clock, key_id="5c0ffee0-0000-4000-8000-000000000000")
    assert pair.b_http.get("/federation/v1/hello", headers=stranger).status_code == 401
    assert pair.b_http.get("/federation/v1/hello").status_code == 401
    garbage = {"Signature-Input": "caveat=((", "Signature": "caveat=:AA==:"}
    assert pair.b_http.get("/federation/v1/hello", headers=garbage).status_code == 401
    assert [r["refusal"] for r in _refusals(pair.b)] == ["unknown_peer", "unsigned", "malformed"]
    assert _alerts(pair.b) == []


def test_a_flood_of_refused_requests_is_folded_into_counts(pair: Pair, clock: FakeClock) -> None:
    clock.advance(seconds=60 - clock().second)  # the start of a minute
    for _ in range(25):
        assert pair.b_http.get("/federation/v1/hello").status_code == 401
    assert len(_refusals(pair.b)) == 10
    clock.advance(minutes=1)
    assert pair.b_http.get("/federation/v1/hello").status_code == 401
    recorded = _refusals(pair.b)
    assert len(recorded) == 11
    assert recorded[-1]["folded"] == 15  # nothing lost: the flood is counted


def test_a_revoked_peer_is_refused(pair: Pair, clock: FakeClock) -> None:
    pair.b.federation.revoke(CONSOLE, CallContext.cli(), "node-a", reason="agreement ended")
    answer = pair.b_http.get("/federation/v1/hello", headers=_signed(pair, clock))
    assert answer.status_code == 401
    assert [r["refusal"] for r in _refusals(pair.b)] == ["peer_not_active"]
    with pytest.raises(Conflict) as refused:
        pair.a_link.hello(CONSOLE, "node-b")
    assert refused.value.code == "peer_refused_request"


def test_a_request_signed_for_one_node_is_worthless_at_another(pair: Pair) -> None:
    # A records a third node C whose endpoint is really B's address: A signs for C, and
    # B refuses what was not signed for B.
    imposter = descriptor(name="node-c", nation="FRA", endpoint="https://b.example")
    ctx = CallContext.cli()
    peer = pair.a.federation.propose(CONSOLE, ctx, json.dumps(imposter))
    pair.a.federation.accept(CONSOLE, ctx, peer.id, peer.fingerprint)
    with pytest.raises(Conflict) as refused:
        pair.a_link.hello(CONSOLE, "node-c")
    assert refused.value.code == "peer_refused_request"
    assert [r["refusal"] for r in _refusals(pair.b)] == ["wrong_audience"]


def test_a_peer_that_cannot_be_reached_says_so(pair: Pair) -> None:
    link = linked(pair.a, HttpPeerTransport(timeout=2.0))
    unreachable = descriptor(name="node-d", nation="CAN", endpoint="https://127.0.0.1:9")
    ctx = CallContext.cli()
    peer = pair.a.federation.propose(CONSOLE, ctx, json.dumps(unreachable))
    pair.a.federation.accept(CONSOLE, ctx, peer.id, peer.fingerprint)
    with pytest.raises(ServiceUnavailable) as refused:
        link.hello(CONSOLE, "node-d")
    assert refused.value.code == "peer_unavailable"


def test_an_answer_from_the_wrong_node_is_an_integrity_failure(pair: Pair) -> None:
    class Liar:
        def send(
            self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
        ) -> tuple[int, bytes]:
            answer = {"node_id": "not-b", "name": "node-b", "you_are": "node-a"}
            return 200, json.dumps(answer).encode()

    link = linked(pair.a, Liar())
    with pytest.raises(IntegrityError) as refused:
        link.hello(CONSOLE, "node-b")
    assert refused.value.code == "peer_answer_invalid"


def test_peering_makes_each_node_witness_the_other(pair: Pair) -> None:
    a, b = pair.a, pair.b
    b_origin = b.ledger.origin
    assert [w.name for w in a.witnesses.witnesses()] == [b_origin]
    assert [log.origin for log in a.witnesses.witnessed_logs()] == [b_origin]
    assert [log.origin for log in b.witnesses.witnessed_logs()] == [a.ledger.origin]
    asking = WitnessService(
        uow=a.uow,
        ledger=a.ledger,
        monitoring=a.monitoring,
        transport=InProcessWitness(pair.b_http),
        clock=a.uow.clock,
    )
    [outcome] = asking.request_cosignatures(CONSOLE, CallContext.cli())
    assert outcome.status == "cosigned", outcome
    [logged] = b.witnesses.witnessed_logs()
    assert logged.size == outcome.size > 0


def test_a_hello_whose_checkpoint_another_key_signed_is_not_believed(pair: Pair) -> None:
    forged = Ed25519Signer(pair.b.ledger.origin, Ed25519PrivateKey.generate())
    note = sign_note(f"{pair.b.ledger.origin}\n1\n{'A' * 43}=\n", [forged])

    class Forger:
        def send(
            self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int = 0
        ) -> tuple[int, bytes]:
            answer = {
                "node_id": pair.b.uow.node_id,
                "name": "node-b",
                "you_are": "node-a",
                "checkpoint": note,
            }
            return 200, json.dumps(answer).encode()

    with pytest.raises(IntegrityError) as refused:
        linked(pair.a, Forger()).hello(CONSOLE, "node-b")
    assert refused.value.code == "peer_answer_invalid"
    assert "log key" in str(refused.value)
