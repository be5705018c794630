"""Replacing a laboratory's result while the round is open.

A laboratory may find a mistake after submitting: while the round is open and before
its deadline, its own people (the permission table's ``proficiency.submit`` on their
organisation) may replace the result for an item. The replaced content is kept in
``proficiency_submission_versions`` with who wrote it and who replaced it, the
submission's ``revision`` counts up, and one ``proficiency.result_replaced`` event is
written in the same transaction. After close (or cancel) nothing is replaced: the
round's lifecycle refuses the move (``round_not_open``).

The replacement keeps the submission's label or tightens it, never loosens it (a looser
label is a release: ``edit_loosens_label``, as for an edited discussion message); a
tighter one is written through the catalogue (``resource.relabelled``). A result the
caller may not read (its label) is answered as one that does not exist.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.proficiency import (
    RoundRow,
    SubmissionRow,
    SubmissionVersionRow,
)
from caveat.domain.errors import Conflict, NotFound, PermissionDenied
from caveat.domain.labels import Label, label_to_canonical_json
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.policy import CatalogueService
from caveat.services.proficiency._access import Viewer, label_of
from caveat.services.proficiency._submissions import Lab, Prepared
from caveat.services.proficiency._workflow_views import SubmissionVersion


def replace_in(
    uow: UnitOfWork,
    by: Principal,
    catalogue: CatalogueService,
    who: Viewer,
    round_row: RoundRow,
    lab: Lab,
    prepared: Prepared,
    label: Label | None,
) -> SubmissionRow:
    """Replace the laboratory's result for the prepared item (checks: the caller's)."""
    sub = uow.session.scalar(
        select(SubmissionRow).where(
            SubmissionRow.round_id == round_row.id,
            SubmissionRow.item_id == prepared.item.id,
            SubmissionRow.organisation_id == lab.organisation.id,
        )
    )
    resource = None if sub is None else uow.session.get(ResourceRow, sub.id)
    if sub is None or resource is None or not who.may_read(resource):
        raise Conflict(
            f"your laboratory has no result for {prepared.item.name!r} to replace",
            code="nothing_to_replace",
            field="item",
        )
    relabelled = None
    if label is not None:
        current = label_of(resource, who.policy)
        export = catalogue.current_export(resource)
        if not catalogue.tightens(resource, label, export, uow.now.date()):
            raise PermissionDenied(
                "a replaced result keeps its label or tightens it, never loosens it",
                code="edit_loosens_label",
                field="label",
                hint="a looser label is a release: ask for one through the release workflow",
            )
        if label_to_canonical_json(label) != label_to_canonical_json(current):
            relabelled = catalogue.relabel_in(uow, by, sub.id, label=label).label
    kept = SubmissionVersionRow(
        id=str(uuid.uuid4()),
        submission_id=sub.id,
        revision=sub.revision or 1,
        value=sub.value,
        standard_uncertainty=sub.standard_uncertainty,
        coverage_factor=sub.coverage_factor,
        replicates_json=sub.replicates_json,
        unit=sub.unit,
        reported_value=sub.reported_value,
        reported_uncertainty=sub.reported_uncertainty,
        reported_replicates_json=sub.reported_replicates_json,
        notes=sub.notes,
        submitted_by=sub.submitted_by,
        submitted_at=sub.submitted_at,
        replaced_by=by.person_id,
        replaced_at=uow.now,
    )
    uow.session.add(kept)
    draft, converted = prepared.draft, prepared.converted
    sub.value = converted.value
    sub.standard_uncertainty = converted.standard_uncertainty
    sub.coverage_factor = draft.coverage_factor
    sub.replicates_json = json.dumps(list(converted.replicates))
    sub.unit = draft.unit
    sub.reported_value = draft.value
    sub.reported_uncertainty = draft.standard_uncertainty
    sub.reported_replicates_json = json.dumps(list(draft.replicates))
    sub.notes = draft.notes
    sub.submitted_by = by.person_id
    sub.submitted_at = uow.now
    sub.revision = kept.revision + 1
    uow.session.flush()
    data: dict[str, object] = {
        "submission_id": sub.id,
        "item": prepared.item.name,
        "organisation_id": lab.organisation.id,
        "code": lab.code,
        "revision": sub.revision,
        "replaced_revision": kept.revision,
        "history_id": kept.id,
    }
    if relabelled is not None:
        data["label"] = label_to_canonical_json(relabelled).decode()
    uow.record("proficiency.result_replaced", by.actor(), target_id=round_row.id, data=data)
    return sub


def submission_missing(ref: str) -> NotFound:
    """The one answer for a result that does not exist and one the caller may not read."""
    return NotFound(f"no proficiency result {ref!r}", code="unknown_submission")


def history(
    session: Session, who: Viewer, submission_id: str
) -> tuple[RoundRow, str, list[SubmissionVersion]]:
    """The round, the laboratory, and every revision of a result, oldest first, the
    current one last: read under the same rules as the result itself (blind until
    close, then the policy)."""
    from caveat.adapters.db.models import PersonRow

    sub = session.get(SubmissionRow, submission_id)
    round_row = None if sub is None else session.get(RoundRow, sub.round_id)
    resource = None if sub is None else session.get(ResourceRow, sub.id)
    if (
        sub is None
        or round_row is None
        or not who.member_of(round_row.project_id)
        or not who.sees_results_of(round_row, sub.organisation_id)
        or not who.may_read(resource)
    ):
        raise submission_missing(submission_id)
    known = who.knows_identity(round_row, sub.organisation_id)

    def person(person_id: str | None) -> str:
        row = None if person_id is None else session.get(PersonRow, person_id)
        return row.username if row is not None and known else ""

    kept = session.scalars(
        select(SubmissionVersionRow)
        .where(SubmissionVersionRow.submission_id == sub.id)
        .order_by(SubmissionVersionRow.revision)
    ).all()
    out = [
        SubmissionVersion(
            submission_id=sub.id,
            revision=k.revision,
            current=False,
            value=k.value,
            standard_uncertainty=k.standard_uncertainty,
            coverage_factor=k.coverage_factor,
            replicates=tuple(json.loads(k.replicates_json)),
            reported_value=k.reported_value,
            reported_unit=k.unit,
            notes=k.notes,
            submitted_by=person(k.submitted_by),
            submitted_at=k.submitted_at,
            replaced_by=person(k.replaced_by),
            replaced_at=k.replaced_at,
        )
        for k in kept
    ]
    out.append(
        SubmissionVersion(
            submission_id=sub.id,
            revision=sub.revision or 1,
            current=True,
            value=sub.value,
            standard_uncertainty=sub.standard_uncertainty,
            coverage_factor=sub.coverage_factor,
            replicates=tuple(json.loads(sub.replicates_json)),
            reported_value=sub.reported_value,
            reported_unit=sub.unit,
            notes=sub.notes,
            submitted_by=person(sub.submitted_by),
            submitted_at=sub.submitted_at,
            replaced_by="",
            replaced_at=None,
        )
    )
    return round_row, sub.organisation_id, out
