"""A thousand different people on one channel: decisions shared by fingerprint, facts
read through the subject cache in one transaction, and revocation still within the
bound for the person concerned only (docs/benchmarks.md, "Live channels")."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from caveat.bootstrap.container import Node
from caveat.domain.identity import Clearance, CommonLevel
from caveat.services.channels import Delivery, Item
from tests.channels.support import CONSOLE, Alliance, build, ctx, run
from tests.support import FakeClock

REFRESH = 0.3
# What facts promise: a refresh every REFRESH, with facts at most half a refresh old.
BOUND = REFRESH * 1.5


@pytest.fixture
def alliance(node: Node, clock: FakeClock) -> Alliance:
    """The channel tests' alliance (in-process broker) and dan: another American
    SECRET member of alice's organisation, whose facts equal hers."""
    node.channels.refresh_seconds = REFRESH
    alliance = build(node, clock)
    alliance.world.person("dan", nations=("USA",))
    node.projects.add_member(CONSOLE, ctx(), alliance.project, "dan")
    return alliance


def test_people_whose_facts_are_equal_share_one_table_of_decisions(alliance: Alliance) -> None:
    service = alliance.node.channels
    tables = {
        who: service._reader(alliance.principal(who), alliance.channel, None)[1]._decided
        for who in ("alice", "dan", "bob", "carol")
    }
    assert tables["alice"] is tables["dan"]
    assert len({id(t) for t in tables.values()}) == 3  # bob (GBR), carol (CONFIDENTIAL)


def test_a_shared_decision_is_the_policy_s_for_each_of_them(alliance: Alliance) -> None:
    service = alliance.node.channels
    markings = ["SECRET//REL TO USA, GBR", "SECRET//NOFORN", "CONFIDENTIAL"]

    async def main() -> dict[str, list[str]]:
        for m in markings:
            await service.publish(
                alliance.principal("bob"), ctx(), alliance.channel, label=m, body=m
            )
        got: dict[str, list[str]] = {}
        for who in ("dan", "alice"):  # dan decides first; alice is answered from his table
            window = await service.window(alliance.principal(who), alliance.channel)
            got[who] = [d.body for d in window.messages]
        return got

    got = run(alliance.node, main())
    oracle = [m for m in markings if alliance.permits("alice", m, alliance.dstl)]
    assert got == {"dan": oracle, "alice": oracle}
    assert [m for m in markings if alliance.permits("dan", m, alliance.dstl)] == oracle


async def _follow(alliance: Alliance, who: str, items: list[Item]) -> asyncio.Task[None]:
    stream = await alliance.node.channels.subscribe(
        alliance.principal(who), ctx(), alliance.channel
    )

    async def read() -> None:
        async for item in stream:
            items.append(item)

    return asyncio.create_task(read())


async def _send(alliance: Alliance, marking: str, body: str) -> None:
    await alliance.node.channels.publish(
        alliance.principal("alice"), ctx(), alliance.channel, label=marking, body=body
    )


def _bodies(items: list[Item]) -> list[str]:
    return [i.body for i in items if isinstance(i, Delivery)]


def test_a_lowered_clearance_stops_delivery_within_the_bound_for_that_person_only(
    alliance: Alliance, clock: FakeClock
) -> None:
    node = alliance.node

    async def main() -> tuple[list[Item], list[Item]]:
        alice: list[Item] = []
        dan: list[Item] = []
        tasks = [await _follow(alliance, "alice", alice), await _follow(alliance, "dan", dan)]
        await _send(alliance, "SECRET//REL TO USA, GBR", "secret before")
        await asyncio.sleep(0.1)
        await asyncio.to_thread(
            node.people.update_person,
            CONSOLE,
            ctx(),
            "dan",
            clearance=Clearance(
                CommonLevel.CONFIDENTIAL, "CONFIDENTIAL", "USA", clock().date().replace(year=2030)
            ),
            reason="downgraded",
        )
        await asyncio.sleep(BOUND + 0.1)
        await _send(alliance, "SECRET//REL TO USA, GBR", "secret after")
        await _send(alliance, "CONFIDENTIAL", "confidential after")
        await asyncio.sleep(0.3)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return alice, dan

    alice, dan = run(node, main())
    assert _bodies(alice) == ["secret before", "secret after", "confidential after"]
    assert _bodies(dan) == ["secret before", "confidential after"]


def test_an_ended_membership_ends_that_person_s_stream_within_the_bound_only(
    alliance: Alliance,
) -> None:
    node = alliance.node

    async def main() -> tuple[list[Item], list[Item], bool]:
        alice: list[Item] = []
        dan: list[Item] = []
        alice_task = await _follow(alliance, "alice", alice)
        dan_task = await _follow(alliance, "dan", dan)
        await _send(alliance, "UNCLASSIFIED", "before")
        await asyncio.sleep(0.1)
        await asyncio.to_thread(
            node.projects.remove_member, CONSOLE, ctx(), alliance.project, "dan"
        )
        await asyncio.sleep(BOUND + 0.1)
        await _send(alliance, "UNCLASSIFIED", "after")
        await asyncio.wait_for(dan_task, 5)  # dan's stream ended by itself
        await asyncio.sleep(0.2)
        alice_running = not alice_task.done()
        alice_task.cancel()
        await asyncio.gather(alice_task, return_exceptions=True)
        return alice, dan, alice_running

    alice, dan, alice_running = run(node, main())
    assert _bodies(dan) == ["before"]
    assert _bodies(alice) == ["before", "after"]
    assert alice_running


@contextmanager
def _statements(node: Node) -> Iterator[list[str]]:
    """The SQL the node's read engine runs, and the transactions it begins."""
    engine = node.uow._read_sessions.kw["bind"]
    seen: list[str] = []

    def statement(conn: object, cursor: object, sql: str, *args: object) -> None:
        seen.append(sql)

    def begin(conn: object) -> None:
        seen.append("<begin>")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "begin", begin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "begin", begin)


def test_a_derivation_is_one_read_transaction_and_a_repeat_one_primary_key_read(
    alliance: Alliance,
) -> None:
    service = alliance.node.channels
    dan = alliance.principal("dan")
    with _statements(alliance.node) as cold:
        service._reader(dan, alliance.channel, None)
    assert cold.count("<begin>") == 1
    with _statements(alliance.node) as warm:
        service._reader(dan, alliance.channel, None)
    assert warm.count("<begin>") == 1
    queries = [s for s in warm if s not in ("<begin>", "BEGIN")]
    assert len(queries) == 1
    assert "policy_generations" in queries[0]


def test_a_change_to_someone_else_is_seen_by_the_next_derivation(alliance: Alliance) -> None:
    """The cache never answers older than a fresh read: a change committed before a
    derivation starts is in it (here, dan's clearance, lowered right before)."""
    service = alliance.node.channels
    dan = alliance.principal("dan")
    _, before = service._reader(dan, alliance.channel, None)
    alliance.node.people.update_person(
        CONSOLE,
        ctx(),
        "dan",
        clearance=Clearance(
            CommonLevel.CONFIDENTIAL, "CONFIDENTIAL", "USA", before.at.date().replace(year=2030)
        ),
        reason="downgraded",
    )
    _, after = service._reader(dan, alliance.channel, None)
    assert 3 in before.context.facts(before.subject).cleared_levels
    assert 3 not in after.context.facts(after.subject).cleared_levels
    assert after._decided is not before._decided
