"""A change and its event commit together or not at all."""

from __future__ import annotations

import contextvars
import threading
import uuid

import pytest
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow, OrganisationRow
from caveat.bootstrap.container import Node
from caveat.domain.events import Actor
from caveat.domain.identity import OrganisationKind
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import (
    CallContext,
    TransactionAborted,
    UnitOfWork,
    UnitOfWorkFactory,
)


class Injected(RuntimeError):
    pass


def counts(node: Node) -> tuple[int, int]:
    with node.uow.read() as session:
        orgs = session.scalar(select(func.count()).select_from(OrganisationRow)) or 0
        events = session.scalar(select(func.count()).select_from(EventRow)) or 0
        return orgs, events


def create_org(node: Node, name: str = "Fraunhofer FKIE", nation: str = "DEU") -> None:
    node.registry.create_organisation(
        ConsoleOperator(),
        CallContext.cli(),
        name=name,
        nation=nation,
        kind=OrganisationKind.GOVERNMENT_LABORATORY,
    )


def test_failure_before_the_event_leaves_no_change(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(node)

    def explode(self: UnitOfWork, *args: object, **kwargs: object) -> None:
        self.session.flush()  # the change has reached the database inside the transaction
        raise Injected

    monkeypatch.setattr(UnitOfWork, "record", explode)
    with pytest.raises(Injected):
        create_org(node)
    assert counts(node) == before


def test_failure_after_the_event_leaves_no_event(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(node)
    original = UnitOfWork.record

    def record_then_explode(self: UnitOfWork, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        self.session.flush()  # both rows are written...
        raise Injected  # ...and the commit never happens

    monkeypatch.setattr(UnitOfWork, "record", record_then_explode)
    with pytest.raises(Injected):
        create_org(node)
    assert counts(node) == before


def test_success_commits_both_and_runs_after_commit_hooks(node: Node) -> None:
    before = counts(node)
    ran: list[str] = []
    with node.uow(CallContext("req-1")) as unit:
        unit.after_commit(lambda: ran.append("published"))
        assert ran == []
    assert ran == ["published"]
    create_org(node)
    assert counts(node) == (before[0] + 1, before[1] + 1)


def test_after_commit_hooks_do_not_run_on_rollback(node: Node) -> None:
    ran: list[str] = []

    def fail_after_registering() -> None:
        with node.uow(CallContext("req-2")) as unit:
            unit.after_commit(lambda: ran.append("published"))
            raise Injected

    with pytest.raises(Injected):
        fail_after_registering()
    assert ran == []


def test_a_failed_savepoint_undoes_its_rows_events_and_hooks_alone(node: Node) -> None:
    """One item of a batch fails: its rows, its events and its after-commit hooks go;
    what the unit of work did before it (and after it) commits."""
    before = counts(node)
    ran: list[str] = []

    def organisation(uow: UnitOfWork, name: str) -> None:
        row = OrganisationRow(
            id=str(uuid.uuid4()),
            name=name,
            nation="DEU",
            kind=OrganisationKind.GOVERNMENT_LABORATORY.value,
            created_at=uow.now,
        )
        uow.session.add(row)
        uow.record("org.created", ConsoleOperator().actor(), target_id=row.id, data={})
        uow.after_commit(lambda: ran.append(name))

    def fails(unit: UnitOfWork) -> None:
        with unit.savepoint():
            organisation(unit, "Undone")
            unit.session.flush()  # the row reached the database inside the savepoint
            unit.write_events()  # and so did the events pending before it
            raise Injected

    with node.uow(CallContext.cli()) as unit:
        with unit.savepoint():
            organisation(unit, "Kept before")
        with pytest.raises(Injected):
            fails(unit)
        organisation(unit, "Kept after")
    assert counts(node) == (before[0] + 2, before[1] + 2)
    assert ran == ["Kept before", "Kept after"]
    with node.uow.read() as session:
        names = set(session.scalars(select(OrganisationRow.name)))
    assert {"Kept before", "Kept after"} <= names
    assert "Undone" not in names


def test_events_carry_request_id_node_and_canonical_body(node: Node) -> None:
    with node.uow(CallContext("req-xyz")) as unit:
        unit.record(
            "group.created", ConsoleOperator().actor(), target_id="TEST", data={"members": ["USA"]}
        )
    with node.uow.read() as session:
        row = session.scalars(select(EventRow).order_by(EventRow.seq.desc())).first()
    assert row is not None
    assert row.request_id == "req-xyz"
    assert row.node_id == node.identity.id
    assert row.leaf_index is None  # assigned later by the ledger sequencer
    assert '"request_id":"req-xyz"' in row.body


def test_calls_inside_one_transaction_commit_together_or_not_at_all(node: Node) -> None:
    before = counts(node)

    def two_calls_then_a_failure() -> None:
        with node.uow.transaction(CallContext.cli()):
            create_org(node)
            create_org(node, "ONERA", "FRA")
            raise Injected("after two service calls")

    with pytest.raises(Injected):
        two_calls_then_a_failure()
    assert counts(node) == before
    with node.uow.transaction(CallContext.cli()):
        create_org(node)
        with (
            pytest.raises(RuntimeError, match="do not nest"),
            node.uow.transaction(CallContext.cli()),
        ):
            pass
    assert counts(node) == (before[0] + 1, before[1] + 1)
    # Outside a transaction, a call is its own unit of work again.
    create_org(node, "FFI", "NOR")
    assert counts(node) == (before[0] + 2, before[1] + 2)


def test_a_caught_failure_inside_a_transaction_still_rolls_it_back(node: Node) -> None:
    before = counts(node)

    def caught_and_carried_on() -> None:
        with node.uow.transaction(CallContext.cli()):
            create_org(node)
            try:
                with node.uow(CallContext.cli()) as uow:
                    uow.record("org.created", Actor.system(), target_id="half-done")
                    raise Injected("the call failed after recording its event")
            except Injected:
                pass  # the caller carries on: the transaction must not commit

    with pytest.raises(TransactionAborted):
        caught_and_carried_on()
    assert counts(node) == before


def test_a_transaction_is_joined_only_on_its_own_thread_and_while_open(node: Node) -> None:
    before = counts(node)
    seen: list[BaseException | None] = []

    def in_a_thread() -> None:
        try:
            create_org(node)
            seen.append(None)
        except BaseException as exc:
            seen.append(exc)

    with node.uow.transaction(CallContext.cli()):
        copied = contextvars.copy_context()
        worker = threading.Thread(target=copied.run, args=(in_a_thread,))
        worker.start()
        worker.join()
        assert isinstance(seen[0], RuntimeError)  # another thread may not share the session
        other = UnitOfWorkFactory(
            sessions=node.uow.sessions,
            read_sessions=node.uow._read_sessions,
            node_id=node.uow.node_id,
            clock=node.uow.clock,
        )
        with pytest.raises(RuntimeError, match="second database writer"), other(CallContext.cli()):
            pass
    assert counts(node) == before
    # After the transaction, a context copied inside it writes on its own again.
    copied.run(create_org, node)
    assert counts(node) == (before[0] + 1, before[1] + 1)
