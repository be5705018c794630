"""The artifacts table: sorted, numbered pages, a total and facet counts, all inside the
policy's listing filter.

Every row, total and facet count is read through ``policy_listing.visible`` for
DISCOVER, the WHERE clause that agrees with ``decide()`` row for row: a count that took
in a row the viewer may not discover would tell them it exists. Sorted pages are numbered
(``OFFSET`` with ``seq`` as the tie-break, so the order is total and stable); like the
capped count of ADR 0017 they reach no further than ``COUNT_CAP`` rows, and facets count
over the newest ``FACET_SCAN`` matching rows (``facets_exact`` says whether that was all).
The keyset browse of ``ArtifactSearch.search`` stays the API's cursor walk for any depth.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from math import ceil
from typing import Any

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from caveat.adapters.db.models.artifacts import ArtifactLabelRow, ArtifactRow
from caveat.adapters.db.models.policy import ProjectRow, ResourceControlRow, ResourceRow
from caveat.domain.errors import InvalidInput
from caveat.domain.policy import Action, Context
from caveat.services.artifacts._search import (
    _FTS,
    MAX_PAGE,
    ArtifactSummary,
    SearchQuery,
    _pg_full_text,
    filters_of,
    words,
)
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.policy import PolicyService, subject_of
from caveat.services.policy import listing as policy_listing

FACET_SCAN = 5000  # facets count over at most this many matching rows (newest first)
FACETS = ("level", "nation", "project", "kind", "regime")
SORTS = ("created", "title", "kind", "project", "level", "version")


@dataclass(frozen=True, slots=True)
class TableQuery:
    """A table view: the search's filters (its ``after`` is ignored), a sort, a page."""

    search: SearchQuery = field(default_factory=SearchQuery)
    sort: str = "created"
    descending: bool = True
    page: int = 1  # 1-based


@dataclass(frozen=True, slots=True)
class FacetCount:
    """One value of a facet and how many visible matching artifacts carry it.
    ``value`` is what the filter takes; ``name`` is what a person reads."""

    value: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class ArtifactTable:
    """One numbered page of visible artifacts, the total and the facet counts."""

    items: tuple[ArtifactSummary, ...]
    total: int  # exact when total_exact, else "more than total" (COUNT_CAP)
    total_exact: bool
    page: int
    pages: int
    facets: dict[str, tuple[FacetCount, ...]]
    facets_exact: bool  # False: counted over the newest FACET_SCAN matching rows only
    project_names: dict[str, str]  # of the listed and faceted projects only


def _text_clause(session: Session, query: SearchQuery) -> list[Any]:
    terms = words(query.text) if query.text else []
    if not terms:
        return []
    if session.get_bind().dialect.name == "sqlite":
        match = " ".join(f'"{t}"' for t in terms)
        fts = select(_FTS.c.rowid).where(
            text("artifact_fts MATCH :fts_query").bindparams(fts_query=match)
        )
        return [ArtifactRow.seq.in_(fts)]
    return [_pg_full_text(terms)]


def _sort_key(sort: str) -> Any:
    keys: dict[str, Any] = {
        "created": ArtifactRow.seq,
        "title": func.lower(ArtifactRow.title),
        "kind": ArtifactRow.kind,
        "project": ProjectRow.name,
        "level": ResourceRow.common_level,
        "version": ArtifactRow.latest_version,
    }
    if sort not in keys:
        raise InvalidInput(f"sort is one of {', '.join(SORTS)}", code="invalid_sort", field="sort")
    return keys[sort]


def _without(query: SearchQuery, facet: str) -> SearchQuery:
    """``query`` without its filter on ``facet``: a facet's own values stay countable."""
    cleared: dict[str, Any] = {facet: None, "after": None}
    return replace(query, **cleared)


