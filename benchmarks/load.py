"""Load (issue 12): 50 users on a real `caveat serve` over loopback, three configurations.

Each configuration gets a fresh node (init through the services, production Argon2):
200 researchers (four accounts per simulated user, password and TOTP known to the
benchmark) in one project, then ``caveat serve`` as a subprocess and 20 artifacts of
2 MiB uploaded through the SDK. locust (benchmarks/load_locustfile.py, in its own
process on the same machine) then runs 50 users without think time for the duration:
searches, 2 MiB downloads and uploads, sign-ins with password and TOTP. Meanwhile the
server's process tree is sampled every few seconds (RSS and PSS, CPU) beside the
machine's CPU use and load average. Afterwards the server's JSON log is read for
statuses and warnings, and the ledger is integrated and verified.

Configurations: SQLite with one worker, PostgreSQL with one worker, SQLite with
``--workers 2``. Results: benchmarks/results/load.json.

    python -m benchmarks.load                      # 5 minutes each (PostgreSQL with
                                                   # CAVEAT_BENCH_POSTGRES_URL set)
    python -m benchmarks.load --duration 60 --only sqlite_1_worker --keep-logs /tmp/logs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psutil

from benchmarks.common import RESULTS, percentile, write_result
from benchmarks.ledger import fresh_database
from caveat.bootstrap.container import FirstOperator, init_node, open_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.client import CaveatClient
from caveat.domain.credentials import totp_code
from caveat.domain.errors import CaveatError
from caveat.domain.identity import Clearance, CommonLevel, Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext

USERS = 50
ACCOUNTS_PER_USER = 4  # a TOTP step is accepted once per person: 4 sign-ins / 30 s a user
DURATION_S = int(os.environ.get("CAVEAT_BENCH_LOAD_SECONDS", "300"))
UPLOAD_BYTES = 2 * 2**20
SEEDED_ARTIFACTS = 20
SAMPLE_S = 5.0
SPAWN_PER_S = 10
PROJECT = "Load Programme"
LABEL = "SECRET//REL TO USA, GBR"
WORDS = (
    "radar sonar lidar antenna thermal hypersonic telemetry calibration fusion "
    "signature emitter propulsion composite seeker datalink"
).split()
LOCUSTFILE = Path(__file__).with_name("load_locustfile.py")
CONFIGURATIONS = {  # name: (PostgreSQL?, workers)
    "sqlite_1_worker": (False, 1),
    "postgresql_1_worker": (True, 1),
    "sqlite_2_workers": (False, 2),
}
# The server logs one JSON line per request: method and path give the request kind.
_KINDS = (
    ("POST", "/api/v1/auth/login", "login"),
    ("POST", "/api/v1/auth/logout", "logout"),
    ("GET", "/api/v1/artifacts", "search"),
    ("POST", "/api/v1/uploads", "upload_begin"),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(settings: Settings, users: int) -> dict[str, Any]:
    """A node with one project and its researchers, through the ordinary services."""
    node, _ = init_node(
        settings,
        FirstOperator("operator", "Load Operator", "ops@load.example", "Load Laboratory", "GBR"),
    )
    password = f"load-{os.urandom(8).hex()}-bench"
    console, ctx = ConsoleOperator("load-seed"), CallContext.cli()
    clearance = Clearance(CommonLevel.SECRET, "SECRET", "GBR", date(2030, 12, 31))
    try:
        organisation = node.registry.list_organisations()[0].id
        node.projects.create_project(console, ctx, name=PROJECT)
        accounts = []
        for n in range(users * ACCOUNTS_PER_USER + 1):
            username = "seeder" if n == users * ACCOUNTS_PER_USER else f"researcher{n:03d}"
            account = node.people.create_person(
                console,
                ctx,
                username=username,
                display_name=f"Researcher {n}",
                email=f"{username}@load.example",
                organisation=organisation,
                citizenships=["GBR"],
                roles=[Role.RESEARCHER],
                clearance=clearance,
                password=password,
            )
            node.projects.add_member(console, ctx, PROJECT, username)
            accounts.append(
                {"username": username, "password": password, "totp_secret": account.mfa.totp_secret}
            )
    finally:
        node.close()
    return {
        "accounts": accounts[:-1],
        "seeder": accounts[-1],
        "accounts_per_user": ACCOUNTS_PER_USER,
        "project": PROJECT,
        "label": LABEL,
        "words": WORDS,
        "upload_bytes": UPLOAD_BYTES,
    }


def _seed_artifacts(url: str, seeder: dict[str, Any]) -> list[str]:
    """Artifacts to download from the first second on, uploaded through the SDK."""
    ids = []
    with CaveatClient(url, timeout=120) as client:
        client.login(
            seeder["username"],
            seeder["password"],
            totp_code(seeder["totp_secret"], datetime.now(UTC)),
        )
        for n in range(SEEDED_ARTIFACTS):
            data = os.urandom(UPLOAD_BYTES)
            digest = hashlib.sha256(data).hexdigest()
            words = f"{WORDS[n % len(WORDS)]} {WORDS[(n * 7 + 3) % len(WORDS)]}"
            upload = client.begin_upload(
                project=PROJECT,
                kind="dataset",
                title=f"{words} seeded {n}",
                summary=f"{words} seeded before the load",
                keywords=words.split(),
                label=LABEL,
                size=len(data),
                sha256=digest,
            )
            ids.append(str(client.put_content(upload["id"], [data], digest)["artifact_id"]))
    return ids


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class _Sampler(threading.Thread):
    """Every SAMPLE_S: the server tree's RSS and PSS, its CPU and the load generator's,
    the machine's CPU use and load average."""

    def __init__(self, server_pid: int) -> None:
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.load_pid: int | None = None
        self.samples: list[dict[str, Any]] = []
        self._stop_event = threading.Event()
        self.t0 = time.time()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def _cpu(self, processes: list[psutil.Process]) -> float:
        total = 0.0
        for p in processes:
            try:
                times = p.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def run(self) -> None:
        psutil.cpu_percent()
        while True:
            server = _tree(self.server_pid)
            rss, pss = [], 0
            for p in server:
                try:
                    full = p.memory_full_info()
                    rss.append(round(full.rss / 2**20, 1))
                    pss += full.pss
                except psutil.NoSuchProcess:
                    pass
            load = _tree(self.load_pid) if self.load_pid else []
            self.samples.append(
                {
                    "t": round(time.time() - self.t0, 1),
                    "rss_mib": round(sum(rss), 1),
                    "pss_mib": round(pss / 2**20, 1),
                    "rss_each_mib": rss,
                    "server_cpu_s": round(self._cpu(server), 2),
                    "load_cpu_s": round(self._cpu(load), 2),
                    "machine_cpu_percent": psutil.cpu_percent(),
                    "loadavg_1m": os.getloadavg()[0],
                }
            )
            if self._stop_event.wait(SAMPLE_S):
                return


