"""Channels across a NATS cluster: two nats-server processes with JetStream, routed to
each other on loopback, each with its own store. A message published by a Caveat worker
connected to server A reaches a reader whose worker is connected to server B, decided
for that reader as anywhere else.

Two servers suffice for the channels' R1 streams: the JetStream meta group of two needs
both servers up to elect its leader (and to create a stream), and then each stream
lives on one server and is reached through the other over the route. A cluster that
must survive the loss of a server needs three (and ``CAVEAT_CHANNEL_NATS_REPLICAS=3``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from caveat.adapters.channels.nats import NatsBroker
from caveat.bootstrap.container import Node
from caveat.domain.channels import Retention
from caveat.services.channels import ChannelLedger, ChannelService, Delivery, Notice
from tests.channels.nats_server import NatsServer, nats_server_binary
from tests.channels.support import Alliance, build, collect, ctx, ids, notices
from tests.support import FakeClock, free_port

pytestmark = pytest.mark.skipif(nats_server_binary() is None, reason="nats-server is not installed")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[NatsServer, NatsServer]]:
    ports = free_port(), free_port()
    a = NatsServer(tmp_path, name="a", cluster_port=ports[0], routes=[ports[1]])
    b = NatsServer(tmp_path, name="b", cluster_port=ports[1], routes=[ports[0]])
    with a, b:
        yield a, b


@pytest.fixture
def alliance(node: Node, clock: FakeClock) -> Alliance:
    node.channels.refresh_seconds = 0.3
    return build(node, clock)


def _worker(node: Node, broker: NatsBroker) -> ChannelService:
    """Another worker process of the node: its own channel service on ``broker``."""
    return ChannelService(
        uow=node.uow,
        policy=node.policy,
        broker=broker,
        secret_key=node.keys.secret_key,
        ledger=ChannelLedger(uow=node.uow),
        refresh_seconds=0.3,
    )


async def _ready(broker: NatsBroker, channel: str) -> None:
    """Open the channel's stream once the cluster's JetStream has elected its leader."""
    deadline = time.monotonic() + 60
    while True:
        try:
            await broker.open(channel, Retention())
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def test_a_message_published_through_one_server_reaches_a_reader_on_the_other(
    alliance: Alliance, cluster: tuple[NatsServer, NatsServer]
) -> None:
    a, b = cluster
    node = alliance.node
    on_a = NatsBroker(servers=[a.url])
    on_b = NatsBroker(servers=[b.url])
    node.channels.broker = on_a  # this worker publishes through server A
    other_worker = _worker(node, on_b)  # another worker of the node, connected to server B
    channel = alliance.channel

    async def main() -> list[int]:
        try:
            await _ready(on_a, channel)
            stream = await other_worker.subscribe(alliance.principal("bob"), ctx(), channel)
            reading = asyncio.ensure_future(collect(stream, until=lambda got: 2 in ids(got)))
            await asyncio.sleep(0.3)  # bob follows the stream through B before anything is sent
            sent = (("SECRET//NOFORN", "not for bob"), ("SECRET//REL TO USA, GBR", "hi"))
            for label, body in sent:
                await node.channels.publish(
                    alliance.principal("alice"), ctx(), channel, label=label, body=body
                )
            return ids(await reading)
        finally:
            await on_a.close()
            await on_b.close()

    assert asyncio.run(main()) == [2]


def test_a_reader_resumes_through_the_other_server_with_no_gap_and_no_duplicate(
    alliance: Alliance, cluster: tuple[NatsServer, NatsServer]
) -> None:
    # Bob reads through a worker on server B, drops, and resumes from his last event id
    # through a worker on server A while messages keep coming: the second worker reads
    # the kept messages from the other server's stream and joins the live feed there.
    a, b = cluster
    node = alliance.node
    on_a = NatsBroker(servers=[a.url])
    on_b = NatsBroker(servers=[b.url])
    node.channels.broker = on_a
    other_worker = _worker(node, on_b)
    channel = alliance.channel
    alice, bob = alliance.principal("alice"), alliance.principal("bob")

    async def publish(count: int) -> None:
        for n in range(count):
            await node.channels.publish(
                alice, ctx(), channel, label="SECRET//REL TO USA, GBR", body=f"m{n}"
            )

    async def main() -> tuple[list[int], list[int]]:
        try:
            await _ready(on_a, channel)
            await publish(4)
            first = await collect(
                await other_worker.subscribe(bob, ctx(), channel),
                until=lambda got: len(ids(got)) == 3,
                timeout=30,
            )
            await publish(3)  # while bob is away
            last = next(i.id for i in reversed(first) if isinstance(i, Delivery))
            stream = await node.channels.subscribe(bob, ctx(), channel, after=last)

            async def later() -> None:
                await asyncio.sleep(0.3)
                await publish(2)

            task = asyncio.create_task(later())
            second = await collect(
                stream, until=lambda got: bool(ids(got)) and ids(got)[-1] == 9, timeout=30
            )
            await task
            return ids(first), ids(second)
        finally:
            await on_a.close()
            await on_b.close()

    first, second = asyncio.run(main())
    assert first == [1, 2, 3]
    assert second == list(range(4, 10))


def test_a_slow_reader_on_one_server_never_delays_a_fast_one_on_the_other(
    alliance: Alliance, cluster: tuple[NatsServer, NatsServer]
) -> None:
    a, b = cluster
    node = alliance.node
    on_a = NatsBroker(servers=[a.url])
    on_b = NatsBroker(servers=[b.url])
    node.channels.broker = on_a
    node.channels.queue_size = 5  # the slow reader reads through server A
    fast_worker = _worker(node, on_b)
    channel = alliance.channel
    alice, bob = alliance.principal("alice"), alliance.principal("bob")

    async def main() -> tuple[list[int], list[Notice]]:
        try:
            await _ready(on_a, channel)
            fast = await fast_worker.subscribe(alice, ctx(), channel)
            slow = await node.channels.subscribe(bob, ctx(), channel)
            slow_iter = slow.__aiter__()
            taking = asyncio.ensure_future(slow_iter.__anext__())
            reading = asyncio.ensure_future(
                collect(fast, until=lambda got: len(ids(got)) == 30, timeout=60)
            )
            await asyncio.sleep(0.3)
            for n in range(30):  # each publish waits for JetStream's acknowledgement
                await node.channels.publish(
                    alice, ctx(), channel, label="UNCLASSIFIED", body=f"{n}"
                )
            got = await reading  # the fast reader has everything, the slow one is stuck
            rest = [await taking]
            async for item in slow_iter:
                rest.append(item)
            return ids(got), notices(rest)
        finally:
            await on_a.close()
            await on_b.close()

    fast_ids, slow_notices = asyncio.run(main())
    assert fast_ids == list(range(1, 31))
    assert [n.kind for n in slow_notices] == ["lagging"]
