"""The ledger (issue 5): durable appends, proofs at 10M entries, full verification.

Peer in the same run: pymerkle (an independent RFC 9162 implementation) on the same
workloads: its SQLite backend for durable appends, its in-memory tree for proofs and
for recomputing a root from all entries.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pymerkle
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.common import scratch_node, time_calls, write_result
from caveat.bootstrap.container import Node
from caveat.domain.events import Actor
from caveat.domain.ledger import node_hash, verify_consistency, verify_inclusion
from caveat.services.kernel.uow import CallContext

APPENDS = 20_000
PER_TRANSACTION = 1_000
BIG = 10_000_000
VERIFY_SIZE = 1_000_000
ROUNDS = 5  # the append rounds are short (about a second): the median of five


def _write(node: Node, count: int) -> None:
    for start in range(0, count, PER_TRANSACTION):
        with node.uow(CallContext.cli()) as uow:
            for n in range(start, min(count, start + PER_TRANSACTION)):
                uow.record("org.created", Actor.system("bench"), target_id=str(n), data={"n": n})


def _bodies(count: int) -> list[bytes]:
    return [b'{"bench":%d,"pad":"%s"}' % (n, b"x" * 200) for n in range(count)]


@contextmanager
def fresh_database(url: str | None) -> Iterator[str | None]:
    """A new empty PostgreSQL database beside ``url`` (dropped after), or SQLite (None)."""
    if url is None:
        yield None
        return
    base = make_url(url)
    name = f"caveat_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def appends(database_url: str | None, rounds: int = ROUNDS) -> dict[str, Any]:
    """Events committed through the unit of work, then integrated; both durable. Each
    round on a fresh node; the median round (by end-to-end rate) is reported."""
    runs = []
    for _ in range(rounds):
        with fresh_database(database_url) as url, scratch_node(url) as node:
            node.ledger.integrate()
            started = time.perf_counter()
            _write(node, APPENDS)
            written = time.perf_counter()
            node.ledger.integrate()
            done = time.perf_counter()
        runs.append(
            {
                "write_events_per_s": round(APPENDS / (written - started)),
                "integrate_events_per_s": round(APPENDS / (done - written)),
                "end_to_end_events_per_s": round(APPENDS / (done - started)),
            }
        )
    runs.sort(key=lambda r: r["end_to_end_events_per_s"])
    return {
        "events": APPENDS,
        "events_per_transaction": PER_TRANSACTION,
        "rounds": rounds,
        **runs[len(runs) // 2],
        "end_to_end_each_round": [r["end_to_end_events_per_s"] for r in runs],
    }


def pymerkle_appends() -> dict[str, Any]:
    """pymerkle's SQLite backend appending the same number of entries in one batch."""
    bodies = _bodies(APPENDS)
    with (
        tempfile.TemporaryDirectory() as tmp,
        pymerkle.SqliteTree(str(Path(tmp) / "p.db")) as tree,
    ):
        started = time.perf_counter()
        tree.append_entries(bodies)
        elapsed = time.perf_counter() - started
    return {"events": APPENDS, "events_per_s": round(APPENDS / elapsed)}


