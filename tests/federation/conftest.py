from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from caveat.bootstrap.container import Node
from tests.compliance.support import World, build
from tests.federation.support import Pair, make_pair
from tests.support import FakeClock


@pytest.fixture
def world(node: Node, clock: FakeClock) -> World:
    """USA originates, GBR reads, officers of both (tests/compliance/support.py)."""
    return build(node, clock)


@pytest.fixture
def pair(node: Node, clock: FakeClock, tmp_path: Path) -> Iterator[Pair]:
    """Node A (the session's database) and node B (SQLite), peered both ways."""
    yield from make_pair(node, clock, tmp_path)
