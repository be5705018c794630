"""What a viewer sees of an artifact: metadata, both forms of its label, versions, history.

``show`` answers only for artifacts the principal may discover, and explains (to the
subject, without leaks) whether and why they may read the content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow
from caveat.adapters.db.models.artifacts import ArtifactIpOwnerRow, ArtifactLabelRow, ArtifactRow
from caveat.adapters.db.models.policy import ProjectRow
from caveat.domain.export_control import export_from_canonical_json, render_export_classification
from caveat.domain.labels import (
    label_from_canonical_json,
)
from caveat.domain.policy import Action, Audience, Context, Explanation, decide, explain
from caveat.services.artifacts._lookup import discoverable, usernames, versions_of
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.policy import PolicyService, resource_of, subject_of


@dataclass(frozen=True, slots=True)
class VersionView:
    """One content version."""

    number: int
    id: str
    size: int
    sha256: str
    media_type: str
    filename: str | None
    parts: int
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LabelVersionView:
    """One label version: the originator's banner, canonical label and export entries."""

    seq: int
    banner: str
    label: dict[str, Any]
    export: list[str]
    dual_use: bool
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ArtifactView:
    """An artifact as a viewer who may discover it sees it."""

    id: str
    project_id: str
    project: str
    kind: str
    title: str
    summary: str
    keywords: tuple[str, ...]
    banner: str  # the originator's form
    viewer_banner: str | None  # the viewer's national form (None: no equivalent)
    export: list[str]
    originating_organisation: str
    originating_node: str
    ip_owners: list[dict[str, str]]
    created_by: str
    created_at: datetime
    versions: list[VersionView]
    labels: list[LabelVersionView]
    read: Explanation | None = None


def version_view(row: Any, created_by: str) -> VersionView:
    """The view of an ``ArtifactVersionRow``."""
    return VersionView(
        number=row.number,
        id=row.id,
        size=row.size,
        sha256=row.sha256.hex(),
        media_type=row.media_type,
        filename=row.filename,
        parts=row.part_count,
        created_by=created_by,
        created_at=row.created_at,
    )


def show(
    uow: UnitOfWorkFactory, policy: PolicyService, principal: Principal, artifact_id: str
) -> ArtifactView:
    """Metadata, label (originator's and viewer's form), versions, label history, why."""
    with uow.read() as session:
        now = uow.clock()
        artifact, resource = discoverable(session, policy, principal, artifact_id, now)
        decision = decide(
            subject_of(session, principal.person),
            Action.READ,
            resource_of(resource, policy.schemes),
            Context(now, principal.mfa_at, policy.environment()),
        )
        return _view(session, policy, artifact, principal, explain(decision, Audience.SUBJECT))


def _label_view(row: ArtifactLabelRow, created_by: str) -> LabelVersionView:
    export = export_from_canonical_json(row.export_json.encode())
    return LabelVersionView(
        seq=row.seq,
        banner=row.banner,
        label=json.loads(row.label_json),
        export=render_export_classification(export),
        dual_use=export.dual_use,
        created_by=created_by,
        created_at=row.created_at,
    )


def _view(
    session: Session,
    policy: PolicyService,
    artifact: ArtifactRow,
    principal: Principal,
    read: Explanation,
) -> ArtifactView:
    names = usernames(session)
    labels = list(
        session.scalars(
            select(ArtifactLabelRow)
            .where(ArtifactLabelRow.artifact_id == artifact.id)
            .order_by(ArtifactLabelRow.seq)
        )
    )
    current = next(r for r in labels if r.seq == artifact.label_seq)
    label = label_from_canonical_json(
        current.label_json.encode(), schemes=policy.schemes, check_rules=False
    )
    orgs = {r.id: r.name for r in session.scalars(select(OrganisationRow))}
    project = session.get(ProjectRow, artifact.project_id)
    owners = session.scalars(
        select(ArtifactIpOwnerRow).where(ArtifactIpOwnerRow.artifact_id == artifact.id)
    )
    export = export_from_canonical_json(current.export_json.encode())
    return ArtifactView(
        id=artifact.id,
        project_id=artifact.project_id,
        project=project.name if project else artifact.project_id,
        kind=artifact.kind,
        title=artifact.title,
        summary=artifact.summary,
        keywords=tuple(artifact.keywords.split()),
        banner=current.banner,
        viewer_banner=policy.banner_in(label, policy.viewer_scheme(principal)),
        export=render_export_classification(export),
        originating_organisation=orgs.get(artifact.originating_org_id, artifact.originating_org_id),
        originating_node=artifact.originating_node_id,
        ip_owners=[
            {"organisation": orgs.get(o.organisation_id, o.organisation_id), "kind": o.kind}
            for o in owners
        ],
        created_by=names.get(artifact.created_by, artifact.created_by),
        created_at=artifact.created_at,
        versions=[
            version_view(v, names.get(v.created_by, v.created_by))
            for v in versions_of(session, artifact.id)
        ],
        labels=[_label_view(r, names.get(r.created_by, r.created_by)) for r in labels],
        read=read,
    )
