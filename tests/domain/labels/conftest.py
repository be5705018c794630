"""Fixtures for label tests: the built-in groups and schemes and a fixed day."""

from __future__ import annotations

from datetime import date

import pytest

from caveat.domain.groups import GroupDirectory, builtin_directory
from caveat.domain.labels import SchemeRegistry, builtin_schemes


@pytest.fixture
def groups() -> GroupDirectory:
    return builtin_directory()


@pytest.fixture
def on() -> date:
    return date(2024, 6, 1)


@pytest.fixture
def schemes() -> SchemeRegistry:
    return builtin_schemes()
