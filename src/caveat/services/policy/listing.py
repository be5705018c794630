"""The policy compiled to SQL: the WHERE clause of "every resource this subject may X".

Each requirement becomes one conjunct over the catalogue's normalised columns,
built from the same ``SubjectFacts`` that ``decide()`` reads, so the two agree
row for row (tests/policy/test_listing_differential.py checks it on SQLite and
PostgreSQL). Subject-level facts become literals (IN lists of a few values);
resource-level facts are columns and child tables probed by primary key.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    all_,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from caveat.adapters.db.models.policy import (
    ResourceCaveatRow,
    ResourceControlRow,
    ResourceReleaseRow,
    ResourceRow,
)
from caveat.domain.policy import Action, PolicyEnvironment, Subject, SubjectFacts

_LONG_LIST = 16  # beyond this, PostgreSQL gets one array parameter instead of many


def _in(column: Any, values: Iterable[str], postgres: bool) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL a long list is one ``= ANY(array)`` parameter,
    which saves binding and planning thousands of parameters (a programme-wide agreement)."""
    items = sorted(values)
    if postgres and len(items) > _LONG_LIST:
        return column == any_(bindparam(None, items, type_=ARRAY(String)))  # type: ignore[no-any-return]
    return column.in_(items)  # type: ignore[no-any-return]


def _not_in(column: Any, values: Iterable[str], postgres: bool) -> ColumnElement[bool]:
    items = sorted(values)
    if postgres and len(items) > _LONG_LIST:
        return column != all_(bindparam(None, items, type_=ARRAY(String)))  # type: ignore[no-any-return]
    return column.not_in(items)  # type: ignore[no-any-return]


_r = ResourceRow.__table__.c
_rel = ResourceReleaseRow.__table__.c
_cav = ResourceCaveatRow.__table__.c
_ctl = ResourceControlRow.__table__.c


def _covered(f: SubjectFacts, nation: str) -> ColumnElement[bool]:
    """REL TO names ``nation`` (directly or through a group) or it is the originator's."""
    return or_(
        _r.originator_nation == nation,
        exists().where(_rel.resource_id == _r.id, _rel.code.in_(sorted(f.covering[nation]))),
    )


def _releasability(s: Subject, f: SubjectFacts, env: PolicyEnvironment) -> ColumnElement[bool]:
    nations = sorted(f.nationalities)
    only = nations[0] if len(nations) == 1 else None
    originator_only = (
        and_(_r.rel_mode.in_(("noforn", "originator")), _r.originator_nation == only)
        if only is not None
        else false()
    )
    listed = and_(_r.rel_mode == "list", *[_covered(f, n) for n in nations])
    branches = [_r.rel_mode == "open", originator_only, listed]
    rule = env.config.dual_national
    if rule is not None and f.dual_eligible and len(nations) > 1:
        branches.append(
            and_(
                _r.rel_mode == "list",
                _r.common_level <= rule.max_common_level,
                _covered(f, s.organisation_nation),
                or_(*[_covered(f, n) for n in nations]),
            )
        )
    return or_(*branches)


def _caveats(s: Subject, f: SubjectFacts, pg: bool) -> ColumnElement[bool]:
    missing = exists().where(_cav.resource_id == _r.id, _not_in(_cav.caveat, f.holdings, pg))
    originator = or_(
        _r.originator_controlled == false(),
        _r.originator_org_id == s.organisation_id,
        *([_in(_r.id, f.originator_grants, pg)] if f.originator_grants else []),
    )
    return and_(not_(missing), originator)


def _need_to_know(s: Subject, f: SubjectFacts, action: Action, pg: bool) -> ColumnElement[bool]:
    member = _in(_r.project_id, f.projects, pg)
    if action in (Action.DISCOVER, Action.READ):
        # An empty IN renders as a constant-false subquery that keeps planners from
        # using the project index for the OR: leave it out when there are no grants.
        return or_(member, _in(_r.id, f.access_grants, pg)) if f.access_grants else member
    if action is Action.MODIFY:
        return member
    return and_(member, _r.originator_org_id == s.organisation_id)


