"""The unit of work: one transaction per service call, with its events inside it.

Every state-changing service call opens a unit of work, changes rows, calls
:meth:`UnitOfWork.record` for its event, and leaves; the change and the event commit
together or not at all. Work that must happen only once the change is durable
(notifications, publishing) is registered with :meth:`after_commit`.

Where several service calls must succeed or fail together (creating a node: its
identity, organisation and first operator), :meth:`UnitOfWorkFactory.transaction` opens
one unit of work that the calls made inside it, on the same thread, join.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, update
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.compliance import PolicyGenerationRow
from caveat.domain.errors import Conflict, ServiceUnavailable
from caveat.domain.events import Actor, Event, Outcome, event_type

Clock = Callable[[], datetime]
# The plain table: a Core executemany, without the ORM's bulk-insert bookkeeping.
_EVENTS = cast(Table, EventRow.__table__)
_GENERATIONS = cast(Table, PolicyGenerationRow.__table__)
# Events that change what a cached policy source returns (services/generations.py):
# any state change has its event, so no write path can forget to invalidate.
GENERATION_TRIGGERS = (
    ("agreement.", "agreements"),
    ("programme.project_added", "agreements"),  # programme coverage widens
    ("authorization.", "authorizations"),
)


@dataclass(frozen=True, slots=True)
class CallContext:
    """Where a call comes from: the request id and the client's address, if any."""

    request_id: str | None = None
    client_address: str | None = None

    @classmethod
    def cli(cls) -> CallContext:
        """A call made from the node's own command line."""
        return cls(request_id=f"cli-{uuid.uuid4()}", client_address=None)


class UnitOfWork:
    """A database session plus the events and after-commit callbacks of one call."""

    def __init__(self, session: Session, *, node_id: str, now: datetime, ctx: CallContext):
        self.session = session
        self.node_id = node_id
        self.now = now  # one time for the whole call: rows and events agree
        self.ctx = ctx
        self.events: list[Event] = []
        self._event_rows: list[dict[str, Any]] = []
        self._after_commit: list[Callable[[], None]] = []

    def record(
        self,
        type_name: str,
        actor: Actor,
        *,
        target_id: str | None,
        outcome: Outcome = Outcome.SUCCESS,
        data: dict[str, Any] | None = None,
    ) -> Event:
        """Append an event to this transaction; it commits with the change or not at all."""
        event = Event(
            id=str(uuid.uuid4()),
            type=event_type(type_name),
            actor=actor,
            target_id=target_id,
            outcome=outcome,
            occurred_at=self.now,
            request_id=self.ctx.request_id,
            node_id=self.node_id,
            data=data or {},
        )
        # Rows are inserted together, in one executemany, when the unit of work ends:
        # building ORM objects per event would cost more than writing them.
        self._event_rows.append(
            {
                "id": event.id,
                "type": event.type.name,
                "type_version": event.type.version,
                "occurred_at": event.occurred_at,
                "actor_kind": event.actor.kind.value,
                "actor_id": event.actor.id,
                "actor_name": event.actor.name,
                "target_type": event.type.target_type,
                "target_id": event.target_id,
                "outcome": event.outcome.value,
                "request_id": event.request_id,
                "node_id": event.node_id,
                "body": event.canonical_bytes().decode("utf-8"),
            }
        )
        self.events.append(event)
        return event

    def write_events(self) -> None:
        """Insert the events recorded so far (called before commit; safe to call again)
        and raise the generation of every policy source those events changed."""
        if self._event_rows:
            changed = {
                source
                for row in self._event_rows
                for prefix, source in GENERATION_TRIGGERS
                if row["type"].startswith(prefix)
            }
            self.session.execute(insert(_EVENTS), self._event_rows)
            self._event_rows = []
            if changed:
                self.session.execute(
                    update(_GENERATIONS)
                    .where(_GENERATIONS.c.name.in_(sorted(changed)))
                    .values(value=_GENERATIONS.c.value + 1)
                )

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never on rollback)."""
        self._after_commit.append(callback)

    def _run_after_commit(self) -> None:
        for callback in self._after_commit:
            callback()


class UnitOfWorkFactory:
    """Opens units of work on one database for one node."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        node_id: str,
        clock: Clock,
    ) -> None:
        self.sessions = sessions  # writing sessions (listeners attach here)
        self._read_sessions = read_sessions
        self.node_id = node_id
        self.clock = clock
        self._joined: ContextVar[UnitOfWork | None] = ContextVar("joined_uow", default=None)

    @contextmanager
    def __call__(self, ctx: CallContext) -> Iterator[UnitOfWork]:
        """A writing unit of work: commits on normal exit, rolls back on any exception.
        Inside :meth:`transaction` it is that transaction's unit of work."""
        joined = self._joined.get()
        if joined is not None:
            yield joined  # the outer transaction commits, or rolls everything back
            return
        with self._open(ctx) as uow:
            yield uow

    @contextmanager
    def transaction(self, ctx: CallContext) -> Iterator[UnitOfWork]:
        """One transaction for every service call made inside it: all of their rows and
        events commit together at the end, or none do. Reads through :meth:`read` do
        not see its writes before it commits."""
        if self._joined.get() is not None:
            raise RuntimeError("transactions do not nest")
        with self._open(ctx) as uow:
            token = self._joined.set(uow)
            try:
                yield uow
            finally:
                self._joined.reset(token)

    @contextmanager
    def _open(self, ctx: CallContext) -> Iterator[UnitOfWork]:
        try:
            with self.sessions() as session, session.begin():
                uow = UnitOfWork(session, node_id=self.node_id, now=self.clock(), ctx=ctx)
                yield uow
                uow.write_events()
        except OperationalError as exc:
            raise ServiceUnavailable(
                "the database is not available", code="database_unavailable"
            ) from exc
        except DatabaseIntegrityError as exc:
            # Services check uniqueness first; this is the race that slipped past them.
            raise Conflict("the change clashes with data written at the same time") from exc
        uow._run_after_commit()

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A read-only Core connection: the lightest way to run a hot-path query."""
        bind = self._read_sessions.kw["bind"]
        try:
            with bind.connect() as connection, connection.begin():
                yield connection
        except OperationalError as exc:
            raise ServiceUnavailable(
                "the database is not available", code="database_unavailable"
            ) from exc

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session for queries (never takes the SQLite write lock)."""
        try:
            with self._read_sessions() as session, session.begin():
                yield session
        except OperationalError as exc:
            raise ServiceUnavailable(
                "the database is not available", code="database_unavailable"
            ) from exc
