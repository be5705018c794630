"""Completing an upload: check the content's SHA-256 and size, then commit the version.

A new artifact commits in one transaction: its catalogue entry (through
``CatalogueService.register_in``, so the policy sees it), the artifact row (its ``seq``
assigned by the database), IP owners, label version 1, the version, its parts, the
signed binding and the search index. A new version of an existing artifact adds the
version, parts and binding. Until then nothing is listed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select

from caveat.adapters.db.models.artifacts import (
    ArtifactIpOwnerRow,
    ArtifactLabelRow,
    ArtifactPartRow,
    ArtifactRow,
    ArtifactVersionRow,
    UploadPartRow,
    UploadSessionRow,
)
from caveat.domain.artifacts import HashMismatch, OffsetMismatch, SizeMismatch, check_sha256
from caveat.domain.errors import InvalidInput
from caveat.domain.export_control import export_from_canonical_json
from caveat.domain.labels import label_from_canonical_json
from caveat.services.artifacts._binding import binding_row
from caveat.services.artifacts._catalogue import (
    DraftLabel,
    draft_resource,
    new_id,
    require_member,
    require_readable_draft,
)
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._hashes import UploadHashes
from caveat.services.artifacts._lookup import current_label, discoverable, require_modify
from caveat.services.artifacts._search import index_for_search
from caveat.services.artifacts._uploads import UploadSessions
from caveat.services.artifacts._views import VersionView, version_view
from caveat.services.kernel.principal import Principal, Scope
from caveat.services.kernel.uow import CallContext, UnitOfWork
from caveat.services.policy import refuse_received


class VersionCommits:
    """Turns a fully uploaded session into a content version (and, first, an artifact)."""

    def __init__(self, deps: ArtifactDeps, sessions: UploadSessions, hashes: UploadHashes) -> None:
        self._deps = deps
        self._sessions = sessions
        self._hashes = hashes

    def complete(
        self,
        principal: Principal,
        ctx: CallContext,
        upload_id: str,
        *,
        sha256: str | None = None,
    ) -> VersionView:
        """Check the content's SHA-256 and size, then commit the version (and artifact)."""
        principal.require_scope(Scope.WRITE)
        claimed = None if sha256 is None else check_sha256(sha256)
        uow_factory = self._deps.uow
        with uow_factory.read() as session:
            row = self._sessions.owned(
                session, principal, upload_id, uow_factory.clock(), verb="complete"
            )
            parts = list(
                session.execute(
                    select(UploadPartRow.idx, UploadPartRow.plain_size, UploadPartRow.cipher_size)
                    .where(UploadPartRow.session_id == upload_id)
                    .order_by(UploadPartRow.idx)
                )
            )
        expected = claimed or row.expected_sha256
        if expected is None:
            raise InvalidInput(
                "give the content's SHA-256 to complete the upload",
                code="sha256_required",
                field="sha256",
            )
        if claimed is not None and row.expected_sha256 not in (None, claimed):
            raise HashMismatch("the SHA-256 differs from the one declared when the upload began")
        digest = self._hashes.resume(row).digest()
        if digest != expected:
            self._sessions.abort(principal, ctx, upload_id, reason="hash_mismatch")
            raise HashMismatch(
                "the content's SHA-256 is not the one the client declared; nothing was stored",
                field="sha256",
                hint="the file changed or was damaged in transit: upload it again",
                data={"received_sha256": digest.hex()},
            )
        if row.expected_size is not None and row.expected_size != row.received:
            raise SizeMismatch(
                f"received {row.received} bytes of the {row.expected_size} declared",
                hint="resume the upload from its offset",
                data={"offset": row.received},
            )
        with uow_factory(ctx) as uow:
            live = self._sessions.owned(uow.session, principal, upload_id, uow.now, verb="complete")
            if live.received != row.received or live.part_count != len(parts):
                raise OffsetMismatch("the upload changed while it was being completed")
            view = self._commit(uow, principal, live, digest, parts)
        self._hashes.forget(upload_id)
        return view

    def _commit(
        self,
        uow: UnitOfWork,
        principal: Principal,
        upload: UploadSessionRow,
        digest: bytes,
        parts: Sequence[Any],
    ) -> VersionView:
        session = uow.session
        if upload.new_artifact is not None:
            artifact, label_row = self._new_artifact(uow, principal, upload)
        else:
            artifact, label_row = self._next_version(uow, principal, upload)
        sizes = [p.plain_size for p in parts]
        version = ArtifactVersionRow(
            id=upload.version_id,
            artifact_id=artifact.id,
            number=artifact.latest_version,
            size=upload.received,
            sha256=digest,
            part_count=len(parts),
            media_type=upload.media_type,
            filename=upload.filename,
            wrapped_key=upload.wrapped_key,
            kek_key_id=upload.kek_key_id,
            generation=0,
            created_by=principal.person_id,
            created_at=uow.now,
        )
        session.add(version)
        session.flush()
        if parts:
            session.execute(
                insert(ArtifactPartRow),
                [
                    {
                        "version_id": version.id,
                        "idx": p.idx,
                        "plain_size": p.plain_size,
                        "cipher_size": p.cipher_size,
                    }
                    for p in parts
                ],
            )
        session.add(
            binding_row(self._deps.signing_key, artifact, version, sizes, label_row, uow.now)
        )
        session.execute(delete(UploadPartRow).where(UploadPartRow.session_id == upload.id))
        session.execute(delete(UploadSessionRow).where(UploadSessionRow.id == upload.id))
        uow.record(
            "artifact.created" if version.number == 1 else "artifact.version_added",
            principal.actor(),
            target_id=artifact.id,
            data={
                "version": version.number,
                "version_id": version.id,
                "sha256": digest.hex(),
                "size": version.size,
                "label": label_row.label_json,
                "export": label_row.export_json,
                "project_id": artifact.project_id,
                "title": artifact.title,
            },
        )
        return version_view(version, principal.username)

    def _new_artifact(
        self, uow: UnitOfWork, principal: Principal, upload: UploadSessionRow
    ) -> tuple[ArtifactRow, ArtifactLabelRow]:
        session, policy = uow.session, self._deps.policy
        assert upload.new_artifact is not None
        meta = json.loads(upload.new_artifact)
        label = label_from_canonical_json(
            upload.label_json.encode(), schemes=policy.schemes, check_rules=False
        )
        draft = DraftLabel(
            label, export_from_canonical_json(upload.export_json.encode()), upload.banner
        )
        # Membership or clearance may have changed during a long upload.
        require_member(session, principal, upload.project_id, uow.now)
        resource = draft_resource(
            policy,
            upload.artifact_id,
            upload.project_id,
            meta["kind"],
            draft,
            meta["originating_org_id"],
        )
        require_readable_draft(session, policy, principal, resource, uow.now)
        self._deps.catalogue.register_in(
            uow,
            principal,
            project=upload.project_id,
            kind=meta["kind"],
            title=meta["title"],
            label=draft.label,
            export=draft.export,
            originator=meta["originating_org_id"],
            resource_id=upload.artifact_id,
        )
        artifact = ArtifactRow(
            id=upload.artifact_id,
            project_id=upload.project_id,
            kind=meta["kind"],
            title=meta["title"],
            summary=meta["summary"],
            keywords=" ".join(meta["keywords"]),
            originating_org_id=meta["originating_org_id"],
            originating_node_id=uow.node_id,
            created_by=principal.person_id,
            created_at=uow.now,
            latest_version=1,
            label_seq=1,
        )
        session.add(artifact)
        session.flush()  # the database assigns seq (race-free on both databases)
        session.add_all(
            ArtifactIpOwnerRow(artifact_id=artifact.id, organisation_id=o, kind=k)
            for o, k in meta["ip_owners"]
        )
        label_row = ArtifactLabelRow(
            id=new_id(),
            artifact_id=artifact.id,
            seq=1,
            label_json=upload.label_json,
            export_json=upload.export_json,
            banner=upload.banner,
            created_by=principal.person_id,
            created_at=uow.now,
        )
        session.add(label_row)
        index_for_search(session, artifact)
        return artifact, label_row

    def _next_version(
        self, uow: UnitOfWork, principal: Principal, upload: UploadSessionRow
    ) -> tuple[ArtifactRow, ArtifactLabelRow]:
        session, policy = uow.session, self._deps.policy
        artifact, resource = discoverable(session, policy, principal, upload.artifact_id, uow.now)
        require_modify(
            session,
            policy,
            principal,
            resource,
            uow.now,
            "you may no longer add versions to this artifact",
        )
        refuse_received(session, artifact.id, "add versions to")
        label_row = current_label(session, artifact)
        artifact.latest_version += 1
        return artifact, label_row