def _agreement(s: Subject, f: SubjectFacts, pg: bool) -> ColumnElement[bool]:
    branches: list[ColumnElement[bool]] = [_r.originator_nation == s.organisation_nation]
    for terms in f.agreements:
        scope: ColumnElement[bool] = true()
        if terms.controls is not None:
            scope = not_(
                exists().where(_ctl.resource_id == _r.id, _not_in(_ctl.entry, terms.controls, pg))
            )
        branches.append(
            and_(
                _in(_r.project_id, terms.projects, pg),
                _r.common_level <= terms.max_common_level,
                scope,
            )
        )
    return or_(*branches)


def _export(f: SubjectFacts, pg: bool) -> ColumnElement[bool]:
    return not_(
        exists().where(
            _ctl.resource_id == _r.id,
            _ctl.exempt == false(),
            _ctl.jurisdiction.not_in(sorted(f.jurisdictions)),
            _not_in(_ctl.entry, f.authorized, pg),
        )
    )


def _embargo(f: SubjectFacts) -> ColumnElement[bool]:
    imposers = sorted({e.imposed_by for e in f.embargoes})
    if not imposers:
        return true()
    return and_(
        func.coalesce(_r.originator_nation, "").not_in(imposers),
        not_(exists().where(_ctl.resource_id == _r.id, _ctl.jurisdiction.in_(imposers))),
    )


def visible(
    subject: Subject,
    facts: SubjectFacts,
    action: Action,
    env: PolicyEnvironment,
    *,
    postgres: bool = False,
) -> ColumnElement[bool]:
    """The WHERE clause selecting exactly the resources ``decide()`` permits for ``action``.

    ``postgres``: pass long lists as array parameters (the clause is then PostgreSQL-only).
    """
    # Requirements 1 and 8 concern the subject alone: when they fail, nothing is visible.
    if not facts.account_ok or facts.holds:
        return false()
    conjuncts = [
        _r.label_json.is_not(None),
        _r.common_level.in_(sorted(facts.cleared_levels)),
        _releasability(subject, facts, env),
        _caveats(subject, facts, postgres),
        _need_to_know(subject, facts, action, postgres),
        _agreement(subject, facts, postgres),
        _embargo(facts),
    ]
    if action is not Action.DISCOVER:
        conjuncts += [_export(facts, postgres), _r.common_level.in_(sorted(facts.mfa_levels))]
    return and_(*conjuncts)


# A listing's first page is found one of two ways, each in a shape that leaves the
# planner one plan at every table size (docs/adr/0017-listing-plans.md):
# 1. the window: walk the order key over at most PROBE rows, checking the policy per row
#    by primary key; when the subject sees much of the table, a page is there.
# 2. otherwise the arms: walk each member project's (project, order key) index, stop at a
#    page, merge. Need-to-know bounds everything anyone may see, so this costs what the
#    subject's projects hold, never what the table holds.
PROBE = 2000
MAX_ARMS = 64  # member projects walked one by one; beyond this, the window is the answer


def steer(session: Session) -> None:
    """PostgreSQL, for the rest of this read transaction: no sequential scans and only
    nested-loop joins. On small tables the planner would read a whole table, hash or
    materialise it and sort; the indexed walks cost about the same there and are the
    plans that hold at a million rows. Bitmap scans stay (the GIN full-text index has
    no other path). SQLite needs no setting: the listing shapes offer it one path."""
    if session.get_bind().dialect.name == "postgresql":
        for setting in ("seqscan", "material", "hashjoin", "mergejoin"):
            session.execute(text(f"SET LOCAL enable_{setting} = off"))


