"""The audit explorer: search the event log, histories per target and per person, CSV,
and single ledger entries and entry bundles.

Only security officers and auditors (and the node's console) read it (Act.AUDIT_READ).
Nothing is ever deleted; an export is itself an event, so exporting the record leaves a
record.

What a reader learns about a resource follows the policy's discover decision for that
reader (ADR 0012): an event that concerns a resource the reader may not discover keeps
its id, type, time, outcome, actor and target id, but its data (title, label, export
classification, release nations...) is withheld, in every view: search, histories, the
CSV and the entry page. The ledger's leaf hashes never change: a withheld entry is shown
with its leaf hash, so its inclusion in a signed checkpoint still verifies; an entry
bundle (raw leaves, for monitors) is served only whole, to a reader who may discover
every entry in it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import Base
from caveat.adapters.db.models.compliance import ExportRecordRow, ReleaseRequestRow
from caveat.adapters.db.models.policy import RelabelRequestRow
from caveat.domain.errors import InvalidInput, NotFound, PermissionDenied
from caveat.domain.events import Outcome
from caveat.domain.ledger import leaf_hash
from caveat.domain.permissions import Act
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory
from caveat.services.ledger._activity import Activity, Period, count_activity, utc_period
from caveat.services.ledger._service import TILE_WIDTH, check_tile
from caveat.services.policy import PolicyService

EVENTS = Base.metadata.tables["events"]
MAX_PAGE = 1000
MAX_EXPORT = 1_000_000
EXPORT_CHUNK = 1000
WITHHELD = "[withheld: not discoverable by you]"
# Events whose target is a catalogued resource (an artifact's id is its resource's id).
RESOURCE_TARGETS = frozenset({"artifact", "resource"})
# Data keys that name the resource an event concerns (upload.started, release.requested).
RESOURCE_KEYS = ("resource_id", "artifact_id")
# Targets whose rows name the resource they concern (release.classified has no
# resource_id in its data, export.recorded's may change shape).
_ROWS_OF: dict[str, Any] = {
    "release_request": ReleaseRequestRow,
    "export_record": ExportRecordRow,
    "relabel_request": RelabelRequestRow,
}
CSV_COLUMNS = (
    "leaf_index",
    "seq",
    "id",
    "occurred_at",
    "type",
    "outcome",
    "actor_kind",
    "actor_id",
    "actor_name",
    "target_type",
    "target_id",
    "request_id",
    "data",
    # Added after ``data`` (columns keep their places): names for people, filled by the
    # caller's ``names`` (the readable rule, which the ledger does not know), else empty.
    "actor_display_name",
    "target_name",
)
# The names of a chunk of exported entries, (actor display name, target name) per entry.
EntryNames = Callable[[list["AuditEntry"]], list[tuple[str | None, str | None]]]


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What to look for; every field narrows the search. ``action`` may end in ``*``."""

    actor: str | None = None  # person id or username
    target_type: str | None = None
    target_id: str | None = None
    action: str | None = None
    outcome: Outcome | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    involving: str | None = None  # a person as actor or as target
    actor_kind: str | None = None  # person, service, console, peer...
    day: date | None = None  # events of this UTC day


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event as the explorer shows it (``leaf_index`` is None until integrated)."""

    seq: int
    leaf_index: int | None
    id: str
    type: str
    occurred_at: datetime
    outcome: str
    actor_kind: str
    actor_id: str | None
    actor_name: str | None
    target_type: str
    target_id: str | None
    request_id: str | None
    data: dict[str, Any]
    withheld: bool = False  # the data concerns a resource the reader may not discover


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One ledger entry as a reader may see it. ``body`` is the exact canonical bytes the
    leaf hash covers, or None when withheld; ``event`` is the parsed document, its
    ``data`` replaced by the withheld marker when withheld."""

    index: int
    leaf_hash: bytes
    body: str | None
    event: dict[str, Any]

    @property
    def withheld(self) -> bool:
        return self.body is None


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of entries, newest first, and the cursor for the next page."""

    entries: list[AuditEntry]
    next_cursor: int | None


# The events table: sortable columns (seq, the order of recording, breaks ties), a
# total counted up to TABLE_COUNT_CAP, numbered pages within it, facet counts.
EVENT_SORTS: dict[str, Any] = {
    "seq": EVENTS.c.seq,
    "type": EVENTS.c.type,
    "outcome": EVENTS.c.outcome,
    "actor": EVENTS.c.actor_name,
    "target": EVENTS.c.target_type,
}
EVENT_FACETS = ("type", "actor_kind", "day")
TABLE_COUNT_CAP = 10_000
FACET_VALUES = 31  # at most this many values per facet (the most frequent; days: newest)


@dataclass(frozen=True, slots=True)
class EventFacet:
    """One facet value (an event type, an actor kind, a UTC day) and its event count."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class AuditTable:
    """A numbered page of events in the chosen order, the total and the facet counts."""

    entries: list[AuditEntry]
    total: int
    total_exact: bool
    page: int
    pages: int
    facets: dict[str, tuple[EventFacet, ...]]


