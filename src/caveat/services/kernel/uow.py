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

import functools
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, update
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from caveat.adapters.db.engine import WriteQueueTimeoutError
from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.compliance import PolicyGenerationRow
from caveat.domain.errors import Conflict, ServiceUnavailable
from caveat.domain.events import Actor, Event, Outcome, bounded, event_type

Clock = Callable[[], datetime]
_EVENTS = cast(Table, EventRow.__table__)
_GENERATIONS = cast(Table, PolicyGenerationRow.__table__)
# Events that change what a cached policy source returns (services/kernel/generations.py):
# any state change has its event, so no write path can forget to invalidate.
# What a subject's facts are read from (services/channels/_subjects.py caches them):
# people, credentials' MFA enrolment and locks, memberships, programmes' projects,
# grants, caveat holdings, organisations, groups, agreements, authorizations, screening,
# embargoes, visits. tests/services/test_subject_generation.py classifies every event type,
# so a new one must be placed on one side or the other.
SUBJECT_TRIGGERS = (
    "person.", "auth.totp_enrolled", "auth.locked", "auth.sessions_revoked", "token.",
    "project.", "programme.", "resource.grant_", "org.", "node.organisation_set", "group.",
    "agreement.", "authorization.", "screening.", "embargo.", "visit.",
)  # fmt: skip
GENERATION_TRIGGERS = (
    ("agreement.", "agreements"),
    ("programme.project_added", "agreements"),  # programme coverage widens
    ("authorization.", "authorizations"),
    *((prefix, "subjects") for prefix in SUBJECT_TRIGGERS),
)
_TRIGGER_PREFIXES = tuple(prefix for prefix, _ in GENERATION_TRIGGERS)
_EVENT_COLUMNS = (
    "id", "type", "type_version", "actor_kind", "actor_id", "actor_name", "target_type",
    "target_id", "outcome", "request_id", "node_id", "body", "occurred_at",
)  # fmt: skip
_OCCURRED_AT = _EVENTS.c.occurred_at.type


_UPSERTED = "subjects"


def _raise_upserted(dialect: str) -> Any:
    """Raise the subjects counter by one, creating it at 1 if its row is missing."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        insert: Any = pg_insert(_GENERATIONS)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        insert = sqlite_insert(_GENERATIONS)
    return insert.values(name=_UPSERTED, value=1).on_conflict_do_update(
        index_elements=["name"], set_={"value": _GENERATIONS.c.value + 1}
    )


@functools.cache
def _insert_events_sql(paramstyle: str) -> str:
    """The events INSERT in the driver's own parameter style (qmark or format)."""
    marker = "?" if paramstyle == "qmark" else "%s"
    columns = ", ".join(_EVENT_COLUMNS)
    markers = ", ".join(marker for _ in _EVENT_COLUMNS)
    return f"INSERT INTO events ({columns}) VALUES ({markers})"  # noqa: S608 - constants


