"""What the web pages read: a collection's objects (the last version of each the viewer
may read, newest first, filtered by type, classification level and source) and one object with its
readable versions, what it contains, and its neighbourhood of relationships and
sightings.

The policy is inside every query, as for the TAXII reads (``_query.py``): the catalogue
row of each version is joined and must pass ``policy_listing.visible`` for READ, so a
version the viewer may not read is never fetched, counted or referred to. A relationship
or sighting whose other end the viewer may not read is left out whole, exactly as if that
end were not stored; so are references to objects outside the collection. The source of
a version is its originating organisation (the catalogue's originator).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Select, Table, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow
from caveat.services.intel._filters import LAST
from caveat.services.intel._query import OBJECTS, RESOURCES, _version_filter, readable
from caveat.services.policy import listing as policy_listing

ORGANISATIONS = cast(Table, OrganisationRow.__table__)
PAGE = 50
MAX_LINKS = 200  # relationships and sightings naming the object, read per page at most
MAX_VERSIONS = 1000
# Objects that hold others (STIX 2.1 §4): what a report, grouping, note or opinion refers to.
CONTAINERS = frozenset({"report", "grouping", "note", "opinion"})
# Where a sighting points (§5.2): its property and how the edge reads, from the sighting.
SIGHTING_REFS = (
    ("sighting_of_ref", "sighting of"),
    ("where_sighted_refs", "sighted at"),
    ("observed_data_refs", "observed in"),
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored object version the viewer may read: its STIX content (without data
    markings), its label (canonical JSON) and its source (originating organisation)."""

    resource_id: str
    object_id: str
    type: str
    version: datetime
    date_added: datetime
    label_json: str
    source_id: str | None
    source: str
    stix: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of a collection's objects; ``next`` names the page after it."""

    items: tuple[Entry, ...]
    next: str | None


@dataclass(frozen=True, slots=True)
class Link:
    """An edge of the neighbourhood: ``source`` to ``target`` (object ids), read as
    ``text``, carried by the relationship or sighting ``via``."""

    source: str
    target: str
    text: str
    via: Entry


@dataclass(frozen=True, slots=True)
class ObjectPage:
    """One object as the viewer may read it: the version shown, every readable version
    (newest first), the objects it contains, and its neighbourhood: the readable objects
    linked to it by readable relationships and sightings (``nodes``, the object itself
    not among them) and those links."""

    shown: Entry
    versions: tuple[Entry, ...]
    contents: tuple[Entry, ...]
    nodes: tuple[Entry, ...]
    links: tuple[Link, ...]

    @property
    def entries(self) -> list[Entry]:
        """Everything the page shows, once each."""
        seen: dict[str, Entry] = {}
        for entry in (
            self.shown,
            *self.versions,
            *self.contents,
            *self.nodes,
            *(link.via for link in self.links),
        ):
            seen.setdefault(entry.resource_id, entry)
        return list(seen.values())


_LABEL_AND_SOURCE = (
    RESOURCES.c.label_json,
    RESOURCES.c.originator_org_id,
    ORGANISATIONS.c.name,
)
Where = Callable[[Any], Sequence[ColumnElement[bool]]]


