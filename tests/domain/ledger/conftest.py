"""Parametrise the transparency-dev probes; a missing file gives one failing test id."""

from __future__ import annotations

import json

import pytest
from tests.domain.ledger.ledger_conformance import TDEV_FILE, conformance_dir


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give each transparency-dev probe its own test id (one failing id if the file is absent)."""
    if "tdev_case" not in metafunc.fixturenames:
        return
    path = conformance_dir() / TDEV_FILE
    if not path.is_file():
        metafunc.parametrize("tdev_case", [None], ids=["conformance-file-missing"])
        return
    probes = json.loads(path.read_text(encoding="utf-8"))["probes"]
    cases = [(name, probe) for name, probe in sorted(probes.items())]
    metafunc.parametrize("tdev_case", cases, ids=[name for name, _ in cases])
