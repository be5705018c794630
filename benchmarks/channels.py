"""Live-channel fan-out on one node: 1,000 subscribers, 100 messages/s (issue 21).

One node (SQLite, the in-process broker; NATS JetStream too when
``CAVEAT_BENCH_NATS_URL`` names a server) with the small alliance the channel tests use:
alice (USA, SECRET), bob (GBR, SECRET) and carol (USA, CONFIDENTIAL) in one project under
a USA-GBR agreement. ``SUBSCRIBERS`` subscriptions are opened through
``ChannelService.subscribe``, spread over the three readers, all in the one event loop
that also publishes (so connections share three people's facts and decisions, as many
tabs, dashboards and tails of a few people do); the *distinct* loads give every
subscription a credential of its own of those three people (its own facts and
refreshes); the *people* loads give every subscription a person of its own: 1,000
different people of the two organisations (American and British, a realistic mixture
of SECRET, CONFIDENTIAL and TOP SECRET clearances and a few dual nationals), each with
their own facts, refreshes and subject-cache entries, sharing decisions only with people
whose decision-relevant facts are equal (``_subjects.py``); then ``RATE`` messages a
second are published through
``ChannelService.publish`` for ``SECONDS`` seconds, their labels taken in turn from the
channel tests' six markings (so each reader may read a known share of them). Each
delivery's latency is the time from the start of ``publish`` to the moment the
subscriber's ``async for`` gets the message (the body carries the start time).

- **Caveat**: every message decided per subscriber by the policy (``ReaderFacts.may_read``,
  the same ``decide()`` every read goes through).
- **Peer**: the same fan-out with no policy filter: ``may_read`` answers True without
  deciding, so every subscriber gets every message. Same broker, hub, queues, publisher
  and clock; only the decision differs.

Each load runs for ``SECONDS``: a publisher that falls behind stops at twice that (the
messages it did publish are reported beside those planned), and a node that has not
delivered everything ``DRAIN_S`` seconds later is stopped and reports what it delivered by
then (``complete`` false; the latencies are those of the deliveries made). A subscriber
dropped as lagging (its queue of ``queue_size`` filled) resumes from its last event id,
as the SDK does; the count of such resumptions is reported.
The collector is set as ``caveat serve`` sets it once start-up is over
(``bootstrap/heap.settle_heap``, ADR 0035) on both sides; ``CAVEAT_BENCH_CHANNEL_GC=default``
keeps CPython's defaults instead. Each load reports the collector's passes during it.
The cost of one decision alone is timed beside a call that does nothing: the first for a
message (``decide()`` itself) and the same asked again with the same facts (remembered:
every further connection of that reader).

    python -m benchmarks.channels
    # a quick run:
    CAVEAT_BENCH_CHANNEL_SUBSCRIBERS=100 CAVEAT_BENCH_CHANNEL_SECONDS=3 \
        python -m benchmarks.channels
    # only some of the populations (shared, credentials, people; nats when its URL is set):
    CAVEAT_BENCH_CHANNEL_POPULATIONS=people python -m benchmarks.channels

Results: ``benchmarks/results/channels.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sse_starlette import ServerSentEvent
from tests.channels.support import CONSOLE, MARKINGS, Alliance, a_delivery, build
from tests.support import FakeClock

from benchmarks.common import machine, percentile, time_calls, write_result
from caveat.api.routes.channels import event_of, frame_of
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.heap import settle_heap
from caveat.bootstrap.logging import configure_logging
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.identity import Clearance, CommonLevel
from caveat.services.channels import Delivery, Notice
from caveat.services.channels._reader import ReaderFacts
from caveat.services.kernel.uow import CallContext

SUBSCRIBERS = int(os.environ.get("CAVEAT_BENCH_CHANNEL_SUBSCRIBERS", "1000"))
RATE = int(os.environ.get("CAVEAT_BENCH_CHANNEL_RATE", "100"))
SECONDS = float(os.environ.get("CAVEAT_BENCH_CHANNEL_SECONDS", "10"))
# (subscribers, messages/s): the load last, with two lighter ones beside it to
# show where one node's event loop stops keeping up.
LOADS = ((100, RATE), (SUBSCRIBERS, RATE // 10), (SUBSCRIBERS, RATE))
# (subscribers, messages/s) with a credential each, on the in-process broker only.
DISTINCT_LOADS = ((100, RATE), (SUBSCRIBERS, RATE // 10), (SUBSCRIBERS, RATE))
# (subscribers, messages/s) with a person each, on the in-process broker only.
PEOPLE_LOADS = ((SUBSCRIBERS, RATE // 10), (SUBSCRIBERS, RATE))
# The collector of a serving process (``settle_heap``), or "default": CPython's own.
COLLECTOR = os.environ.get("CAVEAT_BENCH_CHANNEL_GC", "serving")
POPULATIONS = frozenset(
    os.environ.get("CAVEAT_BENCH_CHANNEL_POPULATIONS", "shared,credentials,people").split(",")
)
DRAIN_S = float(os.environ.get("CAVEAT_BENCH_CHANNEL_DRAIN", "120"))
READERS = ("alice", "bob", "carol")


@contextlib.contextmanager
def alliance_node(nats_url: str | None) -> Iterator[Alliance]:
    """A fresh node with the channel tests' alliance and its channel."""
    configure_logging(json=True, level="WARNING")
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    with TemporaryDirectory(prefix="caveat-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench")
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Ops", "GBR"),
            clock=clock,
        )
        try:
            if nats_url:
                from caveat.adapters.channels.nats import NatsBroker

                node.channels.broker = NatsBroker(servers=[nats_url])
            yield build(node, clock)
        finally:
            node.close()


