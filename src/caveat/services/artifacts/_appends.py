"""Appends: stream plaintext into an upload session as encrypted, durable parts.

One append at a time per session (in this process); it must start at the session's
offset. Each part's blob is committed before its row, so a crash keeps a prefix the
client can resume from, and the size limit is enforced while the content streams.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update

from caveat.adapters.db.models.artifacts import UploadPartRow, UploadSessionRow
from caveat.adapters.kek import unwrap_data_key
from caveat.domain.artifacts import ContentTooLarge, OffsetMismatch, SizeMismatch
from caveat.domain.errors import CaveatError
from caveat.services.artifacts._content import PartedWriter, StoredPart
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._hashes import UploadHashes
from caveat.services.artifacts._uploads import UploadSessions, UploadStatus
from caveat.services.kernel.principal import Principal, Scope
from caveat.services.kernel.uow import CallContext


class Appender:
    """One append request: write plaintext, then ``finish`` (or ``interrupted``/``abort``)."""

    def __init__(
        self,
        appends: Appends,
        principal: Principal,
        ctx: CallContext,
        session: UploadSessionRow,
        hasher: Any,
        lock: threading.Lock,
    ) -> None:
        deps = appends.deps
        self._appends = appends
        self._principal = principal
        self._ctx = ctx
        self._session_id = session.id
        self._lock = lock
        self._offset = session.received  # where this append started
        self._max_bytes = deps.max_bytes
        self._limit_at = (
            deps.max_bytes
            if session.expected_size is None
            else min(deps.max_bytes, session.expected_size)
        )
        key = unwrap_data_key(deps.kek, session.wrapped_key, session.version_id)
        self._writer = PartedWriter(
            blobs=deps.blobs,
            key=key,
            version_id=session.version_id,
            generation=0,
            first_index=session.part_count,
            hasher=hasher,
            on_part=self._on_part,
            limit=self._limit,
            part_bytes=deps.part_bytes,
        )
        self._done = False

    def _limit(self, total: int) -> None:
        if self._offset + total > self._max_bytes:
            raise ContentTooLarge(
                f"the content is larger than this node's limit of {self._max_bytes} bytes",
                hint="ask the node operator about CAVEAT_ARTIFACT_MAX_BYTES",
                data={"max_bytes": self._max_bytes},
            )
        if self._offset + total > self._limit_at:
            raise SizeMismatch(
                "the content is larger than the size declared for this upload",
                field="size",
                data={"declared": self._limit_at},
            )

    def _on_part(self, part: StoredPart, hashed: Any) -> None:
        self._appends.record_part(self._principal, self._ctx, self._session_id, part, hashed)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Hash and encrypt ``data``; completed parts are stored as they fill."""
        try:
            self._writer.write(data)
        except (ContentTooLarge, SizeMismatch):
            self._release()
            self._appends.sessions.abort(
                self._principal, self._ctx, self._session_id, reason="too_large"
            )
            raise
        except BaseException:
            self._release()
            raise

    def finish(self) -> UploadStatus:
        """Store the last, partly filled part; the session's offset moves on."""
        try:
            self._writer.finish()
        finally:
            self._release()
        return self._appends.sessions.upload_status(self._principal, self._session_id)

    def interrupted(self) -> None:
        """The connection dropped: keep what arrived (a prefix), so the client resumes."""
        try:
            self._writer.finish()
        except CaveatError:
            self._writer.abort()
        finally:
            self._release()

    def abort(self) -> None:
        """Drop the part being written; stored parts stay."""
        self._writer.abort()
        self._release()

    def _release(self) -> None:
        if not self._done:
            self._done = True
            self._lock.release()


class Appends:
    """Starts appends (one at a time per session) and records each stored part."""

    def __init__(self, deps: ArtifactDeps, sessions: UploadSessions, hashes: UploadHashes) -> None:
        self.deps = deps
        self.sessions = sessions
        self._hashes = hashes
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def appender(
        self, principal: Principal, ctx: CallContext, upload_id: str, offset: int
    ) -> Appender:
        """Start an append at ``offset``, which must be where the session stands."""
        principal.require_scope(Scope.WRITE)
        with self._guard:
            lock = self._locks.setdefault(upload_id, threading.Lock())
        if not lock.acquire(blocking=False):
            raise OffsetMismatch(
                "another append to this upload is in progress", data={"upload_id": upload_id}
            )
        try:
            uow = self.deps.uow
            with uow.read() as session:
                row = self.sessions.owned(session, principal, upload_id, uow.clock())
            if offset != row.received:
                raise OffsetMismatch(
                    f"this upload stands at offset {row.received}, not {offset}",
                    hint="ask for the upload's offset and resume from there",
                    data={"offset": row.received},
                )
            return Appender(self, principal, ctx, row, self._hashes.resume(row), lock)
        except BaseException:
            lock.release()
            raise

    def append(
        self,
        principal: Principal,
        ctx: CallContext,
        upload_id: str,
        offset: int,
        chunks: Iterable[bytes],
    ) -> UploadStatus:
        """Append ``chunks`` at ``offset`` (the in-process form of one append request)."""
        appender = self.appender(principal, ctx, upload_id, offset)
        try:
            for chunk in chunks:
                appender.write(chunk)
        except BaseException:
            appender.abort()
            raise
        return appender.finish()

    def record_part(
        self, principal: Principal, ctx: CallContext, upload_id: str, part: StoredPart, hasher: Any
    ) -> None:
        """A part's blob is committed: move the session on, in one transaction with its event."""
        with self.deps.uow(ctx) as uow:
            row = uow.session.get(UploadSessionRow, upload_id)
            if row is None or row.part_count != part.index:
                raise OffsetMismatch("the upload moved on while this part was written")
            offset = row.received
            uow.session.execute(
                update(UploadSessionRow)
                .where(UploadSessionRow.id == upload_id, UploadSessionRow.part_count == part.index)
                .values(received=offset + part.plain_size, part_count=part.index + 1)
            )
            uow.session.add(
                UploadPartRow(
                    session_id=upload_id,
                    idx=part.index,
                    plain_size=part.plain_size,
                    cipher_size=part.cipher_size,
                )
            )
            uow.record(
                "upload.appended",
                principal.actor(),
                target_id=upload_id,
                data={"part": part.index, "offset": offset, "size": part.plain_size},
            )
        self._hashes.advance(upload_id, offset + part.plain_size, hasher)
