"""Relabelling: a new label version (history kept) and a new binding per content version.

The catalogue row changes through ``CatalogueService.relabel_in`` in the same
transaction, so the policy decides on the new label from the moment it commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.adapters.db.models.artifacts import ArtifactLabelRow, ArtifactRow
from caveat.domain.compliance import require_reason
from caveat.services.artifacts_binding import binding_row
from caveat.services.artifacts_catalogue import (
    DraftLabel,
    draft_label,
    draft_resource,
    new_id,
    require_readable_draft,
)
from caveat.services.artifacts_deps import ArtifactDeps
from caveat.services.artifacts_lookup import (
    discoverable,
    part_sizes,
    require_modify,
    versions_of,
)
from caveat.services.policy_catalogue import CatalogueService
from caveat.services.principal import Principal, Scope
from caveat.services.uow import CallContext, UnitOfWork


class Labelling:
    """New label versions of artifacts."""

    def __init__(self, deps: ArtifactDeps) -> None:
        self._deps = deps

    def relabel(
        self,
        principal: Principal,
        ctx: CallContext,
        artifact_id: str,
        *,
        label: str,
        controls: Sequence[str] = (),
        dual_use: bool = False,
        reason: str,
    ) -> int:
        """Sign every content version under a new label version; its number. The
        ``reason`` (3-2000 characters) goes into the ledger: a marking that changes
        without one cannot be reviewed later."""
        principal.require_scope(Scope.WRITE)
        reason = require_reason(reason)
        deps = self._deps
        policy = deps.policy
        with deps.uow(ctx) as uow:
            session = uow.session
            artifact, resource = discoverable(session, policy, principal, artifact_id, uow.now)
            require_modify(
                session, policy, principal, resource, uow.now, "you may not relabel this artifact"
            )
            draft = draft_label(
                session,
                policy,
                principal,
                text=label,
                controls=list(controls),
                dual_use=dual_use,
                now=uow.now,
            )
            originator = resource.originator_org_id or artifact.originating_org_id
            relabelled = draft_resource(
                policy, artifact.id, artifact.project_id, artifact.kind, draft, originator
            )
            require_readable_draft(session, policy, principal, relabelled, uow.now)
            return write_label_version(
                uow, deps.catalogue, deps.signing_key, principal, artifact, draft, reason=reason
            )


def write_label_version(
    uow: UnitOfWork,
    catalogue: CatalogueService,
    signing_key: Callable[[], Ed25519PrivateKey],
    principal: Principal,
    artifact: ArtifactRow,
    draft: DraftLabel,
    *,
    reason: str = "",
) -> int:
    """Inside ``uow``: the catalogue's new label, the artifact's next label version and a
    new signed binding per content version, with the event; the new version's number.

    The caller has checked that ``principal`` may relabel (``relabel_in`` checks the policy
    again for the catalogue row).
    """
    session = uow.session
    catalogue.relabel_in(uow, principal, artifact.id, label=draft.label, export=draft.export)
    artifact.label_seq += 1
    label_row = ArtifactLabelRow(
        id=new_id(),
        artifact_id=artifact.id,
        seq=artifact.label_seq,
        label_json=draft.label_json,
        export_json=draft.export_json,
        banner=draft.banner,
        created_by=principal.person_id,
        created_at=uow.now,
    )
    session.add(label_row)
    session.flush()
    for version in versions_of(session, artifact.id):
        sizes = part_sizes(session, version.id)
        session.add(binding_row(signing_key, artifact, version, sizes, label_row, uow.now))
    uow.record(
        "artifact.relabelled",
        principal.actor(),
        target_id=artifact.id,
        data={
            "seq": label_row.seq,
            "label": draft.label_json,
            "export": draft.export_json,
            "reason": reason.strip()[:2000],
        },
    )
    return label_row.seq