def arms_of(
    project: Any, resource: Any, facts: SubjectFacts, action: Action, *, postgres: bool = False
) -> list[ColumnElement[bool]] | None:
    """Disjoint conditions whose union holds every resource ``visible`` can select: one
    per member project and one for the resources granted outside them; ``project`` and
    ``resource`` are the columns holding their ids. None beyond ``MAX_ARMS`` projects."""
    projects = sorted(facts.projects)
    if len(projects) > MAX_ARMS:
        return None
    out: list[ColumnElement[bool]] = [project == p for p in projects]
    if facts.access_grants and action in (Action.DISCOVER, Action.READ):
        granted = _in(resource, facts.access_grants, postgres)
        out.append(and_(granted, project.not_in(projects)) if projects else granted)
    return out


def window_end(session: Session, after: str | None) -> str | None:
    """The id ``PROBE`` rows after ``after`` (None: fewer rows are left)."""
    query = select(_r.id).order_by(_r.id).offset(PROBE - 1).limit(1)
    if after is not None:
        query = query.where(_r.id > after)
    return session.execute(query).scalar()


def first_page(
    session: Session,
    where: ColumnElement[bool],
    arms: list[ColumnElement[bool]] | None,
    *,
    after: str | None,
    limit: int,
) -> tuple[Select[Any], Select[Any] | None]:
    """The window's page query and, if the window ends before the listing does, the
    query to run instead when the window holds less than a page (the arms)."""
    until = window_end(session, after)
    window = page_query(where, after=after, limit=limit, window=True, until=until)
    if until is None:
        return window, None
    return window, page_query(where, after=after, limit=limit, arms=arms)


def page_query(
    where: ColumnElement[bool],
    *,
    after: str | None,
    limit: int,
    arms: list[ColumnElement[bool]] | None = None,
    window: bool = False,
    until: str | None = None,
) -> Select[Any]:
    """Keyset page: the next ``limit`` visible rows after ``after`` by id.

    ``window``: walk ids in order (up to ``until``, if given). ``arms`` (see
    ``arms_of()``): each arm walks its project's (project_id, id) index in order and
    stops at ``limit``; the page is the first ``limit`` of their union. Neither: one
    sorted read of every visible row (the planner's choice of path).
    """
    if arms is not None:
        walks = []
        for arm in arms or [false()]:
            walk = select(_r.id).where(arm, where)
            if after is not None:
                walk = walk.where(_r.id > after)
            walks.append(walk.order_by(_r.id).limit(limit).subquery())
        ids = (
            walks[0] if len(walks) == 1 else union_all(*[select(w.c.id) for w in walks]).subquery()
        )
        return (
            select(ResourceRow.__table__)
            .join(ids, ids.c.id == _r.id)
            .order_by(ids.c.id)
            .limit(limit)
        )
    query = select(ResourceRow.__table__).where(where)
    if after is not None:
        query = query.where(_r.id > after)
    if window:
        if until is not None:
            query = query.where(_r.id <= until)
        return query.order_by(_r.id).limit(limit)
    # Sorting on an expression keeps planners from walking the primary key in order and
    # filtering (slow when few rows are visible): they start from the subject's projects
    # and grants (indexed IN lists) and sort the few candidates. Same order as by id.
    return query.order_by(_r.id.concat("")).limit(limit)


COUNT_CAP = 1000  # counted exactly up to here; beyond, "more than COUNT_CAP"


def count_query(where: ColumnElement[bool]) -> Select[int]:
    """The exact number of visible rows (reads every candidate: slow on large listings)."""
    return select(func.count()).select_from(ResourceRow.__table__).where(where)


def capped_count_query(where: ColumnElement[bool], cap: int = COUNT_CAP) -> Select[int]:
    """The number of visible rows, counting no further than ``cap + 1``: a result above
    ``cap`` means "more than ``cap``". Stops after ``cap + 1`` hits, whatever the size."""
    hits = select(_r.id).where(where).limit(cap + 1).subquery()
    return select(func.count()).select_from(hits)
