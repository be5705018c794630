"""Laws of the Merkle module: proofs for every size verify, tampered ones never do."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.errors import IntegrityError, InvalidInput
from caveat.domain.ledger import merkle


def _tree(size: int) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for i in range(size):
        tree.append(merkle.leaf_hash(i.to_bytes(4, "big")))
    return tree


def _flip(value: bytes, bit: int) -> bytes:
    out = bytearray(value)
    out[bit // 8 % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


class CountingSource:
    """Wraps a source and counts reads, to show proofs cost O(log n) of them."""

    def __init__(self, inner: merkle.HashSource) -> None:
        self.inner = inner
        self.reads = 0

    def stored_hash(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.inner.stored_hash(level, index)


BIG_TREE = _tree(300)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 300), bit=st.integers(0, 255))
def test_inclusion_proofs_verify_and_tampering_fails(size: int, bit: int) -> None:
    root = merkle.root_hash(BIG_TREE, size)
    for index in range(size):
        leaf = BIG_TREE.stored_hash(0, index)
        proof = merkle.inclusion_proof(BIG_TREE, index, size)
        merkle.verify_inclusion(index, size, leaf, proof, root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, _flip(leaf, bit), proof, root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, leaf, proof, _flip(root, bit))
        if proof:
            spot = bit % len(proof)
            bad = [*proof[:spot], _flip(proof[spot], bit), *proof[spot + 1 :]]
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(index, size, leaf, bad, root)
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(index, size, leaf, proof[:-1], root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(index, size, leaf, [*proof, leaf], root)
        if size > 1:
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion((index + 1) % size, size, leaf, proof, root)


@settings(max_examples=25, deadline=None)
@given(size2=st.integers(1, 150), bit=st.integers(0, 255))
def test_consistency_proofs_for_every_earlier_size(size2: int, bit: int) -> None:
    root2 = merkle.root_hash(BIG_TREE, size2)
    for size1 in range(1, size2 + 1):
        root1 = merkle.root_hash(BIG_TREE, size1)
        proof = merkle.consistency_proof(BIG_TREE, size1, size2)
        merkle.verify_consistency(size1, size2, proof, root1, root2)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(size1, size2, proof, _flip(root1, bit), root2)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(size1, size2, proof, root1, _flip(root2, bit))
        if proof:
            spot = bit % len(proof)
            bad = [*proof[:spot], _flip(proof[spot], bit), *proof[spot + 1 :]]
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(size1, size2, bad, root1, root2)
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(size1, size2, proof[1:], root1, root2)


@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_subtree_proofs_verify(size: int, data: st.DataObject) -> None:
    level = data.draw(st.integers(0, size.bit_length() - 1))
    start = data.draw(st.integers(0, (size - 1) >> level)) << level
    end = data.draw(st.integers(start + 1, min(size, start + (1 << level))))
    assert merkle.is_valid_subtree(start, end)
    sub_root = merkle.root_from_leaf_hashes([BIG_TREE.stored_hash(0, i) for i in range(start, end)])
    root = merkle.root_hash(BIG_TREE, size)
    proof = merkle.subtree_consistency_proof(BIG_TREE, start, end, size)
    merkle.verify_subtree_consistency(start, end, size, proof, sub_root, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_subtree_consistency(start, end, size, proof, _flip(sub_root, 3), root)
    index = data.draw(st.integers(start, end - 1))
    leaf = BIG_TREE.stored_hash(0, index)
    path = merkle.subtree_inclusion_proof(BIG_TREE, index, start, end)
    merkle.verify_subtree_inclusion(index, start, end, leaf, path, sub_root)


@settings(max_examples=30, deadline=None)
@given(leaves=st.lists(st.binary(max_size=8), max_size=300))
def test_incremental_root_equals_batch_root(leaves: list[bytes]) -> None:
    hashes = [merkle.leaf_hash(d) for d in leaves]
    compact, tree = merkle.CompactRange(), merkle.MemoryTree()
    assert compact.root() == tree.root() == merkle.EMPTY_ROOT
    for i, h in enumerate(hashes):
        compact.append(h)
        tree.append(h)
        batch = merkle.root_from_leaf_hashes(hashes[: i + 1])
        assert compact.root() == tree.root() == batch
    assert merkle.CompactRange.resume(tree, len(hashes)).root() == compact.root()


def test_proofs_cost_logarithmic_reads() -> None:
    size = 299
    for index in (0, 150, 256, 298):
        counter = CountingSource(BIG_TREE)
        merkle.inclusion_proof(counter, index, size)
        assert counter.reads <= 2 * size.bit_length()
    counter = CountingSource(BIG_TREE)
    merkle.consistency_proof(counter, 37, size)
    assert counter.reads <= 2 * size.bit_length()


def test_size_zero_and_out_of_range_are_explicit() -> None:
    leaf = merkle.leaf_hash(b"x")
    with pytest.raises(merkle.ProofError, match="empty tree"):
        merkle.verify_inclusion(0, 0, leaf, [], merkle.EMPTY_ROOT)
    with pytest.raises(merkle.ProofError, match="outside"):
        merkle.verify_inclusion(1, 1, leaf, [], leaf)
    with pytest.raises(merkle.ProofError, match="empty tree"):
        merkle.verify_consistency(0, 5, [], merkle.EMPTY_ROOT, leaf)
    with pytest.raises(merkle.ProofError, match="empty tree"):
        merkle.verify_consistency(0, 0, [], merkle.EMPTY_ROOT, merkle.EMPTY_ROOT)
    with pytest.raises(InvalidInput):
        merkle.inclusion_proof(BIG_TREE, 5, 5)
    with pytest.raises(InvalidInput):
        merkle.consistency_proof(BIG_TREE, 0, 5)
    with pytest.raises(InvalidInput):
        merkle.inclusion_proof(BIG_TREE, 0, 301)  # more leaves than the store holds


def test_hash_sizes_and_proof_length_are_bounded() -> None:
    leaf = merkle.leaf_hash(b"x")
    with pytest.raises(merkle.ProofError, match="32 bytes"):
        merkle.verify_inclusion(0, 1, leaf[:31], [], leaf)
    with pytest.raises(merkle.ProofError, match="32 bytes"):
        merkle.verify_inclusion(0, 2, leaf, [b"short"], leaf)
    with pytest.raises(merkle.ProofError, match="at most 65"):
        merkle.verify_inclusion(0, 2**64 - 1, leaf, [leaf] * 66, leaf)
    with pytest.raises(InvalidInput):
        merkle.MemoryTree().append(b"not a hash")


def test_proof_error_is_an_integrity_error_with_stable_code() -> None:
    assert issubclass(merkle.ProofError, IntegrityError)
    assert merkle.ProofError("x").code == "merkle_proof_invalid"