def _day(session: Session) -> Any:
    """The UTC day of an event as YYYY-MM-DD on either database."""
    return utc_period(session, Period.DAY)


def _facet_filter(f: EventFilter, facet: str) -> EventFilter:
    """``f`` without its own filter on ``facet`` (its other values stay choosable)."""
    field = {"type": "action", "actor_kind": "actor_kind", "day": "day"}[facet]
    cleared: dict[str, Any] = {field: None}
    return replace(f, **cleared)


def _query(f: EventFilter) -> Select[Any]:
    query = select(EVENTS)
    if f.actor:
        query = query.where(or_(EVENTS.c.actor_id == f.actor, EVENTS.c.actor_name == f.actor))
    if f.target_type:
        query = query.where(EVENTS.c.target_type == f.target_type)
    if f.target_id:
        query = query.where(EVENTS.c.target_id == f.target_id)
    if f.action:
        if f.action.endswith("*"):
            prefix = f.action[:-1]
            if any(c in prefix for c in "%_*"):
                raise InvalidInput("an action pattern may only end in '*'", field="action")
            query = query.where(EVENTS.c.type.startswith(prefix))
        else:
            query = query.where(EVENTS.c.type == f.action)
    if f.outcome:
        query = query.where(EVENTS.c.outcome == f.outcome.value)
    if f.since:
        query = query.where(EVENTS.c.occurred_at >= f.since)
    if f.until:
        query = query.where(EVENTS.c.occurred_at < f.until)
    if f.actor_kind:
        query = query.where(EVENTS.c.actor_kind == f.actor_kind)
    if f.day:
        start = datetime.combine(f.day, time(), UTC)
        query = query.where(
            EVENTS.c.occurred_at >= start, EVENTS.c.occurred_at < start + timedelta(days=1)
        )
    if f.involving:
        query = query.where(
            or_(EVENTS.c.actor_id == f.involving, EVENTS.c.target_id == f.involving)
        )
    return query


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=int(row.seq),
        leaf_index=None if row.leaf_index is None else int(row.leaf_index),
        id=row.id,
        type=row.type,
        occurred_at=row.occurred_at,
        outcome=row.outcome,
        actor_kind=row.actor_kind,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        target_type=row.target_type,
        target_id=row.target_id,
        request_id=row.request_id,
        data=json.loads(row.body).get("data", {}),
    )


def _withhold(entry: AuditEntry) -> AuditEntry:
    return AuditEntry(
        seq=entry.seq,
        leaf_index=entry.leaf_index,
        id=entry.id,
        type=entry.type,
        occurred_at=entry.occurred_at,
        outcome=entry.outcome,
        actor_kind=entry.actor_kind,
        actor_id=entry.actor_id,
        actor_name=entry.actor_name,
        target_type=entry.target_type,
        target_id=entry.target_id,
        request_id=entry.request_id,
        data={},
        withheld=True,
    )


