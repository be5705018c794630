"""The running SHA-256 of each upload, kept per process so appends need not re-read.

An append that lands on another worker (or after a restart) finds no state here, or
state for another offset, and recomputes the hash by decrypting the stored parts once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from caveat.adapters.db.models.artifacts import UploadSessionRow
from caveat.adapters.kek import unwrap_data_key
from caveat.services.artifacts._content import hash_parts
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._lookup import upload_part_sizes


@dataclass
class _HashState:
    offset: int
    hasher: Any


class UploadHashes:
    """Per-upload hash states of this process."""

    def __init__(self, deps: ArtifactDeps) -> None:
        self._deps = deps
        self._states: dict[str, _HashState] = {}

    def start(self, upload_id: str) -> None:
        """A new upload: nothing hashed yet."""
        self._states[upload_id] = _HashState(0, hashlib.sha256())

    def resume(self, row: UploadSessionRow) -> Any:
        """A hasher over everything the upload has stored (a copy: the caller owns it)."""
        state = self._states.get(row.id)
        if state is not None and state.offset == row.received:
            return state.hasher.copy()
        deps = self._deps
        with deps.uow.read() as session:
            sizes = upload_part_sizes(session, row.id)
        key = unwrap_data_key(deps.kek, row.wrapped_key, row.version_id)
        hasher = hash_parts(deps.blobs, key, row.version_id, 0, sizes)
        self._states[row.id] = _HashState(row.received, hasher.copy())
        return hasher

    def advance(self, upload_id: str, offset: int, hasher: Any) -> None:
        """The upload has stored everything up to ``offset``, hashed by ``hasher``."""
        self._states[upload_id] = _HashState(offset, hasher.copy())

    def forget(self, upload_id: str) -> None:
        """The upload completed or was abandoned."""
        self._states.pop(upload_id, None)
