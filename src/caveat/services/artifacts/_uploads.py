"""Upload sessions: open one (checking project, membership and label), look it up, abandon it.

Opening checks everything that can be checked before content arrives: the metadata,
that the uploader is a member of the project, and that nobody labels content above what
they may read themselves. Each session gets a fresh data key (wrapped by the KEK).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from caveat.adapters.db.models.artifacts import UploadPartRow, UploadSessionRow
from caveat.adapters.kek import new_data_key, wrapped_key_id
from caveat.domain.artifacts import (
    ContentTooLarge,
    IpKind,
    IpOwner,
    check_filename,
    check_ip_owners,
    check_keywords,
    check_media_type,
    check_sha256,
    check_summary,
    check_title,
)
from caveat.domain.errors import InvalidInput, NotFound
from caveat.domain.events import Outcome
from caveat.domain.export_control import export_from_canonical_json
from caveat.domain.labels import label_from_canonical_json
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import UPLOAD, UploadState, upload_state
from caveat.domain.resources import resource_kind
from caveat.services.artifacts._catalogue import (
    DraftLabel,
    draft_label,
    draft_resource,
    new_id,
    organisation_exists,
    require_member,
    require_readable_draft,
)
from caveat.services.artifacts._content import version_prefix
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._hashes import UploadHashes
from caveat.services.artifacts._lookup import current_label, discoverable, require_modify
from caveat.services.kernel.principal import Principal, Scope
from caveat.services.kernel.uow import CallContext, UnitOfWork
from caveat.services.policy import refuse_received
from caveat.services.projects import find_project

UPLOAD_NOT_FOUND = "unknown_upload"


@dataclass(frozen=True, slots=True)
class NewArtifact:
    """The metadata of a new artifact; the content follows through an upload session."""

    project: str
    kind: str
    title: str
    label: str | None
    summary: str = ""
    keywords: Sequence[str] = ()
    controls: Sequence[str] = ()
    dual_use: bool = False
    ip_owners: Sequence[IpOwner] = ()


@dataclass(frozen=True, slots=True)
class UploadStatus:
    """Where an upload session stands: the next append starts at ``offset``."""

    id: str
    artifact_id: str
    version_id: str
    offset: int
    parts: int
    expected_size: int | None
    expires_at: datetime
    max_bytes: int
    part_bytes: int


class UploadSessions:
    """Opening, finding and abandoning upload sessions."""

    def __init__(self, deps: ArtifactDeps, hashes: UploadHashes) -> None:
        self._deps = deps
        self._hashes = hashes

    def begin(
        self,
        principal: Principal,
        ctx: CallContext,
        *,
        new: NewArtifact | None = None,
        artifact_id: str | None = None,
        filename: str | None = None,
        media_type: str | None = None,
        size: int | None = None,
        sha256: str | None = None,
    ) -> UploadStatus:
        """Open an upload for a new artifact (``new``) or a new version of ``artifact_id``."""
        principal.require_scope(Scope.WRITE)
        if (new is None) == (artifact_id is None):
            raise InvalidInput(
                "give either a new artifact's metadata or an artifact id", code="invalid_upload"
            )
        filename = check_filename(filename)
        media = check_media_type(media_type)
        expected = None if sha256 is None else check_sha256(sha256)
        max_bytes = self._deps.max_bytes
        if size is not None and not 0 <= size <= max_bytes:
            raise ContentTooLarge(
                f"the content is larger than this node's limit of {max_bytes} bytes",
                field="size",
                data={"max_bytes": max_bytes},
            )
        with self._deps.uow(ctx) as uow:
            version_id = new_id()
            metadata: dict[str, Any] | None = None
            if new is not None:
                artifact, project_id, draft, metadata = self._check_new(uow, principal, new)
            else:
                assert artifact_id is not None
                artifact, project_id, draft = self._check_new_version(uow, principal, artifact_id)
            _, wrapped = new_data_key(self._deps.kek, version_id)
            row = UploadSessionRow(
                id=new_id(),
                artifact_id=artifact,
                version_id=version_id,
                new_artifact=None if metadata is None else json.dumps(metadata),
                project_id=project_id,
                label_json=draft.label_json,
                export_json=draft.export_json,
                banner=draft.banner,
                media_type=media,
                filename=filename,
                expected_size=size,
                expected_sha256=expected,
                wrapped_key=wrapped,
                kek_key_id=wrapped_key_id(wrapped),
                received=0,
                part_count=0,
                created_by=principal.person_id,
                created_at=uow.now,
                expires_at=uow.now + self._deps.upload_ttl,
            )
            uow.session.add(row)
            uow.record(
                "upload.started",
                principal.actor(),
                target_id=row.id,
                data={
                    "artifact_id": artifact,
                    "new_artifact": new is not None,
                    "project_id": project_id,
                    "label": draft.label_json,
                    "size": size,
                },
            )
            self._hashes.start(row.id)
            return self.status(row)

    def _check_new(
        self, uow: UnitOfWork, principal: Principal, new: NewArtifact
    ) -> tuple[str, str, DraftLabel, dict[str, Any]]:
        policy = self._deps.policy
        kind = resource_kind(new.kind)
        title = check_title(new.title)
        summary = check_summary(new.summary)
        keywords = check_keywords(new.keywords)
        owners = [
            IpOwner(organisation_exists(uow.session, o.organisation_id), IpKind(o.kind))
            for o in check_ip_owners(new.ip_owners)
        ]
        project = find_project(uow.session, new.project)
        require_member(uow.session, principal, project.id, uow.now)
        draft = draft_label(
            uow.session,
            policy,
            principal,
            text=new.label,
            controls=list(new.controls),
            dual_use=new.dual_use,
            now=uow.now,
        )
        artifact_id = new_id()
        org = principal.person.organisation_id
        resource = draft_resource(policy, artifact_id, project.id, kind.value, draft, org)
        require_readable_draft(uow.session, policy, principal, resource, uow.now)
        metadata = {
            "kind": kind.value,
            "title": title,
            "summary": summary,
            "keywords": list(keywords),
            "ip_owners": [[o.organisation_id, o.kind.value] for o in sorted(set(owners))],
            "originating_org_id": org,
        }
        return artifact_id, project.id, draft, metadata

    def _check_new_version(
        self, uow: UnitOfWork, principal: Principal, artifact_id: str
    ) -> tuple[str, str, DraftLabel]:
        policy = self._deps.policy
        artifact, resource = discoverable(uow.session, policy, principal, artifact_id, uow.now)
        require_modify(
            uow.session,
            policy,
            principal,
            resource,
            uow.now,
            "you may not add versions to this artifact",
        )
        # Content under a partner's label is the partner's: new versions come from it.
        refuse_received(uow.session, artifact.id, "add versions to")
        label_row = current_label(uow.session, artifact)
        label = label_from_canonical_json(
            label_row.label_json.encode(), schemes=policy.schemes, check_rules=False
        )
        export = export_from_canonical_json(label_row.export_json.encode())
        return artifact.id, artifact.project_id, DraftLabel(label, export, label_row.banner)

    def owned(
        self,
        session: Session,
        principal: Principal,
        upload_id: str,
        now: datetime,
        *,
        verb: str | None = None,
    ) -> UploadSessionRow:
        """The principal's own, unexpired upload session (``unknown_upload`` otherwise:
        only an open session has a row, and only its owner sees it); with ``verb``, the
        move the upload lifecycle must allow from its state."""
        row = session.get(UploadSessionRow, upload_id)
        if row is None or row.created_by != principal.person_id:
            raise NotFound(f"no upload {upload_id!r}", code=UPLOAD_NOT_FOUND)
        state = upload_state(row.expires_at, now)
        if state is UploadState.LAPSED:  # to its owner, a lapsed upload is gone
            raise NotFound(
                f"upload {upload_id} has expired",
                code="upload_expired",
                hint="start the upload again",
            )
        if verb is not None:
            require_move(UPLOAD, verb, state, subject=f"upload {upload_id}")
        return row

    def status(self, row: UploadSessionRow) -> UploadStatus:
        """Where the session's row says it stands."""
        return UploadStatus(
            id=row.id,
            artifact_id=row.artifact_id,
            version_id=row.version_id,
            offset=row.received,
            parts=row.part_count,
            expected_size=row.expected_size,
            expires_at=row.expires_at,
            max_bytes=self._deps.max_bytes,
            part_bytes=self._deps.part_bytes,
        )

    def upload_status(self, principal: Principal, upload_id: str) -> UploadStatus:
        """The offset the next append must start at (for resuming)."""
        uow = self._deps.uow
        with uow.read() as session:
            return self.status(self.owned(session, principal, upload_id, uow.clock()))

    def abort(
        self, principal: Principal, ctx: CallContext, upload_id: str, *, reason: str = "client"
    ) -> None:
        """Abandon an upload: its stored parts are deleted, then its rows."""
        deps = self._deps
        with deps.uow.read() as session:
            row = session.get(UploadSessionRow, upload_id)
            if row is None or row.created_by != principal.person_id:
                raise NotFound(f"no upload {upload_id!r}", code=UPLOAD_NOT_FOUND)
            # Open or lapsed (not yet swept): the owner may always abandon it.
            state = upload_state(row.expires_at, deps.uow.clock())
            require_move(UPLOAD, "abort", state, subject=f"upload {upload_id}")
            version_id = row.version_id
        for blob in list(deps.blobs.list(version_prefix(version_id))):
            deps.blobs.delete(blob.key)
        with deps.uow(ctx) as uow:
            uow.session.execute(delete(UploadPartRow).where(UploadPartRow.session_id == upload_id))
            uow.session.execute(delete(UploadSessionRow).where(UploadSessionRow.id == upload_id))
            uow.record(
                "upload.aborted",
                principal.actor(),
                target_id=upload_id,
                outcome=Outcome.FAILURE if reason != "client" else Outcome.SUCCESS,
                data={"reason": reason},
            )
        self._hashes.forget(upload_id)

    def discard(self, principal: Principal, ctx: CallContext, upload_id: str) -> None:
        """Abort an upload if it still exists (after a failed single-shot upload)."""
        with contextlib.suppress(NotFound):
            self.abort(principal, ctx, upload_id, reason="failed")
