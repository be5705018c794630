"""What a message looks like on the wire, and that it is encoded once for every
connection it goes to (the hub hands every reader the same Delivery)."""

from __future__ import annotations

import json

import pytest
from sse_starlette import ServerSentEvent

from caveat.api.routes.channels import event_of, frame_of
from caveat.services.channels import Notice
from tests.channels.support import a_delivery

pytestmark = pytest.mark.one_database


def test_a_message_is_encoded_once_for_every_connection() -> None:
    message = a_delivery()
    first_event, first_frame = event_of(message), frame_of(message)
    assert event_of(message) is first_event
    assert frame_of(message) is first_frame


def test_a_server_sent_event_is_what_sse_starlette_makes_of_the_fields() -> None:
    message = a_delivery()
    expected = ServerSentEvent(
        data=json.dumps(message.document()), event="message", id=message.id, sep="\r\n"
    ).encode()
    assert event_of(message) == expected
    assert event_of(message).startswith(b"id: " + message.id.encode() + b"\r\nevent: message\r\n")


def test_a_websocket_frame_carries_the_same_fields() -> None:
    message = a_delivery()
    assert json.loads(frame_of(message)) == {
        "event": "message",
        "id": message.id,
        "data": json.loads(json.dumps(message.document())),
    }


def test_a_trimmed_notice_gives_no_resume_point_and_the_others_do() -> None:
    trimmed = Notice("trimmed", last_id="1" + "B" * 32, first_id="1" + "C" * 32)
    assert b"id:" not in event_of(trimmed)
    assert json.loads(frame_of(trimmed))["id"] is None
    lagging = Notice("lagging", last_id="1" + "B" * 32)
    assert event_of(lagging).startswith(b"id: 1" + b"B" * 32 + b"\r\nevent: lagging\r\n")
    assert json.loads(frame_of(lagging)) == {
        "event": "lagging",
        "id": lagging.last_id,
        "data": {"last_id": lagging.last_id},
    }
