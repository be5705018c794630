"""Helpers shared by the compliance services (agreements, authorizations, screening,
embargoes, programmes, releases, export records)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import rfc8785
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow
from caveat.domain.errors import InvalidInput, NotFound
from caveat.services.kernel.lookup import by_reference
from caveat.services.kernel.principal import Acting, ConsoleOperator


def new_id() -> str:
    """A fresh row id."""
    return str(uuid.uuid4())


def canonical(value: Any) -> str:
    """RFC 8785 canonical JSON text (what rows and events store)."""
    return bytes(rfc8785.dumps(value)).decode()


def loads(text: str | None) -> Any:
    """JSON text back to Python (None stays None)."""
    return None if text is None else json.loads(text)


def actor_id(by: Acting) -> str | None:
    """The acting person's id (None for the console)."""
    return None if isinstance(by, ConsoleOperator) else by.person_id


def find_organisation(session: Session, ref: str) -> OrganisationRow:
    """An organisation by id, name or short name."""
    row = by_reference(
        session, OrganisationRow, ref, OrganisationRow.name, OrganisationRow.short_name
    )
    if row is None:
        raise NotFound(
            f"no organisation {ref!r}",
            code="unknown_organisation",
            hint="list organisations with `caveat org list`",
        )
    return row


def require_text(value: str, *, field: str, low: int = 2, high: int = 200) -> str:
    """Stripped text of ``low``-``high`` characters."""
    value = value.strip()
    if not low <= len(value) <= high:
        raise InvalidInput(
            f"{field} needs {low} to {high} characters", code=f"invalid_{field}", field=field
        )
    return value


def require_level(level: int, *, field: str = "max_level") -> int:
    """A common classification level 0-4."""
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
        raise InvalidInput(
            "a classification level is 0 (unclassified) to 4 (top secret)",
            code="invalid_level",
            field=field,
        )
    return level
