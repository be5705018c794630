"""CPU work of one federation sync on both sides (issue 18), for A/B comparisons on a
shared machine, where wall time is distorted: user+sys CPU seconds of the receiving
node (this process) and of the serving node (`caveat serve`, from /proc), per small item
and per MiB of the large one, optionally with cProfile on either side.

    PYTHONPATH=$PWD python -m benchmarks.federation_cpu prepare DIR   # seed and release once
    PYTHONPATH=$PWD python -m benchmarks.federation_cpu run DIR [--profile OUT_PREFIX]

``prepare`` seeds two demo nodes and releases the benchmark's items (as
``benchmarks.federation``, same ``CAVEAT_BENCH_FED_ITEMS`` and ``CAVEAT_BENCH_FED_MIB``);
``run`` copies DIR aside and pulls everything from the copy, so runs start alike.
"""

from __future__ import annotations

import cProfile
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchmarks.federation import (
    CONTENT_MIB,
    ITEMS,
    _env,
    _node,
    _stop,
    _three_free_ports,
    _wait,
    release_side,
)
from caveat.adapters.db.models.federation import PeerRow
from caveat.adapters.tdf import schema_errors
from caveat.bootstrap.demo_federation import Federation, load
from caveat.services.federation import PULL_BATCH
from caveat.services.kernel.uow import CallContext

TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _self_cpu() -> float:
    t = os.times()
    return t.user + t.system


def prepare(root: Path) -> None:
    subprocess.run(
        [
            *(sys.executable, "-m", "caveat", "--data-dir", str(root)),
            *("demo", "--federation", "--no-serve", "--base-port", str(_three_free_ports())),
        ],
        check=True,
        capture_output=True,
    )
    federation = load(root)
    assert federation is not None
    print("release", release_side(federation), flush=True)
    (root / "items.json").write_text(json.dumps({"items": ITEMS, "mib": CONTENT_MIB}))


def _pull(federation: Federation, items: int, profile: str | None) -> dict[str, Any]:
    gbr = _node(federation, "gbr")
    ctx = CallContext.cli()
    try:
        with gbr.uow.read() as session:
            usa = session.scalar(select(PeerRow.id).where(PeerRow.name == "usa-node"))
        assert usa is not None
        pull = gbr.federation_releases.pull
        # The schema validator is compiled once per process (ADR 0034): a sync worker
        # in steady state has it, so it is built before the clock starts.
        schema_errors({})
        profiler = cProfile.Profile() if profile else None
        phases: dict[str, Any] = {}
        for phase in ("items", "content"):
            server = federation_server_pid
            before, sbefore, wall = _self_cpu(), _cpu(server), time.perf_counter()
            sys_before = os.times().system
            if profiler:
                profiler.enable()
            kept = 0
            want = items if phase == "items" else 1
            while kept < want:
                pages = -(-(want - kept) // PULL_BATCH)  # as a sync: several in a call
                got = pull(ctx, usa, pages=pages)
                if not got:
                    raise RuntimeError(f"the pull stopped after {kept} items")
                kept += got
            if profiler:
                profiler.disable()
                profiler.dump_stats(f"{profile}-receiver-{phase}.prof")
                profiler = cProfile.Profile()
            phases[phase] = {
                "receiver_cpu_s": round(_self_cpu() - before, 3),
                "receiver_sys_s": round(os.times().system - sys_before, 3),  # of which
                "server_cpu_s": round(_cpu(server) - sbefore, 3),
                "wall_s": round(time.perf_counter() - wall, 3),
            }
        return phases
    finally:
        gbr.close()


federation_server_pid = 0


def run(base: Path, profile: str | None) -> None:
    global federation_server_pid
    setup = json.loads((base / "items.json").read_text())
    with tempfile.TemporaryDirectory(prefix="caveat-fed-cpu-") as tmp:
        root = Path(tmp) / "demo"
        shutil.copytree(base, root)
        federation = load(root)
        assert federation is not None
        usa = federation.node("usa")
        command = federation.serve_command(usa)
        if profile:
            # every thread profiled (the routes run in a thread pool)
            command = [command[0], "-m", "benchmarks.profiled_serve", *command[3:]]
            os.environ["CAVEAT_PROFILE_OUT"] = f"{profile}-server.prof"
        trusting = ssl.create_default_context(cafile=str(federation.ca))
        server = subprocess.Popen(
            command, env=_env(federation), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            _wait(usa.url, trusting, server)
            federation_server_pid = server.pid
            phases = _pull(federation, setup["items"], profile)
        finally:
            server.send_signal(signal.SIGINT)  # a clean exit: cProfile writes its file
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                _stop(server)
    items, mib = setup["items"], setup["mib"]
    per = {
        "items": items,
        "mib": mib,
        "receiver_ms_per_item": round(phases["items"]["receiver_cpu_s"] / items * 1000, 3),
        "server_ms_per_item": round(phases["items"]["server_cpu_s"] / items * 1000, 3),
        "receiver_ms_per_mib": round(phases["content"]["receiver_cpu_s"] / mib * 1000, 2),
        "server_ms_per_mib": round(phases["content"]["server_cpu_s"] / mib * 1000, 2),
        "phases": phases,
    }
    print(json.dumps(per, indent=2))


def main() -> None:
    command, root = sys.argv[1], Path(sys.argv[2]).resolve()
    if command == "prepare":
        prepare(root)
    else:
        profile = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--profile" else None
        run(root, profile)


if __name__ == "__main__":
    main()
