"""Conduct monitoring: rules over the integrated event stream that raise alerts.

Rules read entries in leaf order from a stored cursor, so every entry is judged once
and in the order the ledger fixed; raising or acknowledging an alert is itself an
event. Alerts are acknowledged, never deleted.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, func, select

from caveat.adapters.db.models import Base
from caveat.adapters.db.models.ledger import AlertRow, LedgerCursorRow
from caveat.domain.errors import Conflict, NotFound
from caveat.domain.events import Actor, ActorKind, Outcome
from caveat.domain.permissions import Act, Target
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger import _store as store

EVENTS = Base.metadata.tables["events"]
ALERTS = Base.metadata.tables["alerts"]
CURSOR = "monitor"
BATCH = 5000
MONITOR = Actor.system("monitor")
_BAD = (Outcome.DENIED.value, Outcome.FAILURE.value)


class AlertStatus:
    """An alert is open until a security officer acknowledges it."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True, slots=True)
class MonitorRules:
    """Thresholds of the built-in rules (settings ``CAVEAT_MONITOR_*``)."""

    failure_threshold: int = 5
    failure_window: timedelta = timedelta(minutes=15)
    bulk_types: frozenset[str] = frozenset({"artifact.downloaded"})
    bulk_threshold: int = 100
    bulk_window: timedelta = timedelta(hours=1)
    work_hours: tuple[int, int] = (6, 20)  # [start, end) in UTC


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert as the services hand it out."""

    id: str
    rule: str
    severity: str
    subject_id: str | None
    subject_name: str | None
    summary: str
    data: dict[str, Any]
    first_index: int | None
    last_index: int | None
    raised_at: datetime
    status: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement: str | None


def _alert(row: AlertRow | Row[Any]) -> Alert:
    return Alert(
        row.id,
        row.rule,
        row.severity,
        row.subject_id,
        row.subject_name,
        row.summary,
        json.loads(row.data),
        row.first_index,
        row.last_index,
        row.raised_at,
        row.status,
        row.acknowledged_at,
        row.acknowledged_by,
        row.acknowledgement,
    )


def _signed_in_as(e: Row[Any]) -> str | None:
    """The username a sign-in entry's data names, if any."""
    try:
        document = json.loads(e.body)
    except (TypeError, ValueError):
        return None
    data = document.get("data") if isinstance(document, dict) else None
    name = data.get("username") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


