"""Roots and proofs agree with pymerkle, an independent RFC 9162 implementation.

Every tree size from 1 to 1,000 with random leaves: the root, the inclusion proof of a
random leaf and a consistency proof from a random smaller size, each checked against the
other implementation's roots. pymerkle numbers
leaves from 1 and puts the leaf itself first on its inclusion path.
"""

from __future__ import annotations

import random

import pymerkle
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.domain.ledger import (
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.ledger.support import add_events


def test_every_size_up_to_1000_agrees_with_pymerkle() -> None:
    rng = random.Random(6962)
    ours = MemoryTree()
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    for size in range(1, 1001):
        data = rng.randbytes(rng.randrange(0, 64))
        ours.append(leaf_hash(data))
        theirs.append_entry(data)
        assert ours.root() == theirs.get_root()
        index = rng.randrange(size)
        mine = inclusion_proof(ours, index, size)
        assert [bytes(h) for h in theirs.prove_inclusion(index + 1, size).path[1:]] == mine
        verify_inclusion(
            index,
            size,
            leaf_hash(data) if index == size - 1 else ours.stored_hash(0, index),
            mine,
            ours.root(),
        )
        old = rng.randrange(1, size + 1)
        proof = consistency_proof(ours, old, size)
        old_root = root_hash(ours, old)
        assert old_root == theirs.get_root(old)
        verify_consistency(old, size, proof, old_root, ours.root())
        their_proof = theirs.prove_consistency(old, size)
        pymerkle.verify_consistency(old_root, ours.root(), their_proof)  # their proof, our roots
        # The consistency paths are ordered differently (pymerkle adds a subset mask), so
        # agreement means each side's proof checks out against the other side's roots.
        verify_consistency(old, size, proof, theirs.get_root(old), theirs.get_root(size))


def test_database_tree_agrees_with_pymerkle(node: Node) -> None:
    add_events(node, 517)
    node.ledger.integrate()
    with node.uow.read() as session:
        bodies = session.scalars(select(EventRow.body).order_by(EventRow.leaf_index)).all()
    theirs = pymerkle.InmemoryTree(algorithm="sha256")
    for body in bodies:
        theirs.append_entry(body.encode())
    cp = node.ledger.publish_now()
    assert cp.root_hash == theirs.get_root()
    for index in (0, 255, 256, 511, 519):
        p = node.ledger.inclusion_proof(index)
        assert [bytes(h) for h in theirs.prove_inclusion(index + 1).path[1:]] == p.proof
