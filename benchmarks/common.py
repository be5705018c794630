"""Shared helpers: a throwaway node, timing, the machine description, JSON results."""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.logging import configure_logging
from caveat.bootstrap.settings import HashProfile, Settings

RESULTS = Path(__file__).with_name("results")


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def time_calls(fn: Callable[[], object], *, n: int, warmup: int = 50) -> dict[str, float]:
    """Median, p95 and p99 of ``n`` calls, in microseconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1000)
    return {
        "n": n,
        "median_us": round(statistics.median(samples), 1),
        "p95_us": round(percentile(samples, 95), 1),
        "p99_us": round(percentile(samples, 99), 1),
    }


@contextmanager
def scratch_node(
    database_url: str | None = None, profile: HashProfile = HashProfile.TEST
) -> Iterator[Node]:
    """A fresh node in a temporary directory (SQLite unless a URL is given)."""
    configure_logging(json=True, level="INFO")  # as in production: one JSON line per request
    with tempfile.TemporaryDirectory(prefix="caveat-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp), hash_profile=profile, node_name="bench", database_url=database_url
        )
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        try:
            yield node
        finally:
            node.close()


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` with the machine and the time."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **payload,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