class MonitoringService:
    """Runs the rules over new entries, and lists and acknowledges alerts."""

    def __init__(self, *, uow: UnitOfWorkFactory, rules: MonitorRules | None = None) -> None:
        self._uow = uow
        self.rules = rules or MonitorRules()

    # --- scanning ---------------------------------------------------------------

    def behind(self) -> bool:
        """True when integrated entries wait to be judged (a read, no lock)."""
        with self._uow.read() as session:
            position = session.scalar(
                select(LedgerCursorRow.position).where(LedgerCursorRow.name == CURSOR)
            )
            top = session.scalar(select(func.max(EVENTS.c.leaf_index)))
        return top is not None and int(top) >= (position or 0)

    def scan(self, ctx: CallContext) -> list[Alert]:
        """Judge every integrated entry not yet seen; return the alerts raised."""
        raised: list[Alert] = []
        while True:
            with self._uow(ctx) as uow:
                conn = uow.session.connection()
                store.lock_sequencer(conn)  # one scanner at a time, like the sequencer
                cursor = uow.session.get(LedgerCursorRow, CURSOR)
                if cursor is None:
                    cursor = LedgerCursorRow(name=CURSOR, position=0)
                    uow.session.add(cursor)
                rows = conn.execute(
                    select(EVENTS)
                    .where(EVENTS.c.leaf_index >= cursor.position)
                    .order_by(EVENTS.c.leaf_index)
                    .limit(BATCH)
                ).all()
                for row in rows:
                    raised.extend(self._judge(uow, conn, row))
                if rows:
                    cursor.position = int(rows[-1].leaf_index) + 1
            if len(rows) < BATCH:
                return raised

    def _judge(self, uow: UnitOfWork, conn: Connection, e: Row[Any]) -> list[Alert]:
        if e.type.startswith("alert."):
            return []  # alerts about alerts would feed on themselves
        found: list[Alert] = []
        if e.outcome in _BAD:
            found += self._failures(uow, conn, e)
        if e.type in self.rules.bulk_types and e.actor_id:
            found += self._bulk(uow, conn, e)
        if e.actor_kind == ActorKind.PERSON.value and e.outcome == Outcome.SUCCESS.value:
            found += self._hours(uow, e)
        return found

    def _previous_last(self, conn: Connection, rule: str, subject: str) -> int:
        last = conn.scalar(
            select(func.max(ALERTS.c.last_index)).where(
                ALERTS.c.rule == rule, ALERTS.c.subject_id == subject
            )
        )
        return -1 if last is None else int(last)

    def _failures(self, uow: UnitOfWork, conn: Connection, e: Row[Any]) -> list[Alert]:
        # A person's own denials count against them; failed sign-ins (nobody signed in
        # yet) count against the account they tried.
        if e.actor_id:
            subject, name, match = e.actor_id, e.actor_name, EVENTS.c.actor_id == e.actor_id
        elif e.target_id and e.type == "auth.login":
            # Named by the account's username the sign-in gave (a person reads the
            # alert), by its id when the entry has none.
            subject, name = e.target_id, _signed_in_as(e) or e.target_id
            match = and_(EVENTS.c.type == "auth.login", EVENTS.c.target_id == e.target_id)
        else:
            return []
        return self._threshold(
            uow,
            conn,
            e,
            rule="repeated_failures",
            subject=subject,
            name=name,
            match=and_(match, EVENTS.c.outcome.in_(_BAD)),
            threshold=self.rules.failure_threshold,
            window=self.rules.failure_window,
            what="denied or failed actions",
        )

    def _bulk(self, uow: UnitOfWork, conn: Connection, e: Row[Any]) -> list[Alert]:
        return self._threshold(
            uow,
            conn,
            e,
            rule="bulk_access",
            subject=e.actor_id,
            name=e.actor_name,
            match=and_(
                EVENTS.c.actor_id == e.actor_id, EVENTS.c.type.in_(sorted(self.rules.bulk_types))
            ),
            threshold=self.rules.bulk_threshold,
            window=self.rules.bulk_window,
            what="bulk accesses",
        )

    def _threshold(
        self,
        uow: UnitOfWork,
        conn: Connection,
        e: Row[Any],
        *,
        rule: str,
        subject: str,
        name: str | None,
        match: Any,
        threshold: int,
        window: timedelta,
        what: str,
    ) -> list[Alert]:
        since = e.occurred_at - window
        after = self._previous_last(conn, rule, subject)  # never count an entry twice
        hits = conn.execute(
            select(EVENTS.c.leaf_index)
            .where(match)
            .where(EVENTS.c.occurred_at >= since)
            .where(EVENTS.c.leaf_index > after, EVENTS.c.leaf_index <= e.leaf_index)
        ).all()
        if len(hits) < threshold:
            return []
        indices = sorted(int(i) for (i,) in hits)
        minutes = int(window.total_seconds() // 60)
        return [
            self._raise(
                uow,
                rule=rule,
                severity="high",
                subject_id=subject,
                subject_name=name,
                summary=f"{len(indices)} {what} by {name or subject} within {minutes} minutes",
                data={"count": len(indices), "window_minutes": minutes, "entries": indices},
                first_index=indices[0],
                last_index=indices[-1],
            )
        ]

    def _hours(self, uow: UnitOfWork, e: Row[Any]) -> list[Alert]:
        start, end = self.rules.work_hours
        at = e.occurred_at.astimezone(UTC)
        if start <= at.hour < end:
            return []
        day = at.date().isoformat()
        previous = uow.session.scalars(
            select(AlertRow)
            .where(AlertRow.rule == "unusual_hours", AlertRow.subject_id == e.actor_id)
            .order_by(AlertRow.raised_at.desc())
            .limit(1)
        ).first()
        if previous is not None and json.loads(previous.data).get("day") == day:
            return []  # one alert per person per day is enough to start a conversation
        return [
            self._raise(
                uow,
                rule="unusual_hours",
                severity="medium",
                subject_id=e.actor_id,
                subject_name=e.actor_name,
                summary=f"{e.actor_name or e.actor_id} acted at {at:%H:%M} UTC ({e.type})",
                data={"day": day, "type": e.type, "hours": [start, end]},
                first_index=int(e.leaf_index),
                last_index=int(e.leaf_index),
            )
        ]

    def _raise(
        self,
        uow: UnitOfWork,
        *,
        rule: str,
        severity: str,
        subject_id: str | None,
        subject_name: str | None,
        summary: str,
        data: dict[str, Any],
        first_index: int | None = None,
        last_index: int | None = None,
    ) -> Alert:
        row = AlertRow(
            id=str(uuid.uuid4()),
            rule=rule,
            severity=severity,
            subject_id=subject_id,
            subject_name=subject_name,
            summary=summary[:500],
            data=json.dumps(data, sort_keys=True),
            first_index=first_index,
            last_index=last_index,
            raised_at=uow.now,
            status=AlertStatus.OPEN,
        )
        uow.session.add(row)
        uow.session.flush()  # later rules in the same batch must see it
        uow.record(
            "alert.raised",
            MONITOR,
            target_id=row.id,
            data={"rule": rule, "severity": severity, "subject": subject_id, "summary": summary},
        )
        return _alert(row)

    def raise_within(
        self,
        uow: UnitOfWork,
        *,
        rule: str,
        severity: str,
        subject_id: str | None,
        subject_name: str | None,
        summary: str,
        data: dict[str, Any],
    ) -> Alert:
        """Raise an alert inside the caller's unit of work, so that the change it is about
        and the alert commit together (conduct alerts on operators' changes)."""
        return self._raise(
            uow,
            rule=rule,
            severity=severity,
            subject_id=subject_id,
            subject_name=subject_name,
            summary=summary,
            data=data,
        )

    def raise_alert(
        self,
        ctx: CallContext,
        *,
        rule: str,
        severity: str,
        subject_id: str | None,
        summary: str,
        data: dict[str, Any],
    ) -> Alert:
        """Raise an alert that does not come from the event stream (a refusing witness)."""
        with self._uow(ctx) as uow:
            return self._raise(
                uow,
                rule=rule,
                severity=severity,
                subject_id=subject_id,
                subject_name=subject_id,
                summary=summary,
                data=data,
            )

    # --- reading and acknowledging -------------------------------------------------

    def alerts(
        self, by: Acting, *, status: str | None = None, limit: int = 100, before: str | None = None
    ) -> list[Alert]:
        """Alerts, newest first; ``before`` is the id of the last alert already seen."""
        authorize(by, Act.ALERT_READ)
        query = select(ALERTS).order_by(ALERTS.c.raised_at.desc(), ALERTS.c.id.desc())
        if status is not None:
            query = query.where(ALERTS.c.status == status)
        with self._uow.read() as session:
            if before is not None:
                mark = session.get(AlertRow, before)
                if mark is None:
                    raise NotFound(f"no alert {before!r}", code="alert_not_found")
                query = query.where(
                    (ALERTS.c.raised_at < mark.raised_at)
                    | ((ALERTS.c.raised_at == mark.raised_at) & (ALERTS.c.id < mark.id))
                )
            rows = session.execute(query.limit(max(1, min(limit, 1000)))).all()
            return [_alert(r) for r in rows]

    def acknowledge(self, by: Acting, ctx: CallContext, alert_id: str, *, note: str) -> Alert:
        """Record that a security officer looked at an alert and what they concluded; an
        alert about an officer is acknowledged by another (Act.ALERT_ACKNOWLEDGE)."""
        authorize(by, Act.ALERT_ACKNOWLEDGE)  # the role, before anything is looked up
        note = note.strip()[:2000]
        with self._uow(ctx) as uow:
            row = uow.session.get(AlertRow, alert_id, with_for_update=True)
            if row is None:
                raise NotFound(f"no alert {alert_id!r}", code="alert_not_found")
            authorize(by, Act.ALERT_ACKNOWLEDGE, Target(person_id=row.subject_id))
            if row.status != AlertStatus.OPEN:
                raise Conflict("the alert is already acknowledged", code="alert_acknowledged")
            row.status = AlertStatus.ACKNOWLEDGED
            row.acknowledged_at = uow.now
            row.acknowledged_by = by.person_id if isinstance(by, Principal) else None
            row.acknowledgement = note
            uow.record("alert.acknowledged", by.actor(), target_id=row.id, data={"note": note})
            return _alert(row)
