"""Locate the shared Merkle conformance data; a missing file fails the test, never skips it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[3]


def conformance_dir() -> Path:
    """``$CAVEAT_SHARED_DIR/conformance/merkle``, else ``<repo>/../shared/conformance/merkle``."""
    shared = os.environ.get("CAVEAT_SHARED_DIR") or str(REPO_ROOT.parent / "shared")
    return Path(shared) / "conformance" / "merkle"


def load_conformance(name: str) -> Any:
    """Load one conformance file or fail the test with a message saying where it looked."""
    path = conformance_dir() / name
    if not path.is_file():
        pytest.fail(
            f"conformance file {path} is missing: CI always provides it; set CAVEAT_SHARED_DIR "
            "to the folder holding conformance/merkle/",
            pytrace=False,
        )
    return json.loads(path.read_text(encoding="utf-8"))


TDEV_FILE = "transparency_dev_merkle_testdata.json"
CORE_FILE = "rfc6962_core_vectors.json"
