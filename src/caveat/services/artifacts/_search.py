"""Search and browse: full text and filters, always inside the policy's listing query.

The WHERE clause of "what may this subject discover" comes from
``policy_listing.visible`` (the same policy as ``decide()``); full text is SQLite FTS5
or PostgreSQL's ``to_tsvector`` over the GIN-indexed expression of migration 0004.
Pages are keyset pages over (created_at, id), newest first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    column,
    exists,
    false,
    func,
    literal_column,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from caveat.adapters.db.models.artifacts import ArtifactLabelRow, ArtifactRow
from caveat.adapters.db.models.policy import ResourceControlRow, ResourceRow
from caveat.domain.errors import InvalidInput
from caveat.domain.export_control import Regime
from caveat.domain.nations import require_nation
from caveat.domain.policy import Action, Context
from caveat.domain.resources import resource_kind
from caveat.domain.sealing import UnsealFailed, seal, unseal
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.policy import PolicyService, subject_of
from caveat.services.policy import listing as policy_listing
from caveat.services.projects import find_project

MAX_PAGE = 200
MAX_QUERY = 200
_WORD = re.compile(r"[\w]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """Full text (every word must match) and filters; all optional."""

    text: str | None = None
    project: str | None = None
    kind: str | None = None
    level: int | None = None  # common-scale classification, 0 (unclassified) to 4
    nation: str | None = None  # originator's nation
    regime: str | None = None  # export-control regime: ITAR, EAR, WA, MTCR, EU
    created_from: datetime | None = None
    created_to: datetime | None = None
    after: str | None = None  # the cursor of the previous page
    limit: int = 50


@dataclass(frozen=True, slots=True)
class ArtifactSummary:
    """One search hit: what discover shows."""

    id: str
    project_id: str
    kind: str
    title: str
    banner: str
    latest_version: int
    created_at: datetime
    label_json: str = ""  # the current label's canonical JSON (for roll-ups and portion marks)

    @classmethod
    def of_row(cls, r: Any) -> ArtifactSummary:
        """From a listing row (search and the table select the same columns)."""
        return cls(
            r.id,
            r.project_id,
            r.kind,
            r.title,
            r.banner,
            r.latest_version,
            r.created_at,
            r.label_json,
        )


@dataclass(frozen=True, slots=True)
class ArtifactPage:
    """One keyset page and the cursor of the next (None: the last page)."""

    items: tuple[ArtifactSummary, ...]
    next_after: str | None


_CURSOR_INFO = b"caveat search cursor v1"
_CURSOR_AAD = b"cursor:"


def cursor_key(secret_key: bytes) -> bytes:
    """The key that seals search cursors, derived from the node's secret key (HKDF, its
    own label, so a cursor key never opens a sealed TOTP seed and vice versa)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_CURSOR_INFO).derive(
        secret_key
    )


def _cursor(key: bytes, seq: int, person_id: str) -> str:
    """An opaque cursor: the position sealed (AES-GCM) and bound to who asked, so it says
    nothing of how many artifacts exist and works for nobody else."""
    return seal(key, str(seq).encode(), aad=_CURSOR_AAD + person_id.encode())


def _uncursor(key: bytes, value: str, person_id: str) -> int:
    try:
        return int(unseal(key, value, aad=_CURSOR_AAD + person_id.encode()))
    except (UnsealFailed, ValueError):
        raise InvalidInput(
            "not a cursor from a previous page", code="invalid_cursor", field="after"
        ) from None


def words(query: str) -> list[str]:
    """The words of a search: letters and digits only, so no query syntax gets through."""
    if len(query) > MAX_QUERY:
        raise InvalidInput(
            f"a search is at most {MAX_QUERY} characters", code="invalid_query", field="q"
        )
    return [w.lower() for w in _WORD.findall(query)][:16]


