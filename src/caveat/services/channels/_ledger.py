"""Publication and subscription as ledger events, in batches (never one per message).

Counters are kept in memory per (channel, person) and written by :meth:`flush` every
few seconds (a background worker; also when the node stops): one ``channel.published``
event per publisher and channel with the count, the first and last event ids and a hash
over the messages' hashes; one ``channel.subscribed`` per reader and channel with the
connections opened and the messages delivered, withheld and dropped. A process that
dies loses at most one period of these records; the messages themselves are on the
broker for the channel's retention.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from caveat.domain.channels import PublicationBatch
from caveat.domain.events import Actor, ActorKind
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory

_SYSTEM = Actor(ActorKind.SYSTEM, None, "channels")


@dataclass(slots=True)
class ReadStats:
    """One reader's activity on one channel since the last flush."""

    connections: int = 0
    delivered: int = 0
    withheld: int = 0
    lagging: int = 0
    resumed_from: list[int] = field(default_factory=list)


class ChannelLedger:
    """Batches of channel activity waiting for their ledger events."""

    def __init__(self, *, uow: UnitOfWorkFactory, batch_limit: int = 10_000) -> None:
        self._uow = uow
        self._lock = threading.Lock()
        self._batch_limit = batch_limit
        self._published: dict[tuple[str, str], tuple[Actor, PublicationBatch]] = {}
        self._reads: dict[tuple[str, str], tuple[Actor, ReadStats]] = {}
        self._rejected: dict[str, int] = {}

    def published(self, channel_id: str, actor: Actor, seq: int, payload: bytes) -> bool:
        """Count a published message; True when its batch is full (flush soon)."""
        key = (channel_id, actor.id or "")
        with self._lock:
            entry = self._published.get(key)
            if entry is None:
                entry = self._published[key] = (actor, PublicationBatch())
            entry[1].add(seq, payload)
            return entry[1].count >= self._batch_limit

    def _stats(self, channel_id: str, actor: Actor) -> ReadStats:
        key = (channel_id, actor.id or "")
        entry = self._reads.get(key)
        if entry is None:
            entry = self._reads[key] = (actor, ReadStats())
        return entry[1]

    def reading(self, channel_id: str, actor: Actor, after: int) -> None:
        """A reader opened a connection (resuming after ``after``, 0: from the start)."""
        with self._lock:
            stats = self._stats(channel_id, actor)
            stats.connections += 1
            if after and len(stats.resumed_from) < 20:
                stats.resumed_from.append(after)

    def count(
        self, channel_id: str, actor: Actor, *, delivered: int, withheld: int, lagging: int = 0
    ) -> None:
        """Add what a reader's connection delivered and withheld since it last said."""
        if not (delivered or withheld or lagging):
            return
        with self._lock:
            stats = self._stats(channel_id, actor)
            stats.delivered += delivered
            stats.withheld += withheld
            stats.lagging += lagging

    def rejected(self, channel_id: str) -> None:
        with self._lock:
            self._rejected[channel_id] = self._rejected.get(channel_id, 0) + 1

    def pending(self) -> int:
        """How many events a flush would write now."""
        with self._lock:
            return len(self._published) + len(self._reads) + len(self._rejected)

    def flush(self, ctx: CallContext | None = None) -> int:
        """Write the batches gathered so far as events, in one transaction; how many."""
        with self._lock:
            published, self._published = self._published, {}
            reads, self._reads = self._reads, {}
            rejected, self._rejected = self._rejected, {}
        if not (published or reads or rejected):
            return 0
        written = 0
        try:
            with self._uow(ctx or CallContext(request_id="channel-ledger")) as uow:
                for (channel_id, _), (actor, batch) in sorted(published.items()):
                    uow.record(
                        "channel.published",
                        actor,
                        target_id=channel_id,
                        data={
                            "count": batch.count,
                            "first_id": batch.first_seq,
                            "last_id": batch.last_seq,
                            "sha256": batch.digest,
                        },
                    )
                    written += 1
                for (channel_id, _), (actor, stats) in sorted(reads.items()):
                    uow.record(
                        "channel.subscribed",
                        actor,
                        target_id=channel_id,
                        data={
                            "connections": stats.connections,
                            "delivered": stats.delivered,
                            "withheld": stats.withheld,
                            "lagging": stats.lagging,
                            "resumed_from": stats.resumed_from,
                        },
                    )
                    written += 1
                for channel_id, count in sorted(rejected.items()):
                    uow.record(
                        "channel.message_rejected",
                        _SYSTEM,
                        target_id=channel_id,
                        data={"count": count},
                    )
                    written += 1
        except Exception:
            self._restore(published, reads, rejected)
            raise
        return written

    def _restore(
        self,
        published: dict[tuple[str, str], tuple[Actor, PublicationBatch]],
        reads: dict[tuple[str, str], tuple[Actor, ReadStats]],
        rejected: dict[str, int],
    ) -> None:
        """Put back what a failed flush could not write (the next one tries again)."""
        with self._lock:
            for key, value in published.items():
                self._published.setdefault(key, value)
            for key, read in reads.items():
                self._reads.setdefault(key, read)
            for channel_id, count in rejected.items():
                self._rejected[channel_id] = self._rejected.get(channel_id, 0) + count
