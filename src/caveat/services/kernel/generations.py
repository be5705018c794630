"""Per-process caches of policy sources, kept honest by generation counters.

Deriving a subject's agreement and authorization terms costs several queries; the terms
change rarely (an agreement is signed, suspended or amended) while decisions happen on
every request. Each source has a counter in ``policy_generations`` that the unit of work
raises in the same transaction as the change (``uow.GENERATION_TRIGGERS``), so every
process sees a change on its next request: one primary-key read decides whether a
cached answer is still the answer. Keys include the day, so expiry needs no trigger.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.compliance import PolicyGenerationRow
from caveat.services.kernel.uow import UnitOfWorkFactory

V = TypeVar("V")


class GenerationCache(Generic[V]):
    """Answers of one policy source per key, valid while its generation stands."""

    def __init__(self, uow: UnitOfWorkFactory, source: str, *, size: int = 4096) -> None:
        self._uow = uow
        self._source = source
        self._query = select(PolicyGenerationRow.value).where(PolicyGenerationRow.name == source)
        self._size = size
        self._generation: int | None = None
        self._answers: dict[Hashable, V] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[Session], V]) -> V:
        """The cached answer for ``key``, or ``compute``'s in the same read transaction.

        The generation is read first, so an answer is never older than the generation
        it is stored under; a change committed meanwhile raises the generation again.
        """
        with self._uow.read() as session:
            return self.get_in(session, key, compute)

    def get_in(self, session: Session, key: Hashable, compute: Callable[[Session], V]) -> V:
        """``get`` in the caller's read transaction (the generation read first in it).

        The generation is read once per transaction: what the transaction reads after
        it is at least as new, so every answer it stores stays under the one it read."""
        seen = session.info.setdefault("policy_generations", {})
        if self._source in seen:
            generation = seen[self._source]
        else:
            generation = seen[self._source] = session.scalar(self._query)
        if generation is None:  # no counter (a database not yet upgraded): no cache
            return compute(session)
        with self._lock:
            if generation != self._generation:
                self._generation, self._answers = generation, {}
            elif key in self._answers:
                return self._answers[key]
        answer = compute(session)
        with self._lock:
            if generation == self._generation:
                if len(self._answers) >= self._size:
                    self._answers.clear()
                self._answers[key] = answer
        return answer
