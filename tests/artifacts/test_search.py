"""Search and browse: never shows what decide() would deny; full text, filters, pages."""

from __future__ import annotations

import random

import pytest

from caveat.domain.policy import Action
from caveat.services.artifacts._search import SearchQuery
from caveat.services.kernel.principal import Principal
from caveat.services.policy import listing as policy_listing
from caveat.services.policy._loader import resource_of
from tests.artifacts.conftest import World

LABELS = [
    "UNCLASSIFIED",
    "CONFIDENTIAL//REL TO USA, GBR",
    "SECRET//NOFORN",
    "SECRET//REL TO USA, FVEY",
    "SECRET//REL TO USA, CAN",
    "SECRET//REL TO USA, GBR",
]
WORDS = ["hypersonic", "scramjet", "radar", "telemetry", "sled", "plasma", "inlet", "thermal"]


def _populate(world: World, alice: Principal, n: int) -> None:
    rng = random.Random(7)
    for i in range(n):
        words = rng.sample(WORDS, 3)
        world.put(
            alice,
            f"content {i}".encode(),
            label=rng.choice(LABELS),
            title=f"{words[0]} run {i}",
            summary=f"{words[1]} measurements",
            keywords=(words[2],),
            controls=("ITAR:USML-XI(c)(1)",) if i % 3 == 0 else (),
        )


def _all(world: World, who: Principal, **kwargs: object) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = world.node.artifact_search.search(
            who,
            SearchQuery(after=after, limit=4, **kwargs),  # type: ignore[arg-type]
        )
        ids += [a.id for a in page.items]
        if page.next_after is None:
            return ids
        after = page.next_after


def _decided(world: World, who: Principal, ids: list[str]) -> set[str]:
    from caveat.adapters.db.models.policy import ResourceRow

    permitted = set()
    with world.node.uow.read() as session:
        for artifact in ids:
            row = session.get(ResourceRow, artifact)
            assert row is not None
            resource = resource_of(row, world.node.policy.schemes)
            decision = world.node.policy.decide_in(
                session, who, Action.DISCOVER, resource, world.node.uow.clock()
            )
            if decision.permitted:
                permitted.add(artifact)
    return permitted


# A window of 2 never holds a page of 4: every page then comes from the per-project walks.
@pytest.mark.parametrize("probe", [policy_listing.PROBE, 2])
def test_listing_equals_per_row_decisions(
    world: World, alice: Principal, probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy_listing, "PROBE", probe)
    _populate(world, alice, 18)
    viewers = [
        alice,
        world.principal("erin"),
        world.principal("carol", member=False),
        world.principal("bob", nations=("GBR",)),
        world.principal("dual", nations=("USA", "CAN")),
    ]
    every = _all(world, alice)
    assert len(every) == 18
    assert len(set(every)) == 18
    for viewer in viewers:
        assert set(_all(world, viewer)) == _decided(world, viewer, every)
    assert _all(world, world.people["carol"]) == []


def test_full_text_and_filters(world: World, alice: Principal) -> None:
    _populate(world, alice, 12)
    every = _all(world, alice)
    with world.node.uow.read() as session:
        from caveat.adapters.db.models.artifacts import ArtifactRow

        rows = {a: session.get(ArtifactRow, a) for a in every}
    for word in ("scramjet", "radar"):
        expected = {
            a
            for a, r in rows.items()
            if r is not None and word in f"{r.title} {r.summary} {r.keywords}"
        }
        assert set(_all(world, alice, text=word.upper())) == expected
    assert set(_all(world, alice, text="scramjet radar")) <= set(_all(world, alice, text="radar"))
    assert len(_all(world, alice, regime="ITAR")) == 4
    assert len(_all(world, alice, kind="dataset")) == 12
    assert _all(world, alice, kind="report") == []
    assert len(_all(world, alice, nation="USA")) == 12
    assert _all(world, alice, text='" OR 1=1 --') == []


def test_bad_queries_are_refused(world: World, alice: Principal) -> None:
    from caveat.domain.errors import InvalidInput

    for query in (
        SearchQuery(kind="poem"),
        SearchQuery(regime="XYZ"),
        SearchQuery(after="not-a-cursor"),
        SearchQuery(level=9),
        SearchQuery(text="x" * 500),
    ):
        with pytest.raises(InvalidInput):
            world.node.artifact_search.search(alice, query)
