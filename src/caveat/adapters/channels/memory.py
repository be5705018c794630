"""The in-process channel broker: the embedded default (one process serves the node).

Each channel's messages are a :class:`~caveat.domain.channels.ChannelLog` in memory, so
they last as long as the process; several workers or hosts share channels through NATS
(``adapters.channels.nats``) instead. Publishing may come from any thread and any event
loop: followers are woken on their own loop, and each follower has its own pending list,
so a message is handed to every follower whatever retention drops meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

from caveat.domain.channels import ChannelLog, Retention, Stored

_PAGE = 1000  # messages handed over per lock taken when a follower catches up


@dataclass(eq=False)
class _Follower:
    loop: asyncio.AbstractEventLoop
    wake: asyncio.Event
    pending: deque[Stored] = field(default_factory=deque)

    def nudge(self) -> None:
        with contextlib.suppress(RuntimeError):  # its loop has closed: it is gone
            self.loop.call_soon_threadsafe(self.wake.set)


class MemoryBroker:
    """Channels kept in this process (``ChannelBroker``)."""

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._logs: dict[str, ChannelLog] = {}
        self._followers: dict[str, set[_Follower]] = {}

    def _log(self, channel_id: str) -> ChannelLog:
        log = self._logs.get(channel_id)
        if log is None:
            log = self._logs[channel_id] = ChannelLog(Retention())
        return log

    async def open(self, channel_id: str, retention: Retention) -> None:
        with self._lock:
            self._log(channel_id).retention = retention

    async def publish(self, channel_id: str, payload: bytes) -> int:
        with self._lock:
            log = self._log(channel_id)
            seq = log.append(payload, self._clock())
            stored = Stored(seq, payload, self._clock())
            followers = list(self._followers.get(channel_id, ()))
            for follower in followers:
                follower.pending.append(stored)
        for follower in followers:
            follower.nudge()
        return seq

    async def bounds(self, channel_id: str) -> tuple[int, int]:
        with self._lock:
            log = self._log(channel_id)
            return log.first_seq(self._clock()), log.last_seq

    async def read(self, channel_id: str, after: int, limit: int) -> list[Stored]:
        with self._lock:
            return self._log(channel_id).after(after, limit, self._clock())

    async def follow(self, channel_id: str, after: int) -> AsyncIterator[Stored]:
        follower = _Follower(asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            # Registered and caught up under one lock: what is published later is in
            # the follower's pending list, what came before is in the log.
            self._followers.setdefault(channel_id, set()).add(follower)
            log = self._log(channel_id)
            backlog: list[Stored] = []
            while True:
                page = log.after(backlog[-1].seq if backlog else after, _PAGE, self._clock())
                if not page:
                    break
                backlog += page
        try:
            last = after
            for stored in backlog:
                last = stored.seq
                yield stored
            while True:
                follower.wake.clear()
                while follower.pending:
                    stored = follower.pending.popleft()
                    if stored.seq > last:
                        last = stored.seq
                        yield stored
                if not follower.pending:
                    await follower.wake.wait()
        finally:
            with self._lock:
                self._followers.get(channel_id, set()).discard(follower)

    async def close(self) -> None:
        return None
