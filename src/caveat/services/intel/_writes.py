"""Adding STIX objects to a collection, and deleting them.

An add request is read whole by the domain's strict STIX import before anything is
stored (ADR 0021: size, JSON, spec version, markings into one label per object, the
stix2 library); a refusal there refuses the request. Then, in one transaction, each
object is a new version or is refused on its own, in the request's status:

- nobody adds content labelled above what they may read themselves (``label_above_reader``,
  as an upload): the caller must be permitted to READ the version as it would be stored;
- a version (id and ``modified``) the collection already holds is refused unless it is
  the same object and the caller may read it (then it counts as added, again);
- each added version becomes a catalogue resource (``CatalogueService.register_in``, its
  ``resource.registered`` event) in the collection's project, with a ``date_added``
  unique to the microsecond in the collection.

The collection's row is locked for the request, so concurrent adds to one collection
take their turns and ``date_added`` only grows.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select

from caveat.adapters.db.models import OrganisationRow
from caveat.adapters.db.models.policy import (
    ResourceCaveatRow,
    ResourceControlRow,
    ResourceGrantRow,
    ResourceReleaseRow,
    ResourceRow,
)
from caveat.adapters.db.models.taxii import TaxiiCollectionRow, TaxiiObjectRow, TaxiiStatusRow
from caveat.domain.errors import CaveatError, NotFound, PermissionDenied
from caveat.domain.labels import Label, Originator, label_from_canonical_json
from caveat.domain.policy import Action, Context, decide, make_resource
from caveat.domain.resources import ResourceKind
from caveat.services.intel._collections import not_found as collection_not_found
from caveat.services.intel._filters import Filters, stix_time
from caveat.services.intel._query import OBJECTS, fetch_page, reader
from caveat.services.intel._views import MAX_CONTENT_LENGTH, MAX_OBJECTS, Outcome, Status
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.policy import CatalogueService, PolicyService, subject_of

if TYPE_CHECKING:
    from caveat.domain.stix import LabelledObject

KIND = ResourceKind.THREAT_INTELLIGENCE.value
TICK = timedelta(microseconds=1)


class Refused(Exception):
    """One object of an add request is not added (the status says why)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_envelope(
    body: bytes, policy: PolicyService, default_label: Label | None, on: date
) -> tuple[LabelledObject, ...]:
    """The labelled objects of a TAXII envelope (§3.7), read by the domain's strict import;
    InvalidStix (and the other STIX errors) for anything it refuses."""
    from caveat.domain.stix import ImportRules, InvalidStix, Limits, import_objects
    from caveat.domain.stix.jsontext import parse_json

    raw = parse_json(body, max_bytes=MAX_CONTENT_LENGTH)
    if not isinstance(raw, dict) or not isinstance(raw.get("objects"), list):
        raise InvalidStix(
            "the body is not a TAXII envelope", hint='{"objects": [...]}', field="objects"
        )
    env = policy.environment()
    rules = ImportRules(
        groups=env.groups,
        on=on,
        default_label=default_label,
        schemes=policy.schemes,
        limits=Limits(max_bytes=MAX_CONTENT_LENGTH, max_objects=MAX_OBJECTS),
    )
    return import_objects(raw["objects"], rules)


def _version_of(item: LabelledObject) -> datetime | None:
    """The TAXII version: ``modified``, else ``created`` (None: neither, an observable)."""
    if item.stix.modified is not None:
        return item.stix.modified
    created = item.stix.properties().get("created")
    if isinstance(created, str):
        from caveat.domain.stix.identifiers import parse_timestamp

        return parse_timestamp(created, where=item.stix.id)
    return None


def _title(properties: dict[str, Any], object_id: str) -> str:
    name = properties.get("name")
    text = name.strip() if isinstance(name, str) and name.strip() else object_id
    return " ".join(text.split())[:300]


