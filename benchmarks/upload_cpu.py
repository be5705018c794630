"""CPU cost of an HTTP upload (issue 17), for A/B comparisons on a busy machine.

Wall time on a shared two-core guest moves 3-30x with whatever else runs; the CPU the
server spends per GiB received does not. This starts ``caveat serve`` (one worker,
SQLite) with its data directory on the disk (or tmpfs), uploads the same file ``RUNS``
times with ``curl -T`` (``PUT /api/v1/uploads/{id}/content``), and reports for each:
wall rate, the server's user and system CPU seconds per GiB (``/proc/<pid>/stat``, all
threads), curl's CPU, and the server's RSS growth (VmHWM against the RSS before the
first upload); then the download of what was just uploaded (``GET .../content``), its
rate and the server's CPU per GiB (in all, user and system). With
``CAVEAT_BENCH_PERF=<file>`` the server is also sampled by ``perf record -g`` for the
uploads.

Run: ``python -m benchmarks.upload_cpu`` (``CAVEAT_BENCH_HTTP_MIB``, default 1024;
``CAVEAT_BENCH_RUNS``, default 3; ``CAVEAT_BENCH_ROOT``, default the temp directory,
e.g. ``/dev/shm`` for tmpfs). Prints JSON; writes nothing under benchmarks/results.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.artifacts import PASSWORD, _free_port, _researcher, _rss
from benchmarks.content import TMPFS, _chunks, _curl, _serve, _stop, _wait
from caveat.bootstrap.container import FirstOperator, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.client import CaveatClient
from caveat.domain.credentials import totp_code

MiB = 2**20
GiB = 2**30
TOTAL = int(os.environ.get("CAVEAT_BENCH_HTTP_MIB", "1024")) * MiB
RUNS = int(os.environ.get("CAVEAT_BENCH_RUNS", "3"))
ROOT = Path(os.environ.get("CAVEAT_BENCH_ROOT", tempfile.gettempdir()))
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of process ``pid`` (every thread)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / _TICK, int(fields[12]) / _TICK


def _children_cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


def _perf(pid: int) -> subprocess.Popen[bytes] | None:
    """``perf record -g`` on the server while it uploads, when ``CAVEAT_BENCH_PERF`` names
    the output file (read it with ``perf report -i``)."""
    out = os.environ.get("CAVEAT_BENCH_PERF")
    if not out:
        return None
    command = ["perf", "record", "-g", "-o", out, "-p", str(pid)]
    perf = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return perf


def measure(source: Path, digest: str) -> dict[str, Any]:
    """``RUNS`` uploads of ``source`` through one server with its data under ``ROOT``."""
    with tempfile.TemporaryDirectory(prefix="caveat-upcpu-", dir=ROOT) as tmp:
        settings = Settings(data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench")
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        secret, _ = _researcher(node)
        node.close()
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {"CAVEAT_DATA_DIR": tmp, "CAVEAT_HASH_PROFILE": "test", "CAVEAT_LOG_LEVEL": "WARNING"}
        command = [sys.executable, "-m", "caveat", "serve", "--port", str(port), "--workers", "1"]
        server = _serve(command, env)
        runs: list[dict[str, float]] = []
        try:
            _wait(f"{url}/readyz")
            with CaveatClient(url, timeout=600) as client:
                session = client.login("rita", PASSWORD, totp_code(secret, datetime.now(UTC)))
                auth = f"Authorization: Bearer {session['token']}"
                baseline = _rss(server.pid, "VmRSS")
                perf = _perf(server.pid)
                for i in range(RUNS):
                    upload = client.begin_upload(
                        project="Bench", kind="dataset", title=f"upload {i}",
                        label="SECRET//REL TO USA, GBR", size=TOTAL, sha256=digest,
                    )  # fmt: skip
                    user0, sys0 = _cpu(server.pid)
                    cuser0, csys0 = _children_cpu()
                    started = time.perf_counter()
                    answer = _curl(
                        "-X", "PUT", "-T", str(source), "-H", auth, "-H", "Expect:",
                        "-H", "Content-Type: application/octet-stream",
                        "-H", f"X-Content-SHA256: {digest}",
                        f"{url}/api/v1/uploads/{upload['id']}/content",
                    )  # fmt: skip
                    wall = time.perf_counter() - started
                    user1, sys1 = _cpu(server.pid)
                    cuser1, csys1 = _children_cpu()
                    artifact = json.loads(answer)["artifact_id"]
                    started = time.perf_counter()
                    content = f"{url}/api/v1/artifacts/{artifact}/content"
                    _curl("-H", auth, "-o", "/dev/null", content)
                    down_wall = time.perf_counter() - started
                    user2, sys2 = _cpu(server.pid)
                    per_gib = GiB / TOTAL
                    runs.append(
                        {
                            "download_MBps": round(TOTAL / down_wall / 1e6, 1),
                            "download_server_cpu_s_per_GiB": round(
                                (user2 - user1 + sys2 - sys1) * per_gib, 2
                            ),
                            "download_server_user_s_per_GiB": round((user2 - user1) * per_gib, 2),
                            "download_server_sys_s_per_GiB": round((sys2 - sys1) * per_gib, 2),
                            "MBps": round(TOTAL / wall / 1e6, 1),
                            "server_user_s_per_GiB": round((user1 - user0) * per_gib, 2),
                            "server_sys_s_per_GiB": round((sys1 - sys0) * per_gib, 2),
                            "server_cpu_s_per_GiB": round(
                                (user1 - user0 + sys1 - sys0) * per_gib, 2
                            ),
                            "curl_cpu_s_per_GiB": round(
                                (cuser1 - cuser0 + csys1 - csys0) * per_gib, 2
                            ),
                        }
                    )
                peak = _rss(server.pid, "VmHWM")
                if perf is not None:
                    perf.send_signal(signal.SIGINT)
                    perf.wait(timeout=60)
        finally:
            _stop(server)
    return {
        "bytes": TOTAL,
        "root": str(ROOT),
        "load_at_end": os.getloadavg(),
        "runs": runs,
        "rss_growth_MiB": round((peak - baseline) / MiB, 1),
    }


def main() -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(prefix="caveat-upcpu-src-", dir=TMPFS) as source:
        digest = hashlib.sha256()
        for chunk in _chunks(TOTAL, 64 * MiB):
            source.write(chunk)
            digest.update(chunk)
        source.flush()
        return measure(Path(source.name), digest.hexdigest())


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
