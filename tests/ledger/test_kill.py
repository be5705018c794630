"""A process killed (SIGKILL) while it integrates leaves a log that still verifies.

A real subprocess writes events and integrates them in a loop with small batches;
it is killed at random moments many times, and after each kill the full verifier
must pass: a batch is one transaction, so it is either all there or not at all.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from caveat.bootstrap.container import Node
from caveat.bootstrap.settings import Settings

WORKER = """
import sys
from caveat.bootstrap.container import open_node
from caveat.bootstrap.settings import Settings
from caveat.domain.events import Actor
from caveat.services.kernel.uow import CallContext

node = open_node(Settings())
print("ready", flush=True)
n = 0
while True:
    with node.uow(CallContext.cli()) as uow:
        for _ in range(300):
            uow.record("org.created", Actor.system("kill-test"), target_id=str(n), data={"n": n})
            n += 1
    node.ledger.integrate()
"""


@pytest.mark.slow
def test_sigkill_during_integration_never_breaks_the_log(node: Node, settings: Settings) -> None:
    env = {
        **os.environ,
        "CAVEAT_DATA_DIR": str(settings.data_dir),
        "CAVEAT_DATABASE_URL": settings.resolved_database_url(),
        "CAVEAT_LEDGER_BATCH_SIZE": "97",  # many transactions per integration
        "CAVEAT_CHECKPOINT_EVERY_ENTRIES": "500",
    }
    # New kill moments in every run (pytest-randomly seeds `random`; its seed repeats a run).
    rng = random.Random(random.random())
    sizes = []
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        report = node.ledger_verifier.verify()
        assert report.findings == []
        sizes.append(report.entries)
    assert sizes[-1] > sizes[0]  # the log kept growing across kills
    node.ledger.integrate()
    node.ledger.publish_now()
    final = node.ledger_verifier.verify()
    final.require_ok()
    assert final.pending == 0
