"""CLI start-up: `caveat --help`, `caveat version` and `caveat ls` against a running demo
node, each run as a user runs it (the installed `caveat` script, a fresh process).

Peers in the same run: `python -c pass` (the interpreter's floor: no CLI can start
faster in this Python), a two-command Typer app's `--help` (the framework's floor: Typer
0.2x imports pydantic to coerce parameters and Rich to draw help) and `git --version` (a
native CLI). The goal (issue 16) is that of gh-style tools: at most 0.3 s for each of the
three commands.

The demo node is `caveat demo` on a free port in a temporary data directory; alice signs
in with `caveat login` as the demo's README does, and puts three small files so that
`ls` lists something. Bytecode is cached (as after an installation): the first runs
write it and are not counted.

CAVEAT_BENCH_CLI_BASELINE=/path/to/other/checkout/src also times the same commands run
from that source tree (`python -m caveat` with it first on PYTHONPATH), against the same
node: the before/after of a change to start-up.
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import write_result
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError
from caveat.services.demo import DEMO_PASSWORD

RUNS = int(os.environ.get("CAVEAT_BENCH_CLI_RUNS", "15"))
BASELINE = os.environ.get("CAVEAT_BENCH_CLI_BASELINE")
WARMUP = 3
GOAL_S = 0.3
TYPER_FLOOR = """
import typer
app = typer.Typer()
@app.command()
def one(json_: bool = False) -> None:
    "The first command."
@app.command()
def two() -> None:
    "The second command."
app()
"""


def _caveat() -> list[str]:
    """The console script beside this interpreter, as `pip install` puts it."""
    script = Path(sys.executable).with_name("caveat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "caveat"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _time_each(commands: dict[str, list[str]], envs: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Median, min and max wall time of RUNS fresh processes per command, and their median
    CPU time. The commands take turns, round by round, so a burst of load elsewhere on the
    machine falls on all of them alike rather than on whichever ran then."""
    for name, argv in commands.items():
        for _ in range(WARMUP):
            subprocess.run(argv, env=envs[name], capture_output=True, check=True)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, argv in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(argv, env=envs[name], capture_output=True, check=True)
            wall[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {
        name: {
            "n": RUNS,
            "median_s": round(statistics.median(wall[name]), 3),
            "min_s": round(min(wall[name]), 3),
            "max_s": round(max(wall[name]), 3),
            "cpu_median_s": round(statistics.median(cpu[name]), 3),
        }
        for name in commands
    }


def _demo_node(tmp: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [*_caveat(), "--data-dir", str(tmp / "demo"), "demo", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with CaveatClient(url, timeout=2) as client:
                if client.ready()["status"] == "ready":
                    return server, url
        except CaveatError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.terminate()
            raise SystemExit("the demo node did not come up")
        time.sleep(0.2)


def _sign_in_and_share(tmp: Path, url: str, env: dict[str, str]) -> None:
    """alice signs in as a user would, and puts three files for `ls` to list."""
    caveat = _caveat()
    data = ["--data-dir", str(tmp / "demo")]

    def run(*args: str) -> str:
        return subprocess.run(
            [*caveat, *args], env=env, capture_output=True, text=True, check=True
        ).stdout

    otp = run(*data, "demo", "code", "alice").strip()
    run("login", "--server", url, "--username", "alice", "--password", DEMO_PASSWORD,
        "--otp", otp, "--json")  # fmt: skip
    for n, label in enumerate(["UNCLASSIFIED", "SECRET//REL TO USA, GBR", "CONFIDENTIAL"]):
        note = tmp / f"note-{n}.txt"
        note.write_text(f"bench note {n}\n")
        run("put", str(note), "--project", "Passive Sensor Fusion", "--label", label, "--json")


def _commands(caveat: list[str], env: dict[str, str]) -> dict[str, list[str]]:
    return {"caveat --help": [*caveat, "--help"], "caveat version": [*caveat, "version"],
            "caveat ls": [*caveat, "ls"]}  # fmt: skip


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caveat-cli-") as name:
        tmp = Path(name)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed CLI has its bytecode cached
        env |= {"CAVEAT_CONFIG_DIR": str(tmp / "config"), "CAVEAT_LOG_LEVEL": "WARNING"}
        server, url = _demo_node(tmp, env)
        git = shutil.which("git")
        peers = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "two-command Typer app --help": [sys.executable, "-c", TYPER_FLOOR, "--help"],
            **({"git --version": [git, "--version"]} if git else {}),
        }
        commands = _commands(_caveat(), env)
        baseline = _commands([sys.executable, "-m", "caveat"], env) if BASELINE else {}
        envs = {name: env for name in [*commands, *peers]}
        envs |= {f"baseline {name}": {**env, "PYTHONPATH": str(BASELINE)} for name in baseline}
        load_before = os.getloadavg()[0]
        try:
            _sign_in_and_share(tmp, url, env)
            timed = _time_each(
                {**commands, **peers, **{f"baseline {n}": a for n, a in baseline.items()}}, envs
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        load_after = os.getloadavg()[0]
    result = {
        "what": "fresh process per run: the installed caveat script; ls against a demo node "
        "(caveat demo, SQLite, 1 worker) on this machine, signed in as alice, 3 artifacts",
        "runs": RUNS,
        "goal_s": GOAL_S,
        "load_average_1m": {"before": load_before, "after": load_after},
        "commands": {name: timed[name] for name in commands},
        "peers": {name: timed[name] for name in peers},
        "within_goal": {name: timed[name]["median_s"] <= GOAL_S for name in commands},
        **(
            {
                "baseline": {
                    "src": BASELINE,
                    "commands": {n: timed[f"baseline {n}"] for n in baseline},
                }
            }
            if BASELINE
            else {}
        ),
    }
    write_result("cli_startup", result)
    return result


if __name__ == "__main__":
    print(run())
