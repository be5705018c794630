"""The labelled-resource catalogue: register and relabel resources (grants and read-ons
are ``GrantService``'s, services/policy/_grants.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm.util import identity_key

from caveat.adapters.db.models import OrganisationRow
from caveat.adapters.db.models.policy import (
    ResourceCaveatRow,
    ResourceControlRow,
    ResourceReleaseRow,
    ResourceRow,
)
from caveat.domain.compliance.release import tightens
from caveat.domain.errors import InvalidInput, NotFound, PermissionDenied
from caveat.domain.export_control import (
    ExportClassification,
    export_from_canonical_json,
    export_to_canonical_json,
)
from caveat.domain.labels import (
    Label,
    Originator,
    label_from_canonical_json,
    label_to_canonical_json,
)
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action, Resource, label_facts, make_resource
from caveat.domain.resources import resource_kind
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.policy._loader import find_resource
from caveat.services.policy._received import refuse_received
from caveat.services.policy._service import PolicyService
from caveat.services.projects import find_project


@dataclass(frozen=True, slots=True)
class Registered:
    """A catalogue entry as its registrant sees it."""

    id: str
    project_id: str
    kind: str
    title: str
    label: Label
    export: ExportClassification
    originator_org_id: str
    created_at: datetime


def _organisation(uow: UnitOfWork, ref: str) -> OrganisationRow:
    # By id, a row this session holds already answers (a page of received items
    # registers one originator's many); otherwise by id or either name.
    held = uow.session.identity_map.get(identity_key(OrganisationRow, ref))
    if isinstance(held, OrganisationRow):
        return held
    row = uow.session.scalar(
        select(OrganisationRow).where(
            or_(
                OrganisationRow.id == ref,
                OrganisationRow.name == ref,
                OrganisationRow.short_name == ref,
            )
        )
    )
    if row is None:
        raise InvalidInput(
            f"no organisation {ref!r}", code="unknown_organisation", field="originator"
        )
    return row


class CatalogueService:
    """Writes the catalogue. Nobody registers or grants what they could not see themselves."""

    def __init__(self, *, uow: UnitOfWorkFactory, policy: PolicyService) -> None:
        self._uow = uow
        self._policy = policy
        self._schemes = policy.schemes

    def register(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        project: str,
        kind: str,
        title: str,
        label: Label,
        export: ExportClassification | None = None,
        originator: str | None = None,
    ) -> Registered:
        """Add a labelled resource to a project's catalogue, in its own transaction.

        See :meth:`register_in` for the rules.
        """
        authorize(by, Act.RESOURCE_REGISTER)
        with self._uow(ctx) as uow:
            return self.register_in(
                uow,
                by,
                project=project,
                kind=kind,
                title=title,
                label=label,
                export=export,
                originator=originator,
            )

    def register_in(
        self,
        uow: UnitOfWork,
        by: Acting,
        *,
        project: str,
        kind: str,
        title: str,
        label: Label,
        export: ExportClassification | None = None,
        originator: str | None = None,
        resource_id: str | None = None,
        flush: bool = True,
    ) -> Registered:
        """Add a labelled resource to a project's catalogue in the caller's unit of work.

        The originator is ``originator`` (an organisation; when the label names one too,
        their nations must agree), else the label's, else the registrant's organisation.
        A person may only register what they could themselves discover afterwards.
        ``resource_id`` lets what the row describes (an artifact) share its id.
        ``flush`` False leaves the row to the caller's next flush (a page of rows
        written at once; a failure then shows there).
        """
        authorize(by, Act.RESOURCE_REGISTER, now=uow.now)
        kind = resource_kind(kind).value
        title = title.strip()
        if not 1 <= len(title) <= 300:
            raise InvalidInput(
                "a title needs 1 to 300 characters", code="invalid_title", field="title"
            )
        export = export or ExportClassification()
        project_row = find_project(uow.session, project)
        label, org = self._originate(uow, by, label, originator)
        row = ResourceRow(
            id=resource_id or str(uuid.uuid4()),
            project_id=project_row.id,
            kind=kind,
            title=title,
            originator_org_id=org.id,
            created_at=uow.now,
        )
        resource = self._describe(row, label, export)
        if isinstance(by, Principal):
            self._require(uow, by, Action.DISCOVER, resource, "register what you could not see")
        uow.session.add(row)
        if flush:
            uow.session.flush()
        self._write_facts(uow, row, label, resource)
        uow.record(
            "resource.registered",
            by.actor(),
            target_id=row.id,
            data={
                "project_id": project_row.id,
                "kind": kind,
                "title": title,
                "label": row.label_json,
                "export": row.export_json,
            },
        )
        return Registered(
            row.id, project_row.id, kind, title, label, export, org.id, row.created_at
        )

    def relabel_in(
        self,
        uow: UnitOfWork,
        by: Acting,
        resource: str,
        *,
        label: Label,
        export: ExportClassification | None = None,
    ) -> Registered:
        """Tighten a catalogued resource's label directly (the originating organisation).

        Only a change that tightens is direct: the new label dominates the old and the
        export classification keeps every entry and the dual-use flag (``export`` None:
        unchanged). Anything that loosens is a release (``ReleaseService``) and is refused
        here; a person outside the originating organisation asks instead
        (``Labelling.relabel``). A person must also be permitted to modify the resource
        and to discover it relabelled. The originator never changes: whoever relabels,
        the new label names the resource's originating organisation.
        """
        row = self._visible_row(uow, by, resource)
        authorize(by, Act.RELABEL_TIGHTEN, self.label_target(row), now=uow.now)
        label, export = self._relabelled(uow, by, row, label, export)
        if not self.tightens(row, label, export, uow.now.date()):
            raise PermissionDenied(
                "loosening a label is a release: ask for one (the release workflow decides)",
                code="policy_denied",
                hint="relabel through the artifact's relabel form, API or `caveat relabel`; "
                "a loosening becomes a release request",
                data={
                    "action": Act.RELABEL_TIGHTEN.value,
                    "rule": "the new label dominates the old and the export classification "
                    "is the same or stricter",
                },
            )
        if isinstance(by, Principal):
            current = self._policy.decide_row(uow.session, by, Action.MODIFY, row, uow.now)
            if not current.permitted:
                raise PermissionDenied(
                    "you may not relabel this resource",
                    code="policy_denied",
                    data={"failed": current.failed_codes},
                )
            relabelled = make_resource(
                id=row.id,
                project_id=row.project_id,
                kind=row.kind,
                label=label,
                schemes=self._schemes,
                export=export,
                originator_org_id=row.originator_org_id,
            )
            self._require(uow, by, Action.DISCOVER, relabelled, "relabel to what you could not see")
        return self._write_label(uow, by, row, label, export)

    def apply_decided(
        self,
        uow: UnitOfWork,
        by: Acting,
        resource: str,
        *,
        act: Act,
        requested_by: str,
        label: Label,
        export: ExportClassification,
    ) -> Registered:
        """Apply a label a decision approved (``act``: a release or relabel decision, which
        is authorized again here for ``by`` on the resource): the label exactly as asked
        for, with the resource's originator; the decision's event names the request."""
        if act not in (Act.RELEASE_DECIDE, Act.RELABEL_DECIDE):
            raise InvalidInput(f"{act.value} applies no label", code="invalid_action")
        row = find_resource(uow.session, resource)
        target = replace(self.label_target(row), requested_by=requested_by)
        authorize(by, act, target, now=uow.now)
        label, export = self._relabelled(uow, by, row, label, export)
        return self._write_label(uow, by, row, label, export)

    @staticmethod
    def label_target(row: ResourceRow) -> Target:
        """The permission rules' view of a resource whose label changes."""
        return Target(originator_org_id=row.originator_org_id)

    def tightens(
        self, row: ResourceRow, label: Label, export: ExportClassification, on: date
    ) -> bool:
        """Whether ``label`` and ``export`` protect at least as much as the row's current
        label and export classification (read before anything is written)."""
        if row.label_json is None:
            return False
        current = label_from_canonical_json(
            row.label_json.encode(), schemes=self._schemes, check_rules=False
        )
        current_export = export_from_canonical_json(row.export_json.encode())
        env = self._policy.environment()
        return tightens(
            current,
            current_export,
            label,
            export,
            groups=env.groups,
            on=on,
            schemes=env.schemes,
        )

    def current_export(self, row: ResourceRow) -> ExportClassification:
        """The row's export classification (what an omitted one means: unchanged)."""
        return export_from_canonical_json(row.export_json.encode())

    def _relabelled(
        self,
        uow: UnitOfWork,
        by: Acting,
        row: ResourceRow,
        label: Label,
        export: ExportClassification | None,
    ) -> tuple[Label, ExportClassification]:
        """The label naming the resource's originator, and the export classification
        (None: the current one, never "none")."""
        label, _ = self._originate(uow, by, replace(label, originator=None), row.originator_org_id)
        return label, self.current_export(row) if export is None else export

    def _write_label(
        self,
        uow: UnitOfWork,
        by: Acting,
        row: ResourceRow,
        label: Label,
        export: ExportClassification,
    ) -> Registered:
        """Write the new label's columns and facts, with the event (checks done).
        A received artifact's label is never rewritten here (the last check for every
        relabel, release and relabel decision)."""
        refuse_received(uow.session, row.id, "relabel")
        new = self._describe(row, label, export)
        for table in (ResourceReleaseRow, ResourceCaveatRow, ResourceControlRow):
            uow.session.execute(delete(table).where(table.resource_id == row.id))
        self._write_facts(uow, row, label, new)
        uow.record(
            "resource.relabelled",
            by.actor(),
            target_id=row.id,
            data={"label": row.label_json, "export": row.export_json},
        )
        return Registered(
            row.id,
            row.project_id,
            row.kind,
            row.title,
            label,
            export,
            row.originator_org_id or "",
            row.created_at,
        )

    def _originate(
        self, uow: UnitOfWork, by: Acting, label: Label, originator: str | None
    ) -> tuple[Label, OrganisationRow]:
        """The originating organisation, and the label with its originator filled in."""
        if originator is None and label.originator is not None:
            org = _organisation(uow, label.originator.organisation)
        elif originator is None and isinstance(by, Principal):
            org = _organisation(uow, by.person.organisation_id)
        elif originator is None:
            raise InvalidInput(
                "name the originating organisation", code="originator_required", field="originator"
            )
        else:
            org = _organisation(uow, originator)
        if label.originator is None:
            label = replace(label, originator=Originator(org.short_name or org.name, org.nation))
        elif org.nation != label.originator.nation:
            raise InvalidInput(
                f"the originator {org.name} is of {org.nation}, not {label.originator.nation}",
                code="originator_mismatch",
                field="label",
            )
        if label.created_at is None:
            label = replace(label, created_at=uow.now)
        return label, org

    def _describe(self, row: ResourceRow, label: Label, export: ExportClassification) -> Resource:
        """Set the row's label columns; the policy's view of the row as labelled."""
        row.label_json = label_to_canonical_json(label).decode()
        row.export_json = export_to_canonical_json(export).decode()
        return make_resource(
            id=row.id,
            project_id=row.project_id,
            kind=row.kind,
            label=label,
            schemes=self._schemes,
            export=export,
            originator_org_id=row.originator_org_id,
        )

    def _write_facts(
        self, uow: UnitOfWork, row: ResourceRow, label: Label, resource: Resource
    ) -> None:
        """The normalised columns and child rows the listing query reads."""
        facts = label_facts(label, self._schemes)
        row.scheme = label.policy
        row.classification = label.classification
        row.common_level = facts.common_level
        row.rel_mode = facts.rel_mode
        row.originator_nation = facts.originator_nation
        row.originator_controlled = facts.originator_controlled
        uow.session.add_all(
            [ResourceReleaseRow(resource_id=row.id, code=c) for c in sorted(facts.rel_codes)]
        )
        uow.session.add_all(
            [ResourceCaveatRow(resource_id=row.id, caveat=c) for c in sorted(facts.held_caveats)]
        )
        uow.session.add_all(
            [
                ResourceControlRow(
                    resource_id=row.id, entry=c.entry, jurisdiction=c.jurisdiction, exempt=c.exempt
                )
                for c in resource.controls
            ]
        )

    def _require(
        self, uow: UnitOfWork, by: Principal, action: Action, resource: Resource, what: str
    ) -> None:
        decision = self._policy.decide_in(uow.session, by, action, resource, uow.now)
        if not decision.permitted:
            raise PermissionDenied(
                f"you may not {what} yourself",
                code="policy_denied",
                data={"failed": decision.failed_codes},
            )

    def _visible_row(self, uow: UnitOfWork, by: Acting, ref: str) -> ResourceRow:
        row = find_resource(uow.session, ref)
        if isinstance(by, Principal):
            # A role never stands in for the policy: the granter must see it too.
            decision = self._policy.decide_row(uow.session, by, Action.DISCOVER, row, uow.now)
            if not decision.permitted:
                raise NotFound(f"no resource {ref!r}", code="unknown_resource")
        return row
