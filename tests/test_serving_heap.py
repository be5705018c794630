"""The collector of a serving process (``bootstrap/heap.py``, ADR 0035)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from caveat import server
from caveat.bootstrap import heap


@pytest.fixture
def restored() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored")
def test_start_up_objects_leave_the_collectors_reach_and_young_passes_are_rarer() -> None:
    gc.unfreeze()
    heap.settle_heap()
    assert gc.get_freeze_count() > 1000  # what start-up built: modules, classes, tables
    assert gc.get_threshold() == heap.THRESHOLDS
    assert heap.THRESHOLDS[0] > 700  # CPython's default: a young pass every 700


@pytest.mark.usefixtures("restored")
def test_every_serving_process_settles_its_heap_once_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``caveat.server:create`` (uvicorn's factory for each worker) settles the heap
    after the node is open and the app built."""
    steps: list[str] = []

    def step(name: str) -> object:
        steps.append(name)
        return object()

    monkeypatch.setattr(server, "open_node", lambda settings: step("open"))
    monkeypatch.setattr(server, "create_server", lambda node: step("app"))
    monkeypatch.setattr(server, "configure_logging", lambda **_: None)
    monkeypatch.setattr(server, "settle_heap", lambda: steps.append("settle"))
    server.create()
    assert steps == ["open", "app", "settle"]
