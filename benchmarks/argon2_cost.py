"""Argon2id cost per hash: Caveat's production cost beside OWASP's minimum and a lighter one."""

from __future__ import annotations

from functools import partial
from typing import Any

from benchmarks.common import time_calls, write_result
from caveat.domain.credentials import PRODUCTION_COST, Argon2Cost, PasswordHashing

PEERS = {
    "caveat production (RFC 9106 2nd option: t=3, 64 MiB, p=4)": PRODUCTION_COST,
    "OWASP minimum (t=2, 19 MiB, p=1)": Argon2Cost(2, 19 * 1024, 1),
    "argon2-cffi default (t=3, 64 MiB, p=4)": Argon2Cost(3, 64 * 1024, 4),
}


def run() -> dict[str, Any]:
    rows = {}
    for name, cost in PEERS.items():
        hashing = PasswordHashing(cost)
        stats = time_calls(partial(hashing.hash, "violet-harbour-lantern-42"), n=30, warmup=3)
        rows[name] = {
            "t": cost.time_cost,
            "m_kib": cost.memory_cost,
            "p": cost.parallelism,
            "median_ms": round(stats["median_us"] / 1000, 1),
            "p95_ms": round(stats["p95_us"] / 1000, 1),
        }
    result = {"hash_ms": rows}
    write_result("argon2_cost", result)
    return result


if __name__ == "__main__":
    print(run())
