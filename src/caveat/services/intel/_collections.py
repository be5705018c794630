"""TAXII collections: one project's threat-intelligence feed each.

A collection is seen by the current members of its project (need-to-know, as the
policy reads it); anyone else gets the "not found" of a collection that does not exist.
``can_read`` and ``can_write`` are computed per caller: a member reads what the policy
lets them read, and writes when the permission table lets them add (an API token needs
the write scope). Which objects they then read or add is the policy's decision per object.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.taxii import TaxiiCollectionRow
from caveat.domain.errors import InvalidInput, NotFound
from caveat.domain.labels import Label, label_to_canonical_json
from caveat.domain.names import clean_name
from caveat.domain.permissions import Act
from caveat.services.intel._query import Reader
from caveat.services.intel._views import Collection
from caveat.services.kernel.authorize import allowed
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.projects import find_project

MAX_DESCRIPTION = 4000


def not_found(ref: str) -> NotFound:
    """The one answer for a missing collection and for one the caller may not see."""
    return NotFound(f"no TAXII collection {ref!r}", code="unknown_taxii_collection")


def view(row: TaxiiCollectionRow, reader: Reader) -> Collection:
    """The collection as this caller sees it."""
    writes = allowed(reader.principal, Act.TAXII_ADD, now=reader.now)
    return Collection(
        id=row.id,
        title=row.title,
        description=row.description,
        project_id=row.project_id,
        can_read=True,
        can_write=writes,
    )


def visible_rows(session: Session, reader: Reader) -> list[TaxiiCollectionRow]:
    """The collections of the caller's current projects, by title."""
    projects = sorted(reader.facts.projects) if reader.facts.account_ok else []
    if not projects:
        return []
    return list(
        session.scalars(
            select(TaxiiCollectionRow)
            .where(TaxiiCollectionRow.project_id.in_(projects))
            .order_by(TaxiiCollectionRow.title, TaxiiCollectionRow.id)
        )
    )


def visible_row(session: Session, reader: Reader, collection_id: str) -> TaxiiCollectionRow:
    """The collection, if the caller may see it; else the "not found" of a missing one."""
    row = session.get(TaxiiCollectionRow, collection_id)
    if row is None or not reader.member_of(row.project_id):
        raise not_found(collection_id)
    return row


def create_in(
    uow: UnitOfWork,
    by: Acting,
    *,
    project: str,
    title: str,
    description: str,
    default_label: Label | None,
) -> TaxiiCollectionRow:
    """A new collection of ``project`` and its event (the caller authorized it)."""
    title = clean_name(title, field="title", what="a collection title", shortest=1, longest=300)
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"a description has at most {MAX_DESCRIPTION} characters",
            code="invalid_input",
            field="description",
        )
    project_row = find_project(uow.session, project)
    row = TaxiiCollectionRow(
        id=str(uuid.uuid4()),
        title=title,
        description=description,
        project_id=project_row.id,
        default_label_json=None
        if default_label is None
        else label_to_canonical_json(default_label).decode(),
        created_by=by.person_id if isinstance(by, Principal) else None,
        created_at=uow.now,
    )
    uow.session.add(row)
    uow.record(
        "taxii.collection_created",
        by.actor(),
        target_id=row.id,
        data={
            "project_id": project_row.id,
            "title": title,
            "default_label": row.default_label_json,
        },
    )
    return row
