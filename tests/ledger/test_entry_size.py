"""No ledger entry can outgrow a tlog-tiles entry bundle (issue 13): an entry over
65,535 bytes (a large JSON label) made its bundle answer 500 for good, so monitors
could never read past it. Large fields are committed to by their SHA-256."""

from __future__ import annotations

import hashlib
import json

import pytest
import rfc8785
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.domain.events import ENTRY_BYTES, Actor, EventTooLarge
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext


def test_a_large_field_is_stored_by_its_hash(node: Node) -> None:
    label = {"categories": [{"values": [f"NATION{i:04d}" for i in range(8000)]}]}
    with node.uow(CallContext.cli()) as uow:
        event = uow.record(
            "org.created", Actor.system("test"), target_id="x", data={"label": label, "n": 1}
        )
    with node.uow.read() as session:
        body = session.scalar(select(EventRow.body).where(EventRow.id == event.id))
    assert body is not None
    assert len(body.encode()) <= ENTRY_BYTES
    stored = json.loads(body)["data"]
    raw = bytes(rfc8785.dumps(label))
    assert stored["label"] == {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
    assert stored["n"] == 1  # small fields stay as they are
    assert event.canonical_text() == body  # what the caller holds is what was written


def test_an_event_with_many_large_fields_is_refused(node: Node) -> None:
    data = {f"f{i}": "x" * 1500 for i in range(40)}  # each small, together too large
    with pytest.raises(EventTooLarge), node.uow(CallContext.cli()) as uow:
        uow.record("org.created", Actor.system("test"), target_id="x", data=data)


def test_the_entry_bundle_of_a_large_event_is_served(node: Node) -> None:
    with node.uow(CallContext.cli()) as uow:
        uow.record(
            "org.created", Actor.system("test"), target_id="x", data={"reason": "r" * 200_000}
        )
    size = node.ledger.publish_now().size
    bundle = node.audit.entries_tile(ConsoleOperator(), 0, size)  # once an OverflowError
    assert len(bundle) > 0
