"""The node's side of artifacts: verify, key rotation, and cleaning up after crashes.

All of these run at the node console (the holder of the data directory and its keys);
none of them reveals content. Verification re-checks every binding signature, the
catalogue row against the signed label, and every part's authenticated decryption and
the content SHA-256; each failure is an integrity event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, delete, func, or_, select, update

from caveat.adapters.blobstore import BlobStore
from caveat.adapters.db.models.artifacts import (
    ArtifactPartRow,
    ArtifactRow,
    ArtifactVersionRow,
    UploadPartRow,
    UploadSessionRow,
)
from caveat.adapters.db.models.federation import PeerIngestedRow, PeerReleaseProofRow
from caveat.adapters.kek import (
    KekKey,
    KekProvider,
    new_data_key,
    rewrap_data_key,
    unwrap_data_key,
    wrapped_key_id,
)
from caveat.domain.artifacts import ContentCorrupt
from caveat.domain.errors import CaveatError, Conflict, InvalidInput, NotFound
from caveat.domain.events import Actor, Outcome
from caveat.domain.permissions import Act
from caveat.services.artifacts._content import PartWriter, blob_key, decrypt_part, version_prefix
from caveat.services.artifacts._lookup import part_sizes
from caveat.services.artifacts._service import ArtifactService
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, ConsoleOperator
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory

BATCH = 200
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """One failed check."""

    artifact_id: str
    version: int | None
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What verify checked and what it found. A report of one batch says how many
    artifacts the node holds (``total``) and where the next batch starts (``next_after``,
    None when this batch reached the end)."""

    artifacts: int
    versions: int
    bytes: int
    problems: list[Problem] = field(default_factory=list)
    total: int = 0
    next_after: str | None = None

    @property
    def clean(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """The KEK keys and how many data keys each one wraps."""

    keys: list[KekKey]
    wrapped: dict[int, int]


@dataclass(frozen=True, slots=True)
class RotationReport:
    """The new primary key and how many data keys were rewrapped or re-encrypted."""

    primary: KekKey
    rewrapped: int
    reencrypted: int
    disabled: list[int]


@dataclass(frozen=True, slots=True)
class CleanupReport:
    """What the sweeper removed."""

    expired_uploads: int
    orphan_blobs: int
    temporary: int


class ArtifactAdmin:
    """Verification, key rotation and the sweeper (node console only)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        artifacts: ArtifactService,
        blobs: BlobStore,
        kek: KekProvider,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._artifacts = artifacts
        self._blobs = blobs
        self._kek = kek
        self._clock = clock

    # verification

    def verify(
        self,
        by: Acting,
        ctx: CallContext,
        artifact_id: str | None = None,
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> VerifyReport:
        """Check every version of one artifact, or of all; each failure is an event.

        Over all artifacts, ``limit`` checks one batch in creation order, starting after
        the artifact ``after`` (the previous batch's ``next_after``), so a long run can
        show its progress and no request has to outlast the whole store. The console,
        node operators and security officers may verify; the report names artifacts by
        id and failure, never by title or label.
        """
        authorize(by, Act.ARTIFACT_VERIFY)
        if limit is not None and not 1 <= limit <= 10_000:
            raise InvalidInput("a batch is 1 to 10,000 artifacts", field="limit")
        order = (ArtifactRow.created_at, ArtifactRow.id)
        with self._uow.read() as session:
            # A received artifact its originator recalled, or whose release proof was
            # refused, is hidden (its catalogue label withdrawn on purpose, ADRs 0019 and
            # 0022): not an integrity failure.
            recalled = select(PeerIngestedRow.artifact_id).where(
                or_(
                    PeerIngestedRow.recalled_at.is_not(None),
                    PeerIngestedRow.received_id.in_(
                        select(PeerReleaseProofRow.received_id).where(
                            PeerReleaseProofRow.status == "refused"
                        )
                    ),
                )
            )
            query = select(ArtifactRow.id).where(ArtifactRow.id.not_in(recalled)).order_by(*order)
            total = session.scalar(select(func.count()).select_from(ArtifactRow)) or 0
            if artifact_id is not None:
                query = query.where(ArtifactRow.id == artifact_id)
            if after is not None:
                start = session.get(ArtifactRow, after)
                if start is None:
                    raise InvalidInput(f"no artifact {after!r} to continue after", field="after")
                # Compared column by column so each bound value takes the column's type.
                query = query.where(
                    or_(
                        ArtifactRow.created_at > start.created_at,
                        and_(ArtifactRow.created_at == start.created_at, ArtifactRow.id > start.id),
                    )
                )
            ids = list(session.scalars(query.limit(None if limit is None else limit + 1)))
        if artifact_id is not None and not ids:
            raise NotFound(f"no artifact {artifact_id!r}", code="unknown_artifact")
        more = limit is not None and len(ids) > limit
        ids = ids[:limit] if more else ids
        problems: list[Problem] = []
        versions = checked = 0
        for current in ids:
            with self._uow.read() as session:
                artifact = session.get(ArtifactRow, current)
                assert artifact is not None
                rows = list(
                    session.scalars(
                        select(ArtifactVersionRow)
                        .where(ArtifactVersionRow.artifact_id == current)
                        .order_by(ArtifactVersionRow.number)
                    )
                )
                for row in rows:
                    versions += 1
                    try:
                        sizes = part_sizes(session, row.id)
                        self._artifacts.check_binding(session, artifact, row, sizes)
                        key = unwrap_data_key(self._kek, row.wrapped_key, row.id)
                        hasher = hashlib.sha256()
                        for index, size in enumerate(sizes):
                            for chunk in decrypt_part(
                                self._blobs, key, row.id, row.generation, index, expected=size
                            ):
                                hasher.update(chunk)
                        if hasher.digest() != row.sha256:
                            raise ContentCorrupt(f"version {row.number} does not match its SHA-256")
                        checked += row.size
                    except CaveatError as exc:
                        problems.append(Problem(current, row.number, exc.code, exc.detail))
                        self._artifacts.record_integrity_failure(ctx, current, row.number, exc)
        return VerifyReport(len(ids), versions, checked, problems, total, ids[-1] if more else None)

    # keys

    def key_status(self) -> KeyStatus:
        """The KEK keys and the data keys wrapped under each."""
        with self._uow.read() as session:
            counts: dict[int, int] = {}
            for model in (ArtifactVersionRow, UploadSessionRow):
                for key_id, n in session.execute(
                    select(model.kek_key_id, func.count()).group_by(model.kek_key_id)
                ):
                    counts[int(key_id)] = counts.get(int(key_id), 0) + int(n)
        return KeyStatus(self._kek.keys(), counts)

    def rotate(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        reencrypt: bool = False,
        disable_old: bool = False,
    ) -> RotationReport:
        """New primary KEK key, then every data key rewrapped (or content re-encrypted).

        Node operators and the console only. Every worker re-reads the keyset file when
        it changes (``LocalKekFile``), so the new primary is in use everywhere at once.
        """
        authorize(by, Act.KEK_ROTATE)
        primary = self._kek.rotate()
        with self._uow(ctx) as uow:
            uow.record(
                "kek.rotated", by.actor(), target_id=uow.node_id, data={"key_id": primary.key_id}
            )
        rewrapped = self._rewrap_all(by, ctx, primary.key_id)
        reencrypted = self._reencrypt_all(by, ctx) if reencrypt else 0
        disabled = self.disable_old(by, ctx) if disable_old else []
        return RotationReport(primary, rewrapped, reencrypted, disabled)

    def _rewrap_all(self, by: Acting, ctx: CallContext, primary: int) -> int:
        total = 0
        # Versions, then open uploads; the version id is the keyset's associated data.
        targets = (
            (ArtifactVersionRow, ArtifactVersionRow.id),
            (UploadSessionRow, UploadSessionRow.version_id),
        )
        for model, version_column in targets:
            while True:
                with self._uow(ctx) as uow:
                    rows = list(
                        uow.session.execute(
                            select(model.id, version_column, model.wrapped_key)
                            .where(model.kek_key_id != primary)
                            .limit(BATCH)
                        )
                    )
                    if not rows:
                        break
                    for row_id, version_id, wrapped in rows:
                        uow.session.execute(
                            update(model)
                            .where(model.id == row_id)
                            .values(
                                wrapped_key=rewrap_data_key(self._kek, wrapped, version_id),
                                kek_key_id=primary,
                            )
                        )
                    uow.record(
                        "artifact.keys_rewrapped",
                        by.actor(),
                        target_id=None,
                        data={"kek_key_id": primary, "versions": [r[1] for r in rows]},
                    )
                    total += len(rows)
        return total

    def _reencrypt_all(self, by: Acting, ctx: CallContext) -> int:
        with self._uow.read() as session:
            ids = list(
                session.scalars(select(ArtifactVersionRow.id).order_by(ArtifactVersionRow.id))
            )
        for version_id in ids:
            self._reencrypt(by, ctx, version_id)
        return len(ids)

    def _reencrypt(self, by: Acting, ctx: CallContext, version_id: str) -> None:
        """Decrypt every part under the old key, encrypt under a fresh one as a new generation.

        New blobs are committed before the row switches to them; the old generation's
        blobs are deleted after the commit (or by the sweeper, after a crash).
        """
        with self._uow.read() as session:
            row = session.get(ArtifactVersionRow, version_id)
            assert row is not None
            sizes = part_sizes(session, version_id)
            old_generation, old_wrapped, artifact_id = (
                row.generation,
                row.wrapped_key,
                row.artifact_id,
            )
        old_key = unwrap_data_key(self._kek, old_wrapped, version_id)
        fresh, wrapped = new_data_key(self._kek, version_id)
        generation = old_generation + 1
        cipher_sizes = []
        for index, size in enumerate(sizes):
            writer = PartWriter(self._blobs, fresh, version_id, generation, index)
            for chunk in decrypt_part(
                self._blobs, old_key, version_id, old_generation, index, expected=size
            ):
                writer.write(chunk)
            cipher_sizes.append(writer.commit().cipher_size)
        with self._uow(ctx) as uow:
            changed = uow.session.execute(  # type: ignore[attr-defined]
                update(ArtifactVersionRow)
                .where(
                    ArtifactVersionRow.id == version_id,
                    ArtifactVersionRow.generation == old_generation,
                )
                .values(
                    generation=generation, wrapped_key=wrapped, kek_key_id=wrapped_key_id(wrapped)
                )
            ).rowcount
            if changed != 1:
                raise Conflict(f"version {version_id} changed while it was re-encrypted")
            for index, cipher in enumerate(cipher_sizes):
                uow.session.execute(
                    update(ArtifactPartRow)
                    .where(ArtifactPartRow.version_id == version_id, ArtifactPartRow.idx == index)
                    .values(cipher_size=cipher)
                )
            uow.record(
                "artifact.reencrypted",
                by.actor(),
                target_id=artifact_id,
                data={"version_id": version_id, "generation": generation},
            )
        for index in range(len(sizes)):
            self._blobs.delete(blob_key(version_id, old_generation, index))

    def disable_old(self, by: Acting, ctx: CallContext) -> list[int]:
        """Disable every non-primary KEK key that no data key is wrapped under any more."""
        authorize(by, Act.KEK_ROTATE)
        status = self.key_status()
        old = {k.key_id for k in status.keys if not k.primary and k.status == "enabled"}
        busy = sorted(k for k in old if status.wrapped.get(k))
        if busy:
            raise Conflict(
                f"KEK keys {busy} still wrap data keys",
                code="kek_in_use",
                hint="run `caveat keys rotate` first so every data key is rewrapped",
            )
        if old:
            self._kek.disable(old)
            with self._uow(ctx) as uow:
                uow.record(
                    "kek.keys_disabled",
                    by.actor(),
                    target_id=uow.node_id,
                    data={"key_ids": sorted(old)},
                )
        return sorted(old)

    # the sweeper

    def cleanup(
        self, by: ConsoleOperator, ctx: CallContext, *, grace: timedelta = timedelta(hours=1)
    ) -> CleanupReport:
        """Expire old upload sessions, then remove blobs no row refers to.

        A blob is kept while a version row (of its generation) or a live upload session
        names its version; anything else older than ``grace`` is an orphan of a crash.
        Key and store housekeeping: the console (Act.KEK_ROTATE).
        """
        authorize(by, Act.KEK_ROTATE)
        now = self._clock()
        expired = 0
        with self._uow.read() as session:
            stale = list(
                session.execute(
                    select(UploadSessionRow.id, UploadSessionRow.version_id).where(
                        UploadSessionRow.expires_at <= now
                    )
                )
            )
        for upload_id, version_id in stale:
            for blob in list(self._blobs.list(version_prefix(version_id))):
                self._blobs.delete(blob.key)
            with self._uow(ctx) as uow:
                uow.session.execute(
                    delete(UploadPartRow).where(UploadPartRow.session_id == upload_id)
                )
                uow.session.execute(
                    delete(UploadSessionRow).where(UploadSessionRow.id == upload_id)
                )
                uow.record(
                    "upload.expired",
                    Actor.system(),
                    target_id=upload_id,
                    outcome=Outcome.SUCCESS,
                    data={"version_id": version_id},
                )
            expired += 1
        orphans = 0
        cutoff = now - grace
        # The store is read in chunks and only the chunk's versions are looked up, so the
        # sweep's memory stays flat however many artifacts the node holds.
        for chunk in _chunks(self._blobs.list("v/"), BATCH):
            live = self._live_generations({b.key.split("/")[1] for b in chunk if "/" in b.key})
            for blob in chunk:
                parts = blob.key.split("/")
                if len(parts) == 4 and parts[1] in live and parts[2] == f"g{live[parts[1]]}":
                    continue
                if blob.modified < cutoff:
                    self._blobs.delete(blob.key)
                    orphans += 1
        temporary = self._blobs.sweep_temporary(cutoff)
        return CleanupReport(expired, orphans, temporary)

    def _live_generations(self, version_ids: set[str]) -> dict[str, int]:
        """The generation whose blobs each named version keeps (0 for an upload in
        progress); versions not in the answer are gone."""
        with self._uow.read() as session:
            live = {
                vid: gen
                for vid, gen in session.execute(
                    select(ArtifactVersionRow.id, ArtifactVersionRow.generation).where(
                        ArtifactVersionRow.id.in_(version_ids)
                    )
                )
            }
            uploading = session.scalars(
                select(UploadSessionRow.version_id).where(
                    UploadSessionRow.version_id.in_(version_ids)
                )
            )
            live.update({vid: 0 for vid in uploading})
        return live


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of up to ``size`` (itertools.batched arrives in Python 3.12)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
