"""Artifacts made of what a partner node released here (issue 18, ADR 0019).

The federation service opens a partner's package; the plaintext is then stored as any
upload is: encrypted in parts under a fresh data key wrapped by this node's KEK
(``stage``, before the transaction), and committed in the federation's unit of work
(``commit_in``): the catalogue entry, the artifact, label version 1 exactly as
received, the version, its parts, the signed binding (naming the originating node) and
the search index. What is staged but not committed is deleted (``discard``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, insert, inspect
from sqlalchemy.orm import Session, object_mapper
from sqlalchemy.schema import sort_tables

from caveat.adapters.db.models.artifacts import (
    ArtifactLabelRow,
    ArtifactPartRow,
    ArtifactRow,
    ArtifactVersionRow,
)
from caveat.adapters.kek import new_data_key, wrapped_key_id
from caveat.domain.artifacts import check_media_type, check_title
from caveat.domain.errors import InvalidInput
from caveat.domain.events import Actor
from caveat.domain.export_control import ExportClassification, export_to_canonical_json
from caveat.domain.labels import Label, label_to_canonical_json, render_banner
from caveat.services.artifacts._binding import binding_row
from caveat.services.artifacts._catalogue import new_id
from caveat.services.artifacts._content import PartedWriter, StoredPart, version_prefix
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._search import index_for_search
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import UnitOfWork

# The catalogue registers a received item as this node's federation service does.
_FEDERATION = ConsoleOperator("federation")


@dataclass(frozen=True, slots=True)
class StagedContent:
    """Received content encrypted into parts, waiting for its rows."""

    artifact_id: str
    version_id: str
    wrapped_key: bytes
    parts: tuple[StoredPart, ...]
    sha256: bytes
    size: int
    media_type: str


@dataclass(frozen=True, slots=True)
class Provenance:
    """What the artifact is made of: where from, under which label, into which project."""

    project_id: str
    title: str
    kind: str
    label: Label
    export: ExportClassification
    originator_org_id: str  # the local record of the partner's organisation
    origin_node_id: str  # signed into the binding as the artifact's originating node
    created_by: str  # the officer who named the receiving project


@dataclass
class ReceivedPage:
    """The artifacts of a page of received items written at once (``commit_in`` with
    ``page``): nothing is flushed per item; the node signing key is read once for the
    page, and what needs the rows in the database (their parts, the search index of an
    artifact's generated ``seq``) waits for ``finish``, after the page's flush.
    ``rows`` holds what the page reads again, so the session's weak identity map keeps
    it instead of loading it again for every item."""

    read_signing_key: Callable[[], Ed25519PrivateKey]
    parts: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[ArtifactRow] = field(default_factory=list)
    rows: dict[object, object] = field(default_factory=dict)
    _signing_key: Ed25519PrivateKey | None = None

    def signing_key(self) -> Ed25519PrivateKey:
        """The node signing key, read on first use."""
        if self._signing_key is None:
            self._signing_key = self.read_signing_key()
        return self._signing_key

    def flush(self, uow: UnitOfWork) -> None:
        """Flush what the page has added so far, referenced tables first (before
        another service flushes on its own, as an alert does)."""
        flush_by_table(uow.session)

    def finish(self, uow: UnitOfWork) -> None:
        """Flush the page's rows, then write what needed them."""
        session = uow.session
        flush_by_table(session)
        if self.parts:
            session.execute(insert(ArtifactPartRow), self.parts)
        for artifact in self.artifacts:
            index_for_search(session, artifact)


def flush_by_table(session: Session) -> None:
    """Flush the session's new rows a table at a time, referenced tables first. The
    rows have no ``relationship()`` between them, so one flush would not order the
    tables by their foreign keys: each flush here is still one batch of a table's rows
    (in the order they were added), instead of several flushes per item."""
    pending: dict[Table, list[object]] = {}
    for row in sorted(session.new, key=lambda r: inspect(r).insert_order):
        pending.setdefault(object_mapper(row).local_table, []).append(row)  # type: ignore[arg-type]
    if len(pending) > 1:
        for rows in pending.values():  # taken out, then added back a table at a time
            for row in rows:
                session.expunge(row)
        for table in sort_tables(pending):
            session.add_all(pending[table])
            session.flush()
    session.flush()  # anything changed besides


class ReceivedArtifacts:
    """Stores a partner's released content as a local artifact."""

    def __init__(self, deps: ArtifactDeps) -> None:
        self._deps = deps

    def stage(self, payload: bytes, media_type: str) -> StagedContent:
        """Encrypt ``payload`` into parts under a fresh data key (nothing is listed)."""
        deps = self._deps
        version_id = new_id()
        key, wrapped = new_data_key(deps.kek, version_id)
        parts: list[StoredPart] = []
        hasher = hashlib.sha256()
        writer = PartedWriter(
            blobs=deps.blobs,
            key=key,
            version_id=version_id,
            generation=0,
            first_index=0,
            hasher=hasher,
            on_part=lambda part, _hashed: parts.append(part),
            limit=lambda _total: None,  # the package's size was bounded when received
            part_bytes=deps.part_bytes,
        )
        try:
            writer.write(payload)
            writer.finish()
        except BaseException:
            writer.abort()
            self._delete(version_id)
            raise
        return StagedContent(
            artifact_id=new_id(),
            version_id=version_id,
            wrapped_key=wrapped,
            parts=tuple(parts),
            sha256=hasher.digest(),
            size=len(payload),
            media_type=_media_type(media_type),
        )

    def discard(self, staged: StagedContent) -> None:
        """Delete the parts of content that was staged but not committed."""
        self._delete(staged.version_id)

    def page(self) -> ReceivedPage:
        """A page to ``commit_in`` several artifacts at once."""
        return ReceivedPage(self._deps.signing_key)

    def commit_in(
        self,
        uow: UnitOfWork,
        staged: StagedContent,
        made: Provenance,
        actor: Actor,
        *,
        page: ReceivedPage | None = None,
    ) -> str:
        """The artifact's rows, in the caller's unit of work; its id. With ``page``,
        nothing is flushed: ``page.finish`` writes the rest once the page is built."""
        session = uow.session
        registered = self._deps.catalogue.register_in(
            uow,
            _FEDERATION,
            project=made.project_id,
            kind=made.kind,
            title=check_title(made.title),
            label=made.label,
            export=made.export,
            originator=made.originator_org_id,
            resource_id=staged.artifact_id,
            flush=page is None,
        )
        artifact = ArtifactRow(
            id=staged.artifact_id,
            project_id=registered.project_id,
            kind=registered.kind,
            title=registered.title,
            summary="",
            keywords="",
            originating_org_id=made.originator_org_id,
            originating_node_id=made.origin_node_id,
            created_by=made.created_by,
            created_at=uow.now,
            latest_version=1,
            label_seq=1,
        )
        session.add(artifact)
        if page is None:
            session.flush()
        label_row = ArtifactLabelRow(
            id=new_id(),
            artifact_id=artifact.id,
            seq=1,
            label_json=label_to_canonical_json(registered.label).decode(),
            export_json=export_to_canonical_json(registered.export).decode(),
            banner=render_banner(registered.label, schemes=self._deps.policy.schemes)[:500],
            created_by=made.created_by,
            created_at=uow.now,
        )
        session.add(label_row)
        version = ArtifactVersionRow(
            id=staged.version_id,
            artifact_id=artifact.id,
            number=1,
            size=staged.size,
            sha256=staged.sha256,
            part_count=len(staged.parts),
            media_type=staged.media_type,
            filename=None,
            wrapped_key=staged.wrapped_key,
            kek_key_id=wrapped_key_id(staged.wrapped_key),
            generation=0,
            created_by=made.created_by,
            created_at=uow.now,
        )
        session.add(version)
        parts = [
            {
                "version_id": version.id,
                "idx": p.index,
                "plain_size": p.plain_size,
                "cipher_size": p.cipher_size,
            }
            for p in staged.parts
        ]
        signing_key: Callable[[], Ed25519PrivateKey] = self._deps.signing_key
        if page is None:
            session.flush()
            if parts:
                session.execute(insert(ArtifactPartRow), parts)
        else:
            page.parts += parts
            page.artifacts.append(artifact)
            signing_key = page.signing_key  # read once for the page
        sizes = [p.plain_size for p in staged.parts]
        session.add(binding_row(signing_key, artifact, version, sizes, label_row, uow.now))
        if page is None:
            index_for_search(session, artifact)
        uow.record(
            "artifact.created",
            actor,
            target_id=artifact.id,
            data={
                "version": 1,
                "version_id": version.id,
                "sha256": staged.sha256.hex(),
                "size": staged.size,
                "label": label_row.label_json,
                "export": label_row.export_json,
                "project_id": artifact.project_id,
                "title": artifact.title,
                "origin_node_id": made.origin_node_id,
            },
        )
        return artifact.id

    def _delete(self, version_id: str) -> None:
        blobs = self._deps.blobs
        for blob in list(blobs.list(version_prefix(version_id))):
            blobs.delete(blob.key)


def _media_type(declared: str) -> str:
    """The package's media type if this node would accept it from an uploader."""
    try:
        return check_media_type(declared)
    except InvalidInput:
        return "application/octet-stream"
