"""Laboratories' results: checked, converted to the procedure's unit, and stored as
labelled catalogue resources, one per laboratory and item.

A person submits for their own organisation, while the round is open and before its
deadline. Each result is checked on its own (``prepare``) before anything is written, so
a file's faults can all be reported at once (``_upload.py``) and nothing is stored
unless every result is good. Each stored result is a catalogue resource of kind
``test_data`` in the round's project, originated by the laboratory, under the label the
submitter gives or else the round's; who reads it is the permission table's blindness
rule and the policy's decision on that label (``_access.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow, PersonRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.proficiency import (
    ParticipantRow,
    ProcedureVersionRow,
    RoundItemRow,
    RoundRow,
    SubmissionRow,
)
from caveat.domain.errors import Conflict, InvalidInput, PermissionDenied
from caveat.domain.labels import Label
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import ROUND, RoundStatus
from caveat.domain.permissions import Act, Target
from caveat.domain.resources import ResourceKind
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.policy import CatalogueService
from caveat.services.proficiency._access import Viewer, label_of, marking
from caveat.services.proficiency._rounds import items_of
from caveat.services.proficiency._units import Converted, convert
from caveat.services.proficiency._views import ResultDraft, Submission

MAX_REPLICATES = 100
MAX_NOTES = 4000
DEFAULT_COVERAGE = 2.0  # U = k·u with k = 2 when a laboratory gives u without k


@dataclass(frozen=True, slots=True)
class Prepared:
    """A result checked and converted, ready to store."""

    item: RoundItemRow
    draft: ResultDraft
    converted: Converted


@dataclass(frozen=True, slots=True)
class Lab:
    """The submitting laboratory in the round."""

    organisation: OrganisationRow
    code: str


def _number(value: float, field: str, *, low: float | None = None, strict: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a number", code="invalid_input", field=field) from None
    if not math.isfinite(number) or (
        low is not None and (number <= low if strict else number < low)
    ):
        bound = (
            "" if low is None else (f" greater than {low:g}" if strict else f" of at least {low:g}")
        )
        raise InvalidInput(
            f"{field} must be a finite number{bound}", code="invalid_input", field=field
        )
    return number


def submitting_lab(uow: UnitOfWork, by: Principal, round_row: RoundRow) -> Lab:
    """The caller's laboratory, once the round may take its results now."""
    require_move(
        ROUND, "submit", RoundStatus(round_row.status), subject=f"round {round_row.title!r}"
    )
    authorize(
        by,
        Act.PROFICIENCY_SUBMIT,
        Target(organisation_id=by.person.organisation_id),
        now=uow.now,
    )
    participant = uow.session.get(ParticipantRow, (round_row.id, by.person.organisation_id))
    org = uow.session.get(OrganisationRow, by.person.organisation_id)
    if participant is None or org is None:
        raise PermissionDenied(
            "your organisation is not a laboratory of this round",
            code="not_a_round_laboratory",
        )
    if uow.now > round_row.deadline:
        raise Conflict(
            f"the deadline for results was {round_row.deadline.isoformat()}",
            code="deadline_passed",
        )
    return Lab(org, participant.code)


class Preparer:
    """Checks one result after another against the round, its unit and what is stored."""

    def __init__(self, session: Session, round_row: RoundRow, lab: Lab) -> None:
        version = session.get(ProcedureVersionRow, round_row.procedure_version_id)
        assert version is not None
        self.unit = version.unit
        self._items = {item.name: item for item in items_of(session, round_row.id)}
        self._done = set(
            session.scalars(
                select(SubmissionRow.item_id).where(
                    SubmissionRow.round_id == round_row.id,
                    SubmissionRow.organisation_id == lab.organisation.id,
                )
            )
        )

    def prepare(self, draft: ResultDraft, where: str = "", *, replacing: bool = False) -> Prepared:
        """One result checked and converted; the error names the field at fault. With
        ``replacing``, the laboratory's result for the item must exist (it is replaced)."""
        item = self._items.get(draft.item.strip())
        if item is None:
            raise InvalidInput(
                f"the round has no item {draft.item!r}",
                code="unknown_round_item",
                field=f"{where}item",
                hint="items: " + ", ".join(sorted(self._items)),
            )
        if replacing and item.id not in self._done:
            raise Conflict(
                f"your laboratory has no result for {item.name!r} to replace",
                code="nothing_to_replace",
                field=f"{where}item",
            )
        if not replacing and item.id in self._done:
            raise Conflict(
                f"your laboratory has submitted a result for {item.name!r} already",
                code="already_submitted",
                field=f"{where}item",
            )
        value = _number(draft.value, f"{where}value")
        u = None
        if draft.standard_uncertainty is not None:
            u = _number(draft.standard_uncertainty, f"{where}standard_uncertainty", low=0.0)
        k = None
        if draft.coverage_factor is not None:
            k = _number(draft.coverage_factor, f"{where}coverage_factor", low=0.0, strict=True)
        if len(draft.replicates) > MAX_REPLICATES:
            raise InvalidInput(
                f"at most {MAX_REPLICATES} replicates",
                code="invalid_input",
                field=f"{where}replicates",
            )
        replicates = [_number(r, f"{where}replicates") for r in draft.replicates]
        if len(draft.notes) > MAX_NOTES:
            raise InvalidInput(
                f"notes take at most {MAX_NOTES} characters",
                code="invalid_input",
                field=f"{where}notes",
            )
        converted = convert(
            value, u, replicates, unit=draft.unit, to=self.unit, field=f"{where}unit"
        )
        self._done.add(item.id)
        return Prepared(
            item,
            ResultDraft(
                item.name, value, draft.unit.strip(), u, k, tuple(replicates), draft.notes.strip()
            ),
            converted,
        )


