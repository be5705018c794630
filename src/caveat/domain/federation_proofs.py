"""The proof that a release is in its originator's log (issue 18, ADR 0019 addendum).

A package says who sent it; only the originator's ledger says the originator *recorded*
sending it. The receiver believes a release fully once the release event (``peer.released``)
is shown to be a leaf of the originator's log at a checkpoint the receiver itself
cosigned as the originator's witness: then the originator cannot later deny the release,
nor show other partners a log without it, without a split view both witnesses detect.

The originator's ledger integrates events after they commit, and its checkpoints are
cosigned on the next sync, so the proof follows the package in a later exchange. This
module judges one proof against what the receiver holds: pure, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from caveat.domain.ledger import ProofError, leaf_hash, verify_inclusion

RELEASE_EVENT = "peer.released"
MAX_PROOF_HASHES = 64  # a tree of 2**63 leaves needs at most 63
MAX_ENTRY_BYTES = 16 << 10  # a release event is a few hundred bytes


class ProofVerdict(StrEnum):
    """What the receiver makes of an answered proof."""

    VERIFIED = "verified"  # the leaf is the release of this package, under the witnessed root
    NOT_YET = "not_yet"  # proved at a size this node has not cosigned (asked again later)
    INVALID = "invalid"  # the path does not lead to the witnessed root
    OTHER_ENTRY = "other_entry"  # a valid leaf, but not the release of this package


@dataclass(frozen=True, slots=True)
class ReleaseProof:
    """An originator's answer for one received package: the release event's canonical
    bytes, its leaf index and the inclusion path in the tree of ``size`` leaves."""

    seq: int
    entry: bytes
    index: int
    size: int
    path: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Witnessed:
    """The latest checkpoint of the originator's log this node cosigned."""

    size: int
    root: bytes


@dataclass(frozen=True, slots=True)
class Judged:
    verdict: ProofVerdict
    reason: str = ""
    entry_id: str = ""


def parse_proof(item: dict[str, Any]) -> ReleaseProof:
    """One ``proved`` answer as the protocol carries it; ValueError when malformed."""
    seq, entry, index, size, path = (
        item.get("seq"),
        item.get("entry"),
        item.get("index"),
        item.get("size"),
        item.get("proof"),
    )
    if not (_count(seq) and _count(index) and _count(size)):
        raise ValueError("seq, index and size must be integers")
    assert isinstance(seq, int)  # as _count checked, for the type checker
    assert isinstance(index, int)
    assert isinstance(size, int)
    if not isinstance(entry, str) or len(entry) > MAX_ENTRY_BYTES:
        raise ValueError("the entry must be a string of at most 16 KiB")
    if not isinstance(path, list) or len(path) > MAX_PROOF_HASHES:
        raise ValueError("the proof must be a list of at most 64 hashes")
    try:
        hashes = tuple(base64.b64decode(h, validate=True) for h in path)
    except (TypeError, binascii.Error) as exc:
        raise ValueError("a proof hash is not base64") from exc
    return ReleaseProof(seq, entry.encode("utf-8"), index, size, hashes)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def judge(
    proof: ReleaseProof,
    witnessed: Witnessed,
    *,
    origin_node_id: str,
    seq: int,
    package_sha256: str,
) -> Judged:
    """Whether ``proof`` shows that the originator recorded releasing this package (the
    one at ``seq`` in its outbox for this node, whose bytes hash to ``package_sha256``)
    in the tree this node cosigned. A proof at another size cannot be checked against
    what this node witnessed: not yet (the next sync cosigns and asks again)."""
    if proof.size != witnessed.size:
        return Judged(ProofVerdict.NOT_YET, f"proved at size {proof.size}")
    try:
        verify_inclusion(
            proof.index, proof.size, leaf_hash(proof.entry), list(proof.path), witnessed.root
        )
    except ProofError as exc:
        return Judged(ProofVerdict.INVALID, str(exc))
    try:
        event = json.loads(proof.entry)
    except ValueError:
        return Judged(ProofVerdict.OTHER_ENTRY, "the entry is not a ledger event")
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        return Judged(ProofVerdict.OTHER_ENTRY, "the entry is not a ledger event")
    entry_id = str(event.get("id", ""))[:36]
    if event.get("type") != RELEASE_EVENT or event.get("node_id") != origin_node_id:
        return Judged(
            ProofVerdict.OTHER_ENTRY, "the entry is not the originator's release event", entry_id
        )
    if data.get("seq") != seq or data.get("package_sha256") != package_sha256:
        return Judged(ProofVerdict.OTHER_ENTRY, "the entry releases another package", entry_id)
    return Judged(ProofVerdict.VERIFIED, "", entry_id)
