"""A property of the live channels, on each broker: two readers of different nations
and clearances on one channel each receive exactly the messages ``decide()`` lets them
read, in the channel's order, whatever the messages' labels (drawn by the label model's
own generator, every scheme, SCI, SAP, dissemination controls, REL TO lists).

The messages are sealed with the node's channel key and handed to the broker as
Caveat's publish would (without the publisher's own reading check, so any label reaches
the readers); a last unclassified message tells each reader the run is over."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caveat.domain.channels import Envelope, Retention, channel_key, seal
from caveat.domain.labels import Label, Originator, label_to_canonical_json, parse_marking
from caveat.domain.policy import Action, Context, decide, make_resource
from caveat.services.policy import subject_of
from tests.channels.support import (
    CONSOLE,
    MARKINGS,
    Alliance,
    collect,
    ctx,
    ids,
    register,
    run,
)
from tests.domain.labels.label_strategies import labels

# Run on one database: delivery decided per message on a broker; the channel store is tested
# on both databases.
pytestmark = pytest.mark.one_database

READERS = ("bob", "carol")  # GBR SECRET, USA CONFIDENTIAL


def _permits(alliance: Alliance, who: str, label: Label) -> bool:
    """The oracle: ``decide()`` for ``who`` reading a message of the channel's project."""
    node = alliance.node
    principal = alliance.principal(who)
    with node.uow.read() as session:
        subject = subject_of(session, principal.person)
    resource = make_resource(
        id="oracle",
        project_id=alliance.project,
        kind="channel_message",
        label=label,
        schemes=node.policy.schemes,
        originator_org_id=alliance.afrl,
    )
    context = Context(alliance.world.clock(), principal.mfa_at, node.policy.environment())
    return decide(subject, Action.READ, resource, context).permitted


def _sealed(alliance: Alliance, channel: str, label: Label, body: str) -> bytes:
    node = alliance.node
    alice = node.people.get_person("alice")
    envelope = Envelope(
        channel_id=channel,
        message_id=str(uuid.uuid4()),
        label_json=label_to_canonical_json(label).decode(),
        body=body,
        publisher_id=alice.id,
        publisher_name=alice.username,
        publisher_org_id=alliance.afrl,
        published_at=alliance.world.clock(),
    )
    return seal(envelope, channel_key(node.keys.secret_key(), channel))


def test_each_reader_receives_exactly_what_the_policy_allows_in_order(
    alliance: Alliance, broker_kind: str
) -> None:
    node = alliance.node
    afrl = node.registry.get_organisation(alliance.afrl)
    originator = Originator(afrl.short_name or afrl.name, afrl.nation)
    end_label = replace(
        parse_marking(
            "UNCLASSIFIED", groups=node.registry.directory(), on=alliance.world.clock().date()
        ),
        originator=originator,
    )
    assert all(_permits(alliance, who, end_label) for who in READERS)

    # The generator's labels are mostly withheld from these readers (SCI, SAP, foreign
    # release lists); the alliance's everyday markings are mixed in so both outcomes occur.
    everyday = [
        parse_marking(m, groups=node.registry.directory(), on=alliance.world.clock().date())
        for m in MARKINGS
    ]

    @settings(
        max_examples=25 if broker_kind == "nats" else 60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(st.lists(labels() | st.sampled_from(everyday), min_size=1, max_size=8))
    def check(drawn: list[Label]) -> None:
        messages = [replace(label, originator=originator) for label in drawn]
        sizes.append(len(messages))
        channel = node.channels.create(
            CONSOLE, ctx(), name=f"p-{uuid.uuid4()}", project=alliance.project
        ).id
        register(node, channel)
        expected = {
            who: [n for n, label in enumerate(messages, 1) if _permits(alliance, who, label)]
            for who in READERS
        }

        async def main() -> dict[str, list[int]]:
            await node.channels.broker.open(channel, Retention())
            streams = {
                who: await node.channels.subscribe(alliance.principal(who), ctx(), channel)
                for who in READERS
            }
            end = len(messages) + 1
            readers = {
                who: asyncio.ensure_future(
                    collect(
                        stream,
                        until=lambda got: end in ids(got),
                    )
                )
                for who, stream in streams.items()
            }
            for n, label in enumerate([*messages, end_label], 1):
                seq = await node.channels.broker.publish(
                    channel, _sealed(alliance, channel, label, f"m{n}")
                )
                assert seq == n
            got = {who: await task for who, task in readers.items()}
            return {who: [n for n in ids(items) if n != end] for who, items in got.items()}

        received = run(node, main())
        assert received == expected
        runs.append(expected)

    runs: list[dict[str, list[int]]] = []
    sizes: list[int] = []
    check()
    # The draws reach both outcomes for each reader (the property is not vacuous).
    for who in READERS:
        assert any(r[who] for r in runs), who
        assert any(len(r[who]) < n for r, n in zip(runs, sizes, strict=True)), who