class ArtifactTables:
    """Builds the artifacts table a principal may see."""

    def __init__(self, *, uow: UnitOfWorkFactory, policy: PolicyService) -> None:
        self._uow = uow
        self._policy = policy

    def _where(
        self, session: Session, principal: Principal, query: SearchQuery
    ) -> list[ColumnElement[bool]]:
        """Visible to ``principal`` for DISCOVER and matching ``query``: over
        ``artifacts`` joined to ``resources`` (and ``projects``)."""
        subject = subject_of(session, principal.person)
        env = self._policy.environment()
        facts = Context(self._uow.clock(), principal.mfa_at, env).facts(subject)
        on_artifact, on_resource = filters_of(session, query)
        return [
            policy_listing.visible(subject, facts, Action.DISCOVER, env),
            *on_resource,
            *on_artifact,
            *_text_clause(session, query),
        ]

    @staticmethod
    def _joined(*columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(ArtifactRow)
            .join(ResourceRow, ResourceRow.id == ArtifactRow.id)
            .join(ProjectRow, ProjectRow.id == ArtifactRow.project_id)
        )

    def table(self, principal: Principal, query: TableQuery, *, limit: int = 50) -> ArtifactTable:
        """The page ``query.page`` of visible artifacts in ``query.sort`` order."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be 1-{MAX_PAGE}", code="invalid_limit", field="limit")
        key = _sort_key(query.sort)
        last_page = ceil(policy_listing.COUNT_CAP / limit)
        if not 1 <= query.page <= last_page:
            raise InvalidInput(
                f"page is 1-{last_page}; narrow the filters to see further",
                code="invalid_page",
                field="page",
            )
        with self._uow.read() as session:
            where = self._where(session, principal, query.search)
            hits = self._joined(ArtifactRow.id).where(*where)
            counted = int(
                session.execute(
                    select(func.count()).select_from(
                        hits.limit(policy_listing.COUNT_CAP + 1).subquery()
                    )
                ).scalar_one()
            )
            total = min(counted, policy_listing.COUNT_CAP)
            order = (
                (key.desc(), ArtifactRow.seq.desc()) if query.descending else (key, ArtifactRow.seq)
            )
            rows = session.execute(
                self._page_columns()
                .where(*where)
                .order_by(*order)
                .offset((query.page - 1) * limit)
                .limit(limit)
            ).all()
            facets, exact = self._facets(session, principal, query.search)
            names = self._project_names(
                session, {r.project_id for r in rows} | {f.value for f in facets["project"]}
            )
        facets["project"] = tuple(
            replace(f, name=names.get(f.value, f.value)) for f in facets["project"]
        )
        items = tuple(ArtifactSummary.of_row(r) for r in rows)
        return ArtifactTable(
            items=items,
            total=total,
            total_exact=counted <= policy_listing.COUNT_CAP,
            page=query.page,
            pages=max(1, ceil(total / limit)),
            facets=facets,
            facets_exact=exact,
            project_names=names,
        )

    def _page_columns(self) -> Any:
        label = ArtifactLabelRow
        current = (label.artifact_id == ArtifactRow.id, label.seq == ArtifactRow.label_seq)
        return self._joined(
            ArtifactRow.id,
            ArtifactRow.project_id,
            ArtifactRow.kind,
            ArtifactRow.title,
            select(label.banner).where(*current).scalar_subquery().label("banner"),
            ArtifactRow.latest_version,
            ArtifactRow.created_at,
            select(label.label_json).where(*current).scalar_subquery().label("label_json"),
        )

    def _facets(
        self, session: Session, principal: Principal, query: SearchQuery
    ) -> tuple[dict[str, tuple[FacetCount, ...]], bool]:
        """Each facet counted with every other filter applied and its own left out (so
        its values stay choosable), over visible rows only."""
        columns: dict[str, Any] = {
            "level": ResourceRow.common_level,
            "nation": ResourceRow.originator_nation,
            "project": ArtifactRow.project_id,
            "kind": ArtifactRow.kind,
        }
        out: dict[str, tuple[FacetCount, ...]] = {}
        exact = True
        for facet in FACETS:
            others = _without(query, facet)
            where = self._where(session, principal, others)
            scanned = (
                self._joined(ArtifactRow.id.label("id"), *[c.label(n) for n, c in columns.items()])
                .where(*where)
                .order_by(ArtifactRow.seq.desc())
                .limit(FACET_SCAN + 1)
                .subquery()
            )
            if session.execute(select(func.count()).select_from(scanned)).scalar_one() > FACET_SCAN:
                exact = False
            if facet == "regime":
                pairs = session.execute(
                    select(scanned.c.id, ResourceControlRow.entry).join(
                        ResourceControlRow, ResourceControlRow.resource_id == scanned.c.id
                    )
                ).all()
                # An artifact under two entries of one regime counts once for it.
                tally = Counter(regime for _, regime in {(i, e.split(":", 1)[0]) for i, e in pairs})
                values = list(tally.items())
            else:
                grouped = session.execute(
                    select(scanned.c[facet], func.count()).group_by(scanned.c[facet])
                ).all()
                values = [(str(v), int(n)) for v, n in grouped if v is not None]
            out[facet] = tuple(
                FacetCount(value, value, n)
                for value, n in sorted(values, key=lambda vn: (-vn[1], vn[0]))
            )
        return out, exact

    @staticmethod
    def _project_names(session: Session, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        return dict(
            session.execute(
                select(ProjectRow.id, ProjectRow.name).where(ProjectRow.id.in_(sorted(ids)))
            ).all()
        )
