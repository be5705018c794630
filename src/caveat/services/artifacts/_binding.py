"""The signed label binding: what the node signs for each content version and label version.

``binding_row`` signs (Ed25519, the node key) the binding the rows describe;
``check_binding`` raises ``BindingInvalid`` unless the signature covers the rows exactly
and the policy's catalogue row still says what the signed label says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from caveat.adapters.db.models.artifacts import (
    ArtifactBindingRow,
    ArtifactLabelRow,
    ArtifactRow,
    ArtifactVersionRow,
)
from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.artifacts import Binding, BindingInvalid, layout_digest
from caveat.services.artifacts._catalogue import catalogue_matches
from caveat.services.artifacts._lookup import current_label
from caveat.services.policy import PolicyService


def binding_of(
    artifact: ArtifactRow,
    version: ArtifactVersionRow,
    sizes: Sequence[int],
    label_row: ArtifactLabelRow,
) -> Binding:
    """The binding the rows describe (what the signature must cover)."""
    return Binding(
        artifact_id=artifact.id,
        version=version.number,
        version_id=version.id,
        sha256=version.sha256,
        size=version.size,
        layout=layout_digest(sizes),
        label=label_row.label_json.encode(),
        export=label_row.export_json.encode(),
        node_id=artifact.originating_node_id,
    )


def binding_row(
    signing_key: Callable[[], Ed25519PrivateKey],
    artifact: ArtifactRow,
    version: ArtifactVersionRow,
    sizes: Sequence[int],
    label_row: ArtifactLabelRow,
    now: datetime,
) -> ArtifactBindingRow:
    """The node's signature over one content version under one label version."""
    binding = binding_of(artifact, version, sizes, label_row)
    return ArtifactBindingRow(
        version_id=version.id,
        label_id=label_row.id,
        signature=binding.sign(signing_key()),
        signed_at=now,
    )


def check_binding(
    session: Session,
    policy: PolicyService,
    signing_key: Callable[[], Ed25519PrivateKey],
    artifact: ArtifactRow,
    version: ArtifactVersionRow,
    sizes: Sequence[int],
) -> None:
    """Raise BindingInvalid unless the signed binding covers these rows exactly."""
    label_row = current_label(session, artifact)
    signed = session.get(ArtifactBindingRow, (version.id, label_row.id))
    if signed is None:
        raise BindingInvalid(
            f"version {version.number} of {artifact.id} has no binding to its current label"
        )
    if len(sizes) != version.part_count or sum(sizes) != version.size:
        raise BindingInvalid(f"the part rows of version {version.number} do not add up")
    binding = binding_of(artifact, version, sizes, label_row)
    binding.verify(signed.signature, signing_key().public_key())
    resource = session.get(ResourceRow, artifact.id)
    if resource is None or not catalogue_matches(
        session, resource, label_row.label_json, label_row.export_json, policy
    ):
        raise BindingInvalid(
            f"the catalogue label of {artifact.id} differs from its signed label",
            hint="the resources row was changed outside Caveat",
        )
