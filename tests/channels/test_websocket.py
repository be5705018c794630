"""The WebSocket at ``/api/v1/channels/{id}/ws`` (starlette's TestClient): each reader
receives exactly the messages the policy lets them read, resumes without gap or
duplicate (query parameter or first message), and a handshake from another origin, a
cookie without an Origin, or no credential at all is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from caveat.bootstrap.container import Node
from caveat.server import create_server
from tests.channels.support import CONSOLE, Alliance, build, ctx, event_id, place
from tests.support import FakeClock

ORIGIN = "http://testserver"  # the TestClient's own origin


@pytest.fixture
def alliance(node: Node, clock: FakeClock) -> Alliance:
    node.channels.refresh_seconds = 0.3
    return build(node, clock)


@pytest.fixture
def client(node: Node, alliance: Alliance) -> Iterator[TestClient]:
    with TestClient(create_server(node), raise_server_exceptions=False) as c:
        yield c


def _token(alliance: Alliance, who: str) -> str:
    return alliance.world.login(alliance.world.accounts[who]).token


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def _publish(client: TestClient, alliance: Alliance, token: str, label: str, body: str) -> int:
    made = client.post(
        f"/api/v1/channels/{alliance.channel}/messages",
        json={"label": label, "body": body},
        headers=_bearer(token),
    )
    assert made.status_code == 201, made.text
    return place(alliance.channel, made.json()["id"])


def _frames(ws: WebSocketTestSession, count: int) -> list[dict[str, Any]]:
    return [ws.receive_json() for _ in range(count)]


def _refused(client: TestClient, path: str, headers: dict[str, str]) -> int:
    """The close code of a handshake the server refuses (the test fails if it accepts)."""
    try:
        client.websocket_connect(path, headers=headers).__enter__()
    except WebSocketDisconnect as exc:
        return exc.code
    raise AssertionError(f"the handshake was accepted: {headers}")


def _path(alliance: Alliance, query: str = "") -> str:
    return f"/api/v1/channels/{alliance.channel}/ws{query}"


MESSAGES = (
    ("SECRET//NOFORN", "for US eyes"),
    ("SECRET//REL TO USA, GBR", "for both"),
    ("SECRET//REL TO USA, FRA", "not for GBR"),
    ("CONFIDENTIAL//REL TO USA, GBR", "for both again"),
    ("UNCLASSIFIED", "last"),
)


def test_each_socket_receives_what_the_policy_lets_its_reader_read(
    client: TestClient, alliance: Alliance
) -> None:
    tokens = {who: _token(alliance, who) for who in ("alice", "bob", "carol")}
    expected: dict[str, list[int]] = {who: [] for who in tokens}
    sockets = {
        who: client.websocket_connect(_path(alliance, "?last_event_id=0"), headers=_bearer(t))
        for who, t in tokens.items()
    }
    with sockets["alice"] as alice, sockets["bob"] as bob, sockets["carol"] as carol:
        for label, body in MESSAGES:
            seq = _publish(client, alliance, tokens["alice"], label, body)
            for who in tokens:
                if alliance.permits(who, label, alliance.afrl):
                    expected[who].append(seq)
        assert expected["alice"] == [1, 2, 3, 4, 5]
        assert expected["bob"] == [2, 4, 5]  # the policy's word, not the test's
        for who, ws in (("alice", alice), ("bob", bob), ("carol", carol)):
            frames = _frames(ws, len(expected[who]))
            assert [place(alliance.channel, f["id"]) for f in frames] == expected[who], who
            assert {f["event"] for f in frames} == {"message"}
            assert frames[-1]["data"]["body"] == "last"
        bob_frames = [f["data"]["body"] for f in _frames_again(client, alliance, tokens["bob"])]
        assert "for US eyes" not in bob_frames
        assert "not for GBR" not in bob_frames


def _frames_again(client: TestClient, alliance: Alliance, token: str) -> list[dict[str, Any]]:
    """Everything kept that ``token``'s reader may read, replayed from the start."""
    with client.websocket_connect(_path(alliance, "?after=0"), headers=_bearer(token)) as ws:
        frames: list[dict[str, Any]] = []
        while True:
            frame = ws.receive_json()
            frames.append(frame)
            if frame["data"]["body"] == "last":
                return frames


