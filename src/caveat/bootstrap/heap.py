"""The garbage collector's settings for a long-running serving process (ADR 0035).

A node that serves live channels holds millions of objects (readers' facts, decision
tables, kept messages, the ORM's caches). CPython's default collector scans the oldest
generation, all of them, every few seconds under that allocation rate: each such pass
stopped the event loop for 100-250 ms in the channel benchmark (1,000 readers, 100
messages/s), and every reader's delivery waited behind it, which was the p99.

After start-up, what start-up built (modules, routes, settings, the policy's tables)
is moved out of the collector's reach (``gc.freeze``: it is never garbage), and the
young generation is collected less often so that fewer objects survive into the old
generations and full passes become rare. Reference counting still frees almost
everything at once; only cyclic garbage waits for a pass.
"""

from __future__ import annotations

import gc

# Allocations between passes over the young generation (CPython's default: 700), young
# passes between middle ones (10) and middle passes between full ones (10).
THRESHOLDS = (20_000, 20, 100)


def settle_heap() -> None:
    """Collect once, freeze what is left (start-up's objects) and set ``THRESHOLDS``.
    For serving processes after start-up, not for libraries or tests."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
