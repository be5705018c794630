"""The encrypt pipeline of ``benchmarks/content.py``, staged blob writes against straight
ones (ADR 0031), or with ``read`` its decrypt pipeline, blobs read ahead on the I/O pool
against plain preads (ADR 0032), for A/B comparisons on a busy machine.

Each pass encrypts, hashes and stores ``CAVEAT_BENCH_PIPELINE_MIB`` (default 512) through
``PartedWriter`` into a local blob store under ``CAVEAT_BENCH_ROOT`` (default tmpfs),
alternating a store whose writers stage (staging buffers, the blob I/O pool, ``O_DIRECT``
where the file system takes it: what every data directory did before tmpfs was told apart)
with one as the store chooses for that file system. Reported per side, as medians over
``CAVEAT_BENCH_RUNS`` passes (default 9): the process's user and system CPU (all threads),
context switches, CPU per thread pool (which thread encrypts, hashes, copies) and the wall
rate, which means something only on a quiet machine. Prints JSON; writes nothing under
benchmarks/results.

The ``read`` A/B writes the bytes once, then alternates decrypting and verifying them
(``read_range``, as ``benchmarks/content.py`` does) through a store that reads ahead on the
pool (``LocalBlobReader``: aligned blocks, ``O_DIRECT`` where taken, a staging copy: what
every data directory did before tmpfs was told apart) with one as the store chooses.

Run: ``PYTHONPATH=$PWD/src:$PWD python -m benchmarks.pipeline_cpu [read]``.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.content import TMPFS, TOTAL, _chunks
from caveat.adapters.blobstore import LocalBlobStore
from caveat.adapters.kek import LocalKekFile, create_kek_file, new_data_key
from caveat.services.artifacts._content import PartedWriter, read_range

ROOT = Path(os.environ.get("CAVEAT_BENCH_ROOT", str(TMPFS)))
RUNS = int(os.environ.get("CAVEAT_BENCH_RUNS", "9"))
_TICK = os.sysconf("SC_CLK_TCK")


def _threads() -> dict[str, float]:
    """CPU seconds per thread, keyed by thread name without its number."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    lanes: collections.defaultdict[str, float] = collections.defaultdict(float)
    for tid in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        name = names.get(int(tid), "other").rstrip("_0123456789")
        lanes[name] += (int(fields[11]) + int(fields[12])) / _TICK
    return dict(lanes)


def one_pass(staged: bool) -> dict[str, Any]:
    """Encrypt+hash+store TOTAL bytes once; CPU, switches and wall of that alone."""
    with tempfile.TemporaryDirectory(prefix="caveat-pipecpu-", dir=ROOT) as tmp:
        create_kek_file(Path(tmp) / "keys")
        key, _ = new_data_key(LocalKekFile(Path(tmp) / "keys"), "v1")
        store = LocalBlobStore(Path(tmp) / "blobs")
        chosen = store.stage_writes
        if staged:
            store.stage_writes = True
        writer = PartedWriter(
            blobs=store, key=key, version_id="v1", generation=0, first_index=0,
            hasher=hashlib.sha256(), on_part=lambda _p, _h: None, limit=lambda _n: None,
        )  # fmt: skip
        before, lanes0 = resource.getrusage(resource.RUSAGE_SELF), _threads()
        started = time.perf_counter()
        for chunk in _chunks(TOTAL):
            writer.write(chunk)
        writer.finish()
        wall = time.perf_counter() - started
        after, lanes1 = resource.getrusage(resource.RUSAGE_SELF), _threads()
    return {
        "store_chooses_staged": chosen,
        "user_s": after.ru_utime - before.ru_utime,
        "sys_s": after.ru_stime - before.ru_stime,
        "switches": (after.ru_nvcsw + after.ru_nivcsw) - (before.ru_nvcsw + before.ru_nivcsw),
        "wall_s": wall,
        "threads_s": {k: v - lanes0.get(k, 0.0) for k, v in lanes1.items()},
    }


