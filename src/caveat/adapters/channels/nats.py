"""Live channels on NATS JetStream (nats-py): several workers and hosts share channels.

One stream per channel (``CAVEAT_CH_<id>`` on subject ``caveat.channel.<id>``), so the
stream's own sequence is the channel's event id: 1, 2, 3, ... in publication order,
whichever process published. Retention is the stream's ``max_msgs`` and ``max_age``.
Reading and following use ordered consumers (ephemeral, flow-controlled, recreated by
the client at the right sequence after a gap), so a follower sees every message once,
in order. The broker carries sealed bytes; what a message says is checked by the
service (a message injected straight into the stream fails its authentication there).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError

from caveat.domain.channels import Retention, Stored

_READ_WAIT_S = 5.0  # the longest a read waits for a message the stream said it holds


def stream_name(channel_id: str) -> str:
    return "CAVEAT_CH_" + channel_id.replace("-", "")


def subject(channel_id: str) -> str:
    return "caveat.channel." + channel_id.replace("-", "")


class NatsBroker:
    """Channels as JetStream streams (``ChannelBroker``); one connection per event loop."""

    def __init__(self, *, servers: list[str], replicas: int = 1, connect_timeout: float = 5.0):
        self._servers = servers
        self._replicas = replicas
        self._connect_timeout = connect_timeout
        self._conns: dict[asyncio.AbstractEventLoop, tuple[Client, JetStreamContext]] = {}

    async def _js(self) -> JetStreamContext:
        loop = asyncio.get_running_loop()
        found = self._conns.get(loop)
        if found is not None and not found[0].is_closed:
            return found[1]
        client = await nats.connect(
            servers=self._servers,
            connect_timeout=self._connect_timeout,
            max_reconnect_attempts=-1,
            name="caveat",
        )
        js = client.jetstream()
        self._conns[loop] = (client, js)
        return js

    async def open(self, channel_id: str, retention: Retention) -> None:
        config = StreamConfig(
            name=stream_name(channel_id),
            subjects=[subject(channel_id)],
            max_msgs=retention.max_messages,
            max_age=float(retention.max_age_seconds),
            discard=DiscardPolicy.OLD,
            storage=StorageType.FILE,
            num_replicas=self._replicas,
        )
        js = await self._js()
        try:
            await js.add_stream(config)
        except BadRequestError:  # it exists with another retention: take the new one
            await js.update_stream(config)

    async def publish(self, channel_id: str, payload: bytes) -> int:
        js = await self._js()
        ack = await js.publish(subject(channel_id), payload, stream=stream_name(channel_id))
        return int(ack.seq)

    async def bounds(self, channel_id: str) -> tuple[int, int]:
        js = await self._js()
        try:
            state = (await js.stream_info(stream_name(channel_id))).state
        except NotFoundError:
            return 1, 0
        last = int(state.last_seq)
        return (int(state.first_seq) if state.messages else last + 1), last

    async def read(self, channel_id: str, after: int, limit: int) -> list[Stored]:
        first, last = await self.bounds(channel_id)
        start = max(after + 1, first)
        end = min(last, after + limit)
        if start > end:
            return []
        found: list[Stored] = []
        async with self._ordered(channel_id, start) as sub:
            while True:
                try:
                    msg = await sub.next_msg(timeout=_READ_WAIT_S)
                except NatsTimeout:  # retention dropped the rest meanwhile
                    break
                stored = _stored(msg)
                if stored.seq > end:
                    break
                found.append(stored)
                if stored.seq >= end:
                    break
        return found

    async def follow(self, channel_id: str, after: int) -> AsyncIterator[Stored]:
        async with self._ordered(channel_id, after + 1) as sub:
            last = after
            while True:
                try:
                    msg = await sub.next_msg(timeout=None)
                except NatsTimeout:
                    continue
                stored = _stored(msg)
                if stored.seq > last:  # an ordered consumer never repeats; guard anyway
                    last = stored.seq
                    yield stored

    @contextlib.asynccontextmanager
    async def _ordered(
        self, channel_id: str, start: int
    ) -> AsyncIterator[JetStreamContext.PushSubscription]:
        js = await self._js()
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=max(1, start),
            ack_policy=AckPolicy.NONE,
        )
        sub = await js.subscribe(
            subject(channel_id),
            stream=stream_name(channel_id),
            ordered_consumer=True,
            config=config,
        )
        try:
            yield sub
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def delete(self, channel_id: str) -> None:
        """Remove the channel's stream (tests and clean-up)."""
        js = await self._js()
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(stream_name(channel_id))

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        found = self._conns.pop(loop, None)
        if found is not None:
            with contextlib.suppress(Exception):
                await found[0].drain()


def _stored(msg: Msg) -> Stored:
    meta = msg.metadata
    at = meta.timestamp if meta.timestamp is not None else datetime.now(UTC)
    return Stored(int(meta.sequence.stream), msg.data, at)
