"""Ledger behaviour the mutation run (docs/testing.md) showed no test pinned.

Boundaries (the largest tree RFC 9162 allows, a subtree's last leaf, the note's
signature cap, cosignature timestamps 0 and 2**63 - 1), which check a verifier reports
when several could fail, and how malformed signer keys are refused. A verifier's
``detail`` is what an auditor or witness operator reads in the refusal, so the check
that failed is part of the contract; these tests match its distinctive words.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.domain.errors import InvalidInput
from caveat.domain.ledger import merkle, note

MAX = merkle.MAX_TREE_SIZE


class UniformSource:
    """A consistent :class:`merkle.HashSource` of any size: every leaf hashes the same,
    so the perfect subtree at level ``L`` is the same hash wherever it stands. It lets a
    test build and check proofs for a tree of 2**64 - 1 leaves in 64 steps."""

    def __init__(self) -> None:
        self.levels = [merkle.leaf_hash(b"same")]
        for _ in range(64):
            self.levels.append(merkle.node_hash(self.levels[-1], self.levels[-1]))

    def stored_hash(self, level: int, index: int) -> bytes:
        assert 0 <= index < 1 << (64 - level)
        return self.levels[level]


def _tree(size: int) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for i in range(size):
        tree.append(merkle.leaf_hash(i.to_bytes(4, "big")))
    return tree


TREE = _tree(16)
LEAF = merkle.leaf_hash(b"x")


# --- the largest tree ---------------------------------------------------------------


def test_is_valid_subtree_at_the_top_of_the_size_range() -> None:
    assert merkle.is_valid_subtree(MAX - 1, MAX)
    assert merkle.is_valid_subtree(0, 1 << 63)
    assert not merkle.is_valid_subtree(MAX, MAX + 1)
    assert not merkle.is_valid_subtree(0, MAX + 1)


def test_proofs_for_a_tree_of_the_maximum_size_verify() -> None:
    source = UniformSource()
    root = merkle.root_hash(source, MAX)
    # Consistency from small trees and from trees a leaf or two smaller. From 5 or
    # MAX - 2 leaves the proof has 65 hashes (ceil(log2 MAX) + 1), one more than any
    # inclusion proof: a cap of 64 refused these valid proofs.
    lengths = {}
    for size1 in (1, 5, 1 << 63, MAX - 2, MAX - 1):
        proof = merkle.consistency_proof(source, size1, MAX)
        merkle.verify_consistency(size1, MAX, proof, merkle.root_hash(source, size1), root)
        lengths[size1] = len(proof)
    assert lengths == {1: 64, 5: 65, 1 << 63: 1, MAX - 2: 65, MAX - 1: 64}
    assert merkle.MAX_PROOF_LENGTH == 65
    # Inclusion of the last leaf.
    proof = merkle.inclusion_proof(source, MAX - 1, MAX)
    merkle.verify_inclusion(MAX - 1, MAX, source.levels[0], proof, root)
    # The last leaf as a subtree of its own, and the left half, in the largest tree.
    for start, end in ((MAX - 1, MAX), (0, 1 << 63), (MAX - 3, MAX - 1)):
        proof = merkle.subtree_consistency_proof(source, start, end, MAX)
        sub_root = merkle.root_hash(source, end - start)
        merkle.verify_subtree_consistency(start, end, MAX, proof, sub_root, root)


def test_sizes_past_the_maximum_are_refused_by_name() -> None:
    with pytest.raises(merkle.ProofError, match="no consistency proof from size 1 to size"):
        merkle.verify_consistency(1, MAX + 1, [LEAF], LEAF, LEAF)
    with pytest.raises(merkle.ProofError, match=r"\[0, 1\) is not a subtree of a tree of"):
        merkle.verify_subtree_consistency(0, 1, MAX + 1, [LEAF], LEAF, LEAF)


# --- which check a verifier reports -------------------------------------------------


def test_consistency_refusals_name_the_failed_check() -> None:
    root4, root8 = merkle.root_hash(TREE, 4), merkle.root_hash(TREE, 8)
    proof = merkle.consistency_proof(TREE, 4, 8)

    def detail(*args: object) -> str:
        with pytest.raises(merkle.ProofError) as caught:
            merkle.verify_consistency(*args)  # type: ignore[arg-type]
        return caught.value.detail

    assert detail(0, 8, proof, root4, root8) == (
        "a consistency proof from an empty tree proves nothing"
    )
    assert detail(8, 4, proof, root8, root4) == "no consistency proof from size 8 to size 4"
    assert detail(4, 4, proof, root4, root4) == "equal tree sizes need an empty consistency proof"
    assert detail(4, 4, [], root4, root8) == "equal tree sizes with different root hashes"
    assert detail(4, 8, [], root4, root8) == "consistency proof is empty"
    assert detail(4, 8, proof, root4[:31], root8) == "root1 must be 32 bytes, got 31"
    assert detail(4, 8, proof, root4, root8[:31]) == "root2 must be 32 bytes, got 31"
    # Equal sizes: a short root is reported as short, not as a different root.
    assert detail(4, 4, [], root4[:31], root4) == "root1 must be 32 bytes, got 31"
    assert detail(4, 4, [], root4, root4[:31]) == "root2 must be 32 bytes, got 31"


def test_subtree_consistency_refusals_name_the_failed_check() -> None:
    root = merkle.root_hash(TREE, 16)
    sub_root = merkle.root_hash(TREE, 4)
    proof = merkle.subtree_consistency_proof(TREE, 0, 4, 16)
    merkle.verify_subtree_consistency(0, 4, 16, proof, sub_root, root)

    def detail(*args: object) -> str:
        with pytest.raises(merkle.ProofError) as caught:
            merkle.verify_subtree_consistency(*args)  # type: ignore[arg-type]
        return caught.value.detail

    assert detail(0, 4, 16, proof, sub_root[:31], root) == "subtree root must be 32 bytes, got 31"
    assert detail(0, 4, 16, proof, sub_root, root[:31]) == "root must be 32 bytes, got 31"
    assert detail(1, 3, 16, proof, sub_root, root) == (
        "[1, 3) is not a subtree of a tree of 16 leaves"
    )
    assert detail(0, 4, 3, proof, sub_root, root) == "[0, 4) is not a subtree of a tree of 3 leaves"


def test_subtree_inclusion_refuses_the_index_just_past_the_subtree() -> None:
    sub_root = merkle.root_hash(TREE, 4)
    path = merkle.subtree_inclusion_proof(TREE, 3, 0, 4)
    merkle.verify_subtree_inclusion(3, 0, 4, TREE.stored_hash(0, 3), path, sub_root)
    with pytest.raises(merkle.ProofError) as caught:
        merkle.verify_subtree_inclusion(4, 0, 4, TREE.stored_hash(0, 4), path, sub_root)
    assert caught.value.detail == "leaf index 4 is outside the subtree [0, 4)"
    with pytest.raises(merkle.ProofError) as caught:
        merkle.verify_subtree_inclusion(1, 1, 3, LEAF, path, sub_root)
    assert caught.value.detail == "[1, 3) is not a subtree"


def test_subtree_proof_generation_refuses_what_is_not_a_subtree() -> None:
    with pytest.raises(InvalidInput) as caught:
        merkle.subtree_inclusion_proof(TREE, 4, 0, 4)
    assert caught.value.detail == "leaf index 4 is outside the subtree [0, 4)"
    with pytest.raises(InvalidInput) as caught:
        merkle.subtree_inclusion_proof(TREE, 1, 1, 3)
    assert caught.value.detail == "[1, 3) is not a subtree"
    with pytest.raises(InvalidInput) as caught:
        merkle.subtree_consistency_proof(TREE, 0, 4, 3)  # a subtree, but past the tree
    assert caught.value.detail == "[0, 4) is not a subtree of a tree of 3 leaves"
    with pytest.raises(InvalidInput) as caught:
        merkle.subtree_consistency_proof(TREE, 1, 3, 16)  # inside the tree, no subtree
    assert caught.value.detail == "[1, 3) is not a subtree of a tree of 16 leaves"


# --- trees in memory ------------------------------------------------------------------


def test_memory_tree_append_returns_the_index_and_names_a_bad_leaf() -> None:
    tree = merkle.MemoryTree()
    assert [tree.append(merkle.leaf_hash(bytes([i]))) for i in range(5)] == [0, 1, 2, 3, 4]
    with pytest.raises(InvalidInput) as caught:
        tree.append(b"short")
    assert caught.value.detail == "leaf hash must be 32 bytes, got 5"


def test_compact_range_resumes_at_its_size_and_names_a_bad_leaf() -> None:
    compact = merkle.CompactRange.resume(TREE, 11)
    assert compact.size == 11
    compact.append(TREE.stored_hash(0, 11))
    assert compact.size == 12
    assert compact.root() == merkle.root_hash(TREE, 12)
    with pytest.raises(InvalidInput) as caught:
        compact.append(b"short")
    assert caught.value.detail == "leaf hash must be 32 bytes, got 5"


# --- signed notes ---------------------------------------------------------------------

GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"


@pytest.mark.parametrize(
    ("skey", "detail"),
    [
        pytest.param(GO_SKEY.removeprefix("PRIVATE+"), "malformed signer key", id="no-prefix"),
        pytest.param(GO_SKEY.lower(), "malformed signer key", id="lower-case-prefix"),
        pytest.param(
            GO_SKEY[:-4],
            "malformed signer key: expected one type byte and a 32-byte key",
            id="short-material",
        ),
        pytest.param(
            GO_SKEY.replace("+AYEK", "+AYE!"), "malformed signer key: bad base64", id="bad-base64"
        ),
        pytest.param(
            GO_SKEY.replace("c74f20a3", "C74F20A3"), "malformed signer key", id="upper-hex-id"
        ),
        pytest.param(
            GO_SKEY.replace("c74f20a3", "c74f20a4"),
            "signer key ID does not match its name and key",
            id="wrong-id",
        ),
        pytest.param(
            GO_SKEY.replace("PeterNeumann", "PaulNeumann"),
            "signer key ID does not match its name and key",
            id="renamed",
        ),
    ],
)
def test_malformed_signer_keys_are_refused_with_the_reason(skey: str, detail: str) -> None:
    with pytest.raises(note.InvalidKey) as caught:
        note.Ed25519Signer.from_skey(skey)
    assert caught.value.detail == detail


def test_a_cosignature_secret_is_not_an_ed25519_signer_key() -> None:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    key = Ed25519PrivateKey.from_private_bytes(seed)
    witness = note.CosignatureV1Signer("PeterNeumann", key, timestamp=0)
    material = base64.b64encode(bytes([note.ALG_COSIGNATURE_V1]) + seed).decode("ascii")
    skey = f"PRIVATE+KEY+PeterNeumann+{witness.key_id:08x}+{material}"
    with pytest.raises(note.InvalidKey) as caught:
        note.Ed25519Signer.from_skey(skey)
    assert caught.value.detail == "signer key type 0x04 is not 0x01"


@pytest.mark.parametrize("timestamp", [0, 1, note.MAX_TIMESTAMP])
def test_cosignature_timestamps_at_the_edges_are_signed(timestamp: int) -> None:
    log = note.Ed25519Signer.generate("log.example")
    witness = note.CosignatureV1Signer(
        "witness.example", Ed25519PrivateKey.generate(), timestamp=timestamp
    )
    message = note.add_signatures(note.sign_note("body\n", [log]), [witness])
    opened = note.open_note(message, [log.verifier(), witness.verifier()])
    cosig = opened.verified[1]
    assert cosig.signature[:8] == timestamp.to_bytes(8, "big")
    assert note.cosignature_timestamp(cosig.signature) == timestamp


@pytest.mark.parametrize("timestamp", [-1, note.MAX_TIMESTAMP + 1])
def test_cosignature_timestamps_out_of_range_are_refused(timestamp: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        note.CosignatureV1Signer("w", Ed25519PrivateKey.generate(), timestamp=timestamp)
    assert caught.value.detail == "cosignature timestamp is out of range"
    assert caught.value.field == "timestamp"


def _note_with(signatures: int) -> tuple[str, note.Ed25519Signer]:
    log = note.Ed25519Signer.generate("log.example")
    others = "".join(
        note.Signature(f"other{i}", i, b"\x01" * 64).line() + "\n" for i in range(signatures - 1)
    )
    return note.sign_note("body\n", [log]) + others, log


def test_add_signatures_fills_a_note_up_to_the_cap_and_no_further() -> None:
    message, log = _note_with(note.MAX_SIGNATURES - 2)
    a, b = note.Ed25519Signer.generate("a"), note.Ed25519Signer.generate("b")
    full = note.add_signatures(message, [a, b])  # exactly MAX_SIGNATURES
    opened = note.open_note(full, [log.verifier(), a.verifier(), b.verifier()])
    assert [s.name for s in opened.verified] == ["log.example", "a", "b"]
    assert full == message + "".join(
        note.Signature(s.name, s.key_id, s.sign("body\n")).line() + "\n" for s in (a, b)
    )
    message, _ = _note_with(note.MAX_SIGNATURES - 1)
    with pytest.raises(InvalidInput) as caught:
        note.add_signatures(message, [a, b])  # one past the cap
    assert caught.value.detail == "too many signatures on one note"


def test_every_subtree_consistency_proof_of_small_trees_verifies() -> None:
    # Exhaustive where the Hypothesis law samples: e.g. [16, 29) in 30 leaves climbs
    # past a left child with start and end apart, which the sampled sizes rarely meet.
    tree = _tree(40)
    for size in range(1, 41):
        root = merkle.root_hash(tree, size)
        for start in range(size):
            for end in range(start + 1, size + 1):
                if not merkle.is_valid_subtree(start, end):
                    continue
                proof = merkle.subtree_consistency_proof(tree, start, end, size)
                sub_root = merkle.root_from_leaf_hashes(
                    [tree.stored_hash(0, i) for i in range(start, end)]
                )
                merkle.verify_subtree_consistency(start, end, size, proof, sub_root, root)


def _proof_detail(verify: object, *args: object) -> str:
    with pytest.raises(merkle.ProofError) as caught:
        verify(*args)  # type: ignore[operator]
    return caught.value.detail


def test_consistency_path_refusals_name_the_failed_check() -> None:
    root5, root8 = merkle.root_hash(TREE, 5), merkle.root_hash(TREE, 8)
    proof = merkle.consistency_proof(TREE, 5, 8)
    merkle.verify_consistency(5, 8, proof, root5, root8)
    flip = bytes([root5[0] ^ 1]) + root5[1:]
    check = merkle.verify_consistency
    assert _proof_detail(check, 5, 8, [*proof, LEAF], root5, root8) == (
        "consistency proof is too long"
    )
    assert _proof_detail(check, 5, 8, proof[:-1], root5, root8) == (
        "consistency proof is too short"
    )
    assert _proof_detail(check, 5, 8, proof, flip, root8) == (
        "consistency proof does not lead to the first root hash"
    )
    assert _proof_detail(check, 5, 8, proof, root5, flip) == (
        "consistency proof does not lead to the second root hash"
    )
    # A subtree that is not a perfect one has no root of its own in the path: the
    # proof must start with it, so an empty proof is refused as empty.
    sub_root = merkle.root_from_leaf_hashes([TREE.stored_hash(0, i) for i in range(8, 14)])
    root = merkle.root_hash(TREE, 16)
    assert _proof_detail(merkle.verify_subtree_consistency, 8, 14, 16, [], sub_root, root) == (
        "consistency proof is empty"
    )
    with pytest.raises(InvalidInput) as caught:
        merkle.consistency_proof(TREE, 5, 3)
    assert caught.value.detail == "no consistency proof from size 5 to size 3"


def test_inclusion_refusals_name_the_failed_check() -> None:
    root = merkle.root_hash(TREE, 6)
    leaf = TREE.stored_hash(0, 2)
    proof = merkle.inclusion_proof(TREE, 2, 6)
    merkle.verify_inclusion(2, 6, leaf, proof, root)
    check = merkle.verify_inclusion
    assert _proof_detail(check, 0, 0, leaf, [], root) == "an empty tree contains no leaves"
    assert _proof_detail(check, 2, 6, leaf, [*proof, leaf], root) == ("inclusion proof is too long")
    assert _proof_detail(check, 2, 6, leaf, proof[:-1], root) == "inclusion proof is too short"
    assert _proof_detail(check, 2, 6, leaf, proof, root[:31]) == "root must be 32 bytes, got 31"
    assert _proof_detail(check, 2, 6, leaf[:31], proof, root) == "leaf must be 32 bytes, got 31"
    assert _proof_detail(check, 2, 6, leaf, proof, LEAF) == (
        "inclusion proof does not lead to the root hash"
    )


def test_cosignature_refusals_name_the_failed_check() -> None:
    witness = note.CosignatureV1Signer("w", Ed25519PrivateKey.generate(), timestamp=5)
    signature = witness.sign("body\n")
    verifier = witness.verifier()
    verifier.verify("body\n", signature)
    with pytest.raises(note.NoteVerificationError) as caught:
        verifier.verify("body\n", signature[:-1])
    assert caught.value.detail == "cosignature has the wrong length"
    too_late = (note.MAX_TIMESTAMP + 1).to_bytes(8, "big") + signature[8:]
    with pytest.raises(note.NoteVerificationError) as caught:
        verifier.verify("body\n", too_late)
    assert caught.value.detail == "cosignature timestamp is out of range"
    assert note.cosignature_timestamp(signature) == 5
    assert note.cosignature_timestamp(bytes(8) + signature[8:]) == 0


def test_inclusion_proof_generation_names_the_index_outside_the_tree() -> None:
    with pytest.raises(InvalidInput) as caught:
        merkle.inclusion_proof(TREE, 16, 16)
    assert caught.value.detail == "leaf index 16 is outside a tree of 16 leaves"
    with pytest.raises(InvalidInput) as caught:
        merkle.inclusion_proof(TREE, -1, 16)
    assert caught.value.detail == "leaf index -1 is outside a tree of 16 leaves"


def test_memory_tree_refuses_levels_and_indices_it_does_not_hold() -> None:
    assert TREE.stored_hash(4, 0) == merkle.root_hash(TREE, 16)
    for level, index in ((5, 0), (4, 1), (0, 16), (-1, 0), (0, -1)):
        with pytest.raises(InvalidInput) as caught:
            TREE.stored_hash(level, index)
        assert caught.value.detail == f"no stored subtree at level {level}, index {index}"


def test_a_short_proof_hash_is_named() -> None:
    root = merkle.root_hash(TREE, 2)
    with pytest.raises(merkle.ProofError) as caught:
        merkle.verify_inclusion(0, 2, TREE.stored_hash(0, 0), [b"short"], root)
    assert caught.value.detail == "proof hash must be 32 bytes, got 5"


def test_tree_sizes_out_of_range_are_named() -> None:
    for size in (-1, MAX + 1):
        with pytest.raises(InvalidInput) as caught:
            merkle.root_hash(TREE, size)
        assert caught.value.detail == f"tree size {size} is out of range"