def _bulk_tree(path: str, size: int) -> None:
    """Store every perfect-subtree hash of a ``size``-leaf tree with raw bulk inserts."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    level, row = 0, [hashlib.sha256(b"\x00" + n.to_bytes(8, "big")).digest() for n in range(size)]
    while row:
        conn.executemany(
            "INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)",
            ((level, i, h) for i, h in enumerate(row)),
        )
        conn.commit()
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
    conn.close()


def proofs(size: int = BIG) -> dict[str, Any]:
    """Inclusion and consistency proofs (generate + verify) from the stored tree."""
    rng = random.Random(1)
    result: dict[str, Any] = {"size": size}
    with scratch_node() as node:
        node.ledger.integrate()
        node.ledger.publish_now()
        path = node.settings.resolved_database_url().removeprefix("sqlite:///")
        with node.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM ledger_nodes")
            conn.exec_driver_sql("DELETE FROM ledger_checkpoints")
            conn.exec_driver_sql("UPDATE events SET leaf_index = NULL")
        started = time.perf_counter()
        _bulk_tree(path, size)
        result["build_seconds"] = round(time.perf_counter() - started, 1)
        size = node.ledger.publish_now().size

        def inclusion() -> None:
            p = node.ledger.inclusion_proof(rng.randrange(size))
            verify_inclusion(p.index, p.size, p.leaf_hash, p.proof, p.root_hash)

        def consistency() -> None:
            c = node.ledger.consistency_proof(rng.randrange(1, size))
            verify_consistency(c.old_size, c.new_size, c.proof, c.old_root, c.new_root)

        result["inclusion_generate_and_verify"] = time_calls(inclusion, n=2000)
        result["consistency_generate_and_verify"] = time_calls(consistency, n=2000)
    return result


def pymerkle_proofs(size: int) -> dict[str, Any]:
    """pymerkle's in-memory tree: the same proof workload (its 1-based indices)."""
    rng = random.Random(1)
    started = time.perf_counter()
    tree = pymerkle.InmemoryTree.init_from_entries(_bodies(size))
    build = time.perf_counter() - started
    root = tree.get_root()

    def inclusion() -> None:
        index = rng.randrange(1, size + 1)
        proof = tree.prove_inclusion(index)
        pymerkle.verify_inclusion(tree.get_leaf(index), root, proof)

    def consistency() -> None:
        old = rng.randrange(1, size)
        proof = tree.prove_consistency(old)
        pymerkle.verify_consistency(tree.get_root(old), root, proof)

    return {
        "size": size,
        "build_seconds": round(build, 1),
        "inclusion_generate_and_verify": time_calls(inclusion, n=2000),
        "consistency_generate_and_verify": time_calls(consistency, n=500, warmup=5),
    }


def full_verification() -> dict[str, Any]:
    """`caveat audit verify` over a 1M-entry log, against pymerkle rebuilding the root."""
    with scratch_node() as node:
        _write(node, VERIFY_SIZE)
        node.ledger.integrate()
        node.ledger.publish_now()
        started = time.perf_counter()
        report = node.ledger_verifier.verify()
        elapsed = time.perf_counter() - started
        report.require_ok()
        with node.engine.connect() as conn:
            bodies = [
                b.encode()
                for (b,) in conn.exec_driver_sql("SELECT body FROM events ORDER BY leaf_index")
            ]
    started = time.perf_counter()
    tree = pymerkle.InmemoryTree.init_from_entries(bodies)
    tree.get_root()
    peer = time.perf_counter() - started
    return {
        "entries": report.entries,
        "seconds": round(elapsed, 1),
        "entries_per_s": round(report.entries / elapsed),
        "pymerkle_root_from_entries_seconds": round(peer, 1),
        "pymerkle_entries_per_s": round(len(bodies) / peer),
    }


def run(postgres_url: str | None = None) -> dict[str, Any]:
    """Every ledger measurement, written to benchmarks/results/ledger.json."""
    result: dict[str, Any] = {
        "appends_sqlite": appends(None),
        "appends_pymerkle_sqlite": pymerkle_appends(),
    }
    if postgres_url:
        result["appends_postgresql"] = appends(postgres_url)
    result["proofs_1m"] = proofs(1_000_000)
    result["proofs_10m"] = proofs(BIG)
    result["proofs_pymerkle_1m"] = pymerkle_proofs(1_000_000)
    result["full_verification_1m"] = full_verification()
    write_result("ledger", result)
    return result


def run_appends(postgres_url: str | None = None) -> dict[str, Any]:
    """Only the durable appends (``--appends-only``): benchmarks/results/ledger_appends.json."""
    result: dict[str, Any] = {"appends_sqlite": appends(None)}
    if postgres_url:
        result["appends_postgresql"] = appends(postgres_url)
    write_result("ledger_appends", result)
    return result


if __name__ == "__main__":
    import argparse
    import json
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--appends-only",
        action="store_true",
        help="only the durable appends (a few seconds), into results/ledger_appends.json",
    )
    args = parser.parse_args()
    postgres = os.environ.get("CAVEAT_BENCH_POSTGRES_URL")
    print(json.dumps(run_appends(postgres) if args.appends_only else run(postgres), indent=2))
