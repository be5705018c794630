"""A writer process for the kill -9 test: uploads artifacts until it is killed.

Run as ``python -m tests.artifacts.crash_writer``; it reads CAVEAT_* settings from the
environment and the session token from CRASH_TOKEN.
"""

from __future__ import annotations

import os
import random

from caveat.bootstrap.container import open_node
from caveat.bootstrap.settings import Settings
from caveat.services.artifacts._service import NewArtifact
from caveat.services.kernel.uow import CallContext
from tests.artifacts.conftest import LABEL, PART, chunks, sha


def payload(index: int) -> bytes:
    """The deterministic content of artifact ``index``."""
    return random.Random(index).randbytes(PART * (index % 4) + 1000 * index)


def main() -> None:
    node = open_node(Settings())
    node.artifacts.part_bytes = PART
    principal = node.auth.authenticate(CallContext("crash", "10.0.0.9"), os.environ["CRASH_TOKEN"])
    start = int(os.environ["CRASH_START"])
    print("ready", flush=True)
    for index in range(start, start + 1000):
        data = payload(index)
        new = NewArtifact(
            project="Hypersonics", kind="dataset", title=f"crash-{index}", label=LABEL
        )
        node.artifacts.put(
            principal, CallContext.cli(), chunks(data, 7000), sha256=sha(data), new=new
        )
        print(index, flush=True)


if __name__ == "__main__":
    main()
