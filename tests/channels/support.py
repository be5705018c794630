"""A small alliance around one live channel, built through the services: alice (USA,
SECRET), bob (GBR, SECRET) and carol (USA, CONFIDENTIAL) are members of one project
covered by a USA-GBR agreement up to SECRET; eve (USA, SECRET) is no member."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from caveat.bootstrap.container import Node
from caveat.domain.channels import EventIds
from caveat.domain.compliance import AgreementKind
from caveat.domain.identity import Clearance, CommonLevel, Role
from caveat.domain.labels import Originator, parse_marking
from caveat.domain.policy import Action, Context, decide, make_resource
from caveat.services.channels import Delivery, Item, Notice
from caveat.services.compliance._agreements import AgreementDraft
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.policy import subject_of
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()
T = TypeVar("T")

# Labels messages are published under in the tests; who reads which is the policy's.
MARKINGS = (
    "UNCLASSIFIED",
    "CONFIDENTIAL//REL TO USA, GBR",
    "SECRET//REL TO USA, GBR",
    "SECRET//NOFORN",
    "SECRET//REL TO USA, FRA",
    "CONFIDENTIAL",
)


def ctx() -> CallContext:
    return CallContext.cli()


@dataclass
class Alliance:
    world: Scenario
    project: str
    channel: str
    afrl: str
    dstl: str

    @property
    def node(self) -> Node:
        return self.world.node

    def principal(self, username: str) -> Principal:
        """``username`` signed in a moment ago (a fresh second factor)."""
        return Principal(person=self.node.people.get_person(username), mfa_at=self.world.clock())

    def permits(self, username: str, marking: str, originator_org: str) -> bool:
        """What ``decide()`` says of ``username`` reading a message of the channel's
        project under ``marking`` published by ``originator_org``: the oracle."""
        node = self.node
        principal = self.principal(username)
        with node.uow.read() as session:
            subject = subject_of(session, principal.person)
        label = parse_marking(
            marking, groups=node.registry.directory(), on=self.world.clock().date()
        )
        org = node.registry.get_organisation(originator_org)
        label = replace(label, originator=Originator(org.name, org.nation))
        resource = make_resource(
            id="oracle",
            project_id=self.project,
            kind="channel_message",
            label=label,
            schemes=node.policy.schemes,
            originator_org_id=originator_org,
        )
        context = Context(self.world.clock(), principal.mfa_at, node.policy.environment())
        return decide(subject, Action.READ, resource, context).permitted


def build(node: Node, clock: FakeClock) -> Alliance:
    world = Scenario(node, clock)
    afrl = world.org("Air Force Research Laboratory", "USA")
    dstl = world.org("Dstl", "GBR")
    world.person("alice", nations=("USA",))
    world.person("bob", nations=("GBR",), org=dstl)
    world.person("eve", nations=("USA",))
    world.person("paula", nations=("USA",), roles=(Role.PROGRAMME_MANAGER,))
    world.accounts["carol"] = node.people.create_person(
        CONSOLE,
        ctx(),
        username="carol",
        display_name="Carol",
        email="carol@example.org",
        organisation=afrl,
        citizenships=["USA"],
        roles=[Role.RESEARCHER],
        clearance=Clearance(CommonLevel.CONFIDENTIAL, "CONFIDENTIAL", "USA", date(2030, 1, 1)),
        password="violet-harbour-lantern-42",
    )
    project = node.projects.create_project(CONSOLE, ctx(), name="Range telemetry").id
    for who in ("alice", "bob", "carol", "paula"):
        node.projects.add_member(CONSOLE, ctx(), project, who)
    today = clock().date()
    node.agreements.create(
        CONSOLE,
        ctx(),
        AgreementDraft(
            name="Range MoU",
            kind=AgreementKind.MOU,
            effective_on=today - timedelta(days=1),
            expires_on=today + timedelta(days=30),
            max_level=3,
            party_nations=("USA", "GBR"),
            projects=(project,),
        ),
    )
    node.agreements.move(CONSOLE, ctx(), "Range MoU", "activate", reason="signed")
    channel = node.channels.create(CONSOLE, ctx(), name="Trial status", project=project).id
    register(node, channel)
    return Alliance(world, project, channel, afrl, dstl)


async def collect(
    stream: AsyncIterator[Item], *, until: Callable[[list[Item]], bool], timeout: float = 10.0
) -> list[Item]:
    """Items from ``stream`` until ``until(items)`` holds (then the stream is closed)."""
    items: list[Item] = []

    async def run() -> None:
        async for item in stream:
            items.append(item)
            if until(items):
                return

    try:
        await asyncio.wait_for(run(), timeout)
    finally:
        await stream.aclose()  # type: ignore[attr-defined]
    return items


# Readers see opaque event ids; the tests speak of places (1, 2, ...) and read them back
# through the node's own EventIds, registered per channel.
_EVENT_IDS: dict[str, EventIds] = {}


def register(node: Node, channel: str) -> None:
    """Let ``ids``, ``place`` and ``event_id`` read ``channel``'s event ids."""
    _EVENT_IDS[channel] = node.channels.event_ids


def place(channel: str, event_id: str) -> int:
    """The place in ``channel`` of the message ``event_id`` names."""
    return _EVENT_IDS[channel].seq(channel, event_id)


def event_id(channel: str, seq: int) -> str:
    """The event id readers see for the message at ``seq`` of ``channel``."""
    return _EVENT_IDS[channel].of(channel, seq)


def ids(items: list[Item]) -> list[int]:
    """The places of the messages among ``items``."""
    return [place(i.channel_id, i.id) for i in items if isinstance(i, Delivery)]


def notices(items: list[Item]) -> list[Notice]:
    return [i for i in items if isinstance(i, Notice)]


def run(node: Node, coro: Awaitable[T]) -> T:
    """Run ``coro`` on a new event loop, closing the broker's connections of that loop."""

    async def main() -> T:
        try:
            return await coro
        finally:
            await node.channels.broker.close()

    return asyncio.run(main())


def a_delivery(body: str = "range clear\nline two") -> Delivery:
    """A delivery as the hub hands it to every reader who may read it (a SECRET
    message releasable to the USA and the UK), for tests and benchmarks of the wire."""
    return Delivery(
        id="1" + "A" * 32,
        channel_id="c-1",
        message_id="m-1",
        banner="SECRET//REL TO USA, GBR",
        label_json='{"classification":"S","rel_to":["USA","GBR"]}',
        body=body,
        publisher="alice",
        published_at=datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
        portion="(S//REL TO USA, GBR)",
    )
