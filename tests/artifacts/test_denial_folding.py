"""Denied downloads are recorded, but a flood of them by one person is folded: counted
in the next recorded denial, never dropped, and never a write per refused request."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.domain.errors import NotFound
from caveat.domain.throttle import DenialFolding
from caveat.services.artifacts._downloads import DENIALS_RECORDED_PER_MINUTE
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext
from tests.artifacts.conftest import World


def _denials(world: World) -> list[dict[str, object]]:
    with world.node.uow.read() as session:
        bodies = session.scalars(
            select(EventRow.body)
            .where(EventRow.type == "artifact.downloaded")
            .order_by(EventRow.seq)
        )
        return [json.loads(b)["data"] for b in bodies]


def test_a_flood_of_denied_downloads_is_counted_not_written_one_by_one(
    world: World, alice: Principal
) -> None:
    """Reproduction: every denied download of a random id wrote a ledger event with no
    rate limit (a cheap way to grow the ledger and hold the write lock)."""
    world.scenario.clock.now = datetime(2026, 12, 3, 10, 0, 5, tzinfo=UTC)
    ctx = CallContext("t", "10.0.0.1")
    for _ in range(30):
        with pytest.raises(NotFound):
            world.node.artifacts.open_content(alice, ctx, str(uuid.uuid4()))
    assert len(_denials(world)) == DENIALS_RECORDED_PER_MINUTE
    world.scenario.clock.advance(seconds=60)
    with pytest.raises(NotFound):
        world.node.artifacts.open_content(alice, ctx, str(uuid.uuid4()))
    denials = _denials(world)
    assert len(denials) == DENIALS_RECORDED_PER_MINUTE + 1
    assert denials[-1]["folded"] == 30 - DENIALS_RECORDED_PER_MINUTE
    assert sum(1 + int(str(d["folded"])) for d in denials) == 31  # every refusal is counted


def test_folding_is_per_person_and_per_minute() -> None:
    fold = DenialFolding(per_minute=2)
    t0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert [fold.admit("a", t0) for _ in range(4)] == [0, 0, None, None]
    assert fold.admit("b", t0) == 0  # another person has their own budget
    assert fold.admit("a", t0 + timedelta(minutes=1)) == 2


def test_a_full_table_forgets_only_what_holds_no_count() -> None:
    fold = DenialFolding(per_minute=1, max_subjects=3)
    t0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    fold.admit("a", t0)
    assert fold.admit("a", t0) is None  # a has one folded denial
    for name in ("b", "c", "d", "e"):
        fold.admit(name, t0 + timedelta(minutes=1))
    assert fold.admit("a", t0 + timedelta(minutes=1)) == 1
