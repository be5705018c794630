"""Locate the Merkle conformance data (tests/data/merkle); a missing file fails the test,
never skips it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[3]


def conformance_dir() -> Path:
    """``<repo>/tests/data/merkle``: the vectors are in the repository (see its README)."""
    return REPO_ROOT / "tests" / "data" / "merkle"


def load_conformance(name: str) -> Any:
    """Load one conformance file or fail the test with a message saying where it looked."""
    path = conformance_dir() / name
    if not path.is_file():
        pytest.fail(
            f"conformance file {path} is missing: it is part of the repository "
            "(tests/data/README.md says where it came from)",
            pytrace=False,
        )
    return json.loads(path.read_text(encoding="utf-8"))


TDEV_FILE = "transparency_dev_merkle_testdata.json"
CORE_FILE = "rfc6962_core_vectors.json"
