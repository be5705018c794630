"""A reader's refresh runs beside its deliveries: a message reaches a reader whose
facts are being derived again as long as the facts in hand are inside the bound (one
and a half refresh periods from their derivation), and never with facts past it: then
the reader waits for the refresh (``_service._Reading``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.services.channels import Delivery, Item
from caveat.services.channels import _service as service_module
from tests.channels.support import CONSOLE, Alliance, build, ctx, run
from tests.support import FakeClock


class _Soon:
    """``random`` for the service: every first refresh due at once after subscribing."""

    @staticmethod
    def random() -> float:
        return 0.999


@pytest.fixture
def alliance(node: Node, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Alliance:
    monkeypatch.setattr(service_module, "random", _Soon)
    return build(node, clock)


class _Gate:
    """Holds bob's derivations (after his subscription) until opened."""

    def __init__(self, reader: Callable[..., Any]) -> None:
        self._reader = reader
        self.armed = False
        self.started = threading.Event()
        self.opened = threading.Event()

    def __call__(self, by: Any, ref: str, reauthenticate: Any) -> Any:
        if self.armed and by.username == "bob":
            self.started.set()
            assert self.opened.wait(30), "the test never opened the gate"
        return self._reader(by, ref, reauthenticate)


async def _follow(alliance: Alliance, gate: _Gate, items: list[Item]) -> asyncio.Task[None]:
    stream = await alliance.node.channels.subscribe(
        alliance.principal("bob"), ctx(), alliance.channel
    )
    gate.armed = True

    async def read() -> None:
        async for item in stream:
            items.append(item)

    task = asyncio.create_task(read())
    # Past the half period in which his connection shares the derivation it began with:
    # the next refresh derives afresh.
    await asyncio.sleep(alliance.node.channels.refresh_seconds / 2 + 0.05)
    await _send(alliance, "UNCLASSIFIED", "first")  # he takes it with his refresh due
    await asyncio.to_thread(gate.started.wait, 10)  # his first refresh is under way
    assert gate.started.is_set()
    return task


async def _send(alliance: Alliance, marking: str, body: str) -> None:
    await alliance.node.channels.publish(
        alliance.principal("alice"), ctx(), alliance.channel, label=marking, body=body
    )


def test_a_reader_whose_refresh_is_under_way_still_receives_within_the_bound(
    alliance: Alliance, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = alliance.node.channels
    service.refresh_seconds = 4.0  # the bound: 6 s
    gate = _Gate(service._reader)
    monkeypatch.setattr(service, "_reader", gate)

    async def main() -> list[Item]:
        items: list[Item] = []
        task = await _follow(alliance, gate, items)
        await _send(alliance, "UNCLASSIFIED", "while refreshing")
        for _ in range(200):  # delivered while his derivation is still held
            if len(items) == 2:
                break
            await asyncio.sleep(0.05)
        received = list(items)
        gate.opened.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return received

    got = run(alliance.node, main())
    assert [i.body for i in got if isinstance(i, Delivery)] == ["first", "while refreshing"]


def test_facts_past_the_bound_are_never_used_the_reader_waits_for_its_refresh(
    alliance: Alliance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """bob leaves the project while his refresh is held; a message published after his
    facts passed the bound is decided by the refresh, which ends his stream."""
    node = alliance.node
    service = node.channels
    service.refresh_seconds = 0.4  # the bound: 0.6 s
    gate = _Gate(service._reader)
    monkeypatch.setattr(service, "_reader", gate)

    async def main() -> list[Item]:
        items: list[Item] = []
        task = await _follow(alliance, gate, items)
        await asyncio.to_thread(
            node.projects.remove_member, CONSOLE, ctx(), alliance.project, "bob"
        )
        await asyncio.sleep(0.8)  # past the bound of the facts he holds
        await _send(alliance, "UNCLASSIFIED", "after he left")
        await asyncio.sleep(0.3)  # a reader deciding with old facts would have it now
        gate.opened.set()
        await asyncio.wait_for(task, 10)  # his stream ends at the refresh
        return items

    # ("first", published before he left, reached him if his facts were still inside
    # the bound when he took it.)
    assert "after he left" not in [i.body for i in run(node, main()) if isinstance(i, Delivery)]
