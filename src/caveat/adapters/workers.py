"""The process's pool of threads for CPU work that releases the GIL (AES-GCM, SHA-256).

One shared pool, created on first use (never before a fork), sized like the standard
library's default; a task in it never waits for another task in it, so it cannot
deadlock, only queue.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def crypto_workers() -> ThreadPoolExecutor:
    """The shared pool (threads named ``caveat-crypto``)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(thread_name_prefix="caveat-crypto")
        return _pool
