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
from dataclasses import dataclass

from sqlalchemy import insert

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

    def commit_in(
        self, uow: UnitOfWork, staged: StagedContent, made: Provenance, actor: Actor
    ) -> str:
        """The artifact's rows, in the caller's unit of work; its id."""
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
        session.flush()
        if staged.parts:
            session.execute(
                insert(ArtifactPartRow),
                [
                    {
                        "version_id": version.id,
                        "idx": p.index,
                        "plain_size": p.plain_size,
                        "cipher_size": p.cipher_size,
                    }
                    for p in staged.parts
                ],
            )
        sizes = [p.plain_size for p in staged.parts]
        session.add(
            binding_row(self._deps.signing_key, artifact, version, sizes, label_row, uow.now)
        )
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
