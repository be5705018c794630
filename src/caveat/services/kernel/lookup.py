"""Finding a row by what a person typed: its id, or its name.

An id always wins, and a name must name exactly one row. A query for ``id = ref OR
name = ref`` taking its first row would let a row named after another row's id stand
in for it (the database decides which comes first), so every by-reference lookup goes
through here; names that look like ids are refused when stored (domain/names.py).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from caveat.domain.errors import Conflict

T = TypeVar("T")


def by_reference(
    session: Session, model: type[T], ref: str, *names: InstrumentedAttribute[Any]
) -> T | None:
    """The row of ``model`` whose id is ``ref``, else the one row with a name column
    equal to ``ref``; None when there is none, Conflict when a name is ambiguous."""
    row = session.get(model, ref)
    if row is not None:
        return row
    found = session.scalars(select(model).where(or_(*(c == ref for c in names))).limit(2)).all()
    if len(found) > 1:
        raise Conflict(
            f"{ref!r} names more than one {model.__name__.removesuffix('Row').lower()}",
            code="ambiguous_reference",
            hint="use the id",
        )
    return found[0] if found else None
