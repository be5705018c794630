"""The process's pools of threads, each one shared pool created on first use (never
before a fork).

``crypto_workers``: CPU work that releases the GIL (AES-GCM, SHA-256).
``blob_io_workers``: blob writes to and reads from the disk
(``caveat.adapters.blobstore.local``), kept apart so a slow disk never holds up hashing.
``staging_workers``: received content staged a page at a time, so the fsyncs overlap.
``peer_fetch_workers``: the next outbox page asked of a peer while one is kept.
A task in any of them never waits for another task in the same pool, so none can
deadlock, only queue.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_pools: dict[str, ThreadPoolExecutor] = {}
BLOB_IO_THREADS = 4  # a blob writer has at most one write in flight, a reader two reads
STAGING_THREADS = 8  # contents of a page staged at once (their fsyncs overlap)
PEER_FETCH_THREADS = 4  # next pages asked for at once (one per peer being synced)


def _shared(name: str, threads: int | None) -> ThreadPoolExecutor:
    with _lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ThreadPoolExecutor(threads, thread_name_prefix=name)
        return pool


def crypto_workers() -> ThreadPoolExecutor:
    """The shared pool (threads named ``caveat-crypto``)."""
    return _shared("caveat-crypto", None)


def blob_io_workers() -> ThreadPoolExecutor:
    """The shared pool for blob writes and reads (threads named ``caveat-blob-io``)."""
    return _shared("caveat-blob-io", BLOB_IO_THREADS)


def staging_workers() -> ThreadPoolExecutor:
    """The shared pool that stages received content (threads named ``caveat-stage``)."""
    return _shared("caveat-stage", STAGING_THREADS)


def peer_fetch_workers() -> ThreadPoolExecutor:
    """The shared pool that asks peers for their next outbox page (threads named
    ``caveat-prefetch``)."""
    return _shared("caveat-prefetch", PEER_FETCH_THREADS)
