"""Browse, search and listing plans hold at 1,000, 20,000 and 1,000,000 rows (issue 17).

Each first-page query is EXPLAINed with its real parameters on this test session's
database (SQLite, or PostgreSQL with CAVEAT_TEST_DATABASE_URL) and must walk the intended
index: no full scan of a table, no sort of candidates, only key lookups beside the walk
(docs/adr/0017-listing-plans.md says which walk each query takes and why).

Rows are written set-based (tests/artifacts/population.py: one INSERT ... SELECT per
table from a recursive CTE or generate_series), 1,000 and 20,000 of them. A million
real rows take about 40 s on SQLite and 140 s on PostgreSQL, too slow for every CI run,
so the 1,000,000 case keeps the 20,000 rows and gives the planner the statistics of a
million:

- SQLite: ``sqlite_stat1`` rows as ANALYZE writes them for this population at a
  million rows (the formula below reproduces, number for number, ANALYZE of a real
  million-row build), reloaded with ``ANALYZE sqlite_schema``. SQLite's planner reads
  table and index sizes only from ``sqlite_stat1``, so it sees what it would see at 1M.
- PostgreSQL: ``pg_class.reltuples`` multiplied by 50 for the population's tables.
  The planner scales ``reltuples / relpages`` by the table's current pages, so it
  estimates 50 times the rows; column statistics (distinct counts, correlation) are
  those of this population at any size. Page counts stay those of 20,000 rows, which
  only cheapens scans the listing shapes and ``policy_listing.steer`` already rule out.

Set CAVEAT_TEST_PLANS_REAL_1M=1 to build a real million rows instead (minutes); the
plans were checked that way on both databases when this test was written, and the
benchmark (benchmarks/plans.py) EXPLAINs them at a real million on every run.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import bindparam, text

from caveat.adapters.db.models.policy import ResourceRow
from caveat.bootstrap.container import Node
from caveat.domain.policy import Action, Context
from caveat.services.artifacts._search import SearchQuery
from caveat.services.policy import listing as policy_listing
from caveat.services.policy._loader import subject_of
from tests.artifacts.population import Catalogue, explain, populate, researcher

TABLES = ("resources", "resource_releasability", "artifacts", "artifact_labels")
REAL_1M = os.environ.get("CAVEAT_TEST_PLANS_REAL_1M") == "1"


def _sqlite_stat1(rows: int) -> list[tuple[str, str, str]]:
    """What ANALYZE writes for the population at ``rows`` (ten projects, four of five
    labels with two releasability codes)."""
    per_project = rows // 10
    return [
        ("resources", "sqlite_autoindex_resources_1", f"{rows} 1"),
        ("resources", "ix_resources_project_id_id", f"{rows} {per_project} 1"),
        (
            "resource_releasability",
            "sqlite_autoindex_resource_releasability_1",
            f"{rows * 4 // 5} 2 1",
        ),
        ("artifacts", "sqlite_autoindex_artifacts_1", f"{rows} 1"),
        ("artifacts", "ix_artifacts_project_id_seq", f"{rows} {per_project} 1"),
        ("artifacts", "ix_artifacts_created_at", f"{rows} 1"),
        ("artifact_labels", "sqlite_autoindex_artifact_labels_1", f"{rows} 1"),
        ("artifact_labels", "sqlite_autoindex_artifact_labels_2", f"{rows} 1 1"),
    ]


def _pretend(node: Node, rows: int, real: int) -> None:
    """Give the planner the statistics of ``rows`` rows over the ``real`` ones."""
    with node.engine.begin() as conn:
        if node.engine.dialect.name == "sqlite":
            conn.execute(
                text("DELETE FROM sqlite_stat1 WHERE tbl IN :t").bindparams(
                    bindparam("t", TABLES, expanding=True)
                )
            )
            conn.execute(
                text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (:tbl, :idx, :stat)"),
                [{"tbl": t, "idx": i, "stat": s} for t, i, s in _sqlite_stat1(rows)],
            )
            conn.execute(text("ANALYZE sqlite_schema"))  # reload the statistics
        else:
            conn.execute(
                text(
                    "UPDATE pg_class SET reltuples = reltuples * :k WHERE relname IN :t"
                ).bindparams(bindparam("t", TABLES, expanding=True), k=rows // real)
            )
    node.engine.dispose()  # SQLite: every connection loads the statistics afresh


# --- what the plans must show ------------------------------------------------------

_HELPERS = ("SCAN CONSTANT ROW", "SCAN (subquery-")  # SQLAlchemy's empty IN lists


def _sqlite_walk(plan: list[str], drive: tuple[str, ...], *, merged: bool = False) -> None:
    """Every table read by key except the walk ``drive`` names; no sort, or (merged) one
    at the top over the arms' pages only."""
    for line in plan:
        step = line.strip()
        if step.startswith("SCAN") and not step.startswith(_HELPERS):
            assert step.startswith(drive) or step.startswith("SCAN anon_"), plan
        if "TEMP B-TREE" in step:
            assert merged, plan
            assert line == step, plan  # at the top: the merge of the arms' pages
    assert any(line.strip().startswith(drive) for line in plan), plan


