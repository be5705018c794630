"""``python -m benchmarks.profiled_serve ARGS``: ``caveat ARGS`` with cProfile in every
thread (the API's routes run in a thread pool, which ``-m cProfile`` does not see), the
merged statistics written at exit to ``$CAVEAT_PROFILE_OUT`` (used by
``benchmarks.federation_cpu run --profile``)."""

from __future__ import annotations

import atexit
import contextlib
import cProfile
import os
import pstats
import runpy
import sys
import threading
from types import FrameType
from typing import Any

_profiles: list[cProfile.Profile] = []


def _start(frame: FrameType, event: str, arg: Any) -> None:
    sys.setprofile(None)
    profile = cProfile.Profile()
    _profiles.append(profile)
    profile.enable()


def _dump() -> None:
    stats: pstats.Stats | None = None
    for profile in _profiles:
        profile.disable()
        profile.create_stats()
        stats = pstats.Stats(profile) if stats is None else stats.add(profile)
    if stats is not None:
        stats.dump_stats(os.environ["CAVEAT_PROFILE_OUT"])


def main() -> None:
    threading.setprofile(_start)
    atexit.register(_dump)
    sys.argv = ["caveat", *sys.argv[1:]]
    _start(sys._getframe(), "call", None)
    with contextlib.suppress(SystemExit):
        runpy.run_module("caveat", run_name="__main__")


if __name__ == "__main__":
    main()