def store_in(
    uow: UnitOfWork,
    by: Principal,
    catalogue: CatalogueService,
    round_row: RoundRow,
    lab: Lab,
    prepared: Sequence[Prepared],
    label: Label,
    *,
    source: dict[str, str] | None = None,
) -> list[SubmissionRow]:
    """Store checked results, each a catalogue resource, and one event for them all."""
    rows = []
    for result in prepared:
        registered = catalogue.register_in(
            uow,
            by,
            project=round_row.project_id,
            kind=ResourceKind.TEST_DATA.value,
            title=f"{round_row.title}: {result.item.name}, laboratory {lab.code}"[:300],
            label=label,
            originator=lab.organisation.id,
        )
        draft, converted = result.draft, result.converted
        row = SubmissionRow(
            id=registered.id,
            round_id=round_row.id,
            item_id=result.item.id,
            organisation_id=lab.organisation.id,
            value=converted.value,
            standard_uncertainty=converted.standard_uncertainty,
            coverage_factor=draft.coverage_factor,
            replicates_json=json.dumps(list(converted.replicates)),
            unit=draft.unit,
            reported_value=draft.value,
            reported_uncertainty=draft.standard_uncertainty,
            reported_replicates_json=json.dumps(list(draft.replicates)),
            notes=draft.notes,
            submitted_by=by.person_id,
            submitted_at=uow.now,
        )
        uow.session.add(row)
        rows.append(row)
    uow.session.flush()
    uow.record(
        "proficiency.results_submitted",
        by.actor(),
        target_id=round_row.id,
        data={
            "organisation_id": lab.organisation.id,
            "code": lab.code,
            "submissions": [
                {"id": r.id, "item": p.item.name} for r, p in zip(rows, prepared, strict=True)
            ],
            "source": source or {"via": "form"},
        },
    )
    return rows


@dataclass(frozen=True, slots=True)
class Stored:
    """A submission row with its catalogue row, laboratory and code."""

    submission: SubmissionRow
    resource: ResourceRow
    organisation: OrganisationRow
    code: str
    item: RoundItemRow


def stored(session: Session, round_row: RoundRow) -> list[Stored]:
    """Every submission of the round, by item and code."""
    found = session.execute(
        select(SubmissionRow, ResourceRow, OrganisationRow, ParticipantRow.code, RoundItemRow)
        .join(ResourceRow, ResourceRow.id == SubmissionRow.id)
        .join(OrganisationRow, OrganisationRow.id == SubmissionRow.organisation_id)
        .join(
            ParticipantRow,
            (ParticipantRow.round_id == SubmissionRow.round_id)
            & (ParticipantRow.organisation_id == SubmissionRow.organisation_id),
        )
        .join(RoundItemRow, RoundItemRow.id == SubmissionRow.item_id)
        .where(SubmissionRow.round_id == round_row.id)
        .order_by(RoundItemRow.position, ParticipantRow.code)
    )
    return [Stored(s, r, o, c, i) for s, r, o, c, i in found]


def readable(session: Session, who: Viewer, round_row: RoundRow) -> tuple[list[Stored], int]:
    """The submissions the caller may read (blindness rule, then the policy), and how
    many others there are (counted only once the round is closed: before, even how many
    laboratories have submitted is the coordinator's to know)."""
    out, hidden = [], 0
    for entry in stored(session, round_row):
        if who.sees_results_of(round_row, entry.organisation.id) and who.may_read(entry.resource):
            out.append(entry)
        else:
            hidden += 1
    return out, hidden if round_row.status == RoundStatus.CLOSED.value else 0


def submission_view(
    session: Session, who: Viewer, round_row: RoundRow, entry: Stored, unit: str
) -> Submission:
    """One readable submission as the caller sees it."""
    sub = entry.submission
    name, _ = who.shown(round_row, entry.organisation, entry.code)
    person = session.get(PersonRow, sub.submitted_by)
    label = label_of(entry.resource, who.policy)
    expanded = None
    if sub.standard_uncertainty is not None:
        expanded = (sub.coverage_factor or DEFAULT_COVERAGE) * sub.standard_uncertainty
    own = entry.organisation.id == who.principal.person.organisation_id
    known = who.knows_identity(round_row, entry.organisation.id)
    return Submission(
        id=sub.id,
        round_id=sub.round_id,
        item=entry.item.name,
        laboratory=name,
        code=entry.code,
        own=own,
        value=sub.value,
        standard_uncertainty=sub.standard_uncertainty,
        coverage_factor=sub.coverage_factor,
        expanded_uncertainty=expanded,
        replicates=tuple(json.loads(sub.replicates_json)),
        unit=unit,
        reported_value=sub.reported_value,
        reported_uncertainty=sub.reported_uncertainty,
        reported_replicates=tuple(json.loads(sub.reported_replicates_json)),
        reported_unit=sub.unit,
        notes=sub.notes,
        submitted_by=person.username if person is not None and known else "",
        submitted_at=sub.submitted_at,
        label=label,
        marking=marking(label, who.policy),
        revision=sub.revision or 1,
    )
