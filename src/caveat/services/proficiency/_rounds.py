"""Proficiency rounds: opened by a programme manager on an approved procedure version,
with a coordinator from the project, the participating laboratories under codes dealt
at random, the items, the deadline and every statistical choice the close will follow.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow, PersonRow
from caveat.adapters.db.models.policy import ProjectMemberRow, ResourceRow
from caveat.adapters.db.models.proficiency import (
    ParticipantRow,
    ProcedureRow,
    ProcedureVersionRow,
    RoundItemRow,
    RoundRow,
    SubmissionRow,
)
from caveat.domain.errors import Conflict, InvalidInput
from caveat.domain.labels import Label, label_from_canonical_json, label_to_canonical_json
from caveat.domain.lifecycles import ProcedureStatus, RoundStatus
from caveat.domain.names import clean_name
from caveat.services.kernel.lookup import by_reference
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.records import find_organisation
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.policy import PolicyService
from caveat.services.proficiency._access import Viewer, marking, procedure_missing
from caveat.services.proficiency._views import (
    ItemDraft,
    Laboratory,
    Methods,
    Round,
    RoundDraft,
    RoundItem,
)
from caveat.services.projects import find_project

# The domain's choices by name (caveat.domain.proficiency is imported only to compute:
# it brings numpy). tests/proficiency keeps these equal to the domain's enums.
ROBUST_METHODS = ("algorithm_a", "q_hampel", "median_niqr", "median_made")
ASSIGNED_METHODS = ("consensus", "reference_value", "certified_value", "formulation")
SIGMA_METHODS = ("robust_sd_of_round", "prescribed", "fitness_for_purpose")
EN_BOUNDARIES = ("satisfactory_at_limit", "unsatisfactory_at_limit")
ROUND_KINDS = ("proficiency", "precision_study")
MINIMUM_LABORATORIES = 3  # ISO 13528's robust statistics need three results at least
MAXIMUM_LABORATORIES = 2000
MAXIMUM_ITEMS = 50


def _choice(value: str, allowed: Sequence[str], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(
            f"{field} is one of {', '.join(allowed)}",
            code="invalid_input",
            field=field,
        )
    return value


def _finite(value: float | None, field: str, *, positive: bool = False) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not math.isfinite(number) or (positive and number <= 0.0):
        what = "a number greater than zero" if positive else "a finite number"
        raise InvalidInput(f"{field} must be {what}", code="invalid_input", field=field)
    return number


def check_methods(methods: Methods) -> Methods:
    """The choices, refused with the field named when one is not an option."""
    _choice(methods.robust_method, ROBUST_METHODS, "robust_method")
    _choice(methods.assigned_method, ASSIGNED_METHODS, "assigned_method")
    _choice(methods.sigma_method, SIGMA_METHODS, "sigma_method")
    _choice(methods.en_boundary, EN_BOUNDARIES, "en_boundary")
    if methods.sigma_method != "robust_sd_of_round":
        if methods.sigma_value is None:
            raise InvalidInput(
                f"sigma_method {methods.sigma_method} needs sigma_value (sigma_pt, or the share "
                "of x_pt for fitness for purpose)",
                code="invalid_input",
                field="sigma_value",
            )
        _finite(methods.sigma_value, "sigma_value", positive=True)
    warning = _finite(methods.warning_limit, "warning_limit", positive=True)
    action = _finite(methods.action_limit, "action_limit", positive=True)
    _finite(methods.en_limit, "en_limit", positive=True)
    if warning is not None and action is not None and warning > action:
        raise InvalidInput(
            "the warning limit cannot exceed the action limit",
            code="invalid_input",
            field="warning_limit",
        )
    return methods


def _items(drafts: Sequence[ItemDraft], assigned_method: str) -> list[ItemDraft]:
    if not 1 <= len(drafts) <= MAXIMUM_ITEMS:
        raise InvalidInput(
            f"a round has 1 to {MAXIMUM_ITEMS} items", code="invalid_input", field="items"
        )
    seen: set[str] = set()
    out = []
    for i, item in enumerate(drafts):
        where = f"items[{i}]"
        name = clean_name(
            item.name, field=f"{where}.name", what="an item name", shortest=1, longest=120
        )
        if name in seen:
            raise InvalidInput(
                f"two items are called {name!r}", code="invalid_input", field=f"{where}.name"
            )
        seen.add(name)
        value = _finite(item.assigned_value, f"{where}.assigned_value")
        u = _finite(item.assigned_uncertainty, f"{where}.assigned_uncertainty")
        k = _finite(item.assigned_coverage, f"{where}.assigned_coverage", positive=True)
        if u is not None and u < 0:
            raise InvalidInput(
                "an uncertainty cannot be negative",
                code="invalid_input",
                field=f"{where}.assigned_uncertainty",
            )
        if assigned_method != "consensus" and (value is None or u is None):
            raise InvalidInput(
                f"assigned_method {assigned_method} needs each item's assigned value and its "
                "uncertainty",
                code="invalid_input",
                field=f"{where}.assigned_value"
                if value is None
                else f"{where}.assigned_uncertainty",
            )
        if assigned_method == "certified_value" and k is None:
            raise InvalidInput(
                "a certified value takes its expanded uncertainty with its coverage factor",
                code="invalid_input",
                field=f"{where}.assigned_coverage",
            )
        out.append(ItemDraft(name, value, u, k))
    return out


def _member(session: Session, project_id: str, person_id: str, now: datetime) -> bool:
    found = session.scalar(
        select(ProjectMemberRow.id).where(
            ProjectMemberRow.project_id == project_id,
            ProjectMemberRow.person_id == person_id,
            or_(ProjectMemberRow.expires_at.is_(None), ProjectMemberRow.expires_at > now),
        )
    )
    return found is not None


def _coordinator(uow: UnitOfWork, by: Acting, ref: str | None, project_id: str) -> PersonRow:
    if ref is None and isinstance(by, Principal):
        ref = by.person_id
    if ref is None:
        raise InvalidInput(
            "name the round's coordinator", code="invalid_input", field="coordinator"
        )
    person = by_reference(uow.session, PersonRow, ref, PersonRow.username)
    if person is None or not _member(uow.session, project_id, person.id, uow.now):
        raise InvalidInput(
            f"{ref!r} is not a current member of the round's project",
            code="coordinator_not_member",
            field="coordinator",
            hint="add them to the project first",
        )
    return person


def _laboratories(uow: UnitOfWork, refs: Sequence[str]) -> list[OrganisationRow]:
    if not MINIMUM_LABORATORIES <= len(refs) <= MAXIMUM_LABORATORIES:
        raise InvalidInput(
            f"a round has {MINIMUM_LABORATORIES} to {MAXIMUM_LABORATORIES} laboratories "
            "(ISO 13528's robust statistics need three results at least)",
            code="invalid_input",
            field="laboratories",
        )
    labs = [find_organisation(uow.session, ref) for ref in refs]
    if len({lab.id for lab in labs}) != len(labs):
        raise InvalidInput(
            "a laboratory is named twice", code="invalid_input", field="laboratories"
        )
    return labs


def codes(count: int) -> list[str]:
    """L01, L02, ... (three digits from a hundred laboratories)."""
    width = max(2, len(str(count)))
    return [f"L{n:0{width}d}" for n in range(1, count + 1)]


def open_in(uow: UnitOfWork, by: Acting, draft: RoundDraft, label: Label) -> RoundRow:
    """A new open round and its event (the caller is authorized; the procedure version
    is approved and, for a person, one they may read: checked by the caller)."""
    project = find_project(uow.session, draft.project)
    version = uow.session.get(ProcedureVersionRow, draft.procedure_version)
    procedure = None if version is None else uow.session.get(ProcedureRow, version.procedure_id)
    if version is None or procedure is None or procedure.project_id != project.id:
        raise procedure_missing(draft.procedure_version)
    if version.status != ProcedureStatus.APPROVED.value:
        raise Conflict(
            f"version {version.version} of {procedure.name!r} is {version.status}; a round "
            "follows an approved version",
            code="procedure_not_approved",
            field="procedure_version",
        )
    title = clean_name(draft.title, field="title", what="a round title", shortest=2, longest=300)
    if draft.deadline.tzinfo is None or draft.deadline <= uow.now:
        raise InvalidInput(
            "the deadline must be a time in the future (with its time zone)",
            code="invalid_input",
            field="deadline",
        )
    methods = check_methods(draft.methods)
    kind = _choice(draft.kind, ROUND_KINDS, "kind")
    items = _items(draft.items, methods.assigned_method)
    coordinator = _coordinator(uow, by, draft.coordinator, project.id)
    labs = _laboratories(uow, draft.laboratories)
    row = RoundRow(
        id=str(uuid.uuid4()),
        project_id=project.id,
        procedure_version_id=version.id,
        title=title,
        coordinator_id=coordinator.id,
        deadline=draft.deadline,
        status=RoundStatus.OPEN.value,
        robust_method=methods.robust_method,
        assigned_method=methods.assigned_method,
        sigma_method=methods.sigma_method,
        sigma_value=methods.sigma_value,
        warning_limit=methods.warning_limit,
        action_limit=methods.action_limit,
        en_limit=methods.en_limit,
        en_boundary=methods.en_boundary,
        reveal_identities=draft.reveal_identities,
        label_json=label_to_canonical_json(label).decode(),
        opened_by=by.person_id if isinstance(by, Principal) else None,
        opened_at=uow.now,
        closed_at=None,
        kind=kind,
    )
    uow.session.add(row)
    uow.session.flush()
    for position, item in enumerate(items):
        uow.session.add(
            RoundItemRow(
                id=str(uuid.uuid4()),
                round_id=row.id,
                position=position,
                name=item.name,
                assigned_value=item.assigned_value,
                assigned_uncertainty=item.assigned_uncertainty,
                assigned_coverage=item.assigned_coverage,
            )
        )
    # Codes are dealt at random, so the order labs were named in tells nothing.
    dealt = list(labs)
    random.SystemRandom().shuffle(dealt)
    for code, lab in zip(codes(len(dealt)), dealt, strict=True):
        uow.session.add(ParticipantRow(round_id=row.id, organisation_id=lab.id, code=code))
    uow.session.flush()
    uow.record(
        "proficiency.round_opened",
        by.actor(),
        target_id=row.id,
        data={
            "project_id": project.id,
            "title": title,
            "procedure_version_id": version.id,
            "coordinator_id": coordinator.id,
            "deadline": draft.deadline.isoformat(),
            "laboratories": sorted(lab.id for lab in labs),
            "items": [item.name for item in items],
            "methods": {
                "robust_method": methods.robust_method,
                "assigned_method": methods.assigned_method,
                "sigma_method": methods.sigma_method,
                "sigma_value": methods.sigma_value,
                "warning_limit": methods.warning_limit,
                "action_limit": methods.action_limit,
                "en_limit": methods.en_limit,
                "en_boundary": methods.en_boundary,
            },
            "reveal_identities": draft.reveal_identities,
            "label": row.label_json,
            "kind": kind,
        },
    )
    return row


def methods_of(row: RoundRow) -> Methods:
    """The round's stored choices."""
    return Methods(
        robust_method=row.robust_method,
        assigned_method=row.assigned_method,
        sigma_method=row.sigma_method,
        sigma_value=row.sigma_value,
        warning_limit=row.warning_limit,
        action_limit=row.action_limit,
        en_limit=row.en_limit,
        en_boundary=row.en_boundary,
    )


