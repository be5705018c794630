"""Upload and download round trips through the service, bit for bit."""

from __future__ import annotations

import pytest

from caveat.services.kernel.principal import Principal
from tests.artifacts.conftest import PART, World, content, random_bytes


@pytest.mark.parametrize("size", [0, 1, PART - 1, PART, PART + 1, 3 * PART + 17])
def test_round_trip_is_bit_exact(world: World, alice: Principal, size: int) -> None:
    data = random_bytes(size)
    version = world.put(alice, data)
    assert version.size == size
    assert version.parts == (size + PART - 1) // PART
    artifact = world.node.artifacts.show(alice, _only(world, alice))
    assert content(world.node, alice, artifact.id) == data


def _only(world: World, who: Principal) -> str:
    from caveat.services.artifacts._search import SearchQuery

    page = world.node.artifact_search.search(who, SearchQuery())
    assert len(page.items) == 1
    return page.items[0].id


def test_declared_size_allows_exactly_that_many_bytes(world: World, alice: Principal) -> None:
    data = random_bytes(3 * PART + 1)
    version = world.put(alice, data, size=len(data))
    assert version.size == len(data)
