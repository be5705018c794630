from __future__ import annotations

import pytest

from caveat.bootstrap.container import Node
from tests.compliance.support import World, build
from tests.support import FakeClock


@pytest.fixture
def world(node: Node, clock: FakeClock) -> World:
    """USA originates, GBR reads, officers of both (tests/compliance/support.py)."""
    return build(node, clock)
