"""What a relabel becomes, and who it changes access for (issue 11).

Marking is the originating organisation's decision. A relabel takes one of three paths:

- **applied**: a member of the originating organisation who may modify the resource
  tightens it (the new label dominates the old and the export classification keeps
  every entry and the dual-use flag);
- **requested**: anyone else who may read it asks; a relabel request waits for a
  security officer of the originating organisation (``Labelling.decide``);
- **release requested**: anything that loosens goes through the release workflow
  (export control officer, originator's security officer, export record), with the exact
  label asked for in ``release_requests.label_json``.

Here: the rows and events of the two requests, the one no-retransfer check both release
paths share, and the preview that counts who gains and who loses read access.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.compliance import (
    AuthorizationRow,
    ExportRecordRow,
    ReleaseRequestRow,
)
from caveat.adapters.db.models.policy import RelabelRequestRow, ResourceRow
from caveat.domain.compliance import ReleaseStatus
from caveat.domain.compliance.release import (
    RelabelPath,
    lifted_by_release,
    release_recipients,
)
from caveat.domain.errors import InvalidInput, PermissionDenied
from caveat.domain.export_control import export_from_canonical_json, render_control_entry
from caveat.domain.labels import (
    InvalidLabel,
    Label,
    SchemeRegistry,
    label_from_canonical_json,
    label_to_canonical_json,
    render_banner,
)
from caveat.domain.policy import Action, Context, Resource, decide
from caveat.services.artifacts._catalogue import DraftLabel
from caveat.services.identity import person_view
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.records import canonical, loads, new_id
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.policy import PolicyService, people_rows, subject_of


@dataclass(frozen=True, slots=True)
class AccessChange:
    """How many people of one organisation gain or lose read access."""

    organisation: str
    nation: str
    people: int


@dataclass(frozen=True, slots=True)
class RelabelPreview:
    """What a relabel would do: its path, the new marking, who gains and who loses read
    access (counted per organisation, never named)."""

    path: RelabelPath
    banner: str
    export: tuple[str, ...]
    dual_use: bool
    gains: tuple[AccessChange, ...]
    loses: tuple[AccessChange, ...]

    @property
    def gained(self) -> int:
        return sum(c.people for c in self.gains)

    @property
    def lost(self) -> int:
        return sum(c.people for c in self.loses)


@dataclass(frozen=True, slots=True)
class RelabelRequest:
    """A request to mark a resource differently, as services hand it out."""

    id: str
    resource_id: str
    requested_by: str
    requested_at: datetime
    banner: str
    export: tuple[str, ...]
    dual_use: bool
    reason: str
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str


@dataclass(frozen=True, slots=True)
class RelabelOutcome:
    """Which path a relabel took: the new label version, the relabel request, or the
    release request it became."""

    path: RelabelPath
    label_seq: int | None = None
    request: RelabelRequest | None = None
    release_id: str | None = None


def banner_of(label: Label, schemes: SchemeRegistry | None) -> str:
    """The banner line, or the canonical JSON where no banner can be drawn."""
    try:
        return render_banner(label, schemes=schemes)
    except (InvalidInput, InvalidLabel):
        return label_to_canonical_json(label).decode()[:500]


def request_view(row: RelabelRequestRow, schemes: SchemeRegistry | None) -> RelabelRequest:
    """The service view of a relabel request row."""
    label = label_from_canonical_json(row.label_json.encode(), schemes=schemes, check_rules=False)
    export = export_from_canonical_json(row.export_json.encode())
    return RelabelRequest(
        row.id,
        row.resource_id,
        row.requested_by,
        row.requested_at,
        banner_of(label, schemes),
        tuple(render_control_entry(e) for e in export.entries),
        export.dual_use,
        row.reason,
        row.status,
        row.decided_by,
        row.decided_at,
        row.decision_reason,
    )


def open_relabel_request(
    uow: UnitOfWork, principal: Principal, resource: ResourceRow, draft: DraftLabel, reason: str
) -> RelabelRequestRow:
    """A pending relabel request for the originator's security officer, with its event."""
    row = RelabelRequestRow(
        id=new_id(),
        resource_id=resource.id,
        requested_by=principal.person_id,
        requested_at=uow.now,
        label_json=draft.label_json,
        export_json=draft.export_json,
        reason=reason,
        status=ReleaseStatus.PENDING.value,
        decision_reason="",
    )
    uow.session.add(row)
    uow.record(
        "relabel.requested",
        principal.actor(),
        target_id=row.id,
        data={
            "resource_id": resource.id,
            "label": row.label_json,
            "export": row.export_json,
            "reason": reason,
        },
    )
    return row


