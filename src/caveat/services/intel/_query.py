"""The SQL behind every TAXII read: the policy inside the query, before the page.

An object version is readable when its catalogue row passes ``policy_listing.visible``
for READ (the same policy ``decide()`` applies, compiled to SQL; ADR 0006, 0017), checked
per row in a correlated EXISTS on ``resources`` by primary key. Every other filter,
``match[version]`` included, is evaluated over readable versions only: the "last" version
is the last one the caller may read, so a version the caller may not see changes no
answer they get, exactly as if it were not stored. The page walks the collection's
``(collection_id, date_added)`` index in order and stops after ``limit + 1`` readable
rows; nothing is filtered after fetching.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, exists, false, or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.taxii import TaxiiObjectRow
from caveat.domain.policy import Action, Context, SubjectFacts
from caveat.services.intel._filters import Filters, VersionMatch
from caveat.services.kernel.principal import Principal
from caveat.services.policy import PolicyService, subject_of
from caveat.services.policy import listing as policy_listing

OBJECTS = cast(Table, TaxiiObjectRow.__table__)
RESOURCES = cast(Table, ResourceRow.__table__)


@dataclass(frozen=True, slots=True)
class Reader:
    """A caller's policy facts at one moment and the WHERE clause of what they may read."""

    principal: Principal
    facts: SubjectFacts
    visible: ColumnElement[bool]
    now: datetime

    def member_of(self, project_id: str) -> bool:
        """Whether the caller is a current member of the project (need-to-know)."""
        return self.facts.account_ok and project_id in self.facts.projects


def reader(session: Session, policy: PolicyService, principal: Principal, now: datetime) -> Reader:
    """The caller's facts, derived once, and the READ clause built from them."""
    subject = subject_of(session, principal.person)
    env = policy.environment()
    facts = Context(now, principal.mfa_at, env).facts(subject)
    postgres = session.get_bind().dialect.name == "postgresql"
    where = policy_listing.visible(subject, facts, Action.READ, env, postgres=postgres)
    return Reader(principal, facts, where, now)


def readable(visible: ColumnElement[bool]) -> Callable[[Any], ColumnElement[bool]]:
    """A test of whether a row of ``taxii_objects`` (any alias) may be read: its catalogue
    row, by primary key, passes the policy clause."""

    def check(objects: Any) -> ColumnElement[bool]:
        return exists().where(RESOURCES.c.id == objects.c.id, visible).correlate_except(RESOURCES)

    return check


def _version_filter(
    o: Any, match: VersionMatch, can_read: Callable[[Any], ColumnElement[bool]], spec: Any
) -> ColumnElement[bool] | None:
    """``match[version]`` over the versions the caller may read (None: every version)."""
    if match.every:
        return None
    arms: list[ColumnElement[bool]] = []
    for wanted, later in ((match.last, True), (match.first, False)):
        if not wanted:
            continue
        other = OBJECTS.alias("other")
        beyond = other.c.version > o.c.version if later else other.c.version < o.c.version
        conditions = [
            other.c.collection_id == o.c.collection_id,
            other.c.object_id == o.c.object_id,
            beyond,
            can_read(other),
        ]
        if spec:
            conditions.append(other.c.spec_version.in_(spec))
        arms.append(~exists().where(*conditions).correlate_except(other))
    if match.at:
        arms.append(o.c.version.in_(match.at))
    return or_(*arms) if arms else false()


def page_statement(
    visible: ColumnElement[bool],
    collection_id: str,
    filters: Filters,
    *,
    object_id: str | None = None,
    content: bool = False,
) -> Any:
    """The page's query: ``limit + 1`` readable versions after the lower bound, in
    ``date_added`` order (the extra row says whether more follow)."""
    o = OBJECTS.alias("o")
    can_read = readable(visible)
    columns: list[Any] = [
        o.c.id,
        o.c.object_id,
        o.c.type,
        o.c.spec_version,
        o.c.version,
        o.c.date_added,
    ]
    if content:
        label = select(RESOURCES.c.label_json).where(RESOURCES.c.id == o.c.id)
        columns += [o.c.content, label.correlate_except(RESOURCES).scalar_subquery().label("label")]
    where: list[ColumnElement[bool]] = [o.c.collection_id == collection_id, can_read(o)]
    bound = filters.lower_bound
    if bound is not None:
        where.append(o.c.date_added > bound)
    if object_id is not None:
        where.append(o.c.object_id == object_id)
    elif filters.ids:
        where.append(o.c.object_id.in_(filters.ids))
    if filters.types:
        where.append(o.c.type.in_(filters.types))
    spec = list(filters.spec_versions)
    if spec:
        where.append(o.c.spec_version.in_(spec))
    version = _version_filter(o, filters.versions, can_read, spec)
    if version is not None:
        where.append(version)
    return select(*columns).where(*where).order_by(o.c.date_added).limit(filters.limit + 1)


def fetch_page(
    session: Session,
    visible: ColumnElement[bool],
    collection_id: str,
    filters: Filters,
    *,
    object_id: str | None = None,
    content: bool = False,
) -> tuple[list[Row[Any]], bool]:
    """The page's rows and whether more follow."""
    policy_listing.steer(session)
    rows = list(
        session.execute(
            page_statement(visible, collection_id, filters, object_id=object_id, content=content)
        )
    )
    return rows[: filters.limit], len(rows) > filters.limit


def any_readable(
    session: Session, visible: ColumnElement[bool], collection_id: str, object_id: str
) -> bool:
    """Whether the caller may read any version of the object (else it is "not found")."""
    o = OBJECTS.alias("o")
    found = session.execute(
        select(o.c.id)
        .where(o.c.collection_id == collection_id, o.c.object_id == object_id, readable(visible)(o))
        .limit(1)
    ).first()
    return found is not None


def readable_labels(
    session: Session, visible: ColumnElement[bool], collection_id: str
) -> list[str]:
    """The distinct labels (canonical JSON) of the versions the caller may read."""
    o = OBJECTS.alias("o")
    label = RESOURCES.c.label_json
    return list(
        session.scalars(
            select(label)
            .distinct()
            .select_from(o)
            .join(RESOURCES, RESOURCES.c.id == o.c.id)
            .where(o.c.collection_id == collection_id, visible)
        )
    )
