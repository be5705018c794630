"""Search cursors are opaque and personal: they reveal no count of hidden artifacts and
open for nobody but who was given them."""

from __future__ import annotations

import base64

import pytest

from caveat.domain.errors import InvalidInput
from caveat.services.artifacts._search import SearchQuery
from caveat.services.kernel.principal import Principal
from tests.artifacts.conftest import World


def _first_page(world: World, who: Principal) -> str:
    page = world.node.artifact_search.search(who, SearchQuery(limit=2))
    assert page.next_after is not None
    return page.next_after


def test_a_cursor_says_nothing_of_the_position(world: World, alice: Principal) -> None:
    """Reproduction: the cursor was the global sequence number in base64, so the gap
    between a user's pages told how many hidden artifacts lay between them."""
    for i in range(5):
        world.put(alice, f"item {i}".encode(), label="UNCLASSIFIED", title=f"item {i}")
    cursor = _first_page(world, alice)
    assert cursor.startswith("v1.")  # sealed: nonce, AES-GCM ciphertext and tag
    sealed = base64.urlsafe_b64decode(cursor[3:].encode())
    assert 12 + 16 < len(sealed) <= 12 + 19 + 16  # the position exists only encrypted
    assert _first_page(world, alice) != cursor  # a fresh nonce every time
    rest = world.node.artifact_search.search(alice, SearchQuery(limit=10, after=cursor))
    assert [a.title for a in rest.items] == ["item 2", "item 1", "item 0"]


def test_a_cursor_is_refused_to_someone_else_and_when_altered(
    world: World, alice: Principal
) -> None:
    bob = world.principal("bob")
    for i in range(3):
        world.put(alice, f"item {i}".encode(), label="UNCLASSIFIED", title=f"item {i}")
    cursor = _first_page(world, alice)
    with pytest.raises(InvalidInput) as refused:
        world.node.artifact_search.search(bob, SearchQuery(limit=2, after=cursor))
    assert refused.value.code == "invalid_cursor"
    # Change a character in the middle: the last ones of unpadded base64 carry padding
    # bits, and changing those can leave the decoded bytes as they were.
    middle = len(cursor) // 2
    altered = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    with pytest.raises(InvalidInput):
        world.node.artifact_search.search(alice, SearchQuery(limit=2, after=altered))
    old_style = base64.urlsafe_b64encode(b"s999").decode()
    with pytest.raises(InvalidInput):
        world.node.artifact_search.search(alice, SearchQuery(limit=2, after=old_style))
