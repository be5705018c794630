"""First pages and counts at 1,000, 20,000 and 1,000,000 rows (issue 17), both databases.

For each size a fresh node gets the set-based catalogue of tests/artifacts/population.py
(ten projects, the researcher in five, five label variants) and ANALYZE. Then, median of
15 calls through the services, as the API calls them:

- browse first page (no text), full text with a common word, with two rarer words, and a
  word within one project (``ArtifactSearch.search``, 50 per page), and the first page's
  SQL statement alone (the rest of a call is the subject's facts: about ten small queries);
- the policy listing's first page with its count (``PolicyService.list_visible``);
- the count alone: capped at ``policy_listing.COUNT_CAP`` as the listing runs it, beside
  the exact ``count(*)`` it replaced (the peer).

Goals: first page <= 20 ms at every size; count <= 100 ms at 1M. Each query's plan is
recorded beside its time. Results: benchmarks/results/plans.json.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from tests.artifacts.population import Catalogue, explain, populate, researcher

from benchmarks.common import write_result
from caveat.adapters.db.models.policy import ResourceRow
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.policy import Action, Context
from caveat.services.artifacts._search import SearchQuery
from caveat.services.policy import listing as policy_listing
from caveat.services.policy._loader import subject_of

SIZES = tuple(
    int(n) for n in os.environ.get("CAVEAT_BENCH_PLAN_ROWS", "1000,20000,1000000").split(",")
)
RUNS = 15
SEARCHES = {
    "browse": SearchQuery(limit=50),
    "fulltext_common_word": SearchQuery(text="hypersonic", limit=50),
    "fulltext_two_rarer_words": SearchQuery(text="graphene nozzle", limit=50),
    "fulltext_word_and_project": SearchQuery(text="radar", project="P1", limit=50),
}


def _median_ms(fn: Callable[[], object]) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "max_ms": round(max(samples), 2)}


@contextmanager
def _node(postgres: str | None) -> Iterator[Node]:
    """A fresh node; on PostgreSQL in a database of its own, dropped afterwards."""
    url = None
    if postgres is not None:
        name = f"caveat_plans_{uuid.uuid4().hex[:8]}"
        admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(prefix="caveat-plans-") as tmp:
            settings = Settings(
                data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench",
                database_url=url, ledger_worker_seconds=0,
            )  # fmt: skip
            node, _ = init_node(
                settings,
                FirstOperator("operator", "Bench Operator", "ops@bench.example", "Lab", "GBR"),
            )
            try:
                yield node
            finally:
                node.close()
    finally:
        if postgres is not None and url is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(
                    f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
                )
            admin.dispose()


def _plan(lines: list[str]) -> list[str]:
    """The plan's steps (PostgreSQL: its nodes, without conditions)."""
    if not lines or not lines[0].startswith(("Limit", "Aggregate", "Result", "Sort")):
        return lines  # SQLite's EXPLAIN QUERY PLAN: one step a line already
    return [lines[0]] + [line.split("->", 1)[1].strip() for line in lines if "->" in line]


def _search(node: Node, catalogue: Catalogue) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, query in SEARCHES.items():

        def call(q: SearchQuery = query) -> None:
            node.artifact_search.search(catalogue.principal, q)

        result: dict[str, Any] = _median_ms(call)
        with node.uow.read() as session:
            policy_listing.steer(session)
            first, instead = node.artifact_search._statements(session, catalogue.principal, query)
            result["plan"] = _plan(explain(session.connection(), first))

            def alone(statement: Any = first) -> None:
                session.execute(statement).all()

            result["query_alone"] = _median_ms(alone)
            hits = len(session.execute(first).all())
            result["fell_back_to_projects"] = instead is not None and hits <= query.limit
        out[name] = result
    return out


def _listing(node: Node, catalogue: Catalogue) -> dict[str, Any]:
    principal = catalogue.principal
    out: dict[str, Any] = {
        "list_visible_page_and_count": _median_ms(
            lambda: node.policy.list_visible(principal, limit=50)
        )
    }
    page = node.policy.list_visible(principal, limit=50)
    out["list_visible_page_and_count"]["total"] = page.total
    out["list_visible_page_and_count"]["total_exact"] = page.total_exact
    with node.uow.read() as session:
        policy_listing.steer(session)
        subject = subject_of(session, principal.person)
        env = node.policy.environment()
        facts = Context(node.uow.clock(), principal.mfa_at, env).facts(subject)
        postgres = node.engine.dialect.name == "postgresql"
        where = policy_listing.visible(subject, facts, Action.DISCOVER, env, postgres=postgres)
        c = ResourceRow.__table__.c
        arms = policy_listing.arms_of(c.project_id, c.id, facts, Action.DISCOVER, postgres=postgres)
        first, _ = policy_listing.first_page(session, where, arms, after=None, limit=50)
        capped = policy_listing.capped_count_query(where)
        exact = policy_listing.count_query(where)
        conn = session.connection()
        out["listing_first_page_query"] = _median_ms(lambda: conn.execute(first).all())
        out["listing_first_page_query"]["plan"] = _plan(explain(conn, first))
        out["count_capped"] = _median_ms(lambda: conn.execute(capped).scalar_one())
        out["count_capped"]["value"] = conn.execute(capped).scalar_one()
        out["count_capped"]["plan"] = _plan(explain(conn, capped))
        out["peer_count_exact"] = _median_ms(lambda: conn.execute(exact).scalar_one())
        out["peer_count_exact"]["value"] = conn.execute(exact).scalar_one()
    return out


def _at(rows: int, postgres: str | None) -> dict[str, Any]:
    with _node(postgres) as node:
        catalogue = researcher(node)
        started = time.perf_counter()
        populate(node, catalogue, rows)
        result: dict[str, Any] = {
            "rows": rows,
            "load_seconds": round(time.perf_counter() - started, 1),
        }
        result["search"] = _search(node, catalogue)
        result["listing"] = _listing(node, catalogue)
    return result


def run(postgres_url: str | None = None) -> dict[str, Any]:
    """Every size on SQLite, and on PostgreSQL when a URL is given."""
    result: dict[str, Any] = {"goals": {"first_page_ms": 20, "count_at_1m_ms": 100}}
    backends = {"sqlite": None} | ({"postgresql": postgres_url} if postgres_url else {})
    for name, url in backends.items():
        result[name] = {str(rows): _at(rows, url) for rows in SIZES}
    write_result("plans", result)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(os.environ.get("CAVEAT_BENCH_POSTGRES_URL")), indent=2))
