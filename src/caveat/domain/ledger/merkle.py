"""RFC 6962 / RFC 9162 Merkle trees: hashing, proofs and their verification.

Hashes follow RFC 9162 §2.1.1; inclusion proofs §2.1.3; consistency proofs §2.1.4.
Subtree proofs follow the Merkle Tree Certificates draft (draft-ietf-plants-
merkle-tree-certs, "Subtrees"), which generalises §2.1.4 to a subtree [start, end).

Proofs are generated over a :class:`HashSource`, the stored hashes of perfect
subtrees, so that one proof costs O(log n) reads; a database adapter implements
the same protocol. Every verifier raises :class:`ProofError`; none returns a bool.
Leaf indices are 0-based.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Protocol

from caveat.domain.errors import IntegrityError, InvalidInput

HASH_SIZE = 32
# A tree of at most 2**64 - 1 leaves (RFC 9162 tree sizes are uint64) never needs
# more than 65 hashes in any proof (an inclusion proof at most 64, a consistency proof
# one more: up to ceil(log2 size) + 1); refuse longer ones before hashing anything.
MAX_TREE_SIZE = 2**64 - 1
MAX_PROOF_LENGTH = 65

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(IntegrityError):
    """Raised when an inclusion or consistency proof is malformed or does not verify."""

    code = "merkle_proof_invalid"


def leaf_hash(data: bytes) -> bytes:
    """Hash one leaf: SHA-256(0x00 || data) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash an interior node: SHA-256(0x01 || left || right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n, for n > 1 (RFC 9162 §2.1.1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) straight from the recursive definition (RFC 9162 §2.1.1); O(n)."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = _split(n)
    return node_hash(root_from_leaf_hashes(leaf_hashes[:k]), root_from_leaf_hashes(leaf_hashes[k:]))


def is_valid_subtree(start: int, end: int) -> bool:
    """True if [start, end) is a subtree: start < end, aligned to BIT_CEIL(end - start)."""
    if not 0 <= start < end <= MAX_TREE_SIZE:
        return False
    width = 1 << (end - start - 1).bit_length()  # BIT_CEIL(end - start)
    return start % width == 0


class HashSource(Protocol):
    """Stored hashes of perfect subtrees, addressed by level and index.

    Level 0 holds leaf hashes; the node at (level, index) covers the leaves
    [index * 2**level, (index + 1) * 2**level).
    """

    def stored_hash(self, level: int, index: int) -> bytes:
        """The hash of the perfect subtree at (level, index); raise if it is not stored."""
        ...


def _range_hash(source: HashSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a subtree [start, end), from O(log n) stored hashes."""
    pieces: list[bytes] = []
    while start < end:
        level = (end - start).bit_length() - 1
        pieces.append(source.stored_hash(level, start >> level))
        start += 1 << level
    result = pieces.pop()
    while pieces:
        result = node_hash(pieces.pop(), result)
    return result


def root_hash(source: HashSource, size: int) -> bytes:
    """The root of the first ``size`` leaves of ``source`` (RFC 9162 §2.1.1)."""
    _check_size(size)
    return EMPTY_ROOT if size == 0 else _range_hash(source, 0, size)


class MemoryTree:
    """An in-memory :class:`HashSource`: appends leaves and keeps every perfect subtree hash."""

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return len(self._levels[0])

    def append(self, leaf: bytes) -> int:
        """Append a leaf hash (see :func:`leaf_hash`) and return its 0-based index."""
        _check_hash(leaf, "leaf hash", InvalidInput)
        level = 0
        self._levels[0].append(leaf)
        while len(self._levels[level]) % 2 == 0:
            row = self._levels[level]
            if level + 1 == len(self._levels):
                self._levels.append([])
            self._levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1
        return self.size - 1

    def stored_hash(self, level: int, index: int) -> bytes:
        """The hash of the perfect subtree at (level, index)."""
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise InvalidInput(f"no stored subtree at level {level}, index {index}")

    def root(self) -> bytes:
        """The root hash over every leaf appended so far."""
        return root_hash(self, self.size)


class CompactRange:
    """The right frontier of a growing tree: O(log n) hashes give the root after each append."""

    def __init__(self) -> None:
        self._size = 0
        self._peaks: list[bytes] = []  # perfect subtree roots, largest (leftmost) first

    @classmethod
    def resume(cls, source: HashSource, size: int) -> CompactRange:
        """Rebuild the frontier of the first ``size`` leaves of ``source``."""
        _check_size(size)
        compact = cls()
        start = 0
        for level in reversed(range(size.bit_length())):
            if size >> level & 1:
                compact._peaks.append(source.stored_hash(level, start >> level))
                start += 1 << level
        compact._size = size
        return compact

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Append a leaf hash, merging equal-sized perfect subtrees."""
        _check_hash(leaf, "leaf hash", InvalidInput)
        result, n = leaf, self._size
        while n & 1:  # each trailing 1 bit of the size is a peak the new leaf completes
            result = node_hash(self._peaks.pop(), result)
            n >>= 1
        self._peaks.append(result)
        self._size += 1

    def root(self) -> bytes:
        """The root hash of the tree so far (RFC 9162 §2.1.1)."""
        if not self._peaks:
            return EMPTY_ROOT
        result = self._peaks[-1]
        for peak in reversed(self._peaks[:-1]):
            result = node_hash(peak, result)
        return result


# --- proof generation --------------------------------------------------------


def _path(source: HashSource, index: int, start: int, end: int) -> list[bytes]:
    """PATH(index, D[start:end]) of RFC 9162 §2.1.3.1, for a subtree [start, end)."""
    if end - start == 1:
        return []
    k = _split(end - start)
    if index < start + k:
        return [*_path(source, index, start, start + k), _range_hash(source, start + k, end)]
    return [*_path(source, index, start + k, end), _range_hash(source, start, start + k)]


def inclusion_proof(source: HashSource, index: int, size: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    _check_size(size)
    if not 0 <= index < size:
        raise InvalidInput(f"leaf index {index} is outside a tree of {size} leaves")
    return _path(source, index, 0, size)


def subtree_inclusion_proof(source: HashSource, index: int, start: int, end: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the subtree [start, end) (MTC draft)."""
    if not is_valid_subtree(start, end):
        raise InvalidInput(f"[{start}, {end}) is not a subtree")
    if not start <= index < end:
        raise InvalidInput(f"leaf index {index} is outside the subtree [{start}, {end})")
    return _path(source, index, start, end)


def _subproof(
    source: HashSource, start: int, end: int, base: int, n: int, known: bool
) -> list[bytes]:
    """SUBPROOF of RFC 9162 §2.1.4.1, generalised to a subtree [start, end) of D[base:base+n]."""
    if start == 0 and end == n:
        return [] if known else [_range_hash(source, base, base + n)]
    k = _split(n)
    if end <= k:
        head = _subproof(source, start, end, base, k, known)
        return [*head, _range_hash(source, base + k, base + n)]
    if start >= k:
        head = _subproof(source, start - k, end - k, base + k, n - k, known)
    else:  # start < k < end: only possible when start == 0 for a valid subtree
        head = _subproof(source, 0, end - k, base + k, n - k, False)
    return [*head, _range_hash(source, base, base + k)]


def consistency_proof(source: HashSource, size1: int, size2: int) -> list[bytes]:
    """The proof that the tree of ``size1`` leaves is a prefix of ``size2`` (RFC 9162 §2.1.4.1)."""
    _check_size(size2)
    if not 0 < size1 <= size2:
        raise InvalidInput(f"no consistency proof from size {size1} to size {size2}")
    return _subproof(source, 0, size1, 0, size2, True)


def subtree_consistency_proof(source: HashSource, start: int, end: int, size: int) -> list[bytes]:
    """The proof that subtree [start, end) sits in the tree of ``size`` leaves (MTC draft)."""
    _check_size(size)
    if not is_valid_subtree(start, end) or end > size:
        raise InvalidInput(f"[{start}, {end}) is not a subtree of a tree of {size} leaves")
    return _subproof(source, start, end, 0, size, True)


# --- verification --------------------------------------------------------------


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf hash ``leaf`` is at ``index`` in the tree ``root`` (RFC 9162 §2.1.3.2)."""
    _check_hashes(proof, leaf=leaf, root=root)
    if size == 0:
        raise ProofError("an empty tree contains no leaves")
    if not 0 <= index < size <= MAX_TREE_SIZE:
        raise ProofError(f"leaf index {index} is outside a tree of {size} leaves")
    # Step numbers are those of RFC 9162 §2.1.3.2.
    fn, sn, r = index, size - 1, leaf  # 2, 3
    for p in proof:  # 4
        if sn == 0:  # 4a: the proof is longer than the path
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1  # 4c
    if sn != 0:  # 5
        raise ProofError("inclusion proof is too short")
    _check_match(r, root, "inclusion proof does not lead to the root hash")


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf: bytes, proof: Sequence[bytes], subtree_root: bytes
) -> None:
    """Check that ``leaf`` is at ``index`` in subtree [start, end) with root ``subtree_root``."""
    if not is_valid_subtree(start, end):
        raise ProofError(f"[{start}, {end}) is not a subtree")
    if not start <= index < end:
        raise ProofError(f"leaf index {index} is outside the subtree [{start}, {end})")
    verify_inclusion(index - start, end - start, leaf, proof, subtree_root)


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check tree ``root1`` of ``size1`` leaves is a prefix of ``root2`` (RFC 9162 §2.1.4.2)."""
    _check_hashes(proof, root1=root1, root2=root2)
    if size1 == 0:
        # Every tree extends the empty tree, so no proof can say anything; a caller
        # that trusts nothing yet must handle size 0 itself rather than "verify" it.
        raise ProofError("a consistency proof from an empty tree proves nothing")
    if not size1 <= size2 <= MAX_TREE_SIZE:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}")
    if size1 == size2:
        if proof:
            raise ProofError("equal tree sizes need an empty consistency proof")
        _check_match(root1, root2, "equal tree sizes with different root hashes")
        return
    if not proof:  # RFC 9162 §2.1.4.2 step 1
        raise ProofError("consistency proof is empty")
    _verify_subtree_consistency(0, size1, size2, proof, root1, root2)


def verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], subtree_root: bytes, root: bytes
) -> None:
    """Check that subtree [start, end) hashing to ``subtree_root`` sits in tree ``root`` (MTC)."""
    _check_hashes(proof, subtree_root=subtree_root, root=root)
    # Stricter than some references: an empty "subtree" is not a subtree (the MTC
    # draft requires start < end), and a proof about it would state nothing.
    if not is_valid_subtree(start, end) or not end <= size <= MAX_TREE_SIZE:
        raise ProofError(f"[{start}, {end}) is not a subtree of a tree of {size} leaves")
    _verify_subtree_consistency(start, end, size, proof, subtree_root, root)


def _verify_subtree_consistency(
    start: int, end: int, size: int, proof: Sequence[bytes], node: bytes, root: bytes
) -> None:
    """The MTC draft's subtree consistency check; with start = 0 it is RFC 9162 §2.1.4.2."""
    fn, sn, tn = start, end - 1, size - 1
    if sn == tn:  # the subtree ends at the tree's right edge: climb to its root
        while fn != sn:
            fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    else:  # climb while the path is a right child (RFC step 4)
        while fn != sn and sn & 1:
            fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    if fn == sn:  # the subtree root itself is the seed (RFC step 2, "prepend first_hash")
        fr = sr = node
        rest = proof
    else:
        if not proof:
            raise ProofError("consistency proof is empty")
        fr = sr = proof[0]
        rest = proof[1:]
    for c in rest:
        if tn == 0:
            raise ProofError("consistency proof is too long")
        if sn & 1 or sn == tn:
            if fn < sn:
                fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not sn & 1 and sn != 0:
                fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn, tn = fn >> 1, sn >> 1, tn >> 1
    if tn != 0:
        raise ProofError("consistency proof is too short")
    _check_match(fr, node, "consistency proof does not lead to the first root hash")
    _check_match(sr, root, "consistency proof does not lead to the second root hash")


# --- checks ----------------------------------------------------------------------


def _check_size(size: int) -> None:
    if not 0 <= size <= MAX_TREE_SIZE:
        raise InvalidInput(f"tree size {size} is out of range")


def _check_hash(value: bytes, what: str, error: type[InvalidInput] | type[ProofError]) -> None:
    if len(value) != HASH_SIZE:
        raise error(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _check_hashes(proof: Sequence[bytes], **named: bytes) -> None:
    if len(proof) > MAX_PROOF_LENGTH:
        raise ProofError(f"proof has {len(proof)} hashes; at most {MAX_PROOF_LENGTH} allowed")
    for what, value in named.items():
        _check_hash(value, what.replace("_", " "), ProofError)
    for value in proof:
        _check_hash(value, "proof hash", ProofError)


def _check_match(computed: bytes, expected: bytes, detail: str) -> None:
    if not hmac.compare_digest(computed, expected):
        raise ProofError(detail)