def _start_server(
    data_dir: Path, database_url: str | None, workers: int, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "CAVEAT_DATA_DIR": str(data_dir), "CAVEAT_HASH_PROFILE": "production"}
    env.pop("CAVEAT_DATABASE_URL", None)
    if database_url:
        env["CAVEAT_DATABASE_URL"] = database_url
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "caveat",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with CaveatClient(url, timeout=2) as client:
                client.ready()
            return server, url
        except CaveatError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.2)


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _kind(method: str, path: str) -> str:
    if method == "GET" and path.endswith("/content"):
        return "download"
    if method == "PUT" and path.endswith("/content"):
        return "upload_content"
    for m, p, kind in _KINDS:
        if method == m and path == p:
            return kind
    return f"{method} other"


def _server_log(log: Path) -> dict[str, Any]:
    """Statuses and server-side latency per kind, warnings and errors, from the JSON log."""
    statuses: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    messages: Counter[str] = Counter()
    latency: dict[str, list[float]] = {}
    other: list[str] = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if line.strip() and not line.startswith("INFO:"):
                other.append(line[:300])
            continue
        if not isinstance(record, dict):
            continue
        level = str(record.get("level", "?"))
        levels[level] += 1
        if record.get("event") == "request":
            kind = _kind(str(record.get("method")), str(record.get("path")))
            statuses[f"{kind} {record.get('status')}"] += 1
            latency.setdefault(kind, []).append(float(record.get("ms", 0)))
        elif level in {"warning", "error", "critical"}:
            # An exception's own line says what it was (SQLAlchemy adds the statement and
            # a link after it); a warning says its code or detail.
            exception = [
                line
                for line in str(record.get("exception", "")).splitlines()
                if line.strip() and not line.startswith((" ", "[SQL", "[parameters", "(Back"))
            ]
            detail = exception[-1] if exception else record.get("code") or record.get("detail")
            messages[f"{level}: {record.get('event')}: {str(detail)[:240]}"] += 1
    return {
        "levels": dict(levels),
        "statuses": dict(sorted(statuses.items())),
        "latency_ms": {
            kind: {
                "p50": round(percentile(v, 50), 1),
                "p99": round(percentile(v, 99), 1),
                "max": round(max(v), 1),
            }
            for kind, v in sorted(latency.items())
        },
        "warnings_and_errors": dict(messages.most_common(20)),
        "unstructured_lines": other[:20],
    }


