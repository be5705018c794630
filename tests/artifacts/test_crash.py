"""kill -9 at any point of an upload: afterwards each artifact is complete or absent.

A real subprocess uploads artifacts in a loop and is killed with SIGKILL at a random
moment, many times; after each kill the node is reopened, the sweeper runs, every
listed artifact must read back bit-exact, and verify must be clean.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from caveat.adapters.db.models.artifacts import UploadSessionRow
from caveat.bootstrap.settings import Settings
from caveat.services.artifacts._search import SearchQuery
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.artifacts.conftest import World, content
from tests.artifacts.crash_writer import payload

KILLS = 5
ROOT = Path(__file__).resolve().parents[2]


def _env(settings: Settings, token: str, start: int) -> dict[str, str]:
    assert settings.database_url is not None
    return {
        **os.environ,
        "CAVEAT_DATA_DIR": str(settings.data_dir),
        "CAVEAT_DATABASE_URL": settings.database_url.get_secret_value(),
        "CAVEAT_HASH_PROFILE": "test",
        "CAVEAT_LEDGER_WORKER_SECONDS": "0",
        "CRASH_TOKEN": token,
        "CRASH_START": str(start),
        # The writer imports tests.*; keep any PYTHONPATH the suite itself runs with.
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }


def test_kill_9_mid_upload_leaves_complete_artifacts_or_nothing(
    world: World, alice: Principal, settings: Settings
) -> None:
    # New kill moments in every run (pytest-randomly seeds `random`; its seed repeats a run).
    rng = random.Random(random.random())
    admin, console, ctx = world.node.artifact_admin, ConsoleOperator(), CallContext.cli()
    seen_partial_uploads = 0
    start = 0
    for kill in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.artifacts.crash_writer"],
            env=_env(settings, world.tokens["alice"], start),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert writer.stdout is not None
            assert writer.stderr is not None
            assert writer.stdout.readline() == b"ready\n", writer.stderr.read().decode()[-2000:]
            if kill == KILLS - 1:
                # However slow the machine, the last round lets one upload complete, so
                # completed artifacts are checked too (the writer prints each index).
                assert writer.stdout.readline().strip().isdigit()
            time.sleep(rng.uniform(0.0, 0.6))  # somewhere inside an upload
        finally:
            writer.send_signal(signal.SIGKILL)  # also when the writer failed to start
            _, stderr = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL, stderr.decode()[-2000:]
        start += 1000
        with world.node.uow.read() as session:
            seen_partial_uploads += len(session.execute(select(UploadSessionRow.id)).all())
        # Reopened node: expire the crashed uploads now and sweep what they left.
        world.scenario.clock.advance(hours=48)
        admin.cleanup(console, ctx, grace=timedelta(0))
        world.scenario.clock.advance(hours=-48)
        page = world.node.artifact_search.search(alice, SearchQuery(limit=200))
        for item in page.items:
            index = int(item.title.split("-")[1])
            assert content(world.node, alice, item.id) == payload(index)
        report = admin.verify(console, ctx)
        assert report.clean, report.problems
        assert list(world.node.artifacts.blobs.tmp.iterdir()) == []  # type: ignore[attr-defined]
    assert seen_partial_uploads >= 1  # the kills did land mid-upload
    assert len(world.node.artifact_search.search(alice, SearchQuery(limit=200)).items) >= 1
