"""The artifacts table: totals and facet counts equal per-row decide(); sorted numbered
pages are total and stable; on this database (SQLite, or PostgreSQL with
CAVEAT_TEST_DATABASE_URL)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.adapters.db.models.policy import ResourceControlRow, ResourceRow
from caveat.domain.errors import InvalidInput
from caveat.services.artifacts import ArtifactSummary, NewArtifact, SearchQuery, TableQuery
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.artifacts.conftest import World, chunks, client_for, sha
from tests.artifacts.test_search import _decided

LABELS = [
    "UNCLASSIFIED",
    "CONFIDENTIAL//REL TO USA, GBR",
    "SECRET//NOFORN",
    "SECRET//REL TO USA, FVEY",
    "SECRET//REL TO USA, CAN",
    "SECRET//REL TO USA, GBR",
]
CONTROLS = [(), ("ITAR:USML-XI(c)(1)",), ("EAR:3A001",), ("ITAR:USML-XI(c)(1)", "EAR:3A001")]


@dataclass(frozen=True)
class Fixture:
    ids: list[str]
    viewers: list[Principal]
    second_project: str


def _populate(world: World, alice: Principal, rng: random.Random, n: int) -> Fixture:
    console, ctx = ConsoleOperator(), CallContext.cli()
    other = world.node.projects.create_project(console, ctx, name="Scramjets").id
    world.node.projects.add_member(console, ctx, other, "alice")
    ids = []
    for i in range(n):
        data = f"content {i} {rng.random()}".encode()
        new = NewArtifact(
            project=rng.choice([world.project, other]),
            kind=rng.choice(["dataset", "report"]),
            title=f"{rng.choice(['alpha', 'Bravo', 'charlie'])} run {i}",
            label=rng.choice(LABELS),
            controls=rng.choice(CONTROLS),
            summary="",
            keywords=(),
        )
        view = world.artifacts.put(
            alice, ctx, chunks(data), sha256=sha(data), new=new, filename="r.bin"
        )
        with world.node.uow.read() as session:
            row = session.get(ArtifactVersionRow, view.id)
            assert row is not None
            ids.append(row.artifact_id)
    viewers = [
        alice,
        world.principal("erin"),  # a member of the first project only
        world.principal("carol", member=False),
        world.principal("bob", nations=("GBR",)),
        world.principal("dual", nations=("USA", "CAN")),
    ]
    return Fixture(ids, viewers, other)


def _expected_facets(world: World, ids: set[str], query: SearchQuery) -> dict[str, Counter[str]]:
    """Facet counts computed from per-row decisions: each facet with the other filters."""
    with world.node.uow.read() as session:
        rows = {
            r.id: r for r in session.scalars(select(ResourceRow).where(ResourceRow.id.in_(ids)))
        }
        regimes: dict[str, set[str]] = {i: set() for i in ids}
        for c in session.scalars(
            select(ResourceControlRow).where(ResourceControlRow.resource_id.in_(ids))
        ):
            regimes[c.resource_id].add(c.entry.split(":", 1)[0])
    values = {
        i: {
            "level": {str(r.common_level)},
            "nation": {str(r.originator_nation)},
            "project": {r.project_id},
            "kind": {r.kind},
            "regime": regimes[i],
        }
        for i, r in rows.items()
    }
    chosen = {
        "level": None if query.level is None else str(query.level),
        "nation": query.nation,
        "project": query.project,
        "kind": query.kind,
        "regime": query.regime,
    }
    out: dict[str, Counter[str]] = {}
    for facet in chosen:
        counter: Counter[str] = Counter()
        for v in values.values():
            if all(c is None or c in v[f] for f, c in chosen.items() if f != facet):
                counter.update(v[facet])
        out[facet] = counter
    return out


@pytest.mark.parametrize("seed", [11, 23, 37])  # random populations, each on a new node
def test_totals_and_facet_counts_equal_per_row_decisions(
    world: World, alice: Principal, seed: int
) -> None:
    fixture = _populate(world, alice, random.Random(seed), 14)
    hidden_somewhere = False
    for viewer in fixture.viewers:
        visible = _decided(world, viewer, fixture.ids)
        hidden_somewhere |= len(visible) < len(fixture.ids)
        for query in (
            SearchQuery(),
            SearchQuery(level=3),
            SearchQuery(regime="ITAR", kind="report"),
            SearchQuery(project=fixture.second_project),
        ):
            table = world.node.artifact_tables.table(viewer, TableQuery(query), limit=5)
            expected = _expected_facets(world, visible, query)
            got = {f: Counter({c.value: c.count for c in cs}) for f, cs in table.facets.items()}
            assert got == {f: +c for f, c in expected.items()}, (viewer.person.username, query)
            matching = _expected_facets(world, visible, query)["kind"]
            # The total is the kind facet's sum when kind is not filtered on.
            if query.kind is None:
                assert table.total == sum(matching.values())
            assert table.total_exact
            assert table.facets_exact
            # A facet names only projects the viewer sees something in.
            assert set(table.project_names) <= {c.value for c in table.facets["project"]} | {
                i.project_id for i in table.items
            }
    assert hidden_somewhere  # the population hides something from someone


@pytest.mark.parametrize("sort", ["created", "title", "kind", "project", "level", "version"])
@pytest.mark.parametrize("descending", [True, False])
def test_sorted_numbered_pages_are_total_and_stable(
    world: World, alice: Principal, sort: str, descending: bool
) -> None:
    fixture = _populate(world, alice, random.Random(3), 11)
    bob = fixture.viewers[3]
    for viewer in (alice, bob):
        visible = _decided(world, viewer, fixture.ids)
        first = world.node.artifact_tables.table(
            viewer, TableQuery(sort=sort, descending=descending), limit=4
        )
        assert first.total == len(visible)
        assert first.pages == max(1, -(-len(visible) // 4))
        seen: list[ArtifactSummary] = []
        for n in range(1, first.pages + 1):
            page = world.node.artifact_tables.table(
                viewer, TableQuery(sort=sort, descending=descending, page=n), limit=4
            )
            again = world.node.artifact_tables.table(
                viewer, TableQuery(sort=sort, descending=descending, page=n), limit=4
            )
            assert page.items == again.items
            seen += page.items
        assert [a.id for a in seen if a.id in visible] == [a.id for a in seen]
        assert sorted(a.id for a in seen) == sorted(visible)
        if sort == "title":
            titles = [a.title.lower() for a in seen]
            assert titles == sorted(titles, reverse=descending)
        if sort == "created":
            created = [a.created_at for a in seen]
            assert created == sorted(created, reverse=descending)


def test_bad_table_queries_are_refused(world: World, alice: Principal) -> None:
    for query in (TableQuery(sort="label_json"), TableQuery(page=0), TableQuery(page=10_000)):
        with pytest.raises(InvalidInput):
            world.node.artifact_tables.table(alice, query)


def test_the_api_and_sdk_serve_the_same_table(
    world: World, alice: Principal, http: TestClient
) -> None:
    fixture = _populate(world, alice, random.Random(5), 9)
    bob = fixture.viewers[3]
    sdk = client_for(http, world, "bob")
    visible = _decided(world, bob, fixture.ids)
    answer = sdk.artifacts.table(sort="title", descending=False, limit=3)
    service = world.node.artifact_tables.table(
        bob, TableQuery(sort="title", descending=False), limit=3
    )
    assert answer.total == service.total == len(visible)
    assert [a.id for a in answer.items] == [a.id for a in service.items]
    assert {f: {c.value: c.count for c in cs} for f, cs in answer.facets.items()} == {
        f: {c.value: c.count for c in cs} for f, cs in service.facets.items()
    }
    second = sdk.artifacts.table(sort="title", descending=False, page=2, limit=3)
    assert second.page == 2
    raw = http.get(
        "/api/v1/artifacts/table?sort=nonsense",
        headers={"Authorization": f"Bearer {world.tokens['bob']}"},
    )
    assert raw.status_code == 422
    assert raw.json()["code"] == "invalid_sort"
