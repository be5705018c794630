"""Downloads: decide read per request, check the binding, record the event, stream plaintext.

The binding's signature and the catalogue row are checked before the first byte; a
whole download is also checked against the signed SHA-256 as it streams. Any integrity
failure refuses the download and records ``artifact.integrity_failed``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from caveat.adapters.db.models.artifacts import ArtifactRow
from caveat.adapters.kek import unwrap_data_key
from caveat.domain.artifacts import BindingInvalid, ContentCorrupt
from caveat.domain.errors import CaveatError, InvalidInput, NotFound, PermissionDenied
from caveat.domain.events import Actor, Outcome
from caveat.domain.policy import Action
from caveat.domain.throttle import DenialFolding
from caveat.services.artifacts._binding import check_binding
from caveat.services.artifacts._content import range_chunks, read_ahead
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._lookup import discoverable, part_sizes, version_row
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext


@dataclass
class Content:
    """A download: what is being sent and the plaintext chunks, produced on demand."""

    artifact_id: str
    version: int
    size: int
    sha256: str
    media_type: str
    filename: str | None
    start: int
    end: int  # exclusive
    chunks: Iterator[bytes] = field(repr=False)


DENIALS_RECORDED_PER_MINUTE = 10  # per person; more are folded into the next record


class Downloads:
    """Policy-checked, binding-checked streaming reads."""

    def __init__(self, deps: ArtifactDeps) -> None:
        self._deps = deps
        self._denials = DenialFolding(per_minute=DENIALS_RECORDED_PER_MINUTE)

    def open_content(
        self,
        principal: Principal,
        ctx: CallContext,
        artifact_id: str,
        *,
        version: int | None = None,
        byte_range: tuple[int, int | None] | None = None,
    ) -> Content:
        """Decide read, check the binding, record the download, then stream plaintext.

        ``byte_range`` is (first, last inclusive or None for the end), as in HTTP Range.
        """
        deps = self._deps
        self._require_read(principal, ctx, artifact_id)
        with deps.uow.read() as session:
            artifact = session.get(ArtifactRow, artifact_id)
            assert artifact is not None
            row = version_row(session, artifact, version)
            sizes = part_sizes(session, row.id)
            try:
                check_binding(session, deps.policy, deps.signing_key, artifact, row, sizes)
                key = unwrap_data_key(deps.kek, row.wrapped_key, row.id)
            except (BindingInvalid, ContentCorrupt) as exc:
                self.record_integrity_failure(ctx, artifact_id, row.number, exc)
                raise
        start, end = resolve_range(byte_range, row.size)
        with deps.uow(ctx) as uow:
            uow.record(
                "artifact.downloaded",
                principal.actor(),
                target_id=artifact_id,
                data={
                    "version": row.number,
                    "range": None if byte_range is None else [start, end],
                    "bytes": end - start,
                },
            )
        chunks = range_chunks(deps.blobs, key, row.id, row.generation, sizes, start, end)
        whole = start == 0 and end == row.size
        # Decryption and the SHA-256 check of the next chunk run on a worker while the
        # current one is sent (ADR 0015).
        return Content(
            artifact_id=artifact_id,
            version=row.number,
            size=row.size,
            sha256=row.sha256.hex(),
            media_type=row.media_type,
            filename=row.filename,
            start=start,
            end=end,
            chunks=read_ahead(
                self._guarded(ctx, artifact_id, row.number, chunks, row.sha256 if whole else None)
            ),
        )

    def _require_read(self, principal: Principal, ctx: CallContext, artifact_id: str) -> None:
        """A refused read is an event too; it commits before the error is raised.

        The decision is read without the write lock; a denial takes one only to record
        itself, and a flood of denials by one person is folded (counted, not dropped)."""
        deps = self._deps
        denied: CaveatError | None = None
        with deps.uow.read() as session:
            now = deps.uow.clock()
            try:
                _, resource = discoverable(session, deps.policy, principal, artifact_id, now)
                decision = deps.policy.decide_row(session, principal, Action.READ, resource, now)
                failed = decision.failed_codes
            except NotFound as exc:
                denied, failed = exc, ["discover"]
        if not failed:
            return
        folded = self._denials.admit(principal.person_id, now)
        if folded is not None:
            with deps.uow(ctx) as uow:
                uow.record(
                    "artifact.downloaded",
                    principal.actor(),
                    target_id=artifact_id,
                    outcome=Outcome.DENIED,
                    data={"failed": failed, "folded": folded},
                )
        raise denied or PermissionDenied(
            "you may not read this artifact's content",
            code="policy_denied",
            data={"failed": failed},
            hint="`caveat show ID` explains which requirement failed",
        )

    def _guarded(
        self,
        ctx: CallContext,
        artifact_id: str,
        version: int,
        chunks: Iterator[bytes],
        sha256: bytes | None,
    ) -> Iterator[bytes]:
        hasher = hashlib.sha256() if sha256 is not None else None
        try:
            for chunk in chunks:
                if hasher is not None:
                    hasher.update(chunk)
                yield chunk
            if hasher is not None and hasher.digest() != sha256:
                raise ContentCorrupt(
                    f"version {version} of {artifact_id} does not match its SHA-256"
                )
        except CaveatError as exc:
            self.record_integrity_failure(ctx, artifact_id, version, exc)
            raise

    def record_integrity_failure(
        self, ctx: CallContext, artifact_id: str, version: int | None, exc: CaveatError
    ) -> None:
        """An integrity event, in its own transaction (the read that found it fails)."""
        with self._deps.uow(ctx) as uow:
            uow.record(
                "artifact.integrity_failed",
                Actor.system(),
                target_id=artifact_id,
                outcome=Outcome.FAILURE,
                data={"version": version, "code": exc.code, "detail": exc.detail},
            )


def resolve_range(byte_range: tuple[int, int | None] | None, size: int) -> tuple[int, int]:
    """The [start, end) a Range (first, last inclusive or None) asks for; 416 if none."""
    if byte_range is None:
        return 0, size
    first, last = byte_range
    if first < 0:  # suffix range: the last -first bytes
        return max(0, size + first), size
    if first >= size:
        raise InvalidInput(
            f"the range starts at {first}, past the end ({size} bytes)",
            code="range_not_satisfiable",
            data={"size": size},
        )
    end = size if last is None else min(last + 1, size)
    if end <= first:
        raise InvalidInput("the range is empty", code="range_not_satisfiable", data={"size": size})
    return first, end
