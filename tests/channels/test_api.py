"""Channels over real HTTP on loopback: the REST endpoints, the SSE stream with
``Last-Event-ID``, and the SDK's ``client.channels`` (which ``caveat channel`` uses)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.client.channels import ServerEvent
from caveat.domain.errors import NotFound, PermissionDenied
from tests.channels.support import Alliance, build, event_id, place
from tests.intel.support import serving
from tests.support import FakeClock


@pytest.fixture
def alliance(node: Node, clock: FakeClock) -> Alliance:
    node.channels.refresh_seconds = 0.3
    return build(node, clock)


@pytest.fixture
def url(node: Node, alliance: Alliance) -> Iterator[str]:
    with serving(node) as base:
        yield base


_OPEN: list[CaveatClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(url: str, alliance: Alliance, who: str) -> CaveatClient:
    token = alliance.world.login(alliance.world.accounts[who]).token
    client = CaveatClient(url, token=token)
    _OPEN.append(client)
    return client


def test_publish_and_tail_through_the_sdk(url: str, alliance: Alliance) -> None:
    alice, bob = _client(url, alliance, "alice"), _client(url, alliance, "bob")
    [listed] = bob.channels.list()
    assert listed["name"] == "Trial status"
    for marking in ("UNCLASSIFIED", "SECRET//NOFORN", "SECRET//REL TO USA, GBR"):
        done = alice.channels.publish("Trial status", f"status {marking}", label=marking)
    assert place(alliance.channel, done["id"]) == 3
    assert done["label"] == "SECRET//REL TO USA, GBR"
    got: list[ServerEvent] = []
    with closing(bob.channels.tail(alliance.channel)) as events:
        for event in events:
            got.append(event)
            if len(got) == 2:
                break
    assert [(e.event, e.id, e.data["body"]) for e in got] == [
        ("message", event_id(alliance.channel, 1), "status UNCLASSIFIED"),
        ("message", done["id"], "status SECRET//REL TO USA, GBR"),
    ]
    assert got[1].data["label"] == "SECRET//REL TO USA, GBR"
    assert got[1].data["publisher"] == "alice"


def test_last_event_id_resumes_live(url: str, alliance: Alliance) -> None:
    alice, bob = _client(url, alliance, "alice"), _client(url, alliance, "bob")
    published = [
        alice.channels.publish(alliance.channel, f"m{n + 1}", label="UNCLASSIFIED")["id"]
        for n in range(4)
    ]
    second = published[1]
    got: list[str] = []
    done = threading.Event()

    def follow() -> None:
        with closing(bob.channels.tail(alliance.channel, after=second)) as events:
            for event in events:
                got.append(event.data["body"])
                if len(got) == 4:
                    done.set()
                    return

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    fifth = alice.channels.publish(alliance.channel, "m5", label="UNCLASSIFIED")["id"]
    sixth = alice.channels.publish(alliance.channel, "m6", label="UNCLASSIFIED")["id"]
    assert done.wait(10)
    assert got == ["m3", "m4", "m5", "m6"]
    # The header itself, as a browser's EventSource sends it on reconnecting.
    with (
        httpx.Client(
            base_url=url, headers={"Authorization": bob._http.headers["Authorization"]}
        ) as http,
        http.stream(
            "GET", f"/api/v1/channels/{alliance.channel}/events", headers={"Last-Event-ID": fifth}
        ) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        first = [next(lines) for _ in range(3)]
    assert f"id: {sixth}" in first
    assert "event: message" in first


def test_refusals_over_http(url: str, alliance: Alliance) -> None:
    eve, carol = _client(url, alliance, "eve"), _client(url, alliance, "carol")
    assert eve.channels.list() == []
    with pytest.raises(NotFound):
        eve.channels.publish(alliance.channel, "x", label="UNCLASSIFIED")
    with (
        pytest.raises(NotFound),
        closing(eve.channels.tail(alliance.channel, reconnect=False)) as events,
    ):
        next(events)
    with pytest.raises(PermissionDenied) as above:
        carol.channels.publish(alliance.channel, "x", label="SECRET//REL TO USA, GBR")
    assert above.value.code == "label_above_reader"
    with pytest.raises(PermissionDenied):
        carol.channels.create("Another", project=alliance.project)
    paula = _client(url, alliance, "paula")
    made = paula.channels.create("Sensor feed", project="Range telemetry", max_messages=50)
    assert made["max_messages"] == 50


def test_the_sdk_tails_over_the_websocket_as_over_events(url: str, alliance: Alliance) -> None:
    """The same events, decided alike, on either transport; resumes after an event id;
    a reader who may not see the channel is refused before the handshake completes."""
    alice, bob = _client(url, alliance, "alice"), _client(url, alliance, "bob")
    for marking in ("UNCLASSIFIED", "SECRET//NOFORN", "SECRET//REL TO USA, GBR", "UNCLASSIFIED"):
        alice.channels.publish(alliance.channel, f"status {marking}", label=marking)

    def first(n: int, transport: str, after: str | None = None) -> list[ServerEvent]:
        got: list[ServerEvent] = []
        with closing(
            bob.channels.tail(alliance.channel, after=after, transport=transport)  # type: ignore[arg-type]
        ) as events:
            for event in events:
                got.append(event)
                if len(got) == n:
                    break
        return got

    over_ws = first(3, "websocket")
    over_sse = first(3, "sse")
    assert [(e.id, e.data["body"]) for e in over_ws] == [(e.id, e.data["body"]) for e in over_sse]
    places = [place(alliance.channel, e.id or "") for e in over_ws]
    assert places == [1, 3, 4]  # bob (GBR) never gets the NOFORN one
    third = event_id(alliance.channel, 3)
    assert [e.id for e in first(1, "websocket", after=third)] == [over_ws[2].id]
    eve = _client(url, alliance, "eve")
    with (
        pytest.raises(PermissionDenied),
        closing(eve.channels.tail(alliance.channel, reconnect=False, transport="websocket")) as ev,
    ):
        next(ev)
