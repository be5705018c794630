"""A peer must not flood the originating node with re-release requests (ADR 0022
addendum "Re-release limits"): past its limit of requests pending there, or sent in the
last hour, a request is refused with HTTP 429, a Retry-After header and the code
``re_release_rate_limited``, and recorded (``peer.re_release_throttled``); a resend of a
request already held is never throttled. The asking node understands the answer: its
requests wait, undelivered and not lost, until the time it was told, and its sync does
not fail over it. A is the session's database; B and C are SQLite."""

from __future__ import annotations

import pytest

from caveat.domain.errors import Throttled
from caveat.services.federation import PeerCaller, ReReleaseLimits
from caveat.services.federation._re_releases import PENDING_RETRY
from tests.federation import test_re_release
from tests.federation.test_re_release import (
    CONSOLE,
    Three,
    _ask,
    _events,
    _held_at_b,
    _signed_post,
    ctx,
)

three = test_re_release.three  # the fixture: A released to B; C is A's peer only


def _post(
    three: Three, resource_id: str, request_id: str | None = None
) -> tuple[int, dict[str, object], str | None]:
    ask = _ask(resource_id) if request_id is None else _ask(resource_id, request_id=request_id)
    body = ask.to_body()
    http, url, headers = _signed_post(three, body)
    answer = http.post(url, content=body, headers=headers)
    return answer.status_code, answer.json(), answer.headers.get("retry-after")


def test_past_its_pending_limit_a_peer_is_told_429_and_when_to_ask_again(three: Three) -> None:
    artifact, _ = _held_at_b(three)
    three.a.federation_releases.re_releases.limits = ReReleaseLimits(pending=2, per_hour=100)
    first = _ask(artifact)
    for ask in (first, _ask(artifact)):
        body = ask.to_body()
        http, url, headers = _signed_post(three, body)
        assert http.post(url, content=body, headers=headers).status_code == 200
    status, problem, retry = _post(three, artifact)
    assert status == 429
    assert problem["code"] == "re_release_rate_limited"
    assert problem["retry_after"] == PENDING_RETRY
    assert retry == str(PENDING_RETRY)
    [throttled] = _events(three.a, "peer.re_release_throttled")
    assert throttled["limit"] == "2 pending"
    assert throttled["pending"] == 2
    assert len(three.a.federation_releases.re_releases.requests(CONSOLE)) == 2
    # A resend of a request already held answers as before.
    assert _post(three, artifact, first.request_id)[0] == 200
    # Once an officer decides one, there is room again.
    three.a.federation_releases.re_releases.decide(
        three.world.principal("sol"), ctx(), first.request_id, approve=False, reason="no"
    )
    assert _post(three, artifact)[0] == 200
    assert len(_events(three.a, "peer.re_release_received")) == 3


def test_past_its_hourly_limit_a_peer_waits_for_the_window(three: Three) -> None:
    artifact, _ = _held_at_b(three)
    three.a.federation_releases.re_releases.limits = ReReleaseLimits(pending=100, per_hour=2)
    assert _post(three, artifact)[0] == 200
    three.world.clock.advance(seconds=600)
    assert _post(three, artifact)[0] == 200
    status, problem, retry = _post(three, artifact)
    assert (status, problem["code"]) == (429, "re_release_rate_limited")
    # The oldest request in the window leaves it in 50 minutes.
    assert retry is not None
    assert 2990 <= int(retry) <= 3000
    assert _events(three.a, "peer.re_release_throttled")[0]["limit"] == "2 an hour"
    three.world.clock.advance(seconds=int(retry) + 1)
    assert _post(three, artifact)[0] == 200
    assert len(_events(three.a, "peer.re_release_received")) == 3


def test_the_limit_is_the_services_typed_error(three: Three) -> None:
    artifact, _ = _held_at_b(three)
    three.a.federation_releases.re_releases.limits = ReReleaseLimits(pending=1, per_hour=100)
    caller = _caller(three)
    service = three.a.federation_releases.re_releases
    service.receive(caller, ctx(), _ask(artifact).to_body())
    with pytest.raises(Throttled) as refused:
        service.receive(caller, ctx(), _ask(artifact).to_body())
    assert refused.value.code == "re_release_rate_limited"
    assert refused.value.data["retry_after"] == PENDING_RETRY
    # A flood past the limit: ten records a minute, the rest counted into the next one.
    for _ in range(14):
        with pytest.raises(Throttled):
            service.receive(caller, ctx(), _ask(artifact).to_body())
    assert len(_events(three.a, "peer.re_release_throttled")) == 10
    three.world.clock.advance(seconds=60)
    with pytest.raises(Throttled):
        service.receive(caller, ctx(), _ask(artifact).to_body())
    recorded = _events(three.a, "peer.re_release_throttled")
    assert len(recorded) == 11
    assert recorded[-1]["folded"] == 5
    assert len(service.requests(CONSOLE)) == 1


def _caller(three: Three) -> PeerCaller:
    [b] = [p for p in three.a.federation.peers(CONSOLE) if p.name == "node-b"]
    return PeerCaller(b.id, b.node_id, b.name, b.nation, b.organisation)


def test_the_asking_node_keeps_its_requests_and_waits_as_told(three: Three) -> None:
    _, item = _held_at_b(three)
    three.a.federation_releases.re_releases.limits = ReReleaseLimits(pending=1, per_hour=100)
    link = three.b_link()  # one process of B: what it was told, it remembers
    brit = three.b_principal("brit")
    first = link.re_releases.request(brit, ctx(), item, nation="AUS", justification="one")
    assert first.delivered
    second = link.re_releases.request(brit, ctx(), item, nation="AUS", justification="two")
    assert not second.delivered  # throttled: kept, not lost, and no error to the officer
    assert len(_events(three.a, "peer.re_release_throttled")) == 1
    # The next sync pulls as usual and does not ask A again before the time it named.
    link.pull(ctx(), three.a_at_b())
    assert len(_events(three.a, "peer.re_release_throttled")) == 1
    # A's officer decides the first; after the wait, the second is delivered.
    three.a.federation_releases.re_releases.decide(
        three.world.principal("sol"), ctx(), first.id, approve=False, reason="no"
    )
    three.world.clock.advance(seconds=PENDING_RETRY + 1)
    link.pull(ctx(), three.a_at_b())
    ids = {r.id for r in three.a.federation_releases.re_releases.requests(CONSOLE)}
    assert ids == {first.id, second.id}
    delivered = {
        r.id: r.delivered for r in three.b.federation_releases.re_releases.requests(CONSOLE)
    }
    assert delivered == {first.id: True, second.id: True}
