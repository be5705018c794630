"""Relabelling: a new label version (history kept) and a new binding per content version.

Marking is the originating organisation's decision (``services.relabels``): its members
tighten directly; anyone else who may read the artifact asks, and a security officer of
the originating organisation decides; anything that loosens becomes a release request.
Omitted controls mean "unchanged", never "none". The catalogue row changes through
``CatalogueService.relabel_in`` (or ``apply_decided`` for an approved request) in the same
transaction, so the policy decides on the new label from the moment it commits, and the
signed label always names the resource's originator, whoever relabels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.artifacts import ArtifactLabelRow, ArtifactRow
from caveat.adapters.db.models.policy import RelabelRequestRow, ResourceRow
from caveat.domain.compliance import ReleaseStatus, require_reason
from caveat.domain.compliance.release import RelabelPath
from caveat.domain.errors import Conflict, NotFound, PermissionDenied
from caveat.domain.export_control import (
    ExportClassification,
    export_from_canonical_json,
    render_control_entry,
)
from caveat.domain.labels import Label, label_from_canonical_json
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action
from caveat.services.artifacts._binding import binding_row
from caveat.services.artifacts._catalogue import (
    DraftLabel,
    draft_label,
    draft_resource,
    new_id,
    require_readable_draft,
)
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._lookup import discoverable, part_sizes, versions_of
from caveat.services.artifacts._relabels import (
    RelabelOutcome,
    RelabelPreview,
    RelabelRequest,
    access_changes,
    banner_of,
    open_label_release,
    open_relabel_request,
    request_view,
)
from caveat.services.identity import find_person
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork
from caveat.services.policy import CatalogueService, find_resource, refuse_received, resource_of


@dataclass(frozen=True, slots=True)
class Decided:
    """An approved request whose label is being applied: the decision (``act``) is
    authorized again for the approver when the catalogue row changes."""

    act: Act
    requested_by: str


@dataclass(frozen=True, slots=True)
class _Plan:
    path: RelabelPath
    draft: DraftLabel
    current: Label
    target: Target


class Labelling:
    """New label versions of artifacts, relabel requests and their decisions."""

    def __init__(self, deps: ArtifactDeps) -> None:
        self._deps = deps

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
    ) -> RelabelOutcome:
        """Relabel, ask for a relabel, or ask for a release, whichever the change is.

        ``controls`` / ``dual_use`` None keep the current export classification. The
        ``reason`` (3-2000 characters) goes into the ledger: a marking that changes
        without one cannot be reviewed later."""
        reason = require_reason(reason)
        deps = self._deps
        with deps.uow(ctx) as uow:
            artifact, resource = discoverable(
                uow.session, deps.policy, principal, artifact_id, uow.now
            )
            # Refused before any request is made of a local "originator" who is not one.
            refuse_received(uow.session, artifact.id, "relabel")
            plan = self._plan(uow.session, principal, resource, label, controls, dual_use, uow.now)
            if plan.path is RelabelPath.APPLIED:
                authorize(principal, Act.RELABEL_TIGHTEN, plan.target, now=uow.now)
                seq = write_label_version(
                    uow,
                    deps.catalogue,
                    deps.signing_key,
                    principal,
                    artifact,
                    plan.draft,
                    reason=reason,
                )
                return RelabelOutcome(RelabelPath.APPLIED, label_seq=seq)
            if plan.path is RelabelPath.REQUESTED:
                authorize(principal, Act.RELABEL_REQUEST, plan.target, now=uow.now)
                row = open_relabel_request(uow, principal, resource, plan.draft, reason)
                uow.session.flush()
                view = request_view(row, deps.policy.schemes)
                return RelabelOutcome(RelabelPath.REQUESTED, request=view)
            authorize(principal, Act.RELEASE_REQUEST, plan.target, now=uow.now)
            release = open_label_release(uow, principal, resource, plan.current, plan.draft, reason)
            return RelabelOutcome(RelabelPath.RELEASE_REQUESTED, release_id=release.id)

    def preview(
        self,
        principal: Principal,
        artifact_id: str,
        *,
        label: str,
        controls: Sequence[str] | None = None,
        dual_use: bool | None = None,
    ) -> RelabelPreview:
        """What :meth:`relabel` would do with these values, and who would gain and who
        would lose read access (people counted per organisation); changes nothing."""
        deps = self._deps
        with deps.uow.read() as session:
            now = deps.uow.clock()
            artifact, resource = discoverable(session, deps.policy, principal, artifact_id, now)
            plan = self._plan(session, principal, resource, label, controls, dual_use, now)
            before = resource_of(resource, deps.policy.schemes)
            after = draft_resource(
                deps.policy,
                artifact.id,
                artifact.project_id,
                artifact.kind,
                plan.draft,
                resource.originator_org_id or artifact.originating_org_id,
            )
            gains, loses = access_changes(session, deps.policy, before, after, now)
            return RelabelPreview(
                plan.path,
                plan.draft.banner,
                tuple(render_control_entry(e) for e in plan.draft.export.entries),
                plan.draft.export.dual_use,
                gains,
                loses,
            )

    def requests(self, by: Principal, *, awaiting: bool = False) -> list[RelabelRequest]:
        """Relabel requests the person asked for, and those on resources of their own
        organisation they may decide (security officers); ``awaiting``: only the pending
        ones waiting for their decision."""
        deps = self._deps
        with deps.uow.read() as session:
            now = deps.uow.clock()
            query = select(RelabelRequestRow).order_by(
                RelabelRequestRow.requested_at, RelabelRequestRow.id
            )
            if awaiting:
                query = query.where(RelabelRequestRow.status == ReleaseStatus.PENDING.value)
            out = []
            for row in session.scalars(query):
                resource = session.get(ResourceRow, row.resource_id)
                if resource is None:
                    continue
                decides = (
                    self._may_decide(by, resource, row, now)
                    and deps.policy.decide_row(
                        session, by, Action.DISCOVER, resource, now
                    ).permitted
                )
                if decides or (not awaiting and row.requested_by == by.person_id):
                    out.append(request_view(row, deps.policy.schemes))
            return out

    def decide(
        self, by: Principal, ctx: CallContext, request_id: str, *, approve: bool, reason: str
    ) -> RelabelRequest:
        """A security officer of the originating organisation approves (a new signed
        label version, the requester's reason and the decision in the ledger) or denies
        (why, recorded); never a request they made."""
        reason = require_reason(reason)
        deps = self._deps
        with deps.uow(ctx) as uow:
            session = uow.session
            row = session.get(RelabelRequestRow, request_id)
            resource = None if row is None else session.get(ResourceRow, row.resource_id)
            if (
                row is None
                or resource is None
                or not deps.policy.decide_row(
                    session, by, Action.DISCOVER, resource, uow.now
                ).permitted
            ):
                raise NotFound(f"no relabel request {request_id!r}", code="unknown_relabel")
            target = Target(
                originator_org_id=resource.originator_org_id, requested_by=row.requested_by
            )
            authorize(by, Act.RELABEL_DECIDE, target, now=uow.now)
            if row.status != ReleaseStatus.PENDING.value:
                raise Conflict(f"the relabel request was {row.status}", code="relabel_decided")
            label = label_from_canonical_json(
                row.label_json.encode(), schemes=deps.policy.schemes, check_rules=False
            )
            export = export_from_canonical_json(row.export_json.encode())
            if approve and not deps.catalogue.tightens(resource, label, export, uow.now.date()):
                raise Conflict(
                    "the label has changed since the request: applying it now would loosen it",
                    code="relabel_stale",
                    hint="deny this request; a loosening is asked for as a release",
                )
            row.status = (ReleaseStatus.APPROVED if approve else ReleaseStatus.DENIED).value
            row.decided_by, row.decided_at, row.decision_reason = by.person_id, uow.now, reason
            uow.record(
                "relabel.decided",
                by.actor(),
                target_id=row.id,
                data={"resource_id": resource.id, "approved": approve, "reason": reason},
            )
            if approve:
                self._apply(uow, by, row, resource, label, export, reason)
            return request_view(row, deps.policy.schemes)

    # helpers

    def _plan(
        self,
        session: Session,
        principal: Principal,
        resource: ResourceRow,
        text: str,
        controls: Sequence[str] | None,
        dual_use: bool | None,
        now: datetime,
    ) -> _Plan:
        """Parse the new marking (omitted controls: unchanged) and choose the path."""
        deps = self._deps
        policy, catalogue = deps.policy, deps.catalogue
        read = policy.decide_row(session, principal, Action.READ, resource, now)
        if not read.permitted:
            raise PermissionDenied(
                "you may relabel, or ask for a relabel of, only what you may read",
                code="policy_denied",
                data={"failed": read.failed_codes},
            )
        current_export = catalogue.current_export(resource)
        entries = (
            [render_control_entry(e) for e in current_export.entries]
            if controls is None
            else list(controls)
        )
        draft = draft_label(
            session,
            policy,
            principal,
            text=text,
            controls=entries,
            dual_use=current_export.dual_use if dual_use is None else dual_use,
            now=now,
            originator_org_id=resource.originator_org_id,
        )
        relabelled = draft_resource(
            policy,
            resource.id,
            resource.project_id,
            resource.kind,
            draft,
            resource.originator_org_id or "",
        )
        require_readable_draft(session, policy, principal, relabelled, now)
        assert resource.label_json is not None  # an artifact is always labelled
        current = label_from_canonical_json(
            resource.label_json.encode(), schemes=policy.schemes, check_rules=False
        )
        target = CatalogueService.label_target(resource)
        if not catalogue.tightens(resource, draft.label, draft.export, now.date()):
            path = RelabelPath.RELEASE_REQUESTED
        elif (
            allowed(principal, Act.RELABEL_TIGHTEN, target, now=now)
            and policy.decide_row(session, principal, Action.MODIFY, resource, now).permitted
        ):
            path = RelabelPath.APPLIED
        else:
            path = RelabelPath.REQUESTED
        return _Plan(path, draft, current, target)

    @staticmethod
    def _may_decide(
        by: Principal, resource: ResourceRow, row: RelabelRequestRow, now: datetime
    ) -> bool:
        target = Target(originator_org_id=resource.originator_org_id, requested_by=row.requested_by)
        return allowed(by, Act.RELABEL_DECIDE, target, now=now)

    def _apply(
        self,
        uow: UnitOfWork,
        by: Principal,
        row: RelabelRequestRow,
        resource: ResourceRow,
        label: Label,
        export: ExportClassification,
        reason: str,
    ) -> None:
        deps = self._deps
        label = replace(label, created_at=uow.now)
        decided = Decided(Act.RELABEL_DECIDE, row.requested_by)
        artifact = uow.session.get(ArtifactRow, resource.id)
        if artifact is None:
            deps.catalogue.apply_decided(
                uow,
                by,
                resource.id,
                act=decided.act,
                requested_by=decided.requested_by,
                label=label,
                export=export,
            )
            return
        requester = find_person(uow.session, row.requested_by)
        draft = DraftLabel(label, export, banner_of(label, deps.policy.schemes))
        write_label_version(
            uow,
            deps.catalogue,
            deps.signing_key,
            by,
            artifact,
            draft,
            reason=(
                f"relabel request {row.id} by {requester.username}: {row.reason} "
                f"(approved by the originator: {reason})"
            ),
            decided=decided,
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
    decided: Decided | None = None,
) -> int:
    """Inside ``uow``: the catalogue's new label, the artifact's next label version and a
    new signed binding per content version, with the event; the new version's number.

    Without ``decided`` the change is a direct relabel (``relabel_in`` authorizes it and
    refuses anything that loosens); with it, the label an approved request asked for
    (``apply_decided`` authorizes the decision again).
    """
    session = uow.session
    if decided is None:
        catalogue.relabel_in(uow, principal, artifact.id, label=draft.label, export=draft.export)
    else:
        catalogue.apply_decided(
            uow,
            principal,
            artifact.id,
            act=decided.act,
            requested_by=decided.requested_by,
            label=draft.label,
            export=draft.export,
        )
    stored = find_resource(session, artifact.id)
    if stored.label_json != draft.label_json or stored.export_json != draft.export_json:
        # The signed label must be exactly what the catalogue holds, or no download
        # would verify: fail before anything is signed.
        raise Conflict("the catalogue and the signed label would disagree", code="label_mismatch")
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
