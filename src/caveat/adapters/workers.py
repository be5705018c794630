"""The process's pools of threads for work that releases the GIL.

``crypto_workers``: CPU work (AES-GCM, SHA-256). ``blob_io_workers``: blob writes to and
reads from the disk (``caveat.adapters.blobstore.local``), kept apart so a slow disk never
holds up hashing. Each is one shared pool, created on first use (never before a fork); a task in
either never waits for another task, so neither can deadlock, only queue.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_io_pool: ThreadPoolExecutor | None = None
BLOB_IO_THREADS = 4  # a blob writer has at most one write in flight, a reader two reads


def crypto_workers() -> ThreadPoolExecutor:
    """The shared pool (threads named ``caveat-crypto``)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(thread_name_prefix="caveat-crypto")
        return _pool


def blob_io_workers() -> ThreadPoolExecutor:
    """The shared pool for blob writes and reads (threads named ``caveat-blob-io``)."""
    global _io_pool
    with _lock:
        if _io_pool is None:
            _io_pool = ThreadPoolExecutor(BLOB_IO_THREADS, thread_name_prefix="caveat-blob-io")
        return _io_pool
