"""Fan-out inside one process: one broker feed per channel, a bounded queue per reader.

A :class:`Hub` follows its channel on the broker from the moment it starts, opens each
message once (authentication, label) and offers it to every reader's
:class:`Inbox` without waiting: a reader whose queue is full is dropped as lagging (it
resumes from its last event id, reading the broker's retained messages at its own pace),
so a slow reader never delays the others. Decisions are made by each reader as it takes
a message, with its own current facts.

Waking a reader is the hot path of a busy channel (one per reader and message): a reader
waits on a bare future the hub resolves, with no timer of its own; the hub nudges every
reader once per ``tick`` seconds instead, so idle readers still notice when their facts
are due for a refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

import structlog

from caveat.domain.channels import Stored, TamperedMessage
from caveat.services.channels._reader import OpenMessage
from caveat.services.kernel.ports import ChannelBroker

_log = structlog.get_logger("caveat.channels")


class Inbox:
    """One reader's queue of messages, at most ``capacity`` long."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.items: deque[OpenMessage] = deque()
        self.lagging = False  # dropped: the queue was full when a message came
        self.broken = False  # the hub's broker feed failed
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, message: OpenMessage) -> bool:
        """Queue ``message``; False (and lagging) when the queue is full."""
        if len(self.items) >= self.capacity:
            self.lagging = True
            self.nudge()
            return False
        self.items.append(message)
        self.nudge()
        return True

    def nudge(self) -> None:
        """Wake the reader if it waits."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Until a message comes, the state changes or the hub nudges (at once when
        something is already waiting)."""
        if self.items or self.lagging or self.broken:
            return
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None


class Hub:
    """Follows one channel on the broker and fans its messages out to the inboxes of
    this event loop's readers."""

    def __init__(
        self,
        *,
        broker: ChannelBroker,
        channel_id: str,
        position: int,
        opener: Callable[[Stored], OpenMessage],
        on_rejected: Callable[[], None],
        on_empty: Callable[[Hub], None],
        tick: float,
    ) -> None:
        self.channel_id = channel_id
        self.position = position  # the event id of the last message fanned out
        self.inboxes: set[Inbox] = set()
        self._broker = broker
        self._opener = opener
        self._on_rejected = on_rejected
        self._on_empty = on_empty
        self._tick = tick
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._run())
        self._ticker = loop.create_task(self._nudge_every_tick())

    def join(self, inbox: Inbox) -> None:
        self.inboxes.add(inbox)

    def leave(self, inbox: Inbox) -> None:
        self.inboxes.discard(inbox)
        if not self.inboxes:
            self.stop()

    def stop(self) -> None:
        self._on_empty(self)
        for task in (self._task, self._ticker):
            if task is not None and not task.done():
                task.cancel()

    async def _nudge_every_tick(self) -> None:
        while True:
            await asyncio.sleep(self._tick)
            for inbox in list(self.inboxes):
                inbox.nudge()

    async def _run(self) -> None:
        try:
            async for stored in self._broker.follow(self.channel_id, self.position):
                try:
                    message = self._opener(stored)
                except TamperedMessage:
                    self._on_rejected()
                    _log.warning("channel message rejected", channel=self.channel_id)
                    self.position = stored.seq
                    continue
                self.position = stored.seq
                for inbox in list(self.inboxes):
                    if not inbox.offer(message):
                        self.inboxes.discard(inbox)
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("channel feed failed", channel=self.channel_id)
            for inbox in self.inboxes:
                inbox.broken = True
                inbox.nudge()
            self.inboxes.clear()
            with contextlib.suppress(Exception):
                self._on_empty(self)