def open_label_release(
    uow: UnitOfWork,
    principal: Principal,
    resource: ResourceRow,
    current: Label,
    draft: DraftLabel,
    justification: str,
) -> ReleaseRequestRow:
    """A pending release request that carries exactly the label asked for (a loosening
    relabel), with its event. Its recipients are the nations the new REL TO adds."""
    require_retransfer_allowed(
        uow.session, resource.id, principal.person.organisation_id, principal.organisation_nation
    )
    originator = resource.originator_nation or (
        current.originator.nation if current.originator else principal.organisation_nation
    )
    recipients = release_recipients(current, draft.label, originator)
    row = ReleaseRequestRow(
        id=new_id(),
        resource_id=resource.id,
        requested_by=principal.person_id,
        requested_at=uow.now,
        nations_json=canonical(list(recipients)),
        organisations_json=canonical([]),
        justification=justification,
        status=ReleaseStatus.PENDING.value,
        controls_json=None,
        dual_use=False,
        dual_use_review="",
        not_controlled_reason="",
        decision_reason="",
        label_json=draft.label_json,
        export_json=draft.export_json,
    )
    uow.session.add(row)
    uow.record(
        "release.requested",
        principal.actor(),
        target_id=row.id,
        data={
            "resource_id": resource.id,
            "nations": loads(row.nations_json),
            "organisations": [],
            "justification": justification,
            "lifts": lifted_by_release(current).value,
            "label": row.label_json,
            "export": row.export_json,
        },
    )
    return row


def require_retransfer_allowed(
    session: Session, resource_id: str, organisation_id: str, nation: str
) -> None:
    """Refuse a release asked for by a recipient of an earlier export made under an
    authorization with the no-retransfer proviso (its recipients may not pass it on)."""
    earlier = session.execute(
        select(ExportRecordRow.recipients_json, AuthorizationRow.number)
        .join(AuthorizationRow, AuthorizationRow.id == ExportRecordRow.authorization_id)
        .where(ExportRecordRow.resource_id == resource_id, AuthorizationRow.no_retransfer)
    ).all()
    for recipients_json, number in earlier:
        recipients = loads(recipients_json)
        if nation in recipients["nations"] or organisation_id in recipients["organisations"]:
            raise PermissionDenied(
                f"received under authorization {number}, which forbids retransfer",
                code="no_retransfer",
                hint="the originator may release it further under a new authorization",
            )


def access_changes(
    session: Session, policy: PolicyService, before: Resource, after: Resource, now: datetime
) -> tuple[tuple[AccessChange, ...], tuple[AccessChange, ...]]:
    """Who gains and who loses read access when ``before`` becomes ``after``: people
    counted per organisation (decided as if each had just proved their second factor)."""
    ctx = Context(now, now, policy.environment())
    gains: Counter[tuple[str, str]] = Counter()
    loses: Counter[tuple[str, str]] = Counter()
    for row in people_rows(session):
        person = person_view(row, now)
        subject = subject_of(session, person)
        was = decide(subject, Action.READ, before, ctx).permitted
        will = decide(subject, Action.READ, after, ctx).permitted
        if was != will:
            key = (person.organisation_name, person.organisation_nation)
            (gains if will else loses)[key] += 1

    def listed(counts: Counter[tuple[str, str]]) -> tuple[AccessChange, ...]:
        return tuple(AccessChange(org, nation, n) for (org, nation), n in sorted(counts.items()))

    return listed(gains), listed(loses)