class _Run:
    """One fan-out run: subscribers, the publisher and what they measured."""

    def __init__(
        self,
        alliance: Alliance,
        subscribers: int,
        rate: int,
        *,
        distinct: bool = False,
        people: list[str] | None = None,
    ) -> None:
        self.alliance = alliance
        self.distinct = distinct
        self.people = people
        self.node: Node = alliance.node
        self.subscribers = subscribers
        self.rate = rate
        self.latencies_ms: list[float] = []
        self.received = [0] * subscribers
        self.resumed = 0
        self.ready = 0
        self.warm = asyncio.Event()
        self.done = asyncio.Event()
        self.stop_at: set[str] = set()  # the last message and the end: readers stop there

    async def subscriber(self, index: int) -> None:
        who = READERS[index % len(READERS)] if self.people is None else self.people[index]
        principal = self.alliance.principal(who)
        if self.distinct:  # a credential of its own: its own facts and decisions
            principal = replace(principal, session_id=f"bench-session-{index}")
        service = self.node.channels
        after: str | None = None
        warmed = False
        while not self.done.is_set():
            stream = await service.subscribe(
                principal, CallContext.cli(), self.alliance.channel, after=after
            )
            try:
                async for item in stream:
                    if isinstance(item, Notice):
                        after = item.last_id
                        self.resumed += 1
                        break
                    assert isinstance(item, Delivery)
                    after = item.id
                    if item.body == "warm-up":
                        if not warmed:
                            warmed = True
                            self.ready += 1
                            if self.ready == self.subscribers:
                                self.warm.set()
                        continue
                    sent_ns = int(item.body.split()[1])
                    self.latencies_ms.append((time.perf_counter_ns() - sent_ns) / 1e6)
                    self.received[index] += 1
                    if item.id in self.stop_at or item.body.startswith("end "):
                        return
            finally:
                await stream.aclose()  # type: ignore[attr-defined]

    async def publish(self, label: str, body: str) -> str:
        published = await self.node.channels.publish(
            self.alliance.principal("alice"),
            CallContext.cli(),
            self.alliance.channel,
            label=label,
            body=body,
        )
        return published.id

    async def run(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(self.subscriber(i)) for i in range(self.subscribers)]
        started = time.perf_counter()
        await self.publish("UNCLASSIFIED", "warm-up")
        await asyncio.wait_for(self.warm.wait(), 600)
        subscribe_s = time.perf_counter() - started
        count = int(self.rate * SECONDS)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        behind = 0
        published = 0
        for i in range(count):
            if time.perf_counter() - t0 > 2 * SECONDS:
                break  # the publisher cannot keep the rate: what it published is reported
            due = t0 + i / self.rate
            wait = due - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -1 / self.rate:
                behind += 1
            last = await self.publish(MARKINGS[i % len(MARKINGS)], f"{i} {time.perf_counter_ns()}")
            published += 1
        self.stop_at.add(last)
        publish_s = time.perf_counter() - t0
        # The last message reaches the readers who may read it; the others (carol may
        # not read SECRET) end on the next message they may read: one for everyone.
        self.stop_at.add(await self.publish("UNCLASSIFIED", f"end {time.perf_counter_ns()}"))
        # A node that cannot keep up is stopped after DRAIN_S: what it delivered by then
        # is reported (``complete`` false), not waited for.
        finished, pending = await asyncio.wait(tasks, timeout=DRAIN_S + SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in finished:
            task.result()
        drained_s = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        self.done.set()
        cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        deliveries = len(self.latencies_ms)
        samples = self.latencies_ms or [float("nan")]
        return {
            "subscribers": self.subscribers,
            "people": len(set(self.people)) if self.people else len(READERS),
            "decision_tables": len(self.node.channels._decisions),
            "complete": not pending,
            "messages": published,
            "messages_planned": count,
            "target_rate_per_s": self.rate,
            "achieved_rate_per_s": round(published / publish_s, 1),
            "publishes_behind_schedule": behind,
            "subscribe_s": round(subscribe_s, 2),
            "drained_s": round(drained_s, 2),
            "deliveries": deliveries,
            "deliveries_per_s": round(deliveries / drained_s),
            "lagging_resumptions": self.resumed,
            "latency_ms": {
                "p50": round(percentile(samples, 50), 2),
                "p99": round(percentile(samples, 99), 2),
                "max": round(max(samples), 2),
            },
            "cpu_s": round(cpu_s, 2),
            "cpu_us_per_delivery": round(cpu_s * 1e6 / max(1, deliveries), 1),
        }


# The people loads' mixture: (share, organisation, citizenships, clearance level).
MIXTURE = (
    (0.40, "afrl", ("USA",), CommonLevel.SECRET),
    (0.15, "afrl", ("USA",), CommonLevel.CONFIDENTIAL),
    (0.05, "afrl", ("USA",), CommonLevel.TOP_SECRET),
    (0.25, "dstl", ("GBR",), CommonLevel.SECRET),
    (0.10, "dstl", ("GBR",), CommonLevel.CONFIDENTIAL),
    (0.03, "dstl", ("GBR", "USA"), CommonLevel.SECRET),
    (0.02, "afrl", ("USA", "GBR"), CommonLevel.SECRET),
)


def _people(alliance: Alliance, count: int) -> list[str]:
    """``count`` different people of the mixture, members of the channel's project."""
    node = alliance.node
    expires = alliance.world.clock().date() + timedelta(days=365)
    shares = [round(share * count) for share, *_ in MIXTURE]
    shares[0] += count - sum(shares)
    names: list[str] = []
    for (_, org, nations, level), n in zip(MIXTURE, shares, strict=True):
        for _ in range(n):
            name = f"reader{len(names):04d}"
            node.people.create_person(
                CONSOLE,
                CallContext.cli(),
                username=name,
                display_name=f"Reader {len(names)}",
                email=f"{name}@bench.example",
                organisation=getattr(alliance, org),
                citizenships=list(nations),
                clearance=Clearance(level, level.name, nations[0], expires),
            )
            node.projects.add_member(CONSOLE, CallContext.cli(), alliance.project, name)
            names.append(name)
    random.Random(21).shuffle(names)
    return names


def _fan_out(
    nats_url: str | None,
    subscribers: int,
    rate: int,
    *,
    filtered: bool,
    distinct: bool = False,
    people: bool = False,
) -> dict[str, Any]:
    with alliance_node(nats_url) as alliance:
        readers = _people(alliance, subscribers) if people else None
        run = _Run(alliance, subscribers, rate, distinct=distinct, people=readers)
        decide = ReaderFacts.may_read
        if not filtered:
            ReaderFacts.may_read = lambda self, message: True  # type: ignore[method-assign]
        try:
            with _serving_heap() as pauses:
                result = asyncio.run(run.run())
            return {**result, "collector": COLLECTOR, "gc_pauses": pauses.summary()}
        finally:
            ReaderFacts.may_read = decide  # type: ignore[method-assign]


class _Pauses:
    """The collector's passes while a load runs, per generation (count, total, longest)."""

    def __init__(self) -> None:
        self.by_generation: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            elapsed_ms = (time.perf_counter() - self._started) * 1e3
            self.by_generation[info["generation"]].append(elapsed_ms)

    def summary(self) -> dict[str, Any]:
        return {
            f"gen{g}": {"n": len(p), "total_ms": round(sum(p), 1), "max_ms": round(max(p), 1)}
            for g, p in self.by_generation.items()
            if p
        }


@contextlib.contextmanager
def _serving_heap() -> Iterator[_Pauses]:
    """The collector as ``caveat serve`` sets it once start-up is over (``settle_heap``;
    ``CAVEAT_BENCH_CHANNEL_GC=default`` keeps CPython's defaults, to compare), restored
    afterwards; the passes made meanwhile are counted."""
    thresholds = gc.get_threshold()
    pauses = _Pauses()
    if COLLECTOR == "serving":
        settle_heap()
    gc.callbacks.append(pauses)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(pauses)
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def _derivation_cost() -> dict[str, Any]:
    """One reader's facts derived (``ChannelService._reader``): first, and again with
    nothing changed (the subject cache answering; one primary-key read)."""
    with alliance_node(None) as alliance:
        service = alliance.node.channels
        bob = alliance.principal("bob")
        first = time.perf_counter()
        service._reader(bob, alliance.channel, None)
        first_ms = (time.perf_counter() - first) * 1e3
        again = time_calls(lambda: service._reader(bob, alliance.channel, None), n=2_000)
        return {"first_ms": round(first_ms, 2), "again_us": again}


def _decision_cost() -> dict[str, Any]:
    """One reader's decision on one message, beside a call that does nothing."""

    async def facts_and_message() -> tuple[ReaderFacts, Any]:
        with alliance_node(None) as alliance:
            service = alliance.node.channels
            await service.publish(
                alliance.principal("alice"),
                CallContext.cli(),
                alliance.channel,
                label=MARKINGS[2],
                body="probe",
            )
            _, facts = service._reader(alliance.principal("bob"), alliance.channel, None)
            stored = (await service.broker.read(alliance.channel, 0, 1))[0]
            return facts, service._open(alliance.channel, stored)

    facts, message = asyncio.run(facts_and_message())
    assert facts.may_read(message)
    remembered = facts._decided

    def first_time() -> bool:
        remembered.clear()  # as for a message these facts have not decided yet
        return facts.may_read(message)

    decide = time_calls(first_time, n=20_000)
    again = time_calls(lambda: facts.may_read(message), n=20_000)
    nothing = time_calls(lambda: None, n=20_000)
    return {"may_read_us": decide, "remembered_us": again, "no_op_us": nothing}


def _wire_cost(connections: int = 1_000) -> dict[str, Any]:
    """One message encoded for ``connections`` connections, server-sent events and
    WebSocket frames: once for all of them (``event_of``/``frame_of``, which keep the
    encoding on the shared Delivery) beside once per connection as the routes did before
    (a dict for sse-starlette to encode; a frame made by dumping, loading and dumping
    the event's JSON). Microseconds per connection."""

    def sse_per_connection(d: Delivery) -> bytes:
        event: dict[str, Any] = {"event": "message", "id": d.id, "data": json.dumps(d.document())}
        return ServerSentEvent(**event, sep="\r\n").encode()

    def frame_per_connection(d: Delivery) -> str:
        data = json.dumps(d.document())
        return json.dumps({"event": "message", "id": d.id, "data": json.loads(data)})

    def per_message(encode: Callable[[Delivery], object]) -> Callable[[], None]:
        def send_to_all() -> None:
            d = a_delivery("x" * 200)  # a new message each time: nothing carried over
            for _ in range(connections):
                encode(d)

        return send_to_all

    def per_connection_us(encode: Callable[[Delivery], object]) -> float:
        timed = time_calls(per_message(encode), n=200, warmup=5)
        return round(timed["median_us"] / connections, 3)

    return {
        "connections": connections,
        "sse_once_us": per_connection_us(event_of),
        "sse_per_connection_us": per_connection_us(sse_per_connection),
        "ws_once_us": per_connection_us(frame_of),
        "ws_per_connection_us": per_connection_us(frame_per_connection),
    }


def _side_by_side(
    key: str, url: str | None, subscribers: int, rate: int, *, distinct: bool, people: bool = False
) -> dict[str, Any]:
    caveat = _fan_out(url, subscribers, rate, filtered=True, distinct=distinct, people=people)
    print(f"caveat {key}: {json.dumps(caveat)}", flush=True)
    peer = _fan_out(url, subscribers, rate, filtered=False, distinct=distinct, people=people)
    print(f"no filter {key}: {json.dumps(peer)}", flush=True)
    return {
        "caveat": caveat,
        "no_filter": peer,
        "ratio_p99": round(caveat["latency_ms"]["p99"] / peer["latency_ms"]["p99"], 2),
        "ratio_cpu_per_delivery": round(
            caveat["cpu_us_per_delivery"] / peer["cpu_us_per_delivery"], 2
        ),
    }


def run(nats_url: str | None = None) -> dict[str, Any]:
    """The policy-filtered fan-out beside the unfiltered one, per broker."""
    result: dict[str, Any] = {
        "machine": machine(),
        "decision": _decision_cost(),
        "derivation": _derivation_cost(),
        "wire": _wire_cost(),
    }
    print(json.dumps({k: result[k] for k in ("decision", "derivation", "wire")}), flush=True)
    brokers: dict[str, str | None] = {}
    if "shared" in POPULATIONS:
        brokers["memory"] = None
    if nats_url and POPULATIONS & {"shared", "nats"}:
        brokers["nats"] = nats_url
    for name, url in brokers.items():
        for subscribers, rate in LOADS:
            key = f"{name} {subscribers}x{rate}/s"
            result[key] = _side_by_side(key, url, subscribers, rate, distinct=False)
    if "credentials" in POPULATIONS:
        for subscribers, rate in DISTINCT_LOADS:
            key = f"memory {subscribers}x{rate}/s distinct"
            result[key] = _side_by_side(key, None, subscribers, rate, distinct=True)
    if "people" in POPULATIONS:
        for subscribers, rate in PEOPLE_LOADS:
            key = f"memory {subscribers}x{rate}/s people"
            result[key] = _side_by_side(key, None, subscribers, rate, distinct=False, people=True)
    write_result("channels", result)
    return result


if __name__ == "__main__":
    print(json.dumps(run(os.environ.get("CAVEAT_BENCH_NATS_URL")), indent=2))
