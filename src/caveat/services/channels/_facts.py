"""One derivation of a reader's facts shared by all their connections at one moment.

Deriving a reader's facts reads a dozen tables (a few milliseconds). A person with a
thousand open connections to a channel (tabs, dashboards, a fleet of SDK tails) or a
publisher sending a hundred messages a second would otherwise derive them a thousand
times per refresh. Callers that ask with the same key within ``max_age`` seconds of a
derivation's start share it, including one still under way; an older one is derived
again. The key names everything the derivation reads from the caller: the channel, the
person, the credential (session or token, its MFA time and scopes) and whether the
credential is checked again, so two callers share only what each would have derived
alike. A failed derivation is shared by those already waiting for it and then
forgotten, so the next caller tries again rather than inheriting an old refusal.

Derivations run in batches: those asked for while a batch runs wait for the next one,
which derives them one after another on one worker thread (at most ``LANES`` batches at
once, so one slow derivation holds up only its own lane). A thousand readers refreshing
two hundred times a second then cost a few thread hand-offs a second instead of two
hundred, and one or two threads compete with the event loop for the interpreter instead
of dozens; each derivation is still its own read transaction and its own answer.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anyio.to_thread

T = TypeVar("T")

_SWEEP_AT = 4096  # entries kept before old ones are swept
LANES = 2  # batches of derivations running at once, per event loop
_Job = tuple[Callable[[], Any], "asyncio.Future[Any]"]


@dataclass(slots=True, eq=False)
class _Batches:
    """One event loop's derivations waiting for a worker thread."""

    waiting: list[_Job] = field(default_factory=list)
    running: int = 0
    lanes: set[asyncio.Task[None]] = field(default_factory=set)

    async def run(self, derive: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self.waiting.append((derive, future))
        if self.running < LANES:
            self.running += 1
            lane = loop.create_task(self._lane())
            self.lanes.add(lane)
            lane.add_done_callback(self.lanes.discard)
        return await future

    async def _lane(self) -> None:
        try:
            while self.waiting:
                jobs, self.waiting = self.waiting, []
                try:
                    outcomes = await anyio.to_thread.run_sync(_derive_all, [d for d, _ in jobs])
                except BaseException as exc:  # cancelled with the loop: none is answered
                    for _, future in jobs:
                        if not future.done():
                            future.set_exception(exc)
                    raise
                for (_, future), (ok, value) in zip(jobs, outcomes, strict=True):
                    if future.done():  # its caller gave up
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self.running -= 1


def _derive_all(derives: list[Callable[[], Any]]) -> list[tuple[bool, Any]]:
    """Each derivation in turn on this worker thread, each with its own outcome."""
    outcomes: list[tuple[bool, Any]] = []
    for derive in derives:
        try:
            outcomes.append((True, derive()))
        except Exception as exc:
            outcomes.append((False, exc))
    return outcomes


@dataclass(slots=True)
class _Derivation(Generic[T]):
    started: float
    task: asyncio.Task[T]


class SharedDerivations(Generic[T]):
    """Derivations (run on a worker thread) shared by callers asking with one key."""

    def __init__(self, max_age: Callable[[], float]) -> None:
        self._max_age = max_age
        self._entries: dict[tuple[asyncio.AbstractEventLoop, Hashable], _Derivation[T]] = {}
        self._batches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batches] = (
            weakref.WeakKeyDictionary()
        )

    async def get(self, key: Hashable, derive: Callable[[], T]) -> T:
        """The value of a derivation with ``key`` started at most ``max_age`` seconds
        ago, or of ``derive`` run now."""
        _, value = await self.get_dated(key, derive)
        return value

    async def get_dated(self, key: Hashable, derive: Callable[[], T]) -> tuple[float, T]:
        """``get``, with the event-loop time at which the derivation started (what the
        value is as old as)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        full = (loop, key)
        entry = self._entries.get(full)
        if entry is None or now - entry.started > self._max_age():
            if len(self._entries) >= _SWEEP_AT:
                self._sweep(now)
            task = loop.create_task(self._derive(full, derive))
            task.add_done_callback(_retrieve)
            entry = self._entries[full] = _Derivation(now, task)
        # Shielded: one caller giving up does not cancel the others' derivation.
        return entry.started, await asyncio.shield(entry.task)

    async def _derive(
        self, key: tuple[asyncio.AbstractEventLoop, Hashable], derive: Callable[[], T]
    ) -> T:
        loop = asyncio.get_running_loop()
        batches = self._batches.get(loop)
        if batches is None:
            batches = self._batches[loop] = _Batches()
        try:
            return await batches.run(derive)
        except BaseException:
            entry = self._entries.get(key)
            if entry is not None and entry.task is asyncio.current_task():
                del self._entries[key]
            raise

    def _sweep(self, now: float) -> None:
        limit = self._max_age()
        for key, entry in list(self._entries.items()):
            if now - entry.started > limit or entry.task.get_loop().is_closed():
                del self._entries[key]


def _retrieve(task: asyncio.Task[object]) -> None:
    """Mark a failure as seen: its waiters got it, or all of them had left."""
    if not task.cancelled():
        task.exception()
