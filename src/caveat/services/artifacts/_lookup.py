"""Finding artifact rows: the discoverable artifact, its current label, versions, parts.

An artifact the principal may not discover is answered exactly like one that does not
exist (``unknown_artifact``), so ids cannot be probed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.artifacts import (
    ArtifactLabelRow,
    ArtifactPartRow,
    ArtifactRow,
    ArtifactVersionRow,
    UploadPartRow,
)
from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.artifacts import BindingInvalid
from caveat.domain.errors import NotFound, PermissionDenied
from caveat.domain.policy import Action
from caveat.services.kernel.principal import Principal
from caveat.services.policy import PolicyService


def unknown_artifact(ref: str) -> NotFound:
    """The one answer for an artifact that is missing or hidden."""
    return NotFound(f"no artifact {ref!r}", code="unknown_artifact")


def discoverable(
    session: Session, policy: PolicyService, principal: Principal, artifact_id: str, now: datetime
) -> tuple[ArtifactRow, ResourceRow]:
    """The artifact and its catalogue row, if the principal may discover it."""
    artifact = session.get(ArtifactRow, artifact_id)
    resource = session.get(ResourceRow, artifact_id)
    if artifact is None or resource is None:
        raise unknown_artifact(artifact_id)
    if not policy.decide_row(session, principal, Action.DISCOVER, resource, now).permitted:
        raise unknown_artifact(artifact_id)  # the same answer as for no artifact
    return artifact, resource


def require_modify(
    session: Session,
    policy: PolicyService,
    principal: Principal,
    resource: ResourceRow,
    now: datetime,
    refusal: str,
) -> None:
    """PermissionDenied (``policy_denied``, with the failed codes) unless modify is permitted."""
    decision = policy.decide_row(session, principal, Action.MODIFY, resource, now)
    if not decision.permitted:
        raise PermissionDenied(
            refusal, code="policy_denied", data={"failed": decision.failed_codes}
        )


def current_label(session: Session, artifact: ArtifactRow) -> ArtifactLabelRow:
    """The artifact's current label version (BindingInvalid if it has gone)."""
    row = session.scalar(
        select(ArtifactLabelRow).where(
            ArtifactLabelRow.artifact_id == artifact.id,
            ArtifactLabelRow.seq == artifact.label_seq,
        )
    )
    if row is None:
        raise BindingInvalid(f"artifact {artifact.id} has lost its current label row")
    return row


def version_row(session: Session, artifact: ArtifactRow, number: int | None) -> ArtifactVersionRow:
    """Content version ``number`` (None: the latest)."""
    wanted = artifact.latest_version if number is None else number
    row = session.scalar(
        select(ArtifactVersionRow).where(
            ArtifactVersionRow.artifact_id == artifact.id, ArtifactVersionRow.number == wanted
        )
    )
    if row is None:
        raise NotFound(f"artifact {artifact.id} has no version {wanted}", code="unknown_version")
    return row


def versions_of(session: Session, artifact_id: str) -> list[ArtifactVersionRow]:
    """Every content version of an artifact, oldest first."""
    return list(
        session.scalars(
            select(ArtifactVersionRow)
            .where(ArtifactVersionRow.artifact_id == artifact_id)
            .order_by(ArtifactVersionRow.number)
        )
    )


def part_sizes(session: Session, version_id: str) -> list[int]:
    """The plaintext sizes of a version's parts, in order."""
    return list(
        session.scalars(
            select(ArtifactPartRow.plain_size)
            .where(ArtifactPartRow.version_id == version_id)
            .order_by(ArtifactPartRow.idx)
        )
    )


def upload_part_sizes(session: Session, upload_id: str) -> list[int]:
    """The plaintext sizes of the parts an upload session has stored, in order."""
    return list(
        session.scalars(
            select(UploadPartRow.plain_size)
            .where(UploadPartRow.session_id == upload_id)
            .order_by(UploadPartRow.idx)
        )
    )


def usernames(session: Session) -> dict[str, str]:
    """Person id to username, for views."""
    return {pid: name for pid, name in session.execute(select(PersonRow.id, PersonRow.username))}
