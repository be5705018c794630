"""Artifacts: resumable streaming upload, policy-checked streaming download, show, relabel.

``ArtifactService`` is the one entry point the API, CLI and tests use; the work lives in
cohesive modules beside it:

- ``artifacts_uploads``: opening, finding and abandoning upload sessions;
- ``artifacts_appends``: streaming plaintext into encrypted, durable parts;
- ``artifacts_versions``: completing an upload into a version (and a new artifact);
- ``artifacts_downloads``: policy- and binding-checked streaming reads;
- ``artifacts_labelling``: new label versions; ``artifacts_views``: what ``show`` shows;
- ``artifacts_binding``, ``artifacts_lookup``, ``artifacts_hashes``: shared helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from caveat.adapters.blobstore import BlobStore
from caveat.adapters.db.models.artifacts import ArtifactRow, ArtifactVersionRow
from caveat.adapters.kek import KekProvider
from caveat.domain.artifacts import PART_BYTES
from caveat.domain.errors import CaveatError
from caveat.services.artifacts._appends import Appender, Appends
from caveat.services.artifacts._binding import check_binding
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._downloads import Content, Downloads
from caveat.services.artifacts._hashes import UploadHashes
from caveat.services.artifacts._labelling import Labelling
from caveat.services.artifacts._precheck import LabelPrecheck, precheck_label
from caveat.services.artifacts._received import (
    Provenance,
    ReceivedArtifacts,
    ReceivedPage,
    StagedContent,
)
from caveat.services.artifacts._relabels import RelabelOutcome, RelabelPreview, RelabelRequest
from caveat.services.artifacts._uploads import NewArtifact, UploadSessions, UploadStatus
from caveat.services.artifacts._versions import VersionCommits
from caveat.services.artifacts._views import ArtifactView, LabelVersionView, VersionView, show
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory
from caveat.services.policy import CatalogueService, PolicyService

__all__ = [
    "Appender",
    "ArtifactService",
    "ArtifactView",
    "Content",
    "LabelVersionView",
    "NewArtifact",
    "Provenance",
    "ReceivedArtifacts",
    "ReceivedPage",
    "Relabelled",
    "StagedContent",
    "UploadStatus",
    "VersionView",
]


@dataclass(frozen=True, slots=True)
class Relabelled:
    """What a relabel became (applied, requested, release requested) and the artifact as
    the relabeller now sees it."""

    outcome: RelabelOutcome
    view: ArtifactView


class ArtifactService:
    """Uploads, downloads and views of artifacts, always through the policy."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        policy: PolicyService,
        catalogue: CatalogueService,
        blobs: BlobStore,
        kek: KekProvider,
        signing_key: Callable[[], Ed25519PrivateKey],
        max_bytes: int,
        upload_ttl: timedelta,
        part_bytes: int = PART_BYTES,
    ) -> None:
        self._deps = ArtifactDeps(
            uow=uow,
            policy=policy,
            catalogue=catalogue,
            blobs=blobs,
            kek=kek,
            signing_key=signing_key,
            max_bytes=max_bytes,
            upload_ttl=upload_ttl,
            part_bytes=part_bytes,
        )
        hashes = UploadHashes(self._deps)
        self.uploads = UploadSessions(self._deps, hashes)
        self.appends = Appends(self._deps, self.uploads, hashes)
        self.versions = VersionCommits(self._deps, self.uploads, hashes)
        self.downloads = Downloads(self._deps)
        self.labelling = Labelling(self._deps)
        self.received = ReceivedArtifacts(self._deps)  # a partner's releases (federation)

    # collaborators and limits (shared by every part)

    @property
    def policy(self) -> PolicyService:
        return self._deps.policy

    @property
    def blobs(self) -> BlobStore:
        return self._deps.blobs

    @property
    def kek(self) -> KekProvider:
        return self._deps.kek

    @property
    def upload_ttl(self) -> timedelta:
        return self._deps.upload_ttl

    @property
    def max_bytes(self) -> int:
        return self._deps.max_bytes

    @max_bytes.setter
    def max_bytes(self, value: int) -> None:
        self._deps.max_bytes = value

    @property
    def part_bytes(self) -> int:
        return self._deps.part_bytes

    @part_bytes.setter
    def part_bytes(self, value: int) -> None:
        self._deps.part_bytes = value

    # uploads

    def precheck_label(
        self,
        principal: Principal,
        *,
        label: str,
        controls: Sequence[str] = (),
        dual_use: bool = False,
        project: str | None = None,
        artifact_id: str | None = None,
    ) -> LabelPrecheck:
        """Whether ``principal`` could read content under this label, before sending any
        (read-only advice: the upload or relabel checks again)."""
        return precheck_label(
            self._deps,
            principal,
            label=label,
            controls=controls,
            dual_use=dual_use,
            project=project,
            artifact_id=artifact_id,
        )

    def begin_upload(
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
        return self.uploads.begin(
            principal,
            ctx,
            new=new,
            artifact_id=artifact_id,
            filename=filename,
            media_type=media_type,
            size=size,
            sha256=sha256,
        )

    def upload_status(self, principal: Principal, upload_id: str) -> UploadStatus:
        """The offset the next append must start at (for resuming)."""
        return self.uploads.upload_status(principal, upload_id)

    def appender(
        self, principal: Principal, ctx: CallContext, upload_id: str, offset: int
    ) -> Appender:
        """Start an append at ``offset``, which must be where the session stands."""
        return self.appends.appender(principal, ctx, upload_id, offset)

    def append(
        self,
        principal: Principal,
        ctx: CallContext,
        upload_id: str,
        offset: int,
        chunks: Iterable[bytes],
    ) -> UploadStatus:
        """Append ``chunks`` at ``offset`` (the in-process form of one append request)."""
        return self.appends.append(principal, ctx, upload_id, offset, chunks)

    def complete(
        self, principal: Principal, ctx: CallContext, upload_id: str, *, sha256: str | None = None
    ) -> VersionView:
        """Check the content's SHA-256 and size, then commit the version (and artifact)."""
        return self.versions.complete(principal, ctx, upload_id, sha256=sha256)

    def abort_upload(
        self, principal: Principal, ctx: CallContext, upload_id: str, *, reason: str = "client"
    ) -> None:
        """Abandon an upload: its stored parts are deleted, then its rows."""
        self.uploads.abort(principal, ctx, upload_id, reason=reason)

    def discard(self, principal: Principal, ctx: CallContext, upload_id: str) -> None:
        """Abort an upload if it still exists (after a failed single-shot upload)."""
        self.uploads.discard(principal, ctx, upload_id)

    def put(
        self,
        principal: Principal,
        ctx: CallContext,
        chunks: Iterable[bytes],
        *,
        sha256: str,
        new: NewArtifact | None = None,
        artifact_id: str | None = None,
        filename: str | None = None,
        media_type: str | None = None,
        size: int | None = None,
    ) -> VersionView:
        """Single-shot upload: all or nothing (any failure removes what was stored)."""
        status = self.begin_upload(
            principal,
            ctx,
            new=new,
            artifact_id=artifact_id,
            filename=filename,
            media_type=media_type,
            size=size,
            sha256=sha256,
        )
        return self.put_content(principal, ctx, status.id, chunks, sha256=sha256)

    def put_content(
        self,
        principal: Principal,
        ctx: CallContext,
        upload_id: str,
        chunks: Iterable[bytes],
        *,
        sha256: str | None,
    ) -> VersionView:
        """The whole content of an upload in one go, then complete; abort on any failure."""
        try:
            self.append(principal, ctx, upload_id, 0, chunks)
            return self.complete(principal, ctx, upload_id, sha256=sha256)
        except BaseException:
            self.discard(principal, ctx, upload_id)
            raise

    # reading and labelling

    def show(self, principal: Principal, artifact_id: str) -> ArtifactView:
        """Metadata, label (originator's and viewer's form), versions, label history, why."""
        return show(self._deps.uow, self._deps.policy, principal, artifact_id)

    def open_content(
        self,
        principal: Principal,
        ctx: CallContext,
        artifact_id: str,
        *,
        version: int | None = None,
        byte_range: tuple[int, int | None] | None = None,
    ) -> Content:
        """Decide read, check the binding, record the download, then stream plaintext."""
        return self.downloads.open_content(
            principal, ctx, artifact_id, version=version, byte_range=byte_range
        )

    def relabel(
        self,
        principal: Principal,
        ctx: CallContext,
        artifact_id: str,
        *,
        label: str,
        controls: Sequence[str] | None = None,
        dual_use: bool | None = None,
        reason: str,
    ) -> Relabelled:
        """Relabel (the originating organisation, tightening: a new label version and a
        new binding for every content version), or ask for it (anyone else who may read
        it), or ask for a release (anything that loosens). ``controls`` / ``dual_use``
        None keep the current export classification; ``reason`` (required) goes into the
        ledger."""
        outcome = self.labelling.relabel(
            principal,
            ctx,
            artifact_id,
            label=label,
            controls=controls,
            dual_use=dual_use,
            reason=reason,
        )
        return Relabelled(outcome, self.show(principal, artifact_id))

    def preview_relabel(
        self,
        principal: Principal,
        artifact_id: str,
        *,
        label: str,
        controls: Sequence[str] | None = None,
        dual_use: bool | None = None,
    ) -> RelabelPreview:
        """Which path a relabel would take and who would gain or lose read access."""
        return self.labelling.preview(
            principal, artifact_id, label=label, controls=controls, dual_use=dual_use
        )

    def relabel_requests(
        self, principal: Principal, *, awaiting: bool = False
    ) -> list[RelabelRequest]:
        """One's own relabel requests and those one may decide (``awaiting``: pending)."""
        return self.labelling.requests(principal, awaiting=awaiting)

    def decide_relabel(
        self,
        principal: Principal,
        ctx: CallContext,
        request_id: str,
        *,
        approve: bool,
        reason: str,
    ) -> RelabelRequest:
        """The originator's security officer approves or denies a relabel request."""
        return self.labelling.decide(principal, ctx, request_id, approve=approve, reason=reason)

    # integrity (also used by verify)

    def check_binding(
        self,
        session: Session,
        artifact: ArtifactRow,
        version: ArtifactVersionRow,
        sizes: Sequence[int],
    ) -> None:
        """Raise BindingInvalid unless the signed binding covers these rows exactly."""
        check_binding(session, self._deps.policy, self._deps.signing_key, artifact, version, sizes)

    def record_integrity_failure(
        self, ctx: CallContext, artifact_id: str, version: int | None, exc: CaveatError
    ) -> None:
        """An integrity event, in its own transaction."""
        self.downloads.record_integrity_failure(ctx, artifact_id, version, exc)
