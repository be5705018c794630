"""Fixtures for the release-package tests: one pair of nodes' keys per module."""

from __future__ import annotations

import pytest

from tests.federation.tdf.support import Parties, new_parties


@pytest.fixture(scope="module")
def parties() -> Parties:
    """The receiving node's P-256 key and the releasing node's Ed25519 key."""
    return new_parties()
