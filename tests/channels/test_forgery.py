"""The broker is not trusted for labels (ADR 0025): a message put straight into the
channel's NATS subject (or the in-process log), bypassing Caveat's publish, reaches no
reader. Forged under a lower label with a key of its own, altered after sealing, copied
from another channel, or plain JSON: each fails the seal's authentication, is dropped
(live and on replay) and counted in a ``channel.message_rejected`` ledger event, while
the genuine messages around it are delivered as the policy decides."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.domain.channels import SEALED_V1, Envelope, Retention, channel_key, seal
from caveat.domain.labels import label_to_canonical_json, parse_marking
from caveat.services.channels import Delivery
from tests.channels.support import CONSOLE, Alliance, collect, ctx, ids, place, run

Inject = Callable[[str, bytes], Awaitable[None]]


async def _injector(alliance: Alliance, broker_kind: str, request: pytest.FixtureRequest) -> Inject:
    """Writes to the broker as anyone with access to it could: a NATS client of its own
    publishing on the channel's subject, or the in-process log directly."""
    if broker_kind == "nats":
        import nats

        from caveat.adapters.channels.nats import subject

        client = await nats.connect(request.getfixturevalue("nats_url"))
        js = client.jetstream()

        async def inject(channel: str, payload: bytes) -> None:
            await js.publish(subject(channel), payload)

        inject.client = client  # type: ignore[attr-defined]
        return inject

    async def put(channel: str, payload: bytes) -> None:
        await alliance.node.channels.broker.publish(channel, payload)

    return put


def _envelope(alliance: Alliance, channel: str, marking: str, body: str) -> Envelope:
    node = alliance.node
    today = alliance.world.clock().date()
    label = parse_marking(marking, groups=node.registry.directory(), on=today)
    alice = node.people.get_person("alice")
    return Envelope(
        channel_id=channel,
        message_id=str(uuid.uuid4()),
        label_json=label_to_canonical_json(label).decode(),
        body=body,
        publisher_id=alice.id,
        publisher_name="alice",
        publisher_org_id=alliance.afrl,
        published_at=alliance.world.clock(),
    )


def test_messages_injected_into_the_broker_reach_no_reader(
    alliance: Alliance, broker_kind: str, request: pytest.FixtureRequest
) -> None:
    node = alliance.node
    channel = alliance.channel
    other = node.channels.create(CONSOLE, ctx(), name="Other", project=alliance.project).id
    key = channel_key(node.keys.secret_key(), channel)

    async def main() -> dict[str, list[int]]:
        inject = await _injector(alliance, broker_kind, request)
        secret = await node.channels.publish(
            alliance.principal("alice"), ctx(), channel, label="SECRET//NOFORN", body="genuine"
        )
        assert place(channel, secret.id) == 1
        live = await node.channels.subscribe(
            alliance.principal("bob"), ctx(), channel, after=secret.id
        )
        bob = asyncio.ensure_future(collect(live, until=lambda got: 7 in ids(got)))
        await asyncio.sleep(0.2)  # bob has joined the live fan-out
        low = _envelope(alliance, channel, "UNCLASSIFIED", "forged, own key")
        await inject(channel, seal(low, b"k" * 32))  # 2: a key of the forger's own
        # 3: a genuine seal whose label is lowered after sealing (the MAC kept).
        sealed = seal(_envelope(alliance, channel, "SECRET//NOFORN", "x"), key)
        head = len(SEALED_V1) + 32  # the version and the HMAC-SHA256
        doc = json.loads(sealed[head:])
        doc["label"] = low.label_json
        altered = sealed[:head] + json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        assert altered != sealed
        await inject(channel, altered)
        await node.channels.broker.open(other, Retention())
        other_key = channel_key(node.keys.secret_key(), other)
        copied = _envelope(alliance, other, "UNCLASSIFIED", "copied")
        await inject(channel, seal(copied, other_key))  # 4: genuine, of another channel
        moved = _envelope(alliance, channel, "UNCLASSIFIED", "moved")
        await inject(channel, seal(moved, other_key))  # 5: another channel's key
        plain = json.dumps(low.document()).encode()  # 6: no seal at all
        await inject(channel, plain)
        end = await node.channels.publish(
            alliance.principal("alice"), ctx(), channel, label="UNCLASSIFIED", body="end"
        )
        assert place(channel, end.id) == 7  # the injected messages took ids 2 to 6
        got = {"bob": ids(await bob)}
        replay = await node.channels.subscribe(alliance.principal("alice"), ctx(), channel)
        got["alice"] = ids(await collect(replay, until=lambda items: 7 in ids(items)))
        bodies = [i.body for i in await _all(alliance) if isinstance(i, Delivery)]
        assert bodies == ["genuine", "end"]
        client = getattr(inject, "client", None)
        if client is not None:
            await client.close()
        return got

    got = run(node, main())
    assert got == {"bob": [7], "alice": [1, 7]}
    node.channels.ledger.flush()
    with node.uow.read() as session:
        rows = session.scalars(
            select(EventRow)
            .where(EventRow.type == "channel.message_rejected")
            .order_by(EventRow.seq)
        ).all()
    assert sum(json.loads(r.body)["data"]["count"] for r in rows) == 5  # by bob's live feed
    assert {r.target_id for r in rows} == {channel}


async def _all(alliance: Alliance) -> list[Delivery]:
    stream = await alliance.node.channels.subscribe(
        alliance.principal("alice"), ctx(), alliance.channel
    )
    items = await collect(stream, until=lambda got: 7 in ids(got))
    return [i for i in items if isinstance(i, Delivery)]
