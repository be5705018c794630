"""The TAXII 2.1 service: collections, add requests and their status, reads and deletes.

Every method takes the principal first and checks the permission table first
(``Act.TAXII_*``; an API token needs the scope). What a caller reads is what the
policy lets them READ, decided inside the query (``_query.py``); an object they may not
read answers exactly as one that is not stored. Writes commit with their ledger events;
reads are ledger events too, one per request that returned anything (the resources
read are in its data), never one per object.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select

from caveat.adapters.db.models.taxii import TaxiiCollectionRow, TaxiiStatusRow
from caveat.domain.errors import InvalidInput, NotFound
from caveat.domain.labels import TLP, Label
from caveat.domain.permissions import Act, Target
from caveat.services.intel._browse import Listing, ObjectPage, listing, object_page
from caveat.services.intel._collections import create_in, not_found, view, visible_row, visible_rows
from caveat.services.intel._filters import Endpoint, Filters, cursor, parse_timestamp, read_filters
from caveat.services.intel._query import any_readable, fetch_page, readable_labels, reader
from caveat.services.intel._views import Collection, Page, Status, Version
from caveat.services.intel._writes import (
    Adder,
    delete_versions,
    label_of,
    read_envelope,
    record_status,
    selected_versions,
    status_of,
)
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory
from caveat.services.policy import CatalogueService, PolicyService


def _object_missing(object_id: str) -> NotFound:
    """The one answer for an object that is not stored and one the caller may not read."""
    return NotFound(f"no object {object_id!r} in the collection", code="unknown_taxii_object")


class TaxiiService:
    """TAXII 2.1 collections of labelled STIX objects, read and written under the policy."""

    def __init__(
        self, *, uow: UnitOfWorkFactory, policy: PolicyService, catalogue: CatalogueService
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._catalogue = catalogue

    # collections

    def create_collection(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        project: str,
        title: str,
        description: str = "",
        default_label: Label | None = None,
    ) -> Collection:
        """A new collection for ``project``; objects posted without a Caveat label take
        ``default_label`` (None: they are refused)."""
        authorize(by, Act.TAXII_COLLECTION_CREATE, now=self._uow.clock())
        with self._uow(ctx) as uow:
            row = create_in(
                uow,
                by,
                project=project,
                title=title,
                description=description,
                default_label=default_label,
            )
            if isinstance(by, Principal):
                return view(row, reader(uow.session, self._policy, by, uow.now))
            return Collection(row.id, row.title, row.description, row.project_id, False, False)

    def collections(self, by: Principal) -> list[Collection]:
        """The collections the caller may see (their current projects')."""
        authorize(by, Act.TAXII_READ)
        with self._uow.read() as session:
            caller = reader(session, self._policy, by, self._uow.clock())
            return [view(row, caller) for row in visible_rows(session, caller)]

    def collection(self, by: Principal, collection_id: str) -> Collection:
        """One collection, if the caller may see it."""
        authorize(by, Act.TAXII_READ)
        with self._uow.read() as session:
            caller = reader(session, self._policy, by, self._uow.clock())
            return view(visible_row(session, caller, collection_id), caller)

    # writes

    def add_objects(
        self, by: Principal, ctx: CallContext, collection_id: str, body: bytes
    ) -> Status:
        """Add the objects of a TAXII envelope (see ``_writes.py``); the status says which
        were added and why others were refused."""
        authorize(by, Act.TAXII_ADD, now=self._uow.clock())
        with self._uow.read() as session:
            caller = reader(session, self._policy, by, self._uow.clock())
            default = visible_row(session, caller, collection_id).default_label_json
        objects = read_envelope(
            body,
            self._policy,
            None if default is None else label_of(default, self._policy),
            self._uow.clock().date(),
        )
        with self._uow(ctx) as uow:
            collection = uow.session.scalar(
                select(TaxiiCollectionRow)
                .where(TaxiiCollectionRow.id == collection_id)
                .with_for_update()
            )
            if collection is None:
                raise not_found(collection_id)
            adder = Adder(
                uow, by, policy=self._policy, catalogue=self._catalogue, collection=collection
            )
            if not adder.member:
                raise not_found(collection_id)
            outcomes = [adder.add(item) for item in objects]
            return record_status(uow, by, collection, outcomes, adder.added)

    def status(self, by: Principal, status_id: str) -> Status:
        """The status of one of the caller's own add requests."""
        authorize(by, Act.TAXII_READ)
        with self._uow.read() as session:
            row = session.get(TaxiiStatusRow, status_id)
            if row is None or row.person_id != by.person_id:
                raise NotFound(f"no status {status_id!r}", code="unknown_taxii_status")
            return status_of(row)

    def delete_object(
        self,
        by: Principal,
        ctx: CallContext,
        collection_id: str,
        object_id: str,
        filters: Filters,
    ) -> int:
        """Delete the selected versions of an object (default: all the caller may read);
        returns how many. Each is the originating organisation's to delete."""
        with self._uow(ctx) as uow:
            collection = uow.session.get(TaxiiCollectionRow, collection_id)
            if collection is None:
                raise not_found(collection_id)
            versions = selected_versions(
                uow,
                by,
                policy=self._policy,
                collection=collection,
                object_id=object_id,
                filters=filters,
            )
            for resource, _ in versions:
                target = Target(originator_org_id=resource.originator_org_id)
                authorize(by, Act.TAXII_DELETE, target, now=uow.now)
            delete_versions(
                uow,
                by,
                policy=self._policy,
                collection=collection,
                object_id=object_id,
                versions=versions,
            )
            return len(versions)

    # reads

    def objects(
        self, by: Principal, ctx: CallContext, collection_id: str, filters: Filters
    ) -> Page:
        """A page of the object versions the caller may read (§5.3), with markings."""
        return self._read(by, ctx, collection_id, filters, Endpoint.OBJECTS, content=True)

    def manifest(
        self, by: Principal, ctx: CallContext, collection_id: str, filters: Filters
    ) -> Page:
        """A page of the manifest of what the caller may read (§5.6)."""
        return self._read(by, ctx, collection_id, filters, Endpoint.MANIFEST)

    def get_object(
        self,
        by: Principal,
        ctx: CallContext,
        collection_id: str,
        object_id: str,
        filters: Filters,
    ) -> Page:
        """Versions of one object (§5.5; default the last the caller may read)."""
        return self._read(
            by, ctx, collection_id, filters, Endpoint.OBJECT, object_id=object_id, content=True
        )

    def definition(
        self, by: Principal, collection_id: str, object_id: str
    ) -> dict[str, Any] | None:
        """The marking or extension definition ``object_id`` names, when objects the
        caller may read here refer to it (TLP 2.0 and Caveat's extension definition are
        public); None otherwise. Definitions are written from labels, never stored, so
        a client resolves the ``object_marking_refs`` of what it read by asking for them
        (a label nobody may read here is never told)."""
        if not object_id.startswith(("marking-definition--", "extension-definition--")):
            return None
        from caveat.domain.stix import (
            EXTENSION_ID,
            TLP2_IDS,
            extension_definition,
            label_marking_definition,
            label_marking_id,
            tlp_marking_definition,
        )

        authorize(by, Act.TAXII_READ)
        with self._uow.read() as session:
            caller = reader(session, self._policy, by, self._uow.clock())
            visible_row(session, caller, collection_id)
            if object_id == EXTENSION_ID:
                return extension_definition()
            for colour, marking in TLP2_IDS.items():
                if marking == object_id:
                    return tlp_marking_definition(colour)
            for text in readable_labels(session, caller.visible, collection_id):
                label = label_of(text, self._policy)
                if label_marking_id(label) == object_id:
                    return label_marking_definition(label, schemes=self._policy.schemes)
        return None

    def versions(
        self,
        by: Principal,
        ctx: CallContext,
        collection_id: str,
        object_id: str,
        filters: Filters,
    ) -> Page:
        """The versions of one object the caller may read (§5.8)."""
        return self._read(by, ctx, collection_id, filters, Endpoint.VERSIONS, object_id=object_id)

    def _read(
        self,
        by: Principal,
        ctx: CallContext,
        collection_id: str,
        filters: Filters,
        endpoint: Endpoint,
        *,
        object_id: str | None = None,
        content: bool = False,
    ) -> Page:
        authorize(by, Act.TAXII_READ)
        with self._uow.read() as session:
            caller = reader(session, self._policy, by, self._uow.clock())
            visible_row(session, caller, collection_id)
            rows, more = fetch_page(
                session,
                caller.visible,
                collection_id,
                filters,
                object_id=object_id,
                content=content,
            )
            if (
                object_id is not None
                and not rows
                and not any_readable(session, caller.visible, collection_id, object_id)
            ):
                raise _object_missing(object_id)
        items = self._versions(rows, content)
        page = Page(items, more, cursor(items[-1].date_added) if more and items else None)
        self._record_read(by, ctx, collection_id, endpoint, [i.resource_id for i in items])
        return page

    def _record_read(
        self,
        by: Principal,
        ctx: CallContext,
        collection_id: str,
        endpoint: Endpoint,
        resources: list[str],
    ) -> None:
        """The request's one ``taxii.objects_read`` event, when it returned anything."""
        if not resources:
            return
        with self._uow(ctx) as uow:
            uow.record(
                "taxii.objects_read",
                by.actor(),
                target_id=collection_id,
                data={"endpoint": endpoint.value, "count": len(resources), "resources": resources},
            )

    # web pages: the same reads, shaped for people (``_browse.py``)

    def browse(
        self,
        by: Principal,
        ctx: CallContext,
        collection_id: str,
        *,
        types: tuple[str, ...] = (),
        level: int | None = None,
        source: str | None = None,
        next: str | None = None,
    ) -> Listing:
        """A page of the last version of each object the caller may read, newest first,
        filtered by STIX type, classification level (0-4, the common scale) and source (the
        originating organisation's id); ``next`` is the previous page's ``Listing.next``."""
        authorize(by, Act.TAXII_READ)
        params = [("match[type]", t) for t in types] + ([("next", next)] if next else [])
        filters = read_filters(params, Endpoint.OBJECTS)  # the same checks as TAXII's
        if level is not None and not 0 <= level <= 4:
            raise InvalidInput(
                "level is 0-4 on the common scale", code="invalid_taxii_filter", field="level"
            )
        with self._uow.read() as session:
            caller = reader(session, self._policy, by, self._uow.clock())
            visible_row(session, caller, collection_id)
            page = listing(
                session,
                caller.visible,
                collection_id,
                types=filters.types,
                level=level,
                source=source,
                before=filters.after,
                cursor_of=cursor,
            )
        self._record_read(by, ctx, collection_id, Endpoint.WEB, [e.resource_id for e in page.items])
        return page

    def object_page(
        self,
        by: Principal,
        ctx: CallContext,
        collection_id: str,
        object_id: str,
        version: str | None = None,
    ) -> ObjectPage:
        """One object as the caller may read it: a version (default the last they may
        read), its readable versions, contents and neighbourhood. An object, or a
        version, they may not read answers exactly as one not stored."""
        authorize(by, Act.TAXII_READ)
        at = None if version is None else parse_timestamp(version, "version")
        with self._uow.read() as session:
            caller = reader(session, self._policy, by, self._uow.clock())
            visible_row(session, caller, collection_id)
            page = object_page(session, caller.visible, collection_id, object_id, at)
        if page is None:
            raise _object_missing(object_id)
        self._record_read(
            by, ctx, collection_id, Endpoint.WEB, [e.resource_id for e in page.entries]
        )
        return page

    def _versions(self, rows: Sequence[Row[Any]], content: bool) -> tuple[Version, ...]:
        markings: dict[str, list[str]] = {}
        out = []
        for row in rows:
            stix = None
            if content:
                stix = json.loads(row.content)
                refs = markings.get(row.label)
                if refs is None:
                    refs = markings[row.label] = self._marking_refs(row.label)
                stix["object_marking_refs"] = refs
            out.append(
                Version(
                    resource_id=row.id,
                    object_id=row.object_id,
                    type=row.type,
                    spec_version=row.spec_version,
                    version=row.version,
                    date_added=row.date_added,
                    stix=stix,
                )
            )
        return tuple(out)

    def _marking_refs(self, label_json: str) -> list[str]:
        """The label's Caveat marking and its TLP 2.0 marking, as exports write them."""
        from caveat.domain.stix import label_marking_id, tlp_marking_id

        label = label_of(label_json, self._policy)
        refs = [label_marking_id(label), *(tlp_marking_id(c) for c in label.values(TLP))]
        return sorted(refs)