class Adder:
    """One add request inside its unit of work."""

    def __init__(
        self,
        uow: UnitOfWork,
        by: Principal,
        *,
        policy: PolicyService,
        catalogue: CatalogueService,
        collection: TaxiiCollectionRow,
        subscription_id: str | None = None,
    ) -> None:
        self._uow = uow
        self._subscription_id = subscription_id  # provenance of ingested versions
        self._by = by
        self._policy = policy
        self._catalogue = catalogue
        self._collection = collection
        self._subject = subject_of(uow.session, by.person)
        self._context = Context(uow.now, by.mfa_at, policy.environment())
        facts = self._context.facts(self._subject)
        self.member = facts.account_ok and collection.project_id in facts.projects
        last = uow.session.scalar(
            select(func.max(TaxiiObjectRow.date_added)).where(
                TaxiiObjectRow.collection_id == collection.id
            )
        )
        self._next_added = uow.now if last is None else max(uow.now, last + TICK)
        self.added: list[str] = []

    def add(self, item: LabelledObject) -> Outcome:
        """Store one object version, or say why not."""
        version = _version_of(item)
        shown = stix_time(version) if version is not None else stix_time(self._next_added)
        try:
            existing = self._existing(item, version)
            if existing is not None:
                return Outcome(item.stix.id, stix_time(existing.version), message="held already")
            resource_id = self._store(item, version)
        except Refused as why:
            return Outcome(item.stix.id, shown, ok=False, message=why.message)
        except CaveatError as exc:
            return Outcome(item.stix.id, shown, ok=False, message=f"{exc.code}: {exc.detail}")
        self.added.append(resource_id)
        return Outcome(item.stix.id, shown)

    def _existing(self, item: LabelledObject, version: datetime | None) -> TaxiiObjectRow | None:
        """The stored version this object is, if the caller may read it and it is the same
        object; Refused if the collection holds another object under its version."""
        session = self._uow.session
        query = select(TaxiiObjectRow).where(
            TaxiiObjectRow.collection_id == self._collection.id,
            TaxiiObjectRow.object_id == item.stix.id,
        )
        if version is not None:
            query = query.where(TaxiiObjectRow.version == version)
        rows = list(session.scalars(query))
        if not rows:
            return None
        content = item.stix.content.decode()
        for row in rows:
            if row.content == content and self._may_read(row.id):
                return row
        # The same answer whether the version held is another object or one the caller
        # may not read: nothing about a hidden version is told.
        raise Refused("the collection holds a version with this id and modified already")

    def _may_read(self, resource_id: str) -> bool:
        row = self._uow.session.get(ResourceRow, resource_id)
        if row is None:
            return False
        now = self._uow.now
        return self._policy.decide_row(self._uow.session, self._by, Action.READ, row, now).permitted

    def _store(self, item: LabelledObject, version: datetime | None) -> str:
        uow = self._uow
        org = self._originator(item.label)
        label = item.label
        if label.originator is None:
            label = replace(label, originator=Originator(org.short_name or org.name, org.nation))
        resource_id = str(uuid.uuid4())
        draft = make_resource(
            id=resource_id,
            project_id=self._collection.project_id,
            kind=KIND,
            label=label,
            schemes=self._policy.schemes,
            originator_org_id=org.id,
        )
        decision = decide(self._subject, Action.READ, draft, self._context)
        if not decision.permitted:
            raise Refused(
                "label_above_reader: you may not add content labelled above what you may "
                "read yourself (failed: " + ", ".join(decision.failed_codes) + ")"
            )
        properties = item.stix.properties()
        self._catalogue.register_in(
            uow,
            self._by,
            project=self._collection.project_id,
            kind=KIND,
            title=_title(properties, item.stix.id),
            label=item.label,
            originator=org.id,
            resource_id=resource_id,
        )
        added = self._next_added
        self._next_added = added + TICK
        uow.session.add(
            TaxiiObjectRow(
                id=resource_id,
                collection_id=self._collection.id,
                object_id=item.stix.id,
                type=item.stix.type,
                spec_version=str(properties.get("spec_version", "2.1")),
                version=version if version is not None else added,
                date_added=added,
                content=item.stix.content.decode(),
                added_by=self._by.person_id,
                subscription_id=self._subscription_id,
            )
        )
        return resource_id

    def _originator(self, label: Label) -> OrganisationRow:
        """The originating organisation: the label's, else the caller's own."""
        ref = (
            label.originator.organisation
            if label.originator is not None
            else self._by.person.organisation_id
        )
        row = self._uow.session.scalar(
            select(OrganisationRow).where(
                or_(
                    OrganisationRow.id == ref,
                    OrganisationRow.name == ref,
                    OrganisationRow.short_name == ref,
                )
            )
        )
        if row is None:
            raise Refused(f"unknown_organisation: the label's originator {ref!r} is not known here")
        return row


