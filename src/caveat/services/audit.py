"""The audit explorer: search the event log, histories per target and per person, CSV.

Only security officers and auditors (and the node's console) read it. Nothing is ever
deleted; an export is itself an event, so exporting the record leaves a record.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select

from caveat.adapters.db.models import Base
from caveat.domain.errors import InvalidInput
from caveat.domain.events import Outcome
from caveat.services.monitoring import require_reader
from caveat.services.principal import Acting
from caveat.services.uow import CallContext, UnitOfWorkFactory

EVENTS = Base.metadata.tables["events"]
MAX_PAGE = 1000
MAX_EXPORT = 1_000_000
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
)


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


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of entries, newest first, and the cursor for the next page."""

    entries: list[AuditEntry]
    next_cursor: int | None


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


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell starting with = + - @ is a formula to spreadsheet software (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class AuditService:
    """Reads the event log for auditors and security officers."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def search(
        self, by: Acting, f: EventFilter, *, cursor: int | None = None, limit: int = 100
    ) -> AuditPage:
        """Events matching ``f``, newest first; pass ``next_cursor`` back for the next page."""
        require_reader(by, action="searching the audit log")
        limit = max(1, min(limit, MAX_PAGE))
        query = _query(f).order_by(EVENTS.c.seq.desc()).limit(limit + 1)
        if cursor is not None:
            query = query.where(EVENTS.c.seq < cursor)
        with self._uow.read() as session:
            rows = session.execute(query).all()
        entries = [_entry(r) for r in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(entries, entries[-1].seq if more and entries else None)

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

    def export_csv(self, by: Acting, ctx: CallContext, f: EventFilter) -> str:
        """Matching events oldest first as CSV; the export is recorded as an event first."""
        require_reader(by, action="exporting the audit log")
        criteria = {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(f).items()
        }
        with self._uow(ctx) as uow:
            uow.record("audit.exported", by.actor(), target_id=None, data={"csv": criteria})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        with self._uow.read() as session:
            rows = session.execute(_query(f).order_by(EVENTS.c.seq).limit(MAX_EXPORT))
            for row in rows:
                e = _entry(row)
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
                            json.dumps(e.data, sort_keys=True, ensure_ascii=False),
                        )
                    ]
                )
        return buffer.getvalue()
