"""Helpers for ledger tests: events written through the unit of work, raw row access."""

from __future__ import annotations

from sqlalchemy import Engine, text

from caveat.bootstrap.container import Node
from caveat.domain.events import Actor
from caveat.services.kernel.uow import CallContext


def add_events(node: Node, count: int, *, per_transaction: int = 200) -> None:
    """Commit ``count`` catalog events (org.created, with an index in the data)."""
    done = 0
    while done < count:
        with node.uow(CallContext.cli()) as uow:
            for _ in range(min(per_transaction, count - done)):
                uow.record(
                    "org.created", Actor.system("test"), target_id=str(done), data={"n": done}
                )
                done += 1


def execute(engine: Engine, sql: str, **params: object) -> None:
    """Run raw SQL as a database administrator would (the attacker in tamper tests)."""
    with engine.begin() as conn:
        conn.execute(text(sql), params)