def record_status(
    uow: UnitOfWork,
    by: Principal,
    collection: TaxiiCollectionRow,
    outcomes: list[Outcome],
    added: list[str],
) -> Status:
    """The status row of an add request and its ledger event (in the request's unit)."""
    status = Status(
        id=str(uuid.uuid4()),
        request_timestamp=uow.now,
        successes=tuple(o for o in outcomes if o.ok),
        failures=tuple(o for o in outcomes if not o.ok),
    )
    uow.session.add(
        TaxiiStatusRow(
            id=status.id,
            collection_id=collection.id,
            person_id=by.person_id,
            request_timestamp=status.request_timestamp,
            total_count=status.total_count,
            success_count=len(status.successes),
            failure_count=len(status.failures),
            pending_count=0,
            details_json=json.dumps(
                {
                    "successes": [_detail(o) for o in status.successes],
                    "failures": [_detail(o) for o in status.failures],
                    "pendings": [],
                },
                separators=(",", ":"),
            ),
        )
    )
    uow.record(
        "taxii.objects_added",
        by.actor(),
        target_id=collection.id,
        data={
            "status": status.id,
            "total": status.total_count,
            "failed": len(status.failures),
            "resources": added,
        },
    )
    return status


def _detail(outcome: Outcome) -> dict[str, str]:
    detail = {"id": outcome.id, "version": outcome.version}
    if outcome.message is not None:
        detail["message"] = outcome.message
    return detail


def status_of(row: TaxiiStatusRow) -> Status:
    """A stored status as the service hands it out."""
    details = json.loads(row.details_json)

    def outcomes(key: str) -> tuple[Outcome, ...]:
        ok = key != "failures"
        return tuple(Outcome(d["id"], d["version"], ok, d.get("message")) for d in details[key])

    return Status(
        id=row.id,
        request_timestamp=row.request_timestamp,
        successes=outcomes("successes"),
        failures=outcomes("failures"),
        pendings=outcomes("pendings"),
    )


def selected_versions(
    uow: UnitOfWork,
    by: Principal,
    *,
    policy: PolicyService,
    collection: TaxiiCollectionRow,
    object_id: str,
    filters: Filters,
) -> list[tuple[ResourceRow, datetime]]:
    """The versions of ``object_id`` that ``filters`` select among those the caller may
    read, with their catalogue rows; not found when none is selected."""
    caller = reader(uow.session, policy, by, uow.now)
    if not caller.member_of(collection.project_id):
        raise collection_not_found(collection.id)
    everything = replace(filters, limit=MAX_OBJECTS)
    rows, _ = fetch_page(
        uow.session, caller.visible, collection.id, everything, object_id=object_id
    )
    if not rows:
        raise NotFound(f"no object {object_id!r} in the collection", code="unknown_taxii_object")
    selected = []
    for row in rows:
        resource = uow.session.get(ResourceRow, row.id)
        assert resource is not None  # readable means catalogued
        selected.append((resource, row.version))
    return selected


def delete_versions(
    uow: UnitOfWork,
    by: Principal,
    *,
    policy: PolicyService,
    collection: TaxiiCollectionRow,
    object_id: str,
    versions: list[tuple[ResourceRow, datetime]],
) -> None:
    """Delete ``versions`` (authorized by the caller) with their catalogue rows, each
    also permitted to the caller for MODIFY by the policy; one event for them all."""
    for resource, _ in versions:
        decision = policy.decide_row(uow.session, by, Action.MODIFY, resource, uow.now)
        if not decision.permitted:
            raise PermissionDenied(
                "you may not delete this object",
                code="policy_denied",
                data={"failed": decision.failed_codes},
            )
    ids = [resource.id for resource, _ in versions]
    session = uow.session
    session.execute(delete(OBJECTS).where(OBJECTS.c.id.in_(ids)))
    for table in (ResourceReleaseRow, ResourceCaveatRow, ResourceControlRow, ResourceGrantRow):
        session.execute(delete(table).where(table.resource_id.in_(ids)))
    session.execute(delete(ResourceRow).where(ResourceRow.id.in_(ids)))
    uow.record(
        "taxii.object_deleted",
        by.actor(),
        target_id=collection.id,
        data={
            "object": object_id,
            "versions": [stix_time(version) for _, version in versions],
            "resources": ids,
        },
    )


def label_of(text: str, policy: PolicyService) -> Label:
    """A stored label (canonical JSON, checked when it was written)."""
    return label_from_canonical_json(text.encode(), schemes=policy.schemes, check_rules=False)