def _entries(
    session: Session,
    visible: ColumnElement[bool],
    collection_id: str,
    where: Where,
    *,
    last: bool,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[Entry]:
    """Readable versions of the collection matching ``where`` (the last readable version of
    each object when ``last``), with labels and sources; newest ``date_added`` first when
    asked (a page), else in no order (lookups by id: the planner picks the id's index)."""
    o = OBJECTS.alias("o")
    conditions = [o.c.collection_id == collection_id, visible, *where(o)]
    if last:
        version = _version_filter(o, LAST, readable(visible), [])
        assert version is not None
        conditions.append(version)
    columns = (o.c.id, o.c.object_id, o.c.type, o.c.version, o.c.date_added, o.c.content)
    statement: Select[Any] = (
        select(*columns, *_LABEL_AND_SOURCE)
        .select_from(o)
        .join(RESOURCES, RESOURCES.c.id == o.c.id)
        .outerjoin(ORGANISATIONS, ORGANISATIONS.c.id == RESOURCES.c.originator_org_id)
        .where(*conditions)
    )
    if newest_first:
        statement = statement.order_by(o.c.date_added.desc())
    if limit is not None:
        statement = statement.limit(limit)
    policy_listing.steer(session)
    return [_entry(row) for row in session.execute(statement)]


def _entry(row: Row[Any]) -> Entry:
    return Entry(
        resource_id=row.id,
        object_id=row.object_id,
        type=row.type,
        version=row.version,
        date_added=row.date_added,
        label_json=row.label_json or "",
        source_id=row.originator_org_id,
        source=row.name or "unknown",
        stix=json.loads(row.content),
    )


def listing(
    session: Session,
    visible: ColumnElement[bool],
    collection_id: str,
    *,
    types: tuple[str, ...],
    level: int | None,
    source: str | None,
    before: datetime | None,
    cursor_of: Callable[[datetime], str],
) -> Listing:
    """A page of the last readable version of each object, newest first (``before``: the
    ``date_added`` the previous page ended at), of the given types, classification level
    (common scale) and source. The filters' choices are not read from the data, so a page
    costs its page, whatever the size of the collection, and offers everyone the same."""

    def where(x: Any) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if types:
            out.append(x.c.type.in_(types))
        if level is not None:
            out.append(RESOURCES.c.common_level == level)
        if source is not None:
            out.append(RESOURCES.c.originator_org_id == source)
        if before is not None:
            out.append(x.c.date_added < before)
        return out

    rows = _entries(
        session, visible, collection_id, where, last=True, limit=PAGE + 1, newest_first=True
    )
    items = tuple(rows[:PAGE])
    more = len(rows) > PAGE
    return Listing(items, cursor_of(items[-1].date_added) if more else None)


def _refs(stix: dict[str, Any], name: str) -> list[str]:
    value = stix.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _links_of(entry: Entry) -> list[tuple[str, str, str]]:
    """The edges a relationship or sighting draws: (source, target, text)."""
    if entry.type == "relationship":
        source, target = _refs(entry.stix, "source_ref"), _refs(entry.stix, "target_ref")
        kind = str(entry.stix.get("relationship_type", "related-to"))
        return [(s, t, kind) for s in source for t in target]
    if entry.type == "sighting":
        return [
            (entry.object_id, ref, text)
            for name, text in SIGHTING_REFS
            for ref in _refs(entry.stix, name)
        ]
    return []


def _latest(
    session: Session, visible: ColumnElement[bool], collection_id: str, ids: Iterable[str]
) -> dict[str, Entry]:
    """The last readable version of each of ``ids`` held in the collection."""
    wanted = sorted(set(ids))
    found: dict[str, Entry] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]

        def among(x: Any, chunk: list[str] = chunk) -> list[ColumnElement[bool]]:
            return [x.c.object_id.in_(chunk)]

        for entry in _entries(session, visible, collection_id, among, last=True):
            found[entry.object_id] = entry
    return found


def object_page(
    session: Session,
    visible: ColumnElement[bool],
    collection_id: str,
    object_id: str,
    version: datetime | None,
) -> ObjectPage | None:
    """The object's page, or None when the viewer may read no version of it (or not the
    one asked for): the caller answers that exactly as for an object not stored."""
    versions = _entries(
        session,
        visible,
        collection_id,
        lambda x: [x.c.object_id == object_id],
        last=False,
        limit=MAX_VERSIONS,
    )
    versions.sort(key=lambda e: e.version, reverse=True)
    if version is None:
        shown = versions[0] if versions else None
    else:
        shown = next((e for e in versions if e.version == version), None)
    if shown is None:
        return None
    # Relationships and sightings that name the object (their content holds its id;
    # each is then read exactly), and the edges the object draws itself.
    pointing = _entries(
        session,
        visible,
        collection_id,
        lambda x: [
            x.c.type.in_(("relationship", "sighting")),
            x.c.object_id != object_id,
            x.c.content.contains(f'"{object_id}"', autoescape=True),
        ],
        last=True,
        limit=MAX_LINKS,
    )
    drawn = [(e, s, t, text) for e in (shown, *pointing) for s, t, text in _links_of(e)]
    drawn = [d for d in drawn if object_id in (d[1], d[2]) or d[0] is shown]
    contents_ids = (
        [ref for ref in _refs(shown.stix, "object_refs") if ref != object_id]
        if shown.type in CONTAINERS
        else []
    )
    sightings = {e.object_id: e for e in pointing if e.type == "sighting"}
    ends = {x for _, s, t, _ in drawn for x in (s, t)} - {object_id} - set(sightings)
    known = _latest(session, visible, collection_id, [*ends, *contents_ids])
    known.update(sightings)  # a sighting naming the object is a node of its own
    known[object_id] = shown
    links = tuple(
        Link(s, t, text, via) for via, s, t, text in drawn if s in known and t in known and s != t
    )
    on_graph = {x for link in links for x in (link.source, link.target)} - {object_id}
    nodes = tuple(sorted((known[x] for x in on_graph), key=lambda e: (e.type, e.object_id)))
    contents = tuple(known[ref] for ref in dict.fromkeys(contents_ids) if ref in known)
    return ObjectPage(shown, tuple(versions), contents, nodes, links)
