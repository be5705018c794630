from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from caveat.domain.errors import InvalidInput
from caveat.domain.events import CATALOG, Actor, Event, Outcome, event_type
from caveat.domain.throttle import ThrottlePolicy


def test_event_canonical_bytes_are_rfc8785_and_complete() -> None:
    event = Event(
        id="e1",
        type=event_type("org.created"),
        actor=Actor.system("console"),
        target_id="o1",
        outcome=Outcome.SUCCESS,
        occurred_at=datetime(2026, 11, 25, 12, 0, tzinfo=UTC),
        request_id="r1",
        node_id="n1",
        data={"z": 1, "a": "é"},
    )
    raw = event.canonical_bytes()
    assert raw.startswith(b'{"actor":{"id":null,"kind":"system","name":"console"},"data":{"a":"')
    document = json.loads(raw)
    assert document == event.document()
    assert document["type"] == "org.created"
    assert document["type_version"] == 1
    assert document["occurred_at"] == "2026-11-25T12:00:00.000000+00:00"


def test_event_types_are_catalogued_and_naive_times_refused() -> None:
    with pytest.raises(InvalidInput):
        event_type("no.such.event")
    assert all(t.version >= 1 for t in CATALOG.values())
    with pytest.raises(InvalidInput):
        Event(
            id="e",
            type=event_type("org.created"),
            actor=Actor.anonymous(),
            target_id=None,
            outcome=Outcome.FAILURE,
            occurred_at=datetime(2026, 1, 1),
            request_id=None,
            node_id="n",
        )


def test_backoff_doubles_from_the_threshold_up_to_the_cap() -> None:
    policy = ThrottlePolicy(
        threshold=5,
        base_wait=timedelta(seconds=30),
        max_wait=timedelta(minutes=10),
        hard_lock_after=20,
    )
    assert [policy.wait_after(n) for n in range(5)] == [None] * 5
    assert policy.wait_after(5) == timedelta(seconds=30)
    assert policy.wait_after(6) == timedelta(seconds=60)
    assert policy.wait_after(7) == timedelta(seconds=120)
    assert policy.wait_after(30) == timedelta(minutes=10)
    assert not policy.is_hard_lock(19)
    assert policy.is_hard_lock(20)
