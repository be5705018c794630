"""Artifact labels and the checks made before an artifact enters the policy's catalogue.

The catalogue row (``resources``) is what the policy decides on and lists; the artifact
service writes it through ``CatalogueService.register_in`` / ``relabel_in`` in its own
unit of work, so an artifact and its catalogue entry commit together. Here: parsing
the label (banner text such as ``SECRET//REL TO USA, GBR``, or canonical JSON), the
draft resource it would be, membership and "nobody labels above what they may read",
and whether a catalogue row still matches a signed label.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow
from caveat.adapters.db.models.policy import (
    ResourceCaveatRow,
    ResourceControlRow,
    ResourceReleaseRow,
    ResourceRow,
)
from caveat.domain.errors import InvalidInput, PermissionDenied
from caveat.domain.export_control import (
    ExportClassification,
    export_from_canonical_json,
    export_to_canonical_json,
    parse_export_classification,
)
from caveat.domain.labels import (
    InvalidLabel,
    Label,
    Originator,
    label_from_canonical_json,
    label_to_canonical_json,
    parse_marking,
    render_banner,
)
from caveat.domain.policy import Action, Decision, PolicyEnvironment, Resource, make_resource
from caveat.services.kernel.principal import Principal
from caveat.services.policy import PolicyService, subject_of


@dataclass(frozen=True, slots=True)
class DraftLabel:
    """A checked label and export classification, with the originator filled in."""

    label: Label
    export: ExportClassification
    banner: str

    @property
    def label_json(self) -> str:
        return label_to_canonical_json(self.label).decode()

    @property
    def export_json(self) -> str:
        return export_to_canonical_json(self.export).decode()


def parse_label_text(
    text: str | None,
    policy: PolicyService,
    now: datetime,
    *,
    environment: PolicyEnvironment | None = None,
) -> Label:
    """A label from banner or portion text, or canonical JSON; missing or bad: InvalidInput.
    Groups come from ``environment`` when given (one already read), else are read now."""
    if text is None or not text.strip():
        raise InvalidInput(
            "every artifact needs a security label",
            code="label_required",
            field="label",
            hint='for example --label "SECRET//REL TO USA, GBR"',
        )
    try:  # no stripping: a marking is refused here exactly as /labels/parse refuses it
        env = environment or policy.environment()
        if text.startswith("{"):
            return label_from_canonical_json(
                text.encode(), schemes=policy.schemes, groups=env.groups
            )
        return parse_marking(text, groups=env.groups, on=now.date(), schemes=policy.schemes)
    except InvalidInput as exc:  # MarkingError (with position), InvalidLabel, UnknownScheme
        exc.field = "label"
        raise


def draft_label(
    session: Session,
    policy: PolicyService,
    principal: Principal,
    *,
    text: str | None,
    controls: list[str],
    dual_use: bool,
    now: datetime,
    originator_org_id: str | None = None,
) -> DraftLabel:
    """Parse the label and controls. The originator is the uploader's organisation for
    new content, and for a relabel (``originator_org_id``) the resource's originating
    organisation, whoever relabels: the signed label always names the originator the
    catalogue keeps, or the binding would no longer verify."""
    label = parse_label_text(text, policy, now)
    export = parse_export_classification(controls, dual_use=dual_use)
    org = session.get(OrganisationRow, originator_org_id or principal.person.organisation_id)
    assert org is not None
    if originator_org_id is not None:
        if label.originator is not None and label.originator.nation != org.nation:
            raise InvalidInput(
                f"the label names an originator of {label.originator.nation}; "
                f"the originator of this artifact is of {org.nation}",
                code="originator_mismatch",
                field="label",
            )
        label = replace(label, originator=Originator(org.short_name or org.name, org.nation))
    elif label.originator is None:
        label = replace(label, originator=Originator(org.short_name or org.name, org.nation))
    elif label.originator.nation != org.nation:
        raise InvalidInput(
            f"the label names an originator of {label.originator.nation}; "
            f"your organisation is of {org.nation}",
            code="originator_mismatch",
            field="label",
        )
    if label.created_at is None:
        label = replace(label, created_at=now)
    try:
        banner = render_banner(label, schemes=policy.schemes)
    except (InvalidInput, InvalidLabel):
        banner = label_to_canonical_json(label).decode()[:500]
    return DraftLabel(label, export, banner)


def draft_resource(
    policy: PolicyService, resource_id: str, project_id: str, kind: str, draft: DraftLabel, org: str
) -> Resource:
    """The policy resource a new artifact (or a relabel) would be."""
    return make_resource(
        id=resource_id,
        project_id=project_id,
        kind=kind,
        label=draft.label,
        schemes=policy.schemes,
        export=draft.export,
        originator_org_id=org,
    )


def require_member(session: Session, principal: Principal, project_id: str, now: datetime) -> None:
    """PermissionDenied unless the principal is a current member of the project."""
    memberships = subject_of(session, principal.person).memberships
    if project_id not in memberships or (
        memberships[project_id] is not None and memberships[project_id] <= now  # type: ignore[operator]
    ):
        raise PermissionDenied(
            "you are not a member of this project",
            code="not_project_member",
            hint="ask a programme manager to add you to the project",
        )


def require_readable_draft(
    session: Session, policy: PolicyService, principal: Principal, resource: Resource, now: datetime
) -> Decision:
    """Nobody labels content above what they may read themselves."""
    decision = policy.decide_in(session, principal, Action.READ, resource, now)
    if not decision.permitted:
        raise PermissionDenied(
            "you may not create content labelled above what you may read yourself",
            code="label_above_reader",
            data={"failed": decision.failed_codes},
            hint="choose a label whose requirements you meet: " + ", ".join(decision.failed_codes),
        )
    return decision


def catalogue_matches(
    session: Session, row: ResourceRow, label_json: str, export_json: str, policy: PolicyService
) -> bool:
    """Whether the catalogue still says what the signed label says: the label and export
    classification, and every fact the policy's listing reads beside them (level,
    releasability mode and REL TO rows, caveats to hold, control entries), each derived
    again from the signed label and compared."""
    if row.label_json != label_json or row.export_json != export_json:
        return False
    label = label_from_canonical_json(
        label_json.encode(), schemes=policy.schemes, check_rules=False
    )
    resource = make_resource(
        id=row.id,
        project_id=row.project_id,
        kind=row.kind,
        label=label,
        schemes=policy.schemes,
        export=export_from_canonical_json(export_json.encode()),
    )
    facts = resource.facts
    assert facts is not None  # a label was given
    columns_match = (
        row.common_level == facts.common_level
        and row.rel_mode == facts.rel_mode
        and row.originator_nation == facts.originator_nation
        and row.classification == label.classification
        and row.scheme == label.policy
        and bool(row.originator_controlled) == facts.originator_controlled
    )
    return columns_match and _child_rows(session, row.id) == (
        set(facts.rel_codes),
        set(facts.held_caveats),
        {(c.entry, c.jurisdiction, bool(c.exempt)) for c in resource.controls},
    )


def _child_rows(
    session: Session, resource_id: str
) -> tuple[set[str], set[str], set[tuple[str, str, bool]]]:
    """The REL TO codes, caveats and control entries stored beside a resource."""
    rel = ResourceReleaseRow
    caveats = ResourceCaveatRow
    controls = ResourceControlRow
    return (
        set(session.scalars(select(rel.code).where(rel.resource_id == resource_id))),
        set(session.scalars(select(caveats.caveat).where(caveats.resource_id == resource_id))),
        {
            (entry, jurisdiction, bool(exempt))
            for entry, jurisdiction, exempt in session.execute(
                select(controls.entry, controls.jurisdiction, controls.exempt).where(
                    controls.resource_id == resource_id
                )
            )
        },
    )


def organisation_exists(session: Session, org_id: str) -> str:
    """The id of an organisation named by id, name or short name."""
    found = session.scalar(
        select(OrganisationRow.id).where(
            (OrganisationRow.id == org_id)
            | (OrganisationRow.name == org_id)
            | (OrganisationRow.short_name == org_id)
        )
    )
    if found is None:
        raise InvalidInput(
            f"no organisation {org_id!r}", code="unknown_organisation", field="ip_owners"
        )
    return str(found)


def new_id() -> str:
    """A fresh 36-character id."""
    return str(uuid.uuid4())
