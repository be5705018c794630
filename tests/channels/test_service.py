"""The channel service on each broker: who receives what, publishing rules, resume,
backpressure, revocation, tampering and the batched ledger events."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.domain.errors import NotFound, PermissionDenied
from caveat.services.channels import Delivery, Item
from tests.channels.support import (
    CONSOLE,
    Alliance,
    collect,
    ctx,
    event_id,
    ids,
    notices,
    place,
    run,
)


async def _publish(alliance: Alliance, who: str, markings: list[str]) -> list[int]:
    service = alliance.node.channels
    out = []
    for n, marking in enumerate(markings):
        done = await service.publish(
            alliance.principal(who), ctx(), alliance.channel, label=marking, body=f"m{n} {marking}"
        )
        out.append(place(alliance.channel, done.id))
    return out


def _bodies(items: list[Item]) -> list[str]:
    return [i.body for i in items if isinstance(i, Delivery)]


def test_each_reader_receives_what_the_policy_lets_them_read(alliance: Alliance) -> None:
    markings = [
        "UNCLASSIFIED",
        "SECRET//REL TO USA, GBR",
        "SECRET//NOFORN",
        "CONFIDENTIAL//REL TO USA, GBR",
    ]

    async def read_all(who: str, last: int) -> list[Item]:
        stream = await alliance.node.channels.subscribe(
            alliance.principal(who), ctx(), alliance.channel
        )
        return await collect(stream, until=lambda got: bool(got) and _last(got) >= last, timeout=5)

    def _last(items: list[Item]) -> int:
        delivered = ids(items)
        return delivered[-1] if delivered else 0

    async def main() -> dict[str, list[str]]:
        published = await _publish(alliance, "alice", markings)
        end = await alliance.node.channels.publish(
            alliance.principal("alice"), ctx(), alliance.channel, label="UNCLASSIFIED", body="end"
        )
        assert published == [1, 2, 3, 4]
        assert place(alliance.channel, end.id) == 5
        return {who: _bodies(await read_all(who, 5)) for who in ("alice", "bob", "carol")}

    seen = run(alliance.node, main())
    assert seen["alice"] == [f"m{n} {m}" for n, m in enumerate(markings)] + ["end"]
    assert seen["bob"] == [
        "m0 UNCLASSIFIED",
        "m1 SECRET//REL TO USA, GBR",
        "m3 CONFIDENTIAL//REL TO USA, GBR",
        "end",
    ]
    assert seen["carol"] == [
        "m0 UNCLASSIFIED",
        "m3 CONFIDENTIAL//REL TO USA, GBR",
        "end",
    ]


def test_outsiders_find_no_channel(alliance: Alliance) -> None:
    service = alliance.node.channels
    eve = alliance.principal("eve")
    assert service.channels(eve) == []
    with pytest.raises(NotFound) as hidden:
        service.channel(eve, alliance.channel)
    with pytest.raises(NotFound) as missing:
        service.channel(eve, "no-such-channel")
    assert hidden.value.code == missing.value.code == "unknown_channel"

    async def main() -> None:
        with pytest.raises(NotFound):
            await service.subscribe(eve, ctx(), alliance.channel)
        # A resume point that is no event id: still "no such channel" for an outsider.
        with pytest.raises(NotFound):
            await service.subscribe(eve, ctx(), alliance.channel, after="not-an-id")
        with pytest.raises(NotFound):
            await service.window(eve, alliance.channel, after="not-an-id", upto="x")
        with pytest.raises(NotFound):
            await service.publish(eve, ctx(), alliance.channel, label="UNCLASSIFIED", body="x")

    run(alliance.node, main())
    assert [c.name for c in service.channels(alliance.principal("bob"))] == ["Trial status"]


def test_nobody_publishes_above_what_they_may_read(alliance: Alliance) -> None:
    async def main() -> None:
        with pytest.raises(PermissionDenied) as refused:
            await alliance.node.channels.publish(
                alliance.principal("carol"), ctx(), alliance.channel, label="SECRET", body="x"
            )
        assert refused.value.code == "label_above_reader"

    run(alliance.node, main())


def test_resume_after_an_event_id_has_no_gap_and_no_duplicate(alliance: Alliance) -> None:
    service = alliance.node.channels

    async def main() -> tuple[list[int], list[int]]:
        await _publish(alliance, "alice", ["UNCLASSIFIED"] * 5)
        bob = alliance.principal("bob")
        first = await collect(
            await service.subscribe(bob, ctx(), alliance.channel),
            until=lambda got: len(ids(got)) == 3,
        )
        # Three read, the connection drops; more are published while bob is away.
        await _publish(alliance, "alice", ["UNCLASSIFIED"] * 4)
        stream = await service.subscribe(
            bob, ctx(), alliance.channel, after=event_id(alliance.channel, ids(first)[-1])
        )

        async def later() -> None:
            await asyncio.sleep(0.2)
            await _publish(alliance, "alice", ["UNCLASSIFIED"] * 3)

        task = asyncio.create_task(later())
        second = await collect(stream, until=lambda got: bool(ids(got)) and ids(got)[-1] == 12)
        await task
        return ids(first), ids(second)

    first, second = run(alliance.node, main())
    assert first == [1, 2, 3]
    assert second == list(range(4, 13))


def test_a_slow_reader_is_dropped_as_lagging_and_never_delays_a_fast_one(
    alliance: Alliance,
) -> None:
    service = alliance.node.channels
    service.queue_size = 5

    async def main() -> tuple[list[Item], list[Item], list[Item]]:
        alice, bob = alliance.principal("alice"), alliance.principal("bob")
        fast = await service.subscribe(alice, ctx(), alliance.channel)
        slow = await service.subscribe(bob, ctx(), alliance.channel)
        fast_items: list[Item] = []
        fast_done = asyncio.Event()

        async def read_fast() -> None:
            async for item in fast:
                fast_items.append(item)
                if ids(fast_items) and ids(fast_items)[-1] == 30:
                    fast_done.set()
                    return

        # The slow reader is following live, takes one message and then does not read
        # for a while (a reader still catching up from the store reads at its own pace).
        slow_iter = slow.__aiter__()
        taking: asyncio.Future[Item] = asyncio.ensure_future(slow_iter.__anext__())
        reader = asyncio.create_task(read_fast())
        await asyncio.sleep(0.2)
        await _publish(alliance, "alice", ["UNCLASSIFIED"])
        first_slow = await asyncio.wait_for(taking, 30)
        for _ in range(29):  # at a pace a reader that keeps up follows (the in-process
            # broker's publish never waits, so a loop without a pause would be a burst
            # no queue of five survives, fast reader or not)
            await _publish(alliance, "alice", ["UNCLASSIFIED"])
            await asyncio.sleep(0.002)
        # The fast reader has everything while the slow one is still stuck.
        await asyncio.wait_for(fast_done.wait(), 30)
        await reader
        await fast.aclose()  # type: ignore[attr-defined]
        rest = [first_slow]
        async for item in slow_iter:
            rest.append(item)
        # It resumes from where it was dropped and gets the rest.
        last = notices(rest)[0].last_id
        resumed = await collect(
            await service.subscribe(bob, ctx(), alliance.channel, after=last),
            until=lambda got: bool(ids(got)) and ids(got)[-1] == 30,
            timeout=30,
        )
        return fast_items, rest, resumed

    fast_items, slow_items, resumed = run(alliance.node, main())
    assert ids(fast_items) == list(range(1, 31))
    [lagging] = notices(slow_items)
    assert lagging.kind == "lagging"
    dropped_at = place(alliance.channel, lagging.last_id)
    assert ids(slow_items) == list(range(1, dropped_at + 1))
    assert dropped_at < 30
    assert ids(resumed) == list(range(dropped_at + 1, 31))


def test_a_reader_who_loses_access_stops_receiving(alliance: Alliance) -> None:
    service = alliance.node.channels
    node = alliance.node

    async def main() -> list[Item]:
        stream = await service.subscribe(alliance.principal("bob"), ctx(), alliance.channel)
        items: list[Item] = []

        async def read() -> None:
            async for item in stream:
                items.append(item)

        task = asyncio.create_task(read())
        await _publish(alliance, "alice", ["UNCLASSIFIED"])
        await asyncio.sleep(0.2)
        await asyncio.to_thread(
            node.projects.remove_member, CONSOLE, ctx(), alliance.project, "bob"
        )
        await asyncio.sleep(0.8)  # past a refresh (0.3 s in these tests)
        await _publish(alliance, "alice", ["UNCLASSIFIED"])
        await asyncio.wait_for(task, 5)  # the stream ended by itself
        return items

    items = run(alliance.node, main())
    assert ids(items) == [1]


def test_activity_reaches_the_ledger_in_batches(alliance: Alliance) -> None:
    service = alliance.node.channels

    async def main() -> None:
        stream = await service.subscribe(alliance.principal("carol"), ctx(), alliance.channel)
        await _publish(alliance, "alice", ["UNCLASSIFIED", "SECRET//REL TO USA, GBR"] * 10)
        await collect(stream, until=lambda got: len(ids(got)) == 10)

    run(alliance.node, main())
    assert service.ledger.flush() == 2
    with alliance.node.uow.read() as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.type.like("channel.%")).order_by(EventRow.type)
        ).all()
    by_type = {r.type: r for r in rows}
    assert set(by_type) == {"channel.created", "channel.published", "channel.subscribed"}
    import json

    published = json.loads(by_type["channel.published"].body)["data"]
    assert (published["count"], published["first_id"], published["last_id"]) == (20, 1, 20)
    subscribed = json.loads(by_type["channel.subscribed"].body)["data"]
    assert subscribed["connections"] == 1
    assert subscribed["delivered"] == 10
    assert subscribed["withheld"] >= 9  # the last SECRET may not have been taken yet


def test_a_readers_event_ids_say_nothing_of_the_messages_withheld_from_them(
    alliance: Alliance,
) -> None:
    """Event ids were the channel's places: bob, denied the NOFORN message, received ids
    1 and 3 and so learnt that one message above his access was published between them
    (and a publisher learnt how many others published). Ids are now opaque."""
    service = alliance.node.channels
    markings = ["UNCLASSIFIED", "SECRET//NOFORN", "UNCLASSIFIED"]

    async def main() -> tuple[list[str], dict[str, list[Item]]]:
        published = [
            (
                await service.publish(
                    alliance.principal("alice"), ctx(), alliance.channel, label=m, body=m
                )
            ).id
            for m in markings
        ]
        got: dict[str, list[Item]] = {}
        for who, count in (("bob", 2), ("alice", 3)):
            stream = await service.subscribe(alliance.principal(who), ctx(), alliance.channel)

            def enough(items: list[Item], n: int = count) -> bool:
                return len(ids(items)) == n

            got[who] = await collect(stream, until=enough)
        return published, got

    published, got = run(alliance.node, main())
    bob = [i for i in got["bob"] if isinstance(i, Delivery)]
    alice = [i for i in got["alice"] if isinstance(i, Delivery)]
    assert [i.body for i in bob] == ["UNCLASSIFIED", "UNCLASSIFIED"]
    assert [i.id for i in bob] == [published[0], published[2]]  # one id per message
    assert [i.id for i in alice] == published  # the same for every reader
    assert ids(got["alice"]) == [1, 2, 3]  # the places, read back with the node's key
    assert not any(event_id.isdigit() for event_id in published)
    assert len({len(i) for i in published}) == 1  # nothing in their length either
    for item in bob:
        document = item.document()
        assert set(document) >= {"id", "message_id"}
        assert all(
            not (isinstance(value, int) and value in (1, 2, 3)) for value in document.values()
        )