def test_resume_from_the_query_or_the_first_message_has_no_gap_and_no_duplicate(
    client: TestClient, alliance: Alliance
) -> None:
    token = _token(alliance, "bob")
    ids = [_publish(client, alliance, token, "UNCLASSIFIED", f"m{i}") for i in range(1, 5)]
    assert ids == [1, 2, 3, 4]

    def places(frames: list[dict[str, Any]]) -> list[int]:
        return [place(alliance.channel, f["id"]) for f in frames]

    second = event_id(alliance.channel, 2)
    with client.websocket_connect(
        _path(alliance, f"?last_event_id={second}"), headers=_bearer(token)
    ) as ws:
        assert places(_frames(ws, 2)) == [3, 4]
        _publish(client, alliance, token, "UNCLASSIFIED", "m5")
        assert places(_frames(ws, 1)) == [5]  # live after the replay, nothing twice
    with client.websocket_connect(_path(alliance), headers=_bearer(token)) as ws:
        ws.send_json({"last_event_id": event_id(alliance.channel, 4)})
        assert places(_frames(ws, 1)) == [5]
        _publish(client, alliance, token, "UNCLASSIFIED", "m6")
        frame = ws.receive_json()
        assert places([frame]) == [6]
        assert frame["data"]["body"] == "m6"
    with client.websocket_connect(_path(alliance), headers=_bearer(token)) as ws:
        ws.send_json({})  # from the start of what is kept
        assert places(_frames(ws, 6)) == [1, 2, 3, 4, 5, 6]
    # A number, a forged id, or an id of another channel: refused alike.
    for bad in ("-1", "4", "1" + "A" * 32, _id_of_another_channel(alliance)):
        with client.websocket_connect(_path(alliance), headers=_bearer(token)) as ws:
            ws.send_json({"last_event_id": bad})
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1008
            assert closed.value.reason == "invalid_event_id"


def _id_of_another_channel(alliance: Alliance) -> str:
    """A genuine event id, of another channel of the same node."""
    node = alliance.node
    other = node.channels.create(CONSOLE, ctx(), name="Another", project=alliance.project).id
    return node.channels.event_ids.of(other, 2)


def test_the_session_cookie_is_believed_from_the_nodes_own_origin_only(
    client: TestClient, alliance: Alliance
) -> None:
    token = _token(alliance, "alice")
    _publish(client, alliance, token, "UNCLASSIFIED", "hello")
    client.cookies.set("caveat_session", token)
    path = _path(alliance, "?last_event_id=0")
    with client.websocket_connect(path, headers={"origin": ORIGIN}) as ws:
        assert ws.receive_json()["data"]["body"] == "hello"
    for headers in (
        {"origin": "http://evil.example"},  # a page of another site, riding the cookie
        {"origin": "https://testserver"},  # another scheme is another origin
        {"origin": "http://testserver:8443"},
        {},  # a cookie without an Origin: not a browser on this node's page
    ):
        assert _refused(client, path, headers) == 1008, headers
    # A bearer token from another origin is refused too: browsers never send one.
    client.cookies.clear()
    assert _refused(client, path, {**_bearer(token), "origin": "http://x.example"}) == 1008


def test_no_credential_a_bad_one_or_no_access_is_refused_at_the_handshake(
    client: TestClient, alliance: Alliance
) -> None:
    path = _path(alliance, "?last_event_id=0")
    for headers in ({}, _bearer("not-a-token"), _bearer(_token(alliance, "eve"))):
        assert _refused(client, path, headers) == 1008
    # An unknown channel is refused the same way as one the caller may not read.
    bob = _bearer(_token(alliance, "bob"))
    assert _refused(client, "/api/v1/channels/nope/ws?last_event_id=0", bob) == 1008
    # A reader of the channel with a resume point it was never given: accepted, then
    # closed with the reason (the hello's refusal, the same for every bad id).
    with (
        client.websocket_connect(_path(alliance, "?last_event_id=x"), headers=bob) as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert (closed.value.code, closed.value.reason) == (1008, "invalid_event_id")