# SQLite: the FTS5 table drives the query, newest rowid (= artifacts.seq) first, so a
# page stops after enough visible hits instead of sorting every match.
_FTS = table("artifact_fts", column("rowid", BigInteger), column("artifact_id", String))


def _pg_full_text(terms: list[str]) -> ColumnElement[bool]:
    return literal_column("artifacts.search_vector").op("@@")(
        func.plainto_tsquery("simple", " ".join(terms))
    )


def filters_of(
    session: Session, query: SearchQuery
) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
    """The filters on the artifact row and those on its catalogue row."""
    on_artifact: list[ColumnElement[bool]] = []
    on_resource: list[ColumnElement[bool]] = []
    if query.project:
        on_artifact.append(ArtifactRow.project_id == find_project(session, query.project).id)
    if query.kind:
        on_artifact.append(ArtifactRow.kind == resource_kind(query.kind).value)
    if query.level is not None:
        if not 0 <= query.level <= 4:
            raise InvalidInput(
                "level is 0-4 on the common scale", code="invalid_level", field="level"
            )
        on_resource.append(ResourceRow.common_level == query.level)
    if query.nation:
        nation = require_nation(query.nation.upper(), field="nation")
        on_resource.append(ResourceRow.originator_nation == nation)
    if query.regime:
        try:
            regime = Regime(query.regime.upper())
        except ValueError:
            raise InvalidInput(
                f"unknown regime {query.regime!r}", code="invalid_regime", field="regime"
            ) from None
        on_resource.append(
            exists().where(
                ResourceControlRow.resource_id == ResourceRow.id,
                ResourceControlRow.entry.like(f"{regime.value}:%"),
            )
        )
    if query.created_from is not None:
        on_artifact.append(ArtifactRow.created_at >= query.created_from)
    if query.created_to is not None:
        on_artifact.append(ArtifactRow.created_at < query.created_to)
    return on_artifact, on_resource