def withheld_document(document: dict[str, Any]) -> dict[str, Any]:
    """An event document with its data withheld (id, type, time, actor, target kept)."""
    return {**document, "data": {}, "withheld": WITHHELD}


@dataclass(frozen=True, slots=True)
class EventConcern:
    """What an event says about the resources it concerns."""

    event_id: str
    target_type: str
    target_id: str | None
    data: dict[str, Any]


def resources_concerned(session: Session, events: Sequence[EventConcern]) -> dict[str, set[str]]:
    """Event id -> the ids of the catalogued resources the event describes (empty when
    it describes none); the rows of requests and records are looked up in one query per
    kind."""
    out: dict[str, set[str]] = {}
    lookups: dict[str, set[str]] = {}
    for e in events:
        ids = out.setdefault(e.event_id, set())
        if e.target_id and e.target_type in RESOURCE_TARGETS:
            ids.add(e.target_id)
        for key in RESOURCE_KEYS:
            value = e.data.get(key)
            if isinstance(value, str) and value:
                ids.add(value)
        if e.target_id and e.target_type in _ROWS_OF:
            lookups.setdefault(e.target_type, set()).add(e.target_id)
    found: dict[tuple[str, str], str] = {}
    for kind, target_ids in lookups.items():
        model = _ROWS_OF[kind]
        wanted = sorted(target_ids)
        for start in range(0, len(wanted), 500):
            for row_id, resource_id in session.execute(
                select(model.id, model.resource_id).where(model.id.in_(wanted[start : start + 500]))
            ):
                found[(kind, row_id)] = resource_id
    for e in events:
        if e.target_id and e.target_type in _ROWS_OF:
            resource = found.get((e.target_type, e.target_id))
            # A request or record whose row is gone describes an unknown resource: the
            # target id itself stands in, which no discover decision permits (fail closed).
            out[e.event_id].add(resource or e.target_id)
    return out


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to spreadsheet software (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class AuditService:
    """Reads the event log for auditors and security officers, as each may see it."""

    def __init__(self, *, uow: UnitOfWorkFactory, policy: PolicyService) -> None:
        self._uow = uow
        self._policy = policy

    def withheld_in(
        self, session: Session, by: Acting, events: Iterable[EventConcern]
    ) -> frozenset[str]:
        """The ids of ``events`` whose data ``by`` may not see: events describing a
        resource ``by`` may not discover (one policy query for the whole batch)."""
        concerns = resources_concerned(session, list(events))
        wanted = set().union(*concerns.values()) if concerns else set()
        visible = self._policy.discoverable_in(session, by, wanted, self._uow.clock())
        return frozenset(event for event, ids in concerns.items() if ids - visible)

    def _as_seen(self, session: Session, by: Acting, entries: list[AuditEntry]) -> list[AuditEntry]:
        hidden = self.withheld_in(
            session, by, (EventConcern(e.id, e.target_type, e.target_id, e.data) for e in entries)
        )
        return [_withhold(e) if e.id in hidden else e for e in entries]

    def search(
        self, by: Acting, f: EventFilter, *, cursor: int | None = None, limit: int = 100
    ) -> AuditPage:
        """Events matching ``f``, newest first; pass ``next_cursor`` back for the next page."""
        authorize(by, Act.AUDIT_READ)
        limit = max(1, min(limit, MAX_PAGE))
        query = _query(f).order_by(EVENTS.c.seq.desc()).limit(limit + 1)
        if cursor is not None:
            query = query.where(EVENTS.c.seq < cursor)
        with self._uow.read() as session:
            rows = session.execute(query).all()
            entries = self._as_seen(session, by, [_entry(r) for r in rows[:limit]])
        more = len(rows) > limit
        return AuditPage(entries, entries[-1].seq if more and entries else None)

    def table(
        self,
        by: Acting,
        f: EventFilter,
        *,
        sort: str = "seq",
        descending: bool = True,
        page: int = 1,
        limit: int = 50,
    ) -> AuditTable:
        """Page ``page`` of the events matching ``f`` sorted by ``sort``, the total and
        counts per event type, actor kind and day. Every event row is the reader's to
        see (data they may not discover is withheld, as in ``search``), so counting rows
        reveals nothing the list does not."""
        authorize(by, Act.AUDIT_READ)
        if sort not in EVENT_SORTS:
            raise InvalidInput(
                f"sort is one of {', '.join(EVENT_SORTS)}", code="invalid_sort", field="sort"
            )
        limit = max(1, min(limit, MAX_PAGE))
        last = -(-TABLE_COUNT_CAP // limit)
        if not 1 <= page <= last:
            raise InvalidInput(
                f"page is 1-{last}; narrow the search to see further",
                code="invalid_page",
                field="page",
            )
        key = EVENT_SORTS[sort]
        order = (key.desc(), EVENTS.c.seq.desc()) if descending else (key, EVENTS.c.seq)
        with self._uow.read() as session:
            matching = _query(f).with_only_columns(EVENTS.c.seq).limit(TABLE_COUNT_CAP + 1)
            counted = session.execute(
                select(func.count()).select_from(matching.subquery())
            ).scalar_one()
            rows = session.execute(
                _query(f).order_by(*order).offset((page - 1) * limit).limit(limit)
            ).all()
            entries = self._as_seen(session, by, [_entry(r) for r in rows])
            facets = {facet: self._facet(session, f, facet) for facet in EVENT_FACETS}
        total = min(int(counted), TABLE_COUNT_CAP)
        return AuditTable(
            entries,
            total,
            counted <= TABLE_COUNT_CAP,
            page,
            max(1, -(-total // limit)),
            facets,
        )

    def activity(self, by: Acting, f: EventFilter) -> Activity:
        """The events matching ``f`` per hour, day or month and event family, for the
        timeline chart: the very rows ``table`` and ``search`` list to ``by`` for the
        same filter (the same query, counted in one GROUP BY, not loaded), so the chart
        shows no event the reader's listing does not."""
        authorize(by, Act.AUDIT_READ)
        with self._uow.read() as session:
            return count_activity(session, _query(f), f.day)

    @staticmethod
    def _facet(session: Session, f: EventFilter, facet: str) -> tuple[EventFacet, ...]:
        column = _day(session) if facet == "day" else EVENTS.c[facet]
        hits = _query(_facet_filter(f, facet)).with_only_columns(column.label("v")).subquery()
        n = func.count().label("n")
        grouped = select(hits.c.v, n).group_by(hits.c.v)
        ordered = grouped.order_by(hits.c.v.desc() if facet == "day" else n.desc(), hits.c.v)
        return tuple(
            EventFacet(str(v), int(count))
            for v, count in session.execute(ordered.limit(FACET_VALUES)).all()
            if v is not None
        )

    def target_history(
        self,
        by: Acting,
        target_type: str,
        target_id: str,
        *,
        cursor: int | None = None,
        limit: int = 100,
    ) -> AuditPage:
        """Everything that happened to one target (an artifact, a person, a token...)."""
        return self.search(
            by,
            EventFilter(target_type=target_type, target_id=target_id),
            cursor=cursor,
            limit=limit,
        )

    def person_history(
        self, by: Acting, person_id: str, *, cursor: int | None = None, limit: int = 100
    ) -> AuditPage:
        """Everything a person did, and everything done to their account."""
        return self.search(by, EventFilter(involving=person_id), cursor=cursor, limit=limit)

    def export_csv(
        self, by: Acting, ctx: CallContext, f: EventFilter, names: EntryNames | None = None
    ) -> str:
        """Matching events oldest first as CSV; the export is recorded as an event first.
        Data the reader may not discover is withheld, as in search. ``names``: the names
        the reader may know for each chunk of entries (else those columns stay empty)."""
        authorize(by, Act.AUDIT_READ)
        criteria = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(f).items()}
        with self._uow(ctx) as uow:
            uow.record("audit.exported", by.actor(), target_id=None, data={"csv": criteria})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        with self._uow.read() as session:
            result = session.execute(_query(f).order_by(EVENTS.c.seq).limit(MAX_EXPORT))
            for rows in result.partitions(EXPORT_CHUNK):
                seen = self._as_seen(session, by, [_entry(r) for r in rows])
                named = names(seen) if names is not None else [(None, None)] * len(seen)
                for e, (actor_display, target_name) in zip(seen, named, strict=True):
                    data = (
                        WITHHELD
                        if e.withheld
                        else json.dumps(e.data, sort_keys=True, ensure_ascii=False)
                    )
                    writer.writerow(
                        [
                            csv_cell(v)
                            for v in (
                                e.leaf_index,
                                e.seq,
                                e.id,
                                e.occurred_at.isoformat(),
                                e.type,
                                e.outcome,
                                e.actor_kind,
                                e.actor_id,
                                e.actor_name,
                                e.target_type,
                                e.target_id,
                                e.request_id,
                                data,
                                actor_display,
                                target_name,
                            )
                        ]
                    )
        return buffer.getvalue()

    # --- ledger entries (what the leaf hashes cover) ------------------------------------

    def entry(self, by: Acting, index: int) -> LedgerEntry:
        """The entry at leaf ``index``: its exact bytes, or, when it describes a resource
        ``by`` may not discover, its leaf hash and the event without its data."""
        authorize(by, Act.AUDIT_READ)
        with self._uow.read() as session:
            row = session.execute(
                select(EVENTS.c.id, EVENTS.c.target_type, EVENTS.c.target_id, EVENTS.c.body).where(
                    EVENTS.c.leaf_index == index
                )
            ).first()
            if row is None:
                raise NotFound(f"no entry {index}", code="entry_not_found")
            body = str(row.body)
            document: dict[str, Any] = json.loads(body)
            hidden = self.withheld_in(
                session,
                by,
                [EventConcern(row.id, row.target_type, row.target_id, document.get("data") or {})],
            )
        leaf = leaf_hash(body.encode("utf-8"))
        if hidden:
            return LedgerEntry(index, leaf, None, withheld_document(document))
        return LedgerEntry(index, leaf, body, document)

    def entries_tile(self, by: Acting, index: int, width: int) -> bytes:
        """Entry bundle N (c2sp.org/tlog-tiles): each entry as a big-endian uint16 length
        and its bytes. Bundles are raw leaves a monitor hashes, so they are never
        redacted: one holding an entry ``by`` may not discover is refused whole (read
        such entries one by one, as leaf hashes)."""
        authorize(by, Act.AUDIT_READ)
        check_tile(0, index, width)
        start = index * TILE_WIDTH
        with self._uow.read() as session:
            rows = session.execute(
                select(EVENTS.c.id, EVENTS.c.target_type, EVENTS.c.target_id, EVENTS.c.body)
                .where(EVENTS.c.leaf_index >= start, EVENTS.c.leaf_index < start + width)
                .order_by(EVENTS.c.leaf_index)
            ).all()
            if len(rows) != width:
                raise NotFound("no such entry bundle yet", code="tile_not_found")
            hidden = self.withheld_in(
                session,
                by,
                [
                    EventConcern(
                        r.id, r.target_type, r.target_id, json.loads(r.body).get("data") or {}
                    )
                    for r in rows
                ],
            )
        if hidden:
            raise PermissionDenied(
                f"entry bundle {index} holds {len(hidden)} entries about resources you may "
                "not discover; its raw bytes are not served to you",
                code="policy_denied",
                hint="read those entries one by one (/api/v1/ledger/entries/N): their leaf "
                "hashes and inclusion proofs verify without their bodies",
                data={"action": Act.AUDIT_READ.value, "rule": "may discover every entry"},
            )
        out = bytearray()
        for r in rows:
            data = str(r.body).encode("utf-8")
            out += len(data).to_bytes(2, "big") + data
        return bytes(out)
