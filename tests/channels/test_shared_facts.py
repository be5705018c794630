"""A reader's connections and a publisher's messages share one derivation of facts,
each message is decided once per facts, and sharing never joins two credentials: what
lets one node carry a thousand subscribers (docs/benchmarks.md, "Live channels")."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.errors import AuthenticationFailed
from caveat.services.channels import Delivery, Item
from caveat.services.channels import _reader as reader_module
from caveat.services.channels._facts import SharedDerivations
from caveat.services.kernel.principal import Principal
from tests.channels.support import CONSOLE, Alliance, build, ctx, ids, run
from tests.support import FakeClock


@pytest.fixture
def alliance(node: Node, clock: FakeClock) -> Alliance:
    """The channel tests' alliance on the in-process broker (sharing is broker-free)."""
    node.channels.refresh_seconds = 0.3
    return build(node, clock)


@pytest.fixture
def derivations(alliance: Alliance, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The usernames whose facts the channel service derived, one entry per derivation."""
    service = alliance.node.channels
    derived: list[str] = []
    original = service._reader

    def counting(by: Principal, ref: str, reauthenticate: object) -> object:
        derived.append(by.username)
        return original(by, ref, reauthenticate)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "_reader", counting)
    return derived


# the sharing itself


def test_callers_asking_together_share_one_derivation() -> None:
    derived: list[str] = []  # one entry per derivation run (on worker threads)
    shared: SharedDerivations[str] = SharedDerivations(lambda: 60.0)

    def derive(who: str) -> str:
        derived.append(who)
        return f"{who}'s facts"

    async def main() -> list[str]:
        return await asyncio.gather(
            *(shared.get("bob", lambda: derive("bob")) for _ in range(50)),
            shared.get("carol", lambda: derive("carol")),
        )

    got = asyncio.run(main())
    assert got == ["bob's facts"] * 50 + ["carol's facts"]
    assert sorted(derived) == ["bob", "carol"]  # one derivation per key


def test_an_old_derivation_is_made_again() -> None:
    calls = itertools.count()
    age = [60.0]
    shared: SharedDerivations[int] = SharedDerivations(lambda: age[0])

    async def main() -> list[int]:
        first = await shared.get("bob", lambda: next(calls))
        again = await shared.get("bob", lambda: next(calls))
        age[0] = 0.0  # every derivation is now too old to share
        await asyncio.sleep(0.01)
        return [first, again, await shared.get("bob", lambda: next(calls))]

    assert asyncio.run(main()) == [0, 0, 1]


def test_a_failure_reaches_its_waiters_and_is_then_forgotten() -> None:
    calls = itertools.count()

    def refuse() -> int:
        next(calls)
        raise AuthenticationFailed("token revoked")

    shared: SharedDerivations[int] = SharedDerivations(lambda: 60.0)

    async def main() -> tuple[list[int | BaseException], int]:
        outcomes = await asyncio.gather(
            *(shared.get("bob", refuse) for _ in range(5)), return_exceptions=True
        )
        return outcomes, await shared.get("bob", lambda: 7)

    outcomes, later = asyncio.run(main())
    assert all(isinstance(o, AuthenticationFailed) for o in outcomes)
    assert next(calls) == 1  # the five waited for one derivation
    assert later == 7  # and the refusal was not kept for the next caller


def test_one_caller_giving_up_leaves_the_others_their_answer() -> None:
    shared: SharedDerivations[str] = SharedDerivations(lambda: 60.0)

    def slow() -> str:
        import time

        time.sleep(0.2)
        return "facts"

    async def main() -> str:
        leaving = asyncio.create_task(shared.get("bob", slow))
        staying = asyncio.create_task(shared.get("bob", slow))
        await asyncio.sleep(0.05)
        leaving.cancel()
        return await staying

    assert asyncio.run(main()) == "facts"


# in the channel service


def test_many_connections_of_one_reader_derive_their_facts_once(
    alliance: Alliance, derivations: list[str]
) -> None:
    service = alliance.node.channels
    service.refresh_seconds = 60  # one sharing window for the whole test, however slow

    async def main() -> None:
        streams = await asyncio.gather(
            *(
                service.subscribe(alliance.principal("bob"), ctx(), alliance.channel)
                for _ in range(200)
            )
        )
        for n in range(20):
            await service.publish(
                alliance.principal("alice"),
                ctx(),
                alliance.channel,
                label="UNCLASSIFIED",
                body=f"{n}",
            )
        for stream in streams:
            await stream.aclose()  # type: ignore[attr-defined]

    run(alliance.node, main())
    assert derivations.count("bob") == 1
    assert derivations.count("alice") == 1


def test_each_message_is_decided_once_for_facts_many_connections_share(
    alliance: Alliance, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = alliance.node.channels
    decided: list[str] = []
    decide = reader_module.decide  # type: ignore[attr-defined]

    def counting(subject, action, resource, context):  # type: ignore[no-untyped-def]
        decided.append(subject.username)
        return decide(subject, action, resource, context)

    monkeypatch.setattr(reader_module, "decide", counting)
    service.refresh_seconds = 60  # one sharing window for the whole test, however slow

    async def read(stream: object) -> list[Item]:
        got: list[Item] = []
        async for item in stream:  # type: ignore[attr-defined]
            got.append(item)
            if isinstance(item, Delivery) and item.body == "end":
                return got
        return got

    async def main() -> list[list[Item]]:
        streams = [
            await service.subscribe(alliance.principal("carol"), ctx(), alliance.channel)
            for _ in range(50)
        ]
        readers = [asyncio.create_task(read(s)) for s in streams]
        for marking in ("UNCLASSIFIED", "SECRET//REL TO USA, GBR", "UNCLASSIFIED"):
            await service.publish(
                alliance.principal("alice"), ctx(), alliance.channel, label=marking, body="x"
            )
        await service.publish(
            alliance.principal("alice"), ctx(), alliance.channel, label="UNCLASSIFIED", body="end"
        )
        return await asyncio.wait_for(asyncio.gather(*readers), 10)

    got = run(alliance.node, main())
    # carol (CONFIDENTIAL) gets the three UNCLASSIFIED messages on every connection ...
    assert all(ids(g) == [1, 3, 4] for g in got)
    # ... decided once each for all fifty connections (the project is one: one decision).
    assert decided.count("carol") == 4


def test_two_credentials_of_one_person_never_share_a_check(
    alliance: Alliance,
) -> None:
    """A revoked token ends the connections made with it, not those of another token."""
    service = alliance.node.channels
    bob = alliance.principal("bob")
    revoked = {"old"}

    def checker(token: str) -> object:
        def reauthenticate() -> Principal:
            if token in revoked:
                raise AuthenticationFailed("token revoked")
            return replace(bob, token_id=token)

        return reauthenticate

    async def main() -> tuple[list[Item], list[Item]]:
        streams = {}
        for token in ("old", "new"):
            revoked.discard("old")
            streams[token] = await service.subscribe(
                replace(bob, token_id=token),
                ctx(),
                alliance.channel,
                reauthenticate=checker(token),  # type: ignore[arg-type]
            )
        revoked.add("old")
        got: dict[str, list[Item]] = {"old": [], "new": []}

        async def read(token: str) -> None:
            async for item in streams[token]:
                got[token].append(item)
                if len(got[token]) == 2:
                    return

        readers = [asyncio.create_task(read(t)) for t in ("old", "new")]
        await asyncio.sleep(0.5)  # past a refresh (0.3 s): "old" is checked again
        for n in range(2):
            await service.publish(
                alliance.principal("alice"),
                ctx(),
                alliance.channel,
                label="UNCLASSIFIED",
                body=f"{n}",
            )
        await asyncio.wait_for(asyncio.gather(*readers), 10)
        return got["old"], got["new"]

    old, new = run(alliance.node, main())
    assert old == []  # its stream ended at the refresh, before any message
    assert [i.body for i in new if isinstance(i, Delivery)] == ["0", "1"]


def test_an_idle_reader_who_loses_access_is_ended_without_any_message(
    alliance: Alliance,
) -> None:
    """The hub's tick wakes readers that wait for nothing, so their refresh is not
    postponed until the next message."""
    node = alliance.node

    async def main() -> list[Item]:
        stream = await node.channels.subscribe(alliance.principal("bob"), ctx(), alliance.channel)
        items: list[Item] = []

        async def read() -> None:
            async for item in stream:
                items.append(item)

        task = asyncio.create_task(read())
        await asyncio.sleep(0.1)
        await asyncio.to_thread(
            node.projects.remove_member, CONSOLE, ctx(), alliance.project, "bob"
        )
        await asyncio.wait_for(task, 5)  # ended with nothing published
        return items

    assert run(node, main()) == []
