from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import example, given
from hypothesis import strategies as st

from caveat.domain.errors import InvalidInput
from caveat.domain.events import CATALOG, Actor, ActorKind, Event, Outcome, event_type
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


# Keys beyond the BMP and in U+E000-U+FFFF sort differently by code point and by UTF-16
# unit; floats, integers past 2**53 and str subclasses are written differently by json.
_KEYS = st.text(max_size=4) | st.sampled_from(["a", "é", "\ue000", "\U0001f600"])
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
    | st.sampled_from(list(Outcome)),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(_KEYS, inner, max_size=3)
    ),
    max_leaves=8,
)
# A target given as something else than text, now and then; a lone surrogate somewhere
# (RFC 8785 refuses it), now and then: either takes the reference encoder's path.
_ODD_TARGET = st.sampled_from([None] * 6 + [1, 2.0, 2**60])
_BROKEN = st.sampled_from([{}] * 6 + [{"s": "\ud800"}, {"\udfff": 1}, {"l": ["a\udc00"]}])
_SAME: dict[str, object] = {
    "broken": {},
    "odd_target": None,
    "kind": ActorKind.PERSON,
    "outcome": Outcome.SUCCESS,
}


@given(
    data=st.dictionaries(_KEYS, _JSON, max_size=4),
    broken=_BROKEN,
    fields=st.lists(st.none() | st.text(max_size=6), min_size=4, max_size=4),
    odd_target=_ODD_TARGET,
    kind=st.sampled_from(list(ActorKind)),
    outcome=st.sampled_from(list(Outcome)),
    type_name=st.sampled_from(sorted(CATALOG)),
    offset=st.integers(-12, 12),
)
@example(
    data={"\ue000": 1, "\U0001f600": 2},
    fields=["p", "n", "t", "r"],
    **_SAME,
    type_name="org.created",
    offset=0,
)
@example(data={"n": 2**53}, fields=["p", "n", "t", "r"], **_SAME, type_name="org.created", offset=0)
@example(data={"f": 1.0}, fields=["p", "n", "t", "r"], **_SAME, type_name="org.created", offset=0)
@example(
    data={"s": "\ud800"}, fields=["p", "n", "t", "r"], **_SAME, type_name="org.created", offset=0
)
@example(data={}, fields=["p", "n", "\udfff", "r"], **_SAME, type_name="org.created", offset=0)
@example(
    data={},
    fields=["p", "n", "t", "r"],
    **{**_SAME, "odd_target": 2.0},
    type_name="auth.login",
    offset=1,
)
def test_event_canonical_bytes_are_exactly_the_reference_encoders(
    data: dict[str, object],
    broken: dict[str, object],
    fields: list[str | None],
    odd_target: Any,
    kind: ActorKind,
    outcome: Outcome,
    type_name: str,
    offset: int,
) -> None:
    # The fast path (a template and json's C encoder) must give rfc8785's bytes, or
    # refuse exactly what it refuses.
    actor_id, actor_name, target, request = fields
    if odd_target is not None:
        target = odd_target
    event = Event(
        id="e1",
        type=event_type(type_name),
        actor=Actor(kind, actor_id, actor_name),
        target_id=target,
        outcome=outcome,
        occurred_at=datetime(2026, 11, 25, 12, 0, 0, 7, tzinfo=timezone(timedelta(hours=offset))),
        request_id=request,
        node_id="n1",
        data={**data, **broken},
    )
    try:
        expected = rfc8785.dumps(event.document())
    except ValueError as exc:  # CanonicalizationError, or UnicodeEncodeError for a key
        with pytest.raises(type(exc)):
            event.canonical_bytes()
        return
    assert event.canonical_bytes() == expected
    assert event.canonical_text() == expected.decode("utf-8")


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
