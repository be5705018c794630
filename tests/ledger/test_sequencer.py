"""The sequencer: gap-free leaf indices, stored subtree hashes, checkpoints and proofs."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.domain.errors import InvalidInput, NotFound
from caveat.domain.ledger import (
    MemoryTree,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger.support import add_events, execute
from tests.support import FakeClock


def _bodies(node: Node) -> list[str]:
    with node.uow.read() as session:
        rows = session.execute(
            select(EventRow.leaf_index, EventRow.body)
            .where(EventRow.leaf_index.is_not(None))
            .order_by(EventRow.leaf_index)
        ).all()
    assert [r.leaf_index for r in rows] == list(range(len(rows)))
    return [r.body for r in rows]


def test_integration_assigns_gap_free_indices_in_seq_order(node: Node) -> None:
    add_events(node, 250)
    done = node.ledger.integrate()
    assert done.size == done.integrated == node.ledger.pending() + done.integrated
    with node.uow.read() as session:
        seqs = session.scalars(select(EventRow.seq).order_by(EventRow.leaf_index)).all()
    assert seqs == sorted(seqs)
    assert node.ledger.integrate().integrated == 0  # idempotent


def test_events_after_a_gap_in_seq_get_the_next_indices(node: Node) -> None:
    # A rolled-back PostgreSQL transaction leaves a hole in seq; the batch after it
    # cannot be numbered as one range and is numbered row by row, still gap-free.
    add_events(node, 30)
    node.ledger.integrate()
    add_events(node, 40)
    execute(
        node.engine,
        "UPDATE events SET seq = seq + 1000 WHERE seq > (SELECT max(seq) - 15 FROM events)",
    )
    done = node.ledger.integrate()
    assert done.integrated == 40
    memory = MemoryTree()
    for body in _bodies(node):
        memory.append(leaf_hash(body.encode()))
    assert node.ledger.publish_now().root_hash == memory.root()
    with node.uow.read() as session:
        seqs = session.scalars(select(EventRow.seq).order_by(EventRow.leaf_index)).all()
    assert seqs == sorted(seqs)
    node.ledger_verifier.verify().require_ok()


def test_event_times_are_stored_as_the_column_type_binds_them(node: Node, clock: FakeClock) -> None:
    # Events are inserted with the driver's executemany, past SQLAlchemy's per-row
    # processing: the time must still be stored as a bound UTCDateTime is (on SQLite,
    # text with all six microsecond digits, here all zero), or equality and ranges miss.
    clock.advance(seconds=5)
    add_events(node, 3)
    with node.uow.read() as session:
        count = session.scalar(
            select(func.count()).select_from(EventRow).where(EventRow.occurred_at == clock())
        )
    assert count == 3


def test_stored_tree_matches_an_in_memory_tree_and_proofs_verify(node: Node) -> None:
    add_events(node, 300)
    node.ledger.integrate()
    memory = MemoryTree()
    for body in _bodies(node):
        memory.append(leaf_hash(body.encode()))
    cp = node.ledger.publish_now()
    assert cp.root_hash == memory.root()
    for index in (0, 1, 127, 128, cp.size - 1):
        p = node.ledger.inclusion_proof(index)
        verify_inclusion(p.index, p.size, p.leaf_hash, p.proof, p.root_hash)
        assert p.root_hash == cp.root_hash
    add_events(node, 77)
    new = node.ledger.publish_now()
    c = node.ledger.consistency_proof(cp.size)
    assert c.new_size == new.size
    verify_consistency(c.old_size, c.new_size, c.proof, cp.root_hash, new.root_hash)


def test_checkpoints_are_signed_notes_of_the_origin(node: Node) -> None:
    add_events(node, 5)
    cp = node.ledger.publish_now()
    opened = open_checkpoint(cp.note, origin="test-node", log_verifier=node.ledger.verifier())
    assert opened.checkpoint.size == cp.size
    assert node.ledger.publish_now().id == cp.id  # nothing new: same checkpoint


def test_checkpoints_follow_the_schedule(node: Node, clock: FakeClock) -> None:
    node.ledger.schedule = type(node.ledger.schedule)(every_entries=50, every_seconds=60)
    node.ledger.integrate()
    first = node.ledger.latest_checkpoint()
    assert first is not None
    add_events(node, 10)
    assert node.ledger.integrate().checkpoint is None  # neither 50 entries nor 60 s
    clock.advance(seconds=61)
    assert node.ledger.publish_if_due() is not None
    add_events(node, 60)
    assert node.ledger.integrate().checkpoint is not None  # 50 entries reached


def test_proof_requests_outside_the_tree_are_refused(node: Node) -> None:
    add_events(node, 3)
    cp = node.ledger.publish_now()
    with pytest.raises(InvalidInput):
        node.ledger.inclusion_proof(cp.size)
    with pytest.raises(NotFound):
        node.ledger.inclusion_proof(0, cp.size + 5)
    with pytest.raises(InvalidInput):
        node.ledger.consistency_proof(0)
    with pytest.raises(NotFound):
        node.ledger.inclusion_proof_for_event("no-such-event")


def test_several_sequencers_at_once_build_one_consistent_log(node: Node) -> None:
    """Several API workers may integrate at the same moment: the lock serialises them."""
    add_events(node, 400)
    node.ledger._batch_size = 37  # many small transactions interleave
    errors: list[BaseException] = []

    def run() -> None:
        try:
            node.ledger.integrate()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(_bodies(node)) == 400 + 4  # the node's own first events too
    node.ledger.publish_now()
    node.ledger_verifier.verify().require_ok()


def test_tiles_serve_stored_hashes(node: Node) -> None:
    add_events(node, 300)
    node.ledger.integrate()
    tile = node.ledger.hash_tile(0, 0, 256)
    assert len(tile) == 256 * 32
    assert tile[:32] == leaf_hash(_bodies(node)[0].encode())
    with pytest.raises(NotFound):
        node.ledger.hash_tile(0, 1, 256)  # only 304 leaves: tile 1 is partial
    assert len(node.ledger.hash_tile(0, 1, 304 - 256)) == 48 * 32