def _measure(work: Any) -> dict[str, Any]:
    """Run ``work()``; the CPU, switches and wall of that alone."""
    before, lanes0 = resource.getrusage(resource.RUSAGE_SELF), _threads()
    started = time.perf_counter()
    work()
    wall = time.perf_counter() - started
    after, lanes1 = resource.getrusage(resource.RUSAGE_SELF), _threads()
    return {
        "user_s": after.ru_utime - before.ru_utime,
        "sys_s": after.ru_stime - before.ru_stime,
        "switches": (after.ru_nvcsw + after.ru_nivcsw) - (before.ru_nvcsw + before.ru_nivcsw),
        "wall_s": wall,
        "threads_s": {k: v - lanes0.get(k, 0.0) for k, v in lanes1.items()},
    }


def read_main() -> dict[str, Any]:
    """Decrypt+verify the same TOTAL bytes, read ahead on the pool against as chosen."""
    with tempfile.TemporaryDirectory(prefix="caveat-pipecpu-", dir=ROOT) as tmp:
        create_kek_file(Path(tmp) / "keys")
        key, _ = new_data_key(LocalKekFile(Path(tmp) / "keys"), "v1")
        store = LocalBlobStore(Path(tmp) / "blobs")
        chosen = store.read_ahead
        sizes: list[int] = []
        hasher = hashlib.sha256()
        writer = PartedWriter(
            blobs=store, key=key, version_id="v1", generation=0, first_index=0, hasher=hasher,
            on_part=lambda p, _h: sizes.append(p.plain_size), limit=lambda _n: None,
        )  # fmt: skip
        for chunk in _chunks(TOTAL):
            writer.write(chunk)
        writer.finish()

        def decrypt() -> None:
            check = hashlib.sha256()
            for plain in read_range(store, key, "v1", 0, sizes, 0, TOTAL):
                check.update(plain)
            assert check.digest() == hasher.digest()

        def one(read_ahead: bool) -> dict[str, Any]:
            store.read_ahead = read_ahead
            return _measure(decrypt)

        one(chosen)  # warm-up: pools, staging buffers
        sides: dict[str, list[dict[str, Any]]] = {"read_ahead": [], "as_chosen": []}
        for _ in range(RUNS):
            sides["read_ahead"].append(one(True))
            sides["as_chosen"].append(one(chosen))
    return {
        "bytes": TOTAL,
        "root": str(ROOT),
        "store_chooses_read_ahead": chosen,
        "load_at_end": os.getloadavg(),
        **{side: _summary(passes) for side, passes in sides.items()},
    }


def _summary(passes: list[dict[str, Any]]) -> dict[str, Any]:
    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    names = sorted({name for p in passes for name in p["threads_s"]})
    return {
        "cpu_s": median([p["user_s"] + p["sys_s"] for p in passes]),
        "user_s": median([p["user_s"] for p in passes]),
        "sys_s": median([p["sys_s"] for p in passes]),
        "cpu_s_all": [round(p["user_s"] + p["sys_s"], 3) for p in passes],
        "switches": statistics.median([p["switches"] for p in passes]),
        "threads_cpu_s": {n: median([p["threads_s"].get(n, 0.0) for p in passes]) for n in names},
        "wall_MBps": round(TOTAL / statistics.median([p["wall_s"] for p in passes]) / 1e6, 1),
    }


def main() -> dict[str, Any]:
    one_pass(staged=False)  # warm-up: imports, pools, staging buffers
    sides: dict[str, list[dict[str, Any]]] = {"staged": [], "as_chosen": []}
    for _ in range(RUNS):
        sides["staged"].append(one_pass(staged=True))
        sides["as_chosen"].append(one_pass(staged=False))
    return {
        "bytes": TOTAL,
        "root": str(ROOT),
        "store_chooses_staged": sides["as_chosen"][0]["store_chooses_staged"],
        "load_at_end": os.getloadavg(),
        **{side: _summary(passes) for side, passes in sides.items()},
    }


if __name__ == "__main__":
    print(json.dumps(read_main() if sys.argv[1:] == ["read"] else main(), indent=2))
