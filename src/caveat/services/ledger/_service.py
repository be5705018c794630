"""The ledger: the sequencer, signed checkpoints and proofs over the event table (ADR 0005).

Events commit with their actions (``UnitOfWork.record``); the sequencer later gives
each committed event a gap-free ``leaf_index`` in ``seq`` order and stores every
completed perfect-subtree hash, all in one transaction under the sequencer lock, so a
crash leaves either the whole batch integrated or none of it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, Row, func, select

from caveat.adapters.db.models import Base
from caveat.domain.errors import InvalidInput, NotFound
from caveat.domain.ledger import (
    Checkpoint,
    Ed25519Signer,
    Ed25519Verifier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    sign_checkpoint,
)
from caveat.domain.permissions import Act
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting
from caveat.services.ledger import _store as store

EVENTS = Base.metadata.tables["events"]
CHECKPOINTS = Base.metadata.tables["ledger_checkpoints"]
COSIGNATURES = Base.metadata.tables["ledger_cosignatures"]
TILE_WIDTH = 256  # C2SP tlog-tiles: a tile holds 256 hashes of one level, 8 tree levels apart


@dataclass(frozen=True, slots=True)
class CheckpointSchedule:
    """Publish a checkpoint once this many entries or seconds have passed since the last."""

    every_entries: int = 1000
    every_seconds: int = 300


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A published checkpoint; ``note`` carries our signature and every stored cosignature."""

    id: int
    size: int
    root_hash: bytes
    note: str
    published_at: datetime
    cosigners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Integration:
    """What one run of the sequencer did."""

    integrated: int
    size: int
    checkpoint: StoredCheckpoint | None


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Leaf ``index`` is in the tree of ``size`` leaves whose signed checkpoint is given."""

    index: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]
    root_hash: bytes
    checkpoint: str


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """The tree of ``old_size`` leaves is a prefix of the tree of ``new_size`` leaves."""

    old_size: int
    new_size: int
    proof: list[bytes]
    old_root: bytes
    new_root: bytes
    checkpoint: str


def b64(data: bytes) -> str:
    """Standard base64, as checkpoints and proofs use it."""
    return base64.b64encode(data).decode("ascii")


def origin_for(name: str) -> str:
    """A checkpoint origin / key name from a node name (no spaces or '+', C2SP)."""
    cleaned = "".join("-" if c.isspace() or c == "+" or ord(c) < 0x20 else c for c in name)
    return cleaned.strip("-") or "caveat-node"


class LedgerService:
    """Integrates events into the Merkle tree, publishes checkpoints and serves proofs."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Callable[[], datetime],
        origin: str,
        signing_key: Callable[[], Ed25519PrivateKey],
        batch_size: int = 5000,
        schedule: CheckpointSchedule | None = None,
    ) -> None:
        self._engine = engine
        self._read = engine.execution_options(caveat_read_only=True)
        self._clock = clock
        self.origin = origin
        self._signing_key = signing_key
        self._key: Ed25519PrivateKey | None = None
        self._signer: Ed25519Signer | None = None
        self._batch_size = batch_size
        self.schedule = schedule or CheckpointSchedule()

    # --- keys ------------------------------------------------------------------

    def signer_key(self) -> Ed25519PrivateKey:
        """The node's Ed25519 key, read from the key provider once."""
        if self._key is None:
            self._key = self._signing_key()
        return self._key

    def signer(self) -> Ed25519Signer:
        """The node's log signer (key name = origin)."""
        if self._signer is None:
            self._signer = Ed25519Signer(self.origin, self.signer_key())
        return self._signer

    def verifier(self) -> Ed25519Verifier:
        """The public key that verifies our checkpoints."""
        return self.signer().verifier()

    # --- sequencer ---------------------------------------------------------------

    def pending(self) -> int:
        """How many committed events wait for a leaf index (an indexed count)."""
        with self._read.connect() as conn, conn.begin():
            count = conn.scalar(
                select(func.count()).select_from(EVENTS).where(EVENTS.c.leaf_index.is_(None))
            )
            return int(count or 0)

    def publish_if_due(self) -> StoredCheckpoint | None:
        """Publish a checkpoint if the schedule says so (checked first without locking)."""
        with self._read.connect() as conn, conn.begin():
            latest = self._latest_row(conn)
            size = store.tree_size(conn)
        if latest is not None and (
            int(latest.size) == size
            or (
                size - int(latest.size) < self.schedule.every_entries
                and self._clock() - latest.published_at
                < timedelta(seconds=self.schedule.every_seconds)
            )
        ):
            return None
        with self._engine.begin() as conn:
            store.lock_sequencer(conn)
            return self._publish_if_due(conn)

    def integrate(self, *, max_batches: int | None = None) -> Integration:
        """Integrate every pending event, batch by batch (each batch one transaction)."""
        total, batches, published = 0, 0, None
        size = 0
        while max_batches is None or batches < max_batches:
            with self._engine.begin() as conn:
                store.lock_sequencer(conn)
                added, size = self._integrate_batch(conn)
                checkpoint = self._publish_if_due(conn)
            published = checkpoint or published
            total += added
            batches += 1
            if added < self._batch_size:
                break
        return Integration(total, size, published)

    def _integrate_batch(self, conn: Connection) -> tuple[int, int]:
        size = store.tree_size(conn)
        rows = conn.execute(
            select(EVENTS.c.seq, EVENTS.c.body)
            .where(EVENTS.c.leaf_index.is_(None))
            .order_by(EVENTS.c.seq)
            .limit(self._batch_size)
        ).all()
        if not rows:
            return 0, size
        peaks = _peaks(conn, size)
        nodes: list[tuple[int, int, bytes]] = []
        assigned: list[tuple[int, int]] = []
        for seq, body in rows:
            index = size + len(assigned)
            current = leaf_hash(body.encode("utf-8"))
            nodes.append((0, index, current))
            level, position = 0, index
            while position & 1:  # this leaf completes the perfect subtree to its left
                current = node_hash(peaks.pop(), current)
                level, position = level + 1, position >> 1
                nodes.append((level, position, current))
            peaks.append(current)
            assigned.append((index, seq))
        first, last = rows[0][0], rows[-1][0]
        if last - first + 1 == len(rows):
            # No gap: the batch is every event with seq in [first, last], so one ranged
            # UPDATE numbers them (a third cheaper on SQLite than one per row).
            store.assign_range(conn, first, last, size - first)
        else:
            store.assign_leaves(conn, assigned)
        store.store_nodes(conn, nodes)
        return len(rows), size + len(rows)

    # --- checkpoints ---------------------------------------------------------------

    def publish_checkpoint(self, by: Acting) -> StoredCheckpoint:
        """Integrate what is pending, then sign the current tree (or return its
        checkpoint), at a person's request: node operators and the console only
        (Act.CHECKPOINT_PUBLISH). The schedule publishes on its own."""
        authorize(by, Act.CHECKPOINT_PUBLISH)
        return self.publish_now()

    def publish_now(self) -> StoredCheckpoint:
        """The sequencer's own path: integrate and sign now (the first checkpoint of a
        log, a witness request, a bundle export). Interfaces call ``publish_checkpoint``."""
        self.integrate()
        with self._engine.begin() as conn:
            store.lock_sequencer(conn)
            return self._publish(conn)

    def _publish_if_due(self, conn: Connection) -> StoredCheckpoint | None:
        size = store.tree_size(conn)
        latest = self._latest_row(conn)
        if latest is None:
            return self._publish(conn) if size else None
        grown = size - int(latest.size)
        age = self._clock() - latest.published_at
        if grown >= self.schedule.every_entries or (
            grown > 0 and age >= timedelta(seconds=self.schedule.every_seconds)
        ):
            return self._publish(conn)
        return None

    def _publish(self, conn: Connection) -> StoredCheckpoint:
        size = store.tree_size(conn)
        latest = self._latest_row(conn)
        if latest is not None and int(latest.size) == size:
            return self._stored(conn, latest)
        root = root_hash(store.source_for(conn, root_hash, size), size)
        note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer())
        now = self._clock()
        new_id = conn.execute(
            CHECKPOINTS.insert()
            .values(size=size, root_hash=root, note=note, published_at=now)
            .returning(CHECKPOINTS.c.id)
        ).scalar_one()
        return StoredCheckpoint(int(new_id), size, root, note, now, ())

    def _latest_row(self, conn: Connection) -> Row[Any] | None:
        return conn.execute(
            select(CHECKPOINTS).order_by(CHECKPOINTS.c.size.desc()).limit(1)
        ).first()

    def _stored(self, conn: Connection, row: Row[Any]) -> StoredCheckpoint:
        cosigs = conn.execute(
            select(COSIGNATURES.c.witness, COSIGNATURES.c.line)
            .where(COSIGNATURES.c.checkpoint_id == row.id)
            .order_by(COSIGNATURES.c.witness)
        ).all()
        note = str(row.note) + "".join(line + "\n" for _, line in cosigs)
        return StoredCheckpoint(
            int(row.id),
            int(row.size),
            bytes(row.root_hash),
            note,
            row.published_at,
            tuple(str(w) for w, _ in cosigs),
        )

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The newest published checkpoint with its cosignatures, if any."""
        with self._read.connect() as conn, conn.begin():
            row = self._latest_row(conn)
            return None if row is None else self._stored(conn, row)

    def require_checkpoint(self) -> StoredCheckpoint:
        """The newest checkpoint, publishing one first if none exists yet."""
        return self.latest_checkpoint() or self.publish_now()

    def checkpoint_at(self, size: int) -> StoredCheckpoint:
        """The checkpoint published at exactly ``size`` entries."""
        with self._read.connect() as conn, conn.begin():
            row = conn.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.size == size)).first()
            if row is None:
                raise NotFound(f"no checkpoint at size {size}", code="checkpoint_not_found")
            return self._stored(conn, row)

    def checkpoints(self, *, limit: int = 100, below: int | None = None) -> list[StoredCheckpoint]:
        """Published checkpoints, newest first (keyset on size)."""
        query = select(CHECKPOINTS).order_by(CHECKPOINTS.c.size.desc()).limit(min(limit, 1000))
        if below is not None:
            query = query.where(CHECKPOINTS.c.size < below)
        with self._read.connect() as conn, conn.begin():
            return [self._stored(conn, row) for row in conn.execute(query).all()]

    # --- proofs ----------------------------------------------------------------------

    def _checkpoint_in(self, conn: Connection, size: int | None) -> StoredCheckpoint | None:
        query = select(CHECKPOINTS)
        if size is None:
            query = query.order_by(CHECKPOINTS.c.size.desc()).limit(1)
        else:
            query = query.where(CHECKPOINTS.c.size == size)
        row = conn.execute(query).first()
        return None if row is None else self._stored(conn, row)

    @contextmanager
    def _at_checkpoint(self, size: int | None) -> Iterator[tuple[Connection, StoredCheckpoint]]:
        """One read transaction positioned at a checkpoint (latest, publishing one if none)."""
        for attempt in range(2):
            with self._read.connect() as conn, conn.begin():
                checkpoint = self._checkpoint_in(conn, size)
                if checkpoint is not None:
                    yield conn, checkpoint
                    return
            if size is not None or attempt:
                break
            self.publish_now()  # a log nobody checkpointed yet
        raise NotFound(f"no checkpoint at size {size}", code="checkpoint_not_found")

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        """Prove leaf ``index`` is in a checkpointed tree (the latest by default).

        The root is the signed checkpoint's; the proof comes from the stored hashes
        in the same read transaction, in one query.
        """
        with self._at_checkpoint(size) as (conn, cp):
            if not 0 <= index < cp.size:
                raise InvalidInput(
                    f"leaf index {index} is outside the checkpointed tree of {cp.size} entries",
                    code="leaf_out_of_range",
                    field="index",
                )
            wanted = [*store.plan(inclusion_proof, index, cp.size), (0, index)]
            source = store.PrefetchedSource.load(conn, wanted)
        proof = inclusion_proof(source, index, cp.size)
        return InclusionProof(
            index, cp.size, source.stored_hash(0, index), proof, cp.root_hash, cp.note
        )

    def inclusion_proof_for_event(self, event_id: str, size: int | None = None) -> InclusionProof:
        """Prove the event ``event_id`` is in a checkpointed tree."""
        with self._read.connect() as conn, conn.begin():
            index = conn.scalar(select(EVENTS.c.leaf_index).where(EVENTS.c.id == event_id))
        if index is None:
            raise NotFound(
                f"no integrated event {event_id!r}",
                code="entry_not_found",
                hint="new events are integrated within seconds; try again",
            )
        return self.inclusion_proof(int(index), size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """Prove the checkpoint at ``old_size`` is a prefix of a later one (latest by default)."""
        with self._at_checkpoint(new_size) as (conn, cp):
            if not 0 < old_size <= cp.size:
                raise InvalidInput(
                    f"no consistency proof from size {old_size} to {cp.size}",
                    code="bad_proof_sizes",
                    field="old",
                )
            wanted = [
                *store.plan(consistency_proof, old_size, cp.size),
                *store.plan(root_hash, old_size),
            ]
            source = store.PrefetchedSource.load(conn, wanted)
        proof = consistency_proof(source, old_size, cp.size)
        old_root = root_hash(source, old_size)
        return ConsistencyProof(old_size, cp.size, proof, old_root, cp.root_hash, cp.note)

    def consistency_between(self, conn: Connection, old_size: int, size: int) -> list[bytes]:
        """A consistency proof inside the caller's transaction (witness requests)."""
        return consistency_proof(
            store.source_for(conn, consistency_proof, old_size, size), old_size, size
        )

    # --- hash tiles (C2SP tlog-tiles; entry bundles are AuditService's) ------------------

    def hash_tile(self, tile_level: int, index: int, width: int) -> bytes:
        """Tile (L, N) of ``width`` hashes: level 8L nodes [256N, 256N + width)."""
        check_tile(tile_level, index, width)
        level, start = 8 * tile_level, index * TILE_WIDTH
        with self._read.connect() as conn, conn.begin():
            rows = conn.execute(
                select(store.NODES.c.hash)
                .where(store.NODES.c.level == level)
                .where(store.NODES.c.idx >= start, store.NODES.c.idx < start + width)
                .order_by(store.NODES.c.idx)
            ).all()
        if len(rows) != width:
            raise NotFound("no such tile yet", code="tile_not_found")
        return b"".join(bytes(h) for (h,) in rows)


def check_tile(level: int, index: int, width: int) -> None:
    if not (0 <= level <= 8 and 0 <= index < 2**56 and 1 <= width <= TILE_WIDTH):
        raise InvalidInput("tile coordinates are out of range", code="bad_tile")


def _peaks(conn: Connection, size: int) -> list[bytes]:
    """The perfect-subtree roots of the right frontier at ``size``, largest first."""
    wanted: list[tuple[int, int]] = []
    start = 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            wanted.append((level, start >> level))
            start += 1 << level
    source = store.PrefetchedSource.load(conn, wanted)
    return [source.stored_hash(level, index) for level, index in wanted]