def _summary(raw: dict[str, Any]) -> dict[str, Any]:
    """Per kind and overall: throughput, latency percentiles, errors by status."""
    start, end = raw["span_s"]
    span = end - start
    kinds: dict[str, Any] = {}
    errors: Counter[str] = Counter()
    for name, samples in sorted(raw["latency_ms"].items()):
        failed = raw["errors"].get(name, {})
        kinds[name] = {
            "requests": len(samples),
            "per_s": round(len(samples) / span, 2),
            "p50_ms": round(percentile(samples, 50), 1),
            "p90_ms": round(percentile(samples, 90), 1),
            "p99_ms": round(percentile(samples, 99), 1),
            "max_ms": round(max(samples), 1),
            "errors": failed,
        }
        for status, count in failed.items():
            errors[str(status)] += count
    total = sum(k["requests"] for k in kinds.values())
    per_second = {int(s): c.get("requests", 0) for s, c in raw["timeline"].items()}
    first = min(per_second)
    buckets: Counter[int] = Counter()
    for second, count in per_second.items():
        buckets[(second - first) // 30] += count
    steady = [c for s, c in per_second.items() if s - first >= 30]
    return {
        "seconds": round(span, 1),
        "requests": total,
        "requests_per_s": round(total / span, 1),
        "requests_per_s_after_first_30_s": round(
            sum(steady) / max(1, max(per_second) - first - 29), 1
        ),
        "requests_per_s_by_30_s": [round(buckets[b] / 30, 1) for b in sorted(buckets)],
        "errors_by_status": dict(errors),
        "error_messages": raw["failures"],
        "kinds": kinds,
        "notes": raw["notes"],
        "artifacts_known_at_end": raw["artifacts_known"],
    }


def _memory(samples: list[dict[str, Any]], load_started: float) -> dict[str, Any]:
    during = [s for s in samples if s["t"] >= load_started]
    idle = [s for s in samples if s["t"] < load_started]
    rss = [s["rss_mib"] for s in during]
    half = during[len(during) // 2 :]
    slope = 0.0
    if len(half) > 2:
        slope = statistics.linear_regression(
            [s["t"] / 60 for s in half], [s["rss_mib"] for s in half]
        ).slope
    # Each sign-in holds Argon2's 64 MiB while it hashes, so RSS jumps with the sign-ins
    # in flight; the lowest sample of each minute shows whether anything accumulates.
    floors: dict[int, float] = {}
    for s in during:
        minute = int((s["t"] - load_started) // 60)
        floors[minute] = min(floors.get(minute, s["rss_mib"]), s["rss_mib"])
    return {
        "rss_before_load_mib": idle[-1]["rss_mib"] if idle else None,
        "rss_first_mib": rss[0],
        "rss_end_mib": rss[-1],
        "rss_min_mib": min(rss),
        "rss_max_mib": max(rss),
        "pss_end_mib": during[-1]["pss_mib"],
        "rss_slope_second_half_mib_per_min": round(slope, 2),
        "rss_floor_by_minute_mib": [floors[m] for m in sorted(floors)],
        "processes": len(during[-1]["rss_each_mib"]),
    }


def _cpu(samples: list[dict[str, Any]], load_started: float) -> dict[str, Any]:
    during = [s for s in samples if s["t"] >= load_started]
    seconds = during[-1]["t"] - during[0]["t"]
    server = (during[-1]["server_cpu_s"] - during[0]["server_cpu_s"]) / seconds
    # The load generator has exited by the last sample: its CPU is the largest seen.
    load = (max(s["load_cpu_s"] for s in during) - during[0]["load_cpu_s"]) / seconds
    machine = (
        statistics.mean(s["machine_cpu_percent"] for s in during[1:]) / 100 * (os.cpu_count() or 1)
    )
    return {
        "server_cores": round(server, 2),
        "load_generator_cores": round(load, 2),
        "machine_cores_busy": round(machine, 2),
        "other_cores": round(max(0.0, machine - server - load), 2),
        "loadavg_1m_max": max(s["loadavg_1m"] for s in during),
    }


def _ledger(settings: Settings) -> dict[str, Any]:
    """After the run: integrate what is left and verify the whole ledger."""
    node = open_node(settings)
    try:
        pending = node.ledger.pending()
        node.ledger.integrate()
        report = node.ledger_verifier.verify()
        report.require_ok()
        return {"entries": report.entries, "pending_at_stop": pending, "verified": True}
    finally:
        node.close()


def configuration(
    name: str,
    postgres_url: str | None,
    duration: int,
    users: int,
    think_s: float,
    keep_logs: Path | None = None,
) -> dict[str, Any]:
    """One configuration, start to finish, on a fresh node."""
    use_postgres, workers = CONFIGURATIONS[name]
    with (
        fresh_database(postgres_url if use_postgres else None) as url,
        tempfile.TemporaryDirectory(prefix="caveat-load-") as tmp,
    ):
        data_dir = Path(tmp) / "node"
        settings = Settings(
            data_dir=data_dir,
            hash_profile=HashProfile.PRODUCTION,
            node_name="load",
            database_url=url,
        )
        seed_started = time.perf_counter()
        plan = _seed(settings, users)
        seed_seconds = time.perf_counter() - seed_started
        log = Path(tmp) / "server.log"
        server, base = _start_server(data_dir, url, workers, log)
        sampler = _Sampler(server.pid)
        sampler.start()
        try:
            plan["artifacts"] = _seed_artifacts(base, plan.pop("seeder"))
            plan_path, out = Path(tmp) / "plan.json", Path(tmp) / "requests.json"
            plan_path.write_text(json.dumps(plan))
            env = {
                **os.environ,
                "CAVEAT_LOAD_PLAN": str(plan_path),
                "CAVEAT_LOAD_OUT": str(out),
                "CAVEAT_LOAD_THINK_S": str(think_s),
            }
            load_started = round(time.time() - sampler.t0, 1)
            with (Path(tmp) / "locust.log").open("wb") as locust_log:
                locust = subprocess.Popen(
                    [
                        *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", base),
                        *("--headless", "--only-summary", "--loglevel", "WARNING"),
                        *("--users", str(users), "--spawn-rate", str(SPAWN_PER_S)),
                        *("--run-time", f"{duration}s", "--stop-timeout", "60"),
                    ],
                    env=env,
                    stdout=locust_log,
                    stderr=subprocess.STDOUT,
                )
                sampler.load_pid = locust.pid
                locust.wait()
            if not out.exists():
                tail = (Path(tmp) / "locust.log").read_text()[-3000:]
                raise RuntimeError(f"locust wrote no results: {tail}")
            raw = json.loads(out.read_text())
        finally:
            sampler.stop()
            _stop_server(server)
            if keep_logs is not None:
                keep_logs.mkdir(parents=True, exist_ok=True)
                for kept in ("server.log", "locust.log"):
                    if (Path(tmp) / kept).exists():
                        shutil.copy(Path(tmp) / kept, keep_logs / f"{name}-{kept}")
        samples = sampler.samples
        return {
            "database": "PostgreSQL 15" if use_postgres else "SQLite (WAL)",
            "workers": workers,
            "users": users,
            "think_time_s": think_s,
            "duration_s": duration,
            "load_started_at_sample_s": load_started,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": {
                "accounts": len(plan["accounts"]) + 1,
                "artifacts": SEEDED_ARTIFACTS,
                "seconds": round(seed_seconds, 1),
            },
            **_summary(raw),
            "memory": _memory(samples, load_started),
            "cpu": _cpu(samples, load_started),
            "server_log": _server_log(log),
            "ledger_after": _ledger(settings),
            "samples": samples,
        }


def run(
    postgres_url: str | None = None,
    *,
    duration: int = DURATION_S,
    users: int = USERS,
    only: list[str] | None = None,
    think_s: float = 0.0,
    keep_logs: Path | None = None,
) -> dict[str, Any]:
    """Every configuration (or ``only`` those), into benchmarks/results/load.json; a
    partial run keeps the other configurations' earlier results."""
    names = only or [n for n, (pg, _) in CONFIGURATIONS.items() if postgres_url or not pg]
    results: dict[str, Any] = {}
    if only and (RESULTS / "load.json").exists():
        results = json.loads((RESULTS / "load.json").read_text()).get("configurations", {})
    for name in names:
        if CONFIGURATIONS[name][0] and not postgres_url:
            raise SystemExit("PostgreSQL configuration: set CAVEAT_BENCH_POSTGRES_URL")
        results[name] = configuration(name, postgres_url, duration, users, think_s, keep_logs)
    ratios = {}
    base = results.get("sqlite_1_worker")
    for other in ("postgresql_1_worker", "sqlite_2_workers"):
        if base and other in results:
            ratios[f"{other}_to_sqlite_1_worker"] = round(
                results[other]["requests_per_s"] / base["requests_per_s"], 2
            )
    payload = {
        "load": (
            f"locust {users} users (FastHttpUser, no think time) in one process on the same "
            "machine; per user: search 10, download 5, upload 2, sign in again 1 (weights)"
        ),
        "ratios_requests_per_s": ratios,
        "configurations": results,
    }
    write_result("load", payload)
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=DURATION_S, help="seconds each")
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--think", type=float, default=0.0, help="think time per task, s")
    parser.add_argument(
        "--only", action="append", choices=sorted(CONFIGURATIONS), help="repeat for several"
    )
    parser.add_argument("--keep-logs", type=Path, help="copy the server and locust logs here")
    args = parser.parse_args()
    result = run(
        os.environ.get("CAVEAT_BENCH_POSTGRES_URL"),
        duration=args.duration,
        users=args.users,
        only=args.only,
        think_s=args.think,
        keep_logs=args.keep_logs,
    )
    for name, c in result["configurations"].items():
        kinds = ", ".join(f"{k} {v['p50_ms']}/{v['p99_ms']} ms" for k, v in c["kinds"].items())
        print(
            f"{name}: {c['requests_per_s']} req/s, errors {c['errors_by_status']}, "
            f"RSS {c['memory']['rss_first_mib']}->{c['memory']['rss_end_mib']} MiB "
            f"(max {c['memory']['rss_max_mib']}); p50/p99 {kinds}"
        )


if __name__ == "__main__":
    main()