def round_label(row: RoundRow, policy: PolicyService) -> Label:
    """The label the round's submissions take by default."""
    return label_from_canonical_json(
        row.label_json.encode(), schemes=policy.schemes, check_rules=False
    )


def items_of(session: Session, round_id: str) -> list[RoundItemRow]:
    """The round's items in their order."""
    return list(
        session.scalars(
            select(RoundItemRow)
            .where(RoundItemRow.round_id == round_id)
            .order_by(RoundItemRow.position)
        )
    )


def participants_of(
    session: Session, round_id: str
) -> list[tuple[ParticipantRow, OrganisationRow]]:
    """The round's laboratories by code."""
    return [
        (p, o)
        for p, o in session.execute(
            select(ParticipantRow, OrganisationRow)
            .join(OrganisationRow, OrganisationRow.id == ParticipantRow.organisation_id)
            .where(ParticipantRow.round_id == round_id)
            .order_by(ParticipantRow.code)
        )
    ]


def round_view(session: Session, row: RoundRow, policy: PolicyService, who: Viewer | None) -> Round:
    """The round as ``who`` sees it (None: the console that opened it)."""
    version = session.get(ProcedureVersionRow, row.procedure_version_id)
    assert version is not None
    readable = who is None or who.may_read(session.get(ResourceRow, version.id))
    coordinator = session.get(PersonRow, row.coordinator_id)
    assert coordinator is not None
    labs = []
    mine = None
    version_numbers: dict[str, int] = {}
    for participant, org in participants_of(session, row.id):
        own = who is not None and org.id == who.principal.person.organisation_id
        if own:
            mine = participant.code
        if who is None:
            name, known = f"{participant.code} {org.short_name or org.name}", True
        else:
            name, known = who.shown(row, org, participant.code)
        declared, deviates = None, False
        if participant.declared_version_id is not None and (
            who is None or who.sees_results_of(row, org.id)
        ):
            vid = participant.declared_version_id
            if vid not in version_numbers:
                found = session.get(ProcedureVersionRow, vid)
                version_numbers[vid] = found.version if found is not None else 0
            declared, deviates = version_numbers[vid], vid != row.procedure_version_id
        labs.append(
            Laboratory(participant.code, name, org.id if known else None, own, declared, deviates)
        )
    is_coordinator = who is not None and who.principal.person_id == row.coordinator_id
    submitted = None
    if who is None or is_coordinator:
        submitted = int(
            session.scalar(
                select(func.count(func.distinct(SubmissionRow.organisation_id))).where(
                    SubmissionRow.round_id == row.id
                )
            )
            or 0
        )
    label = round_label(row, policy)
    return Round(
        id=row.id,
        title=row.title,
        project_id=row.project_id,
        procedure_version_id=row.procedure_version_id,
        measurand=version.measurand if readable else None,
        unit=version.unit if readable else None,
        coordinator=coordinator.username,
        deadline=row.deadline,
        status=row.status,
        methods=methods_of(row),
        reveal_identities=row.reveal_identities,
        label=label,
        marking=marking(label, policy),
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        items=tuple(
            RoundItem(i.id, i.name, i.assigned_value, i.assigned_uncertainty, i.assigned_coverage)
            for i in items_of(session, row.id)
        ),
        laboratories=tuple(labs),
        my_code=mine,
        is_coordinator=is_coordinator,
        submitted=submitted,
        kind=row.kind or "proficiency",
    )


def visible_rounds(session: Session, who: Viewer) -> list[RoundRow]:
    """The rounds of the caller's current projects, newest first."""
    projects = sorted(who.facts.projects) if who.facts.account_ok else []
    if not projects:
        return []
    return list(
        session.scalars(
            select(RoundRow)
            .where(RoundRow.project_id.in_(projects))
            .order_by(RoundRow.opened_at.desc(), RoundRow.id)
        )
    )