class ArtifactSearch:
    """Lists and searches artifacts a principal may discover."""

    def __init__(
        self, *, uow: UnitOfWorkFactory, policy: PolicyService, secret_key: Callable[[], bytes]
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._secret_key = secret_key
        self._key: bytes | None = None

    def _cursor_key(self) -> bytes:
        if self._key is None:
            self._key = cursor_key(self._secret_key())
        return self._key

    def search(self, principal: Principal, query: SearchQuery) -> ArtifactPage:
        """A keyset page of visible artifacts matching ``query``, newest first."""
        if not 1 <= query.limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be 1-{MAX_PAGE}", code="invalid_limit", field="limit")
        with self._uow.read() as session:
            policy_listing.steer(session)
            first, instead = self._statements(session, principal, query)
            rows = session.execute(first).all()
            if instead is not None and len(rows) <= query.limit:
                rows = session.execute(instead).all()
        items = tuple(ArtifactSummary.of_row(r) for r in rows[: query.limit])
        if not (len(rows) > query.limit and items):
            return ArtifactPage(items, None)
        last = rows[query.limit - 1].seq
        return ArtifactPage(items, _cursor(self._cursor_key(), last, principal.person_id))

    def _filters(
        self, session: Session, query: SearchQuery
    ) -> tuple[list[ColumnElement[bool]], list[ColumnElement[bool]]]:
        return filters_of(session, query)

    def _statements(
        self, session: Session, principal: Principal, query: SearchQuery
    ) -> tuple[Any, Any]:
        """The page's query and, when it may come up short, the query to run instead.

        Every shape leaves the planner one plan at every table size: a walk newest first
        down an index (``seq``, the FTS5 rowid, a project's ``(project_id, seq)``) that
        checks the policy per row in a correlated EXISTS on ``resources`` by primary key
        and stops after a page. Without text or project, the first query walks the newest
        ``policy_listing.PROBE`` artifacts; if fewer than a page there are visible, the
        second walks each member project and merges (docs/adr/0017-listing-plans.md).
        PostgreSQL full text is left to the planner: the GIN index and a sort for rare
        words, or the ``seq`` walk with a filter for common ones.
        """
        now = self._uow.clock()
        subject = subject_of(session, principal.person)
        env = self._policy.environment()
        facts = Context(now, principal.mfa_at, env).facts(subject)
        on_artifact, on_resource = self._filters(session, query)
        where: list[ColumnElement[bool] | TextClause] = [
            exists().where(
                ResourceRow.id == ArtifactRow.id,
                policy_listing.visible(subject, facts, Action.DISCOVER, env),
                *on_resource,
            ),
            *on_artifact,
        ]
        terms = words(query.text) if query.text else []
        sqlite_text = bool(terms) and session.get_bind().dialect.name == "sqlite"
        order = _FTS.c.rowid if sqlite_text else ArtifactRow.seq
        if terms and not sqlite_text:
            where.append(_pg_full_text(terms))
        if sqlite_text:
            match = " ".join(f'"{t}"' for t in terms)
            where.append(text("artifact_fts MATCH :fts_query").bindparams(fts_query=match))
        after = None
        if query.after:
            after = _uncursor(self._cursor_key(), query.after, principal.person_id)
            where.append(order < after)
        label = ArtifactLabelRow
        current = (label.artifact_id == ArtifactRow.id, label.seq == ArtifactRow.label_seq)
        columns = (
            ArtifactRow.id,
            ArtifactRow.seq,
            ArtifactRow.project_id,
            ArtifactRow.kind,
            ArtifactRow.title,
            select(label.banner).where(*current).scalar_subquery().label("banner"),
            ArtifactRow.latest_version,
            ArtifactRow.created_at,
            select(label.label_json).where(*current).scalar_subquery().label("label_json"),
        )

        def walk(*more: ColumnElement[bool]) -> Any:
            statement = select(*columns)
            if sqlite_text:
                statement = statement.select_from(_FTS).join(
                    ArtifactRow, ArtifactRow.seq == _FTS.c.rowid
                )
            return statement.where(*where, *more).order_by(order.desc()).limit(query.limit + 1)

        if terms or query.project:
            return walk(), None
        window = select(ArtifactRow.seq).order_by(ArtifactRow.seq.desc())
        if after is not None:
            window = window.where(ArtifactRow.seq < after)
        floor = session.execute(window.offset(policy_listing.PROBE - 1).limit(1)).scalar()
        if floor is None:  # the window reaches the oldest artifact: its answer is whole
            return walk(), None
        arms = policy_listing.arms_of(
            ArtifactRow.project_id, ArtifactRow.id, facts, Action.DISCOVER
        )
        if arms is None:
            return walk(ArtifactRow.seq >= floor), walk()
        walks = [
            select(ArtifactRow.seq)
            .where(*where, arm)
            .order_by(ArtifactRow.seq.desc())
            .limit(query.limit + 1)
            .subquery()
            for arm in arms or [false()]
        ]
        merged = (
            walks[0] if len(walks) == 1 else union_all(*[select(w.c.seq) for w in walks]).subquery()
        )
        by_project = (
            select(*columns)
            .select_from(merged)
            .join(ArtifactRow, ArtifactRow.seq == merged.c.seq)
            .order_by(merged.c.seq.desc())
            .limit(query.limit + 1)
        )
        return walk(ArtifactRow.seq >= floor), by_project


def index_for_search(session: Session, artifact: ArtifactRow) -> None:
    """Keep SQLite's FTS5 table in step (PostgreSQL indexes the row by expression)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text(
                "INSERT OR REPLACE INTO artifact_fts"
                " (rowid, artifact_id, title, summary, keywords) "
                "VALUES (:seq, :id, :title, :summary, :keywords)"
            ),
            {
                "seq": artifact.seq,
                "id": artifact.id,
                "title": artifact.title,
                "summary": artifact.summary,
                "keywords": artifact.keywords,
            },
        )