def _pg_walk(plan: list[str], index: str, *, sort_above: str | None = None) -> None:
    """No sequential scan, no hash or merge join; ``index`` walked; a Sort only over a
    bitmap scan of ``sort_above`` (the matches of a full-text word or one project)."""
    joined = "\n".join(plan)
    nodes = [plan[0]] + [line.split("->", 1)[1].strip() for line in plan if "->" in line]
    assert not [n for n in nodes if n.startswith(("Seq Scan", "Hash", "Merge Join"))], joined
    assert index in joined, joined
    if any(n.startswith(("Sort", "Incremental Sort")) for n in nodes):
        assert f"Bitmap Index Scan on {sort_above}" in joined, joined


def _check_search(node: Node, catalogue: Catalogue) -> None:
    sqlite = node.engine.dialect.name == "sqlite"
    search = node.artifact_search
    cases: dict[str, SearchQuery] = {
        "browse": SearchQuery(limit=50),
        "common word": SearchQuery(text="hypersonic", limit=50),
        "rare words": SearchQuery(text="graphene nozzle", limit=50),
        "word and project": SearchQuery(text="radar", project="P1", limit=50),
        "project": SearchQuery(project="P1", limit=50),
    }
    for name, query in cases.items():
        with node.uow.read() as session:
            policy_listing.steer(session)
            first, instead = search._statements(session, catalogue.principal, query)
            plan = explain(session.connection(), first)
            by_project = None if instead is None else explain(session.connection(), instead)
        if sqlite:
            if query.text:
                _sqlite_walk(plan, ("SCAN artifact_fts VIRTUAL TABLE",))
            elif query.project:
                _sqlite_walk(plan, ("SEARCH artifacts USING INDEX ix_artifacts_project_id_seq",))
            else:
                _sqlite_walk(plan, ("SCAN artifacts", "SEARCH artifacts USING INTEGER PRIMARY"))
            if by_project is not None:
                _sqlite_walk(
                    by_project,
                    ("SEARCH artifacts USING INDEX ix_artifacts_project_id_seq",),
                    merged=True,
                )
        else:
            if query.text:
                # The planner weighs the word: the GIN index for rare ones, the newest-first
                # walk for common ones. Both are index plans; neither reads the table.
                assert "Seq Scan" not in "\n".join(plan), (name, plan)
                assert any(
                    i in "\n".join(plan)
                    for i in ("pk_artifacts", "ix_artifacts_search", "ix_artifacts_project_id_seq")
                ), (name, plan)
            elif query.project:
                _pg_walk(plan, "on artifacts", sort_above="ix_artifacts_project_id_seq")
            else:
                _pg_walk(plan, "Index Scan Backward using pk_artifacts on artifacts")
            if by_project is not None:
                _pg_walk(by_project, "Merge Append")


def _check_listing(node: Node, catalogue: Catalogue) -> None:
    sqlite = node.engine.dialect.name == "sqlite"
    principal = catalogue.principal
    with node.uow.read() as session:
        policy_listing.steer(session)
        subject = subject_of(session, principal.person)
        env = node.policy.environment()
        facts = Context(node.uow.clock(), principal.mfa_at, env).facts(subject)
        postgres = not sqlite
        where = policy_listing.visible(subject, facts, Action.DISCOVER, env, postgres=postgres)
        c = ResourceRow.__table__.c
        arms = policy_listing.arms_of(c.project_id, c.id, facts, Action.DISCOVER, postgres=postgres)
        first, instead = policy_listing.first_page(session, where, arms, after=None, limit=50)
        plans = [explain(session.connection(), s) for s in (first, instead) if s is not None]
        count = explain(session.connection(), policy_listing.capped_count_query(where))
    window = plans[0]
    if sqlite:
        by_id = "resources USING INDEX sqlite_autoindex_resources_1"
        _sqlite_walk(window, (f"SCAN {by_id}", f"SEARCH {by_id} (id<"))
        for arms_plan in plans[1:]:
            _sqlite_walk(
                arms_plan, ("SEARCH resources USING INDEX ix_resources_project_id_id",), merged=True
            )
        _sqlite_walk(count, ("SEARCH resources USING INDEX ix_resources_project_id_id",))
    else:
        _pg_walk(window, "Index Scan using pk_resources on resources")
        for arms_plan in plans[1:]:
            _pg_walk(arms_plan, "Index Scan using ix_resources_project_id_id")
        assert "Seq Scan" not in "\n".join(count), count
        assert "ix_resources_project_id_id" in "\n".join(count), count


# (rows written, rows the planner is told of afterwards)
CASES = (
    [(1_000, None), (20_000, None), (1_000_000, None)]
    if REAL_1M
    else [(1_000, None), (20_000, 1_000_000)]
)


@pytest.mark.parametrize(("rows", "pretend"), CASES, ids=lambda v: f"{v}")
def test_first_page_plans_hold_at_every_size(node: Node, rows: int, pretend: int | None) -> None:
    catalogue = researcher(node)
    try:
        populate(node, catalogue, rows)
        _check_search(node, catalogue)
        _check_listing(node, catalogue)
        if pretend is not None:
            _pretend(node, pretend, rows)
            _check_search(node, catalogue)
            _check_listing(node, catalogue)
    finally:
        _forget_statistics(node)


def _forget_statistics(node: Node) -> None:
    """The session's database is shared: later tests plan without these statistics
    (PostgreSQL's table sizes reset when the next test empties the tables)."""
    if node.engine.dialect.name == "sqlite":
        with node.engine.begin() as conn:
            conn.execute(text("DELETE FROM sqlite_stat1"))
            conn.execute(text("ANALYZE sqlite_schema"))
        node.engine.dispose()