def new_event_id() -> str:
    """A random (version 4) UUID in its usual text form, as ``str(uuid.uuid4())``
    writes it, at half the cost."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
        self._event_rows: list[tuple[Any, ...]] = []
        self._changed: set[str] = set()  # policy sources whose generation these events raise
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
        kind = event_type(type_name)
        event, text = bounded(
            Event(
                id=new_event_id(),
                type=kind,
                actor=actor,
                target_id=target_id,
                outcome=outcome,
                occurred_at=self.now,
                request_id=self.ctx.request_id,
                node_id=self.node_id,
                data=data or {},
            )
        )
        # Rows are inserted together, in one executemany, when the unit of work ends:
        # building ORM objects per event would cost more than writing them. The order
        # is _EVENT_COLUMNS but for occurred_at, which is the unit of work's one time.
        self._event_rows.append(
            (
                event.id,
                kind.name,
                kind.version,
                actor.kind.value,
                actor.id,
                actor.name,
                kind.target_type,
                target_id,
                outcome.value,
                event.request_id,
                self.node_id,
                text,
            )
        )
        if kind.name.startswith(_TRIGGER_PREFIXES):
            self._changed.update(s for p, s in GENERATION_TRIGGERS if kind.name.startswith(p))
        self.events.append(event)
        return event

    def write_events(self) -> None:
        """Insert the events recorded so far (called before commit; safe to call again)
        and raise the generation of every policy source those events changed."""
        if self._event_rows:
            connection = self.session.connection()
            dialect = connection.dialect
            bind = _OCCURRED_AT.dialect_impl(dialect).bind_processor(dialect)
            when = self.now if bind is None else bind(self.now)
            # The driver's executemany with the time bound once: SQLAlchemy's per-row
            # parameter processing cost as much as SQLite's insert.
            connection.exec_driver_sql(
                _insert_events_sql(dialect.paramstyle), [(*r, when) for r in self._event_rows]
            )
            self._event_rows = []
        if self._changed:
            names = sorted(self._changed - {_UPSERTED})
            if names:
                self.session.execute(
                    update(_GENERATIONS)
                    .where(_GENERATIONS.c.name.in_(names))
                    .values(value=_GENERATIONS.c.value + 1)
                )
            if _UPSERTED in self._changed:
                # A source added after the counters' migration: its row begins with its
                # first change, atomically (PostgreSQL and SQLite both take ON CONFLICT).
                self.session.execute(_raise_upserted(self.session.get_bind().dialect.name))
            self._changed = set()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of this unit of work that may fail alone: on an exception, the rows it
        wrote and the events and after-commit callbacks it recorded are undone (a
        database savepoint), and the exception goes on; what came before it stands.
        A failure the caller catches then commits nothing of the part with the rest."""
        events, rows = len(self.events), list(self._event_rows)
        changed, after = set(self._changed), len(self._after_commit)
        try:
            with self.session.begin_nested():
                yield
        except BaseException:
            del self.events[events:]
            self._event_rows, self._changed = rows, changed
            del self._after_commit[after:]
            raise

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the transaction has committed (never on rollback)."""
        self._after_commit.append(callback)

    def _run_after_commit(self) -> None:
        for callback in self._after_commit:
            callback()


@dataclass
class _Joined:
    """The open transaction that writing units of work on this thread join."""

    uow: UnitOfWork
    factory: UnitOfWorkFactory
    thread: int
    open: bool = True
    failed: BaseException | None = None


# One variable for every factory: a second writer on the same thread is caught, whichever
# factory it comes from. A copied context (a task or thread started inside) sees the
# holder too, so the holder says whether it is still open and whose thread it is.
_JOINED: ContextVar[_Joined | None] = ContextVar("caveat_joined_uow", default=None)
# The shared read transaction open on this thread (``read(shared=True)``), if any.
_SHARED_READ: ContextVar[tuple[UnitOfWorkFactory, int, Session] | None] = ContextVar(
    "caveat_shared_read", default=None
)


class TransactionAborted(RuntimeError):
    """Raised at the end of a transaction when a call inside it failed: even if the
    caller caught that error, what the call left half-done must not commit."""


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

    @contextmanager
    def __call__(self, ctx: CallContext) -> Iterator[UnitOfWork]:
        """A writing unit of work: commits on normal exit, rolls back on any exception.
        Inside :meth:`transaction` it is that transaction's unit of work."""
        joined = _open_transaction()
        if joined is None:
            with self._open(ctx) as uow:
                yield uow
            return
        if joined.factory is not self:
            raise RuntimeError("a second database writer inside a transaction")
        try:
            yield joined.uow  # the transaction commits, or rolls everything back
        except BaseException as exc:
            joined.failed = exc
            raise

    @contextmanager
    def transaction(self, ctx: CallContext) -> Iterator[UnitOfWork]:
        """One transaction for every service call made inside it, on this thread: all of
        their rows and events commit together at the end, or none do (also when a call
        failed and its error was caught). Reads through :meth:`read` do not see its
        writes before it commits; writes that bypass this factory are refused."""
        if _open_transaction() is not None:
            raise RuntimeError("transactions do not nest")
        with self._open(ctx) as uow:
            holder = _Joined(uow, self, threading.get_ident())
            token = _JOINED.set(holder)
            try:
                yield uow
                if holder.failed is not None:
                    raise TransactionAborted(
                        "a call inside the transaction failed; nothing was committed"
                    ) from holder.failed
            finally:
                holder.open = False
                _JOINED.reset(token)

    @contextmanager
    def _open(self, ctx: CallContext) -> Iterator[UnitOfWork]:
        try:
            with self.sessions() as session, session.begin():
                uow = UnitOfWork(session, node_id=self.node_id, now=self.clock(), ctx=ctx)
                yield uow
                uow.write_events()
        except _UNAVAILABLE as exc:
            raise _unavailable() from exc
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
        except _UNAVAILABLE as exc:
            raise _unavailable() from exc

    @contextmanager
    def read(self, *, shared: bool = False) -> Iterator[Session]:
        """A read-only session for queries (never takes the SQLite write lock).

        ``shared``: reads this thread opens inside this one (policy sources a derivation
        calls) join its transaction: one snapshot, one connection, instead of one each.
        """
        joined = _SHARED_READ.get()
        if joined is not None and joined[0] is self and joined[1] == threading.get_ident():
            yield joined[2]
            return
        try:
            with self._read_sessions() as session, session.begin():
                if not shared:
                    yield session
                    return
                token = _SHARED_READ.set((self, threading.get_ident(), session))
                try:
                    yield session
                finally:
                    _SHARED_READ.reset(token)
        except _UNAVAILABLE as exc:
            raise _unavailable() from exc


# The database down or locked, the pool's wait for a connection over, or the SQLite
# write queue's: each is "try again", never a 500.
_UNAVAILABLE = (OperationalError, PoolTimeout, WriteQueueTimeoutError)


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("the database is not available", code="database_unavailable")


def _open_transaction() -> _Joined | None:
    """The transaction this call runs in, if one is open; a call on another thread than
    the transaction's (a copied context) may not join it."""
    joined = _JOINED.get()
    if joined is None or not joined.open:
        return None
    if joined.thread != threading.get_ident():
        raise RuntimeError("a unit of work cannot join another thread's transaction")
    return joined
