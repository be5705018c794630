"""C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint) as signed notes.

The note text is the origin line, the tree size in decimal, the base64 root hash,
then optional non-empty extension lines. :func:`open_checkpoint` requires the log's
own signature; witness cosignatures are checked when their keys are given.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from caveat.domain.errors import IntegrityError, InvalidInput
from caveat.domain.ledger.merkle import HASH_SIZE, MAX_TREE_SIZE
from caveat.domain.ledger.note import (
    NoteSigner,
    NoteVerificationError,
    NoteVerifier,
    Signature,
    open_note,
    sign_note,
)

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(IntegrityError):
    """Raised when a received checkpoint is malformed, unsigned by its log, or for another log."""

    code = "checkpoint_invalid"


@dataclass(frozen=True)
class Checkpoint:
    """A log's commitment to its Merkle tree at one size."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        problem = _problem(self.origin, self.size, self.root_hash, self.extensions)
        if problem:
            raise InvalidInput(problem)

    def body(self) -> str:
        """The note text: origin, size, base64 root hash, extensions; each ends in a newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint signed by its log, with the trusted cosignatures found on it."""

    checkpoint: Checkpoint
    cosignatures: tuple[Signature, ...]


def _line_problem(line: str) -> bool:
    return not line or any(ord(c) < 0x20 for c in line)


def _problem(origin: str, size: int, root_hash: bytes, extensions: Sequence[str]) -> str | None:
    if _line_problem(origin):
        return "checkpoint origin must be a non-empty line"
    if not 0 <= size <= MAX_TREE_SIZE:
        return "checkpoint tree size is out of range"
    if len(root_hash) != HASH_SIZE:
        return f"checkpoint root hash must be {HASH_SIZE} bytes"
    if any(_line_problem(line) for line in extensions):
        return "checkpoint extension lines must be non-empty lines"
    return None


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text strictly (c2sp.org/tlog-checkpoint, "Note text")."""
    if not text.endswith("\n"):
        raise CheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("checkpoint needs origin, size and root hash lines")
    origin, size_text, root_text, *extensions = lines
    if not _DECIMAL.fullmatch(size_text) or len(size_text) > 20:
        raise CheckpointError("checkpoint size must be decimal without leading zeros")
    try:
        root_hash = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise CheckpointError("checkpoint root hash is not base64") from None
    if base64.b64encode(root_hash).decode("ascii") != root_text:
        raise CheckpointError("checkpoint root hash is not canonical base64")
    problem = _problem(origin, int(size_text), root_hash, extensions)
    if problem:
        raise CheckpointError(problem)
    return Checkpoint(origin, int(size_text), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """Render the checkpoint as a note signed by the log's key."""
    return sign_note(checkpoint.body(), [signer])


def open_checkpoint(
    message: str | bytes,
    *,
    origin: str,
    log_verifier: NoteVerifier,
    cosigners: Sequence[NoteVerifier] = (),
) -> VerifiedCheckpoint:
    """Verify a signed checkpoint from the log ``origin`` and parse it.

    The log's signature is required; each known cosignature present must verify
    (a quorum policy over them is the caller's).
    """
    try:
        opened = open_note(message, [log_verifier, *cosigners])
    except NoteVerificationError as exc:
        raise CheckpointError(f"checkpoint signature check failed: {exc.detail}") from exc
    log_id = (log_verifier.name, log_verifier.key_id)
    if all((sig.name, sig.key_id) != log_id for sig in opened.verified):
        raise CheckpointError("checkpoint is not signed by its log")
    checkpoint = parse_checkpoint(opened.text)
    if checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for {checkpoint.origin!r}, not {origin!r}")
    cosignatures = tuple(sig for sig in opened.verified if (sig.name, sig.key_id) != log_id)
    return VerifiedCheckpoint(checkpoint, cosignatures)
