"""The demo opens the sensor fusion project's live channel; its people read it through
the policy like any other channel."""

from __future__ import annotations

import asyncio

import pytest

from caveat.bootstrap.container import Node, seed_demo
from caveat.services import demo
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext
from tests.support import FakeClock

# The demo's content, not the database: seeded on SQLite only (the whole demo each time).
pytestmark = pytest.mark.one_database


def test_the_demo_channel_is_read_through_the_policy(node: Node, clock: FakeClock) -> None:
    seed_demo(node)

    def who(username: str) -> Principal:
        return Principal(person=node.people.get_person(username), mfa_at=clock())

    [channel] = node.channels.channels(who("alice"))
    assert channel.name == demo.CHANNEL_NAME

    async def main() -> dict[str, list[str]]:
        for label, body in (
            ("SECRET//REL TO USA, GBR", "emitter set loaded"),
            ("UNCLASSIFIED", "range clear at 14:00"),
        ):
            await node.channels.publish(
                who("alice"), CallContext.cli(), channel.id, label=label, body=body
            )
        seen = {}
        for username in ("alice", "bob", "claire"):
            window = await node.channels.window(who(username), channel.id)
            seen[username] = [d.body for d in window.messages]
        await node.channels.broker.close()
        return seen

    seen = asyncio.run(main())
    assert seen["alice"] == ["emitter set loaded", "range clear at 14:00"]
    assert seen["bob"] == ["emitter set loaded", "range clear at 14:00"]
    assert seen["claire"] == ["range clear at 14:00"]
